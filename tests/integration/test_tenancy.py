"""Cross-tenant and role tests driven by the server's own route table (`logbot-cloud routes --json`).

Every route with access "org" is requested:
  * by every role of org B with org A's ids            -> 404 not_found (tenant isolation)
  * by org B's owner with org B's id but an org-A user -> 404 (object not in the org)
  * by every role of org A                              -> 403 forbidden when the role lacks the
                                                           route's permission, otherwise not 401/403/404
A route the test cannot exercise (unknown path parameter or unknown permission) fails the test,
so new routes must be covered here before they can ship.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_tenancy.py   (from the repository root)
"""

import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from cloud import DEFAULT_PASSWORD  # noqa: E402

ROLES = ("owner", "admin", "engineer", "viewer")
# The permission matrix (docs/SECURITY.md): org.read, members.read, devices.read -> all roles;
# org.settings, members.write, audit.read, devices.write -> owner, admin; members.reset_2fa -> owner.
ROLE_PERMISSIONS = {
    "owner": {"org.read", "org.settings", "members.read", "members.write", "audit.read", "devices.read",
              "devices.write", "members.reset_2fa"},
    "admin": {"org.read", "org.settings", "members.read", "members.write", "audit.read", "devices.read",
              "devices.write"},
    "engineer": {"org.read", "members.read", "devices.read"},
    "viewer": {"org.read", "members.read", "devices.read"},
}
KNOWN_PERMISSIONS = set().union(*ROLE_PERMISSIONS.values())
KNOWN_ORG_PARAMS = {"org_id", "user_id", "device_id", "invitation_id"}
# "operator-or-loopback" routes (/metrics) are open to loopback peers, and these tests run on
# loopback; their refusal of remote callers is a unit test (dispatcher_test MetricsNeedOperatorUnlessLoopback).
LOOPBACK_ACCESS = "operator-or-loopback"


def load_routes():
    proc = cloud.run_cli(["routes", "--json"])
    if proc.returncode != 0:
        raise AssertionError("routes --json failed: " + cloud.describe(proc))
    try:
        routes = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"routes --json is not JSON ({exc}): {proc.stdout[:500]!r}")
    if not isinstance(routes, list) or not routes:
        raise AssertionError(f"routes --json must be a non-empty array: {proc.stdout[:500]!r}")
    for r in routes:
        missing = {"method", "path", "access", "permission", "summary"} - set(r)
        if missing:
            raise AssertionError(f"route {r} lacks {missing}")
    return routes


def params_of(path):
    return re.findall(r"\{([a-z_]+)\}", path)


def fill(path, **values):
    return re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1)) or str(uuid.uuid4()), path)


# Routes for which body_for() builds a valid request: an allowed caller must get a 2xx.
KNOWN_VALID = {
    ("GET", "/api/v1/orgs/{org_id}"),
    ("GET", "/api/v1/orgs/{org_id}/members"),
    ("GET", "/api/v1/orgs/{org_id}/invitations"),
    ("POST", "/api/v1/orgs/{org_id}/invitations"),
    ("DELETE", "/api/v1/orgs/{org_id}/invitations/{invitation_id}"),
    ("PATCH", "/api/v1/orgs/{org_id}/members/{user_id}"),
    ("DELETE", "/api/v1/orgs/{org_id}/members/{user_id}"),
    ("GET", "/api/v1/orgs/{org_id}/audit"),
    ("GET", "/api/v1/orgs/{org_id}/devices"),
    ("POST", "/api/v1/orgs/{org_id}/devices"),
    ("GET", "/api/v1/orgs/{org_id}/devices/{device_id}"),
    ("POST", "/api/v1/orgs/{org_id}/devices/{device_id}/enrolment-token"),
    ("POST", "/api/v1/orgs/{org_id}/devices/{device_id}/revoke"),
}


