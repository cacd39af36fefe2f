"""Integration tests of two-factor authentication (TOTP, docs/SECURITY.md) against the real
logbot-cloud binary: enrolment (secret, otpauth URI, QR code, confirm, cancel), the two-step login
(half-authenticated session, cookie rotation, ±1 step window, replay protection, wrong-code limit,
lockout, half-session timeout), recovery codes, disabling, the organisation policy `require_2fa`,
and what is stored at rest.

Codes come only from independent implementations: `oathtool --totp -b -N @UNIXTIME SECRET` and
pyotp (Debian python3-pyotp), which must agree with each other. Never from project code.

Step boundaries: every code is generated for an explicit 30-s step computed from time.time()
(same host clock as the server), at least SETTLE_MARGIN_S before the step ends (`settle()` waits
out the end of a step otherwise, < 4 s), so a code is never sent in a different step than the
one it was chosen for. The server never accepts a step twice for a user (it may refuse every step
up to the newest accepted one, RFC 6238 5.2), so each Account remembers the newest step it handed
out and `fresh_code()` takes the earliest later step of the window (current, +30 s; -30 s where
asked), waiting for the next step only when none is left (bounded). Requests that must be refused
before the code is looked at (wrong CSRF, wrong password, lockout, dead session) use
`peek_code()`, which does not use up a step.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_totp.py   (from the repository root)
"""

import base64
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pyotp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from cloud import DEFAULT_PASSWORD, SESSION_COOKIE  # noqa: E402

SQLITE = shutil.which("sqlite3") or "/usr/bin/sqlite3"
ZBARIMG = shutil.which("zbarimg")
OATHTOOL = shutil.which("oathtool") or "/usr/bin/oathtool"
PERIOD = 30
SETTLE_MARGIN_S = 3.5
BASE32_RE = re.compile(r"^[A-Z2-7]{32}$")
GROUPED_RE = re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$")
RECOVERY_RE = re.compile(r"^[a-z0-9]{5}-[a-z0-9]{5}$")
# Routes a session that has not passed the second factor must not reach: (method, path, body).
RESTRICTED_ROUTES = (
    ("GET", "/api/v1/me/sessions", None),
    ("GET", "/api/v1/orgs", None),
    ("GET", "/api/v1/me/audit", None),
    ("GET", "/api/v1/me/audit?format=csv", None),
    ("POST", "/api/v1/me/password", {"current_password": DEFAULT_PASSWORD,
                                     "new_password": "a brand new passphrase 42"}),
    ("GET", "/api/v1/orgs/{org}", None),
    ("GET", "/api/v1/orgs/{org}/members", None),
    ("GET", "/api/v1/orgs/{org}/audit", None),
    ("DELETE", "/api/v1/me/sessions/{session}", None),
)


# ------------------------------------------------------------------------------------------------
# Independent TOTP
# ------------------------------------------------------------------------------------------------

def oathtool_code(secret_b32: str, t: float) -> str:
    proc = subprocess.run([OATHTOOL, "--totp", "-b", "-N", f"@{int(t)}", secret_b32],
                          capture_output=True, text=True, timeout=10)
    if proc.returncode != 0:
        raise AssertionError(f"oathtool failed for secret {secret_b32!r}: {proc.stderr}")
    return proc.stdout.strip()


def totp_at(secret_b32: str, t: float) -> str:
    """The 6-digit code of `secret_b32` at time t, by oathtool and pyotp (which must agree)."""
    a = oathtool_code(secret_b32, t)
    b = pyotp.TOTP(secret_b32).at(int(t))
    if a != b or not re.fullmatch(r"\d{6}", a):
        raise AssertionError(f"oathtool ({a!r}) and pyotp ({b!r}) disagree for {secret_b32!r} at {int(t)}")
    return a


