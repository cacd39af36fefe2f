"""Integration tests of authentication: login, cookies, sessions, CSRF, timeouts, password change,
brute-force lockout and the security headers, against the real logbot-cloud binary.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_auth.py   (from the repository root)
"""

import os
import sqlite3
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from cloud import DEFAULT_PASSWORD, SESSION_COOKIE  # noqa: E402

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


class SharedServerTest(cloud.ServerTestCase):
    """One server for the tests that do not need special tuning flags."""

    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("acme", "alice@example.com")
        cls.server.start()
        cls.owner = cls.server.login("alice@example.com")

    def new_user(self, role: str = "engineer", password: str = DEFAULT_PASSWORD) -> str:
        email = unique_email(role)
        self.owner.add_member(self.org.id, email, role, password)
        return email

    def assertError(self, resp, status: int, code: str):
        self.assertEqual(resp.status, status, str(resp))
        self.assertEqual(resp.json().get("error"), code, str(resp))


class LoginTest(SharedServerTest):
    def test_login_ok_returns_user_csrf_token_and_cookie(self):
        c = self.server.client()
        resp = c.login("alice@example.com")
        data = resp.json()
        self.assertEqual(data["user"]["email"], "alice@example.com")
        self.assertTrue(data.get("csrf_token"), "login must return a csrf_token")
        self.assertTrue(c.session_token, "login must set the session cookie")
        me = c.me()
        self.assertEqual(me["user"]["email"], "alice@example.com")
        self.assertEqual(me["user"]["id"], self.org.owner_id)
        self.assertIn({"org_id": self.org.id, "org_name": "acme", "role": "owner"},
                      [{k: m.get(k) for k in ("org_id", "org_name", "role")} for m in me["memberships"]])
        for key in ("id", "idle_expires_at", "absolute_expires_at"):
            self.assertIn(key, me["session"])
        cloud.parse_iso(me["session"]["idle_expires_at"])
        cloud.parse_iso(me["session"]["absolute_expires_at"])

    def test_bad_login_same_401_for_unknown_user_and_wrong_password(self):
        email = self.new_user()
        wrong = self.server.client().login(email, "not the password at all", expect=401)
        unknown = self.server.client().login(unique_email("nobody"), "not the password at all", expect=401)
        self.assertEqual(wrong.json().get("error"), "invalid_credentials", str(wrong))
        self.assertEqual(wrong.json(), unknown.json(), "unknown user and wrong password must give the same body")
        self.assertIsNone(self.server.client().session_token)
        for resp in (wrong, unknown):
            self.assertFalse(any(c.name == SESSION_COOKIE and not c.clears
                                 for c in map(cloud.parse_set_cookie, resp.header_all("Set-Cookie"))),
                             "a failed login must not set a session cookie")

    def test_session_cookie_attributes(self):
        c = self.server.client()
        c.login("alice@example.com")
        cookie = c.session_set_cookie()
        self.assertIsNotNone(cookie, f"no {SESSION_COOKIE} Set-Cookie in {c.last_set_cookies}")
        self.assertTrue(cookie.name.startswith("__Host-"))
        self.assertIn("secure", cookie.attributes)
        self.assertIn("httponly", cookie.attributes)
        self.assertEqual(cookie.attributes.get("samesite", "").lower(), "strict")
        self.assertEqual(cookie.attributes.get("path"), "/")
        self.assertNotIn("domain", cookie.attributes, "__Host- cookies must not carry a Domain")
        self.assertGreaterEqual(len(cookie.value), 32, "session token should carry >= 128 bits (>= 32 chars)")

    def test_new_session_id_at_each_login(self):
        # A cookie chosen by an attacker before login must not become the session.
        c = self.server.client()
        planted = "attacker-chosen-session-value-0123456789abcdef"
        c.cookies[SESSION_COOKIE] = planted
        c.login("alice@example.com")
        self.assertNotEqual(c.session_token, planted)
        first = c.session_token
        # A valid session sent along with a new login is replaced by a fresh one.
        c.login("alice@example.com")
        second = c.session_token
        self.assertNotEqual(first, second, "login must issue a new session id")
        old = self.server.client()
        old.cookies[SESSION_COOKIE] = planted
        self.assertError(old.get("/api/v1/me"), 401, "unauthenticated")

    def test_logout_invalidates_session_server_side(self):
        c = self.server.client()
        c.login("alice@example.com")
        token = c.session_token
        c.me()
        resp = c.logout()
        cleared = c.session_set_cookie()
        self.assertIsNotNone(cleared, "logout must clear the cookie")
        self.assertTrue(cleared.clears, f"logout Set-Cookie does not clear: {cleared}")
        replay = self.server.client()
        replay.cookies[SESSION_COOKIE] = token
        self.assertError(replay.get("/api/v1/me"), 401, "unauthenticated")
        self.assertEqual(resp.status, 204)

    def test_unauthenticated_requests_get_401(self):
        c = self.server.client()
        for path in ("/api/v1/me", "/api/v1/me/sessions", "/api/v1/me/audit", "/api/v1/orgs"):
            with self.subTest(path=path):
                self.assertError(c.get(path), 401, "unauthenticated")


