#include "cloud/authz/permissions.hpp"

namespace logbot::cloud {
namespace {

struct MatrixRow {
  Permission permission;
  bool owner, admin, engineer, viewer;
  bool write;
};

// The permission matrix. Change it here and in docs/SECURITY.md together.
// clang-format off
constexpr MatrixRow kMatrix[] = {
    //                          owner  admin  engineer viewer  write
    {Permission::kOrgRead,      true,  true,  true,    true,   false},
    {Permission::kOrgSettings,  true,  true,  false,   false,  true},
    {Permission::kMembersRead,  true,  true,  true,    true,   false},
    {Permission::kMembersWrite, true,  true,  false,   false,  true},
    {Permission::kAuditRead,    true,  true,  false,   false,  false},
    {Permission::kDevicesRead,  true,  true,  true,    true,   false},
    {Permission::kDevicesWrite, true,  true,  false,   false,  true},
    // Resetting a member's second factor lets whoever knows their password enrol a new one:
    // only owners, who hold the organisation's highest trust.
    {Permission::kMembersResetSecondFactor, true, false, false, false, true},
};
// clang-format on

const MatrixRow& row_of(Permission permission) {
  for (const MatrixRow& row : kMatrix)
    if (row.permission == permission) return row;
  return kMatrix[0];
}

}  // namespace

bool allows(Role role, Permission permission) {
  const MatrixRow& row = row_of(permission);
  switch (role) {
    case Role::kOwner: return row.owner;
    case Role::kAdmin: return row.admin;
    case Role::kEngineer: return row.engineer;
    case Role::kViewer: return row.viewer;
  }
  return false;
}

bool may_manage_role(Role actor, Role target_role) {
  if (target_role == Role::kOwner) return actor == Role::kOwner;
  return allows(actor, Permission::kMembersWrite);
}

bool is_write(Permission permission) {
  return row_of(permission).write;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kOwner: return "owner";
    case Role::kAdmin: return "admin";
    case Role::kEngineer: return "engineer";
    case Role::kViewer: return "viewer";
  }
  return "viewer";
}

std::string_view to_string(Permission permission) {
  switch (permission) {
    case Permission::kOrgRead: return "org.read";
    case Permission::kOrgSettings: return "org.settings";
    case Permission::kMembersRead: return "members.read";
    case Permission::kMembersWrite: return "members.write";
    case Permission::kAuditRead: return "audit.read";
    case Permission::kDevicesRead: return "devices.read";
    case Permission::kDevicesWrite: return "devices.write";
    case Permission::kMembersResetSecondFactor: return "members.reset_2fa";
  }
  return "";
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role role : kAllRoles)
    if (to_string(role) == text) return role;
  return std::nullopt;
}

}  // namespace logbot::cloud
