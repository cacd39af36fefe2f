#include "cloud/devices/device_connections.hpp"

#include <utility>

namespace logbot::cloud {

std::uint64_t DeviceConnections::add(const std::string& device_id, std::weak_ptr<DeviceLink> link) {
  std::shared_ptr<DeviceLink> superseded;
  std::uint64_t handle = 0;
  {
    std::lock_guard lock(mutex_);
    handle = next_handle_++;
    auto it = entries_.find(device_id);
    if (it != entries_.end()) superseded = it->second.link.lock();
    entries_[device_id] = Entry{handle, std::move(link)};
  }
  if (superseded) superseded->close(::logbot::uplink::Refusal::SUPERSEDED);  // outside the lock
  return handle;
}

void DeviceConnections::remove(const std::string& device_id, std::uint64_t handle) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(device_id);
  if (it != entries_.end() && it->second.handle == handle) entries_.erase(it);
}

bool DeviceConnections::disconnect(const std::string& device_id, protocol::RefusalReason reason) {
  std::shared_ptr<DeviceLink> link;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(device_id);
    if (it == entries_.end()) return false;
    link = it->second.link.lock();
    entries_.erase(it);
  }
  if (link) link->close(reason);
  return link != nullptr;
}

SendOutcome DeviceConnections::send(const std::string& device_id, ::logbot::uplink::Envelope envelope, SendDone done) {
  const auto link = current(device_id);
  if (!link) return SendOutcome::kOffline;
  link->send(std::move(envelope), std::move(done));
  return SendOutcome::kHandedOver;
}

bool DeviceConnections::is_online(const std::string& device_id) const {
  const auto link = current(device_id);
  return link && link->online();
}

std::shared_ptr<DeviceLink> DeviceConnections::current(const std::string& device_id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(device_id);
  return it == entries_.end() ? nullptr : it->second.link.lock();
}

}  // namespace logbot::cloud
