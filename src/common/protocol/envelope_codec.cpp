#include "common/protocol/envelope_codec.hpp"

#include <google/protobuf/io/coded_stream.h>

namespace logbot::protocol {
namespace {

class EnvelopeErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "logbot.uplink.envelope"; }
  std::string message(int value) const override {
    switch (static_cast<EnvelopeError>(value)) {
      case EnvelopeError::empty: return "an empty uplink message";
      case EnvelopeError::too_large: return "an uplink message larger than 1 MiB";
      case EnvelopeError::malformed: return "an uplink message that is not a valid protobuf Envelope";
      case EnvelopeError::no_body: return "an uplink message of a kind this agent does not know";
    }
    return "unknown uplink message error";
  }
};

}  // namespace

const boost::system::error_category& envelope_error_category() {
  static const EnvelopeErrorCategory category;
  return category;
}

boost::system::error_code make_error_code(EnvelopeError error) {
  return {static_cast<int>(error), envelope_error_category()};
}

boost::system::result<logbot::uplink::Envelope> decode_envelope(std::string_view bytes) {
  if (bytes.empty()) return make_error_code(EnvelopeError::empty);
  if (bytes.size() > kMaximumEnvelopeBytes) return make_error_code(EnvelopeError::too_large);
  // The size check above bounds the input; the stream's own limits bound nesting and length.
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  logbot::uplink::Envelope envelope;
  if (!envelope.ParseFromCodedStream(&input) || !input.ConsumedEntireMessage())
    return make_error_code(EnvelopeError::malformed);
  if (envelope.body_case() == logbot::uplink::Envelope::BODY_NOT_SET) return make_error_code(EnvelopeError::no_body);
  return envelope;
}

std::string encode_envelope(const logbot::uplink::Envelope& envelope) {
  std::string bytes;
  envelope.SerializeToString(&bytes);
  return bytes;
}

}  // namespace logbot::protocol
