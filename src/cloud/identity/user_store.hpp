// Local user accounts (e-mail, display name, Argon2id hash, operator flag).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace logbot::cloud {
class Database;

struct User {
  std::string id;
  std::string email;
  std::string display_name;
  std::string password_hash;
  bool is_operator = false;
  std::int64_t created_ms = 0;
};

class UserStore {
 public:
  UserStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  std::optional<User> find_by_email(const std::string& email);
  std::optional<User> find_by_id(const std::string& id);
  // Throws DatabaseError (constraint) when the e-mail exists.
  User create(const std::string& email, const std::string& display_name, const std::string& password_hash,
              bool is_operator);
  void set_password_hash(const std::string& user_id, const std::string& password_hash);

 private:
  Database& db_;
  const Clock& clock_;
};

// Lower-cases and trims an e-mail address; nullopt when email_address_problem() refuses it.
std::optional<std::string> normalize_email(std::string_view email);

}  // namespace logbot::cloud
