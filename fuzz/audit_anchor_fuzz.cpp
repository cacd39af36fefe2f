// Fuzzes the audit anchor reader (`audit verify --anchor FILE` reads a file that lives
// outside the database and may have been tampered with or torn by a crash).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cloud/audit/audit_anchor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The seeds are keyed with this key, so their lines pass the MAC check.
  static const std::string kKey(32, 'k');
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = logbot::cloud::parse_anchor_file(input, kKey);
  if (parsed.error) return 0;
  // Accepted lines are canonical: formatting the heads again gives back every complete line.
  std::string again;
  for (const auto& head : parsed.heads) {
    if (head.seq < 1 || head.hash.size() != 64) __builtin_trap();
    again += logbot::cloud::format_anchor_line(head, kKey);
  }
  const std::size_t complete = input.rfind('\n') == std::string_view::npos ? 0 : input.rfind('\n') + 1;
  if (again != input.substr(0, complete)) __builtin_trap();
  if (complete != input.size() && parsed.warnings.empty()) __builtin_trap();  // a torn tail is never silent
  return 0;
}