class CsrfTest(SharedServerTest):
    def test_state_change_without_or_with_wrong_csrf_token_is_403(self):
        email = self.new_user()
        c = self.server.login(email)
        body = {"current_password": DEFAULT_PASSWORD, "new_password": "another long password 1"}
        self.assertError(c.post("/api/v1/me/password", body, csrf=False), 403, "csrf")
        self.assertError(c.post("/api/v1/me/password", body, csrf="wrong-token"), 403, "csrf")
        self.assertError(c.post("/api/v1/auth/logout", csrf=False), 403, "csrf")
        self.assertError(c.delete(f"/api/v1/me/sessions/{c.me()['session']['id']}", csrf=False), 403, "csrf")
        # Nothing happened: the session is alive and the password unchanged.
        c.me()
        self.server.client().login(email, DEFAULT_PASSWORD)

    def test_csrf_token_of_another_session_is_rejected(self):
        email = self.new_user()
        a = self.server.login(email)
        b = self.server.login(email)
        self.assertNotEqual(a.csrf_token, b.csrf_token)
        self.assertError(a.post("/api/v1/auth/logout", csrf=b.csrf_token), 403, "csrf")

    def test_login_with_cross_site_origin_is_403(self):
        c = self.server.client()
        resp = c.login("alice@example.com", expect=403, headers={"Origin": "https://evil.example"})
        self.assertEqual(resp.json().get("error"), "csrf", str(resp))
        self.assertIsNone(c.session_token)
        c.login("alice@example.com", expect=200, headers={"Origin": c.origin})


class SessionListTest(SharedServerTest):
    def test_list_and_revoke_own_sessions(self):
        email = self.new_user()
        a = self.server.login(email, user_agent="agent-A")
        b = self.server.login(email, user_agent="agent-B")
        sessions = a.get_json("/api/v1/me/sessions")["sessions"]
        self.assertEqual(len(sessions), 2, sessions)
        for s in sessions:
            for key in ("id", "created_at", "last_seen_at", "ip", "client", "user_agent", "current"):
                self.assertIn(key, s)
            self.assertEqual(s["ip"], "127.0.0.1")
            self.assertEqual(s["client"], "web")
        current = [s for s in sessions if s["current"]]
        self.assertEqual(len(current), 1, sessions)
        self.assertEqual(current[0]["id"], a.me()["session"]["id"])
        self.assertEqual(current[0]["user_agent"], "agent-A")
        other = [s for s in sessions if not s["current"]][0]
        self.assertEqual(other["id"], b.me()["session"]["id"])
        resp = a.delete(f"/api/v1/me/sessions/{other['id']}")
        self.assertEqual(resp.status, 204, str(resp))
        self.assertError(b.get("/api/v1/me"), 401, "unauthenticated")
        remaining = a.get_json("/api/v1/me/sessions")["sessions"]
        self.assertEqual([s["id"] for s in remaining], [current[0]["id"]])
        events = [e["event"] for e in a.get_json("/api/v1/me/audit")["events"]]
        self.assertIn("SESSION_REVOKED", events)

    def test_revoking_another_users_session_is_404(self):
        mallory = self.server.login(self.new_user())
        victim = self.server.login(self.new_user())
        victim_session = victim.me()["session"]["id"]
        self.assertError(mallory.delete(f"/api/v1/me/sessions/{victim_session}"), 404, "not_found")
        self.assertError(mallory.delete(f"/api/v1/me/sessions/{uuid.uuid4()}"), 404, "not_found")
        victim.me()  # still logged in
        self.assertNotIn(victim_session, [s["id"] for s in mallory.get_json("/api/v1/me/sessions")["sessions"]])


