"""Integration tests of the Modbus TCP collector against a pymodbus server (Debian
python3-pymodbus), a peer this project did not write: the real `logbot-agent read --json` and
`logbot-agent write` as processes.

The server's data is the table at the top of tests/peers/modbus_server.py; every expected value
below comes from that table. Written registers are read back raw with pymodbus' own client, so
the byte order of a write is checked independently of the agent's decoder. A relay between the
agent and the server parses the Modbus requests (MBAP header, function, address, count), so the
round trips the agent reports, its pauses and its local address are checked from outside.

Needs: logbot-agent, /usr/bin/python3 with python3-pymodbus (scripts/setup).
Run: LOGBOT_BIN_DIR=build/bin /usr/bin/python3 -m unittest -v tests/integration/test_modbus.py
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import agent_process  # noqa: E402
import cloud  # noqa: E402
import plc  # noqa: E402

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PI = 3.141592653589793
ORDERS = ("ABCD", "CDAB", "BADC", "DCBA")

# Every value of unit 1's table: (name, address, type or "", order or "", expected JSON value).
KNOWN_TAGS = [
    *[(f"f64.{o}", f"hr:{4 * i}", "FLOAT64", o, PI) for i, o in enumerate(ORDERS)],
    *[(f"f32.{o}", f"hr:{20 + 2 * i}", "FLOAT32", o, 21.5) for i, o in enumerate(ORDERS)],
    *[(f"i32.{o}", f"hr:{30 + 2 * i}", "INT32", o, -123456) for i, o in enumerate(ORDERS)],
    *[(f"u32.{o}", f"hr:{40 + 2 * i}", "UINT32", o, 4000000000) for i, o in enumerate(ORDERS)],
    ("i16", "hr:50", "INT16", "", -2),
    ("u16", "hr:51", "", "", 4660),
    ("i16.BADC", "hr:52", "INT16", "BADC", -300),
    ("u16.BADC", "hr:53", "UINT16", "BADC", 4660),
    ("hr60", "hr:60", "UINT16", "", 0x8005),
    *[(f"hr60.bit{b}", f"hr:60.{b}", "", "", b in (0, 2, 15)) for b in range(16)],
    ("ir.f64", "ir:0", "FLOAT64", "ABCD", -1234.5678),
    ("ir.f32.CDAB", "input:4", "REAL", "CDAB", -1.5),
    ("ir.i16", "ir:6", "INT16", "", -32768),
    ("ir.u16", "ir:7", "UINT16", "", 65535),
    ("ir.u32.DCBA", "ir:8", "UINT32", "DCBA", 123456789),
    *[(f"ir10.bit{b}", f"ir:10.{b}", "BOOL", "", b in (0, 8)) for b in range(16)],
    *[(f"coil{n}", f"coil:{n}", "", "", n in (0, 2, 3)) for n in range(4)],
    ("coil.c", "c:3", "BOOL", "", True),
    *[(f"di{n}", f"di:{n}", "", "", n in (1, 5)) for n in range(6)],
]

# Requests for KNOWN_TAGS with max_gap 0: hr 0..15, 20..27, 30..37, 40..47, 50..53, 60; ir 0..10;
# coils 0..3; di 0..5.
KNOWN_REQUESTS = 9


def tag_table(name, address, type_="", order="", **extra) -> dict:
    tag = {"name": name, "plc": "modbus", "address": address}
    if type_:
        tag["type"] = type_
    if order:
        tag["order"] = order
    tag.update(extra)
    return tag


def known_tag_tables(plc_name="modbus"):
    return [dict(tag_table(n, a, t, o), plc=plc_name) for n, a, t, o, _ in KNOWN_TAGS]


def raw_registers(port: int, address: int, count: int, unit: int = 1) -> list:
    """Holding registers as the server holds them, read with pymodbus' own client."""
    script = (
        "import sys\n"
        "from pymodbus.client import ModbusTcpClient\n"
        "port, address, count, unit = map(int, sys.argv[1:])\n"
        "c = ModbusTcpClient('127.0.0.1', port=port, timeout=5)\n"
        "assert c.connect(), 'cannot connect'\n"
        "r = c.read_holding_registers(address, count, slave=unit)\n"
        "assert not r.isError(), str(r)\n"
        "print(' '.join(str(v) for v in r.registers))\n"
        "c.close()\n"
    )
    proc = subprocess.run([plc.MODBUS_PYTHON, "-c", script, str(port), str(address), str(count), str(unit)],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError(f"pymodbus client read of hr:{address}+{count} failed: {proc.stderr}")
    return [int(v) for v in proc.stdout.split()]


def raw_coil(port: int, address: int, unit: int = 1) -> bool:
    script = (
        "import sys\n"
        "from pymodbus.client import ModbusTcpClient\n"
        "port, address, unit = map(int, sys.argv[1:])\n"
        "c = ModbusTcpClient('127.0.0.1', port=port, timeout=5)\n"
        "assert c.connect(), 'cannot connect'\n"
        "r = c.read_coils(address, 1, slave=unit)\n"
        "assert not r.isError(), str(r)\n"
        "print(int(r.bits[0]))\n"
        "c.close()\n"
    )
    proc = subprocess.run([plc.MODBUS_PYTHON, "-c", script, str(port), str(address), str(unit)],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError(f"pymodbus client read of coil:{address} failed: {proc.stderr}")
    return proc.stdout.strip() == "1"


class ModbusRelay(plc.TcpRelay):
    """A relay that parses the Modbus requests the agent sends (MBAP header: transaction,
    protocol, length, unit; then function, address, count)."""

    def __init__(self, target_port: int):
        super().__init__(target_port)
        self.requests = []        # (monotonic time, unit, function, address, count)

    def reads(self):
        with self._lock:
            return [r for r in self.requests if r[2] in (1, 2, 3, 4)]

    def inspect(self, buffer: bytes) -> bytes:
        return self._parse(buffer)

    def _parse(self, buffer: bytes) -> bytes:
        while len(buffer) >= 8:
            length = int.from_bytes(buffer[4:6], "big")  # unit id + PDU
            if len(buffer) < 6 + length:
                return buffer
            frame, buffer = buffer[:6 + length], buffer[6 + length:]
            unit, function = frame[6], frame[7]
            address = int.from_bytes(frame[8:10], "big") if len(frame) >= 10 else -1
            count = int.from_bytes(frame[10:12], "big") if len(frame) >= 12 else -1
            with self._lock:
                self.requests.append((time.monotonic(), unit, function, address, count))
        return buffer


class ModbusTestCase(unittest.TestCase):
    def setUp(self):
        self.server = plc.start_modbus_server(cleanup=self.addCleanup)
        self.tmp = tempfile.mkdtemp(prefix="logbot-modbus-test-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp], check=False))

    def config(self, tags, port=None, automation=None, **plc_settings) -> str:
        device = plc.modbus_plc("modbus", port or self.server.port, **plc_settings)
        return plc.write_agent_config(self.tmp, [device], tags, automation=automation)

    def read(self, config, *extra) -> plc.ReadResult:
        return plc.read_tags(config, *extra)

    def assert_good(self, result: plc.ReadResult, name: str, expected):
        row = result.row(name)
        self.assertEqual(row["quality"], "good", f"{name}: {row}\n{result.describe()}")
        self.assertEqual(row["status"], "", row)
        self.assertRegex(row["time"], TIME_RE)
        if isinstance(expected, bool):
            self.assertIs(row["value"], expected, f"{name}: {row}")
        elif isinstance(expected, float):
            self.assertIsInstance(row["value"], (int, float), row)
            self.assertEqual(float(row["value"]), expected, f"{name}: {row}")  # exact: no tolerance
        else:
            self.assertEqual(row["value"], expected, f"{name}: {row}")
            self.assertNotIsInstance(row["value"], bool, row)


class ReadTest(ModbusTestCase):
    def test_every_type_and_order_decodes_exactly(self):
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(known_tag_tables(), port=relay.port))
        self.assertEqual(result.returncode, 0, result.describe())
        for name, _, _, _, expected in KNOWN_TAGS:
            self.assert_good(result, name, expected)
        self.assertEqual(result.order, [t[0] for t in KNOWN_TAGS], "rows in configuration order")
        summary = result.plcs["modbus"]
        self.assertTrue(summary["connected"], summary)
        self.assertEqual(summary["tags"], len(KNOWN_TAGS))
        # Coalesced: one request per contiguous range, as the relay saw them.
        reads = relay.reads()
        self.assertEqual(len(reads), KNOWN_REQUESTS, reads)
        self.assertEqual(summary["round_trips"], len(reads), summary)
        self.assertEqual(summary["items"], len(reads), summary)
        self.assertIn((1, 3, 0, 16), [r[1:] for r in reads], "hr:0..15 in one request")
        self.assertIn((1, 4, 0, 11), [r[1:] for r in reads], "ir:0..10 in one request")
        self.assertIn((1, 1, 0, 4), [r[1:] for r in reads], "coil:0..3 in one request")
        self.assertIn((1, 2, 0, 6), [r[1:] for r in reads], "di:0..5 in one request")
        # hr 16+8+8+8+4+1, ir 11 registers, 1 byte of coils, 1 of discrete inputs.
        self.assertEqual(summary["bytes"], 2 * (45 + 11) + 1 + 1, summary)

    def test_gaps_and_request_size_limit(self):
        tags = [tag_table(f"r{n}", f"hr:{n}") for n in range(0, 200, 10)]
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port, max_gap=9, max_registers=50))
        self.assertEqual(result.returncode, 0, result.describe())
        # hr:0..190 every 10 registers, gaps of 9 read across, at most 50 registers a request:
        # 0..40, 50..90, 100..140, 150..190.
        self.assertEqual([r[3:] for r in relay.reads()], [(0, 41), (50, 41), (100, 41), (150, 41)])
        self.assertEqual(result.plcs["modbus"]["round_trips"], 4)
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port, max_gap=8))
        self.assertEqual(result.returncode, 0, result.describe())
        self.assertEqual(len(relay.reads()), 20, "a gap of 9 is not read across with max_gap 8")

    def test_at_most_125_registers_a_request(self):
        tags = [tag_table(f"r{n}", f"hr:{n}") for n in range(130)]
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port))
        self.assertEqual(result.returncode, 0, result.describe())
        self.assert_good(result, "r0", 0x4009)
        self.assert_good(result, "r124", 0)
        self.assertEqual([r[3:] for r in relay.reads()], [(0, 125), (125, 5)])
        # The widest gap the configuration allows is read across, within the limit.
        tags = [tag_table("first", "hr:0", "FLOAT64"), tag_table("mid", "hr:120", "FLOAT32"),
                tag_table("last", "hr:126")]
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port, max_gap=124))
        self.assertEqual(result.returncode, 0, result.describe())
        self.assert_good(result, "first", PI)
        self.assertEqual([r[3:] for r in relay.reads()], [(0, 122), (126, 1)])

    def test_scale_and_offset(self):
        tags = [
            tag_table("scaled.u16", "hr:70", "", "", scale=0.1, offset=-5.0),
            tag_table("scaled.f32", "hr:22", "FLOAT32", "CDAB", scale=2.0, offset=1.0),
            tag_table("scaled.i32", "hr:36", "INT32", "DCBA", scale=0.001),
            tag_table("unscaled", "hr:70"),
        ]
        result = self.read(self.config(tags))
        self.assertEqual(result.returncode, 0, result.describe())
        self.assertAlmostEqual(result.value("scaled.u16"), 95.0, places=9)
        self.assertEqual(result.value("scaled.f32"), 44.0)
        self.assertAlmostEqual(result.value("scaled.i32"), -123.456, places=9)
        self.assertEqual(result.value("unscaled"), 1000)

    def test_unit_id_2_reads_its_own_data(self):
        tags = [tag_table("hr0", "hr:0"), tag_table("f32", "hr:20", "FLOAT32"), tag_table("coil0", "coil:0"),
                tag_table("coil1", "coil:1"), tag_table("ir0", "ir:0"), tag_table("di0", "di:0")]
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port, unit_id=2))
        self.assertEqual(result.returncode, 0, result.describe())
        for name, expected in (("hr0", 2222), ("f32", -21.5), ("coil0", False), ("coil1", True), ("ir0", 7),
                               ("di0", True)):
            self.assert_good(result, name, expected)
        self.assertEqual({r[1] for r in relay.reads()}, {2}, "every request carries unit id 2")

        unit1 = self.read(self.config(tags, unit_id=1))
        self.assertEqual(unit1.returncode, 0, unit1.describe())
        self.assertEqual(unit1.value("hr0"), 0x4009)
        self.assertEqual(unit1.value("f32"), 21.5)
        self.assertIs(unit1.value("coil0"), True)

        text = agent_process.run_agent("read", "--config", self.config(tags, unit_id=2))
        self.assertEqual(text.returncode, 0, plc.describe(text))
        self.assertRegex(text.stdout, rf"modbus: Modbus 127\.0\.0\.1:{self.server.port} unit 2")

    def test_exception_makes_only_that_tag_bad(self):
        tags = [tag_table("pi", "hr:0", "FLOAT64"), tag_table("unmapped", "hr:500"),
                tag_table("past.end", "hr:199", "FLOAT32"), tag_table("coil.unmapped", "coil:1000"),
                tag_table("ir.ok", "ir:7"), tag_table("coil.ok", "coil:0")]
        result = self.read(self.config(tags))
        self.assertEqual(result.returncode, 2, result.describe())
        for name in ("unmapped", "past.end", "coil.unmapped"):
            row = result.row(name)
            self.assertEqual(row["quality"], "bad", row)
            self.assertIsNone(row["value"], row)
            self.assertEqual(row["status"], "Modbus exception 2 (illegal data address)", row)
        self.assert_good(result, "pi", PI)
        self.assert_good(result, "ir.ok", 65535)
        self.assert_good(result, "coil.ok", True)
        self.assertTrue(result.plcs["modbus"]["connected"], result.plcs)
        self.assertEqual(result.plcs["modbus"]["error"], "")

    def test_stopped_server_is_a_connection_error(self):
        port = self.server.port
        self.server.stop()
        result = self.read(self.config([tag_table("pi", "hr:0", "FLOAT64"), tag_table("c", "coil:0")], port=port))
        self.assertEqual(result.returncode, 1, result.describe())
        summary = result.plcs["modbus"]
        self.assertFalse(summary["connected"], summary)
        self.assertIn("modbus", summary["error"])
        self.assertIn(f"127.0.0.1:{port}", summary["error"])
        self.assertIn("Connection refused", summary["error"])
        for name in ("pi", "c"):
            row = result.row(name)
            self.assertEqual(row["quality"], "bad", row)
            self.assertIn("Connection refused", row["status"], row)

    def test_quirks_still_read(self):
        tags = [tag_table("pi", "hr:0", "FLOAT64"), tag_table("f32", "hr:20", "FLOAT32"),
                tag_table("i16", "hr:50", "INT16"), tag_table("coil", "coil:2"), tag_table("di", "di:5")]
        with ModbusRelay(self.server.port) as relay:
            config = self.config(tags, port=relay.port, close_after_poll=True, pause_between_requests="20ms",
                                 pause_after_connect="10ms")
            result = self.read(config)
            text = agent_process.run_agent("read", "--config", config)
        self.assertEqual(result.returncode, 0, result.describe())
        for name, expected in (("pi", PI), ("f32", 21.5), ("i16", -2), ("coil", True), ("di", True)):
            self.assert_good(result, name, expected)
        reads = relay.reads()
        self.assertEqual(len(reads), 10, reads)  # 5 requests in each of the two runs
        first_run = [r[0] for r in reads[:5]]
        gaps = [b - a for a, b in zip(first_run, first_run[1:])]
        self.assertGreaterEqual(min(gaps), 0.019, f"requests closer than pause_between_requests: {gaps}")
        self.assertEqual(text.returncode, 0, plc.describe(text))
        self.assertIn("pause 20 ms between requests", text.stdout)
        self.assertIn("closed after each poll", text.stdout)