def step_of(t: float) -> int:
    return int(t // PERIOD)


def settle(margin: float = SETTLE_MARGIN_S) -> float:
    """time.time(), at least `margin` s before the end of its step (waits for the next step otherwise)."""
    now = time.time()
    left = PERIOD - now % PERIOD
    if left < margin:
        time.sleep(left + 0.2)
        now = time.time()
    return now


def wrong_code(secret_b32: str) -> str:
    """A 6-digit code that is none of the codes of the steps around now (±3)."""
    s = step_of(time.time())
    near = {totp_at(secret_b32, (s + d) * PERIOD) for d in range(-3, 4)}
    rng = random.Random()
    while True:
        cand = f"{rng.randrange(10**6):06d}"
        if cand not in near:
            return cand


# A QR-code SVG to a bitmap for zbarimg (which cannot read SVG here).
def svg_modules(svg_bytes):
    """Rasterises a QR-code SVG made of axis-aligned filled shapes (rect, path with M/m/H/h/V/v/L/l/Z)
    into rows of booleans (True = dark), one sample per unit of the viewBox."""
    root = ET.fromstring(svg_bytes)
    vb = [float(v) for v in re.split(r"[ ,]+", root.get("viewBox").strip())]
    x0, y0, w, h = vb
    W, H = int(round(w)), int(round(h))
    grid = [[False] * W for _ in range(H)]
    def dark(el):
        fill = (el.get("fill") or "#000").lower()
        return fill in ("#000", "#000000", "black")
    polys = []
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "rect" and dark(el):
            rx, ry = float(el.get("x", 0)), float(el.get("y", 0))
            rw, rh = el.get("width"), el.get("height")
            if rw.endswith("%") or rh.endswith("%"):
                continue
            rw, rh = float(rw), float(rh)
            polys.append([(rx, ry), (rx + rw, ry), (rx + rw, ry + rh), (rx, ry + rh)])
        elif tag == "path" and dark(el):
            tokens = re.findall(r"[MmHhVvLlZz]|-?\d*\.?\d+(?:e-?\d+)?", el.get("d"))
            cx = cy = 0.0
            cur = []
            i = 0
            cmd = None
            while i < len(tokens):
                t = tokens[i]
                if t.isalpha():
                    cmd = t; i += 1
                    if cmd in "Zz":
                        if cur: polys.append(cur); cur = []
                        continue
                def num():
                    nonlocal i
                    v = float(tokens[i]); i += 1; return v
                if cmd in "Mm":
                    x, y = num(), num()
                    if cmd == "m": x, y = cx + x, cy + y
                    if cur: polys.append(cur)
                    cur = [(x, y)]; cx, cy = x, y
                    cmd = "L" if cmd == "M" else "l"
                elif cmd in "Ll":
                    x, y = num(), num()
                    if cmd == "l": x, y = cx + x, cy + y
                    cx, cy = x, y; cur.append((cx, cy))
                elif cmd in "Hh":
                    x = num(); cx = x if cmd == "H" else cx + x; cur.append((cx, cy))
                elif cmd in "Vv":
                    y = num(); cy = y if cmd == "V" else cy + y; cur.append((cx, cy))
                else:
                    raise ValueError(f"unsupported path command {cmd!r}")
            if cur: polys.append(cur)
    # even-odd fill sampled at unit-cell centres
    for poly in polys:
        xs = [p[0] for p in poly]; ys = [p[1] for p in poly]
        for gy in range(max(0, int(min(ys) - y0)), min(H, int(max(ys) - y0) + 1)):
            py = y0 + gy + 0.5
            for gx in range(max(0, int(min(xs) - x0)), min(W, int(max(xs) - x0) + 1)):
                px = x0 + gx + 0.5
                inside = False
                for (ax, ay), (bx, by) in zip(poly, poly[1:] + poly[:1]):
                    if (ay > py) != (by > py) and px < ax + (py - ay) * (bx - ax) / (by - ay):
                        inside = not inside
                if inside:
                    grid[gy][gx] = not grid[gy][gx]
    return grid

def to_pgm(grid, scale=6, quiet=4) -> bytes:
    """A binary PGM of the module grid (zbarimg reads it without any SVG delegate)."""
    H, W = len(grid), len(grid[0])
    rows = []
    blank = bytes([255]) * ((W + 2 * quiet) * scale)
    for _ in range(quiet * scale): rows.append(blank)
    for r in grid:
        line = bytes([255]) * (quiet * scale) + b"".join((bytes([0]) if v else bytes([255])) * scale for v in r) + bytes([255]) * (quiet * scale)
        rows.extend([line] * scale)
    for _ in range(quiet * scale): rows.append(blank)
    return f"P5\n{(W + 2*quiet)*scale} {(H + 2*quiet)*scale}\n255\n".encode() + b"".join(rows)


@dataclass
class Account:
    email: str
    password: str = DEFAULT_PASSWORD
    secret: str | None = None            # base32, upper case, no spaces
    recovery_codes: list = field(default_factory=list)
    # The newest step whose right code was sent to the server. A server may refuse every step up
    # to the newest accepted one (RFC 6238 5.2), so codes are only ever taken from later steps.
    last_step: int = -(10**12)
    full: cloud.Client | None = None      # a full session (opened before 2FA was enabled)
    user_id: str | None = None

    def code_for_step(self, step: int) -> str:
        return totp_at(self.secret, step * PERIOD)

    def fresh_code(self, offsets=(0, 1), reserve: bool = True) -> tuple[str, int]:
        """(code, step): the earliest step current+offset (offsets from the window -1, 0, +1) that
        is newer than every step handed out before; reserves it unless reserve=False (for requests
        that must be refused before the code is looked at). At least SETTLE_MARGIN_S remain in the
        current step when it returns; waits for a later step when needed (bounded: < 65 s)."""
        for _ in range(3):
            now = settle()
            s = step_of(now)
            steps = [s + off for off in sorted(offsets) if s + off > self.last_step]
            if steps:
                if reserve:
                    self.last_step = steps[0]
                return self.code_for_step(steps[0]), steps[0]
            delay = (self.last_step - max(offsets) + 1) * PERIOD - now + 0.2
            if delay > 2 * PERIOD + 1:
                raise AssertionError(f"would wait {delay:.0f}s for a step after {self.last_step}")
            time.sleep(delay)
        raise AssertionError(f"no usable step for offsets {offsets} after {self.last_step}")

    def peek_code(self, offsets=(0, 1)) -> str:
        return self.fresh_code(offsets, reserve=False)[0]


# ------------------------------------------------------------------------------------------------
# Test base
# ------------------------------------------------------------------------------------------------

def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def audit(c: cloud.Client, event: str | None = None) -> list:
    path = "/api/v1/me/audit?limit=1000" + (f"&event={event}" if event else "")
    return c.get_json(path)["events"]


def last_seq(c: cloud.Client) -> int:
    events = c.get_json("/api/v1/me/audit?limit=1")["events"]
    return events[0]["seq"] if events else 0


def events_since(c: cloud.Client, seq: int, event: str | None = None) -> list:
    return [e for e in audit(c, event) if e["seq"] > seq]


class TotpTestMixin:
    """Helpers shared by the test classes; self.server is a started CloudServer."""

    def assertError(self, resp, status: int, code: str, msg: str = ""):
        self.assertEqual(resp.status, status, f"{msg} {resp}".strip())
        self.assertEqual(resp.json().get("error"), code, f"{msg} {resp}".strip())

    def new_account(self, owner: cloud.Client, org_id: str, role: str = "engineer") -> Account:
        email = unique_email(role)
        member = owner.add_member(org_id, email, role)
        acct = Account(email=email, user_id=member.get("user_id"))
        acct.full = self.server.client()
        resp = acct.full.login(email)
        self.assertEqual(resp.json().get("stage"), "full", f"login without 2FA: {resp}")
        return acct

    def start_enrolment(self, c: cloud.Client, password: str = DEFAULT_PASSWORD) -> dict:
        resp = c.post("/api/v1/me/totp/enrolment", {"password": password})
        self.assertEqual(resp.status, 201, str(resp))
        return resp.json()

    def enrol(self, acct: Account, c: cloud.Client | None = None, offsets=(0, 1)) -> dict:
        c = c or acct.full
        data = self.start_enrolment(c)
        acct.secret = data["secret_base32"]
        code, _ = acct.fresh_code(offsets)
        resp = c.post("/api/v1/me/totp/enrolment/confirm", {"password": acct.password, "code": code})
        self.assertEqual(resp.status, 200, f"confirm with the right code: {resp}")
        body = resp.json()
        acct.recovery_codes = list(body.get("recovery_codes") or [])
        self.assertEqual(len(acct.recovery_codes), 10, str(resp))
        return body

    def password_step(self, acct: Account, expect_stage: str = "totp_required", **kw) -> cloud.Client:
        c = self.server.client(**kw)
        resp = c.login(acct.email, acct.password)
        self.assertEqual(resp.json().get("stage"), expect_stage, str(resp))
        return c

    def second_step(self, c: cloud.Client, body: dict, **kw) -> cloud.Response:
        resp = c.post("/api/v1/auth/totp", body, **kw)
        if resp.status == 200:
            data = resp.json()
            c.csrf_token = data.get("csrf_token")
            c.user = data.get("user")
        return resp

    def full_login(self, acct: Account) -> cloud.Client:
        c = self.password_step(acct)
        code, _ = acct.fresh_code()
        resp = self.second_step(c, {"code": code})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json().get("stage"), "full", str(resp))
        return c

    def totp_state(self, c: cloud.Client) -> dict:
        return c.get_json("/api/v1/me/totp")

    def assertTotpState(self, c: cloud.Client, **expected) -> dict:
        state = self.totp_state(c)
        self.assertEqual({k: state.get(k) for k in expected}, expected, f"GET /api/v1/me/totp: {state}")
        return state

    def assertEvent(self, events: list, event: str, **details) -> dict:
        """The newest event of that kind whose details contain every key=value given."""
        for e in events:
            if e["event"] != event:
                continue
            parsed = cloud.parse_details(e["details"])
            if all(parsed.get(k) == v for k, v in details.items()):
                return e
        self.fail(f"no {event} with {details} among {[(e['event'], e['details']) for e in events]}")


class SharedServer(TotpTestMixin, cloud.ServerTestCase):
    """One server; throttling is raised so that the wrong codes of one test cannot lock another
    (the lockout itself is tested with its own server below)."""

    server_args = ("--lockout-failures", "1000", "--lockout-ip-failures", "10000")

    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("acme", "alice@example.com")
        cls.server.start()
        cls.owner = cls.server.login("alice@example.com")

    def account(self, role: str = "engineer") -> Account:
        return self.new_account(self.owner, self.org.id, role)

    def enrolled(self) -> Account:
        acct = self.account()
        self.enrol(acct)
        return acct


# ------------------------------------------------------------------------------------------------
# Enrolment
# ------------------------------------------------------------------------------------------------

