// HMAC-SHA-256 (OpenSSL): keyed integrity, e.g. the audit log's hash chain.
#pragma once
#include <string>
#include <string_view>

namespace logbot::crypto {

// Lower-case hex of HMAC-SHA-256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace logbot::crypto
