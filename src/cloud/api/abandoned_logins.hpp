// Half-finished logins that end without their second step. A correct password followed by
// nothing writes no LOGIN and no LOGIN_ERROR, yet it tells the account's owner that someone
// knows the password: every such half session ends with exactly one LOGIN_INCOMPLETE entry,
// whichever way it ends (expiry seen at the next request, the periodic sweep, logout, too
// many wrong codes). Whoever deletes the session writes the entry, so there is never two.
#pragma once
#include <string_view>

#include "cloud/auth/session_store.hpp"

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::api {

// Writes LOGIN_INCOMPLETE for `session` (a stage other than kFull), with the address and
// client the password came from. `reason`: second_factor_timeout, enrolment_timeout,
// logout, too_many_wrong_codes.
void record_login_incomplete(Services& services, const Session& session, std::string_view reason);

// Deletes the expired half sessions and records each; returns how many. The server runs it
// periodically (session.sweep_interval_s), so an abandoned login is recorded even when its
// cookie is never presented again.
int sweep_abandoned_logins(Services& services);

// The reason recorded when a half session of `stage` runs out of time.
std::string_view expiry_reason(SessionStage stage);

}  // namespace logbot::cloud::api