class EnrolmentTest(SharedServer):
    def test_enrolment_secret_uri_qr_confirm(self):
        acct = self.account()
        c = acct.full
        self.assertTotpState(c, enabled=False, pending=False, recovery_codes_remaining=0, required=False)
        self.assertError(c.get("/api/v1/me/totp/enrolment/qr.svg"), 404, "not_found", "qr.svg before enrolment:")

        first = self.start_enrolment(c)
        data = self.start_enrolment(c)  # starting again replaces the pending secret
        secret = data["secret_base32"]
        acct.secret = secret
        self.assertRegex(secret, BASE32_RE, "secret_base32: 32 base32 characters")
        self.assertEqual(len(base64.b32decode(secret)), 20, "160-bit secret")
        self.assertRegex(data["secret"], GROUPED_RE, "secret: base32 in groups of 4 separated by spaces")
        self.assertEqual(data["secret"].replace(" ", ""), secret)
        self.assertEqual((data.get("algorithm"), data.get("digits"), data.get("period")), ("SHA1", 6, 30))
        self.assertNotEqual(first["secret_base32"], secret, "a new enrolment must draw a new secret")

        # otpauth URI: parsed, then exact.
        uri = data["otpauth_uri"]
        parts = urllib.parse.urlsplit(uri)
        self.assertEqual((parts.scheme, parts.netloc), ("otpauth", "totp"), uri)
        self.assertEqual(parts.path, "/Logbot:" + urllib.parse.quote(acct.email, safe=""), uri)
        params = urllib.parse.parse_qs(parts.query, strict_parsing=True)
        self.assertEqual(params, {"secret": [secret], "issuer": ["Logbot"], "algorithm": ["SHA1"],
                                  "digits": ["6"], "period": ["30"]}, uri)
        self.assertEqual(uri, f"otpauth://totp/Logbot:{urllib.parse.quote(acct.email, safe='')}?secret={secret}"
                              "&issuer=Logbot&algorithm=SHA1&digits=6&period=30")
        parsed = pyotp.parse_uri(uri)
        self.assertEqual((parsed.secret, parsed.name, parsed.issuer, parsed.digits, parsed.interval),
                         (secret, acct.email, "Logbot", 6, 30))

        state = self.totp_state(c)
        self.assertEqual((state["enabled"], state["pending"]), (False, True), state)

        qr = c.get("/api/v1/me/totp/enrolment/qr.svg")
        self.assertEqual(qr.status, 200, str(qr))
        self.assertEqual((qr.header("Content-Type") or "").split(";")[0].strip(), "image/svg+xml")
        try:
            root = ET.fromstring(qr.body)
        except ET.ParseError as exc:
            self.fail(f"qr.svg is not well-formed XML: {exc}: {qr.text[:300]!r}")
        self.assertEqual(root.tag.rsplit("}", 1)[-1], "svg", root.tag)

        # The first (replaced) secret no longer confirms; a wrong code neither: 400, 2FA stays off.
        s = step_of(settle())
        old_code = totp_at(first["secret_base32"], s * PERIOD)
        if old_code not in {totp_at(secret, (s + d) * PERIOD) for d in (-1, 0, 1)}:
            self.assertError(c.post("/api/v1/me/totp/enrolment/confirm",
                                    {"password": DEFAULT_PASSWORD, "code": old_code}), 400, "invalid_totp",
                             "confirm with a code of the replaced secret:")
        self.assertError(c.post("/api/v1/me/totp/enrolment/confirm",
                                {"password": DEFAULT_PASSWORD, "code": wrong_code(secret)}),
                         400, "invalid_totp", "confirm with a wrong code:")
        state = self.totp_state(c)
        self.assertEqual((state["enabled"], state["pending"]), (False, True), f"after a wrong code: {state}")
        self.assertFalse(c.me()["user"]["totp_enabled"])
        self.password_step(acct, expect_stage="full")  # login is still one step

        seq = last_seq(c)
        code, _ = acct.fresh_code()
        resp = c.post("/api/v1/me/totp/enrolment/confirm", {"password": DEFAULT_PASSWORD, "code": code})
        self.assertEqual(resp.status, 200, str(resp))
        codes = resp.json().get("recovery_codes")
        self.assertIsInstance(codes, list, str(resp))
        self.assertEqual(len(codes), 10, codes)
        self.assertEqual(len(set(codes)), 10, f"recovery codes must be distinct: {codes}")
        for rc in codes:
            self.assertRegex(rc, RECOVERY_RE)
        self.assertTotpState(c, enabled=True, pending=False, recovery_codes_remaining=10, required=False)
        me = c.me()
        self.assertIs(me["user"]["totp_enabled"], True, me)
        self.assertIs(me["user"]["totp_required"], False, me)
        self.assertEqual(me["session"]["stage"], "full", me)
        self.assertEvent(events_since(c, seq), "UPDATE_TOTP")
        self.assertError(c.get("/api/v1/me/totp/enrolment/qr.svg"), 404, "not_found", "qr.svg after confirm:")
        self.assertError(c.post("/api/v1/me/totp/enrolment", {"password": acct.password}), 409, "totp_enabled",
                         "enrolment while enabled:")
        self.password_step(acct, expect_stage="totp_required")

    def test_qr_code_encodes_the_pending_otpauth_uri(self):
        acct = self.account()
        self.start_enrolment(acct.full)
        data = self.start_enrolment(acct.full)  # the QR code follows the replacing enrolment
        qr = acct.full.get("/api/v1/me/totp/enrolment/qr.svg")
        self.assertEqual(qr.status, 200, str(qr))
        with tempfile.NamedTemporaryFile(suffix=".pgm") as f:
            f.write(to_pgm(svg_modules(qr.body)))
            f.flush()
            proc = subprocess.run([ZBARIMG, "--raw", "-q", f.name], capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 0, f"zbarimg found no QR code: {proc.stderr}")
        self.assertEqual(proc.stdout.strip(), data["otpauth_uri"])

    def test_cancel_drops_the_pending_secret(self):
        acct = self.account()
        c = acct.full
        data = self.start_enrolment(c)
        self.assertEqual(c.get("/api/v1/me/totp/enrolment/qr.svg").status, 200)
        resp = c.delete("/api/v1/me/totp/enrolment")
        self.assertEqual(resp.status, 204, str(resp))
        self.assertError(c.get("/api/v1/me/totp/enrolment/qr.svg"), 404, "not_found", "qr.svg after cancel:")
        self.assertEqual(self.totp_state(c)["pending"], False)
        acct.secret = data["secret_base32"]
        code, _ = acct.fresh_code()
        resp = c.post("/api/v1/me/totp/enrolment/confirm", {"password": DEFAULT_PASSWORD, "code": code})
        self.assertNotEqual(resp.status, 200, f"a cancelled secret must not confirm: {resp}")
        self.assertIn(resp.status, (400, 404, 409), str(resp))
        state = self.totp_state(c)
        self.assertEqual((state["enabled"], state["pending"]), (False, False), state)
        self.password_step(acct, expect_stage="full")

    def test_enrolment_routes_need_csrf(self):
        acct = self.account()
        self.assertError(acct.full.post("/api/v1/me/totp/enrolment", {"password": acct.password}, csrf=False),
                         403, "csrf")
        self.assertEqual(self.totp_state(acct.full)["pending"], False)


class EnrolmentNeedsThePasswordTest(SharedServer):
    """With only a stolen session (cookie and CSRF token), no authenticator can be enrolled:
    starting and confirming need the current password."""

    def stolen(self, acct: Account) -> cloud.Client:
        thief = self.server.client()
        thief.cookies[SESSION_COOKIE] = acct.full.session_token
        thief.csrf_token = acct.full.csrf_token
        return thief

    def test_stolen_session_cannot_start_an_enrolment(self):
        acct = self.account()
        thief = self.stolen(acct)
        seq = last_seq(acct.full)
        self.assertError(thief.post("/api/v1/me/totp/enrolment"), 400, "bad_request", "start without a body:")
        self.assertError(thief.post("/api/v1/me/totp/enrolment", {}), 400, "bad_request", "start without password:")
        self.assertError(thief.post("/api/v1/me/totp/enrolment", {"password": "a guessed password 1"}),
                         403, "wrong_password", "start with a wrong password:")
        self.assertTotpState(acct.full, enabled=False, pending=False)
        self.assertError(thief.get("/api/v1/me/totp/enrolment/qr.svg"), 404, "not_found")
        err = self.assertEvent(events_since(acct.full, seq), "LOGIN_ERROR", action="UPDATE_TOTP")
        self.assertEqual(cloud.parse_details(err["details"]),
                         {"auth_method": "password", "username": acct.email, "action": "UPDATE_TOTP",
                          "error": "invalid_credentials"}, err)
        self.assertNotIn("a guessed password 1", str(events_since(acct.full, seq)))
        self.password_step(acct, expect_stage="full")  # the login is still one step

    def test_stolen_session_cannot_confirm_an_enrolment(self):
        # The owner started an enrolment (with the password); a thief of the session must not finish it
        # with an authenticator of their own.
        acct = self.account()
        data = self.start_enrolment(acct.full)
        acct.secret = data["secret_base32"]
        thief = self.stolen(acct)
        code = acct.peek_code()
        self.assertError(thief.post("/api/v1/me/totp/enrolment/confirm", {"code": code}), 400, "bad_request",
                         "confirm without password:")
        self.assertError(thief.post("/api/v1/me/totp/enrolment/confirm",
                                    {"password": "a guessed password 1", "code": code}),
                         403, "wrong_password", "confirm with a wrong password:")
        self.assertTotpState(acct.full, enabled=False, pending=True)
        self.password_step(acct, expect_stage="full")
        code, _ = acct.fresh_code()
        resp = acct.full.post("/api/v1/me/totp/enrolment/confirm", {"password": acct.password, "code": code})
        self.assertEqual(resp.status, 200, f"confirm with password and code: {resp}")
        self.assertTotpState(acct.full, enabled=True, pending=False)


