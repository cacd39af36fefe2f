"""Helpers for the integration tests of the PLC collectors (Python 3 standard library only).

Peers nobody here wrote, started as processes on 127.0.0.1 with ephemeral ports:
- the snap7 S7 server (npm node-snap7, tests/peers/s7_server.mjs; its memory layout is the
  table at the top of that file),
- the pymodbus server (Debian python3-pymodbus, tests/peers/modbus_server.py).

And the commissioning commands of the real agent (run through agent_process.py): agent.toml
files written from Python values, `logbot-agent read --json` parsed into rows, `logbot-agent write`.

Binaries come from $LOGBOT_BIN_DIR (default: build/bin under the repository root), the agent
from $LOGBOT_AGENT_BIN when set. Every wait is bounded; every peer is stopped at the end (the
test's cleanup, and at interpreter exit for one a test forgot).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from agent_process import AGENT_TIMEOUT_S, run_agent, write_config

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS_DIR = os.path.join(REPO_ROOT, "tests", "peers")
PEER_READY_TIMEOUT_S = float(os.environ.get("LOGBOT_READY_TIMEOUT_S", "30"))
PEER_STOP_TIMEOUT_S = 10.0


# --------------------------------------------------------------------------------------------
# Peer processes
# --------------------------------------------------------------------------------------------

def stop_process(proc: subprocess.Popen, timeout: float = PEER_STOP_TIMEOUT_S) -> int | None:
    """SIGTERM, a bounded wait, then SIGKILL. Returns the exit code (None if it had to be killed)."""
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return None


def _wait_for_ready_file(proc: subprocess.Popen, ready_file: str, log_path: str, what: str,
                         timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        if os.path.exists(ready_file):
            with open(ready_file) as f:
                content = f.read()
            if content.endswith("\n") and content.strip():
                return content.strip()
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode} before it was ready\n{read_log(log_path)}")
        if time.monotonic() > deadline:
            stop_process(proc)
            raise AssertionError(f"{what} not ready within {timeout}s\n{read_log(log_path)}")
        time.sleep(0.02)


def read_log(path: str, limit: int = 6000) -> str:
    try:
        with open(path, "rb") as f:
            return f"--- {path} ---\n" + f.read().decode("utf-8", errors="replace")[-limit:]
    except FileNotFoundError:
        return f"--- {path}: no log ---"


@dataclass
class PeerProcess:
    """A started peer: its process, port and log (stdout and stderr), in a private temp dir."""
    proc: subprocess.Popen
    port: int
    log_path: str
    directory: str

    def log_text(self) -> str:
        return read_log(self.log_path)

    def stop(self) -> int | None:
        code = stop_process(self.proc)
        if not os.environ.get("LOGBOT_KEEP_TMP"):
            shutil.rmtree(self.directory, ignore_errors=True)
        return code


def _start_peer(command: list, what: str, cleanup=None, env: dict | None = None) -> PeerProcess:
    """Starts `command` (which gets --ready-file FILE appended) and waits for the port in FILE."""
    directory = tempfile.mkdtemp(prefix="logbot-peer-")
    ready_file = os.path.join(directory, "ready")
    log_path = os.path.join(directory, "peer.log")
    full_env = dict(os.environ)
    full_env.update(env or {})
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*command, "--ready-file", ready_file], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=full_env, cwd=PEERS_DIR)
    peer = None
    atexit.register(stop_process, proc)
    try:
        port = int(_wait_for_ready_file(proc, ready_file, log_path, what, PEER_READY_TIMEOUT_S))
        peer = PeerProcess(proc, port, log_path, directory)
    finally:
        if peer is None:
            stop_process(proc)
    if cleanup is not None:
        cleanup(peer.stop)
    return peer


# --------------------------------------------------------------------------------------------
# The snap7 S7 server
# --------------------------------------------------------------------------------------------

def s7_server_command(fill: str = "known", port: int = 0, db_bytes: int | None = None) -> list:
    addon = os.path.join(PEERS_DIR, "node_modules", "node-snap7", "build", "Release", "node_snap7.node")
    if not os.path.exists(addon):
        raise AssertionError(f"{addon} is missing: run scripts/setup (installs and builds node-snap7)")
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not on PATH: run scripts/setup")
    command = [node, os.path.join(PEERS_DIR, "s7_server.mjs"), "--port", str(port), "--fill", fill]
    if db_bytes is not None:
        command += ["--db-bytes", str(db_bytes)]
    return command


def start_s7_peer(fill: str = "known", port: int = 0, cleanup=None, db_bytes: int | None = None) -> PeerProcess:
    """The snap7 server with memory `fill` ("known", "bench", "demo", "trial") on 127.0.0.1:`port`
    (0: a free one); `db_bytes`: the length of the trial fill's DB10. `cleanup` (e.g. a
    TestCase's addCleanup) receives the stop function."""
    return _start_peer(s7_server_command(fill, port, db_bytes), f"the snap7 server (fill {fill})", cleanup)


