// Authenticated encryption of small secrets at rest (TOTP secrets): XChaCha20-Poly1305
// (libsodium) under a key from secrets/key_file.hpp. The associated data binds a sealed
// value to its owner, so a sealed secret copied onto another row does not open.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud {

// "v1." followed by hex(nonce || ciphertext || tag).
std::string seal_secret(std::string_view key, std::string_view plaintext, std::string_view associated_data);
// nullopt when the value was altered, belongs to other associated data or another key.
std::optional<std::string> open_secret(std::string_view key, std::string_view sealed, std::string_view associated_data);

}  // namespace logbot::cloud
