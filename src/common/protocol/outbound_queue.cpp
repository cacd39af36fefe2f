#include "common/protocol/outbound_queue.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace logbot::protocol {

namespace proto = ::logbot::uplink;

OutboundQueue::OutboundQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

OutboundQueue::Lane& OutboundQueue::lane(BodyCase kind) {
  auto [found, inserted] = lanes_.try_emplace(kind);
  if (inserted) found->second.capacity = capacity_;
  return found->second;
}

void OutboundQueue::notify() const {
  if (on_ready) on_ready();
}

void OutboundQueue::limit(BodyCase kind, std::uint64_t credit, std::size_t capacity) {
  Lane& limited = lane(kind);
  limited.credit = credit;
  limited.capacity = std::max<std::size_t>(capacity, 1);
}

void OutboundQueue::grant(BodyCase kind, std::uint64_t credit) {
  auto found = lanes_.find(kind);
  if (found == lanes_.end() || !found->second.credit || credit == 0) return;
  auto& current = *found->second.credit;
  current = credit > std::numeric_limits<std::uint64_t>::max() - current ? std::numeric_limits<std::uint64_t>::max()
                                                                         : current + credit;
  if (found->second.sendable()) notify();
}

std::uint64_t OutboundQueue::credit(BodyCase kind) const {
  auto found = lanes_.find(kind);
  if (found == lanes_.end() || !found->second.credit) return std::numeric_limits<std::uint64_t>::max();
  return *found->second.credit;
}

Result<void> OutboundQueue::push(proto::Envelope envelope) {
  if (closed_) return fail(ErrorCode::stopped, "the session has ended");
  Lane& target = lane(envelope.body_case());
  if (target.messages.size() >= target.capacity)
    return fail(ErrorCode::queue_full, "the outbound queue holds " + std::to_string(target.capacity) +
                                           " messages of this type already (the peer takes them too slowly)");
  target.messages.emplace_back(next_sequence_++, std::move(envelope));
  if (target.sendable()) notify();
  return {};
}

std::optional<proto::Envelope> OutboundQueue::pop() {
  Lane* oldest = nullptr;
  for (auto& [kind, candidate] : lanes_)
    if (candidate.sendable() && (!oldest || candidate.messages.front().first < oldest->messages.front().first))
      oldest = &candidate;
  if (!oldest) return std::nullopt;
  proto::Envelope envelope = std::move(oldest->messages.front().second);
  oldest->messages.pop_front();
  if (oldest->credit) --*oldest->credit;
  return envelope;
}

bool OutboundQueue::ready() const {
  return std::any_of(lanes_.begin(), lanes_.end(), [](const auto& entry) { return entry.second.sendable(); });
}

std::size_t OutboundQueue::waiting(BodyCase kind) const {
  auto found = lanes_.find(kind);
  return found == lanes_.end() ? 0 : found->second.messages.size();
}

std::size_t OutboundQueue::waiting() const {
  std::size_t total = 0;
  for (const auto& [kind, queued] : lanes_) total += queued.messages.size();
  return total;
}

void OutboundQueue::close() {
  closed_ = true;
  for (auto& [kind, queued] : lanes_) queued.messages.clear();
  notify();
}

}  // namespace logbot::protocol
