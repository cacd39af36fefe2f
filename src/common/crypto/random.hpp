// Randomness from the operating system's CSPRNG (OpenSSL RAND_bytes): tokens, ids, salts.
#pragma once
#include <cstddef>
#include <string>

namespace logbot::crypto {

// `count` random bytes; aborts if the CSPRNG fails (a broken invariant, not an input error).
std::string random_bytes(std::size_t count);
// Lower-case hex of `byte_count` random bytes (so 2*byte_count characters).
std::string random_hex(std::size_t byte_count);
// RFC 4122 version-4 UUID in its canonical lower-case text form.
std::string uuid_v4();
// URL-safe base64 without padding of `byte_count` random bytes.
std::string random_token(std::size_t byte_count);

}  // namespace logbot::crypto
