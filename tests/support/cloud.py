"""Shared helpers for the integration tests of logbot-cloud (Python 3 standard library only).

The tests start the real `logbot-cloud` binary as a process on 127.0.0.1 with an ephemeral
port and a temporary data directory, and talk to it over HTTPS like a browser would:
session cookie, CSRF header on state-changing requests, JSON bodies.

Binaries come from $LOGBOT_BIN_DIR (default: build/bin under the repository root).
Every wait is bounded; a server that does not become ready, or that does not exit with
code 0 on SIGTERM, fails the test with its log attached.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse
from dataclasses import dataclass, field

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SESSION_COOKIE = "__Host-logbot_session"
DEFAULT_PASSWORD = "correct horse battery staple"
READY_TIMEOUT_S = float(os.environ.get("LOGBOT_READY_TIMEOUT_S", "30"))
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 60.0


def bin_dir() -> str:
    return os.environ.get("LOGBOT_BIN_DIR") or os.path.join(REPO_ROOT, "build", "bin")


def binary(name: str = "logbot-cloud") -> str:
    path = os.path.join(bin_dir(), name)
    if not os.access(path, os.X_OK):
        raise AssertionError(
            f"binary {path} not found or not executable: build it first (make) or set LOGBOT_BIN_DIR"
        )
    return path


def run_cli(args, *, stdin_text: str | None = None, env: dict | None = None,
            timeout: float = CLI_TIMEOUT_S, name: str = "logbot-cloud") -> subprocess.CompletedProcess:
    """Runs a Logbot binary to completion (bounded) and returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([binary(name), *args], input=stdin_text, capture_output=True, text=True,
                          timeout=timeout, env=full_env, stdin=None if stdin_text is not None else subprocess.DEVNULL)


def describe(proc: subprocess.CompletedProcess) -> str:
    return f"command {proc.args!r} exited {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def free_port() -> int:
    """A port that was free a moment ago (for tests that must name a port up front)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_pair(attempts: int = 50) -> int:
    """A port P such that P and P + 1 were both free a moment ago: what a test needs when it
    names the HTTPS port up front and logbot-cloud puts the device uplink on the next port.
    Both are held at once while checked, so another test's port 0 cannot be taken for either."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise AssertionError(f"no two consecutive free ports on 127.0.0.1 in {attempts} attempts")


# --------------------------------------------------------------------------------------------
# HTTP responses and the HTTPS client
# --------------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    method: str = ""
    path: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise AssertionError(f"{self.method} {self.path}: body is not JSON ({exc}): {self.text[:500]!r}")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {self.reason}: {self.text[:400]!r}"


@dataclass
class SetCookie:
    name: str
    value: str
    attributes: dict = field(default_factory=dict)  # lower-case attribute name -> value ('' for flags)

    @property
    def clears(self) -> bool:
        """True when this Set-Cookie deletes the cookie (empty value, Max-Age<=0 or an expiry in the past)."""
        if self.value == "":
            return True
        max_age = self.attributes.get("max-age")
        if max_age is not None:
            try:
                if int(max_age) <= 0:
                    return True
            except ValueError:
                pass
        expires = self.attributes.get("expires")
        if expires:
            try:
                from email.utils import parsedate_to_datetime
                if parsedate_to_datetime(expires).timestamp() < time.time():
                    return True
            except (TypeError, ValueError):
                pass
        return False


def parse_set_cookie(header: str) -> SetCookie:
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    attributes = {}
    for part in parts[1:]:
        if not part:
            continue
        key, _, val = part.partition("=")
        attributes[key.strip().lower()] = val.strip()
    return SetCookie(name.strip(), value.strip(), attributes)


