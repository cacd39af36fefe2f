// logbot-cloud: the multi-tenant cloud server and its administration commands.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cloud/admin/admin_commands.hpp"
#include "cloud/api/routes.hpp"
#include "cloud/config/cloud_config.hpp"
#include "cloud/process/cloud_process.hpp"
#include "cloud/services.hpp"
#include "common/terminal.hpp"
#include "common/version.hpp"

namespace {

using namespace logbot;
using namespace logbot::cloud;

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::filesystem::path default_web_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const auto& candidate : {exe.parent_path() / "../../web", exe.parent_path() / "../share/logbot/web"})
      if (std::filesystem::is_directory(candidate)) return std::filesystem::weakly_canonical(candidate);
  }
  return "web";
}

// Reads a password from stdin (one line) or, on a terminal, without echo.
std::string read_password(bool from_stdin) {
  const auto line = from_stdin || !::isatty(STDIN_FILENO) ? read_line(std::cin) : ask_terminal("Password: ", true);
  return line.value_or("");
}

struct CommonOptions {
  std::string config_file;
  std::string data_dir;
  std::string key_dir;
  std::string audit_anchor;
};

CloudConfig load_config(const CommonOptions& common) {
  CloudConfig config;
  if (!common.config_file.empty()) apply_toml_file(config, common.config_file);
  apply_environment(config, env);
  if (!common.data_dir.empty()) config.data_dir = common.data_dir;
  if (!common.key_dir.empty()) config.key_dir = common.key_dir;
  if (!common.audit_anchor.empty()) config.audit_anchor = common.audit_anchor;
  return config;
}

