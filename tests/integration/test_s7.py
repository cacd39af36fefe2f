"""Integration tests of the S7 collector against the snap7 server (npm node-snap7), a peer this
project did not write: the real `logbot-agent read --json` / `write` / `run` as processes.

The server's memory holds the known bytes documented at the top of tests/peers/s7_server.mjs;
every expected value below comes from that table, and written bytes are checked with snap7's
own client (not the agent's decoder). Round trips are counted by a relay that parses the S7
frames (tests/support/plc.py, S7RequestCounter), so the figures the agent reports are checked
from outside.

Needs: scripts/setup (node-snap7 built), logbot-agent (and logbot-cloud for the `run` test).
Run: LOGBOT_BIN_DIR=build/bin /usr/bin/python3 -m unittest -v tests/integration/test_s7.py
"""

import math
import os
import random
import re
import shutil
import socket
import struct
import sys
import tempfile
import time
import unittest
from datetime import date, datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import agent_process  # noqa: E402
import cloud  # noqa: E402
import plc  # noqa: E402

TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SUMMARY_RE = re.compile(
    r"^(?P<plc>\S+): S7 127\.0\.0\.1:(?P<port>\d+) rack (?P<rack>\d+) slot (?P<slot>\d+), (?P<type>\S+) connection, "
    r"PDU (?P<pdu>\d+) bytes(?:, \d+ parallel jobs?)?: (?P<tags>\d+) tags in (?P<trips>\d+) round trips? \(minimum (?P<minimum>\d+)\), "
    r"(?P<ms>\d+) ms$", re.M)

# Every tag of the known fill: (name, address, type or "", expected JSON value).
KNOWN_TAGS = [
    ("db1.byte0", "DB1.DBB0", "", 1),
    ("db1.byte15", "DB1.DBB15", "", 16),
    ("db1.word0", "DB1.DBW0", "", 0x0102),
    ("db1.dword4", "DB1.DBD4", "", 0x05060708),
    ("db10.byte0", "DB10.DBB0", "", 0xA5),
    *[(f"db10.bit0_{bit}", f"DB10.DBX0.{bit}", "", bool(0xA5 >> bit & 1)) for bit in range(8)],
    ("db10.byte", "DB10.DBB1", "BYTE", 60),
    ("db10.word", "DB10.DBW2", "WORD", 48879),
    ("db10.dword", "DB10.DBD4", "DWORD", 3735928559),
    ("db10.int", "DB10.DBW8", "INT", -2),
    ("db10.dint", "DB10.DBD10", "DINT", -100000),
    ("db10.uint", "DB10.DBW14", "UINT", 65000),
    ("db10.udint", "DB10.DBD16", "UDINT", 4000000000),
    ("db10.real", "DB10.DBD20", "REAL", 21.5),
    ("db10.lreal", "DB10.DBB24", "LREAL", -1234.5678),
    ("db10.s5time", "DB10.DBW32", "S5TIME", 23400),
    ("db10.time", "DB10.DBD34", "TIME", 3723004),
    ("db10.date", "DB10.DBW38", "DATE", "2026-11-27"),
    ("db10.date_and_time", "DB10.DBB40", "DATE_AND_TIME", "2026-11-27T08:15:00.250"),
    ("db10.string", "DB10.DBB48", "STRING[20]", "Hello S7"),
    ("db10.char", "DB10.DBB70", "CHAR", "Z"),
    ("m.byte0", "MB0", "", 0x81),
    ("m.bit0", "M0.0", "", True),
    ("m.bit1", "M0.1", "", False),
    ("m.bit7", "M0.7", "", True),
    ("m.int10", "MW10", "INT", 1234),
    ("m.dint20", "MD20", "DINT", 100000),
    ("i.bit0", "I0.0", "", True),
    ("i.bit1", "I0.1", "", False),
    ("i.bit2", "I0.2", "", True),
    ("i.word2", "IW2", "", 0x1234),
    ("e.bit2", "E0.2", "", True),
    ("e.word2", "EW2", "", 0x1234),
    ("q.byte0", "QB0", "", 0x0A),
    ("q.bit1_2", "Q1.2", "", True),
    ("q.bit1_1", "Q1.1", "", False),
    ("q.int2", "QW2", "INT", -1),
    ("a.bit1_2", "A1.2", "", True),
    ("a.byte0", "AB0", "", 0x0A),
    ("a.int2", "AW2", "INT", -1),
    ("t.0", "T0", "", 5000),
    ("c.0", "C0", "", 42),
]


# The S7-1200/1500 types and arrays of the known fill (DB15), written as TIA Portal shows the
# addresses: (name, address, type or "", expected JSON value, extra tag settings).
TIA_TAGS = [
    ("tia.sint", "%DB15.DBB0", "SINT", -5, {}),
    ("tia.usint", "%DB15.DBB1", "USINT", 200, {}),
    ("tia.lint", "%DB15.DBB2", "LINT", -1234567890123, {}),
    ("tia.ulint", "%DB15.DBB10", "ULINT", 12345678901234567890, {}),
    ("tia.lword", "%DB15.DBB18", "LWORD", 0x0123456789ABCDEF, {}),
    ("tia.wchar", "%DB15.DBW26", "WCHAR", "\u03a9", {}),
    ("tia.tod", "%DB15.DBD28", "TOD", "12:30:00.000", {}),
    ("tia.time_of_day", "%DB15.DBD28", "TIME_OF_DAY", "12:30:00.000", {}),
    ("tia.ltime", "%DB15.DBB32", "LTIME", 3723004005006, {}),
    ("tia.dtl", "%DB15.DBB40", "DTL", "2026-11-27T08:15:00.123456789", {}),
    ("tia.wstring", "%DB15.DBB52", "WSTRING[10]", "Gr\u00fc\u00dfe \u03a9", {}),
    ("tia.reals", "%DB15.DBD76", "REAL[4]", [1.5, -2.25, 100.0, 0.125], {}),
    ("tia.bits", "%DB15.DBX92.0", "BOOL[10]", [True, False, False, True, False, True, True, False, False, True], {}),
    ("tia.ints", "%DB15.DBW94", "INT", [-1, 0, 300], {"count": 3}),
    ("tia.mw", "%MW10", "INT", 1234, {}),
    ("tia.input", "%I0.2", "", True, {}),
    ("tia.output", "%Q1.2", "", True, {}),
    ("tia.german_input", "%E0.2", "", True, {}),
    ("tia.german_output", "%A1.2", "", True, {}),
]


def float32(value: float) -> float:
    return struct.unpack(">f", struct.pack(">f", value))[0]


