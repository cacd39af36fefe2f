// Which devices have an open uplink session right now, and how other modules reach one:
// revocation ends a device's sessions through this registry, and tunnels or update offers send
// a connected device a message (any thread). A session is registered from its upgrade on, so a
// revocation reaches it, but becomes the device's session only when it is greeted (its
// certificate checked again at the Hello): only then does it supersede the older one, so a
// connection on a revoked or retired certificate cannot knock the live session off.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/protocol/error.hpp"
#include "common/protocol/refusal.hpp"
#include "common/protocol/uplink.pb.h"

namespace logbot::cloud {

// What happened to a message handed to send(): queued for the device's writer, or refused
// (queue_full: the device reads too slowly; stopped: the session ended first).
using SendDone = std::function<void(const protocol::Result<void>& outcome)>;

// A device's uplink session as other modules see it (implemented by uplink::DeviceSession).
// Both calls are thread-safe and return at once; the work happens on the session's thread.
class DeviceLink {
 public:
  virtual ~DeviceLink() = default;
  // Tells the device why (a Refusal), then closes the connection.
  virtual void close(protocol::RefusalReason reason) = 0;
  // Queues `envelope` for the device; `done` (if any) runs on the session's thread.
  virtual void send(::logbot::uplink::Envelope envelope, SendDone done) = 0;
  // Greeted (HelloAck sent) and not closing: what the console shows as online.
  virtual bool online() const = 0;
};

enum class SendOutcome { kHandedOver, kOffline };

class DeviceConnections {
 public:
  // Registers a session of the device that is not greeted yet; disconnect() reaches it, send()
  // and is_online() do not. Returns a handle for greet() and remove(). Held weakly.
  std::uint64_t add(const std::string& device_id, std::weak_ptr<DeviceLink> link);
  // The session is greeted: it becomes the device's current one, and the earlier current one (if
  // any) is closed as superseded.
  void greet(const std::string& device_id, std::uint64_t handle);
  // Forgets the session (registered or current).
  void remove(const std::string& device_id, std::uint64_t handle);
  // Ends every session of the device, greeted or not; true when there was one.
  bool disconnect(const std::string& device_id, protocol::RefusalReason reason = ::logbot::uplink::Refusal::REVOKED);
  // Hands `envelope` to the device's session; kOffline (and `done` never runs) when it has none.
  SendOutcome send(const std::string& device_id, ::logbot::uplink::Envelope envelope, SendDone done = {});
  // The device has a session that is online().
  bool is_online(const std::string& device_id) const;

 private:
  struct Entry {
    std::uint64_t handle;
    std::weak_ptr<DeviceLink> link;
  };
  std::shared_ptr<DeviceLink> current(const std::string& device_id) const;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;          // the current (greeted) session
  std::unordered_multimap<std::string, Entry> registered_;  // sessions not greeted yet
  std::uint64_t next_handle_ = 1;
};

}  // namespace logbot::cloud