# ------------------------------------------------------------------------------------------------
# Two-step login
# ------------------------------------------------------------------------------------------------

class TwoStepLoginTest(SharedServer):
    def restricted(self, acct_sid: str):
        for method, path, body in RESTRICTED_ROUTES:
            yield method, path.format(org=self.org.id, session=acct_sid), body

    def test_half_session_until_the_code(self):
        acct = self.enrolled()
        seq = last_seq(acct.full)
        half = self.server.client()
        resp = half.login(acct.email)
        data = resp.json()
        self.assertEqual(data.get("stage"), "totp_required", str(resp))
        self.assertTrue(data.get("csrf_token"), str(resp))
        self.assertTrue({"id", "email", "display_name", "is_operator"} <= set(data.get("user") or {}), str(resp))
        half_token, half_csrf = half.session_token, half.csrf_token
        self.assertTrue(half_token, "the password step must set a session cookie")

        me = half.me()
        self.assertEqual(me["session"]["stage"], "totp_required", me)
        self.assertIs(me["user"]["totp_enabled"], True, me)
        self.assertIs(me["user"]["totp_required"], False, me)
        ends = min(cloud.parse_iso(me["session"][k]) for k in ("idle_expires_at", "absolute_expires_at"))
        self.assertTrue(240 < ends - time.time() <= 301, f"a half session ends 300 s after the password step: {me}")
        for method, path, body in self.restricted(me["session"]["id"]):
            with self.subTest(method=method, path=path):
                self.assertError(half.request(method, path, json_body=body), 403, "second_factor_required")
        for method, path, body in (("GET", "/api/v1/me/totp", None),
                                   ("POST", "/api/v1/me/totp/enrolment", {"password": DEFAULT_PASSWORD}),
                                   ("DELETE", "/api/v1/me/totp/enrolment", None),
                                   ("POST", "/api/v1/me/totp/disable", {"password": DEFAULT_PASSWORD, "code": "000000"}),
                                   ("POST", "/api/v1/me/totp/recovery-codes",
                                    {"password": DEFAULT_PASSWORD, "code": "000000"})):
            with self.subTest(method=method, path=path):
                self.assertError(half.request(method, path, json_body=body), 403, "second_factor_required")
        self.server.client().login(acct.email, DEFAULT_PASSWORD)  # the password was not changed
        self.assertFalse([e for e in events_since(acct.full, seq) if e["event"] == "LOGIN"],
                         "the password step alone must not audit LOGIN")

        code, _ = acct.fresh_code()
        self.assertError(half.post("/api/v1/auth/totp", {"code": code}, csrf=False), 403, "csrf",
                         "/auth/totp without CSRF header:")
        seq = last_seq(acct.full)
        resp = self.second_step(half, {"code": code})
        self.assertEqual(resp.status, 200, str(resp))
        body = resp.json()
        self.assertEqual(body.get("stage"), "full", str(resp))
        self.assertEqual(body["user"]["email"], acct.email)
        cookie = half.session_set_cookie()
        self.assertIsNotNone(cookie, "the second step must set a new session cookie")
        self.assertFalse(cookie.clears)
        self.assertNotEqual(half.session_token, half_token, "session cookie must be rotated")
        self.assertNotEqual(body.get("csrf_token"), half_csrf, "CSRF token must be replaced")
        me2 = half.me()
        self.assertEqual(me2["session"]["stage"], "full")
        self.assertGreater(cloud.parse_iso(me2["session"]["absolute_expires_at"]) - time.time(), 3600,
                           f"the full session must not keep the 5-minute limit of the half session: {me2}")
        self.assertNotEqual(me2["session"]["id"], me["session"]["id"], "session id must be replaced")
        self.assertEqual(half.get("/api/v1/me/sessions").status, 200)
        self.assertEqual(half.get("/api/v1/orgs").status, 200)
        old = self.server.client()
        old.cookies[SESSION_COOKIE] = half_token
        self.assertError(old.get("/api/v1/me"), 401, "unauthenticated", "the half-session cookie after step 2:")
        logins = [e for e in events_since(acct.full, seq) if e["event"] == "LOGIN"]
        self.assertEqual(len(logins), 1, logins)
        d = cloud.parse_details(logins[0]["details"])
        self.assertEqual((d.get("auth_method"), d.get("username")), ("password+totp", acct.email), logins[0])
        self.assertIn(f"auth_method=password+totp, username={acct.email}", logins[0]["details"])

    def test_half_session_may_log_out(self):
        acct = self.enrolled()
        half = self.password_step(acct)
        token = half.session_token
        self.assertEqual(half.logout(expect=None).status, 204)
        again = self.server.client()
        again.cookies[SESSION_COOKIE] = token
        self.assertError(again.get("/api/v1/me"), 401, "unauthenticated")
        self.assertError(again.post("/api/v1/auth/totp", {"code": acct.peek_code()}, csrf=half.csrf_token),
                         401, "unauthenticated")

    def test_previous_and_next_step_accepted_two_steps_away_refused(self):
        acct = self.account()
        self.enrol(acct, offsets=(-1,))  # confirmed with the code of t-30
        half = self.password_step(acct)
        for off in (-2, 2):
            with self.subTest(offset_s=off * PERIOD):
                seq = last_seq(acct.full)
                s = step_of(settle())
                resp = self.second_step(half, {"code": acct.code_for_step(s + off)})
                self.assertError(resp, 401, "invalid_totp", f"code for t{off * PERIOD:+d}s:")
                err = self.assertEvent(events_since(acct.full, seq), "LOGIN_ERROR", error="invalid_totp")
                d = cloud.parse_details(err["details"])
                self.assertEqual((d.get("auth_method"), d.get("username")), ("password+totp", acct.email), err)
                self.assertNotIn("reason", d, f"t{off * PERIOD:+d}s must be outside the window, not a replay: {err}")
                self.assertIn(f"auth_method=password+totp, username={acct.email}, error=invalid_totp", err["details"])
        # t-30 must be newer than the confirmed step: fresh_code waits for the next step if needed.
        for off, c in ((-1, half), (1, None)):
            with self.subTest(offset_s=off * PERIOD):
                c = c or self.password_step(acct)
                code, step = acct.fresh_code((off,))
                resp = self.second_step(c, {"code": code})
                self.assertEqual(step - step_of(time.time()), off, "test timing: the step changed")
                self.assertEqual(resp.status, 200, f"code for t{off * PERIOD:+d}s: {resp}")
                self.assertEqual(resp.json().get("stage"), "full")

    def test_replayed_code_is_refused_within_the_window(self):
        acct = self.enrolled()
        first = self.password_step(acct)
        second = self.password_step(acct)
        code, step = acct.fresh_code()
        self.assertEqual(self.second_step(first, {"code": code}).status, 200)
        seq = last_seq(acct.full)
        resp = self.second_step(second, {"code": code})
        self.assertIn(step - step_of(time.time()), (-1, 0, 1), "test timing: the step left the window")
        self.assertError(resp, 401, "invalid_totp", "replayed code:")
        err = self.assertEvent(events_since(acct.full, seq), "LOGIN_ERROR", error="invalid_totp")
        d = cloud.parse_details(err["details"])
        self.assertEqual(d.get("reason"), "replayed", err)
        self.assertEqual((d.get("auth_method"), d.get("username")), ("password+totp", acct.email), err)
        # The half session survives one refusal.
        self.assertEqual(self.second_step(second, {"recovery_code": acct.recovery_codes[0]}).status, 200)
        # The details as the contract writes them.
        self.assertIn(f"auth_method=password+totp, username={acct.email}, error=invalid_totp, reason=replayed",
                      err["details"])

    def test_five_wrong_codes_end_the_half_session(self):
        acct = self.enrolled()
        half = self.password_step(acct)
        bad = wrong_code(acct.secret)
        for i in range(5):
            with self.subTest(attempt=i + 1):
                self.assertError(self.second_step(half, {"code": bad}), 401, "invalid_totp")
        self.assertError(self.second_step(half, {"code": acct.peek_code()}), 401, "unauthenticated",
                         "the right code after 5 wrong ones:")
        self.assertError(half.get("/api/v1/me"), 401, "unauthenticated")
        self.full_login(acct)  # a new login works

    def test_four_wrong_codes_keep_the_half_session(self):
        acct = self.enrolled()
        half = self.password_step(acct)
        bad = wrong_code(acct.secret)
        for _ in range(4):
            self.assertError(self.second_step(half, {"code": bad}), 401, "invalid_totp")
        code, _ = acct.fresh_code()
        self.assertEqual(self.second_step(half, {"code": code}).status, 200)

    def test_auth_totp_without_a_session_is_401(self):
        # Without the password step there is no second step.
        acct = self.enrolled()
        anon = self.server.client()
        self.assertError(anon.post("/api/v1/auth/totp", {"code": acct.peek_code()}), 401, "unauthenticated")


