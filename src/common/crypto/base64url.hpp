// Base64url without padding (RFC 4648 §5): tokens that travel in URLs, QR codes and shells.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::crypto {

std::string base64url_encode(std::string_view bytes);
// nullopt on any character outside the alphabet or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace logbot::crypto
