#include "cloud/metrics/metrics.hpp"

#include "common/version.hpp"

namespace logbot::cloud {

void Metrics::count_request(unsigned status) {
  const unsigned index = status / 100;
  if (index < requests_by_class_.size()) requests_by_class_[index] += 1;
}

void Metrics::count_login(bool success) {
  (success ? logins_ok_ : logins_failed_) += 1;
}

std::string Metrics::render(const Gauges& gauges) const {
  std::string out;
  out += "# HELP logbot_build_info Version of this logbot-cloud.\n# TYPE logbot_build_info gauge\n";
  out += std::string("logbot_build_info{version=\"") + kVersion + "\"} 1\n";
  out += "# HELP logbot_process_start_time_seconds Start time of the process since the Unix epoch.\n";
  out += "# TYPE logbot_process_start_time_seconds gauge\n";
  out += "logbot_process_start_time_seconds " + std::to_string(start_time_ms_ / 1000) + "\n";
  out += "# HELP logbot_http_requests_total HTTP requests answered, by status class.\n";
  out += "# TYPE logbot_http_requests_total counter\n";
  for (std::size_t i = 1; i < requests_by_class_.size(); ++i)
    out += "logbot_http_requests_total{code=\"" + std::to_string(i) + "xx\"} " +
           std::to_string(requests_by_class_[i].load()) + "\n";
  out += "# HELP logbot_logins_total Password logins, by result.\n# TYPE logbot_logins_total counter\n";
  out += "logbot_logins_total{result=\"success\"} " + std::to_string(logins_ok_.load()) + "\n";
  out += "logbot_logins_total{result=\"failure\"} " + std::to_string(logins_failed_.load()) + "\n";
  out += "# HELP logbot_lockouts_total Temporary lockouts started by the brute-force protection.\n";
  out += "# TYPE logbot_lockouts_total counter\n";
  out += "logbot_lockouts_total " + std::to_string(lockouts_.load()) + "\n";
  out += "# HELP logbot_sessions_active Login sessions neither expired nor revoked.\n";
  out += "# TYPE logbot_sessions_active gauge\n";
  out += "logbot_sessions_active " + std::to_string(gauges.active_sessions) + "\n";
  out += "# HELP logbot_audit_events Entries in the audit log.\n# TYPE logbot_audit_events gauge\n";
  out += "logbot_audit_events " + std::to_string(gauges.audit_events) + "\n";
  return out;
}

}  // namespace logbot::cloud
