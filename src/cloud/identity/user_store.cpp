#include "cloud/identity/user_store.hpp"

#include "cloud/db/database.hpp"
#include "cloud/identity/email_address.hpp"
#include "common/crypto/random.hpp"

namespace logbot::cloud {
namespace {

constexpr const char* kSelect = "SELECT id, email, display_name, password_hash, is_operator, created_ms FROM users ";

User user_from(const Row& row) {
  return User{row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4) != 0, row.integer(5)};
}

}  // namespace

std::optional<User> UserStore::find_by_email(const std::string& email) {
  std::optional<User> out;
  db_.query(std::string(kSelect) + "WHERE email = ?", {email}, [&](const Row& row) { out = user_from(row); });
  return out;
}

std::optional<User> UserStore::find_by_id(const std::string& id) {
  std::optional<User> out;
  db_.query(std::string(kSelect) + "WHERE id = ?", {id}, [&](const Row& row) { out = user_from(row); });
  return out;
}

User UserStore::create(const std::string& email, const std::string& display_name, const std::string& password_hash,
                       bool is_operator) {
  User user{crypto::uuid_v4(), email, display_name, password_hash, is_operator, clock_.now_ms()};
  db_.execute(
      "INSERT INTO users (id, email, display_name, password_hash, is_operator, created_ms, password_changed_ms) "
      "VALUES (?,?,?,?,?,?,?)",
      {user.id, user.email, user.display_name, user.password_hash, std::int64_t{is_operator ? 1 : 0}, user.created_ms,
       user.created_ms});
  return user;
}

void UserStore::set_password_hash(const std::string& user_id, const std::string& password_hash) {
  db_.execute("UPDATE users SET password_hash = ?, password_changed_ms = ? WHERE id = ?",
              {password_hash, clock_.now_ms(), user_id});
}

std::optional<std::string> normalize_email(std::string_view email) {
  if (email_address_problem(email)) return std::nullopt;
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  std::string out;
  for (char c : email) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return out;
}

}  // namespace logbot::cloud