# ------------------------------------------------------------------------------------------------
# Recovery codes
# ------------------------------------------------------------------------------------------------

class RecoveryCodeTest(SharedServer):
    def test_recovery_code_login_once_and_variants(self):
        acct = self.enrolled()
        codes = acct.recovery_codes
        seq = last_seq(acct.full)
        c = self.password_step(acct)
        resp = self.second_step(c, {"recovery_code": codes[0]})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json().get("stage"), "full")
        self.assertEqual(c.get("/api/v1/orgs").status, 200)
        new = events_since(acct.full, seq)
        used = self.assertEvent(new, "RECOVERY_CODE_USED")
        self.assertEqual(cloud.parse_details(used["details"]).get("remaining"), "9", used)
        login = self.assertEvent(new, "LOGIN", auth_method="password+recovery_code")
        self.assertEqual(cloud.parse_details(login["details"]).get("username"), acct.email, login)
        self.assertNotIn(codes[0], str(new), "a recovery code must not appear in the audit log")
        self.assertEqual(self.totp_state(c)["recovery_codes_remaining"], 9)

        again = self.password_step(acct)
        self.assertError(self.second_step(again, {"recovery_code": codes[0]}), 401, "invalid_totp",
                         "second use of a recovery code:")
        for variant in (codes[1].upper(), codes[2].replace("-", ""), codes[3].upper().replace("-", "")):
            with self.subTest(variant=variant):
                c = self.password_step(acct)
                resp = self.second_step(c, {"recovery_code": variant})
                self.assertEqual(resp.status, 200, f"recovery code variant {variant!r}: {resp}")
        self.assertEqual(self.totp_state(acct.full)["recovery_codes_remaining"], 6)

    def test_regenerate_recovery_codes(self):
        acct = self.enrolled()
        old = acct.recovery_codes
        c = acct.full
        code = acct.peek_code()
        self.assertError(c.post("/api/v1/me/totp/recovery-codes", {"password": "not my password!!", "code": code}),
                         403, "wrong_password", "regenerate with a wrong password:")
        self.assertError(c.post("/api/v1/me/totp/recovery-codes",
                                {"password": acct.password, "code": wrong_code(acct.secret)}),
                         403, "invalid_totp", "regenerate with a wrong code:")
        self.assertEqual(self.totp_state(c)["recovery_codes_remaining"], 10)
        # Nothing changed: an old code still works.
        h = self.password_step(acct)
        self.assertEqual(self.second_step(h, {"recovery_code": old[0]}).status, 200, "old code before regeneration")

        seq = last_seq(c)
        self.assertError(c.post("/api/v1/me/totp/recovery-codes", {"password": acct.password,
                                                                   "code": acct.peek_code()}, csrf=False), 403, "csrf")
        code, _ = acct.fresh_code()
        resp = c.post("/api/v1/me/totp/recovery-codes", {"password": acct.password, "code": code})
        self.assertEqual(resp.status, 200, str(resp))
        new = resp.json().get("recovery_codes")
        self.assertEqual(len(new or []), 10, str(resp))
        self.assertEqual(len(set(new)), 10)
        for rc in new:
            self.assertRegex(rc, RECOVERY_RE)
        self.assertFalse(set(new) & set(old), "regenerated codes must be new")
        self.assertEvent(events_since(c, seq), "RECOVERY_CODES_REGENERATED")
        self.assertEqual(self.totp_state(c)["recovery_codes_remaining"], 10)
        h = self.password_step(acct)
        self.assertError(self.second_step(h, {"recovery_code": old[1]}), 401, "invalid_totp",
                         "an old recovery code after regeneration:")
        resp = self.second_step(h, {"recovery_code": new[0]})
        self.assertEqual(resp.status, 200, f"a new recovery code: {resp}")
        self.assertEqual(self.totp_state(c)["recovery_codes_remaining"], 9)


# ------------------------------------------------------------------------------------------------
# Disable
# ------------------------------------------------------------------------------------------------

class DisableTest(SharedServer):
    def test_disable_needs_password_and_code(self):
        acct = self.enrolled()
        c = acct.full
        code = acct.peek_code()
        self.assertError(c.post("/api/v1/me/totp/disable", {"password": "not my password!!", "code": code}),
                         403, "wrong_password", "disable with a wrong password:")
        self.assertError(c.post("/api/v1/me/totp/disable", {"password": acct.password,
                                                            "code": wrong_code(acct.secret)}),
                         403, "invalid_totp", "disable with a wrong code:")
        self.assertIs(self.totp_state(c)["enabled"], True)
        self.password_step(acct, expect_stage="totp_required")

        seq = last_seq(c)
        self.assertError(c.post("/api/v1/me/totp/disable", {"password": acct.password, "code": acct.peek_code()},
                                csrf=False), 403, "csrf")
        code, _ = acct.fresh_code()
        resp = c.post("/api/v1/me/totp/disable", {"password": acct.password, "code": code})
        self.assertEqual(resp.status, 204, str(resp))
        self.assertEvent(events_since(c, seq), "REMOVE_TOTP")
        state = self.totp_state(c)
        self.assertEqual((state["enabled"], state["pending"]), (False, False), state)
        self.assertIs(c.me()["user"]["totp_enabled"], False)
        seq = last_seq(c)
        one = self.password_step(acct, expect_stage="full")
        self.assertEqual(one.get("/api/v1/me/sessions").status, 200)
        login = self.assertEvent(events_since(c, seq), "LOGIN")
        self.assertEqual(cloud.parse_details(login["details"]).get("auth_method"), "password", login)
        # Recovery codes are gone with it; enrolling again is possible.
        h = self.server.client()
        h.login(acct.email)
        self.assertNotEqual(self.second_step(h, {"recovery_code": acct.recovery_codes[5]}).status, 200)
        self.assertEqual(c.post("/api/v1/me/totp/enrolment", {"password": acct.password}).status, 201)


# ------------------------------------------------------------------------------------------------
# Lockout and half-session timeout (own servers)
# ------------------------------------------------------------------------------------------------

class OwnServerTest(TotpTestMixin, unittest.TestCase):
    def start_server(self, args, env: dict | None = None):
        srv = cloud.CloudServer(args, env=env)
        self.addCleanup(srv.__exit__, None, None, None)
        srv.__enter__()
        org = srv.create_org("acme", "alice@example.com")
        srv.start()
        self.server = srv
        owner = srv.login("alice@example.com")
        return srv, org, owner


class LockoutTest(OwnServerTest):
    def test_wrong_codes_feed_the_lockout(self):
        srv, org, owner = self.start_server(["--lockout-failures", "3", "--lockout-wait-s", "2"])
        acct = Account(email="alice@example.com", full=owner)
        self.enrol(acct)
        half = self.password_step(acct)
        bad = wrong_code(acct.secret)
        statuses = [self.second_step(half, {"code": bad}).status for _ in range(3)]
        self.assertEqual(statuses[:2], [401, 401], statuses)
        self.assertIn(statuses[2], (401, 429), statuses)
        locked_at = time.monotonic()
        resp = srv.client().login(acct.email, expect=None)
        self.assertError(resp, 429, "locked", "password login after 3 wrong codes:")
        retry = resp.header("Retry-After")
        self.assertTrue(retry and retry.isdigit() and 1 <= int(retry) <= 3, f"Retry-After {retry!r}")
        self.assertError(self.second_step(half, {"code": acct.peek_code()}), 429, "locked",
                         "the right code during the lockout:")
        # After the wait the login works again (bounded: wait + 3 s).
        time.sleep(max(0.0, locked_at + int(retry) - time.monotonic()))
        deadline = time.monotonic() + 3.0
        while True:
            resp = srv.client().login(acct.email, expect=None)
            if resp.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(resp.status, 200, f"login after the lockout wait: {resp}")
        c = self.full_login(acct)
        events = audit(c)
        self.assertIn("LOCKOUT", [e["event"] for e in events])
        errors = [e for e in events if e["event"] == "LOGIN_ERROR"
                  and cloud.parse_details(e["details"]).get("error") == "invalid_totp"]
        self.assertGreaterEqual(len(errors), 2, [(e["event"], e["details"]) for e in events])