def assert_time_is_now(test: unittest.TestCase, text: str, slack_s: float = 120):
    test.assertRegex(text, TIME_RE)
    when = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
    test.assertLess(abs(when - time.time()), slack_s, text)


class S7TestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="logbot-s7-it-")
        self.addCleanup(self._remove_tmp)

    def _remove_tmp(self):
        if os.environ.get("LOGBOT_KEEP_TMP"):
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_server(self, fill: str = "known", port: int = 0) -> plc.PeerProcess:
        return plc.start_s7_peer(fill, port, cleanup=self.addCleanup)

    def config(self, port: int, tags: list, plc_name: str = "press", **plc_settings) -> str:
        rows = []
        for name, address, data_type, *_ in tags:
            row = {"name": name, "plc": plc_name, "address": address}
            if data_type:
                row["type"] = data_type
            rows.append(row)
        return plc.write_agent_config(self.tmp, [plc.s7_plc(plc_name, port, **plc_settings)], rows)

    def write_text(self, text: str) -> str:
        fd, path = tempfile.mkstemp(suffix=".toml", dir=self.tmp)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def assert_good(self, result: plc.ReadResult, tag: str, expected):
        row = result.row(tag)
        self.assertEqual(row["quality"], "good", f"{tag}: {row}\n{result.describe()}")
        self.assertEqual(row["status"], "", row)
        if isinstance(expected, float) and isinstance(row["value"], float) and expected == float32(expected):
            self.assertEqual(float32(row["value"]), expected, row)
        else:
            self.assertEqual(row["value"], expected, row)
        self.assertIs(type(row["value"]), type(expected), f"{tag}: JSON type of {row['value']!r}")


