// Injectable wall clock: sessions, lockouts and the audit log read time through it so
// tests can move time without sleeping.
#pragma once
#include <atomic>
#include <cstdint>

namespace logbot {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void advance_ms(std::int64_t delta) { now_ += delta; }

 private:
  std::atomic<std::int64_t> now_;
};

}  // namespace logbot
