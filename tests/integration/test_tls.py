"""TLS configuration of logbot-cloud checked by independent tools: sslscan (fast), testssl.sh
(thorough, ~10-30 s with the flags used here) and Python's own ssl module.

Policy (docs: DESIGN.md "Security model"): TLS 1.2 and 1.3 only; every cipher suite ECDHE (or
TLS 1.3) with AES-GCM or ChaCha20-Poly1305; no CBC, NULL, EXPORT, RC4, 3DES, static RSA.

LOGBOT_TLS_TARGET=HOST:PORT points the tests at another server instead of starting one (used to
show that the tests fail against a weak configuration, e.g. `openssl s_server -cipher ALL`).

Run: /usr/bin/python3 -m unittest -v tests/integration/test_tls.py   (from the repository root)
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402

TLS13_AEAD = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
TLS12_RE = re.compile(r"^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$")
CBC_ONLY = ("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:"
            "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:"
            "DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256:@SECLEVEL=0")
STATIC_RSA_ONLY = "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA:@SECLEVEL=0"


def find_tool(*names):
    for n in names:
        path = shutil.which(n) or (f"/usr/bin/{n}" if os.access(f"/usr/bin/{n}", os.X_OK) else None)
        if path:
            return path
    raise AssertionError(f"none of {names} is installed (scripts/setup installs sslscan and testssl.sh)")


class TlsTest(cloud.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = None
        target = os.environ.get("LOGBOT_TLS_TARGET")
        if target:
            host, _, port = target.rpartition(":")
            cls.host, cls.port = host, int(port)
            return
        super().setUpClass()  # starts the server (the default populate)
        cls.host, cls.port = cls.server.host, cls.server.port

    def assert_server_alive(self):
        if self.server:
            self.assertTrue(self.server.running, self.server.log_tail())
            self.assertEqual(self.server.client().get("/healthz").status, 200)

    # -- sslscan -----------------------------------------------------------------------------
    def test_sslscan_protocols_and_ciphers(self):
        proc = subprocess.run([find_tool("sslscan"), "--no-colour", f"{self.host}:{self.port}"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        protocols = dict(re.findall(r"(?m)^(SSLv2|SSLv3|TLSv1\.[0-3])\s+(enabled|disabled)\s*$", out))
        self.assertEqual(protocols, {"SSLv2": "disabled", "SSLv3": "disabled", "TLSv1.0": "disabled",
                                     "TLSv1.1": "disabled", "TLSv1.2": "enabled", "TLSv1.3": "enabled"}, out)
        ciphers = re.findall(r"(?m)^(?:Preferred|Accepted)\s+(\S+)\s+\d+ bits\s+(\S+)", out)
        self.assertTrue(ciphers, f"sslscan listed no accepted cipher:\n{out}")
        bad = []
        for proto, name in ciphers:
            if proto == "TLSv1.3":
                ok = name in TLS13_AEAD
            elif proto == "TLSv1.2":
                ok = bool(TLS12_RE.match(name))
            else:
                ok = False
            if not ok:
                bad.append(f"{proto} {name}")
        self.assertFalse(bad, "non-ECDHE or non-AEAD suites accepted: " + ", ".join(bad))
        self.assertIn("TLSv1.2", {p for p, _ in ciphers})
        self.assertIn("TLSv1.3", {p for p, _ in ciphers})
        self.assert_server_alive()

    # -- testssl.sh --------------------------------------------------------------------------
    def test_testssl_protocols_and_cipher_categories(self):
        tool = find_tool("testssl.sh", "testssl")
        with tempfile.TemporaryDirectory() as d:
            out_json = os.path.join(d, "testssl.json")
            cmd = [tool, "--quiet", "--color", "0", "--warnings", "off", "--protocols", "--std", "-E",
                   "--jsonfile-pretty", out_json, f"https://{self.host}:{self.port}"]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
            self.assertTrue(os.path.exists(out_json), f"testssl wrote no JSON (rc {proc.returncode}):\n"
                                                      f"{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
            with open(out_json) as f:
                report = json.load(f)
        scan = report["scanResult"][0]
        protocols = {e["id"]: e["finding"] for e in scan.get("protocols", [])}
        for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            self.assertEqual(protocols.get(old), "not offered", f"{old}: {protocols.get(old)!r}")
        for new in ("TLS1_2", "TLS1_3"):
            self.assertTrue((protocols.get(new) or "").startswith("offered"), f"{new}: {protocols.get(new)!r}")
        categories = {e["id"]: e["finding"] for e in scan.get("ciphers", [])}
        for weak in ("cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
                     "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"):
            self.assertEqual(categories.get(weak), "not offered", f"{weak}: {categories.get(weak)!r}")
        self.assertEqual(categories.get("cipherlist_STRONG"), "offered")
        suites = [e["finding"] for e in scan.get("cipherTests", [])]
        self.assertTrue(suites, "testssl listed no cipher suites")
        bad = []
        for finding in suites:
            # "TLS 1.2   xc02f   ECDHE-RSA-AES128-GCM-SHA256   ECDH 253   AESGCM   128   TLS_ECDHE_RSA_WITH_..."
            m = re.match(r"(TLS 1(?:\.\d)?|SSLv\d)\s+x[0-9a-f]+\s+(\S+)\s+(\S+)(?: \d+)?\s+(\S+)\s+\d+", finding)
            if not m:
                bad.append(f"unparsed: {finding}")
                continue
            proto, name, kex, enc = m.groups()
            if proto not in ("TLS 1.2", "TLS 1.3") or kex != "ECDH" or enc not in ("AESGCM", "ChaCha20"):
                bad.append(finding)
        self.assertFalse(bad, "weak suites offered:\n" + "\n".join(bad))
        self.assert_server_alive()

    # -- Python ssl --------------------------------------------------------------------------
    def handshake(self, ctx):
        with socket.create_connection((self.host, self.port), timeout=10) as raw:
            with ctx.wrap_socket(raw) as s:
                return s.version(), s.cipher()[0]

    def permissive_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        return ctx

    def test_client_limited_to_tls11_fails(self):
        ctx = self.permissive_context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
            self.handshake(ctx)
        self.assert_server_alive()

    def test_client_with_only_cbc_ciphers_fails(self):
        ctx = self.permissive_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(CBC_ONLY)
        with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
            self.handshake(ctx)
        self.assert_server_alive()

    def test_client_with_only_static_rsa_fails(self):
        ctx = self.permissive_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(STATIC_RSA_ONLY)
        with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
            self.handshake(ctx)

    def test_modern_clients_negotiate_aead(self):
        ctx = self.permissive_context()
        version, cipher = self.handshake(ctx)
        self.assertEqual(version, "TLSv1.3")
        self.assertIn(cipher, TLS13_AEAD)
        ctx = self.permissive_context()
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        version, cipher = self.handshake(ctx)
        self.assertEqual(version, "TLSv1.2")
        self.assertRegex(cipher, TLS12_RE)


if __name__ == "__main__":
    unittest.main()
