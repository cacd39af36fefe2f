// The audit event schema: stable event codes, actor types, client kinds and the one record
// type that every audit write uses.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logbot::cloud {

// Stable codes: they are stored and exported, so never rename one; add new ones at the end.
enum class AuditCode {
  kLogin,
  kLogout,
  kLoginError,
  kLockout,
  kSessionRevoked,
  kSessionExpired,
  kPasswordChange,
  kMemberAdded,
  kRoleChanged,
  kMemberRemoved,
  kOrgCreated,
  kUserCreated,
  kUpdateTotp,
  kRemoveTotp,
  kRecoveryCodesRegenerated,
  kRecoveryCodeUsed,
  kOrgPolicyChanged,
  kDeviceRegistered,
  kDeviceEnrolled,
  kDeviceRevoked,
  kEnrollError,
  kEnrolmentTokenIssued,
  kDeviceCertRenewed,
  kDeviceCertRenewalConfirmed,  // the device connected with its renewed certificate: the previous one ends
  kTotpResetByOwner,
  kTotpResetByOperator,
  kInvitationCreated,
  kInvitationAccepted,
  kInvitationDeclined,
  kInvitationRevoked,
  kInvitationExpired,
  kLoginIncomplete,  // the password was accepted, the second factor never completed
  kAccessDenied,     // an organisation route refused the caller (rate-limited)
};

enum class ActorType { kUser, kDevice, kSystem };

std::string_view to_string(AuditCode code);
std::optional<AuditCode> parse_audit_code(std::string_view text);
std::string_view to_string(ActorType actor);

using AuditDetails = std::vector<std::pair<std::string, std::string>>;

// "key=value, key=value"; ',', '=' and '\' inside values are escaped with '\', control
// characters dropped, so the string splits back unambiguously.
std::string format_details(const AuditDetails& details);

// What a caller hands to AuditLog::append.
struct AuditRecord {
  AuditCode code = AuditCode::kLogin;
  ActorType actor_type = ActorType::kUser;
  std::optional<std::string> user_id;
  std::optional<std::string> username;
  std::optional<std::string> org_id;
  std::string ip;
  std::string client;  // web, cli, agent, admin-cli
  AuditDetails details;
};

// A stored entry as read back.
struct AuditEntry {
  std::int64_t seq = 0;
  std::int64_t time_ms = 0;
  std::string event;
  std::string actor_type;
  std::optional<std::string> user_id;
  std::optional<std::string> username;
  std::optional<std::string> org_id;
  std::string ip;
  std::string client;
  std::string details;
  std::string prev_hash;
  std::string hash;
};

// The hash chain: HMAC-SHA-256, under a key kept outside the database, over the
// length-prefixed fields of the entry and the previous entry's hash. Without the key an
// edited entry cannot be given a matching hash.
std::string audit_entry_hash(const AuditEntry& entry, std::string_view key);
inline constexpr const char* kAuditGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace logbot::cloud
