#include "cloud/auth/qr_svg.hpp"

#include <qrencode.h>

#include <memory>

namespace logbot::cloud {

std::optional<std::string> qr_code_svg(std::string_view text) {
  const std::string input(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) return std::nullopt;
  constexpr int kQuietZone = 4;
  const int width = code->width;
  const int size = width + 2 * kQuietZone;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width; ++x) {
      // Bit 0 of each byte is the module's colour (1 = dark).
      if ((code->data[y * width + x] & 1) == 0) continue;
      path += "M" + std::to_string(x + kQuietZone) + "," + std::to_string(y + kQuietZone) + "h1v1h-1z";
    }
  }
  const std::string dimension = std::to_string(size);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
         dimension + " " + dimension + "\" width=\"" + std::to_string(size * 6) + "\" height=\"" +
         std::to_string(size * 6) +
         "\" shape-rendering=\"crispEdges\">"
         "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
         "<path fill=\"#000\" d=\"" +
         path + "\"/></svg>\n";
}

}  // namespace logbot::cloud