# hr:0..190 every 10 registers (unit 1 has hr:0..199) and hr:205, which it does not have. With
# max_gap 124 the requests are 0..120 and 130..205; the second is refused with exception 2.
SPLIT_TAGS = [tag_table(f"r{n}", f"hr:{n}") for n in range(0, 191, 10)] + [tag_table("beyond", "hr:205")]


def reaches_past(reads: list, end: int) -> list:
    """The read requests (ModbusRelay.reads()) for holding registers reaching past `end`."""
    return [r for r in reads if r[2] == 3 and r[3] + r[4] > end]


class RefusedRequestTest(ModbusTestCase):
    """A coalesced request the device refuses with an exception is split so that only the
    tags the device does not have are bad, and the refused request is not sent again."""

    def test_a_tag_past_the_end_of_the_map_is_the_only_bad_tag(self):
        expected = raw_registers(self.server.port, 0, 100) + raw_registers(self.server.port, 100, 100)
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(SPLIT_TAGS, port=relay.port, max_gap=124))
        self.assertEqual(result.returncode, 2, result.describe())
        for n in range(0, 191, 10):
            self.assert_good(result, f"r{n}", expected[n])
        bad = result.row("beyond")
        self.assertEqual(bad["quality"], "bad", bad)
        self.assertEqual(bad["status"], "Modbus exception 2 (illegal data address)", bad)
        # 0..120, then 130..205 (refused), split at the widest gap: 130..190 and 205.
        self.assertEqual([r[3:] for r in relay.reads()], [(0, 121), (130, 76), (130, 61), (205, 1)])
        self.assertEqual(result.plcs["modbus"]["round_trips"], 4)

    def test_a_good_tag_overlapping_a_bad_one_stays_good(self):
        # hr:198..199 exist; a FLOAT32 at hr:199 needs hr:200, which does not. The two overlap
        # in hr:199, so no cut separates them: each is read alone, and only hr:199 is bad.
        tags = [tag_table("last_pair", "hr:198", "UINT32"), tag_table("overlapping", "hr:199", "FLOAT32"),
                tag_table("first", "hr:51")]
        expected = raw_registers(self.server.port, 198, 2)
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port, max_gap=124))
        self.assertEqual(result.returncode, 2, result.describe())
        self.assert_good(result, "last_pair", (expected[0] << 16) | expected[1])
        self.assert_good(result, "first", 4660)
        bad = result.row("overlapping")
        self.assertEqual(bad["quality"], "bad", bad)
        self.assertEqual(bad["status"], "Modbus exception 2 (illegal data address)", bad)
        # hr:51 alone (too far for max_gap), the refused 198..200, then each of its tags alone.
        self.assertEqual([r[3:] for r in relay.reads()], [(51, 1), (198, 3), (198, 2), (199, 2)])

    def test_run_does_not_send_the_refused_request_again(self):
        server = cloud.CloudServer(["--device-listen", "127.0.0.1:0"])
        server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)
        server.start()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        resp = alice.post(f"/api/v1/orgs/{org.id}/devices", {"name": "line 1", "site": "plant 1"})
        self.assertEqual(resp.status, 201, str(resp))
        state = os.path.join(self.tmp, "state")
        enrol = agent_process.run_agent("enroll", "--token", resp.json()["enrolment_token"], "--state-dir", state)
        self.assertEqual(enrol.returncode, 0, plc.describe(enrol))
        with ModbusRelay(self.server.port) as relay:
            config = plc.write_agent_config(
                self.tmp, [plc.modbus_plc("modbus", relay.port, max_gap=124)],
                [dict(t, group="fast") for t in SPLIT_TAGS],
                poll_groups={"fast": {"interval": "100ms", "report": "always"}})
            agent = agent_process.AgentProcess("--state-dir", state, "--config", config, "--statistics-interval", "1",
                                     log_dir=self.tmp)
            self.addCleanup(agent.stop)
            bad_line = r"tag beyond \(hr:205\) is bad: Modbus exception 2 \(illegal data address\)"
            deadline = time.monotonic() + 20
            while len(relay.reads()) < 30:
                self.assertTrue(agent.running, agent.describe())
                self.assertLess(time.monotonic(), deadline, agent.describe())
                time.sleep(0.1)
            reads = relay.reads()
            self.assertEqual(agent.stop(), 0, agent.describe())
        # The first cycle sends 130..205 and, splitting it, 205 alone; later cycles neither.
        self.assertEqual([r[3:] for r in reaches_past(reads, 200)], [(130, 76), (205, 1)], reads[:8])
        self.assertEqual([r[3:] for r in reads[4:8]], [(0, 121), (130, 61)] * 2, reads[:8])
        self.assertEqual(len(re.findall(bad_line, agent.log_text())), 1, agent.describe())


