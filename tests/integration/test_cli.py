"""Integration tests of the `logbot` CLI against the real `logbot-cloud`: login (password, then the
authenticator code when the account has 2FA), whoami, audit, logout, certificate verification and
the session file (session.json, 0600, in a private directory).

The CLI binary is $LOGBOT_CLI_BIN, else $LOGBOT_BIN_DIR/logbot; the server is $LOGBOT_BIN_DIR/logbot-cloud.
TOTP codes come from `oathtool` (an independent implementation), never from project code.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_cli.py   (from the repository root)
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from cloud import DEFAULT_PASSWORD  # noqa: E402

OATHTOOL = shutil.which("oathtool") or "/usr/bin/oathtool"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
TOTP_ROUTE = "/api/v1/auth/totp"


def cli_binary() -> str:
    path = os.environ.get("LOGBOT_CLI_BIN") or os.path.join(cloud.bin_dir(), "logbot")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"logbot CLI {path} not found: build it or set LOGBOT_CLI_BIN")
    return path


def server_routes() -> set:
    proc = cloud.run_cli(["routes", "--json"])
    if proc.returncode != 0:
        raise AssertionError("logbot-cloud routes --json failed: " + cloud.describe(proc))
    return {(r["method"], r["path"]) for r in json.loads(proc.stdout)}


def totp(secret: str, offset_s: int = 0) -> str:
    """The RFC 6238 code of `secret` at now + offset_s, computed by oathtool."""
    args = [OATHTOOL, "--totp", "-b", secret]
    if offset_s:
        args += ["-N", f"now + {offset_s} seconds"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=10)
    if proc.returncode != 0 or not re.fullmatch(r"\d{6}", proc.stdout.strip()):
        raise AssertionError(f"oathtool failed: {proc.stderr or proc.stdout}")
    return proc.stdout.strip()


def audit_rows(stdout: str) -> list:
    """The CLI's audit table as dicts; columns are separated by two or more spaces, Details last."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines or re.split(r" {2,}", lines[0]) != ["Date", "Event", "IP", "Client", "Details"]:
        raise AssertionError(f"audit output has no 'Date Event IP Client Details' header:\n{stdout}")
    rows = []
    for line in lines[1:]:
        cells = re.split(r" {2,}", line, maxsplit=4)
        cells += [""] * (5 - len(cells))
        rows.append(dict(zip(["date", "event", "ip", "client", "details"], cells)))
    return rows


class CliCase(cloud.ServerTestCase):
    """Each test gets its own LOGBOT_CONFIG_DIR, so no test sees another's session."""

    def setUp(self):
        self.config_dir = tempfile.mkdtemp(prefix="logbot-cli-config-")
        self.addCleanup(shutil.rmtree, self.config_dir, True)

    @property
    def session_path(self) -> str:
        return os.path.join(self.config_dir, "session.json")

    def logbot(self, *args, stdin: str | None = None, env: dict | None = None, umask: int | None = None):
        full_env = dict(os.environ)
        full_env["LOGBOT_CONFIG_DIR"] = self.config_dir
        full_env.update(env or {})
        return subprocess.run([cli_binary(), *args], input=stdin, capture_output=True, text=True,
                              timeout=cloud.CLI_TIMEOUT_S, env=full_env,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)

    def login(self, email: str, stdin: str, *, server: cloud.CloudServer | None = None, ca_file: str | None = "",
              url: str | None = None, **kw):
        server = server or self.server
        args = ["login", "--url", url or server.base_url, "--email", email, "--password-stdin"]
        if ca_file == "":
            ca_file = server.cert_path
        if ca_file is not None:
            args += ["--ca-file", ca_file]
        return self.logbot(*args, stdin=stdin, **kw)

    def assert_ok(self, proc):
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))

    def assert_fails(self, proc, *fragments):
        """Exit 1 with one line on stderr that contains every fragment."""
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"expected one line on stderr: {cloud.describe(proc)}")
        for fragment in fragments:
            self.assertIn(fragment, lines[0], cloud.describe(proc))

    def stored_session(self) -> dict:
        with open(self.session_path) as f:
            return json.load(f)

    def server_client_with(self, session: dict) -> cloud.Client:
        c = self.server.client()
        c.cookies[cloud.SESSION_COOKIE] = session["cookie"]
        c.csrf_token = session["csrf_token"]
        return c


