#include "common/protocol/envelope_codec.hpp"

#include <google/protobuf/io/coded_stream.h>

namespace logbot::protocol {

Result<logbot::uplink::Envelope> decode_envelope(std::string_view bytes) {
  if (bytes.empty()) return fail(ErrorCode::empty, "an empty uplink message");
  if (bytes.size() > kMaximumEnvelopeBytes) return fail(ErrorCode::too_large, "an uplink message larger than 1 MiB");
  // The size check above bounds the input; the stream's own limits bound nesting and length.
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  logbot::uplink::Envelope envelope;
  if (!envelope.ParseFromCodedStream(&input) || !input.ConsumedEntireMessage())
    return fail(ErrorCode::malformed, "an uplink message that is not a valid protobuf Envelope");
  if (envelope.body_case() == logbot::uplink::Envelope::BODY_NOT_SET)
    return fail(ErrorCode::no_body, "an uplink message of a kind this version does not know");
  return envelope;
}

std::string encode_envelope(const logbot::uplink::Envelope& envelope) {
  std::string bytes;
  envelope.SerializeToString(&bytes);
  return bytes;
}

}  // namespace logbot::protocol
