// Fuzzes the JSON request-body reader used by every API handler.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cloud/api/json_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto body = logbot::cloud::api::JsonBody::parse(input);
  if (!body) {
    if (body.error().message.empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  auto email = body->required_string("email", 320);
  if (email && email->size() > 320) __builtin_trap();
  if (!email && email.error().message.empty()) __builtin_trap();
  auto password = body->optional_string("password", 1024);
  if (password && *password && (*password)->size() > 1024) __builtin_trap();
  return 0;
}
