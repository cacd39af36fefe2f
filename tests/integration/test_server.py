"""Integration tests of the logbot-cloud process: health, metrics, signals, configuration sources,
command-line help, hostile HTTP input and the persistence of its TLS certificate.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_server.py   (from the repository root)
"""

import hashlib
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402

SERVER_FILES = ("logbot-cloud", "logbot-agent", "logbot")


def parse_raw_response(data: bytes):
    """(status, {lower-case header: value}) of a raw HTTP/1.1 response, or (None, {})."""
    head, _, _ = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if not m:
        return None, {}
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(m.group(1)), headers


class RunningServerTest(cloud.ServerTestCase):
    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("acme", "alice@example.com")
        cls.server.start()

    def assert_healthy(self):
        resp = self.server.client().get("/healthz")
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json(), {"status": "ok"})

    def test_healthz(self):
        self.assert_healthy()
        self.assertIn("listening on https://", self.server.log_text())
        self.assertTrue(self.server.base_url.startswith("https://127.0.0.1:"))

    def test_metrics_from_loopback(self):
        c = self.server.client()

        def http_requests_total(text):
            counters = re.findall(r"^# TYPE (\S+) counter$", text, re.M)
            names = [n for n in counters if "http" in n and "request" in n]
            self.assertTrue(names, f"no HTTP request counter among {counters}")
            total = 0.0
            for line in text.splitlines():
                if line.startswith(names[0]) and not line.startswith("#"):
                    total += float(line.rsplit(" ", 1)[1])
            return total

        first = c.get("/metrics")
        self.assertEqual(first.status, 200, str(first))
        self.assertIn("text/plain", first.header("Content-Type") or "")
        self.assertRegex(first.text, r"(?m)^# TYPE \S+ (counter|gauge|histogram|summary)$")
        before = http_requests_total(first.text)
        for _ in range(3):
            c.get("/healthz")
        after = http_requests_total(c.get("/metrics").text)
        self.assertGreaterEqual(after - before, 3, "the HTTP request counter must count requests")

    def test_oversized_header_is_refused(self):
        sock = cloud.tls_connect(self.server.host, self.server.port)
        with sock:
            big = "a" * (17 * 1024)
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {big}\r\n\r\n".encode())
            data, complete = cloud.read_http_response(sock, timeout=5)
            closed = complete or cloud.read_until_closed(sock, timeout=2)[1]
        status = data.split(b"\r\n", 1)[0]
        self.assertTrue(status.startswith(b"HTTP/1.1 431") or (not data and closed) or
                        status.startswith(b"HTTP/1.1 400"),
                        f"expected 431 or a closed connection, got {data[:200]!r} closed={closed}")
        self.assertFalse(status.startswith(b"HTTP/1.1 200"))
        code, headers = parse_raw_response(data)
        if code is not None:
            self.assert_security_headers(headers, f"{code} for an oversized header")
        self.assert_healthy()

    def assert_security_headers(self, headers, label):
        self.assertEqual(headers.get("x-content-type-options"), "nosniff", f"{label}: {headers}")
        self.assertIn("max-age=", headers.get("strict-transport-security", ""), f"{label}: {headers}")
        self.assertIn("frame-ancestors 'none'", headers.get("content-security-policy", ""), f"{label}: {headers}")
        self.assertEqual(headers.get("x-frame-options"), "DENY", f"{label}: {headers}")
        self.assertEqual(headers.get("referrer-policy"), "no-referrer", f"{label}: {headers}")

    def test_malformed_request_line_is_400(self):
        sock = cloud.tls_connect(self.server.host, self.server.port)
        with sock:
            sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            data, _ = cloud.read_http_response(sock, timeout=5)
        code, headers = parse_raw_response(data)
        self.assertEqual(code, 400, f"{data[:300]!r}")
        self.assert_security_headers(headers, "400 for a malformed request")
        self.assert_healthy()

    def test_oversized_body_is_413(self):
        sock = cloud.tls_connect(self.server.host, self.server.port)
        with sock:
            size = 1024 * 1024 + 4096
            sock.sendall((f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {size}\r\n\r\n").encode())
            # A server may answer as soon as it sees the Content-Length; writing the body into a
            # socket it has closed would make the kernel drop its answer (RST), so listen first.
            data, complete = cloud.read_http_response(sock, timeout=2)
            if not data:
                try:
                    chunk = b"x" * 65536
                    sent = 0
                    while sent < size:
                        sock.sendall(chunk[: min(len(chunk), size - sent)])
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                    pass  # the server may answer and close before the body is complete
                data, _ = cloud.read_http_response(sock, timeout=5)
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), f"expected 413, got {data[:300]!r}")
        self.assert_security_headers(parse_raw_response(data)[1], "413")
        self.assert_healthy()

    def send_raw_until_closed(self, raw: bytes, timeout: float = 3.0) -> tuple[bytes, bool]:
        sock = cloud.tls_connect(self.server.host, self.server.port)
        with sock:
            sock.sendall(raw)
            return cloud.read_until_closed(sock, timeout=timeout)

    def test_ambiguous_framing_is_400_and_the_smuggled_request_is_not_answered(self):
        # RFC 9112 §6.3: a body this server would delimit differently from a proxy in front is a
        # request-smuggling primitive. Each request hides a second one where a reader that
        # ignores the framing header sees it.
        smuggled = b"GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        cases = {
            "xchunked": b"Transfer-Encoding: xchunked\r\n",
            "chunked, identity": b"Transfer-Encoding: chunked, identity\r\n",
            "identity": b"Transfer-Encoding: identity\r\n",
            "gzip": b"Transfer-Encoding: gzip\r\n",
            "gzip then chunked": b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
            "TE and CL": b"Transfer-Encoding: xchunked\r\nContent-Length: 0\r\n",
            "duplicate CL": b"Content-Length: 0\r\nContent-Length: 0\r\n",
            "CL list": b"Content-Length: 0, 0\r\n",
        }
        for label, framing in cases.items():
            with self.subTest(label):
                data, closed = self.send_raw_until_closed(
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + b"\r\n" + smuggled)
                code, headers = parse_raw_response(data)
                self.assertEqual(code, 400, f"{label}: {data[:300]!r}")
                self.assertIn(b"bad_framing", data, f"{label}: {data[:300]!r}")
                self.assert_security_headers(headers, f"400 for {label}")
                answers = re.findall(rb"HTTP/1\.1 \d{3} ", data)
                self.assertEqual(len(answers), 1, f"{label}: the smuggled request was answered: {data!r}")
                self.assertTrue(closed, f"{label}: the connection stayed open after the refusal")
        self.assert_healthy()

    def test_chunked_body_is_still_read(self):
        body = b'{"email":"alice@example.com","password":"wrong password"}'
        raw = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n" +
               f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        data, _ = self.send_raw_until_closed(raw, timeout=10)
        code, _ = parse_raw_response(data)
        self.assertEqual(code, 401, f"{data[:300]!r}")

    def test_non_json_login_body_is_400(self):
        c = self.server.client()
        resp = c.request("POST", "/api/v1/auth/login", body=b"email=alice&password=x",
                         headers={"Content-Type": "application/json"})
        self.assertEqual(resp.status, 400, str(resp))
        self.assertIn("error", resp.json())
        resp = c.request("POST", "/api/v1/auth/login", body=b'{"email": 5}', headers={"Content-Type": "application/json"})
        self.assertEqual(resp.status, 400, str(resp))
        resp = c.request("POST", "/api/v1/auth/login", body=b'{"email":"alice@example.com","password":"x"}',
                         headers={"Content-Type": "text/plain"})
        self.assertEqual(resp.status, 415, str(resp))

    def test_duplicate_json_keys_are_400_naming_the_key(self):
        # Boost.JSON alone keeps the last value; a proxy or log that read the first would see
        # another request than the handler.
        c = self.server.client()
        resp = c.request("POST", "/api/v1/auth/login", headers={"Content-Type": "application/json"},
                         body=b'{"email":"alice@example.com","password":"x","email":"mallory@example.com"}')
        self.assertEqual(resp.status, 400, str(resp))
        self.assertIn("'email'", resp.json()["message"], str(resp))
        owner = self.server.login("alice@example.com")
        resp = owner.request("POST", f"/api/v1/orgs/{self.org.id}/invitations",
                             headers={"Content-Type": "application/json"},
                             body=b'{"email":"dora@example.com","role":"viewer","role":"owner"}')
        self.assertEqual(resp.status, 400, str(resp))
        self.assertIn("'role'", resp.json()["message"], str(resp))
        pending = owner.get_json(f"/api/v1/orgs/{self.org.id}/invitations")["invitations"]
        self.assertNotIn("dora@example.com", [i.get("email") for i in pending])

    def test_look_alike_email_addresses_are_refused(self):
        owner = self.server.login("alice@example.com")
        cases = {
            "cyrillic a": ("\u0430lice@example.com", "U+0430"),
            "zero-width space": ("ali\u200bce@example.com", "U+200B"),
            "right-to-left mark": ("alice@example.com\u200f", "U+200F"),
            "umlaut domain": ("ops@m\u00fcnchen.de", "xn--"),
        }
        for label, (email, expected) in cases.items():
            with self.subTest(label):
                resp = owner.post(f"/api/v1/orgs/{self.org.id}/invitations", {"email": email, "role": "viewer"})
                self.assertEqual(resp.status, 400, f"{label}: {resp}")
                self.assertIn(expected, resp.json()["message"], f"{label}: {resp}")
                proc = self.server.cli("admin", "create-org", f"org-{len(label)}-{expected}", "--owner", email,
                                       "--password-stdin", "--data-dir", self.server.data_dir,
                                       stdin_text="correct horse battery\n")
                self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))
                self.assertIn(expected, proc.stderr, cloud.describe(proc))
        # The IDNA (punycode) form of the same domain is an address like any other.
        resp = owner.post(f"/api/v1/orgs/{self.org.id}/invitations", {"email": "ops@xn--mnchen-3ya.de", "role": "viewer"})
        self.assertEqual(resp.status, 201, str(resp))

    def test_garbage_instead_of_tls_handshake(self):
        for garbage in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(4096), b"\x16\x03\x01\xff\xff" + b"\0" * 100):
            with socket.create_connection((self.server.host, self.server.port), timeout=5) as raw:
                raw.sendall(garbage)
                data, closed = cloud.read_until_closed(raw, timeout=5)
            self.assertTrue(closed, f"connection still open 5 s after garbage {garbage[:16]!r}")
            self.assertNotIn(b"HTTP/1.1 200", data)
        self.assert_healthy()

    def test_silent_client_is_disconnected_or_harmless(self):
        # A peer that connects and sends nothing must not stop others from being served.
        with socket.create_connection((self.server.host, self.server.port), timeout=5):
            self.assert_healthy()


