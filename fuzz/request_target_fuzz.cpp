// Fuzzes the HTTP request-target parser (path decoding, query parameters).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cloud/http/request_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto target = logbot::cloud::http::parse_request_target(input)) {
    // Invariants every accepted target keeps: absolute path, no dot segments, no control bytes.
    if (target->path.empty() || target->path.front() != '/') __builtin_trap();
    if (target->path.find("/../") != std::string::npos || target->path.ends_with("/..")) __builtin_trap();
    for (char c : target->path)
      if (static_cast<unsigned char>(c) < 0x20) __builtin_trap();
  }
  return 0;
}
