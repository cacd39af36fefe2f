#include "common/crypto/hmac.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/crypto/sha256.hpp"

namespace logbot::crypto {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace logbot::crypto
