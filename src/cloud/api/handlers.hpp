// Request handlers, grouped by file: auth_handlers.cpp, account_handlers.cpp,
// org_handlers.cpp, invitation_handlers.cpp, admin_handlers.cpp. Each runs after the dispatcher has checked access.
#pragma once
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "cloud/api/request_context.hpp"
#include "cloud/audit/audit_log.hpp"
#include "cloud/identity/invitation_store.hpp"

namespace logbot::cloud::api {

http::Response login(RequestContext&);
http::Response second_factor(RequestContext&);
http::Response logout(RequestContext&);

http::Response totp_status(RequestContext&);
http::Response start_totp_enrolment(RequestContext&);
http::Response totp_enrolment_qr(RequestContext&);
http::Response confirm_totp_enrolment(RequestContext&);
http::Response cancel_totp_enrolment(RequestContext&);
http::Response disable_totp(RequestContext&);
http::Response regenerate_recovery_codes(RequestContext&);

http::Response get_me(RequestContext&);
http::Response change_password(RequestContext&);
http::Response list_my_sessions(RequestContext&);
http::Response revoke_my_session(RequestContext&);
http::Response my_audit(RequestContext&);

http::Response list_my_orgs(RequestContext&);
http::Response get_org(RequestContext&);
http::Response update_org(RequestContext&);
http::Response list_members(RequestContext&);
http::Response change_member_role(RequestContext&);
http::Response remove_member(RequestContext&);
http::Response reset_member_totp(RequestContext&);
http::Response org_audit(RequestContext&);

http::Response invite_member(RequestContext&);
http::Response list_invitations(RequestContext&);
http::Response revoke_invitation(RequestContext&);
http::Response list_my_invitations(RequestContext&);
http::Response accept_my_invitation(RequestContext&);
http::Response decline_my_invitation(RequestContext&);
http::Response look_up_invitation(RequestContext&);
http::Response redeem_invitation(RequestContext&);

http::Response list_devices(RequestContext&);
http::Response get_device(RequestContext&);
http::Response register_device(RequestContext&);
http::Response new_enrolment_token(RequestContext&);
http::Response revoke_device(RequestContext&);
http::Response enroll(RequestContext&);

http::Response healthz(RequestContext&);
http::Response metrics(RequestContext&);
http::Response admin_list_orgs(RequestContext&);
http::Response admin_create_org(RequestContext&);
http::Response admin_reinvite_owner(RequestContext&);

// Shared by the account log and the organisation log: paging, filters and the
// json / csv / jsonl formats. `query` carries the scope (user or org) already.
http::Response audit_listing(RequestContext& context, AuditQuery query);

boost::json::object user_json(const User& user);
boost::json::object invitation_json(const Invitation& invitation);
// An invitation just made, with its token and link (shown once: only the hash is kept).
boost::json::object new_invitation_json(const Services& services, const NewInvitation& created);

// The brute-force protection around every password check (login, password change, changes of
// the second factor).
// `record` is the LOGIN_ERROR entry to write, with who and where filled in.
std::optional<http::Response> refuse_if_locked(RequestContext& context, AuditRecord record, const std::string& account);
// Counts the failure per account and source address, audits LOGIN_ERROR (with `error`) and,
// when this failure starts a lockout, LOCKOUT.
void record_password_failure(RequestContext& context, AuditRecord record, const std::string& account,
                             std::string_view error = "invalid_credentials", std::string_view reason = {});
// Checks the logged-in user's current password for `action` (a change of a second factor):
// refused during a lockout (429), a wrong one answers 403 wrong_password and counts like a wrong
// login password. `failure` is left as the LOGIN_ERROR record, for a further check to reuse.
std::optional<http::Response> check_current_password(RequestContext& context, AuditCode action,
                                                     const std::string& password, AuditRecord& failure,
                                                     std::string_view auth_method = "password");
// The answer that hands a session to the client: user, CSRF token, stage and the cookie.
http::Response session_established(RequestContext& context, const User& user, const NewSession& session);

}  // namespace logbot::cloud::api
