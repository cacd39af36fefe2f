#include "cloud/api/routes.hpp"

#include "cloud/api/handlers.hpp"

namespace logbot::cloud::api {
namespace {

using P = Permission;
constexpr std::optional<Permission> kNone = std::nullopt;

const Route kRoutes[] = {
    {"GET", "/healthz", Access::kPublic, kNone, "Liveness: {\"status\":\"ok\"}", healthz},
    {"GET", "/metrics", Access::kOperatorOrLoopback, kNone, "Prometheus metrics", metrics},

    {"POST", "/api/v1/auth/login", Access::kPublic, kNone, "Log in with e-mail and password; sets the session cookie",
     login},
    {"POST", "/api/v1/auth/totp", Access::kSession, kNone,
     "Second login step: one-time code or recovery code; replaces the session", second_factor, kDuringTotp},
    {"POST", "/api/v1/auth/logout", Access::kSession, kNone, "Log out: ends this session", logout, kDuringEither},

    {"GET", "/api/v1/me", Access::kSession, kNone, "The logged-in user, memberships and CSRF token", get_me,
     kDuringEither},
    {"POST", "/api/v1/me/password", Access::kSession, kNone, "Change own password (ends other sessions)",
     change_password},
    {"GET", "/api/v1/me/sessions", Access::kSession, kNone, "Own active sessions", list_my_sessions},
    {"DELETE", "/api/v1/me/sessions/{session_id}", Access::kSession, kNone, "Revoke one of own sessions",
     revoke_my_session},
    {"GET", "/api/v1/me/audit", Access::kSession, kNone, "Own account log (json, csv, jsonl)", my_audit},
    {"GET", "/api/v1/me/totp", Access::kSession, kNone, "Own authenticator: enabled, pending, recovery codes left",
     totp_status, kDuringEnrolment},
    {"POST", "/api/v1/me/totp/enrolment", Access::kSession, kNone,
     "Start authenticator enrolment (current password): new secret, otpauth URI", start_totp_enrolment,
     kDuringEnrolment},
    {"GET", "/api/v1/me/totp/enrolment/qr.svg", Access::kSession, kNone, "QR code of the pending enrolment (SVG)",
     totp_enrolment_qr, kDuringEnrolment},
    {"POST", "/api/v1/me/totp/enrolment/confirm", Access::kSession, kNone,
     "Confirm enrolment (current password and a one-time code); returns recovery codes once", confirm_totp_enrolment,
     kDuringEnrolment},
    {"DELETE", "/api/v1/me/totp/enrolment", Access::kSession, kNone, "Cancel a pending enrolment",
     cancel_totp_enrolment, kDuringEnrolment},
    {"POST", "/api/v1/me/totp/disable", Access::kSession, kNone, "Turn 2FA off (password and current code)",
     disable_totp},
    {"POST", "/api/v1/me/totp/recovery-codes", Access::kSession, kNone,
     "New recovery codes (password and current code); old ones stop working", regenerate_recovery_codes},

    {"GET", "/api/v1/me/invitations", Access::kSession, kNone, "Pending invitations for own e-mail address",
     list_my_invitations},
    {"POST", "/api/v1/me/invitations/{invitation_id}/accept", Access::kSession, kNone,
     "Accept an invitation: become a member with its role", accept_my_invitation},
    {"POST", "/api/v1/me/invitations/{invitation_id}/decline", Access::kSession, kNone, "Decline an invitation",
     decline_my_invitation},
    {"POST", "/api/v1/invitations/lookup", Access::kPublic, kNone,
     "What an invitation link's token invites to (organisation, e-mail, role, expiry)", look_up_invitation},
    {"POST", "/api/v1/invitations/redeem", Access::kPublic, kNone,
     "A new account through an invitation link: token, own password; joins the organisation", redeem_invitation},

    {"GET", "/api/v1/orgs", Access::kSession, kNone, "Organisations the user belongs to", list_my_orgs},
    {"GET", "/api/v1/orgs/{org_id}", Access::kOrg, P::kOrgRead, "One organisation", get_org},
    {"PATCH", "/api/v1/orgs/{org_id}", Access::kOrg, P::kOrgSettings, "Organisation settings (require_2fa)",
     update_org},
    {"GET", "/api/v1/orgs/{org_id}/members", Access::kOrg, P::kMembersRead, "Members and their roles", list_members},
    {"PATCH", "/api/v1/orgs/{org_id}/members/{user_id}", Access::kOrg, P::kMembersWrite, "Change a member's role",
     change_member_role},
    {"DELETE", "/api/v1/orgs/{org_id}/members/{user_id}", Access::kOrg, P::kMembersWrite, "Remove a member",
     remove_member},
    {"POST", "/api/v1/orgs/{org_id}/members/{user_id}/reset-2fa", Access::kOrg, P::kMembersResetSecondFactor,
     "Reset a member's lost second factor (owner's password): removes it, ends their sessions, next login enrols",
     reset_member_totp},
    {"GET", "/api/v1/orgs/{org_id}/audit", Access::kOrg, P::kAuditRead,
     "Organisation audit log: what happened in this organisation (json, csv, jsonl)", org_audit},
    {"GET", "/api/v1/orgs/{org_id}/invitations", Access::kOrg, P::kMembersRead, "Pending invitations",
     list_invitations},
    {"POST", "/api/v1/orgs/{org_id}/invitations", Access::kOrg, P::kMembersWrite,
     "Invite an e-mail address with a role; returns the one-time link (the same answer whether it has an account)",
     invite_member},
    {"DELETE", "/api/v1/orgs/{org_id}/invitations/{invitation_id}", Access::kOrg, P::kMembersWrite,
     "Revoke a pending invitation", revoke_invitation},

    {"GET", "/api/v1/orgs/{org_id}/devices", Access::kOrg, P::kDevicesRead, "Devices of the organisation",
     list_devices},
    {"POST", "/api/v1/orgs/{org_id}/devices", Access::kOrg, P::kDevicesWrite,
     "Register a device; returns its one-time enrolment token (also as QR code)", register_device},
    {"GET", "/api/v1/orgs/{org_id}/devices/{device_id}", Access::kOrg, P::kDevicesRead, "One device", get_device},
    {"POST", "/api/v1/orgs/{org_id}/devices/{device_id}/enrolment-token", Access::kOrg, P::kDevicesWrite,
     "A new one-time enrolment token (earlier unused ones stop working)", new_enrolment_token},
    {"POST", "/api/v1/orgs/{org_id}/devices/{device_id}/revoke", Access::kOrg, P::kDevicesWrite,
     "Revoke a device and its certificate", revoke_device},
    {"POST", "/api/v1/enrol", Access::kPublic, kNone,
     "Agent enrolment: one-time token secret, device UUID and CSR in; client certificate out", enroll},
    {"POST", "/api/v1/enroll", Access::kPublic, kNone, "The older name of POST /api/v1/enrol, kept for older agents",
     enroll},

    {"GET", "/api/v1/admin/orgs", Access::kOperator, kNone, "All organisations (no tenant data)", admin_list_orgs},
    {"POST", "/api/v1/admin/orgs", Access::kOperator, kNone,
     "Create an organisation and invite its owner (returns the owner's one-time link)", admin_create_org},
    {"POST", "/api/v1/admin/orgs/{org_id}/owner-invitation", Access::kOperator, kNone,
     "A new owner invitation for an organisation without an owner (no tenant data)", admin_reinvite_owner},
};

}  // namespace

std::span<const Route> routes() {
  return kRoutes;
}

std::string_view to_string(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kSession: return "session";
    case Access::kOrg: return "org";
    case Access::kOperator: return "operator";
    case Access::kOperatorOrLoopback: return "operator-or-loopback";
  }
  return "";
}

}  // namespace logbot::cloud::api
