"""Membership only with consent (docs/SECURITY.md, "Invitations"), against the real logbot-cloud:

  * the attacks of the review fail: an owner or admin cannot add another tenant's existing
    account (no membership, no 201), nor learn whether an address has an account (the invite
    answers the same); the operator cannot attach an existing account as an owner;
  * an organisation's log holds only its own entries (no member's logins with their IP);
  * an organisation's `require_2fa` gates that organisation only (403 org_requires_2fa),
    not the member's login, account pages or other organisations;
  * the invitation lifecycle: accept after one's own login, decline, revoke, expiry (a server
    with --invitation-ttl-s 1), single use of the link, the invitee's own password (policy
    applies), another account cannot answer someone's invitation, another tenant sees 404,
    every step in the organisation's audit log, the token stored only as a hash.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_invitations.py   (from the repository root)
"""

import os
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from cloud import DEFAULT_PASSWORD  # noqa: E402

SQLITE = shutil.which("sqlite3") or "/usr/bin/sqlite3"
OTHER_PASSWORD = "an entirely different passphrase"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def shape(value):
    """The structure of a JSON value (keys and types), without its data."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


class Helpers:
    """Shared by the test classes; self.server is a started CloudServer."""

    def assertError(self, resp, status, code, msg=""):
        self.assertEqual(resp.status, status, f"{msg} {resp}".strip())
        self.assertEqual(resp.json().get("error"), code, f"{msg} {resp}".strip())

    def org_ids_of(self, client):
        return {o["id"] for o in client.get_json("/api/v1/orgs")["orgs"]}

    def member_emails(self, client, org_id):
        return {m["email"] for m in client.get_json(f"/api/v1/orgs/{org_id}/members")["members"]}

    def org_log(self, client, org_id, event=None):
        path = f"/api/v1/orgs/{org_id}/audit?limit=1000" + (f"&event={event}" if event else "")
        return client.get_json(path)["events"]

    def my_invitations(self, client):
        return client.get_json("/api/v1/me/invitations")["invitations"]

    def new_person(self):
        """An account of its own organisation (another tenant), logged in."""
        email = unique_email("carol")
        org = self.server.create_org(f"org-{uuid.uuid4().hex[:8]}", email)
        return email, org, self.server.login(email)


class AttackTest(Helpers, cloud.ServerTestCase):
    """The review's attacks. The set-up uses nothing but the admin command, so that these
    tests also run against a server from before invitations (where they fail)."""

    @classmethod
    def populate(cls):
        cls.org_a = cls.server.create_org("alpha", "alice@example.com")
        cls.org_b = cls.server.create_org("beta", "bob@example.com")
        cls.server.create_operator("op@example.com")
        cls.server.start()
        cls.alice = cls.server.login("alice@example.com")
        cls.bob = cls.server.login("bob@example.com")
        cls.operator = cls.server.login("op@example.com")

    def test_attack_adding_another_tenants_account_makes_no_member(self):
        for client, role in ((self.bob, "owner"),):
            for body in ({"email": "alice@example.com", "role": "viewer"},
                         {"email": "alice@example.com", "role": "viewer", "password": DEFAULT_PASSWORD}):
                with self.subTest(by=role, body=sorted(body)):
                    resp = client.post(f"/api/v1/orgs/{self.org_b.id}/members", body)
                    self.assertNotEqual(resp.status, 201, f"direct add of an existing account: {resp}")
        self.assertNotIn("alice@example.com", self.member_emails(self.bob, self.org_b.id))
        self.assertNotIn(self.org_b.id, self.org_ids_of(self.alice))
        # Inviting her is allowed, and changes nothing until she answers.
        invitation = self.bob.invite(self.org_b.id, "alice@example.com", "viewer")
        self.assertNotIn("alice@example.com", self.member_emails(self.bob, self.org_b.id))
        self.assertNotIn(self.org_b.id, self.org_ids_of(self.alice))
        self.assertEqual(self.bob.delete(
            f"/api/v1/orgs/{self.org_b.id}/invitations/{invitation['invitation']['id']}").status, 204)

    def test_attack_invite_answer_does_not_tell_whether_an_address_has_an_account(self):
        # Before: the add-member route answered 201 for an existing account and 400 "'password'
        # is required for a new account" otherwise. Now it does not exist: the same for both.
        old_existing = self.bob.post(f"/api/v1/orgs/{self.org_b.id}/members", {"email": "alice@example.com",
                                                                               "role": "viewer"})
        old_fresh = self.bob.post(f"/api/v1/orgs/{self.org_b.id}/members", {"email": unique_email("nobody"),
                                                                            "role": "viewer"})
        self.assertEqual((old_existing.status, old_existing.json()), (old_fresh.status, old_fresh.json()))
        self.assertNotIn("alice@example.com", self.member_emails(self.bob, self.org_b.id))
        existing = self.bob.post(f"/api/v1/orgs/{self.org_b.id}/invitations",
                                 {"email": "alice@example.com", "role": "engineer"})
        fresh_email = unique_email("nobody")
        fresh = self.bob.post(f"/api/v1/orgs/{self.org_b.id}/invitations", {"email": fresh_email, "role": "engineer"})
        self.assertEqual((existing.status, fresh.status), (201, 201), f"{existing}\n{fresh}")
        self.assertEqual(shape(existing.json()), shape(fresh.json()))
        e, f = existing.json(), fresh.json()
        for key in ("role", "state", "org_id", "org_name", "invited_by"):
            self.assertEqual(e["invitation"][key], f["invitation"][key], key)
        self.assertEqual(len(e["token"]), len(f["token"]))
        self.assertEqual(set(existing.headers.keys()), set(fresh.headers.keys()))
        # The list of pending invitations shows both alike.
        pending = {i["email"]: i for i in self.bob.get_json(f"/api/v1/orgs/{self.org_b.id}/invitations")["invitations"]}
        self.assertEqual(shape(pending["alice@example.com"]), shape(pending[fresh_email]))
        for answer in (e, f):
            self.bob.delete(f"/api/v1/orgs/{self.org_b.id}/invitations/{answer['invitation']['id']}")

    def test_attack_org_log_shows_no_member_logins_and_only_its_own_entries(self):
        # alice logs in from the CLI; before, alice's org log (and the log of any organisation
        # that had added her) showed that LOGIN with her IP.
        self.server.login("alice@example.com", client_kind="cli")
        events = self.org_log(self.alice, self.org_a.id)
        self.assertTrue(events)
        for e in events:
            self.assertEqual(e["org_id"], self.org_a.id, f"an entry of no or another organisation: {e}")
        kinds = {e["event"] for e in events}
        for account_event in ("LOGIN", "LOGOUT", "LOGIN_ERROR", "PASSWORD_CHANGE", "SESSION_REVOKED"):
            self.assertNotIn(account_event, kinds)
        self.assertEqual(self.org_log(self.alice, self.org_a.id, "LOGIN"), [])
        # The account log still has it.
        mine = self.alice.get_json("/api/v1/me/audit?event=LOGIN")["events"]
        self.assertTrue(any(e["client"] == "cli" for e in mine), mine)

    def test_attack_operator_cannot_make_an_existing_account_owner(self):
        email, org, carol = self.new_person()
        before = self.org_ids_of(carol)
        answers = {}
        for label, owner in (("existing", email), ("new", unique_email("fresh-owner"))):
            resp = self.operator.post("/api/v1/admin/orgs", {"name": f"op-{label}-{uuid.uuid4().hex[:6]}",
                                                             "owner_email": owner})
            self.assertEqual(resp.status, 201, str(resp))
            answers[label] = resp.json()
        self.assertEqual(shape(answers["existing"]), shape(answers["new"]))
        self.assertEqual(self.org_ids_of(carol), before, "the operator attached an existing account")
        # A password for the owner is refused outright (the owner chooses it).
        resp = self.operator.post("/api/v1/admin/orgs", {"name": f"op-pw-{uuid.uuid4().hex[:6]}",
                                                         "owner_email": unique_email("o"),
                                                         "owner_password": DEFAULT_PASSWORD})
        self.assertError(resp, 400, "bad_request")
        # carol sees the invitation and becomes owner only by accepting it.
        pending = [i for i in self.my_invitations(carol) if i["org_id"] == answers["existing"]["id"]]
        self.assertEqual(len(pending), 1, self.my_invitations(carol))
        self.assertEqual(pending[0]["role"], "owner")
        self.assertEqual(carol.post(f"/api/v1/me/invitations/{pending[0]['id']}/accept").status, 200)
        self.assertEqual(carol.get_json(f"/api/v1/orgs/{answers['existing']['id']}")["role"], "owner")
        # An organisation with an owner invites its members itself; one without an owner (its
        # owner invitation not accepted) gets a new owner invitation from the operator.
        resp = self.operator.post(f"/api/v1/admin/orgs/{answers['existing']['id']}/owner-invitation",
                                  {"owner_email": unique_email("x")})
        self.assertError(resp, 409, "has_owner")
        orphan = answers["new"]
        resp = self.operator.post(f"/api/v1/admin/orgs/{orphan['id']}/owner-invitation", {"owner_email": email})
        self.assertEqual(resp.status, 201, str(resp))
        self.assertEqual(shape(resp.json()), shape({k: v for k, v in orphan.items() if k not in ("id", "name")}))
        self.assertEqual(resp.json()["invitation"]["role"], "owner")
        self.assertError(self.operator.post(f"/api/v1/admin/orgs/{uuid.uuid4()}/owner-invitation",
                                            {"owner_email": email}), 404, "not_found")
        self.assertError(carol.post(f"/api/v1/admin/orgs/{orphan['id']}/owner-invitation", {"owner_email": email}),
                         403, "forbidden")

    def test_attack_org_policy_is_not_imposed_on_the_account(self):
        email, org, carol = self.new_person()
        strict = self.server.create_org(f"strict-{uuid.uuid4().hex[:6]}", unique_email("sam"))
        sam = self.server.login(strict.owner_email)
        sam.add_member(strict.id, email, "viewer", DEFAULT_PASSWORD)  # carol consents
        # (sam has no authenticator either: from now on he too must enrol before using "strict".)
        self.assertEqual(sam.patch(f"/api/v1/orgs/{strict.id}", {"require_2fa": True}).status, 200)
        self.assertError(sam.get(f"/api/v1/orgs/{strict.id}"), 403, "org_requires_2fa")
        # The next login is a normal one: the policy does not hold it up ...
        c = self.server.client()
        resp = c.login(email)
        self.assertEqual(resp.json().get("stage"), "full", str(resp))
        # ... carol's own organisation and account pages work ...
        self.assertEqual(c.get(f"/api/v1/orgs/{org.id}").status, 200)
        self.assertEqual(c.get(f"/api/v1/orgs/{org.id}/members").status, 200)
        for path in ("/api/v1/me/sessions", "/api/v1/me/audit", "/api/v1/orgs", "/api/v1/me/totp"):
            self.assertEqual(c.get(path).status, 200, path)
        # ... and only the strict organisation's routes ask for the authenticator.
        for path in (f"/api/v1/orgs/{strict.id}", f"/api/v1/orgs/{strict.id}/members",
                     f"/api/v1/orgs/{strict.id}/devices"):
            self.assertError(c.get(path), 403, "org_requires_2fa", path)
        me = c.me()
        self.assertEqual({m["org_id"]: m["require_2fa"] for m in me["memberships"]}, {org.id: False, strict.id: True})

    def test_cli_create_org_refuses_an_existing_account(self):
        proc = self.server.cli("admin", "create-org", "takeover", "--owner", "alice@example.com", "--password-stdin",
                               "--data-dir", self.server.data_dir, stdin_text=OTHER_PASSWORD + "\n")
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertIn("exists already", proc.stderr)
        names = {o["name"] for o in self.operator.get_json("/api/v1/admin/orgs")["orgs"]}
        self.assertNotIn("takeover", names)
        self.server.login("alice@example.com")  # her password is unchanged
        self.server.client().login("alice@example.com", OTHER_PASSWORD, expect=401)


class InvitationsTest(Helpers, cloud.ServerTestCase):
    @classmethod
    def populate(cls):
        cls.org_a = cls.server.create_org("alpha", "alice@example.com")
        cls.org_b = cls.server.create_org("beta", "bob@example.com")
        cls.server.create_operator("op@example.com")
        cls.server.start()
        cls.alice = cls.server.login("alice@example.com")
        cls.bob = cls.server.login("bob@example.com")
        cls.operator = cls.server.login("op@example.com")
        cls.b_admin_email = unique_email("b-admin")
        cls.bob.add_member(cls.org_b.id, cls.b_admin_email, "admin")
        cls.b_admin = cls.server.login(cls.b_admin_email)

    # -- lifecycle -------------------------------------------------------------------------------
    def test_existing_account_accepts_after_its_own_login(self):
        email, org, carol = self.new_person()
        created = self.bob.invite(self.org_b.id, email, "engineer")
        inv_id = created["invitation"]["id"]
        pending = self.my_invitations(carol)
        self.assertEqual([(i["id"], i["org_name"], i["role"], i["invited_by"]) for i in pending],
                         [(inv_id, "beta", "engineer", "bob@example.com")])
        resp = carol.post(f"/api/v1/me/invitations/{inv_id}/accept")
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json()["role"], "engineer")
        self.assertEqual(carol.get_json(f"/api/v1/orgs/{self.org_b.id}")["role"], "engineer")
        self.assertEqual(self.my_invitations(carol), [])
        # Answered: the link and a second accept are dead.
        self.assertEqual(carol.post(f"/api/v1/me/invitations/{inv_id}/accept").status, 404)
        self.assertError(self.server.client().post("/api/v1/invitations/lookup", {"token": created["token"]}),
                         404, "invalid_invitation")
        log = self.org_log(self.bob, self.org_b.id)
        created_e = [e for e in log if e["event"] == "INVITATION_CREATED" and inv_id in e["details"]]
        accepted = [e for e in log if e["event"] == "INVITATION_ACCEPTED" and inv_id in e["details"]]
        self.assertEqual(len(created_e), 1, log[:5])
        self.assertEqual(created_e[0]["username"], "bob@example.com")
        self.assertEqual(cloud.parse_details(created_e[0]["details"]).get("email"), email)
        self.assertEqual(len(accepted), 1, log[:5])
        self.assertEqual(accepted[0]["username"], email)
        self.assertTrue(any(e["event"] == "MEMBER_ADDED" and cloud.parse_details(e["details"]).get("member") == email
                            for e in log))
        self.assertEqual(self.org_log(self.bob, self.org_b.id, "LOGIN"), [], "carol's login is hers, not beta's")

    def test_new_account_through_the_link_with_its_own_password(self):
        email = unique_email("dora")
        created = self.alice.invite(self.org_a.id, email, "viewer")
        self.assertTrue(created["url"].startswith(self.server.base_url + "/invite.html#"), created["url"])
        self.assertTrue(created["url"].endswith(created["token"]))
        self.assertGreaterEqual(len(created["token"]), 43, "at least 256 bits")
        visitor = self.server.client()
        info = visitor.post("/api/v1/invitations/lookup", {"token": created["token"]})
        self.assertEqual(info.status, 200, str(info))
        self.assertEqual((info.json()["org_name"], info.json()["email"], info.json()["role"]), ("alpha", email, "viewer"))
        # The password policy applies; a refused password leaves the link usable.
        self.assertError(visitor.post("/api/v1/invitations/redeem", {"token": created["token"], "password": "short"}),
                         400, "weak_password")
        resp = visitor.post("/api/v1/invitations/redeem",
                            {"token": created["token"], "password": OTHER_PASSWORD, "display_name": "Dora"})
        self.assertEqual(resp.status, 201, str(resp))
        self.assertEqual(resp.json()["org_id"], self.org_a.id)
        # Single use.
        again = self.server.client().post("/api/v1/invitations/redeem",
                                          {"token": created["token"], "password": "yet another long passphrase"})
        self.assertError(again, 404, "invalid_invitation")
        dora = self.server.login(email, OTHER_PASSWORD)
        self.assertEqual(dora.get_json(f"/api/v1/orgs/{self.org_a.id}")["role"], "viewer")
        self.assertEqual(dora.me()["user"]["display_name"], "Dora")
        self.server.client().login(email, "yet another long passphrase", expect=401)
        kinds = [e["event"] for e in self.org_log(self.alice, self.org_a.id) if email in (e["username"] or "")
                 or email in e["details"]]
        for needed in ("INVITATION_CREATED", "USER_CREATED", "INVITATION_ACCEPTED", "MEMBER_ADDED"):
            self.assertIn(needed, kinds)

    def test_link_of_an_existing_account_neither_joins_nor_changes_its_password(self):
        email, org, carol = self.new_person()
        created = self.bob.invite(self.org_b.id, email, "viewer")
        resp = self.server.client().post("/api/v1/invitations/redeem",
                                         {"token": created["token"], "password": OTHER_PASSWORD})
        self.assertError(resp, 409, "account_exists")
        self.server.client().login(email, OTHER_PASSWORD, expect=401)
        self.server.login(email)
        self.assertNotIn(self.org_b.id, self.org_ids_of(carol))
        self.assertEqual(len(self.my_invitations(carol)), 1, "the invitation is still pending for her to answer")
        self.bob.delete(f"/api/v1/orgs/{self.org_b.id}/invitations/{created['invitation']['id']}")

    def test_decline(self):
        email, org, carol = self.new_person()
        inv_id = self.bob.invite(self.org_b.id, email, "viewer")["invitation"]["id"]
        self.assertEqual(carol.post(f"/api/v1/me/invitations/{inv_id}/decline").status, 204)
        self.assertEqual(carol.post(f"/api/v1/me/invitations/{inv_id}/accept").status, 404)
        self.assertNotIn(self.org_b.id, self.org_ids_of(carol))
        declined = [e for e in self.org_log(self.bob, self.org_b.id, "INVITATION_DECLINED") if inv_id in e["details"]]
        self.assertEqual(len(declined), 1)
        self.assertEqual(declined[0]["username"], email)
        # Declining ends this invitation only: a new one may be sent.
        self.bob.invite(self.org_b.id, email, "viewer")

    def test_revoke(self):
        email = unique_email("erin")
        created = self.alice.invite(self.org_a.id, email, "viewer")
        inv_id = created["invitation"]["id"]
        self.assertError(self.alice.post(f"/api/v1/orgs/{self.org_a.id}/invitations", {"email": email, "role": "admin"}),
                         409, "invitation_pending")
        self.assertEqual(self.alice.delete(f"/api/v1/orgs/{self.org_a.id}/invitations/{inv_id}").status, 204)
        self.assertEqual(self.alice.delete(f"/api/v1/orgs/{self.org_a.id}/invitations/{inv_id}").status, 404)
        self.assertError(self.server.client().post("/api/v1/invitations/redeem",
                                                   {"token": created["token"], "password": OTHER_PASSWORD}),
                         404, "invalid_invitation")
        self.server.client().login(email, OTHER_PASSWORD, expect=401)
        self.assertNotIn(inv_id, [i["id"] for i in self.alice.get_json(
            f"/api/v1/orgs/{self.org_a.id}/invitations")["invitations"]])
        revoked = [e for e in self.org_log(self.alice, self.org_a.id, "INVITATION_REVOKED") if inv_id in e["details"]]
        self.assertEqual(len(revoked), 1)
        self.assertEqual(revoked[0]["username"], "alice@example.com")

    def test_admin_invites_but_not_as_owner(self):
        email = unique_email("hana")
        created = self.b_admin.invite(self.org_b.id, email, "engineer")
        self.assertEqual(created["invitation"]["invited_by"], self.b_admin_email)
        self.assertError(self.b_admin.post(f"/api/v1/orgs/{self.org_b.id}/invitations",
                                           {"email": unique_email("ivan"), "role": "owner"}), 403, "forbidden")
        self.assertEqual(self.b_admin.delete(
            f"/api/v1/orgs/{self.org_b.id}/invitations/{created['invitation']['id']}").status, 204)

    def test_member_already(self):
        self.assertError(self.alice.post(f"/api/v1/orgs/{self.org_a.id}/invitations",
                                         {"email": "alice@example.com", "role": "viewer"}), 409, "conflict")

    def test_another_account_cannot_answer_someones_invitation(self):
        email, org, carol = self.new_person()
        other_email, _, other = self.new_person()
        inv_id = self.bob.invite(self.org_b.id, email, "admin")["invitation"]["id"]
        self.assertEqual(self.my_invitations(other), [])
        for action in ("accept", "decline"):
            self.assertError(other.post(f"/api/v1/me/invitations/{inv_id}/{action}"), 404, "not_found", action)
        self.assertNotIn(self.org_b.id, self.org_ids_of(other))
        self.assertEqual([i["id"] for i in self.my_invitations(carol)], [inv_id], "still pending for carol")
        self.bob.delete(f"/api/v1/orgs/{self.org_b.id}/invitations/{inv_id}")

    def test_another_tenant_sees_not_found(self):
        inv_id = self.alice.invite(self.org_a.id, unique_email("frank"), "viewer")["invitation"]["id"]
        self.assertError(self.bob.get(f"/api/v1/orgs/{self.org_a.id}/invitations"), 404, "not_found")
        self.assertError(self.bob.delete(f"/api/v1/orgs/{self.org_a.id}/invitations/{inv_id}"), 404, "not_found")
        self.assertError(self.bob.delete(f"/api/v1/orgs/{self.org_b.id}/invitations/{inv_id}"), 404, "not_found")
        self.assertNotIn(inv_id, [i["id"] for i in self.bob.get_json(
            f"/api/v1/orgs/{self.org_b.id}/invitations")["invitations"]])
        self.assertIn(inv_id, [i["id"] for i in self.alice.get_json(
            f"/api/v1/orgs/{self.org_a.id}/invitations")["invitations"]])

    def test_token_is_stored_only_as_a_hash(self):
        created = self.alice.invite(self.org_a.id, unique_email("gina"), "viewer")
        dump = subprocess.run([SQLITE, self.server.db_path, ".dump invitations"], capture_output=True, text=True,
                              timeout=30)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn(created["invitation"]["id"], dump.stdout, "positive control: the row is there")
        self.assertNotIn(created["token"], dump.stdout)


class ExpiryTest(unittest.TestCase):
    def test_invitation_expires(self):
        with cloud.CloudServer(["--invitation-ttl-s", "1"]) as srv:
            org = srv.create_org("acme", "alice@example.com")
            srv.start()
            alice = srv.login("alice@example.com")
            email = unique_email("late")
            created = alice.invite(org.id, email, "viewer")
            existing_email = unique_email("busy")
            srv.create_org("other", existing_email)
            busy = srv.login(existing_email)
            mine = alice.invite(org.id, existing_email, "viewer")["invitation"]["id"]
            self.assertEqual(len(busy.get_json("/api/v1/me/invitations")["invitations"]), 1)
            time.sleep(1.5)
            resp = srv.client().post("/api/v1/invitations/redeem", {"token": created["token"], "password": OTHER_PASSWORD})
            self.assertEqual((resp.status, resp.json().get("error")), (404, "invalid_invitation"), str(resp))
            self.assertEqual(busy.get_json("/api/v1/me/invitations")["invitations"], [])
            self.assertEqual(busy.post(f"/api/v1/me/invitations/{mine}/accept").status, 404)
            self.assertEqual(alice.get_json(f"/api/v1/orgs/{org.id}/invitations")["invitations"], [])
            expired = alice.get_json(f"/api/v1/orgs/{org.id}/audit?event=INVITATION_EXPIRED")["events"]
            self.assertEqual(sorted(cloud.parse_details(e["details"]).get("email") for e in expired),
                             sorted([email, existing_email]))
            for e in expired:
                self.assertEqual(e["actor_type"], "system")
            srv.client().login(email, OTHER_PASSWORD, expect=401)
            # A new invitation may be sent after expiry.
            alice.invite(org.id, email, "viewer")


if __name__ == "__main__":
    unittest.main()