// `audit verify`: the chain, and the anchor (--anchor FILE, else the configured file if it
// exists). Exit 0 only when both agree; every problem is named.
int verify_audit_log(Services& services, const CloudConfig& config, const std::string& anchor_option) {
  const std::filesystem::path anchor_path =
      anchor_option.empty() ? config.audit_anchor_file() : std::filesystem::path(anchor_option);
  std::optional<AnchorFile> anchor;
  std::error_code ec;
  if (!anchor_option.empty() || std::filesystem::exists(anchor_path, ec)) {
    std::ifstream in(anchor_path, std::ios::binary);
    if (!in) {
      std::cerr << "logbot-cloud: cannot read the audit anchor " << anchor_path.string() << "\n";
      return 1;
    }
    std::ostringstream text;
    text << in.rdbuf();
    anchor = parse_anchor_file(text.str(), services.audit.chain_key());
    for (const std::string& warning : anchor->warnings)
      std::cerr << "warning: audit anchor " << anchor_path.string() << ": " << warning << "\n";
    if (anchor->error) {
      std::cout << "audit log BROKEN: the audit anchor " << anchor_path.string()
                << " cannot be trusted: " << *anchor->error << "\n";
      return 1;
    }
  } else {
    std::cerr << "note: no audit anchor at " << anchor_path.string()
              << ": only the chain is checked (deleting the newest entries would go unnoticed)\n";
  }
  const AuditVerification result = services.audit.verify(anchor ? &*anchor : nullptr);
  if (result.intact) {
    std::cout << "audit log intact: " << result.entries << " entries";
    if (anchor)
      std::cout << " (anchor " << anchor_path.string() << ": " << result.anchored_heads << " heads up to seq "
                << result.anchored_last_seq << ", all present)";
    std::cout << "\n";
    return 0;
  }
  std::cout << "audit log BROKEN: first broken entry: seq " << result.first_broken_seq << ": " << result.problem
            << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"logbot-cloud: the Logbot cloud (HTTPS API, web console, identity, audit)"};
  app.set_version_flag("--version", std::string("logbot-cloud ") + kVersion);
  app.require_subcommand(1);
  CommonOptions common;
  auto add_common = [&](CLI::App* command) {
    command->add_option("--config", common.config_file, "TOML configuration file")->check(CLI::ExistingFile);
    command->add_option("--data-dir", common.data_dir, "Data directory (database, TLS key and certificate)");
    command->add_option("--key-dir", common.key_dir, "Directory of the server keys (default: DATA_DIR/keys)");
    command->add_option("--audit-anchor", common.audit_anchor,
                        "File the audit chain head is appended to (default: KEY_DIR/audit-anchor.log)");
  };

  // serve
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTPS server");
  add_common(serve);
  std::string listen, tls_cert, tls_key, web_dir, ready_file, log_level;
  std::optional<std::int64_t> idle_s, absolute_s, second_factor_s, lockout_wait_s, sweep_s;
  std::optional<int> lockout_failures, lockout_ip_failures, workers, device_cert_days;
  std::optional<std::int64_t> enrolment_token_ttl_s, invitation_ttl_s;
  std::string public_url, device_listen, device_public_url;
  std::optional<int> device_heartbeat_s;
  std::optional<std::int64_t> device_cert_lifetime_s;
  serve->add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)");
  serve->add_option("--tls-cert", tls_cert, "PEM certificate chain (default: self-signed in DATA_DIR/tls)");
  serve->add_option("--tls-key", tls_key, "PEM private key");
  serve->add_option("--web-dir", web_dir, "Directory of the web console");
  serve->add_option("--ready-file", ready_file, "Write the base URL here once listening");
  serve->add_option("--log-level", log_level, "trace, debug, info, warn, error");
  serve->add_option("--workers", workers, "Request worker threads");
  serve->add_option("--session-idle-s", idle_s, "Session idle timeout in seconds (default 1800)");
  serve->add_option("--session-absolute-s", absolute_s, "Session absolute timeout in seconds (default 43200)");
  serve->add_option("--second-factor-timeout-s", second_factor_s,
                    "Time to enter the one-time code after the password, in seconds (default 300)");
  serve->add_option("--session-sweep-s", sweep_s,
                    "How often expired half-finished logins are recorded and removed, in seconds (default 60)");
  serve->add_option("--lockout-failures", lockout_failures, "Failed logins per account before a lockout (default 5)");
  serve->add_option("--lockout-ip-failures", lockout_ip_failures,
                    "Failed logins per source IP before a lockout (default 20)");
  serve->add_option("--lockout-wait-s", lockout_wait_s, "First lockout wait in seconds (default 60)");
  serve->add_option("--public-url", public_url, "https://HOST:PORT agents use to reach this cloud (default: --listen)");
  serve->add_option("--enrolment-token-ttl-s", enrolment_token_ttl_s,
                    "Lifetime of a device enrolment token in seconds (default 86400)");
  serve->add_option("--invitation-ttl-s", invitation_ttl_s,
                    "Lifetime of an invitation to an organisation in seconds (default 604800, 7 days)");
  serve->add_option("--device-cert-days", device_cert_days, "Lifetime of device certificates in days (default 365)");
  serve->add_option("--device-cert-lifetime-s", device_cert_lifetime_s,
                    "Lifetime of device certificates in seconds (overrides --device-cert-days; for tests)");
  serve->add_option("--device-listen", device_listen,
                    "IP:PORT of the devices' mTLS uplink (default: the --listen address, next port)");
  serve->add_option("--device-public-url", device_public_url, "wss://... URL announced to agents for the uplink");
  serve->add_option("--device-heartbeat-s", device_heartbeat_s, "Heartbeat interval asked of agents (default 10)");

  // admin
  CLI::App* admin =
      app.add_subcommand("admin", "Provision organisations and the operator account; reset a lost second factor");
  admin->require_subcommand(1);
  CLI::App* create_org = admin->add_subcommand("create-org", "Create an organisation and its owner");
  add_common(create_org);
  std::string org_name, owner_email, operator_email;
  bool password_stdin = false;
  create_org->add_option("NAME", org_name, "Organisation name")->required();
  create_org
      ->add_option("--owner", owner_email,
                   "Owner's e-mail: a new account (an existing one is refused; invite it through the operator API)")
      ->required();
  create_org->add_flag("--password-stdin", password_stdin, "Read the owner's password from standard input");
  CLI::App* create_operator = admin->add_subcommand("create-operator", "Create the platform operator's account");
  add_common(create_operator);
  create_operator->add_option("--email", operator_email, "Operator's e-mail")->required();
  create_operator->add_flag("--password-stdin", password_stdin, "Read the password from standard input");
  CLI::App* reset_2fa = admin->add_subcommand(
      "reset-2fa",
      "Remove an account's authenticator and recovery codes and end its sessions; its next login enrols anew");
  add_common(reset_2fa);
  std::string reset_email;
  reset_2fa->add_option("--email", reset_email, "The account's e-mail")->required();

  // audit
  CLI::App* audit = app.add_subcommand("audit", "Audit log tools");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Check the audit hash chain; names the first broken entry");
  add_common(verify);
  std::string anchor_file;
  verify->add_option("--anchor", anchor_file,
                     "Audit anchor file to check against (default: the configured one, if it exists)");

  // routes
  CLI::App* routes = app.add_subcommand("routes", "Print the HTTP route table");
  bool routes_json = false;
  routes->add_flag("--json", routes_json, "As JSON (default: Markdown, as in docs/API.md)");

  CLI11_PARSE(app, argc, argv);

  try {
    if (routes->parsed()) {
      std::cout << (routes_json ? api::routes_json() + "\n" : api::routes_markdown());
      return 0;
    }
    CloudConfig config = load_config(common);
    SystemClock clock;

    if (serve->parsed()) {
      if (!listen.empty()) config.listen = listen;
      if (!tls_cert.empty()) config.tls_cert = tls_cert;
      if (!tls_key.empty()) config.tls_key = tls_key;
      if (!web_dir.empty()) config.web_dir = web_dir;
      if (!log_level.empty()) config.log_level = log_level;
      if (workers) config.worker_threads = *workers;
      if (idle_s) config.session.idle_timeout_ms = *idle_s * 1000;
      if (absolute_s) config.session.absolute_timeout_ms = *absolute_s * 1000;
      if (second_factor_s) config.session.second_factor_timeout_ms = *second_factor_s * 1000;
      if (sweep_s) config.session.sweep_interval_ms = *sweep_s * 1000;
      if (lockout_failures) config.lockout.account_failure_factor = *lockout_failures;
      if (lockout_ip_failures) config.lockout.ip_failure_factor = *lockout_ip_failures;
      if (lockout_wait_s) config.lockout.wait_increment_ms = *lockout_wait_s * 1000;
      if (!public_url.empty()) config.public_url = public_url;
      if (enrolment_token_ttl_s) config.enrolment_token_ttl_ms = *enrolment_token_ttl_s * 1000;
      if (invitation_ttl_s) config.invitation_ttl_ms = *invitation_ttl_s * 1000;
      if (device_cert_days) config.device_certificate_days = *device_cert_days;
      if (device_cert_lifetime_s) config.device_certificate_lifetime_s = *device_cert_lifetime_s;
      if (!device_listen.empty()) config.device_listen = device_listen;
      if (!device_public_url.empty()) config.device_public_url = device_public_url;
      if (device_heartbeat_s) config.device_heartbeat_s = *device_heartbeat_s;
      if (config.web_dir.empty()) config.web_dir = default_web_dir();
      validate(config);
      spdlog::set_level(spdlog::level::from_str(config.log_level));
      spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
      for (const std::string& deprecation : config.deprecations) spdlog::warn("configuration: {}", deprecation);
      return process::serve(config, clock, {ready_file});
    }
    for (const std::string& deprecation : config.deprecations)
      std::cerr << "logbot-cloud: warning: configuration: " << deprecation << "\n";

    // Verification checks with the server's key and never makes a new one.
    auto services = open_services(config, clock, verify->parsed() ? KeyMode::kMustExist : KeyMode::kCreateIfMissing);
    if (create_org->parsed()) {
      const std::string password = read_password(password_stdin);
      const auto org = provision_org(*services, org_name, owner_email, password, Requester{});
      if (!org) {
        std::cerr << "logbot-cloud: " << org.error().message << "\n";
        return 1;
      }
      std::cout << "org " << org->org_id << " created, owner " << owner_email << " (" << org->owner_user_id << ")\n";
      return 0;
    }
    if (create_operator->parsed()) {
      const std::string password = read_password(password_stdin);
      const auto id = provision_operator(*services, operator_email, password, Requester{});
      if (!id) {
        std::cerr << "logbot-cloud: " << id.error().message << "\n";
        return 1;
      }
      std::cout << "operator " << operator_email << " created (" << *id << ")\n";
      return 0;
    }
    if (reset_2fa->parsed()) {
      const auto ended = reset_second_factor_by_email(*services, reset_email, Requester{});
      if (!ended) {
        std::cerr << "logbot-cloud: " << ended.error().message << "\n";
        return 1;
      }
      std::cout << "two-factor authentication of " << reset_email << " reset: " << *ended
                << " session(s) ended; the next login must enrol a new authenticator\n";
      return 0;
    }
    if (verify->parsed()) return verify_audit_log(*services, config, anchor_file);
  } catch (const ConfigError& error) {
    std::cerr << "logbot-cloud: configuration error: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "logbot-cloud: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