class LoginTest(CliCase):
    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("Acme", "alice@example.com")
        cls.server.start()
        alice = cls.server.login("alice@example.com")
        alice.add_member(cls.org.id, "erin@example.com", "engineer")

    def test_login_whoami_audit_logout(self):
        proc = self.login("alice@example.com", DEFAULT_PASSWORD + "\n")
        self.assert_ok(proc)
        self.assertEqual(proc.stdout.strip(), "logged in as alice@example.com")

        session = self.stored_session()
        self.assertEqual(session["url"], self.server.base_url)
        self.assertEqual(session["email"], "alice@example.com")
        self.assertEqual(session["ca_file"], os.path.abspath(self.server.cert_path))
        self.assertTrue(session["cookie"] and session["csrf_token"], session)
        me = self.server_client_with(session).get_json("/api/v1/me")
        self.assertEqual(me["user"]["email"], "alice@example.com")

        proc = self.logbot("whoami")
        self.assert_ok(proc)
        self.assertIn("alice@example.com", proc.stdout)
        self.assertRegex(proc.stdout, r"(?m)^Acme +owner\b")

        proc = self.logbot("audit")
        self.assert_ok(proc)
        logins = [r for r in audit_rows(proc.stdout) if r["event"] == "LOGIN" and r["client"] == "cli"]
        self.assertTrue(logins, f"no LOGIN row with client cli:\n{proc.stdout}")
        self.assertRegex(logins[0]["date"], cloud.ISO_RE)
        self.assertEqual(logins[0]["ip"], "127.0.0.1")
        self.assertEqual(cloud.parse_details(logins[0]["details"]).get("auth_method"), "password")
        web_logins = [r for r in audit_rows(proc.stdout) if r["event"] == "LOGIN" and r["client"] == "web"]
        self.assertTrue(web_logins, "the helper's own (web) login should be listed too:\n" + proc.stdout)

        proc = self.logbot("audit", "--limit", "1")
        self.assert_ok(proc)
        self.assertEqual(len(audit_rows(proc.stdout)), 1, proc.stdout)

        proc = self.logbot("logout")
        self.assert_ok(proc)
        self.assertFalse(os.path.exists(self.session_path), "session.json must be deleted on logout")
        resp = self.server_client_with(session).get("/api/v1/me")
        self.assertEqual(resp.status, 401, f"the server-side session must be gone: {resp}")

        self.assert_fails(self.logbot("whoami"), "not logged in", "logbot login")
        self.assert_fails(self.logbot("audit"), "not logged in")

    def test_session_file_is_private_even_with_an_open_umask(self):
        nested = os.path.join(self.config_dir, "a", "logbot")
        proc = self.login("erin@example.com", DEFAULT_PASSWORD + "\n", env={"LOGBOT_CONFIG_DIR": nested}, umask=0)
        self.assert_ok(proc)
        path = os.path.join(nested, "session.json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, "session.json must be 0600")
        self.assertEqual(stat.S_IMODE(os.stat(nested).st_mode), 0o700, "its directory must be 0700")
        leftovers = [n for n in os.listdir(nested) if n != "session.json"]
        self.assertEqual(leftovers, [], "no temporary files may stay behind")

    def test_default_location_is_under_home(self):
        home = os.path.join(self.config_dir, "home")
        os.mkdir(home)
        env = {"HOME": home, "LOGBOT_CONFIG_DIR": ""}
        self.assert_ok(self.login("erin@example.com", DEFAULT_PASSWORD + "\n", env=env))
        path = os.path.join(home, ".config", "logbot", "session.json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        proc = self.logbot("whoami", env=env)
        self.assert_ok(proc)
        self.assertRegex(proc.stdout, r"(?m)^Acme +engineer\b")
        self.assert_ok(self.logbot("logout", env=env))
        self.assertFalse(os.path.exists(path))

    def test_login_by_host_name(self):
        url = f"https://localhost:{self.server.port}"
        proc = self.login("erin@example.com", DEFAULT_PASSWORD + "\n", url=url)
        self.assert_ok(proc)
        self.assertEqual(self.stored_session()["url"], url)
        self.assert_ok(self.logbot("whoami"))
        self.assert_ok(self.logbot("logout"))

    def test_wrong_password(self):
        proc = self.login("erin@example.com", "not the password\n")
        self.assert_fails(proc, "wrong e-mail or password")
        self.assertFalse(os.path.exists(self.session_path))

    def test_untrusted_certificate_without_ca_file(self):
        proc = self.login("erin@example.com", DEFAULT_PASSWORD + "\n", ca_file=None)
        self.assert_fails(proc, "not trusted", "--ca-file")
        self.assertFalse(os.path.exists(self.session_path))

    def test_certificate_of_another_server(self):
        with cloud.CloudServer() as other:
            other.start()
            other_cert = os.path.join(self.config_dir, "other-cert.pem")
            shutil.copy(other.cert_path, other_cert)
        proc = self.login("erin@example.com", DEFAULT_PASSWORD + "\n", ca_file=other_cert)
        self.assert_fails(proc, "not trusted", "--ca-file")
        self.assertFalse(os.path.exists(self.session_path))

    def test_missing_ca_file(self):
        proc = self.login("erin@example.com", DEFAULT_PASSWORD + "\n", ca_file="/nonexistent/cert.pem")
        self.assert_fails(proc, "/nonexistent/cert.pem")
        self.assertFalse(os.path.exists(self.session_path))

    def test_refused_connection_and_bad_urls(self):
        port = cloud.free_port()
        self.assert_fails(self.login("erin@example.com", "x\n", url=f"https://127.0.0.1:{port}"),
                          "cannot connect", "connection refused")
        self.assert_fails(self.login("erin@example.com", "x\n", url=f"http://127.0.0.1:{self.server.port}"),
                          "https://")

    def test_password_needs_a_terminal_or_stdin_flag(self):
        proc = self.logbot("login", "--url", self.server.base_url, "--email", "erin@example.com",
                           "--ca-file", self.server.cert_path)
        self.assert_fails(proc, "--password-stdin")
        self.assertFalse(os.path.exists(self.session_path))

    def test_logout_when_the_server_session_already_ended(self):
        self.assert_ok(self.login("erin@example.com", DEFAULT_PASSWORD + "\n"))
        self.server_client_with(self.stored_session()).logout()
        self.assert_fails(self.logbot("whoami"), "session has ended", "logbot login")
        proc = self.logbot("logout")
        self.assert_ok(proc)
        self.assertFalse(os.path.exists(self.session_path))

    def test_version_and_help(self):
        proc = self.logbot("--version")
        self.assert_ok(proc)
        self.assertRegex(proc.stdout, r"^logbot \d+\.\d+\.\d+")
        proc = self.logbot("--help")
        self.assert_ok(proc)
        for command in ("login", "whoami", "logout", "audit"):
            self.assertIn(command, proc.stdout)
        self.assertEqual(self.logbot("no-such-command").returncode, 1)


class HostNameVerificationTest(CliCase):
    """A certificate the CLI trusts but that names another host must still be refused."""

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.mkdtemp(prefix="logbot-cli-cert-")
        cls.cert = os.path.join(cls.cert_dir, "cert.pem")
        cls.key = os.path.join(cls.cert_dir, "key.pem")
        proc = subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                               "-nodes", "-keyout", cls.key, "-out", cls.cert, "-days", "2", "-subj",
                               "/CN=elsewhere.example", "-addext", "subjectAltName=DNS:elsewhere.example"],
                              capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            shutil.rmtree(cls.cert_dir, ignore_errors=True)
            raise AssertionError("openssl req failed: " + cloud.describe(proc))
        cls.server_args = ("--tls-cert", cls.cert, "--tls-key", cls.key)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.cert_dir, ignore_errors=True)

    @classmethod
    def populate(cls):
        cls.server.create_org("Acme", "alice@example.com")
        cls.server.start()

    def test_ip_literal_not_in_certificate(self):
        proc = self.login("alice@example.com", DEFAULT_PASSWORD + "\n", ca_file=self.cert)
        self.assert_fails(proc, "not valid for 127.0.0.1")
        self.assertFalse(os.path.exists(self.session_path))

    def test_host_name_not_in_certificate(self):
        proc = self.login("alice@example.com", DEFAULT_PASSWORD + "\n", ca_file=self.cert,
                          url=f"https://localhost:{self.server.port}")
        self.assert_fails(proc, "not valid for localhost")
        self.assertFalse(os.path.exists(self.session_path))


