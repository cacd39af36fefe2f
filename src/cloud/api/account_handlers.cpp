// The logged-in user's own account: profile, password, sessions and account log.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/audit/audit_export.hpp"
#include "cloud/auth/password_policy.hpp"
#include "cloud/services.hpp"
#include "common/time_format.hpp"

namespace logbot::cloud::api {
namespace {

std::optional<std::int64_t> parse_positive(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// A download: the browser saves it under `filename` instead of showing it.
http::Response attachment(std::string body, const char* content_type, const char* filename) {
  http::Response response;
  response.body = std::move(body);
  response.set_header("Content-Type", content_type);
  response.set_header("Content-Disposition", std::string("attachment; filename=\"") + filename + "\"");
  return response;
}

}  // namespace

boost::json::object user_json(const User& user) {
  return {
      {"id", user.id}, {"email", user.email}, {"display_name", user.display_name}, {"is_operator", user.is_operator}};
}

http::Response get_me(RequestContext& context) {
  const Session& session = *context.session;
  const SessionPolicy& policy = context.services.sessions.policy();
  boost::json::array memberships;
  for (const Membership& m : context.services.orgs.memberships_of_user(context.user->id))
    memberships.push_back({{"org_id", m.org_id},
                           {"org_name", m.org_name},
                           {"role", to_string(m.role)},
                           {"require_2fa", m.org_requires_2fa}});
  boost::json::object user = user_json(*context.user);
  user["totp_enabled"] = context.services.totp.is_enabled(context.user->id);
  user["totp_required"] = context.services.orgs.requires_2fa(context.user->id) ||
                          context.services.totp.enrolment_required(context.user->id);
  boost::json::object o{{"user", std::move(user)},
                        {"memberships", std::move(memberships)},
                        {"csrf_token", session.csrf_token},
                        {"session",
                         {{"id", session.id},
                          {"stage", to_string(session.stage)},
                          {"idle_expires_at", format_iso8601_ms(session.last_seen_ms + policy.idle_timeout_ms)},
                          {"absolute_expires_at", format_iso8601_ms(session.absolute_expiry_ms)}}}};
  return http::json_response(200, boost::json::serialize(o));
}

http::Response change_password(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto current = body->required_string("current_password", kMaximumPasswordLength);
  if (!current) return bad_request(current.error());
  auto next = body->required_string("new_password", kMaximumPasswordLength + 1);
  if (!next) return bad_request(next.error());

  AuditRecord failure = audit_record(context, AuditCode::kLoginError);
  failure.details = {{"auth_method", "password"}, {"username", context.user->email}, {"action", "password_change"}};
  if (auto refusal = refuse_if_locked(context, failure, context.user->email)) return *refusal;
  if (!services.hasher.verify(*current, context.user->password_hash)) {
    record_password_failure(context, failure, context.user->email);
    return http::error_response(403, "wrong_password", "the current password is not correct");
  }
  if (auto checked = check_new_password(*next, context.user->email); !checked)
    return http::error_response(400, "weak_password", checked.error().message);

  services.users.set_password_hash(context.user->id, services.hasher.hash(*next));
  const int ended = services.sessions.revoke_all_except(context.user->id, context.session->id);
  AuditRecord record = audit_record(context, AuditCode::kPasswordChange);
  record.details = {{"username", context.user->email}, {"other_sessions_ended", std::to_string(ended)}};
  services.audit.append(record);
  return http::no_content();
}

http::Response list_my_sessions(RequestContext& context) {
  boost::json::array sessions;
  for (const Session& s : context.services.sessions.list_for_user(context.user->id))
    sessions.push_back({{"id", s.id},
                        {"created_at", format_iso8601_ms(s.created_ms)},
                        {"last_seen_at", format_iso8601_ms(s.last_seen_ms)},
                        {"expires_at", format_iso8601_ms(s.absolute_expiry_ms)},
                        {"ip", s.ip},
                        {"client", s.client},
                        {"user_agent", s.user_agent},
                        {"stage", to_string(s.stage)},
                        {"current", s.id == context.session->id}});
  return http::json_response(200, boost::json::serialize(boost::json::object{{"sessions", std::move(sessions)}}));
}

http::Response revoke_my_session(RequestContext& context) {
  const std::string& session_id = context.param("session_id");
  if (!context.services.sessions.revoke(context.user->id, session_id))
    return http::error_response(404, "not_found", "no such session");
  AuditRecord record = audit_record(context, AuditCode::kSessionRevoked);
  record.details = {{"username", context.user->email}, {"session", session_id}};
  context.services.audit.append(record);
  return http::no_content();
}

http::Response my_audit(RequestContext& context) {
  AuditQuery query;
  query.user_id = context.user->id;
  return audit_listing(context, std::move(query));
}

http::Response audit_listing(RequestContext& context, AuditQuery query) {
  const http::Request& request = context.request;
  if (auto limit = request.query_value("limit"); !limit.empty()) {
    const auto value = parse_positive(limit);
    if (!value || *value < 1 || *value > 10000)
      return http::error_response(400, "bad_request", "limit must be a number from 1 to 10000");
    query.limit = static_cast<int>(*value);
  }
  if (auto before = request.query_value("before"); !before.empty()) {
    query.before_seq = parse_positive(before);
    if (!query.before_seq) return http::error_response(400, "bad_request", "before must be an entry number");
  }
  if (auto event = request.query_value("event"); !event.empty()) {
    if (!parse_audit_code(event)) return http::error_response(400, "bad_request", "unknown event '" + event + "'");
    query.event = event;
  }
  if (auto user = request.query_value("user"); !user.empty()) query.username = user;
  for (const auto& [name, target] : {std::pair{"from", &query.from_ms}, std::pair{"to", &query.to_ms}}) {
    if (auto text = request.query_value(name); !text.empty()) {
      *target = parse_iso8601_ms(text);
      if (!*target)
        return http::error_response(400, "bad_request",
                                    std::string(name) + " must be an ISO-8601 time such as 2026-11-27T08:00:00Z");
    }
  }
  const std::vector<AuditEntry> entries = context.services.audit.query(query);
  const std::string format = request.query_value("format");
  if (format == "csv") return attachment(audit_entries_to_csv(entries), "text/csv; charset=utf-8", "logbot-audit.csv");
  if (format == "jsonl")
    return attachment(audit_entries_to_jsonl(entries), "application/x-ndjson", "logbot-audit.jsonl");
  if (!format.empty() && format != "json")
    return http::error_response(400, "bad_request", "format must be json, csv or jsonl");
  boost::json::array events;
  for (const AuditEntry& e : entries) events.push_back(audit_entry_to_json(e));
  return http::json_response(200, boost::json::serialize(boost::json::object{{"events", std::move(events)}}));
}

}  // namespace logbot::cloud::api