def start_s7_server(fill: str = "known", port: int = 0, cleanup=None) -> tuple:
    """(process, port) of a started snap7 server; see start_s7_peer."""
    peer = start_s7_peer(fill, port, cleanup)
    return peer.proc, peer.port


# --------------------------------------------------------------------------------------------
# agent.toml
# --------------------------------------------------------------------------------------------

def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string for this character set
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def agent_toml(plcs: list, tags: list, poll_groups: dict | None = None, automation: dict | None = None,
               preamble: str = "") -> str:
    """The text of an agent.toml: `plcs` and `tags` are lists of dicts (keys as in
    docs/OPERATIONS.md), `poll_groups` maps a name to its settings, `automation` the
    [automation] table; `preamble` goes first (top-level keys such as state_dir)."""
    lines = [preamble.rstrip("\n")] if preamble else []
    if automation:
        lines.append("[automation]")
        lines += [f"{k} = {toml_value(v)}" for k, v in automation.items()]
        lines.append("")
    for plc in plcs:
        lines.append("[[plc]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in plc.items()]
        lines.append("")
    if poll_groups:
        lines.append("[poll_groups]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in poll_groups.items()]
        lines.append("")
    for tag in tags:
        lines.append("[[tag]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in tag.items()]
        lines.append("")
    return "\n".join(lines) + "\n"


def write_agent_config(directory: str, plcs: list, tags: list, **kw) -> str:
    """Writes agent_toml(...) to a new file in `directory` and returns its path."""
    return write_config(directory, agent_toml(plcs, tags, **kw))


def s7_plc(name: str, port: int, **settings) -> dict:
    """A [[plc]] table for an S7 PLC on 127.0.0.1 (short timeouts, for tests)."""
    plc = {"name": name, "protocol": "s7", "host": "127.0.0.1", "port": port, "timeout": "3s"}
    plc.update(settings)
    return plc


# --------------------------------------------------------------------------------------------
# logbot-agent read / write
# --------------------------------------------------------------------------------------------

def describe(proc: subprocess.CompletedProcess) -> str:
    return f"command {proc.args!r} exited {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


@dataclass
class ReadResult:
    """`logbot-agent read --json`, parsed: rows by tag name, summaries by PLC name."""
    proc: subprocess.CompletedProcess
    rows: dict = field(default_factory=dict)
    plcs: dict = field(default_factory=dict)
    order: list = field(default_factory=list)  # tag names in output order

    @property
    def returncode(self) -> int:
        return self.proc.returncode

    def value(self, tag: str):
        return self.row(tag)["value"]

    def row(self, tag: str) -> dict:
        if tag not in self.rows:
            raise AssertionError(f"no row for {tag!r}\n{describe(self.proc)}")
        return self.rows[tag]

    def describe(self) -> str:
        return describe(self.proc)


def read_tags(config: str, *extra, timeout: float = AGENT_TIMEOUT_S) -> ReadResult:
    """Runs `logbot-agent read --config CONFIG --json [extra...]` and parses its lines."""
    proc = run_agent("read", "--config", config, "--json", *extra, timeout=timeout)
    result = ReadResult(proc)
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise AssertionError(f"read --json printed a line that is not JSON ({exc}): {line!r}\n{describe(proc)}")
        if "tag" in obj:
            if obj["tag"] in result.rows:
                raise AssertionError(f"tag {obj['tag']} printed twice\n{describe(proc)}")
            result.rows[obj["tag"]] = obj
            result.order.append(obj["tag"])
        elif "plc" in obj:
            result.plcs[obj["plc"]] = obj
        else:
            raise AssertionError(f"read --json printed an object that is neither a tag nor a PLC: {line!r}")
    return result


def write_tag(config: str, tag: str, value: str, allow_write: bool = True, state_dir: str | None = None,
              timeout: float = AGENT_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Runs `logbot-agent write --config CONFIG --tag TAG --value VALUE --state-dir DIR
    [--allow-write]`. The write record goes to DIR/writes.log; DIR defaults to "state" next to
    the configuration file, so tests never touch the machine's own agent state."""
    if state_dir is None:
        state_dir = os.path.join(os.path.dirname(os.path.abspath(config)), "state")
    args = ["write", "--config", config, "--tag", tag, "--value", value, "--state-dir", state_dir]
    if allow_write:
        args.append("--allow-write")
    return run_agent(*args, timeout=timeout)


def write_records(state_dir: str) -> list:
    """The JSON lines of STATE_DIR/writes.log (empty when there is none)."""
    path = os.path.join(state_dir, "writes.log")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# --------------------------------------------------------------------------------------------
# Observing the S7 traffic
# --------------------------------------------------------------------------------------------

def snap7_read_raw(port: int, area: str, start: int, size: int, db: int = 0) -> bytes:
    """Reads raw bytes from the snap7 server with snap7's own client (node-snap7), independent
    of the agent's decoder. area: "DB", "MK", "PE", "PA"."""
    script = (
        "const library = require('node-snap7');"
        "const [port, area, db, start, size] = process.argv.slice(1);"
        "const c = new library.S7Client(); c.SetParam(c.RemotePort, Number(port));"
        "if (!c.ConnectTo('127.0.0.1', 0, 1)) { console.error(c.ErrorText(c.LastError())); process.exit(1); }"
        "const data = c.ReadArea(c['S7Area' + area], Number(db), Number(start), Number(size), c.S7WLByte);"
        "if (!data) { console.error(c.ErrorText(c.LastError())); process.exit(1); }"
        "process.stdout.write(data.toString('hex')); c.Disconnect();"
    )
    proc = subprocess.run([shutil.which("node") or "node", "-e", script, str(port), area, str(db), str(start),
                           str(size)], capture_output=True, text=True, timeout=30, cwd=PEERS_DIR,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError(f"snap7 client read of {area} {db} {start}+{size} failed: {proc.stderr}")
    return bytes.fromhex(proc.stdout.strip())


class TcpRelay:
    """A TCP relay on 127.0.0.1 between the agent and a peer: it notes the agent's source
    address of every connection and hands the bytes the agent sends to `inspect`, which parses
    what it can and returns the rest for the next call. Subclasses count protocol requests.

        with SomeRelay(peer_port) as relay:
            ... point the agent at relay.port ...
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.connections = 0
        self.client_addresses = []  # the agent's source address of each connection
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads = []
        self._sockets = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def inspect(self, buffer: bytes) -> bytes:
        return b""

    def __enter__(self):
        self._acceptor.start()
        return self

    def __exit__(self, *exc):
        self._stopping.set()
        self._acceptor.join(timeout=5)
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)
        self._listener.close()

    def _accept_loop(self):
        while not self._stopping.is_set():
            try:
                client, (client_address, _) = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()  # the peer is down: refuse this connection, keep relaying later ones
                continue
            client.settimeout(None)
            server.settimeout(None)
            self._sockets += [client, server]
            with self._lock:
                self.client_addresses.append(client_address)
                self.connections += 1
            for source, sink, inspect in ((client, server, True), (server, client, False)):
                t = threading.Thread(target=self._pump, args=(source, sink, inspect), daemon=True)
                t.start()
                self._threads.append(t)

    def _pump(self, source, sink, inspect: bool):
        pending = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (source, sink):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if inspect:
                pending = self.inspect(pending + data)
            try:
                sink.sendall(data)
            except OSError:
                return


class S7RequestCounter(TcpRelay):
    """A relay that counts the S7 jobs the agent sends: Read Var requests (round trips) and
    their items, Write Var requests. It parses the TPKT/COTP/S7 frames itself, so the agent's
    reported figures are checked from outside: counter.read_requests, counter.read_items."""

    def __init__(self, target_port: int):
        super().__init__(target_port)
        self.read_requests = 0
        self.read_items = 0
        self.write_requests = 0
        # Per Read Var request: its items as (area, db, start byte, count) in the order sent.
        self.read_item_lists = []

    def inspect(self, buffer: bytes) -> bytes:
        return self._count_frames(buffer)

    def _count_frames(self, buffer: bytes) -> bytes:
        # TPKT: 03 00 LEN(2); COTP: LI, then LI bytes (DT: F0 80); S7: 32 ROSCTR ... (job header
        # 10 bytes), parameters: function (04 read, 05 write), item count.
        while len(buffer) >= 4:
            length = int.from_bytes(buffer[2:4], "big")
            if buffer[0] != 0x03 or length < 7:
                return b""  # not TPKT: stop counting rather than guess
            if len(buffer) < length:
                return buffer
            frame, buffer = buffer[:length], buffer[length:]
            cotp_length = frame[4]
            s7 = frame[5 + cotp_length:]
            if len(frame) > 5 and frame[5] == 0xF0 and len(s7) >= 12 and s7[0] == 0x32 and s7[1] == 0x01:
                function, items = s7[10], s7[11]
                with self._lock:
                    if function == 0x04:
                        self.read_requests += 1
                        self.read_items += items
                        self.read_item_lists.append(self._items(s7[12:], items))
                    elif function == 0x05:
                        self.write_requests += 1
        return buffer


    @staticmethod
    def _items(specs: bytes, count: int) -> list:
        # Each 12 bytes: 12 0A 10, transport size, count(2), DB(2), area, bit address(3).
        items = []
        for i in range(count):
            spec = specs[12 * i:12 * i + 12]
            if len(spec) < 12:
                break
            items.append((spec[8], int.from_bytes(spec[6:8], "big"), int.from_bytes(spec[9:12], "big") >> 3,
                          int.from_bytes(spec[4:6], "big")))
        return items


# --------------------------------------------------------------------------------------------
# The pymodbus server (Modbus TCP); its data is the table at the top of tests/peers/modbus_server.py
# --------------------------------------------------------------------------------------------

MODBUS_PYTHON = "/usr/bin/python3"  # Debian's interpreter, which has python3-pymodbus


def start_modbus_server(port: int = 0, cleanup=None) -> PeerProcess:
    """The pymodbus server (unit ids 1 and 2) on 127.0.0.1:`port` (0: a free one).
    `cleanup` (e.g. a TestCase's addCleanup) receives the stop function."""
    script = os.path.join(PEERS_DIR, "modbus_server.py")
    return _start_peer([MODBUS_PYTHON, script, "--port", str(port)], "the pymodbus server", cleanup)


def modbus_plc(name: str, port: int, **settings) -> dict:
    """A [[plc]] table for a Modbus TCP device on 127.0.0.1 (short timeouts, for tests)."""
    plc = {"name": name, "protocol": "modbus", "host": "127.0.0.1", "port": port, "timeout": "2s"}
    plc.update(settings)
    return plc