class PasswordChangeTest(SharedServerTest):
    def test_password_change_rules_and_effects(self):
        email = self.new_user()
        c = self.server.login(email)
        other = self.server.login(email)
        new_password = "a brand new passphrase 42"
        self.assertError(c.post("/api/v1/me/password",
                                {"current_password": DEFAULT_PASSWORD, "new_password": "short-11ch!"}),
                         400, "weak_password")
        self.assertError(c.post("/api/v1/me/password",
                                {"current_password": DEFAULT_PASSWORD, "new_password": "x" * 1025}),
                         400, "weak_password")
        self.assertError(c.post("/api/v1/me/password",
                                {"current_password": "not my password!!", "new_password": new_password}),
                         403, "wrong_password")
        other.me()  # failed attempts revoke nothing
        resp = c.post("/api/v1/me/password", {"current_password": DEFAULT_PASSWORD, "new_password": new_password})
        self.assertEqual(resp.status, 204, str(resp))
        c.me()  # the session that changed the password stays valid
        self.assertError(other.get("/api/v1/me"), 401, "unauthenticated")
        self.server.client().login(email, DEFAULT_PASSWORD, expect=401)
        self.server.client().login(email, new_password, expect=200)
        events = [e["event"] for e in c.get_json("/api/v1/me/audit")["events"]]
        self.assertIn("PASSWORD_CHANGE", events)

    def test_minimum_length_is_twelve(self):
        email = self.new_user()
        c = self.server.login(email)
        twelve = "twelve-chars"
        self.assertEqual(len(twelve), 12)
        resp = c.post("/api/v1/me/password", {"current_password": DEFAULT_PASSWORD, "new_password": twelve})
        self.assertEqual(resp.status, 204, str(resp))
        self.server.client().login(email, twelve)


class SecurityHeadersTest(SharedServerTest):
    def check_headers(self, resp, api: bool):
        label = f"{resp.method} {resp.path} ({resp.status})"
        csp = resp.header("Content-Security-Policy")
        self.assertIsNotNone(csp, f"{label}: no CSP")
        self.assertNotIn("unsafe-inline", csp, label)
        self.assertNotIn("unsafe-eval", csp, label)
        directives = {}
        for part in csp.split(";"):
            part = part.strip()
            if part:
                name, _, value = part.partition(" ")
                directives[name] = " ".join(value.split())
        # Every directive of the documented policy (src/cloud/http/security_headers.hpp) with its value; extra directives only if they are no looser
        # than default-src 'self' (e.g. connect-src 'self').
        for name, value in EXPECTED_CSP.items():
            self.assertEqual(directives.get(name), value, f"{label}: CSP {csp!r} directive {name}")
        for name, value in directives.items():
            if name not in EXPECTED_CSP:
                self.assertIn(value, ("'self'", "'none'"), f"{label}: extra CSP directive {name} {value!r}")
        hsts = resp.header("Strict-Transport-Security") or ""
        self.assertRegex(hsts, r"max-age=(3153[6-9]\d{3}|[4-9]\d{7}|\d{9,})", label)
        self.assertIn("includeSubDomains", hsts, label)
        self.assertEqual(resp.header("X-Frame-Options"), "DENY", label)
        self.assertEqual(resp.header("X-Content-Type-Options"), "nosniff", label)
        self.assertEqual(resp.header("Referrer-Policy"), "no-referrer", label)
        if api:
            self.assertIn("no-store", resp.header("Cache-Control") or "", label)

    def test_security_headers_on_every_response_kind(self):
        anon = self.server.client()
        cases = [
            (self.owner.get("/api/v1/me"), True, 200),
            (anon.get("/api/v1/me"), True, 401),
            (anon.login("alice@example.com", "wrong password!!", expect=401), True, 401),
            (anon.get("/api/v1/no-such-route"), True, 404),
            (anon.get("/login.html"), False, 200),
            (anon.get("/no-such-page.html"), False, 404),
            (anon.get("/healthz"), False, 200),
            (anon.get("/"), False, None),
        ]
        for resp, api, status in cases:
            with self.subTest(path=resp.path, status=resp.status):
                if status is not None:
                    self.assertEqual(resp.status, status, str(resp))
                self.check_headers(resp, api)
        self.assertIn("text/html", cases[4][0].header("Content-Type") or "")
        self.assertIn("application/json", cases[0][0].header("Content-Type") or "")
        self.assertNotIn("<script>", cases[4][0].text.replace(" ", "").lower(),
                         "login.html must not carry inline script (CSP forbids it)")