def tls_client_context(cafile: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client context that trusts the server's self-signed certificate (or skips verification).

    Host names are not checked: the certificate's names are not part of the API contract,
    the tests pin the certificate itself.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if verify and cafile:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=cafile)
    else:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Client:
    """An HTTPS client with a cookie jar and automatic CSRF header, one TLS connection per request
    unless keep_alive is set."""

    def __init__(self, host: str, port: int, *, cafile: str | None = None, verify: bool = True,
                 client_kind: str | None = None, user_agent: str = "logbot-integration-test",
                 timeout: float = 15.0, keep_alive: bool = False):
        self.host = host
        self.port = port
        self.cafile = cafile
        self.verify = verify
        self.context = tls_client_context(cafile, verify)
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None
        self.client_kind = client_kind
        self.user_agent = user_agent
        self.timeout = timeout
        self.keep_alive = keep_alive
        self._conn: http.client.HTTPSConnection | None = None
        self.last_set_cookies: list[SetCookie] = []
        self.user: dict | None = None

    # -- connection --------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPSConnection:
        if self.keep_alive and self._conn is not None:
            return self._conn
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=self.timeout)
        if self.keep_alive:
            self._conn = conn
        return conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def origin(self) -> str:
        return f"https://{self.host}:{self.port}"

    # -- cookies -----------------------------------------------------------------------------
    @property
    def session_token(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)

    def _store_cookies(self, resp: Response):
        self.last_set_cookies = [parse_set_cookie(h) for h in resp.header_all("Set-Cookie")]
        for c in self.last_set_cookies:
            if c.clears:
                self.cookies.pop(c.name, None)
            else:
                self.cookies[c.name] = c.value

    def session_set_cookie(self) -> SetCookie | None:
        for c in self.last_set_cookies:
            if c.name == SESSION_COOKIE:
                return c
        return None

    # -- requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, *, json_body=None, body: bytes | str | None = None,
                headers: dict | None = None, csrf: bool | str | None = True, cookies: bool = True) -> Response:
        """Sends one request. json_body is serialised with Content-Type application/json.
        csrf=True adds X-CSRF-Token on non-GET/HEAD requests when a token is known; a string
        sends that value; False/None sends none. Header values of None in `headers` are omitted."""
        hdrs = {"User-Agent": self.user_agent, "Accept": "application/json, */*"}
        if self.client_kind:
            hdrs["X-Logbot-Client"] = self.client_kind
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        if isinstance(body, str):
            body = body.encode()
        if cookies and self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method.upper() not in ("GET", "HEAD"):
            if isinstance(csrf, str):
                hdrs["X-CSRF-Token"] = csrf
            elif csrf and self.csrf_token:
                hdrs["X-CSRF-Token"] = self.csrf_token
        for k, v in (headers or {}).items():
            if v is None:
                hdrs.pop(k, None)
                for existing in list(hdrs):
                    if existing.lower() == k.lower():
                        hdrs.pop(existing)
            else:
                hdrs[k] = v
        if body is None and method.upper() in ("POST", "PUT", "PATCH"):
            hdrs.setdefault("Content-Length", "0")
        attempts = 2 if self.keep_alive else 1
        for attempt in range(attempts):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=hdrs)
                raw = conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt + 1 == attempts:
                    raise
            finally:
                if not self.keep_alive:
                    conn.close()
        resp = Response(raw.status, raw.reason, raw.headers, data, method, path)
        self._store_cookies(resp)
        if raw.will_close and self.keep_alive:
            self.close()
        return resp

    def get(self, path, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw) -> Response:
        return self.request("POST", path, json_body=json_body, **kw)

    def patch(self, path, json_body=None, **kw) -> Response:
        return self.request("PATCH", path, json_body=json_body, **kw)

    def delete(self, path, **kw) -> Response:
        return self.request("DELETE", path, **kw)

    def get_json(self, path, expect: int = 200, **kw):
        resp = self.get(path, **kw)
        if resp.status != expect:
            raise AssertionError(f"expected {expect}: {resp}")
        return resp.json()

    # -- auth --------------------------------------------------------------------------------
    def login(self, email: str, password: str = DEFAULT_PASSWORD, *, expect: int | None = 200,
              headers: dict | None = None) -> Response:
        resp = self.post("/api/v1/auth/login", {"email": email, "password": password}, csrf=False,
                         headers=headers)
        if resp.status == 200:
            data = resp.json()
            self.csrf_token = data.get("csrf_token")
            self.user = data.get("user")
        if expect is not None and resp.status != expect:
            raise AssertionError(f"login of {email}: expected {expect}: {resp}")
        return resp

    def logout(self, expect: int | None = 204) -> Response:
        resp = self.post("/api/v1/auth/logout")
        if expect is not None and resp.status != expect:
            raise AssertionError(f"logout: expected {expect}: {resp}")
        return resp

    def me(self) -> dict:
        data = self.get_json("/api/v1/me")
        self.csrf_token = data.get("csrf_token", self.csrf_token)
        return data

    def invite(self, org_id: str, email: str, role: str, expect: int = 201) -> dict:
        """POST /api/v1/orgs/{org_id}/invitations; returns {"invitation", "token", "url"}."""
        resp = self.post(f"/api/v1/orgs/{org_id}/invitations", {"email": email, "role": role})
        if resp.status != expect:
            raise AssertionError(f"invite {email} as {role}: expected {expect}: {resp}")
        return resp.json() if resp.body else {}

    def peer(self) -> "Client":
        """Another client of the same server, with no session (another person's browser)."""
        return Client(self.host, self.port, cafile=self.cafile, verify=self.verify)

    def add_member(self, org_id: str, email: str, role: str, password: str = DEFAULT_PASSWORD,
                   display_name: str | None = None) -> dict:
        """Invites `email` with `role` and has the person behind it accept, as the product
        wants it: an address without an account redeems the invitation link choosing
        `password` (a new account); an existing account logs in with `password` and accepts
        from its pending invitations. Returns the new member's entry of the members list."""
        token = self.invite(org_id, email, role)["token"]
        invitee = self.peer()
        body = {"token": token, "password": password}
        if display_name:
            body["display_name"] = display_name
        resp = invitee.post("/api/v1/invitations/redeem", body, csrf=False)
        if resp.status == 409 and resp.json().get("error") == "account_exists":
            invitee.login(email, password)
            pending = invitee.get_json("/api/v1/me/invitations")["invitations"]
            ids = [i["id"] for i in pending if i["org_id"] == org_id]
            if len(ids) != 1:
                raise AssertionError(f"{email} sees {pending}, expected one invitation to {org_id}")
            resp = invitee.post(f"/api/v1/me/invitations/{ids[0]}/accept")
            if resp.status != 200:
                raise AssertionError(f"{email} accepts the invitation: {resp}")
            invitee.logout()
        elif resp.status != 201:
            raise AssertionError(f"{email} redeems the invitation: {resp}")
        members = self.get_json(f"/api/v1/orgs/{org_id}/members")["members"]
        for m in members:
            if m["email"] == email.strip().lower():
                return m
        raise AssertionError(f"{email} accepted but is not among the members: {members}")


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------

