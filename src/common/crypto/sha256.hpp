// SHA-256 and hex encoding (OpenSSL EVP): audit hash chain, token hashes, fingerprints.
#pragma once
#include <string>
#include <string_view>

namespace logbot::crypto {

// Raw 32-byte digest.
std::string sha256(std::string_view data);
// Lower-case hex of the digest.
std::string sha256_hex(std::string_view data);
std::string to_hex(std::string_view bytes);

}  // namespace logbot::crypto
