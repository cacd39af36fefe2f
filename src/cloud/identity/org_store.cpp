#include "cloud/identity/org_store.hpp"

#include "cloud/db/database.hpp"
#include "common/crypto/random.hpp"

namespace logbot::cloud {
namespace {

constexpr const char* kMembershipSelect =
    "SELECT m.org_id, o.name, m.user_id, u.email, u.display_name, m.role, m.added_ms, "
    "COALESCE((SELECT t.enabled FROM user_totp t WHERE t.user_id = m.user_id), 0), o.require_2fa "
    "FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id ";

Membership membership_from(const Row& row) {
  Membership m;
  m.org_id = row.text(0);
  m.org_name = row.text(1);
  m.user_id = row.text(2);
  m.email = row.text(3);
  m.display_name = row.text(4);
  m.role = parse_role(row.text(5)).value_or(Role::kViewer);
  m.added_ms = row.integer(6);
  m.totp_enabled = row.integer(7) != 0;
  m.org_requires_2fa = row.integer(8) != 0;
  return m;
}

}  // namespace

Org OrgStore::create(const std::string& name) {
  Org org{crypto::uuid_v4(), name, clock_.now_ms(), false};
  db_.execute("INSERT INTO orgs (id, name, created_ms) VALUES (?,?,?)", {org.id, org.name, org.created_ms});
  return org;
}

std::optional<Org> OrgStore::find(const std::string& org_id) {
  std::optional<Org> out;
  db_.query("SELECT id, name, created_ms, require_2fa FROM orgs WHERE id = ?", {org_id}, [&](const Row& row) {
    out = Org{row.text(0), row.text(1), row.integer(2), row.integer(3) != 0};
  });
  return out;
}

std::vector<OrgSummary> OrgStore::list_all() {
  std::vector<OrgSummary> out;
  db_.query(
      "SELECT o.id, o.name, o.created_ms, (SELECT COUNT(*) FROM memberships m WHERE m.org_id = o.id) "
      "FROM orgs o ORDER BY o.name",
      {}, [&](const Row& row) {
        out.push_back({Org{row.text(0), row.text(1), row.integer(2), false}, row.integer(3)});
      });
  return out;
}

std::optional<Membership> OrgStore::membership(const std::string& org_id, const std::string& user_id) {
  std::optional<Membership> out;
  db_.query(std::string(kMembershipSelect) + "WHERE m.org_id = ? AND m.user_id = ?", {org_id, user_id},
            [&](const Row& row) { out = membership_from(row); });
  return out;
}

std::vector<Membership> OrgStore::memberships_of_user(const std::string& user_id) {
  std::vector<Membership> out;
  db_.query(std::string(kMembershipSelect) + "WHERE m.user_id = ? ORDER BY o.name", {user_id},
            [&](const Row& row) { out.push_back(membership_from(row)); });
  return out;
}

std::vector<Membership> OrgStore::members(const std::string& org_id) {
  std::vector<Membership> out;
  db_.query(std::string(kMembershipSelect) + "WHERE m.org_id = ? ORDER BY u.email", {org_id},
            [&](const Row& row) { out.push_back(membership_from(row)); });
  return out;
}

void OrgStore::add_member(const std::string& org_id, const std::string& user_id, Role role) {
  db_.execute("INSERT INTO memberships (org_id, user_id, role, added_ms) VALUES (?,?,?,?)",
              {org_id, user_id, std::string(to_string(role)), clock_.now_ms()});
}

void OrgStore::set_role(const std::string& org_id, const std::string& user_id, Role role) {
  db_.execute("UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?",
              {std::string(to_string(role)), org_id, user_id});
}

void OrgStore::remove_member(const std::string& org_id, const std::string& user_id) {
  db_.execute("DELETE FROM memberships WHERE org_id = ? AND user_id = ?", {org_id, user_id});
}

void OrgStore::set_require_2fa(const std::string& org_id, bool required) {
  db_.execute("UPDATE orgs SET require_2fa = ? WHERE id = ?", {std::int64_t{required ? 1 : 0}, org_id});
}

bool OrgStore::requires_2fa(const std::string& user_id) {
  return db_.query_integer(
                "SELECT COUNT(*) FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? AND "
                "o.require_2fa = 1",
                {user_id})
             .value_or(0) > 0;
}

bool OrgStore::has_member_with_email(const std::string& org_id, const std::string& email) {
  return db_.query_integer(
                "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND "
                "u.email = ?",
                {org_id, email})
             .value_or(0) > 0;
}

std::int64_t OrgStore::count_owners(const std::string& org_id) {
  return db_.query_integer("SELECT COUNT(*) FROM memberships WHERE org_id = ? AND role = 'owner'", {org_id})
      .value_or(0);
}

}  // namespace logbot::cloud
