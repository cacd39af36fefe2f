#include "cloud/devices/device_connections.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace logbot::cloud {

std::uint64_t DeviceConnections::add(const std::string& device_id, std::weak_ptr<DeviceLink> link) {
  std::lock_guard lock(mutex_);
  const std::uint64_t handle = next_handle_++;
  registered_.emplace(device_id, Entry{handle, std::move(link)});
  return handle;
}

void DeviceConnections::greet(const std::string& device_id, std::uint64_t handle) {
  std::shared_ptr<DeviceLink> superseded;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = registered_.equal_range(device_id);
    auto found = std::find_if(first, last, [&](const auto& entry) { return entry.second.handle == handle; });
    if (found == last) return;  // disconnected meanwhile
    Entry greeted = std::move(found->second);
    registered_.erase(found);
    if (auto current = entries_.find(device_id); current != entries_.end()) superseded = current->second.link.lock();
    entries_[device_id] = std::move(greeted);
  }
  if (superseded) superseded->close(::logbot::uplink::Refusal::SUPERSEDED);  // outside the lock
}

void DeviceConnections::remove(const std::string& device_id, std::uint64_t handle) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(device_id);
  if (it != entries_.end() && it->second.handle == handle) entries_.erase(it);
  auto [first, last] = registered_.equal_range(device_id);
  for (auto entry = first; entry != last; ++entry)
    if (entry->second.handle == handle) {
      registered_.erase(entry);
      break;
    }
}

bool DeviceConnections::disconnect(const std::string& device_id, protocol::RefusalReason reason) {
  std::vector<std::shared_ptr<DeviceLink>> links;
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(device_id); it != entries_.end()) {
      links.push_back(it->second.link.lock());
      entries_.erase(it);
    }
    auto [first, last] = registered_.equal_range(device_id);
    for (auto entry = first; entry != last; ++entry) links.push_back(entry->second.link.lock());
    registered_.erase(device_id);
  }
  bool closed = false;
  for (const auto& link : links)
    if (link) {
      link->close(reason);  // outside the lock: it may call back into remove()
      closed = true;
    }
  return closed;
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