class HandshakeTimeoutTest(unittest.TestCase):
    """The TLS handshake has a deadline ([http] handshake_timeout): a peer that says nothing,
    or stops halfway through its ClientHello, is disconnected, not held open for ever."""

    def wait_closed(self, sock, limit):
        started = time.monotonic()
        sock.settimeout(limit)
        try:
            data = sock.recv(1024)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            self.fail(f"the server kept a silent connection open for {limit} s")
        self.assertEqual(data, b"", "the server sent something to a peer that never spoke TLS")
        return time.monotonic() - started

    def test_a_silent_or_stalled_peer_is_disconnected_after_the_handshake_timeout(self):
        with cloud.CloudServer(use_data_dir_flag=True) as srv:
            path = os.path.join(srv._own_tmp, "logbot.toml")
            with open(path, "w") as f:
                f.write('device_listen = "127.0.0.1:0"\n[http]\nhandshake_timeout = "1s"\n')
            srv.extra_args = ["--config", path]
            srv.start()
            with socket.create_connection((srv.host, srv.port), timeout=5) as silent, \
                    socket.create_connection((srv.host, srv.port), timeout=5) as stalled:
                stalled.sendall(b"\x16\x03\x01\x02\x00")  # a handshake record header, then nothing
                self.assertEqual(srv.client().get("/healthz").status, 200)  # others are served meanwhile
                # Bounded well below the default (10 s): the configured second is what ends them.
                self.assertLess(self.wait_closed(silent, 6), 4)
                self.assertLess(self.wait_closed(stalled, 6), 4)
            self.assertEqual(srv.client().get("/healthz").status, 200)


