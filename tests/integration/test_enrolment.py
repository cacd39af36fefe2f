"""Integration tests of device on-boarding (docs/SECURITY.md, device identity): the real `logbot-agent` enrols
against the real `logbot-cloud` with a one-time enrolment token, over a TLS connection pinned to
the fingerprint the token carries.

What is checked from outside: exit codes and messages of the agent, the files of its state
directory and their modes, the issued certificate with the `openssl` CLI (subject, SAN, chain),
the server's database with `sqlite3 .dump` (the private key never reaches it), the device list
and the organisation audit. Every refusal (reused, expired, foreign token, wrong UUID, revoked
device, another server's certificate) exits 1 with the reason.

Binaries: logbot-cloud from $LOGBOT_BIN_DIR; the agent from $LOGBOT_AGENT_BIN, else
$LOGBOT_BIN_DIR/logbot-agent.
Run: /usr/bin/python3 -m unittest -v tests/integration/test_enrolment.py   (from the repository root)
"""

import base64
import hashlib
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from agent_process import run_agent  # noqa: E402

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
SQLITE = shutil.which("sqlite3") or "/usr/bin/sqlite3"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def run_tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


def decode_token(token: str) -> dict:
    assert token.startswith("lbt1."), token
    body = token[len("lbt1."):]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def encode_token(payload: dict) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return "lbt1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def certificate_fingerprint(pem_path: str) -> str:
    with open(pem_path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def org_audit(client, org_id: str, event: str) -> list:
    events = client.get_json(f"/api/v1/orgs/{org_id}/audit?limit=1000")["events"]
    return [e for e in events if e["event"] == event]


def enroll_errors(client, org_id: str, reason: str) -> list:
    return [e for e in org_audit(client, org_id, "ENROLL_ERROR")
            if cloud.parse_details(e.get("details", "")).get("reason") == reason]


class EnrolmentTestBase(cloud.ServerTestCase):
    @classmethod
    def populate(cls):
        cls.org_a = cls.server.create_org("acme", "alice@example.com")
        cls.org_b = cls.server.create_org("globex", "bob@example.com")
        cls.server.start()
        cls.alice = cls.server.login("alice@example.com")
        cls.bob = cls.server.login("bob@example.com")
        cls.tmp = tempfile.mkdtemp(prefix="logbot-agent-it-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", ""), ignore_errors=True)
        super().tearDownClass()

    def state_dir(self, name: str) -> str:
        # A parent that exists, a state directory that does not: the agent creates it.
        return os.path.join(tempfile.mkdtemp(dir=self.tmp), name)

    def register(self, client, org, name: str, expected_uuid: str | None = None) -> dict:
        body = {"name": name, "site": "plant 1"}
        if expected_uuid is not None:
            body["expected_uuid"] = expected_uuid
        resp = client.post(f"/api/v1/orgs/{org.id}/devices", body)
        self.assertEqual(resp.status, 201, str(resp))
        data = resp.json()
        self.assertTrue(data["enrolment_token"].startswith("lbt1."), data)
        self.assertEqual(data["device"]["state"], "registered", data)
        return data

    def device(self, client, org, device_id: str) -> dict:
        devices = client.get_json(f"/api/v1/orgs/{org.id}/devices")["devices"]
        matches = [d for d in devices if d["id"] == device_id]
        self.assertEqual(len(matches), 1, devices)
        return matches[0]

    def agent_uuid(self, state: str) -> str:
        proc = run_agent("id", "--state-dir", state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        value = proc.stdout.strip()
        self.assertRegex(value, UUID_RE)
        return value

    def enroll(self, token: str, state: str, *extra) -> subprocess.CompletedProcess:
        return run_agent("enrol", "--token", token, "--state-dir", state, *extra)

    def assert_refused(self, proc, error_code: str, *, message_part: str | None = None):
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertEqual(proc.stdout, "", cloud.describe(proc))
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, cloud.describe(proc))
        self.assertTrue(lines[0].startswith("logbot-agent: "), cloud.describe(proc))
        self.assertIn(f"({error_code})", lines[0], cloud.describe(proc))
        if message_part:
            self.assertIn(message_part, lines[0], cloud.describe(proc))

    def assert_not_enrolled(self, state: str):
        self.assertEqual(sorted(os.listdir(state)), ["device-id"])


