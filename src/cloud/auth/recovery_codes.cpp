#include "cloud/auth/recovery_codes.hpp"

#include "common/crypto/hmac.hpp"
#include "common/crypto/random.hpp"

namespace logbot::cloud {
namespace {

// 32 symbols without o, 1, l and i, so a code read from paper is typed back right.
constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyz023456789";
static_assert(kAlphabet.size() == 32);
constexpr std::size_t kCodeLength = 10;

}  // namespace

std::vector<std::string> generate_recovery_codes() {
  std::vector<std::string> codes;
  while (static_cast<int>(codes.size()) < kRecoveryCodeCount) {
    const std::string raw = crypto::random_bytes(kCodeLength);
    std::string code;
    for (std::size_t i = 0; i < kCodeLength; ++i) {
      if (i == kCodeLength / 2) code.push_back('-');
      code.push_back(kAlphabet[static_cast<unsigned char>(raw[i]) & 0x1f]);
    }
    bool duplicate = false;
    for (const auto& existing : codes) duplicate = duplicate || existing == code;
    if (!duplicate) codes.push_back(code);
  }
  return codes;
}

std::optional<std::string> normalize_recovery_code(std::string_view typed) {
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out.push_back(c);
  }
  if (out.size() != kCodeLength) return std::nullopt;
  return out;
}

std::string recovery_code_hash(std::string_view key, std::string_view normalized_code) {
  return crypto::hmac_sha256_hex(key, std::string("logbot-recovery-code\n") + std::string(normalized_code));
}

}  // namespace logbot::cloud
