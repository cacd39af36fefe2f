// Organisations (tenants) and memberships with their role. Everything a customer owns
// hangs off an organisation.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cloud/authz/permissions.hpp"
#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

struct Org {
  std::string id;
  std::string name;
  std::int64_t created_ms = 0;
  bool require_2fa = false;
};

struct Membership {
  std::string org_id;
  std::string org_name;
  std::string user_id;
  std::string email;
  std::string display_name;
  Role role = Role::kViewer;
  std::int64_t added_ms = 0;
  bool totp_enabled = false;
  bool org_requires_2fa = false;  // the organisation's policy
};

struct OrgSummary {
  Org org;
  std::int64_t member_count = 0;
};

class OrgStore {
 public:
  OrgStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  // Throws DatabaseError (constraint) when the name is taken.
  Org create(const std::string& name);
  std::optional<Org> find(const std::string& org_id);
  std::vector<OrgSummary> list_all();
  std::optional<Membership> membership(const std::string& org_id, const std::string& user_id);
  std::vector<Membership> memberships_of_user(const std::string& user_id);
  std::vector<Membership> members(const std::string& org_id);
  void add_member(const std::string& org_id, const std::string& user_id, Role role);
  void set_role(const std::string& org_id, const std::string& user_id, Role role);
  void remove_member(const std::string& org_id, const std::string& user_id);
  std::int64_t count_owners(const std::string& org_id);
  void set_require_2fa(const std::string& org_id, bool required);
  // True when any organisation of the user requires two-factor authentication (shown on the
  // account page; each policy gates only its own organisation's routes).
  bool requires_2fa(const std::string& user_id);
  // Whether `email` is a member of the organisation. Looks at nothing else about the
  // account, so an invitation's answer cannot tell whether the address has one.
  bool has_member_with_email(const std::string& org_id, const std::string& email);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace logbot::cloud