@dataclass
class Org:
    id: str
    name: str
    owner_email: str
    owner_id: str


class CloudServer:
    """Starts `logbot-cloud serve` on 127.0.0.1:0 with a temporary data directory.

    with CloudServer(extra_args=["--lockout-failures", "3"]) as srv:
        org = srv.create_org("acme", "alice@example.com")   # before or after start()
        srv.start()
        c = srv.client(); c.login("alice@example.com")

    Orgs and operators may be created before start (the admin CLI writes the database directly).
    On exit the server gets SIGTERM and must exit with code 0 within STOP_TIMEOUT_S.
    """

    def __init__(self, extra_args=(), *, env: dict | None = None, data_dir: str | None = None,
                 use_data_dir_flag: bool = True, use_listen_flag: bool = True, listen: str = "127.0.0.1:0",
                 autostart: bool = False, check_exit_code: bool = True):
        self.extra_args = list(extra_args)
        self.env = env or {}
        self._own_tmp = tempfile.mkdtemp(prefix="logbot-it-")
        self.data_dir = data_dir or os.path.join(self._own_tmp, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.ready_file = os.path.join(self.data_dir, "ready")
        self.log_path = os.path.join(self._own_tmp, "server.log")
        self.use_data_dir_flag = use_data_dir_flag
        self.use_listen_flag = use_listen_flag
        self.listen = listen
        self.autostart = autostart
        self.check_exit_code = check_exit_code
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self.base_url: str | None = None
        self.host: str | None = None
        self.port: int | None = None
        self.exit_codes: list[int] = []
        self.starts = 0

    # -- context manager ---------------------------------------------------------------------
    def __enter__(self):
        if self.autostart:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.running:
                code = self.stop()
                if self.check_exit_code and code != 0 and exc_type is None:
                    raise AssertionError(f"logbot-cloud exited with {code} on SIGTERM, expected 0\n{self.log_tail()}")
        finally:
            if os.environ.get("LOGBOT_KEEP_TMP"):
                print(f"[kept {self._own_tmp}]")
            else:
                shutil.rmtree(self._own_tmp, ignore_errors=True)
        return False

    # -- admin CLI ---------------------------------------------------------------------------
    def cli(self, *args, stdin_text: str | None = None, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess:
        return run_cli(list(args), stdin_text=stdin_text, timeout=timeout, env=self.env)

    def create_org(self, name: str, owner_email: str, password: str = DEFAULT_PASSWORD) -> Org:
        proc = self.cli("admin", "create-org", name, "--owner", owner_email, "--password-stdin",
                        "--data-dir", self.data_dir, stdin_text=password + "\n")
        if proc.returncode != 0:
            raise AssertionError("create-org failed: " + describe(proc))
        m = re.search(r"org (\S+) created, owner (\S+) \((\S+)\)", proc.stdout)
        if not m:
            raise AssertionError("create-org output does not match 'org <id> created, owner <email> (<user_id>)': "
                                 + describe(proc))
        return Org(id=m.group(1), name=name, owner_email=m.group(2), owner_id=m.group(3))

    def create_operator(self, email: str, password: str = DEFAULT_PASSWORD) -> subprocess.CompletedProcess:
        proc = self.cli("admin", "create-operator", "--email", email, "--password-stdin",
                        "--data-dir", self.data_dir, stdin_text=password + "\n")
        if proc.returncode != 0:
            raise AssertionError("create-operator failed: " + describe(proc))
        return proc

    def audit_verify(self) -> subprocess.CompletedProcess:
        return self.cli("audit", "verify", "--data-dir", self.data_dir)

    @property
    def db_path(self) -> str:
        return os.path.join(self.data_dir, "logbot.db")

    @property
    def cert_path(self) -> str:
        return os.path.join(self.data_dir, "tls", "cert.pem")

    # -- process -----------------------------------------------------------------------------
    def command(self) -> list[str]:
        cmd = [binary(), "serve"]
        if self.use_data_dir_flag:
            cmd += ["--data-dir", self.data_dir]
        if self.use_listen_flag:
            cmd += ["--listen", self.listen]
        cmd += ["--ready-file", self.ready_file]
        return cmd + self.extra_args

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = READY_TIMEOUT_S):
        assert not self.running, "server already running"
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        self.starts += 1
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"===== start #{self.starts}: {' '.join(self.command())}\n".encode())
        self._log_file.flush()
        env = dict(os.environ)
        env.update(self.env)
        self.proc = subprocess.Popen(self.command(), stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        while True:
            if os.path.exists(self.ready_file):
                with open(self.ready_file) as f:
                    content = f.read()
                if content.endswith("\n") and content.strip():
                    break
            if self.proc.poll() is not None:
                raise AssertionError(f"logbot-cloud exited with {self.proc.returncode} before it was ready\n"
                                     + self.log_tail())
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"logbot-cloud not ready within {timeout}s\n" + self.log_tail())
            time.sleep(0.02)
        # Line 1: the HTTPS base URL; line 2: the devices' uplink URL.
        lines = content.split("\n")
        self.base_url = lines[0].strip()
        self.uplink_url = lines[1].strip() if len(lines) > 1 else ""
        parsed = urllib.parse.urlparse(self.base_url)
        if parsed.scheme != "https" or not parsed.port:
            raise AssertionError(f"ready file holds {self.base_url!r}, expected https://HOST:PORT")
        self.host, self.port = parsed.hostname, parsed.port
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int:
        """Sends `sig` and waits (bounded) for the exit; returns the exit code (kills and fails on timeout)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"logbot-cloud did not exit within {timeout}s after signal {sig}\n"
                                     + self.log_tail())
        code = self.proc.returncode
        self.exit_codes.append(code)
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        return code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def restart(self):
        code = self.stop()
        if code != 0:
            raise AssertionError(f"logbot-cloud exited with {code} on SIGTERM\n{self.log_tail()}")
        return self.start()

    def log_text(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_text().splitlines()[-lines:]
        return "--- server log (tail) ---\n" + "\n".join(text)

    # -- clients -----------------------------------------------------------------------------
    def client(self, **kw) -> Client:
        assert self.port, "server not started"
        kw.setdefault("cafile", self.cert_path)
        return Client(self.host, self.port, **kw)

    def login(self, email: str, password: str = DEFAULT_PASSWORD, **kw) -> Client:
        c = self.client(**kw)
        c.login(email, password)
        return c


class ServerTestCase(unittest.TestCase):
    """A test class that shares one CloudServer among its tests.

    setUpClass creates `CloudServer(server_args)`, enters it and calls `populate()`; if that
    raises, the server is exited again and the error propagates. tearDownClass exits it.
    Subclasses set `server_args` for extra serve flags and override `populate` (a classmethod)
    to create orgs, start the server and log in; the default only starts it.
    """

    server_args: tuple = ()
    server: CloudServer | None = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = CloudServer(cls.server_args)
        cls.server.__enter__()
        try:
            cls.populate()
        except BaseException:
            cls.server.__exit__(None, None, None)
            raise

    @classmethod
    def populate(cls):
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.__exit__(None, None, None)
        super().tearDownClass()


def wait_until(predicate, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Polls predicate() until it returns a truthy value (returned) or fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout}s")
        time.sleep(interval)


def tls_connect(host: str, port: int, context: ssl.SSLContext | None = None, timeout: float = 10.0) -> ssl.SSLSocket:
    ctx = context or tls_client_context(verify=False)
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        return ctx.wrap_socket(sock, server_hostname=None)
    except Exception:
        sock.close()
        raise


def _recv_before(sock, deadline: float) -> bytes | None:
    """One recv of up to 64 KiB bounded by `deadline` (time.monotonic()): the bytes (b"" at EOF),
    or None when the deadline has passed or the recv timed out. Other socket errors propagate."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    sock.settimeout(remaining)
    try:
        return sock.recv(65536)
    except socket.timeout:
        return None


