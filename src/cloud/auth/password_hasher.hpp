// Argon2id password hashes (libsodium, PHC string format with its parameters inside).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace logbot::cloud {

struct Argon2Parameters {
  // OWASP Password Storage Cheat Sheet: Argon2id, m = 19 MiB, t = 2, p = 1 at minimum.
  std::uint64_t iterations = 2;
  std::size_t memory_bytes = std::size_t{19} * 1024 * 1024;
};

class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Parameters parameters = {});
  // PHC string "$argon2id$v=19$m=19456,t=2,p=1$salt$hash".
  std::string hash(std::string_view password) const;
  // Constant-time check of a password against a stored PHC string; false on a malformed string.
  bool verify(std::string_view password, const std::string& stored_hash) const;
  // Verifies against a fixed hash, so that an unknown account costs the same time as a known one.
  void burn_equivalent_time(std::string_view password) const;
  const Argon2Parameters& parameters() const { return parameters_; }

 private:
  Argon2Parameters parameters_;
  std::string dummy_hash_;
};

}  // namespace logbot::cloud
