"""`scripts/demo` (what `make demo` runs) leaves nothing behind, however it ends.

The real script runs with the real binaries: on a listen address that is taken (it must say so
and how to choose another, before it starts anything), failing midway when a PLC peer exits at
start while the cloud runs (what a machine without pyserial did to the Modbus peer; here the S7
peer's `node` fails), and interrupted by Ctrl-C (SIGINT to its process group, as a terminal
sends it) while the cloud and both PLC peers run (`logbot-agent read` waits, through
LOGBOT_BIN_DIR). Each time no process of that run may be left and its listen port must be free
again, so that the next `make demo` works.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402

DEMO = os.path.join(cloud.REPO_ROOT, "scripts", "demo")
# The demo waits up to 31 s for a fresh TOTP time step before the PLC part.
DEMO_TIMEOUT_S = 180.0


def free_port() -> int:
    # The demo uses DEMO_LISTEN's port and the next one (the device uplink).
    return cloud.free_port_pair()


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds it
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def processes_mentioning(text: str) -> list[str]:
    """The running processes whose command line contains text (every process of one demo run
    names its temporary directory: --data-dir, --ready-file, --config, the binary's path)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


def group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DemoCleanupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="logbot-demo-test-")
        self.data = os.path.join(self.tmp, "data")
        self.pgid: int | None = None
        if os.environ.get("LOGBOT_KEEP_TMP") != "1":
            self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.addCleanup(self.stop_leftovers)  # runs first: a failed test must not leave processes

    def stop_leftovers(self):
        if self.pgid is not None:
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for line in processes_mentioning(self.tmp):
            try:
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def bin_dir_with_read(self, then: str) -> str:
        """A LOGBOT_BIN_DIR with the real logbot-cloud and logbot, and a logbot-agent that runs
        the real one except for `read`, which does `then` (shell)."""
        fake = os.path.join(self.tmp, "bin")
        os.mkdir(fake)
        for name in ("logbot-cloud", "logbot"):
            os.symlink(os.path.abspath(cloud.binary(name)), os.path.join(fake, name))
        agent = os.path.join(fake, "logbot-agent")
        with open(agent, "w") as f:
            f.write("#!/bin/sh\n"
                    f'if [ "$1" = read ]; then {then}; fi\n'
                    f'exec "{os.path.abspath(cloud.binary("logbot-agent"))}" "$@"\n')
        os.chmod(agent, 0o755)
        return fake

    def start_demo(self, port: int, bin_dir: str | None = None, path_first: str | None = None) -> subprocess.Popen:
        env = dict(os.environ)
        if path_first:
            env["PATH"] = path_first + os.pathsep + env.get("PATH", "")
        env.update({"LOGBOT_BIN_DIR": bin_dir or os.path.abspath(cloud.bin_dir()), "DEMO_DATA_DIR": self.data,
                    "DEMO_LISTEN": f"127.0.0.1:{port}", "DEMO_SECONDS": "1"})
        # A process group of its own: what a terminal's Ctrl-C reaches, and what must be empty after.
        proc = subprocess.Popen([DEMO], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.pgid = proc.pid
        return proc

    def finish(self, proc: subprocess.Popen) -> tuple[int, str]:
        try:
            out, _ = proc.communicate(timeout=DEMO_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop_leftovers()
            out, _ = proc.communicate()
            self.fail(f"the demo did not end within {DEMO_TIMEOUT_S} s:\n{out}")
        return proc.returncode, out

    def assert_nothing_left(self, port: int, out: str):
        left = processes_mentioning(self.tmp)
        self.assertEqual(left, [], f"processes of the demo run are still running:\n{out}")
        self.assertFalse(group_exists(self.pgid), f"the demo's process group still has processes:\n{out}")
        self.assertTrue(port_is_free(port), f"127.0.0.1:{port} is still taken after the demo:\n{out}")

    def test_a_taken_listen_address_is_named_before_anything_starts(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            status, out = self.finish(self.start_demo(port))
            self.assertNotEqual(status, 0, out)
            self.assertIn(f"127.0.0.1:{port} is already in use", out)
            self.assertIn("DEMO_LISTEN=127.0.0.1:PORT make demo", out)
            self.assertNotIn("== Provisioning", out, "the demo started before checking its address")
            self.assertFalse(os.path.exists(self.data), "the demo started before checking its address")
            self.assertEqual(processes_mentioning(self.tmp), [], out)
            self.assertFalse(group_exists(self.pgid), out)

    def test_a_plc_peer_that_fails_to_start_stops_the_cloud_too(self):
        # What a fresh machine without pyserial did to the Modbus peer: the peer exits at once.
        # Here the S7 peer's `node` (the first on PATH) fails for s7_server.mjs only.
        real_node = shutil.which("node")
        self.assertIsNotNone(real_node, "node is not installed (scripts/setup installs it)")
        fake = os.path.join(self.tmp, "path")
        os.mkdir(fake)
        with open(os.path.join(fake, "node"), "w") as f:
            f.write("#!/bin/sh\n"
                    'case "$*" in *s7_server.mjs*) echo "s7_server: failing on purpose (test_demo)" >&2; exit 1;; esac\n'
                    f'exec "{real_node}" "$@"\n')
        os.chmod(os.path.join(fake, "node"), 0o755)
        port = free_port()
        status, out = self.finish(self.start_demo(port, path_first=fake))
        self.assertNotEqual(status, 0, out)
        self.assertIn("demo: the simulated S7 CPU did not start", out)
        self.assertTrue(os.path.exists(os.path.join(self.data, "ready")), f"the cloud never started:\n{out}")
        self.assert_nothing_left(port, out)

    def test_ctrl_c_stops_everything(self):
        port = free_port()
        marker = os.path.join(self.tmp, "reading")
        fake = self.bin_dir_with_read(f'touch "{marker}"; exec sleep 120')
        proc = self.start_demo(port, fake)
        deadline = time.monotonic() + DEMO_TIMEOUT_S
        while not os.path.exists(marker) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if not os.path.exists(marker):
            if proc.poll() is None:
                os.killpg(self.pgid, signal.SIGINT)
            _, out = self.finish(proc)
            self.fail(f"the demo never reached `logbot-agent read`:\n{out}")
        for ready in ("ready", "s7.ready", "modbus.ready"):  # the cloud and both PLC peers run
            self.assertTrue(os.path.exists(os.path.join(self.data, ready)), ready)
        os.killpg(self.pgid, signal.SIGINT)
        status, out = self.finish(proc)
        self.assertNotEqual(status, 0, out)
        self.assert_nothing_left(port, out)


if __name__ == "__main__":
    unittest.main()
