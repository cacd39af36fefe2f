#include "cloud/secrets/secret_box.hpp"

#include <sodium.h>

#include <vector>

#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::cloud {
namespace {

constexpr std::string_view kPrefix = "v1.";

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  std::size_t length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr, &length,
                     nullptr) != 0 ||
      length != out.size())
    return std::nullopt;
  return out;
}

}  // namespace

std::string seal_secret(std::string_view key, std::string_view plaintext, std::string_view associated_data) {
  const std::string nonce = crypto::random_bytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  std::vector<unsigned char> cipher(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long cipher_length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      cipher.data(), &cipher_length, reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(), nullptr,
      reinterpret_cast<const unsigned char*>(nonce.data()), reinterpret_cast<const unsigned char*>(key.data()));
  return std::string(kPrefix) + crypto::to_hex(nonce) +
         crypto::to_hex(std::string_view(reinterpret_cast<const char*>(cipher.data()), cipher_length));
}

std::optional<std::string> open_secret(std::string_view key, std::string_view sealed,
                                       std::string_view associated_data) {
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES || !sealed.starts_with(kPrefix)) return std::nullopt;
  const auto raw = from_hex(sealed.substr(kPrefix.size()));
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (!raw || raw->size() < kNonce + kTag) return std::nullopt;
  std::string plain(raw->size() - kNonce - kTag, '\0');
  unsigned long long plain_length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_length, nullptr,
          reinterpret_cast<const unsigned char*>(raw->data() + kNonce), raw->size() - kNonce,
          reinterpret_cast<const unsigned char*>(associated_data.data()), associated_data.size(),
          reinterpret_cast<const unsigned char*>(raw->data()), reinterpret_cast<const unsigned char*>(key.data())) != 0)
    return std::nullopt;
  plain.resize(plain_length);
  return plain;
}

}  // namespace logbot::cloud
