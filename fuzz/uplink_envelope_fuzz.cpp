// Fuzzes what both ends of the uplink read from the network: one WebSocket message decoded
// as a protobuf Envelope, and the agent's parsing of uplink addresses from its state/config.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/uplink/uplink_url.hpp"
#include "common/protocol/envelope_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto envelope = logbot::protocol::decode_envelope(input)) {
    // What decodes re-encodes to something that decodes to the same message.
    const std::string again = logbot::protocol::encode_envelope(*envelope);
    auto second = logbot::protocol::decode_envelope(again);
    if (!second || logbot::protocol::encode_envelope(*second) != again) __builtin_trap();
  }
  (void)logbot::agent::parse_uplink_url(input);
  return 0;
}