class EnrolmentPasswordLockoutTest(OwnServerTest):
    def test_wrong_enrolment_passwords_feed_the_lockout(self):
        srv, org, owner = self.start_server(["--lockout-failures", "3", "--lockout-wait-s", "30"])
        statuses = [owner.post("/api/v1/me/totp/enrolment", {"password": f"wrong password {i}!"}).status
                    for i in range(3)]
        self.assertEqual(statuses, [403, 403, 403], statuses)
        self.assertError(owner.post("/api/v1/me/totp/enrolment", {"password": DEFAULT_PASSWORD}), 429, "locked",
                         "the right password during the lockout:")
        self.assertError(srv.client().login("alice@example.com", expect=None), 429, "locked",
                         "login after 3 wrong enrolment passwords:")
        events = audit(owner)
        lockout = self.assertEvent(events, "LOCKOUT", username="alice@example.com")
        self.assertEqual(cloud.parse_details(lockout["details"]).get("failures"), "3", lockout)
        errors = [e for e in events if e["event"] == "LOGIN_ERROR"
                  and cloud.parse_details(e["details"]).get("action") == "UPDATE_TOTP"]
        self.assertEqual(len(errors), 4, [(e["event"], e["details"]) for e in events])  # 3 wrong + 1 locked
        self.assertEqual(self.totp_state(owner)["pending"], False)


class SecondFactorTimeoutTest(OwnServerTest):
    def test_half_session_expires(self):
        srv, org, owner = self.start_server(["--second-factor-timeout-s", "2"])
        acct = Account(email="alice@example.com", full=owner)
        self.enrol(acct)
        # Control: within the timeout the code is accepted (code chosen first, >= 3.5 s left in its step).
        code, _ = acct.fresh_code()
        half = self.password_step(acct)
        self.assertEqual(self.second_step(half, {"code": code}).status, 200)
        half = self.password_step(acct)
        me = half.me()
        ends = min(cloud.parse_iso(me["session"][k]) for k in ("idle_expires_at", "absolute_expires_at"))
        self.assertTrue(0.5 < ends - time.time() <= 2.5, f"half session should end ~2 s after the password step: {me}")
        time.sleep(3.0)
        self.assertError(self.second_step(half, {"code": acct.peek_code()}), 401, "unauthenticated",
                         "the right code 3 s after the password step (timeout 2 s):")
        self.assertError(half.get("/api/v1/me"), 401, "unauthenticated")


# ------------------------------------------------------------------------------------------------
# Organisation policy
# ------------------------------------------------------------------------------------------------

class OrgPolicyTest(TotpTestMixin, cloud.ServerTestCase):
    """The organisation policy `require_2fa` gates that organisation's routes (403
    org_requires_2fa) for members without an authenticator; their login, account pages and
    other organisations are not affected (tests/integration/test_invitations.py checks the
    last with a member of two organisations)."""

    server_args = ("--lockout-failures", "1000", "--lockout-ip-failures", "10000")

    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("strict", "olga@example.com")
        cls.server.start()
        cls.owner = cls.server.login("olga@example.com")

    def test_require_2fa_policy(self):
        org_path = f"/api/v1/orgs/{self.org.id}"
        olga = Account(email="olga@example.com", full=self.owner)
        self.enrol(olga)  # the owner keeps using the organisation once the policy is on
        viewer = self.new_account(self.owner, self.org.id, "viewer")
        admin = self.new_account(self.owner, self.org.id, "admin")
        emma = Account(email=unique_email("emma"))
        emma.user_id = self.owner.add_member(self.org.id, emma.email, "engineer").get("user_id")
        self.assertIs(self.owner.get_json(org_path).get("require_2fa"), False)

        self.assertError(viewer.full.patch(org_path, {"require_2fa": True}), 403, "forbidden", "viewer PATCH:")
        self.assertIs(self.owner.get_json(org_path).get("require_2fa"), False)
        resp = self.owner.patch(org_path, {"require_2fa": True})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertIs(resp.json().get("require_2fa"), True, str(resp))
        self.assertIs(self.owner.get_json(org_path).get("require_2fa"), True)
        events = self.owner.get_json(f"{org_path}/audit?event=ORG_POLICY_CHANGED&limit=100")["events"]
        self.assertTrue(events, "no ORG_POLICY_CHANGED in the org audit")
        d = cloud.parse_details(events[0]["details"])
        self.assertEqual((d.get("require_2fa_before"), d.get("require_2fa_after")), ("false", "true"), events[0])
        self.assertIn("require_2fa_before=false, require_2fa_after=true", events[0]["details"])
        self.assertEqual(events[0]["org_id"], self.org.id)
        # Open sessions of members without 2FA: the organisation's routes refuse them at once,
        # their account does not.
        self.assertEqual(viewer.full.get("/api/v1/orgs").status, 200)
        self.assertError(viewer.full.get(org_path), 403, "org_requires_2fa", "viewer without 2FA:")

        # A member without 2FA logs in as usual (one step, a full session) ...
        c = self.server.client()
        resp = c.login(emma.email)
        self.assertEqual(resp.json().get("stage"), "full", str(resp))
        me = c.me()
        self.assertEqual(me["session"]["stage"], "full", me)
        self.assertEqual((me["user"]["totp_enabled"], me["user"]["totp_required"]), (False, True), me)
        self.assertEqual([m["require_2fa"] for m in me["memberships"]], [True], me)
        # ... the organisation's routes ask for the authenticator ...
        for method, path, body in RESTRICTED_ROUTES:
            if "/orgs/{org}" not in path:
                continue
            path = path.format(org=self.org.id)
            with self.subTest(method=method, path=path):
                self.assertError(c.request(method, path, json_body=body), 403, "org_requires_2fa")
                self.assertIn("strict", c.request(method, path, json_body=body).json()["message"])
        # ... and the account pages stay open, where the member enrols.
        for path in ("/api/v1/me/sessions", "/api/v1/me/audit", "/api/v1/orgs", "/api/v1/me/invitations"):
            with self.subTest(path=path):
                self.assertEqual(c.get(path).status, 200, path)
        state = self.totp_state(c)
        self.assertEqual((state["enabled"], state["required"]), (False, True), state)
        data = self.start_enrolment(c)
        emma.secret = data["secret_base32"]
        self.assertEqual(c.get("/api/v1/me/totp/enrolment/qr.svg").status, 200)
        self.assertError(c.post("/api/v1/me/totp/enrolment/confirm",
                                {"password": DEFAULT_PASSWORD, "code": wrong_code(emma.secret)}),
                         400, "invalid_totp")
        self.assertError(c.get(org_path), 403, "org_requires_2fa", "after a wrong code:")
        code, _ = emma.fresh_code()
        resp = c.post("/api/v1/me/totp/enrolment/confirm", {"password": DEFAULT_PASSWORD, "code": code})
        self.assertEqual(resp.status, 200, str(resp))
        body = resp.json()
        self.assertEqual(len(body.get("recovery_codes") or []), 10, str(resp))
        self.assertEqual(c.get(org_path).status, 200, "the organisation opens once the authenticator is set up")
        self.assertEqual(c.get(f"{org_path}/members").status, 200)
        events = audit(c)
        logins = [e for e in events if e["event"] == "LOGIN"]
        self.assertEqual(len(logins), 1, [(e["event"], e["details"]) for e in events])
        self.assertEqual(cloud.parse_details(logins[0]["details"]).get("auth_method"), "password", logins[0])
        self.assertEvent(events, "UPDATE_TOTP")
        # The next login is the normal two-step one.
        nxt = self.password_step(emma)
        self.assertEqual(self.second_step(nxt, {"recovery_code": body["recovery_codes"][0]}).status, 200)

        members = {m["email"]: m for m in self.owner.get_json(f"{org_path}/members")["members"]}
        self.assertIs(members[emma.email].get("totp_enabled"), True, members[emma.email])
        self.assertIs(members[viewer.email].get("totp_enabled"), False, members[viewer.email])

        # Turning 2FA off is the member's own decision: it closes the organisation again.
        code, _ = emma.fresh_code()
        self.assertEqual(c.post("/api/v1/me/totp/disable", {"password": emma.password, "code": code}).status, 204)
        self.assertError(c.get(org_path), 403, "org_requires_2fa", "after turning 2FA off:")
        self.assertEqual(c.get("/api/v1/me/sessions").status, 200)

        # An admin without 2FA cannot reach the setting either; an owner with 2FA turns it off.
        self.assertError(admin.full.patch(org_path, {"require_2fa": False}), 403, "org_requires_2fa")
        resp = self.owner.patch(org_path, {"require_2fa": False})
        self.assertEqual(resp.status, 200, str(resp))
        events = self.owner.get_json(f"{org_path}/audit?event=ORG_POLICY_CHANGED&limit=100")["events"]
        d = cloud.parse_details(events[0]["details"])
        self.assertEqual((d.get("require_2fa_before"), d.get("require_2fa_after")), ("true", "false"), events[0])
        self.assertEqual(viewer.full.get(org_path).status, 200)
        self.assertEqual(c.get(org_path).status, 200)
        self.password_step(viewer, expect_stage="full")


