// QR codes as SVG (libqrencode computes the modules; it has no image writer), so the
// account page can show the authenticator enrolment code as an ordinary same-origin image.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace logbot::cloud {

// An SVG document with a 4-module quiet zone, error correction level M; nullopt when the
// text does not fit into a QR code.
std::optional<std::string> qr_code_svg(std::string_view text);

}  // namespace logbot::cloud