class UnitIdTest(ModbusTestCase):
    """A unit id the device does not have. pymodbus 3.0 (with several unit contexts) drops such
    a request in its framer and stays silent, as many devices do; ignore_missing_slaves does
    not change that (a gateway's exception 10/11 is covered by the unit tests of the text)."""

    def test_silence_for_an_unknown_unit_names_the_unit_id(self):
        result = self.read(self.config([tag_table("x", "hr:0")], unit_id=5, timeout="1s"))
        self.assertEqual(result.returncode, 1, result.describe())
        self.assertIn("reading hr:0 failed: no answer within 1000 ms although the TCP connection stands; check "
                      "unit_id (5): many devices and gateways stay silent for a unit id that is not theirs",
                      result.row("x")["status"], result.describe())
        # Unit 1 of the same server answers: the hint is about the unit id, not the device.
        good = self.read(self.config([tag_table("x", "hr:51")], timeout="1s"))
        self.assert_good(good, "x", 4660)


class BindAddressTest(ModbusTestCase):
    def test_bind_to_a_local_address(self):
        tags = [tag_table("pi", "hr:0", "FLOAT64")]
        for local in ("127.0.0.1", "127.0.0.2"):
            with ModbusRelay(self.server.port) as relay:
                result = self.read(self.config(tags, port=relay.port, automation={"bind_address": local}))
            self.assertEqual(result.returncode, 0, result.describe())
            self.assert_good(result, "pi", PI)
            self.assertEqual(relay.client_addresses, [local], "the connection comes from the bind address")

    def test_an_address_not_on_this_machine_cannot_bind(self):
        tags = [tag_table("pi", "hr:0", "FLOAT64")]
        with ModbusRelay(self.server.port) as relay:
            result = self.read(self.config(tags, port=relay.port, automation={"bind_address": "192.0.2.1"}))
        self.assertEqual(result.returncode, 1, result.describe())
        error = result.plcs["modbus"]["error"]
        self.assertIn("cannot bind to local address 192.0.2.1", error)
        self.assertIn("bind_address", error)
        self.assertEqual(result.row("pi")["quality"], "bad")
        self.assertEqual(relay.client_addresses, [], "nothing reached the network")