# ------------------------------------------------------------------------------------------------
# At rest
# ------------------------------------------------------------------------------------------------

def variants_of_secret(secret: str) -> list[str]:
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    raw_hex = base64.b32decode(secret).hex()
    return [secret, secret.lower(), grouped, grouped.lower(), raw_hex, raw_hex.upper()]


def variants_of_recovery(code: str) -> list[str]:
    plain = code.replace("-", "")
    return [code, code.upper(), plain, plain.upper()]


class AtRestTest(OwnServerTest):
    def read_db_files(self, srv) -> dict:
        blobs = {}
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = srv.db_path + suffix
            if os.path.exists(path):
                with open(path, "rb") as f:
                    blobs[os.path.basename(path)] = f.read()
        return blobs

    def test_secrets_and_recovery_codes_are_not_stored_in_clear(self):
        srv, org, owner = self.start_server([])
        acct = Account(email="alice@example.com", full=owner)
        self.enrol(acct, offsets=(-1,))
        # Regenerated codes are the current ones; the first set must not linger either.
        first_codes = list(acct.recovery_codes)
        code, _ = acct.fresh_code()
        resp = owner.post("/api/v1/me/totp/recovery-codes", {"password": acct.password, "code": code})
        self.assertEqual(resp.status, 200, str(resp))
        acct.recovery_codes = resp.json()["recovery_codes"]
        pending = self.new_account(owner, org.id)
        pending_secret = self.start_enrolment(pending.full)["secret_base32"]

        self.assertEqual(srv.stop(), 0, srv.log_tail())
        blobs = self.read_db_files(srv)  # before sqlite3 opens the database (it may checkpoint the WAL)
        self.assertIn("logbot.db", blobs)
        dump = subprocess.run([SQLITE, srv.db_path, ".dump"], capture_output=True, text=True, timeout=30)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn("CREATE TABLE", dump.stdout)
        dump_lower = dump.stdout.lower()
        # Positive control: the search does find what is stored in clear (the e-mail addresses).
        self.assertIn(pending.email, dump.stdout)
        self.assertTrue(any(pending.email.encode() in data for data in blobs.values()))

        needles = []
        for label, secret in (("secret", acct.secret), ("pending secret", pending_secret)):
            needles += [(label, v) for v in variants_of_secret(secret)]
        for rc in acct.recovery_codes + first_codes:
            needles += [("recovery code", v) for v in variants_of_recovery(rc)]
        for label, needle in needles:
            with self.subTest(what=label, needle=needle):
                self.assertNotIn(needle.lower(), dump_lower, f"{label} {needle!r} in the sqlite3 dump")
                for name, data in blobs.items():
                    self.assertNotIn(needle.encode(), data, f"{label} {needle!r} in {name}")
        for label, secret in (("secret", acct.secret), ("pending secret", pending_secret)):
            raw = base64.b32decode(secret)
            for name, data in blobs.items():
                with self.subTest(what=f"raw {label}", file=name):
                    self.assertNotIn(raw, data, f"the raw 20 bytes of the {label} in {name}")

        key = os.path.join(srv.data_dir, "keys", "secrets.key")
        self.assertTrue(os.path.isfile(key), f"{key} missing")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600, oct(os.stat(key).st_mode))
        with open(key, "rb") as f:
            key_bytes = f.read().strip()
        self.assertTrue(key_bytes)
        for name, data in blobs.items():
            self.assertNotIn(key_bytes, data, f"secrets.key content in {name}")

        # The encrypted secret still works after a restart.
        srv.start()
        self.server = srv
        self.full_login(acct)

    def test_key_dir_holds_secrets_key(self):
        key_dir = tempfile.mkdtemp(prefix="logbot-keys-")
        self.addCleanup(shutil.rmtree, key_dir, True)
        os.chmod(key_dir, 0o700)
        # The admin CLI (create-org) opens the same keys: LOGBOT_KEY_DIR for it, --key-dir for serve.
        srv, org, owner = self.start_server(["--key-dir", key_dir], env={"LOGBOT_KEY_DIR": key_dir})
        acct = Account(email="alice@example.com", full=owner)
        self.enrol(acct)
        key = os.path.join(key_dir, "secrets.key")
        self.assertTrue(os.path.isfile(key), f"{key} missing (files: {os.listdir(key_dir)})")
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertFalse(os.path.exists(os.path.join(srv.data_dir, "keys", "secrets.key")),
                         "with a key dir the key must not be in DATA_DIR/keys")


if __name__ == "__main__":
    unittest.main()


# ------------------------------------------------------------------------------------------------
# Recovery of a lost second factor: an owner resets a member's, the operator resets anyone's
# ------------------------------------------------------------------------------------------------