class ShutdownTest(unittest.TestCase):
    def check_signal(self, sig):
        with cloud.CloudServer() as srv:
            srv.start()
            c = srv.client(keep_alive=True)
            self.assertEqual(c.get("/healthz").status, 200)  # an open keep-alive connection
            idle = socket.create_connection((srv.host, srv.port), timeout=5)  # and one without handshake
            try:
                started = time.monotonic()
                code = srv.stop(sig, timeout=5)
                elapsed = time.monotonic() - started
            finally:
                c.close()
                idle.close()
            self.assertEqual(code, 0, srv.log_tail())
            self.assertLess(elapsed, 5.0)

    def test_sigterm(self):
        self.check_signal(signal.SIGTERM)

    def test_sigint(self):
        self.check_signal(signal.SIGINT)


class ConfigTest(unittest.TestCase):
    def write_config(self, directory, text):
        path = os.path.join(directory, "logbot.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_toml_file_sets_listen_and_data_dir(self):
        with cloud.CloudServer(use_data_dir_flag=False, use_listen_flag=False) as srv:
            cfg = self.write_config(srv._own_tmp, f'listen = "127.0.0.1:0"\ndata_dir = "{srv.data_dir}"\n')
            srv.extra_args = ["--config", cfg]
            srv.start()
            self.assertTrue(os.path.exists(os.path.join(srv.data_dir, "logbot.db")), "data_dir from TOML not used")
            self.assertTrue(os.path.exists(srv.cert_path))
            self.assertEqual(srv.client().get("/healthz").status, 200)

    def test_env_overrides_file_and_flag_overrides_both(self):
        file_port, env_port, flag_port = cloud.free_port(), cloud.free_port(), cloud.free_port()
        self.assertEqual(len({file_port, env_port, flag_port}), 3)
        with cloud.CloudServer(use_data_dir_flag=False, use_listen_flag=False,
                               env={"LOGBOT_LISTEN": f"127.0.0.1:{env_port}"}) as srv:
            # The device uplink on any free port: by default it takes the next port after each
            # listen address, which another test running at the same time may hold.
            cfg = self.write_config(srv._own_tmp, f'listen = "127.0.0.1:{file_port}"\ndata_dir = "{srv.data_dir}"\n'
                                                  'device_listen = "127.0.0.1:0"\n')
            srv.extra_args = ["--config", cfg]
            srv.start()
            self.assertEqual(srv.port, env_port, "LOGBOT_LISTEN must override the TOML file")
            self.assertEqual(srv.stop(), 0, srv.log_tail())
            srv.use_listen_flag = True
            srv.listen = f"127.0.0.1:{flag_port}"
            srv.start()
            self.assertEqual(srv.port, flag_port, "--listen must override LOGBOT_LISTEN and the file")
            self.assertEqual(srv.client().get("/healthz").status, 200)

    def test_malformed_toml_names_file_and_line(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = self.write_config(d, 'listen = "127.0.0.1:0"\ndata_dir = [unclosed\n')
            proc = cloud.run_cli(["serve", "--config", cfg, "--ready-file", os.path.join(d, "ready")], timeout=15)
            out = proc.stdout + proc.stderr
            self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))
            self.assertIn(cfg, out, "the error must name the file")
            self.assertRegex(out, r"(line\s*2\b|:2[:\s,)])", "the error must name the line (2)")
            self.assertFalse(os.path.exists(os.path.join(d, "ready")))

    def test_bad_listen_value_is_an_error(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = self.write_config(d, f'listen = "not-an-address"\ndata_dir = "{d}"\n')
            proc = cloud.run_cli(["serve", "--config", cfg, "--ready-file", os.path.join(d, "ready")], timeout=15)
            self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))
            self.assertIn("listen", proc.stdout + proc.stderr)

    def test_missing_config_file_is_an_error(self):
        proc = cloud.run_cli(["serve", "--config", "/nonexistent/logbot.toml"], timeout=15)
        self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("/nonexistent/logbot.toml", proc.stdout + proc.stderr)


