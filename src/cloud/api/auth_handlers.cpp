// POST /api/v1/auth/login and /logout: password check, brute-force throttle, session
// creation with a fresh id, and their audit entries.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/api/abandoned_logins.hpp"
#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/auth/password_policy.hpp"
#include "cloud/http/cookies.hpp"
#include "cloud/services.hpp"

namespace logbot::cloud::api {
namespace {

constexpr const char* kInvalidCredentials = "invalid e-mail or password";

http::Response locked_response(std::int64_t wait_ms) {
  const std::int64_t seconds = (wait_ms + 999) / 1000;
  boost::json::object o{{"error", "locked"},
                        {"message", "too many failed logins; try again in " + std::to_string(seconds) + " s"},
                        {"retry_after_s", seconds}};
  http::Response response = http::json_response(429, boost::json::serialize(o));
  response.set_header("Retry-After", std::to_string(seconds));
  return response;
}

}  // namespace

std::optional<http::Response> refuse_if_locked(RequestContext& context, AuditRecord record,
                                               const std::string& account) {
  Services& services = context.services;
  const auto wait = services.throttle.retry_after_ms(account, context.request.peer_ip);
  if (!wait) return std::nullopt;
  services.metrics.count_login(false);
  // While locked, a refusal costs no password check, so it is cheap to repeat: at most one
  // entry per source address and minute (with the count it stands for), so nobody can flood
  // the chain or an account's log with junk addresses. The LOCKOUT itself is always written.
  if (const auto admitted = services.locked_logins.admit(context.request.peer_ip)) {
    record.details.emplace_back("error", "temporarily_locked");
    if (admitted->suppressed > 0) record.details.emplace_back("suppressed", std::to_string(admitted->suppressed));
    if (admitted->overflow > 0) record.details.emplace_back("suppressed_other", std::to_string(admitted->overflow));
    services.audit.append(record);
  }
  return locked_response(*wait);
}

void record_password_failure(RequestContext& context, AuditRecord record, const std::string& account,
                             std::string_view error, std::string_view reason) {
  Services& services = context.services;
  const auto outcome = services.throttle.record_failure(account, context.request.peer_ip);
  services.metrics.count_login(false);
  record.details.emplace_back("error", std::string(error));
  if (!reason.empty()) record.details.emplace_back("reason", std::string(reason));
  services.audit.append(record);
  if (!outcome.locked_for_ms) return;
  services.metrics.count_lockout();
  AuditRecord lockout = record;
  lockout.code = AuditCode::kLockout;
  lockout.actor_type = ActorType::kSystem;
  // `failures` counts what was locked: an address locked by failures spread over many
  // accounts must show the address's count, not the last account's.
  const int failures = outcome.account_locked ? outcome.account_failures : outcome.ip_failures;
  lockout.details = {{"username", account},
                     {"locked", outcome.account_locked ? (outcome.ip_locked ? "account+ip" : "account") : "ip"},
                     {"failures", std::to_string(failures)},
                     {"account_failures", std::to_string(outcome.account_failures)},
                     {"ip_failures", std::to_string(outcome.ip_failures)},
                     {"wait_s", std::to_string(*outcome.locked_for_ms / 1000)}};
  services.audit.append(lockout);
}

http::Response login(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto email = body->required_string("email", 320);
  if (!email) return bad_request(email.error());
  auto password = body->required_string("password", kMaximumPasswordLength);
  if (!password) return bad_request(password.error());

  // The throttle is keyed by what was typed, so an unknown e-mail is throttled exactly like a known one.
  const std::string account = normalize_email(*email).value_or(*email);
  std::optional<User> user = services.users.find_by_email(account);

  AuditRecord record = audit_record(context, AuditCode::kLoginError);
  record.username = account;
  if (user) record.user_id = user->id;
  record.details = {{"auth_method", "password"}, {"username", account}};
  if (auto refusal = refuse_if_locked(context, record, account)) return *refusal;

  bool ok = false;
  if (user)
    ok = services.hasher.verify(*password, user->password_hash);
  else
    services.hasher.burn_equivalent_time(*password);
  if (!ok) {
    record_password_failure(context, record, account);
    return http::error_response(401, "invalid_credentials", kInvalidCredentials);
  }

  const std::string user_agent(context.request.header("user-agent"));
  if (services.totp.is_enabled(user->id)) {
    // The throttle is not reset here: only a complete login does that, so the password
    // cannot be used to reset the count of wrong one-time codes.
    const NewSession half = services.sessions.create(user->id, context.request.peer_ip, context.client, user_agent,
                                                     SessionStage::kTotpRequired);
    return session_established(context, *user, half);
  }
  // An organisation that requires 2FA does not hold up the login: it refuses its own routes
  // (403 org_requires_2fa) until the member has enrolled, and nothing else.
  services.throttle.record_success(account);
  // A reset of the second factor by an owner or the operator: enrol a new authenticator
  // before anything else.
  if (services.totp.enrolment_required(user->id)) {
    const NewSession enrol = services.sessions.create(user->id, context.request.peer_ip, context.client, user_agent,
                                                      SessionStage::kTotpEnrolmentRequired);
    return session_established(context, *user, enrol);
  }
  const NewSession created = services.sessions.create(user->id, context.request.peer_ip, context.client, user_agent);
  context.user = user;
  AuditRecord success = audit_record(context, AuditCode::kLogin);
  success.details = {{"auth_method", "password"}, {"username", user->email}};
  services.audit.append(success);
  services.metrics.count_login(true);
  return session_established(context, *user, created);
}

http::Response session_established(RequestContext& context, const User& user, const NewSession& session) {
  boost::json::object o{{"user", user_json(user)},
                        {"csrf_token", session.session.csrf_token},
                        {"stage", to_string(session.session.stage)}};
  http::Response response = http::json_response(200, boost::json::serialize(o));
  const std::int64_t lifetime_ms = session.session.absolute_expiry_ms - context.services.clock.now_ms();
  response.set_header("Set-Cookie", http::session_cookie(session.token, static_cast<long>(lifetime_ms / 1000)));
  return response;
}

http::Response logout(RequestContext& context) {
  const bool revoked = context.services.sessions.revoke(context.user->id, context.session->id);
  // An abandoned half login wrote no LOGIN, so it writes no LOGOUT: it ends as LOGIN_INCOMPLETE
  // (unless the sweep took it meanwhile and recorded it).
  if (context.session->stage != SessionStage::kFull) {
    if (revoked) record_login_incomplete(context.services, *context.session, "logout");
  } else {
    AuditRecord record = audit_record(context, AuditCode::kLogout);
    record.details = {{"username", context.user->email}, {"session", context.session->id}};
    context.services.audit.append(record);
  }
  http::Response response = http::no_content();
  response.set_header("Set-Cookie", http::expired_session_cookie());
  return response;
}

}  // namespace logbot::cloud::api
