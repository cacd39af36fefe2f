// Which devices have an open uplink connection right now, and how to end one: revocation
// closes a device's connection through this registry (any thread), and a new connection of
// the same device supersedes the old one.
#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace logbot::cloud {

class DeviceConnections {
 public:
  // `close` is called (from any thread) with why ("revoked", "superseded") to end the
  // connection; it must be cheap and thread-safe. Returns a handle for remove(). An earlier
  // connection of the device is closed as superseded.
  std::uint64_t add(const std::string& device_id, std::function<void(std::string_view reason)> close);
  // Forgets the connection if it is still the device's current one.
  void remove(const std::string& device_id, std::uint64_t handle);
  // Ends the device's connection, if any; true when there was one.
  bool disconnect(const std::string& device_id, std::string_view reason = "revoked");
  bool is_online(const std::string& device_id) const;
  std::size_t count() const;

 private:
  struct Entry {
    std::uint64_t handle;
    std::function<void(std::string_view reason)> close;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t next_handle_ = 1;
};

}  // namespace logbot::cloud
