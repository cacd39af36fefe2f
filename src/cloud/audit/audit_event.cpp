#include "cloud/audit/audit_event.hpp"

#include "common/crypto/hmac.hpp"

namespace logbot::cloud {
namespace {

struct CodeName {
  AuditCode code;
  std::string_view name;
};

constexpr CodeName kCodeNames[] = {
    {AuditCode::kLogin, "LOGIN"},
    {AuditCode::kLogout, "LOGOUT"},
    {AuditCode::kLoginError, "LOGIN_ERROR"},
    {AuditCode::kLockout, "LOCKOUT"},
    {AuditCode::kSessionRevoked, "SESSION_REVOKED"},
    {AuditCode::kSessionExpired, "SESSION_EXPIRED"},
    {AuditCode::kPasswordChange, "PASSWORD_CHANGE"},
    {AuditCode::kMemberAdded, "MEMBER_ADDED"},
    {AuditCode::kRoleChanged, "ROLE_CHANGED"},
    {AuditCode::kMemberRemoved, "MEMBER_REMOVED"},
    {AuditCode::kOrgCreated, "ORG_CREATED"},
    {AuditCode::kUserCreated, "USER_CREATED"},
    {AuditCode::kUpdateTotp, "UPDATE_TOTP"},
    {AuditCode::kRemoveTotp, "REMOVE_TOTP"},
    {AuditCode::kRecoveryCodesRegenerated, "RECOVERY_CODES_REGENERATED"},
    {AuditCode::kRecoveryCodeUsed, "RECOVERY_CODE_USED"},
    {AuditCode::kOrgPolicyChanged, "ORG_POLICY_CHANGED"},
    {AuditCode::kDeviceRegistered, "DEVICE_REGISTERED"},
    {AuditCode::kDeviceEnrolled, "DEVICE_ENROLLED"},
    {AuditCode::kDeviceRevoked, "DEVICE_REVOKED"},
    {AuditCode::kEnrollError, "ENROLL_ERROR"},
    {AuditCode::kEnrolmentTokenIssued, "ENROLMENT_TOKEN_ISSUED"},
    {AuditCode::kDeviceCertRenewed, "DEVICE_CERT_RENEWED"},
    {AuditCode::kDeviceCertRenewalConfirmed, "DEVICE_CERT_RENEWAL_CONFIRMED"},
    {AuditCode::kTotpResetByOwner, "TOTP_RESET_BY_OWNER"},
    {AuditCode::kTotpResetByOperator, "TOTP_RESET_BY_OPERATOR"},
    {AuditCode::kInvitationCreated, "INVITATION_CREATED"},
    {AuditCode::kInvitationAccepted, "INVITATION_ACCEPTED"},
    {AuditCode::kInvitationDeclined, "INVITATION_DECLINED"},
    {AuditCode::kInvitationRevoked, "INVITATION_REVOKED"},
    {AuditCode::kInvitationExpired, "INVITATION_EXPIRED"},
    {AuditCode::kLoginIncomplete, "LOGIN_INCOMPLETE"},
    {AuditCode::kAccessDenied, "ACCESS_DENIED"},
};

void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += '\n';
}

void append_optional(std::string& out, const std::optional<std::string>& field) {
  if (field)
    append_field(out, *field);
  else
    out += "-\n";  // distinct from any length-prefixed value, so NULL never equals ""
}

}  // namespace

std::string_view to_string(AuditCode code) {
  for (const CodeName& entry : kCodeNames)
    if (entry.code == code) return entry.name;
  return "UNKNOWN";
}

std::optional<AuditCode> parse_audit_code(std::string_view text) {
  for (const CodeName& entry : kCodeNames)
    if (entry.name == text) return entry.code;
  return std::nullopt;
}

std::string_view to_string(ActorType actor) {
  switch (actor) {
    case ActorType::kUser: return "user";
    case ActorType::kDevice: return "device";
    case ActorType::kSystem: return "system";
  }
  return "system";
}

std::string format_details(const AuditDetails& details) {
  std::string out;
  for (const auto& [key, value] : details) {
    if (!out.empty()) out += ", ";
    out += key;
    out += '=';
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) continue;
      if (c == ',' || c == '=' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

std::string audit_entry_hash(const AuditEntry& entry, std::string_view key) {
  std::string canonical = "logbot-audit-v2\n";
  append_field(canonical, std::to_string(entry.seq));
  append_field(canonical, std::to_string(entry.time_ms));
  append_field(canonical, entry.event);
  append_field(canonical, entry.actor_type);
  append_optional(canonical, entry.user_id);
  append_optional(canonical, entry.username);
  append_optional(canonical, entry.org_id);
  append_field(canonical, entry.ip);
  append_field(canonical, entry.client);
  append_field(canonical, entry.details);
  append_field(canonical, entry.prev_hash);
  return crypto::hmac_sha256_hex(key, canonical);
}

}  // namespace logbot::cloud
