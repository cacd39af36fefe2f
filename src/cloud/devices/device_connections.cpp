#include "cloud/devices/device_connections.hpp"

namespace logbot::cloud {

std::uint64_t DeviceConnections::add(const std::string& device_id, std::function<void(std::string_view reason)> close) {
  std::function<void(std::string_view reason)> superseded;
  std::uint64_t handle = 0;
  {
    std::lock_guard lock(mutex_);
    handle = next_handle_++;
    auto it = entries_.find(device_id);
    if (it != entries_.end()) superseded = std::move(it->second.close);
    entries_[device_id] = Entry{handle, std::move(close)};
  }
  if (superseded) superseded("superseded");  // outside the lock: it may call back into remove()
  return handle;
}

void DeviceConnections::remove(const std::string& device_id, std::uint64_t handle) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(device_id);
  if (it != entries_.end() && it->second.handle == handle) entries_.erase(it);
}

bool DeviceConnections::disconnect(const std::string& device_id, std::string_view reason) {
  std::function<void(std::string_view reason)> close;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(device_id);
    if (it == entries_.end()) return false;
    close = std::move(it->second.close);
    entries_.erase(it);
  }
  if (close) close(reason);
  return true;
}

bool DeviceConnections::is_online(const std::string& device_id) const {
  std::lock_guard lock(mutex_);
  return entries_.contains(device_id);
}

std::size_t DeviceConnections::count() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace logbot::cloud