class S7ReadTest(S7TestCase):
    """Reads of the known bytes. The server is only read, so one serves the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.peer = plc.start_s7_peer("known")

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()

    def test_every_type_and_area_reads_the_known_value(self):
        config = self.config(self.peer.port, KNOWN_TAGS)
        result = plc.read_tags(config)
        self.assertEqual(result.returncode, 0, result.describe())
        self.assertEqual(result.order, [t[0] for t in KNOWN_TAGS], "one row per tag, in the configuration's order")
        for name, _, _, expected in KNOWN_TAGS:
            with self.subTest(tag=name):
                self.assert_good(result, name, expected)
                assert_time_is_now(self, result.row(name)["time"])
        summary = result.plcs["press"]
        self.assertEqual(summary["tags"], len(KNOWN_TAGS), summary)
        self.assertTrue(summary["connected"], summary)
        self.assertEqual(summary["error"], "", summary)
        self.assertGreaterEqual(summary["round_trips"], summary["minimum_round_trips"], summary)
        self.assertGreaterEqual(summary["minimum_round_trips"], 1, summary)
        # Seven areas (DB1, DB10, M, I, Q, T, C) need at least seven items.
        self.assertGreaterEqual(summary["items"], 7, summary)

    def test_english_and_german_mnemonics_name_the_same_bytes(self):
        pairs = [("I0.2", "E0.2"), ("IB0", "EB0"), ("IW2", "EW2"), ("ID0", "ED0"), ("Q1.2", "A1.2"),
                 ("QB0", "AB0"), ("QW2", "AW2"), ("QD0", "AD0"), ("C10", "Z10")]
        tags = []
        for index, (english, german) in enumerate(pairs):
            tags += [(f"en{index}", english, ""), (f"de{index}", german, "")]
        result = plc.read_tags(self.config(self.peer.port, tags))
        self.assertEqual(result.returncode, 0, result.describe())
        for index, (english, german) in enumerate(pairs):
            with self.subTest(address=english):
                self.assertEqual(result.row(f"en{index}")["quality"], "good", result.describe())
                self.assertEqual(result.value(f"en{index}"), result.value(f"de{index}"))
        self.assertEqual(result.value("en3"), 0x05001234)  # ID0: IB0..IB3 = 05 00 12 34
        self.assertEqual(result.value("en7"), 0x0A04FFFF)  # QD0: QB0..QB3 = 0A 04 FF FF

    def test_timers_and_counters(self):
        # Each alone (--tag): snap7 serves element n from byte n >> 1 (see s7_server.mjs), so
        # only single-element items have a layout-independent value beyond T0/C0.
        config = self.config(self.peer.port, [("t0", "T0", ""), ("t10", "T10", ""), ("c0", "C0", ""),
                                              ("c10", "C10", ""), ("z10", "Z10", "")])
        for tag, expected in (("t0", 5000), ("t10", 9900), ("c0", 42), ("c10", 999), ("z10", 999)):
            with self.subTest(tag=tag):
                result = plc.read_tags(config, "--tag", tag)
                self.assertEqual(result.returncode, 0, result.describe())
                self.assertEqual(list(result.rows), [tag], result.describe())
                self.assert_good(result, tag, expected)

    def test_missing_data_block_makes_only_its_tag_bad(self):
        tags = [("real", "DB10.DBD20", "REAL"), ("missing", "DB2.DBW0", ""), ("string", "DB10.DBB48", "STRING[20]"),
                ("flag", "M0.7", "")]
        result = plc.read_tags(self.config(self.peer.port, tags))
        self.assertEqual(result.returncode, 2, result.describe())
        bad = result.row("missing")
        self.assertEqual(bad["quality"], "bad", bad)
        self.assertIsNone(bad["value"], bad)
        self.assertRegex(bad["status"], r"(?i)return code 0x0A", bad)
        assert_time_is_now(self, bad["time"])
        self.assert_good(result, "real", 21.5)
        self.assert_good(result, "string", "Hello S7")
        self.assert_good(result, "flag", True)
        self.assertTrue(result.plcs["press"]["connected"], result.plcs)

    def test_a_range_beyond_the_end_of_a_data_block_is_bad(self):
        # DB1 has 16 bytes: DBD14 reaches byte 17. (Another DB, so the tags share no item.)
        result = plc.read_tags(self.config(self.peer.port, [("beyond", "DB1.DBD14", ""), ("other", "DB10.DBB1", "")]))
        self.assertEqual(result.returncode, 2, result.describe())
        self.assertEqual(result.row("beyond")["quality"], "bad", result.describe())
        self.assertRegex(result.row("beyond")["status"], r"(?i)return code 0x05", result.describe())
        self.assert_good(result, "other", 60)

    def tia_config(self, tags: list, **plc_settings) -> str:
        rows = []
        for name, address, data_type, _, extra in tags:
            row = {"name": name, "plc": "press", "address": address, **extra}
            if data_type:
                row["type"] = data_type
            rows.append(row)
        return plc.write_agent_config(self.tmp, [plc.s7_plc("press", self.peer.port, **plc_settings)], rows)

    def test_tia_portal_addresses_types_and_arrays_read_the_known_values(self):
        result = plc.read_tags(self.tia_config(TIA_TAGS))
        self.assertEqual(result.returncode, 0, result.describe())
        for name, _, _, expected, _ in TIA_TAGS:
            with self.subTest(tag=name):
                row = result.row(name)
                self.assertEqual(row["quality"], "good", f"{name}: {row}")
                self.assertEqual(row["value"], expected, row)
                self.assertIs(type(row["value"]), type(expected), row)
                if isinstance(expected, list):
                    self.assertEqual([type(v) for v in row["value"]], [type(v) for v in expected], row)
        # DB15's tags are adjacent: the arrays are merged with them, no item per element.
        self.assertLessEqual(result.plcs["press"]["items"], 8, result.plcs["press"])

    def test_an_array_is_printed_as_a_list_in_the_table(self):
        proc = agent_process.run_agent("read", "--config", self.tia_config([t for t in TIA_TAGS if t[0] in ("tia.reals", "tia.bits")]))
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        self.assertRegex(proc.stdout, r"(?m)^tia\.reals\s+\[1\.5, -2\.25, 100, 0\.125\]\s+good\s", proc.stdout)
        self.assertRegex(proc.stdout, r"(?m)^tia\.bits\s+\[TRUE, FALSE, FALSE, TRUE, FALSE, TRUE, TRUE, FALSE, FALSE, TRUE\]\s+good\s",
                         proc.stdout)

    def test_an_array_larger_than_a_pdu_is_one_tag_read_in_several_requests(self):
        # REAL[250] is 1,000 bytes; a response of PDU 480 carries at most 462 data bytes.
        with plc.S7RequestCounter(self.peer.port) as relay:
            config = plc.write_agent_config(
                self.tmp, [plc.s7_plc("press", relay.port, pdu_size=480)],
                [{"name": "big", "plc": "press", "address": "DB16.DBD0", "type": "REAL[250]"}])
            result = plc.read_tags(config)
        self.assertEqual(result.returncode, 0, result.describe())
        self.assertEqual(result.value("big"), [i / 2 for i in range(250)])
        summary = result.plcs["press"]
        self.assertEqual(summary["round_trips"], 3, summary)
        self.assertEqual(summary["bytes"], 1000, summary)
        self.assertEqual(relay.read_requests, 3, "the round trips reported are the ones on the wire")

    def test_array_and_type_errors_in_the_configuration(self):
        cases = [
            ({"type": "REAL[0]"}, "at position 6 of the type expected an array length 1..65535"),
            ({"type": "STRING[8][2]"}, "arrays of STRING are not supported"),
            ({"type": "REAL[2]", "count": 2}, "the type is already an array; give its length once"),
            ({"address": "%DB15.DBD100", "type": "REAL", "count": 0}, "'count' must be a whole number 1..65535"),
            ({"type": "REAL[2]", "deadband": 1.0}, "'deadband' applies to numbers only, not to an array"),
            ({"type": "DTL", "scale": 2.0}, "'scale' applies to numbers only, not to a DTL"),
        ]
        for settings, message in cases:
            with self.subTest(settings=settings):
                row = {"name": "t", "plc": "press", "address": "%DB15.DBB100", **settings}
                config = plc.write_agent_config(self.tmp, [plc.s7_plc("press", self.peer.port)], [row])
                proc = agent_process.run_agent("read", "--config", config)
                self.assertEqual(proc.returncode, 1, plc.describe(proc))
                self.assertIn(message, proc.stderr)

    def test_table_output_and_summary_line(self):
        config = self.config(self.peer.port, KNOWN_TAGS[:12], pdu_size=480)
        proc = agent_process.run_agent("read", "--config", config)
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        lines = proc.stdout.splitlines()
        self.assertRegex(lines[0], r"^TAG\s+VALUE\s+QUALITY\s+TIME\s+STATUS\s*$", proc.stdout)
        self.assertRegex(proc.stdout, r"(?m)^db10\.bit0_0\s+TRUE\s+good\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s*$")
        self.assertRegex(proc.stdout, r"(?m)^db1\.word0\s+258\s+good\s")
        match = SUMMARY_RE.search(proc.stdout)
        self.assertIsNotNone(match, proc.stdout)
        self.assertEqual(match["plc"], "press")
        self.assertEqual(int(match["port"]), self.peer.port)
        self.assertEqual((match["rack"], match["slot"], match["type"]), ("0", "1", "OP"))
        self.assertEqual(int(match["pdu"]), 480, "snap7 grants the requested PDU size")
        self.assertEqual(int(match["tags"]), 12)
        self.assertGreaterEqual(int(match["trips"]), int(match["minimum"]))

    def test_tag_and_plc_selection(self):
        down_port = cloud.free_port()
        config = plc.write_agent_config(
            self.tmp, [plc.s7_plc("press", self.peer.port), plc.s7_plc("oven", down_port, timeout="1s")],
            [{"name": "press.real", "plc": "press", "address": "DB10.DBD20", "type": "REAL"},
             {"name": "press.int", "plc": "press", "address": "DB10.DBW8", "type": "INT"},
             {"name": "oven.word", "plc": "oven", "address": "DB1.DBW0"}])
        only = plc.read_tags(config, "--tag", "press.int")
        self.assertEqual(only.returncode, 0, only.describe())
        self.assertEqual(list(only.rows), ["press.int"])
        self.assertEqual(list(only.plcs), ["press"])
        self.assert_good(only, "press.int", -2)

        press = plc.read_tags(config, "--plc", "press")
        self.assertEqual(press.returncode, 0, press.describe())
        self.assertEqual(sorted(press.rows), ["press.int", "press.real"])

        # Both: the unreachable one makes the exit status 1, the other's tags are still good.
        both = plc.read_tags(config)
        self.assertEqual(both.returncode, 1, both.describe())
        self.assert_good(both, "press.real", 21.5)
        self.assertEqual(both.row("oven.word")["quality"], "bad", both.describe())
        self.assertFalse(both.plcs["oven"]["connected"], both.plcs)
        self.assertTrue(both.plcs["press"]["connected"], both.plcs)

        unknown = agent_process.run_agent("read", "--config", config, "--tag", "no.such.tag")
        self.assertEqual(unknown.returncode, 1, plc.describe(unknown))
        self.assertIn("no.such.tag", unknown.stderr + unknown.stdout)

    def test_connection_types_and_explicit_tsaps_connect(self):
        for connection_type in ("PG", "OP", "S7-basic"):
            with self.subTest(connection_type=connection_type):
                config = self.config(self.peer.port, [("real", "DB10.DBD20", "REAL")], connection_type=connection_type)
                proc = agent_process.run_agent("read", "--config", config)
                self.assertEqual(proc.returncode, 0, plc.describe(proc))
                self.assertRegex(proc.stdout, rf"(?m)^press: S7 .*, {re.escape(connection_type)} connection, PDU")
                self.assertRegex(proc.stdout, r"(?m)^real\s+21\.5\s+good")
        # S7-200 / LOGO! style: TSAPs instead of rack and slot (hexadecimal TOML integers).
        config = self.write_text(
            f'[[plc]]\nname = "logo"\nprotocol = "s7"\nhost = "127.0.0.1"\nport = {self.peer.port}\n'
            'local_tsap = 0x0100\nremote_tsap = 0x0200\ntimeout = "3s"\n\n'
            '[[tag]]\nname = "logo.real"\nplc = "logo"\naddress = "DB10.DBD20"\ntype = "REAL"\n')
        result = plc.read_tags(config)
        self.assertEqual(result.returncode, 0, result.describe())
        self.assert_good(result, "logo.real", 21.5)
        # The summary names the TSAPs, not a connection type: with explicit TSAPs
        # `connection_type` is not used (the remote TSAP carries the type).
        table = agent_process.run_agent("read", "--config", config)
        self.assertEqual(table.returncode, 0, plc.describe(table))
        self.assertRegex(table.stdout, rf"(?m)^logo: S7 127\.0\.0\.1:{self.peer.port} local TSAP 0x0100 remote TSAP "
                                       r"0x0200, PDU \d+ bytes, \d+ parallel jobs?: 1 tag in 1 round trip \(minimum 1\), ")
        self.assertNotIn("connection,", table.stdout, plc.describe(table))

    def test_rack_slot_and_tsaps_together_are_a_configuration_error(self):
        config = self.write_text(
            f'[[plc]]\nname = "logo"\nprotocol = "s7"\nhost = "127.0.0.1"\nport = {self.peer.port}\n'
            'slot = 2\nlocal_tsap = 0x0100\nremote_tsap = 0x0200\n\n'
            '[[tag]]\nname = "x"\nplc = "logo"\naddress = "DB10.DBD20"\n')
        proc = agent_process.run_agent("read", "--config", config)
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn(os.path.basename(config), proc.stderr)

    def test_malformed_address_names_the_position(self):
        config = self.config(self.peer.port, [("bad", "DB10.DBQ4", "")])
        proc = agent_process.run_agent("read", "--config", config)
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("DB10.DBQ4", proc.stderr)
        self.assertRegex(proc.stderr, r"position \d+|:\d+:\d+")


class S7ScatteredTagsTest(S7TestCase):
    """1,000 scattered tags over DB1..DB20 (the bench fill): every value exact, and the round
    trips the agent reports are the ones a relay counts on the wire."""

    TAG_COUNT = 1000

    @staticmethod
    def bench_byte(db: int, offset: int) -> int:
        return (db * 31 + offset * 7) & 0xFF  # tests/peers/s7_server.mjs, fill "bench"

    def expected(self, db: int, offset: int, bit: int, data_type: str):
        raw = bytes(self.bench_byte(db, offset + i) for i in range(4))
        if data_type == "BOOL":
            return bool(raw[0] >> bit & 1)
        if data_type == "INT":
            return struct.unpack(">h", raw[:2])[0]
        if data_type == "WORD":
            return struct.unpack(">H", raw[:2])[0]
        if data_type == "DINT":
            return struct.unpack(">i", raw)[0]
        return struct.unpack(">f", raw)[0]

    def scattered_tags(self):
        generator = random.Random(20261127)
        tags = []
        for index in range(self.TAG_COUNT):
            db = generator.randint(1, 20)
            data_type = generator.choice(["BOOL", "INT", "DINT", "REAL", "WORD"])
            offset = generator.randint(0, 1996)
            bit = generator.randint(0, 7)
            while data_type == "REAL" and not math.isfinite(self.expected(db, offset, 0, "REAL")):
                offset = (offset + 1) % 1997  # JSON has no NaN or infinity: take a finite neighbour
            width = {"BOOL": f"X{offset}.{bit}", "INT": f"W{offset}", "WORD": f"W{offset}"}.get(data_type, f"D{offset}")
            tags.append((f"tag{index:04d}", f"DB{db}.DB{width}", data_type, self.expected(db, offset, bit, data_type)))
        return tags

    def test_round_trips_reported_are_the_ones_on_the_wire(self):
        peer = self.start_server("bench")
        tags = self.scattered_tags()
        with plc.S7RequestCounter(peer.port) as counter:
            config = self.config(counter.port, tags, pdu_size=960, max_gap=16)
            result = plc.read_tags(config)
            time.sleep(0.2)
        self.assertEqual(result.returncode, 0, result.describe()[-4000:])
        for name, _, _, expected in tags:
            self.assert_good(result, name, expected)
        summary = result.plcs["press"]
        print(f"\n1,000 scattered tags: {summary}; relay counted {counter.read_requests} Read Var requests with "
              f"{counter.read_items} items", file=sys.stderr)
        self.assertEqual(summary["tags"], self.TAG_COUNT, summary)
        self.assertEqual(counter.connections, 1)
        self.assertEqual(summary["round_trips"], counter.read_requests, summary)
        self.assertEqual(summary["items"], counter.read_items, summary)
        self.assertGreaterEqual(summary["round_trips"], summary["minimum_round_trips"], summary)
        self.assertGreaterEqual(summary["minimum_round_trips"], 1, summary)
        # Fewer round trips than snap7's own client needs with one item per tag, 20 per call.
        self.assertLess(summary["round_trips"], self.TAG_COUNT // 20, summary)
        self.assertLess(summary["items"], self.TAG_COUNT, "close tags share items")


# The plant engineer's trial (tests/peers/s7_server.mjs, fill "trial": DB10 of 512 bytes, the word
# at offset n holds n): 22 good words DBW0..504 and DBW530, past the end of the data block.
TRIAL_TAGS = [(f"trial.w{offset}", f"DB10.DBW{offset}", "", offset) for offset in range(0, 505, 24)]
PAST_THE_END = ("trial.w530", "DB10.DBW530", "", 530)
PAST_THE_END_STATUS = (r"^PLC return code 0x05 \(address out of range\): DB10 may be shorter than this address "
                       r"\(its last byte is 531\), or it has \"Optimized block access\" on \(S7-1200/1500\)")


def reaches_past(items: list, length: int) -> list:
    """The items of one Read Var request (S7RequestCounter) reaching past byte `length` of DB10."""
    return [item for item in items if item[0] == 0x84 and item[1] == 10 and item[2] + item[3] > length]


class S7RefusedItemTest(S7TestCase):
    """A CPU refuses a whole item that reaches past the end of a data block: the refused item is
    split so that only the tag past the end is bad, and the plan does not send it again."""

    def test_one_tag_past_the_end_of_a_data_block_is_the_only_bad_tag(self):
        self.assertEqual(len(TRIAL_TAGS), 22)
        peer = self.start_server("trial")
        with plc.S7RequestCounter(peer.port) as counter:
            result = plc.read_tags(self.config(counter.port, TRIAL_TAGS + [PAST_THE_END]))
            time.sleep(0.2)
        self.assertEqual(result.returncode, 2, result.describe())
        for name, _, _, expected in TRIAL_TAGS:
            self.assert_good(result, name, expected)
        bad = result.row("trial.w530")
        self.assertEqual(bad["quality"], "bad", bad)
        self.assertIsNone(bad["value"], bad)
        self.assertRegex(bad["status"], PAST_THE_END_STATUS, bad)
        assert_time_is_now(self, bad["time"])
        # The retry's round trips are counted like the others.
        summary = result.plcs["press"]
        self.assertEqual(summary["round_trips"], counter.read_requests, summary)
        self.assertEqual(summary["items"], counter.read_items, summary)
        # At the default PDU of 960 bytes (snap7 grants it) all 23 words share one item, which the
        # server refuses; each tag was then read again in an item of its own, and no more.
        self.assertEqual(counter.read_item_lists[0], [(0x84, 10, 0, 532)], counter.read_item_lists)
        self.assertEqual(sum(len(items) for items in counter.read_item_lists[1:]), 23, counter.read_item_lists)
        refused = [items for items in counter.read_item_lists if reaches_past(items, 512)]
        self.assertEqual(len(refused), 2, counter.read_item_lists)  # the merged item, then DBW530 alone
        self.assertEqual(reaches_past(refused[1], 512), [(0x84, 10, 530, 2)], counter.read_item_lists)

    def test_the_status_of_a_missing_data_block_names_optimized_block_access(self):
        peer = self.start_server("trial")
        result = plc.read_tags(self.config(peer.port, [("missing", "DB11.DBW0", ""), TRIAL_TAGS[1]]))
        self.assertEqual(result.returncode, 2, result.describe())
        self.assertRegex(result.row("missing")["status"],
                         r"^PLC return code 0x0A \(object does not exist\): DB11 does not exist in the PLC, or it has "
                         r"\"Optimized block access\" on", result.describe())
        self.assert_good(result, TRIAL_TAGS[1][0], TRIAL_TAGS[1][3])


class S7DownTest(S7TestCase):
    def test_refused_connection_exits_1_with_a_clear_message(self):
        port = cloud.free_port()
        config = self.config(port, [("real", "DB10.DBD20", "REAL"), ("int", "DB10.DBW8", "INT")], timeout="2s")
        started = time.monotonic()
        result = plc.read_tags(config)
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 1, result.describe())
        self.assertLess(elapsed, 2 + 3, "refused at once, at the latest within the timeout")
        for tag in ("real", "int"):
            row = result.row(tag)
            self.assertEqual((row["quality"], row["value"]), ("bad", None), row)
            self.assertIn(f"127.0.0.1:{port}", row["status"], row)
            self.assertRegex(row["status"], r"(?i)refused|cannot connect|unreachable", row)
        summary = result.plcs["press"]
        self.assertFalse(summary["connected"], summary)
        self.assertIn(f"127.0.0.1:{port}", summary["error"], summary)

    def test_plc_connections_leave_from_the_automation_side_address(self):
        peer = self.start_server("known")
        tags = [{"name": "real", "plc": "press", "address": "DB10.DBD20", "type": "REAL"}]
        for local in ("127.0.0.1", "127.0.0.2"):
            with plc.S7RequestCounter(peer.port) as relay:
                config = plc.write_agent_config(self.tmp, [plc.s7_plc("press", relay.port)], tags,
                                                automation={"bind_address": local})
                result = plc.read_tags(config)
            self.assertEqual(result.returncode, 0, result.describe())
            self.assert_good(result, "real", 21.5)
            self.assertEqual(relay.client_addresses, [local], "the connection comes from the bind address")

    def test_an_automation_address_not_on_this_machine_cannot_bind(self):
        peer = self.start_server("known")
        tags = [{"name": "real", "plc": "press", "address": "DB10.DBD20", "type": "REAL"}]
        with plc.S7RequestCounter(peer.port) as relay:
            config = plc.write_agent_config(self.tmp, [plc.s7_plc("press", relay.port)], tags,
                                            automation={"bind_address": "192.0.2.1"})
            result = plc.read_tags(config)
        self.assertEqual(result.returncode, 1, result.describe())
        self.assertEqual(result.row("real")["quality"], "bad")
        self.assertRegex(result.plcs["press"]["error"], r"192\.0\.2\.1", result.describe())
        self.assertRegex(result.plcs["press"]["error"], r"(?i)bind", result.describe())
        self.assertEqual(relay.client_addresses, [], "nothing reached the network")

    def test_silent_peer_times_out_within_the_timeout(self):
        # Accepts TCP and never answers the COTP connection request.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            config = self.config(silent.getsockname()[1], [("real", "DB10.DBD20", "REAL")], timeout="1s")
            started = time.monotonic()
            result = plc.read_tags(config)
            elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 1, result.describe())
        self.assertGreaterEqual(elapsed, 0.9, "waited for the timeout")
        self.assertLess(elapsed, 1 + 3, "gave up after the timeout")
        self.assertRegex(result.row("real")["status"], r"(?i)no answer|timed? ?out", result.describe())
        self.assertFalse(result.plcs["press"]["connected"])


class S7WriteTest(S7TestCase):
    """Writes, read back by the agent and, byte for byte, by snap7's own client."""

    def setUp(self):
        super().setUp()
        self.peer = self.start_server("known")

    def raw(self, start: int, size: int, area: str = "DB", db: int = 10) -> bytes:
        return plc.snap7_read_raw(self.peer.port, area, start, size, db=db)

    def write_and_check(self, config: str, tag: str, text: str, expected, printed: str | None = None):
        proc = plc.write_tag(config, tag, text)
        self.assertEqual(proc.returncode, 0, plc.describe(proc))
        if printed is not None:
            self.assertEqual(proc.stdout.strip(), f"{tag} = {printed} (written, read back {printed})", proc.stdout)
        result = plc.read_tags(config, "--tag", tag)
        self.assertEqual(result.returncode, 0, result.describe())
        self.assert_good(result, tag, expected)

    def test_write_without_allow_write_is_refused(self):
        config = self.config(self.peer.port, [("int", "DB10.DBW8", "INT")])
        proc = plc.write_tag(config, "int", "7", allow_write=False)
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("logbot-agent: write changes the PLC's process data; add --allow-write to confirm", proc.stderr)
        self.assertEqual(self.raw(8, 2), b"\xff\xfe", "nothing written")

    def test_every_write_is_recorded_in_the_state_directory(self):
        config = self.config(self.peer.port, [("int", "DB10.DBW72", "INT"), ("gone", "DB11.DBW0", "INT")])
        state = os.path.join(self.tmp, "agent-state")
        self.assertEqual(plc.write_tag(config, "int", "-42", state_dir=state).returncode, 0)
        self.assertEqual(plc.write_tag(config, "gone", "1", state_dir=state).returncode, 1)
        self.assertEqual(plc.write_tag(config, "int", "5", allow_write=False, state_dir=state).returncode, 1)
        records = plc.write_records(state)
        self.assertEqual(len(records), 2, records)  # the unconfirmed one never reached the PLC
        first, second = records
        self.assertEqual((first["tag"], first["plc"], first["address"], first["value"]),
                         ("int", "press", "DB10.DBW72", "-42"))
        self.assertEqual((first["outcome"], first["read_back"]), ("written", "-42"))
        self.assertTrue(first["user"], first)
        assert_time_is_now(self, first["time"])
        self.assertRegex(second["outcome"], r"^refused: .*0x0A", second)
        self.assertEqual(os.stat(os.path.join(state, "writes.log")).st_mode & 0o777, 0o600)

    def test_a_write_that_cannot_be_recorded_is_not_made(self):
        config = self.config(self.peer.port, [("int", "DB10.DBW72", "INT")])
        state = os.path.join(self.tmp, "agent-state")
        os.makedirs(os.path.join(state, "writes.log"))  # the record cannot be opened
        proc = plc.write_tag(config, "int", "1234", state_dir=state)
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("cannot open the write record", proc.stderr)
        self.assertEqual(self.raw(72, 2), b"\x00\x00", "nothing written")

    def test_every_writable_type_round_trips(self):
        # (tag, address, type, text, expected read-back, start byte, expected bytes)
        cases = [
            ("byte", "DB10.DBB80", "BYTE", "200", 200, 80, bytes([200])),
            ("word", "DB10.DBW82", "WORD", "65535", 65535, 82, b"\xff\xff"),
            ("dword", "DB10.DBD84", "DWORD", "4294967295", 4294967295, 84, b"\xff\xff\xff\xff"),
            ("int", "DB10.DBW88", "INT", "-32768", -32768, 88, b"\x80\x00"),
            ("dint", "DB10.DBD90", "DINT", "-2147483648", -2147483648, 90, b"\x80\x00\x00\x00"),
            ("uint", "DB10.DBW94", "UINT", "54321", 54321, 94, struct.pack(">H", 54321)),
            ("udint", "DB10.DBD96", "UDINT", "3000000000", 3000000000, 96, struct.pack(">I", 3000000000)),
            ("real", "DB10.DBD100", "REAL", "-3.75", -3.75, 100, struct.pack(">f", -3.75)),
            ("lreal", "DB10.DBB104", "LREAL", "2.718281828459045", 2.718281828459045, 104,
             struct.pack(">d", 2.718281828459045)),
            ("time", "DB10.DBD112", "TIME", "T#1h2m3s4ms", 3723004, 112, struct.pack(">i", 3723004)),
            ("time_negative", "DB10.DBD116", "TIME", "-1500", -1500, 116, struct.pack(">i", -1500)),
            ("date", "DB10.DBW120", "DATE", "D#2030-01-31", "2030-01-31", 120,
             struct.pack(">H", (date(2030, 1, 31) - date(1990, 1, 1)).days)),
            # 2030-01-31 is a Thursday: weekday 5 (1 = Sunday) in the last nibble.
            ("date_and_time", "DB10.DBB122", "DATE_AND_TIME", "DT#2030-01-31-23:59:58.999",
             "2030-01-31T23:59:58.999", 122, bytes([0x30, 0x01, 0x31, 0x23, 0x59, 0x58, 0x99, 0x95])),
            ("string", "DB10.DBB130", "STRING[10]", "'abc'", "abc", 130, bytes([10, 3]) + b"abc"),
            ("char", "DB10.DBB142", "CHAR", "x", "x", 142, b"x"),
            ("m_word", "MW40", "WORD", "4660", 4660, None, None),
            ("q_byte", "QB10", "BYTE", "7", 7, None, None),
        ]
        config = self.config(self.peer.port, [(c[0], c[1], c[2]) for c in cases])
        for tag, _, _, text, expected, start, wire in cases:
            with self.subTest(tag=tag):
                self.write_and_check(config, tag, text, expected)
                if wire is not None:
                    self.assertEqual(self.raw(start, len(wire)).hex(), wire.hex())
        self.assertEqual(self.raw(40, 2, area="MK", db=0), b"\x12\x34")
        self.assertEqual(self.raw(10, 1, area="PA", db=0), b"\x07")
        # The known values next to the written range are untouched.
        self.assertEqual(self.raw(70, 1), b"Z")

    def test_every_tia_portal_type_round_trips(self):
        # (tag, address, type, text, expected read-back, start byte in DB15, expected bytes)
        cases = [
            ("sint", "%DB15.DBB100", "SINT", "-100", -100, 100, b"\x9c"),
            ("usint", "%DB15.DBB101", "USINT", "250", 250, 101, b"\xfa"),
            ("lint", "%DB15.DBB102", "LINT", "-9223372036854775808", -9223372036854775808, 102,
             struct.pack(">q", -9223372036854775808)),
            ("ulint", "%DB15.DBB110", "ULINT", "18446744073709551615", 18446744073709551615, 110, b"\xff" * 8),
            ("lword", "%DB15.DBB118", "LWORD", "16#DEAD_BEEF_CAFE_F00D", 0xDEADBEEFCAFEF00D, 118,
             bytes.fromhex("deadbeefcafef00d")),
            ("wchar", "%DB15.DBW126", "WCHAR", "'\u00e9'", "\u00e9", 126, b"\x00\xe9"),
            ("tod", "%DB15.DBD128", "TOD", "TOD#23:59:59.999", "23:59:59.999", 128, struct.pack(">I", 86399999)),
            ("ltime", "%DB15.DBB132", "LTIME", "LTIME#-1s500ms", -1500000000, 132, struct.pack(">q", -1500000000)),
            # 2030-01-31 is a Thursday: weekday 5 (1 = Sunday).
            ("dtl", "%DB15.DBB140", "DTL", "DTL#2030-01-31-23:59:58.5", "2030-01-31T23:59:58.500", 140,
             struct.pack(">HBBBBBBI", 2030, 1, 31, 5, 23, 59, 58, 500000000)),
            ("wstring", "%DB15.DBB152", "WSTRING[6]", "'Gr\u00fc\u00df'", "Gr\u00fc\u00df", 152,
             struct.pack(">HH", 6, 4) + "Grüß".encode("utf-16-be") + b"\x00" * 4),
        ]
        config = self.config(self.peer.port, [(c[0], c[1], c[2]) for c in cases])
        for tag, _, _, text, expected, start, wire in cases:
            with self.subTest(tag=tag):
                self.write_and_check(config, tag, text, expected)
                self.assertEqual(self.raw(start, len(wire), db=15).hex(), wire.hex())
        # The known values before the written range are untouched.
        self.assertEqual(self.raw(94, 6, db=15), bytes.fromhex("ffff0000012c"))

    def test_a_wstring_declared_otherwise_in_the_plc_is_not_written(self):
        # DB15.DBB52 holds a WSTRING[10]; a tag declared WSTRING[4] would write a wrong header.
        config = self.config(self.peer.port, [("w", "DB15.DBB52", "WSTRING[4]")])
        before = self.raw(52, 24, db=15)
        proc = plc.write_tag(config, "w", "'abc'")
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("the PLC declares this string as WSTRING[10]; set the tag's type to WSTRING[10]", proc.stderr)
        self.assertEqual(self.raw(52, 24, db=15), before, "nothing written")

    def test_an_array_write_is_refused_and_nothing_is_written(self):
        config = self.config(self.peer.port, [("reals", "DB15.DBD76", "REAL[4]")])
        before = self.raw(76, 16, db=15)
        proc = plc.write_tag(config, "reals", "1")
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertIn("writing an array tag is not supported yet", proc.stderr)
        self.assertEqual(self.raw(76, 16, db=15), before)

    def test_s5time_round_trips(self):
        config = self.config(self.peer.port, [("s5", "DB10.DBW150", "S5TIME")])
        for text, milliseconds in (("S5T#10s", 10000), ("S5T#2h46m30s", 9990000), ("120", 120)):
            with self.subTest(text=text):
                self.write_and_check(config, "s5", text, milliseconds)
                word = int.from_bytes(self.raw(150, 2), "big")
                base = [10, 100, 1000, 10000][word >> 12 & 3]
                digits = word & 0xFFF
                count = (digits >> 8) * 100 + (digits >> 4 & 0xF) * 10 + (digits & 0xF)
                self.assertEqual(count * base, milliseconds, f"S5TIME word {word:04x}")

    def test_bit_write_leaves_the_neighbour_bits_alone(self):
        tags = [("byte", "DB10.DBB160", "")] + [(f"bit{b}", f"DB10.DBX160.{b}", "") for b in range(8)]
        tags += [("m_byte", "MB50", ""), ("m_bit3", "M50.3", "")]
        config = self.config(self.peer.port, tags)
        self.write_and_check(config, "byte", "165", 0xA5, printed="165")  # 1010 0101
        self.write_and_check(config, "bit1", "TRUE", True, printed="TRUE")
        self.write_and_check(config, "bit7", "0", False)
        result = plc.read_tags(config)
        self.assertEqual(result.returncode, 0, result.describe())
        self.assert_good(result, "byte", 0x27)  # 0010 0111
        for bit in range(8):
            self.assert_good(result, f"bit{bit}", bool(0x27 >> bit & 1))
        self.assertEqual(self.raw(160, 1), b"\x27")
        self.assertEqual(self.raw(159, 1) + self.raw(161, 1), b"\x00\x00", "neighbour bytes untouched")

        self.write_and_check(config, "m_byte", "255", 255)
        self.write_and_check(config, "m_bit3", "FALSE", False)
        self.assertEqual(self.raw(50, 1, area="MK", db=0), b"\xf7")

    def test_a_value_the_type_cannot_hold_is_refused(self):
        config = self.config(self.peer.port, [("byte", "DB10.DBB170", "BYTE"), ("string", "DB10.DBB172", "STRING[4]"),
                                              ("int", "DB10.DBW8", "INT")])
        for tag, text in (("byte", "256"), ("byte", "-1"), ("string", "'too long'"), ("int", "abc")):
            with self.subTest(tag=tag, text=text):
                proc = plc.write_tag(config, tag, text)
                self.assertNotEqual(proc.returncode, 0, plc.describe(proc))
                self.assertTrue(proc.stderr.strip(), "says why")
        self.assertEqual(self.raw(170, 1) + self.raw(8, 2), b"\x00\xff\xfe", "nothing written")

    def test_write_to_a_missing_data_block_names_the_return_code(self):
        config = self.config(self.peer.port, [("missing", "DB3.DBW0", "INT")])
        proc = plc.write_tag(config, "missing", "1")
        self.assertEqual(proc.returncode, 1, plc.describe(proc))
        self.assertRegex(proc.stderr, r"(?i)0x0A")