class TimeoutTest(cloud.ServerTestCase):
    """Session idle timeout 2 s, absolute timeout 3 s."""

    server_args = ("--session-idle-s", "2", "--session-absolute-s", "3")

    @classmethod
    def populate(cls):
        cls.server.create_org("acme", "alice@example.com")
        cls.server.start()

    def test_idle_timeout(self):
        c = self.server.login("alice@example.com")
        me = c.me()
        idle = cloud.parse_iso(me["session"]["idle_expires_at"]) - time.time()
        self.assertTrue(0.5 < idle <= 2.5, f"idle_expires_at is {idle:.2f}s ahead, expected ~2s")
        absolute = cloud.parse_iso(me["session"]["absolute_expires_at"]) - time.time()
        self.assertTrue(1.5 < absolute <= 3.5, f"absolute_expires_at is {absolute:.2f}s ahead, expected ~3s")
        time.sleep(2.3)
        resp = c.get("/api/v1/me")
        self.assertEqual(resp.status, 401, f"session should have expired after 2.3 s idle: {resp}")
        self.assertEqual(resp.json().get("error"), "unauthenticated")
        events = self.server.login("alice@example.com").get_json("/api/v1/me/audit")["events"]
        self.assertIn("SESSION_EXPIRED", [e["event"] for e in events], "expiry is not in the account log")

    def test_absolute_timeout_despite_activity(self):
        c = self.server.login("alice@example.com")
        start = time.monotonic()
        # Activity every 0.4 s keeps the idle timer (2 s) fresh; the session must still be alive
        # at 2.4 s (so idle expiry is sliding) and must end by ~3 s (absolute), bounded at 5 s.
        expired_at = None
        while time.monotonic() - start < 5.0:
            resp = c.get("/api/v1/me")
            elapsed = time.monotonic() - start
            if resp.status == 401:
                expired_at = elapsed
                break
            self.assertEqual(resp.status, 200, str(resp))
            time.sleep(0.4)
        self.assertIsNotNone(expired_at, "session still valid 5 s after login with --session-absolute-s 3")
        self.assertGreater(expired_at, 2.2, f"session ended after {expired_at:.2f}s despite activity "
                                            "(idle timeout should slide, absolute is 3 s)")
        self.assertLess(expired_at, 4.2, f"session ended only after {expired_at:.2f}s, absolute is 3 s")