class TwoFactorLoginTest(CliCase):
    """Login of accounts with TOTP: the CLI asks for the one-time code (docs/SECURITY.md)."""

    @classmethod
    def populate(cls):
        assert ("POST", TOTP_ROUTE) in server_routes(), f"logbot-cloud has no POST {TOTP_ROUTE}"
        cls.org = cls.server.create_org("Acme", "alice@example.com")
        cls.strict_org = cls.server.create_org("Strict", "carol@example.com")
        cls.server.start()
        carol = cls.server.login("carol@example.com")
        resp = carol.patch(f"/api/v1/orgs/{cls.strict_org.id}", {"require_2fa": True})
        assert resp.status == 200, str(resp)
        carol.logout()
        alice = cls.server.login("alice@example.com")
        alice.add_member(cls.org.id, "bert@example.com", "engineer")
        bert = cls.server.login("bert@example.com")
        resp = bert.post("/api/v1/me/totp/enrolment", {"password": DEFAULT_PASSWORD})
        assert resp.status == 201, str(resp)
        cls.secret = resp.json()["secret_base32"]
        resp = bert.post("/api/v1/me/totp/enrolment/confirm", {"password": DEFAULT_PASSWORD, "code": totp(cls.secret)})
        assert resp.status == 200, str(resp)
        cls.recovery_codes = resp.json()["recovery_codes"]
        bert.logout()

    def login_bert(self, second_line: str):
        return self.login("bert@example.com", f"{DEFAULT_PASSWORD}\n{second_line}\n")

    def test_1_wrong_code(self):
        near = {totp(self.secret, offset) for offset in (-30, 0, 30)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
        proc = self.login_bert(wrong)
        self.assert_fails(proc, "not correct")
        self.assertFalse(os.path.exists(self.session_path))

    def test_2_missing_code(self):
        proc = self.login("bert@example.com", DEFAULT_PASSWORD + "\n")
        self.assert_fails(proc, "authenticator", "second line")
        self.assertFalse(os.path.exists(self.session_path))

    def test_3_code_logs_in(self):
        # The code of the current step was spent by the enrolment (replay protection): use the next
        # step's, which the server accepts within its ±1 step window.
        proc = self.login_bert(totp(self.secret, 30))
        self.assert_ok(proc)
        self.assertEqual(proc.stdout.strip(), "logged in as bert@example.com")
        self.assertEqual(stat.S_IMODE(os.stat(self.session_path).st_mode), 0o600)
        proc = self.logbot("audit")
        self.assert_ok(proc)
        rows = audit_rows(proc.stdout)
        logins = [r for r in rows if r["event"] == "LOGIN" and r["client"] == "cli"]
        self.assertTrue(logins, proc.stdout)
        self.assertEqual(cloud.parse_details(logins[0]["details"]).get("auth_method"), "password+totp", proc.stdout)
        errors = [r for r in rows if r["event"] == "LOGIN_ERROR" and r["client"] == "cli"]
        self.assertTrue(any(cloud.parse_details(r["details"]).get("error") == "invalid_totp" for r in errors),
                        "the wrong code of test_1 should be in the log:\n" + proc.stdout)
        proc = self.logbot("whoami")
        self.assert_ok(proc)
        self.assertRegex(proc.stdout, r"(?m)^Acme +engineer\b")
        self.assert_ok(self.logbot("logout"))

    def test_organisation_policy_does_not_hold_up_the_login(self):
        # carol has no 2FA and her organisation requires it: that organisation's routes refuse
        # her (403 org_requires_2fa), her login and account do not.
        proc = self.login("carol@example.com", DEFAULT_PASSWORD + "\n")
        self.assert_ok(proc)
        proc = self.logbot("whoami")
        self.assert_ok(proc)
        self.assertRegex(proc.stdout, r"(?m)^Strict +owner\b")
        self.assert_ok(self.logbot("logout"))

    def test_4_recovery_code_logs_in(self):
        code = self.recovery_codes[0]
        proc = self.login_bert(code.upper().replace("-", " "))
        self.assert_ok(proc)
        proc = self.logbot("audit", "--limit", "5")
        self.assert_ok(proc)
        logins = [r for r in audit_rows(proc.stdout) if r["event"] == "LOGIN" and r["client"] == "cli"]
        self.assertTrue(logins, proc.stdout)
        self.assertEqual(cloud.parse_details(logins[0]["details"]).get("auth_method"), "password+recovery_code")
        self.assert_ok(self.logbot("logout"))
        # Single use: the same recovery code no longer works.
        self.assert_fails(self.login_bert(code), "not correct")


if __name__ == "__main__":
    unittest.main()
