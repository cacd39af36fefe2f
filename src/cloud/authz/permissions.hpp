// Role-based authorisation: the one table that says which organisation role may do what.
// docs/SECURITY.md prints this matrix; the dispatcher checks every route against it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud {

enum class Role { kOwner, kAdmin, kEngineer, kViewer };
enum class Permission {
  kOrgRead,
  kOrgSettings,
  kMembersRead,
  kMembersWrite,
  kAuditRead,
  kDevicesRead,
  kDevicesWrite,
  kMembersResetSecondFactor,
};

inline constexpr Role kAllRoles[] = {Role::kOwner, Role::kAdmin, Role::kEngineer, Role::kViewer};
inline constexpr Permission kAllPermissions[] = {
    Permission::kOrgRead,   Permission::kOrgSettings, Permission::kMembersRead,  Permission::kMembersWrite,
    Permission::kAuditRead, Permission::kDevicesRead, Permission::kDevicesWrite, Permission::kMembersResetSecondFactor};

bool allows(Role role, Permission permission);
// Whether `actor` may give `target_role` to someone, or change/remove someone holding it:
// only owners hand out or take away ownership.
bool may_manage_role(Role actor, Role target_role);
// True for permissions that change state (a viewer attempting them gets 403).
bool is_write(Permission permission);

std::string_view to_string(Role role);
std::string_view to_string(Permission permission);
std::optional<Role> parse_role(std::string_view text);

}  // namespace logbot::cloud