class SecondFactorResetTest(TotpTestMixin, cloud.ServerTestCase):
    server_args = ("--lockout-failures", "1000", "--lockout-ip-failures", "10000")

    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("acme", "alice@example.com")
        cls.other = cls.server.create_org("globex", "gina@example.com")
        cls.server.start()
        cls.owner = cls.server.login("alice@example.com")
        cls.other_owner = cls.server.login("gina@example.com")

    def reset_path(self, user_id: str, org_id: str | None = None) -> str:
        return f"/api/v1/orgs/{org_id or self.org.id}/members/{user_id}/reset-2fa"

    def reset(self, c: cloud.Client, user_id: str, org_id: str | None = None,
              password: str = DEFAULT_PASSWORD) -> cloud.Response:
        return c.post(self.reset_path(user_id, org_id), {"password": password})

    def assertMustEnrolAgain(self, acct: Account, old_recovery_codes: list, old_secret: str):
        """The next login goes to the enrolment stage (the org does not require 2FA); neither the old
        recovery codes nor the old secret log in; a new enrolment works and makes the login two-step."""
        c = self.password_step(acct, expect_stage="totp_enrolment_required")
        me = c.me()
        self.assertEqual((me["user"]["totp_enabled"], me["user"]["totp_required"]), (False, True), me)
        self.assertError(self.second_step(c, {"recovery_code": old_recovery_codes[0]}), 403,
                         "totp_enrolment_required", "an old recovery code after the reset:")
        self.assertError(c.get("/api/v1/orgs"), 403, "totp_enrolment_required")
        self.assertTotpState(c, enabled=False, pending=False, recovery_codes_remaining=0, required=True)
        data = self.start_enrolment(c)
        self.assertNotEqual(data["secret_base32"], old_secret)
        acct.secret = data["secret_base32"]
        acct.last_step = -(10**12)  # a new secret: no step of it was used yet
        code, _ = acct.fresh_code()
        resp = c.post("/api/v1/me/totp/enrolment/confirm", {"password": acct.password, "code": code})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json().get("stage"), "full", str(resp))
        c.csrf_token = resp.json()["csrf_token"]
        self.assertEqual(c.get("/api/v1/orgs").status, 200)
        self.assertIs(c.me()["user"]["totp_required"], False, "the demand to enrol is met")
        # Next login: the normal second step, with the new factor only.
        half = self.password_step(acct)
        self.assertError(self.second_step(half, {"recovery_code": old_recovery_codes[1]}), 401, "invalid_totp",
                         "an old recovery code at the second step:")
        s = step_of(settle())
        new_codes = {acct.code_for_step(s + d) for d in (-1, 0, 1)}
        old_code = totp_at(old_secret, s * PERIOD)
        if old_code not in new_codes:
            self.assertError(self.second_step(half, {"code": old_code}), 401, "invalid_totp",
                             "a code of the old secret:")
        self.assertEqual(self.second_step(half, {"code": acct.fresh_code()[0]}).status, 200)

    def test_owner_resets_a_members_second_factor(self):
        bob = self.new_account(self.owner, self.org.id, "engineer")
        self.enrol(bob)
        old_codes, old_secret = list(bob.recovery_codes), bob.secret
        second = self.full_login(bob)  # another open session
        half = self.password_step(bob)  # and a half one
        org_seq = self.owner.get_json(f"/api/v1/orgs/{self.org.id}/audit?limit=1")["events"][0]["seq"]

        self.assertError(self.reset(self.owner, bob.user_id, password="not the owner's password"), 403,
                         "wrong_password", "reset with a wrong password:")
        self.assertError(self.owner.post(self.reset_path(bob.user_id), {}), 400, "bad_request",
                         "reset without a password:")
        self.assertError(self.owner.post(self.reset_path(bob.user_id), {"password": DEFAULT_PASSWORD}, csrf=False),
                         403, "csrf")
        self.assertIs(self.totp_state(bob.full)["enabled"], True, "refused resets change nothing")
        err = self.assertEvent(audit(self.owner), "LOGIN_ERROR", action="TOTP_RESET_BY_OWNER")
        self.assertEqual(cloud.parse_details(err["details"]).get("error"), "invalid_credentials", err)

        resp = self.reset(self.owner, bob.user_id)
        self.assertEqual(resp.status, 200, str(resp))
        body = resp.json()
        self.assertEqual((body.get("user_id"), body.get("totp_enabled"), body.get("enrolment_required")),
                         (bob.user_id, False, True), body)
        self.assertEqual(body.get("sessions_ended"), 3, body)
        for c in (bob.full, second, half):
            self.assertError(c.get("/api/v1/me"), 401, "unauthenticated", "a session of the member after the reset:")
        members = {m["user_id"]: m for m in self.owner.get_json(f"/api/v1/orgs/{self.org.id}/members")["members"]}
        self.assertIs(members[bob.user_id]["totp_enabled"], False)
        self.assertError(self.reset(self.owner, bob.user_id), 409, "totp_not_enabled", "a second reset:")

        # Audited once, in the organisation log and in the member's own account log.
        org_events = [e for e in self.owner.get_json(f"/api/v1/orgs/{self.org.id}/audit?limit=100")["events"]
                      if e["seq"] > org_seq and e["event"] == "TOTP_RESET_BY_OWNER"]
        self.assertEqual(len(org_events), 1, org_events)
        entry = org_events[0]
        self.assertEqual((entry["actor_type"], entry["user_id"], entry["username"], entry["org_id"]),
                         ("user", bob.user_id, bob.email, self.org.id), entry)
        self.assertEqual(cloud.parse_details(entry["details"]),
                         {"username": bob.email, "actor": "alice@example.com", "actor_user_id": self.org.owner_id,
                          "sessions_ended": "3"}, entry)

        self.assertMustEnrolAgain(bob, old_codes, old_secret)
        mine = self.assertEvent(audit(self.full_login(bob)), "TOTP_RESET_BY_OWNER", actor="alice@example.com")
        self.assertEqual(mine["seq"], entry["seq"])

    def test_only_owners_reset_and_only_in_their_organisation(self):
        bob = self.new_account(self.owner, self.org.id, "engineer")
        self.enrol(bob)
        for role in ("admin", "engineer", "viewer"):
            with self.subTest(role=role):
                other = self.new_account(self.owner, self.org.id, role)
                self.assertError(self.reset(other.full, bob.user_id), 403, "forbidden", f"{role} resets:")
        # Another tenant's member, through this organisation: not found; this member through the other
        # organisation (whose owner is not a member here): not found either.
        hank = self.new_account(self.other_owner, self.other.id, "engineer")
        self.enrol(hank)
        self.assertError(self.reset(self.owner, hank.user_id), 404, "not_found", "another tenant's member:")
        self.assertError(self.reset(self.owner, hank.user_id, org_id=self.other.id), 404, "not_found",
                         "in another tenant's organisation:")
        self.assertError(self.reset(self.other_owner, bob.user_id, org_id=self.other.id), 404, "not_found",
                         "a member of another organisation:")
        self.assertError(self.reset(self.owner, "no-such-user"), 404, "not_found")
        # Not oneself: one's own factor is turned off with password and code.
        alice = Account(email="alice@example.com", full=self.owner)
        self.enrol(alice)
        self.assertError(self.reset(self.owner, self.org.owner_id), 403, "forbidden", "an owner resets themself:")
        for acct in (bob, hank, alice):
            self.assertIs(self.totp_state(acct.full)["enabled"], True, f"{acct.email} keeps the factor")
        self.assertFalse([e for e in audit(self.owner) if e["event"] == "TOTP_RESET_BY_OWNER"])

    def test_an_owner_cannot_reset_an_account_that_belongs_to_other_organisations(self):
        # ivy is a member of the other tenant and accepted an invitation to this one: this
        # organisation's owner must not weaken ivy's account for the other tenant as well.
        ivy = self.new_account(self.other_owner, self.other.id, "owner")
        self.owner.add_member(self.org.id, ivy.email, "viewer")
        self.enrol(ivy)
        resp = self.reset(self.owner, ivy.user_id)
        self.assertError(resp, 409, "member_of_other_organisations", "a member of two organisations:")
        self.assertIn("admin reset-2fa", resp.json()["message"])
        self.assertIs(self.totp_state(ivy.full)["enabled"], True, "the factor survives")
        self.assertEqual(ivy.full.get("/api/v1/me").status, 200, "the member's session survives")
        self.assertFalse([e for e in audit(self.owner) if e["event"] == "TOTP_RESET_BY_OWNER"])

    def test_operator_resets_with_the_admin_command(self):
        dora = self.new_account(self.other_owner, self.other.id, "viewer")
        self.enrol(dora)
        old_codes, old_secret = list(dora.recovery_codes), dora.secret
        half = self.password_step(dora)

        proc = self.server.cli("admin", "reset-2fa", "--email", dora.email.upper(), "--data-dir",
                               self.server.data_dir)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn(f"two-factor authentication of {dora.email.upper()} reset: 2 session(s) ended", proc.stdout)
        for c in (dora.full, half):
            self.assertError(c.get("/api/v1/me"), 401, "unauthenticated", "a session after the admin reset:")

        proc = self.server.cli("admin", "reset-2fa", "--email", dora.email, "--data-dir", self.server.data_dir)
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertIn("has no authenticator to reset", proc.stderr)
        proc = self.server.cli("admin", "reset-2fa", "--email", "nobody@example.com", "--data-dir",
                               self.server.data_dir)
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertIn("no account for nobody@example.com", proc.stderr)

        self.assertMustEnrolAgain(dora, old_codes, old_secret)
        entry = self.assertEvent(audit(self.full_login(dora)), "TOTP_RESET_BY_OPERATOR")
        self.assertEqual((entry["actor_type"], entry["client"], entry["ip"], entry["user_id"], entry["org_id"]),
                         ("system", "admin-cli", "local", dora.user_id, None), entry)
        self.assertEqual(cloud.parse_details(entry["details"]), {"username": dora.email, "sessions_ended": "2"})
        verify = self.server.audit_verify()
        self.assertEqual(verify.returncode, 0, cloud.describe(verify))