def read_until_closed(sock, timeout: float = 5.0, limit: int = 1 << 20) -> tuple[bytes, bool]:
    """Reads until EOF/reset or timeout; returns (data, closed_by_peer)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < limit:
        try:
            chunk = _recv_before(sock, deadline)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            return data, True
        if chunk is None:
            return data, False
        if not chunk:
            return data, True
        data += chunk
    return data, False


ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def parse_iso(value: str) -> float:
    """Parses the API's ISO-8601 UTC millisecond timestamps into seconds since the epoch."""
    from datetime import datetime, timezone
    if not ISO_RE.match(value or ""):
        raise AssertionError(f"time {value!r} is not ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.mmmZ)")
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def format_iso(ts: float) -> str:
    from datetime import datetime, timezone
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_details(details: str) -> dict:
    """'k=v, k2=v2' -> {'k': 'v', 'k2': 'v2'}"""
    out = {}
    for part in (details or "").split(", "):
        if "=" in part:
            k, _, v = part.partition("=")
            out[k.strip()] = v.strip()
    return out


def read_http_response(sock, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Reads one raw HTTP response (headers + Content-Length body) or until EOF/timeout.
    Returns (data, complete) where complete means a whole response was read."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            if len(rest) >= (int(m.group(1)) if m else 0):
                return data, True
        try:
            chunk = _recv_before(sock, deadline)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            return data, False
        if not chunk:  # deadline passed (None) or EOF (b"")
            return data, False
        data += chunk
