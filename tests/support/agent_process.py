"""The real logbot-agent for the integration tests (Python 3 standard library only).

One way to run it, for every test file: one-shot commands (`run_agent("enroll", ...)`), the
configuration files they read (`write_config`), and `logbot-agent run ARGS...` as a process
(`AgentProcess`) with its log in a file, a bounded wait for a log line, SIGTERM (or another
signal) with a bounded wait, and SIGKILL.

The binary is $LOGBOT_AGENT_BIN when set, else $LOGBOT_BIN_DIR/logbot-agent (default
LOGBOT_BIN_DIR: build/bin under the repository root). Every wait is bounded; an agent a test
forgot is stopped at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import tempfile
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AGENT_TIMEOUT_S = 60.0  # one-shot commands
STOP_TIMEOUT_S = 10.0  # from the stop signal to the exit


def bin_dir() -> str:
    return os.environ.get("LOGBOT_BIN_DIR") or os.path.join(REPO_ROOT, "build", "bin")


def agent_binary() -> str:
    path = os.environ.get("LOGBOT_AGENT_BIN") or os.path.join(bin_dir(), "logbot-agent")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"agent binary {path} not found: build it or set LOGBOT_AGENT_BIN")
    return path


def run_agent(*args, timeout: float = AGENT_TIMEOUT_S) -> subprocess.CompletedProcess:
    """`logbot-agent ARGS...` to completion, its output captured as text."""
    return subprocess.run([agent_binary(), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def write_config(directory: str, text: str) -> str:
    """Writes `text` to a new agent-*.toml in `directory` and returns its path."""
    fd, path = tempfile.mkstemp(prefix="agent-", suffix=".toml", dir=directory)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _kill(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


class AgentProcess:
    """`logbot-agent run ARGS...` as a process, stdout and stderr in LOG_DIR/NAME-*.log."""

    def __init__(self, *args, log_dir: str, env: dict | None = None, name: str = "agent"):
        self.log_path = os.path.join(log_dir, f"{name}-{time.monotonic_ns()}.log")
        full_env = dict(os.environ)
        full_env.update(env or {})
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([agent_binary(), "run", *args], stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=full_env)
        atexit.register(_kill, self.proc)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def describe(self) -> str:
        return f"--- agent log ({self.log_path}) ---\n{self.log_text()[-6000:]}"

    def wait_for_log(self, pattern: str, timeout: float, count: int = 1) -> str:
        """The log once it has `count` matches of the regular expression `pattern`; fails after
        `timeout` seconds, or as soon as the agent has exited without them."""
        deadline = time.monotonic() + timeout
        while True:
            exited = not self.running  # before reading: a line written just before the exit counts
            text = self.log_text()
            if len(re.findall(pattern, text)) >= count:
                return text
            if exited:
                raise AssertionError(f"the agent exited with {self.proc.returncode}\n{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"agent log has not {count}x {pattern!r} within {timeout}s\n{self.describe()}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Sends `sig` and returns the exit code; an agent that does not exit within
        STOP_TIMEOUT_S is killed and the test fails."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _kill(self.proc)
                raise AssertionError(f"logbot-agent did not stop within {STOP_TIMEOUT_S}s\n{self.describe()}")
        return self.proc.returncode

    def kill(self):
        _kill(self.proc)
