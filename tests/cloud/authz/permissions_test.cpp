#include "cloud/authz/permissions.hpp"

#include <gtest/gtest.h>

namespace logbot::cloud {
namespace {

TEST(Permissions, MatrixAsDocumented) {
  // Rows: docs/SECURITY.md, "Permission matrix".
  struct Expect {
    Permission permission;
    bool owner, admin, engineer, viewer;
  };
  const Expect table[] = {
      {Permission::kOrgRead, true, true, true, true},
      {Permission::kOrgSettings, true, true, false, false},
      {Permission::kMembersRead, true, true, true, true},
      {Permission::kMembersWrite, true, true, false, false},
      {Permission::kAuditRead, true, true, false, false},
      {Permission::kDevicesRead, true, true, true, true},
      {Permission::kDevicesWrite, true, true, false, false},
      {Permission::kMembersResetSecondFactor, true, false, false, false},
  };
  for (const Expect& e : table) {
    EXPECT_EQ(allows(Role::kOwner, e.permission), e.owner) << to_string(e.permission);
    EXPECT_EQ(allows(Role::kAdmin, e.permission), e.admin) << to_string(e.permission);
    EXPECT_EQ(allows(Role::kEngineer, e.permission), e.engineer) << to_string(e.permission);
    EXPECT_EQ(allows(Role::kViewer, e.permission), e.viewer) << to_string(e.permission);
  }
}

TEST(Permissions, ViewerHasNoWritePermission) {
  for (Permission p : kAllPermissions)
    if (is_write(p)) {
      EXPECT_FALSE(allows(Role::kViewer, p)) << to_string(p);
    }
}

TEST(Permissions, OnlyOwnersManageTheOwnerRole) {
  EXPECT_TRUE(may_manage_role(Role::kOwner, Role::kOwner));
  EXPECT_FALSE(may_manage_role(Role::kAdmin, Role::kOwner));
  EXPECT_TRUE(may_manage_role(Role::kAdmin, Role::kEngineer));
  EXPECT_FALSE(may_manage_role(Role::kEngineer, Role::kViewer));
}

TEST(Permissions, RoleNamesRoundTrip) {
  for (Role r : kAllRoles) EXPECT_EQ(parse_role(to_string(r)), r);
  EXPECT_FALSE(parse_role("Owner"));
  EXPECT_FALSE(parse_role("root"));
}

}  // namespace
}  // namespace logbot::cloud