class LockoutTest(unittest.TestCase):
    """--lockout-failures 3 --lockout-wait-s 2; each test gets its own server so that
    per-IP throttling from one test cannot leak into another."""

    def start_server(self):
        srv = cloud.CloudServer(["--lockout-failures", "3", "--lockout-wait-s", "2"])
        self.addCleanup(srv.__exit__, None, None, None)
        srv.__enter__()
        org = srv.create_org("acme", "alice@example.com")
        srv.start()
        return srv, org

    def fail_three_times(self, srv, email):
        statuses = []
        for i in range(3):
            resp = srv.client().login(email, f"wrong password #{i}", expect=None)
            statuses.append(resp.status)
        self.assertEqual(statuses[:2], [401, 401], statuses)
        self.assertIn(statuses[2], (401, 429), statuses)
        return statuses

    def assert_locked(self, resp):
        self.assertEqual(resp.status, 429, str(resp))
        body = resp.json()
        self.assertEqual(body.get("error"), "locked", str(resp))
        retry = resp.header("Retry-After")
        self.assertIsNotNone(retry, "429 must carry Retry-After")
        self.assertTrue(retry.isdigit() and 1 <= int(retry) <= 3, f"Retry-After {retry!r} (lockout wait is 2 s)")
        self.assertIsInstance(body.get("retry_after_s"), int)
        self.assertTrue(1 <= body["retry_after_s"] <= 3, str(resp))
        return int(retry)

    def test_lockout_then_unlock_and_audit(self):
        srv, org = self.start_server()
        self.fail_three_times(srv, "alice@example.com")
        locked_at = time.monotonic()
        resp = srv.client().login("alice@example.com", DEFAULT_PASSWORD, expect=None)
        retry = self.assert_locked(resp)
        self.assertIsNone(srv.client().session_token)
        # After the wait the right password works (bounded: wait + 2 s).
        deadline = locked_at + retry + 2.0
        time.sleep(max(0.0, locked_at + retry - time.monotonic()))
        while True:
            resp = srv.client().login("alice@example.com", DEFAULT_PASSWORD, expect=None)
            if resp.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(resp.status, 200, f"login after the lockout wait: {resp}")
        c = srv.login("alice@example.com")
        events = [e for e in c.get_json("/api/v1/me/audit")["events"] if e["event"] == "LOCKOUT"]
        self.assertTrue(events, "no LOCKOUT event in the account log")
        self.assertTrue(all(e["event"] == "LOCKOUT" for e in events))
        self.assertIn("alice@example.com", events[0]["username"] + " " + events[0]["details"])
        # The lockout is the account's, not something that happened in the organisation.
        self.assertEqual(c.get_json(f"/api/v1/orgs/{org.id}/audit?event=LOCKOUT")["events"], [])
        own = c.get_json("/api/v1/me/audit")["events"]
        errors = [e for e in own if e["event"] == "LOGIN_ERROR"]
        self.assertGreaterEqual(len(errors), 2, f"LOGIN_ERROR events missing from the account log: {own}")
        self.assertIn("error=invalid_credentials", errors[-1]["details"])
        self.assertIn("LOCKOUT", [e["event"] for e in own])

    def test_refusals_during_a_lockout_cannot_flood_the_audit_log(self):
        # Refused while locked costs no password check: junk addresses from one source must not
        # write an entry each (the chain, the anchor file and the named accounts' logs).
        srv = cloud.CloudServer(["--lockout-failures", "1000", "--lockout-ip-failures", "3",
                                 "--lockout-wait-s", "60"])
        self.addCleanup(srv.__exit__, None, None, None)
        srv.__enter__()
        srv.create_org("acme", "alice@example.com")
        srv.start()
        for i in range(3):
            srv.client().login(f"probe-{i}@example.com", "wrong password!!", expect=None)
        statuses = [srv.client().login(f"junk-{i}-{'x' * 150}@example.com", "wrong password!!", expect=None).status
                    for i in range(40)]
        self.assertEqual(set(statuses), {429}, statuses)
        with sqlite3.connect(os.path.join(srv.data_dir, "logbot.db")) as db:
            locked = db.execute("SELECT count(*) FROM audit_events WHERE event = 'LOGIN_ERROR' "
                                "AND details LIKE '%temporarily_locked%'").fetchone()[0]
            lockouts = db.execute("SELECT count(*) FROM audit_events WHERE event = 'LOCKOUT'").fetchone()[0]
        self.assertEqual(locked, 1, "one entry for 40 refusals from one address within a minute")
        self.assertEqual(lockouts, 1)

    def test_unknown_email_gets_same_lockout_behaviour(self):
        srv, _ = self.start_server()
        ghost = "nobody-here@example.com"
        statuses = self.fail_three_times(srv, ghost)
        resp = srv.client().login(ghost, DEFAULT_PASSWORD, expect=None)
        self.assert_locked(resp)
        # Compare with a real account in the same state: identical status sequence and body keys.
        real_statuses = self.fail_three_times(srv, "alice@example.com")
        real = srv.client().login("alice@example.com", DEFAULT_PASSWORD, expect=None)
        self.assert_locked(real)
        self.assertEqual(statuses, real_statuses)
        self.assertEqual(set(resp.json()), set(real.json()))


if __name__ == "__main__":
    unittest.main()
