#include "cloud/auth/password_hasher.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace logbot::cloud {

PasswordHasher::PasswordHasher(Argon2Parameters parameters) : parameters_(parameters) {
  if (sodium_init() < 0) {
    std::fputs("fatal: libsodium failed to initialise\n", stderr);
    std::abort();
  }
  dummy_hash_ = hash("logbot-dummy-password-for-timing");
}

std::string PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), parameters_.iterations, parameters_.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    std::fputs("fatal: out of memory while hashing a password\n", stderr);
    std::abort();
  }
  return out;
}

bool PasswordHasher::verify(std::string_view password, const std::string& stored_hash) const {
  if (stored_hash.size() >= crypto_pwhash_STRBYTES || !stored_hash.starts_with("$argon2id$")) return false;
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::burn_equivalent_time(std::string_view password) const {
  (void)verify(password, dummy_hash_);
}

}  // namespace logbot::cloud