class S7RunTest(S7TestCase):
    """`logbot-agent run` polls the PLC: connection events and poll statistics in its log, a
    disconnection when the PLC goes away and a reconnection when it is back on the same port."""

    def enrolled_agent(self, port: int, tags: list | None = None, env: dict | None = None,
                       **plc_settings) -> agent_process.AgentProcess:
        """Enrols an agent at a fresh cloud and starts `logbot-agent run` polling two tags (or
        `tags`, rows of (name, address, type, ...)) of an S7 PLC at 127.0.0.1:port every 100 ms,
        with statistics every second."""
        server = cloud.CloudServer(["--device-listen", "127.0.0.1:0"])
        server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)
        server.start()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        resp = alice.post(f"/api/v1/orgs/{org.id}/devices", {"name": "press 1", "site": "plant 1"})
        self.assertEqual(resp.status, 201, str(resp))
        state = os.path.join(self.tmp, "state")
        enrol = agent_process.run_agent("enroll", "--token", resp.json()["enrolment_token"], "--state-dir", state)
        self.assertEqual(enrol.returncode, 0, plc.describe(enrol))

        config = plc.write_agent_config(
            self.tmp, [plc.s7_plc("press", port, timeout="1s", reconnect_min="200ms", reconnect_max="1s", **plc_settings)],
            [{"name": "press.real", "plc": "press", "address": "DB10.DBD20", "type": "REAL", "group": "fast"},
             {"name": "press.flag", "plc": "press", "address": "M0.7", "group": "fast"}] if tags is None else
            [dict({"name": name, "plc": "press", "address": address, "group": "fast"}, **({"type": t} if t else {}))
             for name, address, t, *_ in tags],
            poll_groups={"fast": {"interval": "100ms", "report": "always"}})
        agent = agent_process.AgentProcess("--state-dir", state, "--config", config, "--statistics-interval", "1",
                                 log_dir=self.tmp, env=env)
        self.addCleanup(agent.stop)
        return agent

    def wait_log(self, agent: agent_process.AgentProcess, pattern: str, count: int = 1, timeout: float = 15) -> str:
        return agent.wait_for_log(pattern, timeout, count)

    def test_run_logs_connection_events_and_statistics(self):
        peer = self.start_server("known")
        agent = self.enrolled_agent(peer.port)

        def wait_log(pattern: str, count: int = 1, timeout: float = 15) -> str:
            return self.wait_log(agent, pattern, count, timeout)

        connected = rf"PLC press: connected \(S7 127\.0\.0\.1:{peer.port} rack 0 slot 1, OP connection, PDU \d+ bytes"
        statistics = (r"poll group fast: (\d+) cycles, 1 round trips/cycle \(minimum 1\), jitter mean [\d.]+ ms "
                      r"p99 [\d.]+ ms max [\d.]+ ms, \d+ overruns \(PLC press, 2 tags")
        wait_log(connected)
        log = wait_log(statistics, count=2)
        cycles = [int(n) for n in re.findall(statistics, log)]
        self.assertGreater(cycles[-1], cycles[0], "the statistics count the cycles")

        port = peer.port
        peer.proc.kill()  # the PLC goes away without a goodbye
        peer.proc.wait(timeout=10)
        wait_log(rf"PLC press: disconnected: .*127\.0\.0\.1:{port}", timeout=10)
        # The PLC is away: reconnection attempts fail and are retried, the agent keeps running.
        time.sleep(1.5)
        self.assertTrue(agent.running, agent.describe())

        plc.start_s7_peer("known", port=port, cleanup=self.addCleanup)
        wait_log(connected, count=2, timeout=15)
        wait_log(r"\(PLC press, 2 tags, 1 reconnects\)", timeout=10)
        self.assertEqual(agent.stop(), 0, agent.describe())


    def test_run_with_explicit_tsaps_names_them_and_no_connection_type(self):
        peer = self.start_server("known")
        agent = self.enrolled_agent(peer.port, local_tsap=0x0100, remote_tsap=0x0200)
        log = self.wait_log(agent, rf"PLC press: connected \(S7 127\.0\.0\.1:{peer.port} local TSAP 0x0100 remote TSAP "
                                   r"0x0200, PDU \d+ bytes, \d+ parallel jobs?\)")
        self.wait_log(agent, r"poll group fast: \d+ cycles, 1 round trips/cycle \(minimum 1\)")
        self.assertNotIn(" connection, PDU", log, agent.describe())

    def test_run_does_not_send_a_refused_item_again_and_relearns_after_a_reconnect(self):
        peer = self.start_server("trial")
        with plc.S7RequestCounter(peer.port) as counter:
            agent = self.enrolled_agent(counter.port, TRIAL_TAGS + [PAST_THE_END], env={"SPDLOG_LEVEL": "debug"})
            bad_line = r"tag trial\.w530 \(DB10\.DBW530\) is bad: PLC return code 0x05 \(address out of range\): DB10"
            self.wait_log(agent, bad_line)
            self.wait_log(agent, r"tag trial\.w504 = 504 at ", count=10)  # ten cycles with the good tags
            time.sleep(0.3)
            with counter._lock:
                lists = list(counter.read_item_lists)
            self.assertGreaterEqual(len(lists), 10, lists)
            refused = [i for i, items in enumerate(lists) if reaches_past(items, 512)]
            # The merged item once (the first request), DBW530 alone once in the retry of the same
            # cycle (one of the next two requests: 23 items, 20 a request), never again.
            self.assertEqual(len(refused), 2, lists[:5])
            self.assertEqual(refused[0], 0, lists[:5])
            self.assertLessEqual(refused[1], 2, lists[:5])
            self.assertEqual(reaches_past(lists[refused[1]], 512), [(0x84, 10, 530, 2)], lists[:5])
            log = agent.log_text()
            self.assertEqual(len(re.findall(bad_line, log)), 1, "the bad tag is logged once, with its hint")
            self.assertNotRegex(log, r"tag trial\.w(?!530)\d+ \(DB10\.DBW\d+\) is bad", agent.describe())

            # The data block is downloaded again with 1,024 bytes; after the reconnect the agent
            # tries the whole plan again and DBW530 reads.
            port = peer.port
            peer.proc.kill()
            peer.proc.wait(timeout=10)
            self.wait_log(agent, r"PLC press: disconnected", timeout=10)
            plc.start_s7_peer("trial", port=port, cleanup=self.addCleanup, db_bytes=1024)
            self.wait_log(agent, r"PLC press: connected", count=2, timeout=15)
            self.wait_log(agent, r"tag trial\.w530 = 530 at ", timeout=10)
        self.assertEqual(agent.stop(), 0, agent.describe())

    def test_run_keeps_trying_a_plc_that_is_unreachable_at_start(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()  # nothing listens there until the PLC starts below
        agent = self.enrolled_agent(port)
        down = rf"PLC press: disconnected: .*127\.0\.0\.1:{port}"
        self.wait_log(agent, down, timeout=10)
        # Several failed attempts (reconnect_min 200 ms, at most 1 s apart), one log line:
        # the connection state is reported when it changes, not on every retry.
        time.sleep(2.5)
        self.assertTrue(agent.running, agent.describe())
        self.assertEqual(len(re.findall(down, agent.log_text())), 1, agent.describe())

        self.start_server("known", port=port)
        self.wait_log(agent, rf"PLC press: connected \(S7 127\.0\.0\.1:{port} ", timeout=15)
        self.wait_log(agent, r"poll group fast: \d+ cycles, 1 round trips/cycle", timeout=10)
        self.assertEqual(agent.stop(), 0, agent.describe())


if __name__ == "__main__":
    unittest.main()