class WriteTest(ModbusTestCase):
    # (name, address, type, order, text written, JSON value read back, raw registers expected)
    WRITES = [
        ("w.i16", "hr:100", "INT16", "", "-1234", -1234, [0xFB2E]),
        ("w.u16", "hr:101", "UINT16", "BADC", "4660", 4660, [0x3412]),
        ("w.i32", "hr:102", "INT32", "ABCD", "-7654321", -7654321, [0xFF8B, 0x344F]),
        ("w.u32", "hr:104", "UINT32", "CDAB", "3000000000", 3000000000, [0x5E00, 0xB2D0]),
        ("w.f32", "hr:106", "FLOAT32", "BADC", "12.25", 12.25, [0x4441, 0x0000]),
        ("w.f64", "hr:108", "FLOAT64", "DCBA", "-1234.5678", -1234.5678, [0xADFA, 0x5C6D, 0x454A, 0x93C0]),
    ]

    def write(self, config, tag, value, allow=True):
        return plc.write_tag(config, tag, value, allow_write=allow)

    def test_write_then_read_back_every_writable_type(self):
        tags = [tag_table(n, a, t, o) for n, a, t, o, *_ in self.WRITES]
        tags += [tag_table("w.coil", "coil:10"), tag_table("w.reg", "hr:120"), tag_table("w.bit5", "hr:120.5"),
                 tag_table("w.bit0", "hr:120.0")]
        config = self.config(tags)
        for name, address, _, _, text, expected, registers in self.WRITES:
            proc = self.write(config, name, text)
            self.assertEqual(proc.returncode, 0, plc.describe(proc))
            self.assertIn(f"{name} = ", proc.stdout)
            self.assertIn("written, read back", proc.stdout)
            offset = int(address.split(":")[1])
            self.assertEqual(raw_registers(self.server.port, offset, len(registers)), registers,
                             f"{name}: registers on the device")
        result = self.read(config)
        for name, _, _, _, _, expected, _ in self.WRITES:
            self.assert_good(result, name, expected)

        # A coil, both ways.
        for text, expected in (("TRUE", True), ("0", False), ("1", True)):
            proc = self.write(config, "w.coil", text)
            self.assertEqual(proc.returncode, 0, plc.describe(proc))
            self.assertIs(raw_coil(self.server.port, 10), expected)

        # A register bit changes that bit only (read-modify-write).
        proc = self.write(config, "w.reg", "257")  # 0x0101
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        proc = self.write(config, "w.bit5", "TRUE")
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        self.assertEqual(raw_registers(self.server.port, 120, 1), [0x0121])
        proc = self.write(config, "w.bit0", "FALSE")
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        self.assertEqual(raw_registers(self.server.port, 120, 1), [0x0120])
        result = self.read(config, "--tag", "w.bit5", "--tag", "w.bit0", "--tag", "w.reg", "--tag", "w.coil")
        self.assert_good(result, "w.bit5", True)
        self.assert_good(result, "w.bit0", False)
        self.assert_good(result, "w.reg", 0x0120)
        self.assert_good(result, "w.coil", True)

    def test_write_takes_iec_integer_literals(self):
        config = self.config([tag_table("w.hex", "hr:110", "UINT16"), tag_table("w.bin", "hr:111", "INT32", "CDAB")])
        for name, text, offset, registers in (("w.hex", "16#FF", 110, [0x00FF]),
                                              ("w.bin", "-2#1010_0101", 111, [0xFF5B, 0xFFFF])):  # -165
            proc = self.write(config, name, text)
            self.assertEqual(proc.returncode, 0, plc.describe(proc))
            self.assertEqual(raw_registers(self.server.port, offset, len(registers)), registers, name)
        proc = self.write(config, "w.hex", "16#1_0000")
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("does not fit UINT16 (0..65535)", proc.stdout + proc.stderr)
        self.assertEqual(raw_registers(self.server.port, 110, 1), [0x00FF], "nothing written")

    def test_scaled_write_is_converted_back(self):
        config = self.config([tag_table("level", "hr:130", "INT16", "", scale=0.1, offset=-5.0)])
        proc = self.write(config, "level", "20.5")  # raw (20.5 + 5) / 0.1 = 255
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        self.assertEqual(raw_registers(self.server.port, 130, 1), [255])

    def test_refused_writes(self):
        config = self.config([tag_table("ir", "ir:0"), tag_table("di", "di:1"), tag_table("i16", "hr:140", "INT16"),
                              tag_table("unmapped", "hr:600")])
        for name, words in (("ir", "read-only"), ("di", "read-only")):
            proc = self.write(config, name, "1")
            self.assertEqual(proc.returncode, 1, plc.describe(proc))
            self.assertIn(words, proc.stdout + proc.stderr)
        proc = self.write(config, "i16", "40000")
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("-32768..32767", proc.stdout + proc.stderr)
        self.assertEqual(raw_registers(self.server.port, 140, 1), [0], "nothing written")
        proc = self.write(config, "unmapped", "1")
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("Modbus exception 2 (illegal data address)", proc.stdout + proc.stderr)
        proc = self.write(config, "i16", "7", allow=False)
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("--allow-write", proc.stderr)
        self.assertEqual(raw_registers(self.server.port, 140, 1), [0], "nothing written without --allow-write")


if __name__ == "__main__":
    unittest.main()
