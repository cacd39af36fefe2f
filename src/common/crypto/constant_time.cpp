#include "common/crypto/constant_time.hpp"

#include <openssl/crypto.h>

namespace logbot::crypto {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The length of a token is not secret; its content is.
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace logbot::crypto