class EnrolmentTest(EnrolmentTestBase):
    def test_command_line(self):
        proc = run_agent("--version")
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertRegex(proc.stdout, r"^logbot-agent \d+\.\d+\.\d+")
        proc = run_agent("--help")
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("enrol", proc.stdout)
        self.assertIn("id", proc.stdout)
        self.assertEqual(run_agent("no-such-command").returncode, 1)
        state = self.state_dir("state")
        # "enroll", the older spelling, is the same command.
        for spelling in ("enrol", "enroll"):
            proc = run_agent(spelling, "--state-dir", state)
            self.assertEqual(proc.returncode, 1, cloud.describe(proc))
            self.assertIn("enrol needs --token", proc.stderr)

    def test_both_route_names_enrol(self):
        """POST /api/v1/enrol is the route; /api/v1/enroll stays for older agents. Both refuse a
        body without a token alike, and both enrol."""
        anonymous = self.server.client()
        for path in ("/api/v1/enrol", "/api/v1/enroll"):
            resp = anonymous.post(path, {})
            self.assertEqual(resp.status, 400, f"{path}: {resp}")
            self.assertEqual(resp.json().get("error"), "bad_request", f"{path}: {resp}")
        # The older route runs the same enrolment: a token the agent just used is refused there too.
        registered = self.register(self.alice, self.org_a, "press old route")
        state = self.state_dir("old-route")
        device_uuid = self.agent_uuid(state)
        proc = self.enroll(registered["enrolment_token"], state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc) + self.server.log_tail())
        secret = decode_token(registered["enrolment_token"])["secret"]
        resp = anonymous.post("/api/v1/enroll", {"token_secret": secret, "uuid": device_uuid, "csr": "x"})
        self.assertEqual(resp.status, 401, str(resp))
        self.assertEqual(resp.json().get("error"), "invalid_token", str(resp))

    def test_id_is_created_once_and_private(self):
        state = self.state_dir("state")
        first = self.agent_uuid(state)
        self.assertEqual(self.agent_uuid(state), first)
        self.assertEqual(stat.S_IMODE(os.stat(state).st_mode), 0o700)
        with open(os.path.join(state, "device-id")) as f:
            self.assertEqual(f.read().strip(), first)

    def test_damaged_token_is_refused_and_nothing_written(self):
        state = self.state_dir("state")
        for bad in ("hello", "lbt1.!!!", "lbt1." + base64.urlsafe_b64encode(b"[1]").decode().rstrip("=")):
            proc = self.enroll(bad, state)
            self.assertEqual(proc.returncode, 1, cloud.describe(proc))
            self.assertIn("token", proc.stderr, cloud.describe(proc))
            self.assert_not_enrolled(state)

    def test_full_enrolment(self):
        state = self.state_dir("state")
        device_uuid = self.agent_uuid(state)
        registered = self.register(self.alice, self.org_a, "press 1")
        device_id = registered["device"]["id"]
        token = decode_token(registered["enrolment_token"])
        self.assertEqual(token["fp"], certificate_fingerprint(self.server.cert_path))

        proc = self.enroll(registered["enrolment_token"], state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc) + self.server.log_tail())
        self.assertEqual(proc.stdout.strip(), f"enrolled as {device_uuid} in organisation {self.org_a.id}")

        # Files and modes.
        self.assertEqual(sorted(os.listdir(state)), ["ca.crt", "cloud.json", "device-id", "device.crt", "device.key"])
        self.assertEqual(stat.S_IMODE(os.stat(state).st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(state, "device.key")).st_mode), 0o600)
        with open(os.path.join(state, "cloud.json")) as f:
            binding = json.load(f)
        self.assertEqual(binding, {"url": self.server.base_url.rstrip("/"), "fingerprint": token["fp"],
                                   "device_id": device_id, "org_id": self.org_a.id,
                                   "uplink_urls": [self.server.uplink_url]})

        # The certificate: CN=uuid, SAN urn:uuid, issued by the CA it came with, for our key.
        crt, ca, key = (os.path.join(state, n) for n in ("device.crt", "ca.crt", "device.key"))
        proc = run_tool(OPENSSL, "x509", "-in", crt, "-noout", "-subject", "-ext", "subjectAltName")
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertRegex(proc.stdout, rf"subject=.*CN ?= ?{device_uuid}")
        self.assertIn(f"URI:urn:uuid:{device_uuid}", proc.stdout)
        proc = run_tool(OPENSSL, "verify", "-CAfile", ca, crt)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn(": OK", proc.stdout)
        cert_pub = run_tool(OPENSSL, "x509", "-in", crt, "-noout", "-pubkey").stdout
        key_pub = run_tool(OPENSSL, "pkey", "-in", key, "-pubout").stdout
        self.assertTrue(cert_pub.startswith("-----BEGIN PUBLIC KEY-----"), cert_pub)
        self.assertEqual(cert_pub, key_pub)
        proc = run_tool(OPENSSL, "pkey", "-in", key, "-noout", "-text")
        self.assertIn("prime256v1", proc.stdout)
        serial = run_tool(OPENSSL, "x509", "-in", crt, "-noout", "-serial").stdout.strip().split("=", 1)[1].lower()

        # The private key never reaches the server: no line of its body in the database.
        with open(key) as f:
            key_lines = [line for line in f.read().splitlines() if line and not line.startswith("-----")]
        dump = run_tool(SQLITE, self.server.db_path, ".dump")
        self.assertEqual(dump.returncode, 0, cloud.describe(dump))
        self.assertIn(device_uuid, dump.stdout)  # the dump does see the device
        for line in key_lines:
            self.assertNotIn(line, dump.stdout)
        key_der = subprocess.run([OPENSSL, "pkey", "-in", key, "-outform", "DER"], capture_output=True,
                                 timeout=30).stdout
        self.assertNotIn(key_der.hex(), dump.stdout.lower())

        # The cloud's view.
        listed = self.device(self.alice, self.org_a, device_id)
        self.assertEqual(listed["state"], "enrolled", listed)
        self.assertEqual(listed["device_uuid"], device_uuid, listed)
        self.assertEqual(listed["certificate_serial"].lower().lstrip("0"), serial.lstrip("0"), listed)
        self.assertIn(listed["enrolled_ip"], ("127.0.0.1", "::ffff:127.0.0.1"), listed)

        registered_events = org_audit(self.alice, self.org_a.id, "DEVICE_REGISTERED")
        self.assertTrue(any(device_id in e.get("details", "") for e in registered_events), registered_events)
        enrolled = [e for e in org_audit(self.alice, self.org_a.id, "DEVICE_ENROLLED")
                    if cloud.parse_details(e.get("details", "")).get("uuid") == device_uuid]
        self.assertEqual(len(enrolled), 1, org_audit(self.alice, self.org_a.id, "DEVICE_ENROLLED"))
        details = cloud.parse_details(enrolled[0]["details"])
        self.assertEqual(details.get("ip"), listed["enrolled_ip"], enrolled[0])
        self.assertEqual(details.get("serial", "").lower().lstrip("0"), serial.lstrip("0"), enrolled[0])
        self.assertEqual(enrolled[0].get("actor_type"), "device", enrolled[0])

        # Enrolled already: refused without --force, files untouched.
        with open(crt) as f:
            before = f.read()
        proc = self.enroll(self.register(self.alice, self.org_a, "press 1b")["enrolment_token"], state)
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertIn("already enrolled", proc.stderr)
        self.assertIn("--force", proc.stderr)
        with open(crt) as f:
            self.assertEqual(f.read(), before)

    def test_force_makes_a_new_key(self):
        state = self.state_dir("state")
        self.assertEqual(self.enroll(self.register(self.alice, self.org_a, "mixer")["enrolment_token"],
                                     state).returncode, 0)
        with open(os.path.join(state, "device.key")) as f:
            old_key = f.read()
        with open(os.path.join(state, "cloud.json")) as f:
            device_id = json.load(f)["device_id"]
        resp = self.alice.post(f"/api/v1/orgs/{self.org_a.id}/devices/{device_id}/enrolment-token", {})
        self.assertIn(resp.status, (200, 201), str(resp))
        proc = self.enroll(resp.json()["enrolment_token"], state, "--force")
        self.assertEqual(proc.returncode, 0, cloud.describe(proc) + self.server.log_tail())
        with open(os.path.join(state, "device.key")) as f:
            self.assertNotEqual(f.read(), old_key)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(state, "device.key")).st_mode), 0o600)
        proc = run_tool(OPENSSL, "verify", "-CAfile", os.path.join(state, "ca.crt"), os.path.join(state, "device.crt"))
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))

    def test_reused_token_is_refused(self):
        registered = self.register(self.alice, self.org_a, "oven")
        first = self.state_dir("first")
        proc = self.enroll(registered["enrolment_token"], first)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        before = len(enroll_errors(self.alice, self.org_a.id, "invalid_token"))
        second = self.state_dir("second")
        proc = self.enroll(registered["enrolment_token"], second)
        self.assert_refused(proc, "invalid_token")
        self.assert_not_enrolled(second)
        self.assertEqual(len(enroll_errors(self.alice, self.org_a.id, "invalid_token")), before + 1,
                         org_audit(self.alice, self.org_a.id, "ENROLL_ERROR"))

    def test_uuid_mismatch_is_refused(self):
        registered = self.register(self.alice, self.org_a, "robot", expected_uuid=str(uuid.uuid4()))
        state = self.state_dir("state")
        before = len(enroll_errors(self.alice, self.org_a.id, "uuid_mismatch"))
        proc = self.enroll(registered["enrolment_token"], state)
        self.assert_refused(proc, "uuid_mismatch")
        self.assert_not_enrolled(state)
        self.assertEqual(len(enroll_errors(self.alice, self.org_a.id, "uuid_mismatch")), before + 1)
        self.assertEqual(self.device(self.alice, self.org_a, registered["device"]["id"])["state"], "registered")

    def test_expected_uuid_matches(self):
        state = self.state_dir("state")
        registered = self.register(self.alice, self.org_a, "conveyor", expected_uuid=self.agent_uuid(state))
        proc = self.enroll(registered["enrolment_token"], state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))

    def state_dir_with_uuid(self, name: str, device_uuid: str) -> str:
        """A fresh state directory whose device-id is `device_uuid` (as a copied label, a cloned
        image or a guess would give it)."""
        state = self.state_dir(name)
        self.agent_uuid(state)
        with open(os.path.join(state, "device-id"), "w") as f:
            f.write(device_uuid + "\n")
        self.assertEqual(self.agent_uuid(state), device_uuid)
        return state

    def test_a_uuid_enrolled_in_another_org_neither_blocks_nor_is_revealed(self):
        # The reviewer's scenario: organisation B enrols the UUID from organisation A's device
        # label first. A's own enrolment of its device must still succeed, and nothing A is
        # told may show that the UUID exists elsewhere.
        state_a = self.state_dir("a")
        device_uuid = self.agent_uuid(state_a)
        squatter = self.state_dir_with_uuid("b", device_uuid)
        registered_b = self.register(self.bob, self.org_b, "lathe (squatted)")
        proc = self.enroll(registered_b["enrolment_token"], squatter)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc) + self.server.log_tail())

        registered_a = self.register(self.alice, self.org_a, "lathe", expected_uuid=device_uuid)
        proc = self.enroll(registered_a["enrolment_token"], state_a)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc) + self.server.log_tail())
        self.assertEqual(proc.stdout.strip(), f"enrolled as {device_uuid} in organisation {self.org_a.id}")
        device_a = self.device(self.alice, self.org_a, registered_a["device"]["id"])
        device_b = self.device(self.bob, self.org_b, registered_b["device"]["id"])
        self.assertEqual((device_a["state"], device_a["device_uuid"]), ("enrolled", device_uuid), device_a)
        self.assertEqual((device_b["state"], device_b["device_uuid"]), ("enrolled", device_uuid), device_b)
        self.assertNotEqual(device_a["id"], device_b["id"])
        # A's log holds A's enrolment and no refusal that would hint at B.
        self.assertEqual([e for e in org_audit(self.alice, self.org_a.id, "ENROLL_ERROR")
                          if cloud.parse_details(e.get("details", "")).get("uuid") == device_uuid], [])
        with open(os.path.join(squatter, "cloud.json")) as f:
            self.assertEqual(json.load(f)["org_id"], self.org_b.id)
        with open(os.path.join(state_a, "cloud.json")) as f:
            self.assertEqual(json.load(f)["org_id"], self.org_a.id)

    def test_a_uuid_enrolled_twice_in_one_org_is_refused_without_naming_other_orgs(self):
        state = self.state_dir("state")
        proc = self.enroll(self.register(self.alice, self.org_a, "mill")["enrolment_token"], state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        with open(os.path.join(state, "device.crt")) as f:
            certificate = f.read()
        before = len(enroll_errors(self.alice, self.org_a.id, "uuid_in_use"))
        proc = self.enroll(self.register(self.alice, self.org_a, "mill (again)")["enrolment_token"], state, "--force")
        self.assert_refused(proc, "uuid_in_use", message_part="this organisation")
        self.assertNotIn("another organisation", proc.stderr, cloud.describe(proc))
        self.assertEqual(len(enroll_errors(self.alice, self.org_a.id, "uuid_in_use")), before + 1)
        # The refusal left the existing enrolment in place.
        with open(os.path.join(state, "device.crt")) as f:
            self.assertEqual(f.read(), certificate)

    def test_revoked_device_cannot_reenrol(self):
        state = self.state_dir("state")
        registered = self.register(self.alice, self.org_a, "drill")
        device_id = registered["device"]["id"]
        proc = self.enroll(registered["enrolment_token"], state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        # A re-enrolment token obtained while the device was still trusted...
        resp = self.alice.post(f"/api/v1/orgs/{self.org_a.id}/devices/{device_id}/enrolment-token", {})
        self.assertIn(resp.status, (200, 201), str(resp))
        pending = resp.json()["enrolment_token"]
        resp = self.alice.post(f"/api/v1/orgs/{self.org_a.id}/devices/{device_id}/revoke", {})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(self.device(self.alice, self.org_a, device_id)["state"], "revoked")
        # ...and the one it enrolled with are both refused after the revocation.
        before = len(org_audit(self.alice, self.org_a.id, "ENROLL_ERROR"))
        proc = self.enroll(pending, state, "--force")
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertRegex(proc.stderr, r"\((device_revoked|invalid_token)\)")
        first_refusal = proc.stderr
        proc = self.enroll(registered["enrolment_token"], state, "--force")
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertRegex(proc.stderr, r"\((device_revoked|invalid_token)\)")
        self.assertEqual(len(org_audit(self.alice, self.org_a.id, "ENROLL_ERROR")), before + 2,
                         f"{first_refusal}{proc.stderr}{org_audit(self.alice, self.org_a.id, 'ENROLL_ERROR')}")
        self.assertEqual(self.device(self.alice, self.org_a, device_id)["state"], "revoked")


class FingerprintMismatchTest(EnrolmentTestBase):
    """A token whose URL leads to another server (its own data dir, so its own certificate)."""

    def test_other_server_is_refused_before_anything_is_sent(self):
        registered = self.register(self.alice, self.org_a, "pump")
        payload = decode_token(registered["enrolment_token"])
        with cloud.CloudServer() as other:
            other.start()
            other_fp = certificate_fingerprint(other.cert_path)
            self.assertNotEqual(other_fp, payload["fp"])
            payload["url"] = other.base_url.rstrip("/")
            state = self.state_dir("state")
            errors_before = len(org_audit(self.alice, self.org_a.id, "ENROLL_ERROR"))
            proc = self.enroll(encode_token(payload), state)
            self.assertEqual(proc.returncode, 1, cloud.describe(proc))
            self.assertEqual(proc.stderr.strip(),
                             "logbot-agent: the cloud's certificate does not match the enrolment token "
                             f"(fingerprint {payload['fp']} expected, {other_fp} presented)")
            self.assert_not_enrolled(state)
            # Neither server saw an enrolment attempt.
            self.assertEqual(len(org_audit(self.alice, self.org_a.id, "ENROLL_ERROR")), errors_before)
            rows = run_tool(SQLITE, other.db_path, "SELECT count(*) FROM audit_events WHERE event LIKE 'ENROLL%' "
                            "OR event LIKE 'DEVICE%'")
            self.assertEqual(rows.returncode, 0, cloud.describe(rows))
            self.assertEqual(rows.stdout.strip(), "0")
        # The token was not consumed: on the right server it still works.
        proc = self.enroll(registered["enrolment_token"], state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))


class ExpiredTokenTest(EnrolmentTestBase):
    server_args = ("--enrolment-token-ttl-s", "1")

    def test_expired_token_is_refused(self):
        registered = self.register(self.alice, self.org_a, "valve")
        time.sleep(2)
        state = self.state_dir("state")
        proc = self.enroll(registered["enrolment_token"], state)
        self.assert_refused(proc, "token_expired")
        self.assert_not_enrolled(state)
        self.assertEqual(len(enroll_errors(self.alice, self.org_a.id, "token_expired")), 1,
                         org_audit(self.alice, self.org_a.id, "ENROLL_ERROR"))


if __name__ == "__main__":
    unittest.main()