class CommandLineTest(unittest.TestCase):
    def test_help_and_version(self):
        for name in SERVER_FILES:
            for flag in ("--help", "--version"):
                with self.subTest(binary=name, flag=flag):
                    proc = cloud.run_cli([flag], name=name, timeout=15)
                    self.assertEqual(proc.returncode, 0, cloud.describe(proc))
                    out = proc.stdout + proc.stderr
                    self.assertTrue(out.strip(), "no output")
                    if flag == "--version":
                        self.assertRegex(out, r"\d+\.\d+\.\d+")
                    else:
                        self.assertRegex(out.lower(), r"usage|options|commands")

    def test_unknown_flag_fails(self):
        proc = cloud.run_cli(["serve", "--no-such-flag"], timeout=15)
        self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))


class DatabaseFilesTest(unittest.TestCase):
    """The database and its -wal and -shm files hold password hashes, sessions and sealed
    secrets: owner only (0600), whatever the umask, also for a database made before."""

    def database_modes(self, srv) -> dict:
        return {suffix: stat.S_IMODE(os.stat(srv.db_path + suffix).st_mode) for suffix in ("", "-wal", "-shm")}

    def test_database_files_are_private_even_with_an_open_umask(self):
        previous = os.umask(0)
        try:
            with cloud.CloudServer() as srv:
                srv.create_org("acme", "alice@example.com")  # the admin command creates the database
                srv.start()
                srv.login("alice@example.com")  # writes go through the WAL
                modes = self.database_modes(srv)
        finally:
            os.umask(previous)
        self.assertEqual(modes, {"": 0o600, "-wal": 0o600, "-shm": 0o600})

    def test_an_older_world_readable_database_is_narrowed(self):
        with cloud.CloudServer() as srv:
            srv.create_org("acme", "alice@example.com")
            os.chmod(srv.db_path, 0o644)
            srv.start()
            srv.login("alice@example.com")
            self.assertEqual(self.database_modes(srv), {"": 0o600, "-wal": 0o600, "-shm": 0o600})


class CertificateTest(unittest.TestCase):
    def test_certificate_is_reused_and_key_is_private(self):
        with cloud.CloudServer() as srv:
            srv.start()
            tls_dir = os.path.join(srv.data_dir, "tls")
            self.assertTrue(os.path.exists(srv.cert_path))
            keys = [f for f in os.listdir(tls_dir) if "key" in f]
            self.assertTrue(keys, f"no key file in {os.listdir(tls_dir)}")
            for k in keys:
                mode = stat.S_IMODE(os.stat(os.path.join(tls_dir, k)).st_mode)
                self.assertEqual(mode, 0o600, f"{k} has mode {oct(mode)}")

            def served_fingerprint():
                sock = cloud.tls_connect(srv.host, srv.port, cloud.tls_client_context(srv.cert_path))
                with sock:
                    return hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()

            def file_fingerprint():
                with open(srv.cert_path) as f:
                    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()

            first = served_fingerprint()
            self.assertEqual(first, file_fingerprint(), "the served certificate is not DIR/tls/cert.pem")
            srv.restart()
            self.assertEqual(served_fingerprint(), first, "the certificate changed across a restart")
            self.assertEqual(file_fingerprint(), first)


if __name__ == "__main__":
    unittest.main()