def body_for(route):
    """A valid body for each known write route (so that only authorisation can refuse it)."""
    method, path = route["method"], route["path"]
    if method == "POST" and path.endswith("/invitations"):
        return {"email": f"new-{uuid.uuid4().hex[:10]}@example.com", "role": "viewer"}
    if method in ("PATCH", "PUT") and path.endswith("/members/{user_id}"):
        return {"role": "engineer"}
    if method == "POST" and path.endswith("/reset-2fa"):
        return {"password": DEFAULT_PASSWORD}  # every account of the test has it
    if method == "POST" and path.endswith("/devices"):
        return {"name": f"dev-{uuid.uuid4().hex[:10]}", "site": "Hall 1"}
    if method == "POST" and path == "/api/v1/admin/orgs":
        return {"name": f"org-{uuid.uuid4().hex[:8]}", "owner_email": f"own-{uuid.uuid4().hex[:8]}@example.com"}
    if method in ("POST", "PATCH", "PUT"):
        return {}
    return None


class TenancyTest(cloud.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.routes = load_routes()
        super().setUpClass()

    @classmethod
    def populate(cls):
        cls.org_a = cls.server.create_org("alpha", "alice@example.com")
        cls.org_b = cls.server.create_org("beta", "bob@example.com")
        cls.org_c = cls.server.create_org("gamma", "carol@example.com")
        cls.server.create_operator("op@example.com")
        cls.server.start()
        cls.alice = cls.server.login("alice@example.com")
        cls.bob = cls.server.login("bob@example.com")
        cls.a = {"owner": cls.alice}
        cls.b = {"owner": cls.bob}
        cls.a_ids = {"owner": cls.org_a.owner_id}
        for role in ROLES[1:]:
            for org, owner, clients, tag in ((cls.org_a, cls.alice, cls.a, "a"), (cls.org_b, cls.bob, cls.b, "b")):
                email = f"{tag}-{role}@example.com"
                member = owner.add_member(org.id, email, role)
                if tag == "a":
                    cls.a_ids[role] = member["user_id"]
                clients[role] = cls.server.login(email)
        cls.a_target = cls.alice.add_member(cls.org_a.id, "a-target@example.com", "viewer")["user_id"]
        cls.operator = cls.server.login("op@example.com")
        cls.a_device = cls.fresh_a_device_of(cls.alice, cls.org_a.id)
        cls.a_invitation = cls.fresh_a_invitation_of(cls.alice, cls.org_a.id)

    @staticmethod
    def fresh_a_invitation_of(owner, org_id):
        return owner.invite(org_id, f"inv-{uuid.uuid4().hex[:10]}@example.com", "viewer")["invitation"]["id"]

    @staticmethod
    def fresh_a_device_of(owner, org_id):
        resp = owner.post(f"/api/v1/orgs/{org_id}/devices", {"name": f"dev-{uuid.uuid4().hex[:10]}", "site": "Hall 1"})
        assert resp.status == 201, f"device registration failed: {resp}"
        return resp.json()["device"]["id"]

    def call(self, client, route, **values):
        values.setdefault("device_id", self.a_device)
        values.setdefault("invitation_id", self.a_invitation)
        path = fill(route["path"], **values)
        return client.request(route["method"], path, json_body=body_for(route))

    def fresh_a_member(self, role="viewer"):
        return self.alice.add_member(self.org_a.id, f"t-{uuid.uuid4().hex[:10]}@example.com", role)["user_id"]

    # ------------------------------------------------------------------------------------------
    def test_route_table_shape(self):
        accesses = {r["access"] for r in self.routes}
        self.assertTrue(accesses <= {"public", "session", "org", "operator", LOOPBACK_ACCESS},
                        f"access is one of public, session, org, operator, {LOOPBACK_ACCESS}; the table has {sorted(accesses)}")
        for r in self.routes:
            if r["access"] == "org":
                self.assertTrue(r["path"].startswith("/api/v1/orgs/{org_id}"), r)
                self.assertTrue(r["permission"], f"org route without permission: {r}")
        have = {(r["method"], r["path"]) for r in self.routes}
        for needed in [("POST", "/api/v1/auth/login"), ("GET", "/api/v1/me"), ("GET", "/api/v1/orgs/{org_id}/members"),
                       ("PATCH", "/api/v1/orgs/{org_id}/members/{user_id}"), ("GET", "/api/v1/orgs/{org_id}/audit"),
                       ("GET", "/api/v1/admin/orgs"), ("DELETE", "/api/v1/me/sessions/{session_id}")]:
            self.assertIn(needed, have)

    def test_every_org_route_is_isolated_and_role_checked(self):
        exercised, unexercised, failures = set(), [], []
        org_routes = [r for r in self.routes if r["access"] == "org"]
        # Deleting routes last, so that their targets do not disappear under the other checks.
        org_routes.sort(key=lambda r: r["method"] == "DELETE")
        for route in org_routes:
            key = (route["method"], route["path"])
            unknown = set(params_of(route["path"])) - KNOWN_ORG_PARAMS
            if unknown:
                unexercised.append(f"{key}: unknown path parameters {sorted(unknown)}")
                continue
            if route["permission"] not in KNOWN_PERMISSIONS:
                unexercised.append(f"{key}: permission {route['permission']!r} not in the test's role matrix")
                continue

            # 1. Members of org B, every role, with org A's ids -> 404.
            for role, client in self.b.items():
                resp = self.call(client, route, org_id=self.org_a.id, user_id=self.a_ids["viewer"])
                if resp.status != 404 or resp.json().get("error") != "not_found":
                    failures.append(f"cross-tenant: B-{role} {resp} (expected 404 not_found)")
            # 1b. Org B's owner, own org id, an org-A user or device -> 404 (object not in that org).
            if {"user_id", "device_id", "invitation_id"} & set(params_of(route["path"])):
                resp = self.call(self.bob, route, org_id=self.org_b.id, user_id=self.a_ids["viewer"])
                if resp.status != 404:
                    failures.append(f"foreign object: B-owner {resp} (expected 404)")
            # 1c. An org id that does not exist -> 404.
            resp = self.call(self.bob, route, org_id=str(uuid.uuid4()), user_id=self.a_ids["viewer"])
            if resp.status != 404:
                failures.append(f"unknown org: {resp} (expected 404)")

            # 2. Members of org A, every role.
            for role, client in self.a.items():
                allowed = route["permission"] in ROLE_PERMISSIONS[role]
                changes = allowed and route["method"] != "GET"
                target = self.fresh_a_member() if changes and "user_id" in params_of(route["path"]) else self.a_target
                device = (self.fresh_a_device_of(self.alice, self.org_a.id)
                          if changes and "device_id" in params_of(route["path"]) else self.a_device)
                invitation = (self.fresh_a_invitation_of(self.alice, self.org_a.id)
                              if changes and "invitation_id" in params_of(route["path"]) else self.a_invitation)
                resp = self.call(client, route, org_id=self.org_a.id, user_id=target, device_id=device,
                                 invitation_id=invitation)
                if allowed and key in KNOWN_VALID and not 200 <= resp.status < 300:
                    failures.append(f"A-{role} sent a valid request and got {resp} (expected 2xx)")
                elif allowed and resp.status in (401, 403, 404):
                    failures.append(f"A-{role} lacks nothing but got {resp}")
                elif allowed and resp.status >= 500:
                    failures.append(f"A-{role} server error {resp}")
                elif not allowed and (resp.status != 403 or resp.json().get("error") != "forbidden"):
                    failures.append(f"A-{role} has no {route['permission']}: {resp} (expected 403 forbidden)")

            # 3. The platform operator is not a tenant member -> 404.
            resp = self.call(self.operator, route, org_id=self.org_a.id, user_id=self.a_ids["viewer"])
            if resp.status != 404:
                failures.append(f"operator on tenant route: {resp} (expected 404)")
            exercised.add(key)

        self.assertFalse(unexercised, "org routes the tenancy test did not exercise:\n" + "\n".join(unexercised))
        self.assertFalse(failures, f"{len(failures)} authorisation failures:\n" + "\n".join(failures))
        self.assertTrue(exercised)
        # The shared target survived every refused request.
        members = self.alice.get_json(f"/api/v1/orgs/{self.org_a.id}/members")["members"]
        target = [m for m in members if m["user_id"] == self.a_target]
        self.assertEqual(len(target), 1, "a refused request modified or removed a member")
        self.assertEqual(target[0]["role"], "viewer", "a refused request changed a role")
        pending = self.alice.get_json(f"/api/v1/orgs/{self.org_a.id}/invitations")["invitations"]
        self.assertIn(self.a_invitation, [i["id"] for i in pending], "a refused request revoked an invitation")

    def test_every_non_public_route_needs_a_session(self):
        anon = self.server.client()
        failures = []
        for route in self.routes:
            if route["access"] == "public" or route["access"] == LOOPBACK_ACCESS:
                continue
            resp = self.call(anon, route, org_id=self.org_a.id, user_id=self.a_ids["viewer"],
                             session_id=str(uuid.uuid4()))
            ok = resp.status == 401 if route["method"] in ("GET", "HEAD") else resp.status in (401, 403)
            if not ok:
                failures.append(f"anonymous {resp}")
        self.assertFalse(failures, "\n".join(failures))

    def test_session_routes_with_another_users_session_id(self):
        bob_session = self.bob.me()["session"]["id"]
        checked = 0
        for route in self.routes:
            if route["access"] != "session" or "session_id" not in params_of(route["path"]):
                continue
            resp = self.call(self.alice, route, session_id=bob_session)
            self.assertEqual(resp.status, 404, str(resp))
            self.assertEqual(resp.json().get("error"), "not_found", str(resp))
            checked += 1
        self.assertGreater(checked, 0, "no session route with {session_id} in the route table")
        self.bob.me()  # bob's session survived

    def test_operator_routes_refuse_non_operators(self):
        checked = 0
        for route in self.routes:
            if route["access"] != "operator" or route["access"] == LOOPBACK_ACCESS:
                continue
            for name, client in (("owner", self.alice), ("admin", self.a["admin"]), ("viewer", self.a["viewer"])):
                resp = self.call(client, route, org_id=self.org_a.id)
                self.assertIn(resp.status, (403, 404), f"non-operator {name}: {resp}")
            checked += 1
        self.assertGreater(checked, 0, "no operator route in the route table")

    def test_operator_lists_orgs_but_sees_no_tenant_data(self):
        orgs = self.operator.get_json("/api/v1/admin/orgs")["orgs"]
        by_id = {o["id"]: o for o in orgs}
        self.assertIn(self.org_a.id, by_id)
        self.assertIn(self.org_b.id, by_id)
        self.assertEqual(by_id[self.org_a.id]["name"], "alpha")
        self.assertGreaterEqual(by_id[self.org_a.id]["member_count"], 5)
        for o in orgs:
            self.assertEqual(set(o), {"id", "name", "created_at", "member_count"}, f"operator sees more than allowed: {o}")
        self.assertNotIn("alice@example.com", json.dumps(orgs))
        for path in (f"/api/v1/orgs/{self.org_a.id}", f"/api/v1/orgs/{self.org_a.id}/members",
                     f"/api/v1/orgs/{self.org_a.id}/audit"):
            resp = self.operator.get(path)
            self.assertEqual(resp.status, 404, str(resp))
        self.assertEqual(self.operator.me()["user"]["is_operator"], True)
        self.assertEqual(self.alice.me()["user"]["is_operator"], False)

    def test_operator_creates_an_org(self):
        email = f"new-owner-{uuid.uuid4().hex[:6]}@example.com"
        resp = self.operator.post("/api/v1/admin/orgs", {"name": "delta", "owner_email": email})
        self.assertEqual(resp.status, 201, str(resp))
        org_id = resp.json()["id"]
        self.assertEqual(resp.json()["name"], "delta")
        # The owner is invited and chooses their own password through the link.
        redeemed = self.server.client().post("/api/v1/invitations/redeem",
                                             {"token": resp.json()["token"], "password": DEFAULT_PASSWORD})
        self.assertEqual(redeemed.status, 201, str(redeemed))
        owner = self.server.login(email)
        self.assertEqual(owner.get_json(f"/api/v1/orgs/{org_id}")["role"], "owner")
        self.assertEqual(self.operator.get(f"/api/v1/orgs/{org_id}/members").status, 404)

    def test_org_list_shows_only_own_orgs(self):
        orgs = self.bob.get_json("/api/v1/orgs")["orgs"]
        self.assertEqual([(o["id"], o["role"]) for o in orgs], [(self.org_b.id, "owner")])
        members = self.bob.get_json(f"/api/v1/orgs/{self.org_b.id}/members")["members"]
        self.assertFalse([m for m in members if m["email"].startswith("a-") or m["email"] == "alice@example.com"])

    # -- role rules ----------------------------------------------------------------------------
    def test_admin_cannot_grant_or_touch_owner_role(self):
        admin = self.a["admin"]
        base = f"/api/v1/orgs/{self.org_a.id}/members"
        resp = admin.post(f"/api/v1/orgs/{self.org_a.id}/invitations",
                          {"email": f"x-{uuid.uuid4().hex[:6]}@example.com", "role": "owner"})
        self.assertEqual(resp.status, 403, f"admin invites an owner: {resp}")
        owner_invitation = self.alice.invite(self.org_a.id, f"y-{uuid.uuid4().hex[:6]}@example.com", "owner")
        resp = admin.delete(f"/api/v1/orgs/{self.org_a.id}/invitations/{owner_invitation['invitation']['id']}")
        self.assertEqual(resp.status, 403, f"admin revokes an owner invitation: {resp}")
        target = self.fresh_a_member()
        resp = admin.patch(f"{base}/{target}", {"role": "owner"})
        self.assertEqual(resp.status, 403, f"admin promotes to owner: {resp}")
        resp = admin.patch(f"{base}/{self.org_a.owner_id}", {"role": "viewer"})
        self.assertEqual(resp.status, 403, f"admin demotes the owner: {resp}")
        resp = admin.delete(f"{base}/{self.org_a.owner_id}")
        self.assertEqual(resp.status, 403, f"admin removes the owner: {resp}")
        roles = {m["user_id"]: m["role"] for m in self.alice.get_json(base)["members"]}
        self.assertEqual(roles[self.org_a.owner_id], "owner")
        self.assertEqual(roles[target], "viewer")
        # An admin may still manage non-owner roles.
        resp = admin.patch(f"{base}/{target}", {"role": "engineer"})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json()["role"], "engineer")

    def test_role_change_is_audited(self):
        target = self.fresh_a_member("viewer")
        resp = self.alice.patch(f"/api/v1/orgs/{self.org_a.id}/members/{target}", {"role": "engineer"})
        self.assertEqual(resp.status, 200, str(resp))
        events = self.alice.get_json(f"/api/v1/orgs/{self.org_a.id}/audit?event=ROLE_CHANGED")["events"]
        self.assertTrue(any("role_before=viewer" in e["details"] and "role_after=engineer" in e["details"]
                            for e in events), events)

    def test_invalid_member_requests_are_rejected(self):
        base = f"/api/v1/orgs/{self.org_a.id}/members"
        invitations = f"/api/v1/orgs/{self.org_a.id}/invitations"
        resp = self.alice.post(invitations, {"email": "weird@example.com", "role": "superuser"})
        self.assertEqual(resp.status, 400, str(resp))
        resp = self.alice.post(invitations, {"email": "not an address", "role": "viewer"})
        self.assertEqual(resp.status, 400, str(resp))
        resp = self.alice.patch(f"{base}/{self.a_target}", {"role": "superuser"})
        self.assertEqual(resp.status, 400, str(resp))
        emails = [i["email"] for i in self.alice.get_json(invitations)["invitations"]]
        self.assertNotIn("weird@example.com", emails)

    def test_last_owner_cannot_be_demoted_or_removed(self):
        carol = self.server.login("carol@example.com")
        base = f"/api/v1/orgs/{self.org_c.id}/members"
        resp = carol.patch(f"{base}/{self.org_c.owner_id}", {"role": "admin"})
        self.assertEqual(resp.status, 409, str(resp))
        self.assertEqual(resp.json().get("error"), "last_owner")
        resp = carol.delete(f"{base}/{self.org_c.owner_id}")
        self.assertEqual(resp.status, 409, str(resp))
        self.assertEqual(resp.json().get("error"), "last_owner")
        self.assertEqual(carol.get_json(f"/api/v1/orgs/{self.org_c.id}")["role"], "owner")
        # With a second owner, one of them may step down.
        second = carol.add_member(self.org_c.id, f"co-{uuid.uuid4().hex[:6]}@example.com", "owner")
        resp = carol.patch(f"{base}/{second['user_id']}", {"role": "admin"})
        self.assertEqual(resp.status, 200, str(resp))
        resp = carol.patch(f"{base}/{self.org_c.owner_id}", {"role": "admin"})
        self.assertEqual(resp.status, 409, f"carol is the last owner again: {resp}")


if __name__ == "__main__":
    unittest.main()
