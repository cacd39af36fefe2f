// When the uplink asks the cloud for a new certificate: at the current certificate's renewal
// due time (two thirds of its lifetime), again when a request stays unanswered, and after a
// pause when a renewal failed or was refused. Reads the wall clock through Clock, so tests move
// time instead of waiting; holds the new private key while its request is pending.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace logbot::agent::uplink {

class RenewalSchedule {
 public:
  // A renewal the cloud leaves unanswered this long is asked for again (with a new key).
  static constexpr std::int64_t kAnswerTimeoutMs = 60'000;
  // After a failed renewal (refused, a bad answer, a full disk) the next try waits this long.
  static constexpr std::int64_t kRetryMs = 60'000;

  RenewalSchedule(const Clock& clock, std::int64_t due_ms) : clock_(clock), due_ms_(due_ms) {}

  // A request should go out now: due with none pending, or the pending one unanswered too long.
  bool request_due() const;
  // Milliseconds until request_due() turns true; 0 when it is.
  std::int64_t ms_until_due() const;

  // A request for the key `key_pem` is on its way (pending before the write: the answer may be
  // read while the write completes).
  void requested(std::string key_pem);
  bool pending() const { return key_pem_.has_value(); }
  // The pending request's key, now answered; nullopt when none is pending.
  std::optional<std::string> take_key();
  // Failed or refused: nothing pending, the next try after kRetryMs.
  void retry_later();
  // Installed: the next renewal is due at the new certificate's due time.
  void renewed(std::int64_t next_due_ms);

  std::int64_t due_ms() const { return due_ms_; }

 private:
  const Clock& clock_;
  std::int64_t due_ms_;
  std::int64_t requested_ms_ = 0;
  std::optional<std::string> key_pem_;
};

}  // namespace logbot::agent::uplink
