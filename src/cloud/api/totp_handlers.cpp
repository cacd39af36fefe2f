// Two-factor authentication: the second login step, and each user's authenticator
// enrolment and management. RFC 6238 codes via liboath (auth/totp.hpp); every accepted time
// step is recorded so that no code works twice (auth/totp_store.hpp).
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cloud/api/abandoned_logins.hpp"
#include "cloud/api/handlers.hpp"
#include "cloud/api/json_body.hpp"
#include "cloud/auth/password_policy.hpp"
#include "cloud/auth/qr_svg.hpp"
#include "cloud/auth/recovery_codes.hpp"
#include "cloud/auth/totp.hpp"
#include "cloud/db/database.hpp"
#include "cloud/http/cookies.hpp"
#include "cloud/services.hpp"

namespace logbot::cloud::api {
namespace {

constexpr const char* kIssuer = "Logbot";

std::int64_t now_seconds(const Services& services) {
  return services.clock.now_ms() / 1000;
}

boost::json::array to_json(const std::vector<std::string>& codes) {
  boost::json::array out;
  for (const auto& code : codes) out.emplace_back(code);
  return out;
}

enum class CodeCheck { kAccepted, kWrong, kReplayed };

// Checks a one-time code against the user's enabled authenticator and uses up its step.
CodeCheck check_code(Services& services, const std::string& user_id, const std::string& code) {
  const auto state = services.totp.find(user_id);
  if (!state || !state->enabled) return CodeCheck::kWrong;
  const auto step = match_totp(state->raw_secret, code, now_seconds(services));
  if (!step) return CodeCheck::kWrong;
  return services.totp.accept_step(user_id, *step) ? CodeCheck::kAccepted : CodeCheck::kReplayed;
}

// The body of the routes that need the account's password and a one-time code.
struct PasswordAndCode {
  std::string password;
  std::string code;
};
Result<PasswordAndCode> password_and_code(const RequestContext& context) {
  auto body = JsonBody::parse(context.request.body);
  if (!body) return body.error();
  auto password = body->required_string("password", kMaximumPasswordLength);
  if (!password) return password.error();
  auto code = body->required_string("code", 16);
  if (!code) return code.error();
  return PasswordAndCode{std::move(*password), std::move(*code)};
}

// Disabling 2FA and new recovery codes need the password and a current code.
std::optional<http::Response> check_password_and_code(RequestContext& context, AuditCode action) {
  Services& services = context.services;
  auto fields = password_and_code(context);
  if (!fields) return bad_request(fields.error());
  const auto& [password, code] = *fields;

  AuditRecord failure;
  if (auto refusal = check_current_password(context, action, password, failure, "password+totp")) return refusal;
  const CodeCheck checked = check_code(services, context.user->id, code);
  if (checked != CodeCheck::kAccepted) {
    record_password_failure(context, failure, context.user->email, "invalid_totp",
                            checked == CodeCheck::kReplayed ? "replayed" : "");
    return http::error_response(403, "invalid_totp", "the one-time code is not correct or was used already");
  }
  return std::nullopt;
}

}  // namespace

// Every change of the second factor needs the current password, so a hijacked session alone
// can neither weaken the account nor enrol an attacker's authenticator in it (which would lock
// the owner out). A wrong password is a LOGIN_ERROR and counts towards the lockout like one at
// login. `auth_method` is what the request proves: "password" or "password+totp".
std::optional<http::Response> check_current_password(RequestContext& context, AuditCode action,
                                                     const std::string& password, AuditRecord& failure,
                                                     std::string_view auth_method) {
  const std::string& account = context.user->email;
  failure = audit_record(context, AuditCode::kLoginError);
  failure.details = {
      {"auth_method", std::string(auth_method)}, {"username", account}, {"action", std::string(to_string(action))}};
  if (auto refusal = refuse_if_locked(context, failure, account)) return refusal;
  if (!context.services.hasher.verify(password, context.user->password_hash)) {
    record_password_failure(context, failure, account);
    return http::error_response(403, "wrong_password", "the password is not correct");
  }
  return std::nullopt;
}

http::Response second_factor(RequestContext& context) {
  Services& services = context.services;
  const Session& session = *context.session;
  if (session.stage != SessionStage::kTotpRequired)
    return http::error_response(409, "no_second_factor_pending", "this session is not waiting for a one-time code");
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto code_field = body->optional_string("code", 16);
  if (!code_field) return bad_request(code_field.error());
  auto recovery_code_field = body->optional_string("recovery_code", 32);
  if (!recovery_code_field) return bad_request(recovery_code_field.error());
  const std::optional<std::string>& code = *code_field;
  const std::optional<std::string>& recovery_code = *recovery_code_field;
  if (code.has_value() == recovery_code.has_value())
    return http::error_response(400, "bad_request", "send either 'code' or 'recovery_code'");

  const User& user = *context.user;
  const std::string auth_method = code ? "password+totp" : "password+recovery_code";
  AuditRecord failure = audit_record(context, AuditCode::kLoginError);
  failure.details = {{"auth_method", auth_method}, {"username", user.email}};
  if (auto refusal = refuse_if_locked(context, failure, user.email)) return *refusal;

  bool accepted = false;
  bool replayed = false;
  if (code) {
    const CodeCheck checked = check_code(services, user.id, *code);
    accepted = checked == CodeCheck::kAccepted;
    replayed = checked == CodeCheck::kReplayed;
  } else {
    accepted = services.totp.use_recovery_code(user.id, *recovery_code);
  }
  if (!accepted) {
    record_password_failure(context, failure, user.email, "invalid_totp", replayed ? "replayed" : "");
    const bool may_retry = services.sessions.count_second_factor_failure(session);
    if (!may_retry) record_login_incomplete(services, session, "too_many_wrong_codes");
    http::Response response = http::error_response(401, "invalid_totp",
                                                   may_retry ? "the one-time code is not correct or was used already"
                                                             : "too many wrong codes: log in again with your password");
    if (!may_retry) response.set_header("Set-Cookie", http::expired_session_cookie());
    return response;
  }

  services.throttle.record_success(user.email);
  const NewSession full = services.sessions.promote(session);
  AuditRecord login = audit_record(context, AuditCode::kLogin);
  login.details = {{"auth_method", auth_method}, {"username", user.email}};
  services.audit.append(login);
  if (recovery_code) {
    AuditRecord used = audit_record(context, AuditCode::kRecoveryCodeUsed);
    used.details = {{"username", user.email},
                    {"remaining", std::to_string(services.totp.recovery_codes_remaining(user.id))}};
    services.audit.append(used);
  }
  services.metrics.count_login(true);
  return session_established(context, user, full);
}

http::Response totp_status(RequestContext& context) {
  Services& services = context.services;
  const auto state = services.totp.find(context.user->id);
  boost::json::object o{
      {"enabled", state && state->enabled},
      {"pending", state && state->pending},
      {"recovery_codes_remaining", services.totp.recovery_codes_remaining(context.user->id)},
      {"required", services.orgs.requires_2fa(context.user->id) || services.totp.enrolment_required(context.user->id)}};
  return http::json_response(200, boost::json::serialize(o));
}

http::Response start_totp_enrolment(RequestContext& context) {
  Services& services = context.services;
  auto body = JsonBody::parse(context.request.body);
  if (!body) return bad_request(body.error());
  auto password = body->required_string("password", kMaximumPasswordLength);
  if (!password) return bad_request(password.error());
  if (services.totp.is_enabled(context.user->id))
    return http::error_response(409, "totp_enabled", "two-factor authentication is on already; disable it first");
  // Also in the enrolment stage of a login, where the password was just typed: one rule for
  // every session, so no stage is a way around it.
  AuditRecord failure;
  if (auto refusal = check_current_password(context, AuditCode::kUpdateTotp, *password, failure, "password"))
    return *refusal;
  const std::string secret = base32_encode(services.totp.start_enrolment(context.user->id));
  boost::json::object o{{"secret", group_in_fours(secret)},
                        {"secret_base32", secret},
                        {"otpauth_uri", otpauth_uri(kIssuer, context.user->email, secret)},
                        {"algorithm", "SHA1"},
                        {"digits", kTotpDigits},
                        {"period", kTotpPeriodSeconds}};
  return http::json_response(201, boost::json::serialize(o));
}

http::Response totp_enrolment_qr(RequestContext& context) {
  const auto state = context.services.totp.find(context.user->id);
  if (!state || !state->pending) return http::error_response(404, "not_found", "no enrolment is pending");
  const auto svg = qr_code_svg(otpauth_uri(kIssuer, context.user->email, base32_encode(state->raw_secret)));
  if (!svg) return http::error_response(500, "internal", "the QR code could not be made");
  http::Response response;
  response.body = *svg;
  response.set_header("Content-Type", "image/svg+xml");
  return response;
}

http::Response confirm_totp_enrolment(RequestContext& context) {
  Services& services = context.services;
  auto fields = password_and_code(context);
  if (!fields) return bad_request(fields.error());
  const auto& [password, code] = *fields;
  const auto state = services.totp.find(context.user->id);
  if (!state || !state->pending)
    return http::error_response(409, "no_enrolment", "start the enrolment first (the QR code step)");
  // The password again: a session taken over after the start must not be able to finish it.
  AuditRecord failure;
  if (auto refusal = check_current_password(context, AuditCode::kUpdateTotp, password, failure, "password"))
    return *refusal;
  const auto step = match_totp(state->raw_secret, code, now_seconds(services));
  if (!step)
    return http::error_response(400, "invalid_totp",
                                "the one-time code does not match: check the phone's clock and try the next code");

  Transaction tx(*services.db);
  services.totp.confirm_enrolment(context.user->id, *step);
  const std::vector<std::string> codes = services.totp.replace_recovery_codes(context.user->id);
  AuditRecord record = audit_record(context, AuditCode::kUpdateTotp);
  record.details = {{"username", context.user->email},
                    {"type", "totp"},
                    {"algorithm", "SHA1"},
                    {"digits", std::to_string(kTotpDigits)},
                    {"period", std::to_string(kTotpPeriodSeconds)}};
  services.audit.append(record);
  std::optional<NewSession> promoted;
  if (context.session->stage == SessionStage::kTotpEnrolmentRequired) {
    promoted = services.sessions.promote(*context.session);
    AuditRecord login = audit_record(context, AuditCode::kLogin);
    login.details = {{"auth_method", "password+totp"}, {"username", context.user->email}};
    services.audit.append(login);
  }
  tx.commit();

  boost::json::object o{{"recovery_codes", to_json(codes)}};
  if (!promoted) return http::json_response(200, boost::json::serialize(o));
  services.metrics.count_login(true);
  o["stage"] = to_string(SessionStage::kFull);
  o["csrf_token"] = promoted->session.csrf_token;
  http::Response response = http::json_response(200, boost::json::serialize(o));
  const std::int64_t lifetime_ms = promoted->session.absolute_expiry_ms - services.clock.now_ms();
  response.set_header("Set-Cookie", http::session_cookie(promoted->token, static_cast<long>(lifetime_ms / 1000)));
  return response;
}

http::Response cancel_totp_enrolment(RequestContext& context) {
  context.services.totp.cancel_enrolment(context.user->id);
  return http::no_content();
}

http::Response disable_totp(RequestContext& context) {
  Services& services = context.services;
  if (auto refusal = check_password_and_code(context, AuditCode::kRemoveTotp)) return *refusal;
  Transaction tx(*services.db);
  services.totp.remove(context.user->id);
  AuditRecord record = audit_record(context, AuditCode::kRemoveTotp);
  record.details = {{"username", context.user->email}, {"type", "totp"}};
  services.audit.append(record);
  tx.commit();
  return http::no_content();
}

http::Response regenerate_recovery_codes(RequestContext& context) {
  Services& services = context.services;
  if (auto refusal = check_password_and_code(context, AuditCode::kRecoveryCodesRegenerated)) return *refusal;
  Transaction tx(*services.db);
  const std::vector<std::string> codes = services.totp.replace_recovery_codes(context.user->id);
  AuditRecord record = audit_record(context, AuditCode::kRecoveryCodesRegenerated);
  record.details = {{"username", context.user->email}, {"count", std::to_string(codes.size())}};
  services.audit.append(record);
  tx.commit();
  return http::json_response(200, boost::json::serialize(boost::json::object{{"recovery_codes", to_json(codes)}}));
}

}  // namespace logbot::cloud::api
