// What the dispatcher has established about a request before its handler runs.
#pragma once
#include <optional>
#include <string>

#include "cloud/auth/session_store.hpp"
#include "cloud/http/http_message.hpp"
#include "cloud/http/router.hpp"
#include "cloud/identity/org_store.hpp"
#include "cloud/identity/user_store.hpp"

namespace logbot::cloud {
struct Services;
}

namespace logbot::cloud::api {

struct RequestContext {
  Services& services;
  const http::Request& request;
  http::PathParams params;
  std::string client;  // "web" or "cli", for the audit log
  std::optional<Session> session;
  std::optional<User> user;
  std::optional<Membership> membership;  // org routes: the caller's membership of {org_id}

  const std::string& param(const std::string& name) const { return params.at(name); }
};

}  // namespace logbot::cloud::api

#include "cloud/api/error.hpp"
#include "cloud/audit/audit_event.hpp"

namespace logbot::cloud::api {

// An audit record pre-filled with who (the logged-in user, if any), from where and how.
AuditRecord audit_record(const RequestContext& context, AuditCode code);

// 400 bad_request with the sentence that says what was wrong with the body.
http::Response bad_request(const Error& error);

}  // namespace logbot::cloud::api
