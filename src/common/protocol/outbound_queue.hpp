// What one end of an uplink session has to send, waiting for the session's one writer. Every
// message goes through here (the agent's Hello, heartbeats, renewal requests and later its
// batch stream; the cloud's answers, acknowledgements and what other modules send a device
// through DeviceConnections), so exactly one write is in flight at a time and no producer
// writes to the socket. Both ends use this one queue.
//
// Flow control is per message type (Envelope body case): a type may be given credit, the
// number of messages of that type the writer may still send; its messages then wait while
// the credit is zero, without holding back the messages of other types (a batch stream that
// waits for the peer's acknowledgements never delays a heartbeat or a control message). A
// type without credit control is always sendable. Among the sendable messages the writer
// takes the oldest. Each type's waiting messages are bounded: a full type refuses more.
//
// Pure (no Asio): the session wakes its writer from on_ready().
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>

#include "common/protocol/error.hpp"
#include "common/protocol/uplink.pb.h"

namespace logbot::protocol {

using BodyCase = ::logbot::uplink::Envelope::BodyCase;

class OutboundQueue {
 public:
  // `capacity`: how many messages of one type may wait (at least 1).
  explicit OutboundQueue(std::size_t capacity);

  // Puts `kind` under credit control with `credit` messages sendable now, and at most
  // `capacity` waiting. Call before messages of that type are pushed.
  void limit(BodyCase kind, std::uint64_t credit, std::size_t capacity);
  // More messages of `kind` may be sent (the peer acknowledged some). No effect on a type
  // without credit control.
  void grant(BodyCase kind, std::uint64_t credit);
  std::uint64_t credit(BodyCase kind) const;  // UINT64_MAX: not credit-controlled

  // Queues `envelope` (its body case is its type). queue_full when that type is at its capacity;
  // stopped after close().
  Result<void> push(::logbot::uplink::Envelope envelope);
  // The oldest message that may be sent now, its type's credit taken; nullopt when none may.
  std::optional<::logbot::uplink::Envelope> pop();
  bool ready() const;  // pop() would return a message
  std::size_t waiting(BodyCase kind) const;
  std::size_t waiting() const;

  // Refuses every further push and drops what waits (the session ended).
  void close();
  bool closed() const noexcept { return closed_; }

  // Called (synchronously) whenever a push or a grant may have made a message sendable, and on
  // close(): the session's writer waits on it.
  std::function<void()> on_ready;

 private:
  struct Lane {
    std::deque<std::pair<std::uint64_t, ::logbot::uplink::Envelope>> messages;  // (sequence, message)
    std::size_t capacity = 0;
    std::optional<std::uint64_t> credit;  // nullopt: not credit-controlled
    bool sendable() const { return !messages.empty() && (!credit || *credit > 0); }
  };
  Lane& lane(BodyCase kind);
  void notify() const;

  std::size_t capacity_;
  std::map<BodyCase, Lane> lanes_;
  std::uint64_t next_sequence_ = 0;
  bool closed_ = false;
};

}  // namespace logbot::protocol
