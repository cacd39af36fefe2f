"""New connections pay no Nagle delay (docs/SECURITY.md and docs/PERFORMANCE.md, "first request"):
TCP_NODELAY on every socket Logbot opens or accepts, and no TLS session tickets (nothing
resumes a session, and TLS 1.3 tickets after the handshake held the first answer back by a
delayed ACK, ~40 ms).

The option is read from outside each process, on its own socket (tests/support/socket_options.py:
/proc and pidfd_getfd), so the observed program does not cooperate. Tickets are counted by
Python's ssl module (`SSLSocket.session.has_ticket`) after a whole request.

Run: /usr/bin/python3 -m unittest -v tests/integration/test_connections.py   (from the repository root)
"""

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
import socket_options  # noqa: E402


def client_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version
    ctx.maximum_version = version
    return ctx


class ServerSocketsTest(cloud.ServerTestCase):
    server_args = ("--device-listen", "127.0.0.1:0")

    def accepted_nodelay(self, port: int) -> list:
        # A bare TCP connection: the server sets the option on accept, before any TLS byte.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            return socket_options.tcp_option_of(self.server.proc.pid, socket.TCP_NODELAY, local_port=port,
                                                remote_port=raw.getsockname()[1], expect=1)

    def test_https_listener_accepts_with_nodelay(self):
        self.assertEqual(self.accepted_nodelay(self.server.port), [1])

    def test_device_listener_accepts_with_nodelay(self):
        port = int(self.server.uplink_url.split(":")[2].split("/")[0])
        self.assertEqual(self.accepted_nodelay(port), [1])

    def test_no_session_tickets(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(version.name):
                sock = cloud.tls_connect(self.server.host, self.server.port, client_context(version))
                with sock:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    data, _ = cloud.read_until_closed(sock, timeout=5)
                    self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
                    self.assertEqual(sock.version(), {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                                      ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version])
                    self.assertFalse(sock.session.has_ticket, f"{version.name}: the server sent a session ticket")


class CliSocketTest(unittest.TestCase):
    def test_cli_connects_with_nodelay(self):
        # A listener that accepts and never answers holds the CLI in its TLS handshake, on the
        # socket it connected.
        with socket.create_server(("127.0.0.1", 0)) as listener, tempfile.TemporaryDirectory() as config:
            port = listener.getsockname()[1]
            env = dict(os.environ, LOGBOT_CONFIG_DIR=config)
            cli = subprocess.Popen([os.path.join(cloud.bin_dir(), "logbot"), "login", "--url", f"https://127.0.0.1:{port}",
                                    "--email", "alice@example.com", "--password-stdin"], stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            try:
                cli.stdin.write(b"correct horse battery\n")
                cli.stdin.close()
                listener.settimeout(cloud.CLI_TIMEOUT_S)
                accepted, _ = listener.accept()
                with accepted:
                    values = socket_options.tcp_option_of(cli.pid, socket.TCP_NODELAY, remote_port=port, expect=1)
            finally:
                cli.kill()
                cli.wait(timeout=10)
        self.assertEqual(values, [1])


if __name__ == "__main__":
    unittest.main()
