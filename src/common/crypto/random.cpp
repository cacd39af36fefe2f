#include "common/crypto/random.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "common/crypto/base64url.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::crypto {

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    std::fputs("fatal: the system random number generator failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string random_hex(std::size_t byte_count) {
  return to_hex(random_bytes(byte_count));
}

std::string uuid_v4() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string hex = to_hex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::string random_token(std::size_t byte_count) {
  return base64url_encode(random_bytes(byte_count));
}

}  // namespace logbot::crypto
