"""Integration tests of the audit log: hash-chain verification (`logbot-cloud audit verify`) against
real tampering with the sqlite3 CLI, append-only triggers, the anchor file that catches truncation
and wipes, the account log API and its exports, the organisation audit with its filters, and the
events that record what half-succeeded or was refused (LOGIN_INCOMPLETE, ACCESS_DENIED, the
address lockout's count).

Run: /usr/bin/python3 -m unittest -v tests/integration/test_audit.py   (from the repository root)
"""

import csv
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import pyotp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cloud  # noqa: E402
from cloud import DEFAULT_PASSWORD  # noqa: E402

SQLITE = shutil.which("sqlite3") or "/usr/bin/sqlite3"
EVENT_FIELDS = {"seq", "time", "event", "ip", "client", "details", "username", "org_id", "actor_type"}


def sqlite_cli(db, sql, timeout=20):
    return subprocess.run([SQLITE, db, sql], capture_output=True, text=True, timeout=timeout)


def populate(server, org):
    """Logins, logouts and member changes, with small pauses so that events get distinct times."""
    alice = server.login("alice@example.com")
    time.sleep(0.02)
    member = alice.add_member(org.id, "bert@example.com", "viewer")
    time.sleep(0.02)
    bert = server.login("bert@example.com")
    time.sleep(0.02)
    r = alice.patch(f"/api/v1/orgs/{org.id}/members/{member['user_id']}", {"role": "engineer"})
    assert r.status == 200, str(r)
    time.sleep(0.02)
    bert.logout()
    server.client().login("alice@example.com", "wrong password, surely", expect=401)
    time.sleep(0.02)
    server.login("alice@example.com", client_kind="cli")
    alice.add_member(org.id, "temp@example.com", "viewer")
    temp_id = [m for m in alice.get_json(f"/api/v1/orgs/{org.id}/members")["members"]
               if m["email"] == "temp@example.com"][0]["user_id"]
    r = alice.delete(f"/api/v1/orgs/{org.id}/members/{temp_id}")
    assert r.status == 204, str(r)
    alice.logout()


class VerifyTest(unittest.TestCase):
    """A populated data directory is built once; every tampering case works on its own copy."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="logbot-audit-")
        cls.pristine = os.path.join(cls.tmp, "pristine")
        with cloud.CloudServer(data_dir=cls.pristine) as srv:
            org = srv.create_org("acme", "alice@example.com")
            srv.start()
            populate(srv, org)
            running = srv.audit_verify()
            cls.verify_while_running = running
        # The server has exited (SIGTERM, code 0 checked by the context manager).

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def copy(self):
        dst = tempfile.mkdtemp(prefix="case-", dir=self.tmp)
        shutil.rmtree(dst)
        shutil.copytree(self.pristine, dst)
        return dst

    def verify(self, data_dir):
        return cloud.run_cli(["audit", "verify", "--data-dir", data_dir])

    def row_count(self, data_dir):
        with sqlite3.connect(os.path.join(data_dir, "logbot.db")) as db:
            return db.execute("SELECT count(*) FROM audit_events").fetchone()[0]

    def assert_intact(self, proc, entries):
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        out = proc.stdout + proc.stderr
        self.assertRegex(out, rf"audit log intact: {entries} entries", cloud.describe(proc))

    def assert_broken_at(self, proc, seq):
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        out = proc.stdout + proc.stderr
        m = re.search(r"first broken entry: seq (\d+)", out)
        self.assertIsNotNone(m, "verify must name 'first broken entry: seq N':\n" + cloud.describe(proc))
        self.assertEqual(int(m.group(1)), seq, cloud.describe(proc))
        self.assertNotIn("intact", out)

    def tamper(self, sql):
        d = self.copy()
        proc = sqlite_cli(os.path.join(d, "logbot.db"), sql)
        self.assertEqual(proc.returncode, 0, f"sqlite3 tampering failed: {proc.stderr}")
        return d

    # ------------------------------------------------------------------------------------------
    def test_verify_intact_while_stopped_and_while_running(self):
        n = self.row_count(self.pristine)
        self.assertGreaterEqual(n, 10, "populate() should have written at least 10 audit events")
        self.assert_intact(self.verify_while_running, n)
        self.assert_intact(self.verify(self.pristine), n)

    def test_chain_columns_are_present(self):
        with sqlite3.connect(os.path.join(self.pristine, "logbot.db")) as db:
            rows = db.execute("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq").fetchall()
        self.assertEqual([r[0] for r in rows], list(range(rows[0][0], rows[0][0] + len(rows))), "seq has gaps")
        for (seq, prev, h), (_, next_prev, _) in zip(rows, rows[1:]):
            self.assertTrue(h, f"seq {seq} has no hash")
            self.assertEqual(next_prev, h, f"prev_hash of seq {seq + 1} is not the hash of seq {seq}")
        self.assertEqual(len({r[2] for r in rows}), len(rows), "hashes must be unique")

    def test_modified_row_is_named(self):
        d = self.tamper("DROP TRIGGER audit_events_no_update; "
                        "UPDATE audit_events SET details='auth_method=password, username=mallory' WHERE seq=3;")
        self.assert_broken_at(self.verify(d), 3)

    def test_modified_time_is_named(self):
        d = self.tamper("DROP TRIGGER audit_events_no_update; UPDATE audit_events SET time_ms=time_ms+1 WHERE seq=5;")
        self.assert_broken_at(self.verify(d), 5)

    def test_deleted_row_is_named(self):
        # verify names the deleted seq itself and the next stored entry:
        # "first broken entry: seq 3: entry 3 is missing (deleted); the next stored entry is 4".
        d = self.tamper("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq=3;")
        proc = self.verify(d)
        self.assert_broken_at(proc, DELETED_ROW_REPORTED_SEQ)
        out = proc.stdout + proc.stderr
        self.assertRegex(out, r"missing|deleted", cloud.describe(proc))
        self.assertRegex(out, r"\b4\b", "the message should name the next stored entry (4)")

    def test_deleted_first_row_is_named(self):
        d = self.tamper("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq=1;")
        self.assert_broken_at(self.verify(d), 1)

    def test_swapped_rows_are_named(self):
        d = self.tamper("DROP TRIGGER audit_events_no_update; "
                        "UPDATE audit_events SET seq=-3 WHERE seq=3; "
                        "UPDATE audit_events SET seq=3 WHERE seq=4; "
                        "UPDATE audit_events SET seq=4 WHERE seq=-3;")
        self.assert_broken_at(self.verify(d), 3)

    def test_forged_appended_row_is_named(self):
        n_max = sqlite_cli(os.path.join(self.pristine, "logbot.db"), "SELECT max(seq) FROM audit_events;").stdout.strip()
        last = int(n_max)
        d = self.tamper(
            "INSERT INTO audit_events(seq, time_ms, event, actor_type, user_id, username, org_id, ip, client, details, "
            "prev_hash, hash) SELECT seq+1, time_ms+1, 'LOGIN', actor_type, user_id, 'mallory', org_id, ip, client, "
            f"'auth_method=password, username=mallory', prev_hash, hash FROM audit_events WHERE seq={last};")
        self.assert_broken_at(self.verify(d), last + 1)

    def test_forger_without_the_key_is_named(self):
        # Rewrite entry 4 with a hash recomputed by the documented canonical form (unkeyed
        # SHA-256 and HMAC under a guessed key): without the server's key it cannot match.
        d = self.copy()
        db = os.path.join(d, "logbot.db")
        with sqlite3.connect(db) as conn:
            cols = ("seq", "time_ms", "event", "actor_type", "user_id", "username", "org_id", "ip", "client",
                    "details", "prev_hash")
            stored = conn.execute(f"SELECT {', '.join(cols)}, hash FROM audit_events WHERE seq=4").fetchone()
        row = dict(zip(cols, stored))

        def field(v):
            return "-\n" if v is None else f"{len(str(v).encode())}:{v}\n"

        def canonical():
            return ("logbot-audit-v2\n" + "".join(field(row[c]) for c in cols)).encode()

        # The form is reproduced right: with the server's own key it gives the stored hash.
        with open(os.path.join(d, "keys", "audit-chain.key")) as f:
            real_key = bytes.fromhex(f.read().strip())
        self.assertEqual(hmac.new(real_key, canonical(), hashlib.sha256).hexdigest(), stored[-1])
        row["details"] = "auth_method=password, username=mallory"
        forged_text = canonical()
        for forged in (hashlib.sha256(forged_text).hexdigest(),
                       hmac.new(b"k" * 32, forged_text, hashlib.sha256).hexdigest()):
            with self.subTest(forged=forged[:12]):
                proc = sqlite_cli(db, "DROP TRIGGER IF EXISTS audit_events_no_update; "
                                      f"UPDATE audit_events SET details='{row['details']}', hash='{forged}' WHERE seq=4;")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assert_broken_at(self.verify(d), 4)

    def test_chain_key_is_outside_the_database_and_private(self):
        key = os.path.join(self.pristine, "keys", "audit-chain.key")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        with open(key) as f:
            secret = f.read().strip()
        self.assertRegex(secret, r"^[0-9a-f]{64}$")
        with open(os.path.join(self.pristine, "logbot.db"), "rb") as f:
            self.assertNotIn(secret.encode(), f.read())
        # verify needs the server's key, and says so clearly instead of making a new one.
        d = self.copy()
        os.remove(os.path.join(d, "keys", "audit-chain.key"))
        proc = self.verify(d)
        self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("audit-chain.key", proc.stdout + proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "keys", "audit-chain.key")))

    def test_server_refuses_to_start_without_the_chain_key_it_wrote_with(self):
        # After a restore that forgot the key directory, a new key would silently break the
        # chain: the server names the missing key file instead and does not start.
        d = self.copy()
        os.remove(os.path.join(d, "keys", "audit-chain.key"))
        proc = cloud.run_cli(["serve", "--data-dir", d, "--listen", "127.0.0.1:0"], timeout=20)
        self.assertNotEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("audit-chain.key", proc.stdout + proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "keys", "audit-chain.key")))

    def test_append_only_triggers_block_update_and_delete(self):
        d = self.copy()
        db = os.path.join(d, "logbot.db")
        before = sqlite_cli(db, "SELECT * FROM audit_events WHERE seq=3;").stdout
        upd = sqlite_cli(db, "UPDATE audit_events SET details='x' WHERE seq=3;")
        self.assertNotEqual(upd.returncode, 0, f"UPDATE succeeded: {upd}")
        dele = sqlite_cli(db, "DELETE FROM audit_events WHERE seq=3;")
        self.assertNotEqual(dele.returncode, 0, f"DELETE succeeded: {dele}")
        dele_all = sqlite_cli(db, "DELETE FROM audit_events;")
        self.assertNotEqual(dele_all.returncode, 0, f"DELETE succeeded: {dele_all}")
        self.assertEqual(sqlite_cli(db, "SELECT * FROM audit_events WHERE seq=3;").stdout, before)
        self.assert_intact(self.verify(d), self.row_count(d))


    # -- the anchor: the chain head outside the database ---------------------------------------
    def anchor_path(self, data_dir):
        return os.path.join(data_dir, "keys", "audit-anchor.log")

    def test_every_entry_is_anchored_next_to_the_key(self):
        path = self.anchor_path(self.pristine)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            lines = f.read().splitlines()
        with sqlite3.connect(os.path.join(self.pristine, "logbot.db")) as db:
            rows = db.execute("SELECT seq, hash FROM audit_events ORDER BY seq").fetchall()
        self.assertEqual(len(lines), len(rows))
        with open(os.path.join(self.pristine, "keys", "audit-chain.key")) as f:
            key = bytes.fromhex(f.read().strip())
        for line, (seq, h) in zip(lines, rows):
            version, a_seq, a_time, a_hash, mac = line.split(" ")
            self.assertEqual((version, int(a_seq), a_hash), ("v1", seq, h))
            # Keyed: the MAC is HMAC-SHA-256 under the audit key (checked here independently).
            expected = hmac.new(key, f"logbot-audit-anchor-v1\n{a_seq}\n{a_time}\n{a_hash}\n".encode(),
                                hashlib.sha256).hexdigest()
            self.assertEqual(mac, expected)
        self.assertRegex(self.verify(self.pristine).stdout, r"anchor .*all present")

    def test_deleted_newest_entries_are_named(self):
        n = self.row_count(self.pristine)
        d = self.tamper(f"DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq > {n - 3};")
        # The chain alone is intact: that is the gap the anchor closes.
        self.assertEqual(cloud.run_cli(["audit", "verify", "--data-dir", d, "--anchor", os.devnull]).returncode, 0)
        proc = self.verify(d)
        self.assert_broken_at(proc, n - 2)
        self.assertIn(f"ends at seq {n - 3}", proc.stdout)
        self.assertIn(f"recorded seq {n}", proc.stdout)

    def test_wiped_log_is_named(self):
        n = self.row_count(self.pristine)
        d = self.tamper("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events;")
        self.assertEqual(self.row_count(d), 0)
        proc = self.verify(d)
        self.assert_broken_at(proc, 1)
        self.assertIn("wiped", proc.stdout)
        self.assertIn(f"recorded seq {n}", proc.stdout)

    def test_wiped_then_restarted_log_is_named(self):
        # The server goes on from seq 1 after a wipe: a new, consistent chain that the anchor refutes.
        d = self.tamper("DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events;")
        with cloud.CloudServer(data_dir=d) as srv:
            srv.start()
            srv.client().login("alice@example.com")
        proc = self.verify(d)
        self.assert_broken_at(proc, 1)
        self.assertIn("differs from the one the anchor recorded", proc.stdout)

    def test_an_anchor_copy_elsewhere_is_used_with_the_flag(self):
        n = self.row_count(self.pristine)
        d = self.tamper(f"DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq > {n - 1};")
        shipped = os.path.join(d, "shipped-anchor.log")
        shutil.copy(self.anchor_path(d), shipped)
        os.remove(self.anchor_path(d))  # the attacker also removed the local one
        proc = self.verify(d)
        self.assert_intact(proc, n - 1)
        self.assertIn("no audit anchor", proc.stderr)
        proc = cloud.run_cli(["audit", "verify", "--data-dir", d, "--anchor", shipped])
        self.assert_broken_at(proc, n)
        missing = cloud.run_cli(["audit", "verify", "--data-dir", d, "--anchor", shipped + ".nope"])
        self.assertEqual(missing.returncode, 1, cloud.describe(missing))
        self.assertIn("cannot read", missing.stderr)

    def test_torn_last_anchor_line_is_ignored_with_a_warning(self):
        n = self.row_count(self.pristine)
        d = self.copy()
        with open(self.anchor_path(d), "a") as f:
            f.write(f"v1 {n + 1} 1800000000000 abcdef")  # the server died in the middle of a write
        proc = self.verify(d)
        self.assert_intact(proc, n)
        self.assertRegex(proc.stderr, r"warning: .*line \d+ is incomplete")
        # A torn line never hides a truncation.
        sqlite_cli(os.path.join(d, "logbot.db"), f"DROP TRIGGER audit_events_no_delete; DELETE FROM audit_events WHERE seq = {n};")
        self.assert_broken_at(self.verify(d), n)

    def test_edited_anchor_line_is_named(self):
        d = self.copy()
        path = self.anchor_path(d)
        with open(path) as f:
            lines = f.readlines()
        parts = lines[1].split(" ")
        parts[1] = "999"
        lines[1] = " ".join(parts)
        with open(path, "w") as f:
            f.writelines(lines)
        proc = self.verify(d)
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertIn("cannot be trusted: line 2", proc.stdout)
        self.assertNotIn("intact", proc.stdout)


# How the server reports a deleted row (its verify message): the missing seq itself,
# "first broken entry: seq 3: entry 3 is missing (deleted); the next stored entry is 4".
DELETED_ROW_REPORTED_SEQ = 3


class AccountLogTest(cloud.ServerTestCase):
    @classmethod
    def populate(cls):
        cls.org = cls.server.create_org("acme", "alice@example.com")
        cls.server.start()
        populate(cls.server, cls.org)  # the module-level populate() above
        cls.alice = cls.server.login("alice@example.com")
        cls.viewer = cls.server.login("bert@example.com")  # engineer after populate()
        cls.alice.add_member(cls.org.id, "vera@example.com", "viewer")
        cls.vera = cls.server.login("vera@example.com")

    def test_own_events_newest_first_with_fields(self):
        c = self.server.login("alice@example.com")
        events = c.get_json("/api/v1/me/audit")["events"]
        self.assertTrue(events)
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs, reverse=True), "events must be newest first")
        for e in events:
            self.assertEqual(set(e) & EVENT_FIELDS, EVENT_FIELDS, f"missing fields in {e}")
            cloud.parse_iso(e["time"])
        login = events[0]
        self.assertEqual(login["event"], "LOGIN", events[:3])
        self.assertEqual(login["client"], "web")
        self.assertEqual(login["ip"], "127.0.0.1")
        details = cloud.parse_details(login["details"])
        self.assertEqual(details.get("auth_method"), "password", login)
        self.assertEqual(details.get("username"), "alice@example.com", login)
        self.assertAlmostEqual(cloud.parse_iso(login["time"]), time.time(), delta=30)
        kinds = {e["event"] for e in events}
        for needed in ("LOGIN", "LOGOUT", "LOGIN_ERROR"):
            self.assertIn(needed, kinds)
        # Only alice's own events.
        for e in events:
            self.assertIn(e["username"], ("alice@example.com", None, ""), f"foreign event in account log: {e}")

    def test_cli_client_header_is_recorded(self):
        c = self.server.login("alice@example.com", client_kind="cli")
        events = c.get_json("/api/v1/me/audit")["events"]
        self.assertEqual(events[0]["event"], "LOGIN")
        self.assertEqual(events[0]["client"], "cli")
        sessions = c.get_json("/api/v1/me/sessions")["sessions"]
        self.assertEqual([s["client"] for s in sessions if s["current"]], ["cli"])

    def test_logout_is_recorded(self):
        c = self.server.login("alice@example.com")
        sid = c.me()["session"]["id"]
        c.logout()
        events = self.alice.get_json("/api/v1/me/audit")["events"]
        logout = [e for e in events if e["event"] == "LOGOUT"]
        self.assertTrue(logout)
        self.assertEqual(logout[0]["ip"], "127.0.0.1")
        self.assertTrue(sid)

    def test_csv_export(self):
        resp = self.alice.get("/api/v1/me/audit?format=csv")
        self.assertEqual(resp.status, 200, str(resp))
        self.assertIn("text/csv", resp.header("Content-Type") or "")
        lines = resp.text.splitlines()
        self.assertEqual(lines[0].strip(), "Date,Event,IP,Client,Details,User,Actor,Seq")
        rows = list(csv.reader(io.StringIO(resp.text)))[1:]
        rows = [r for r in rows if r]
        events = self.alice.get_json("/api/v1/me/audit")["events"]
        self.assertEqual(len(rows), len(events))
        for row, e in zip(rows, events):
            self.assertEqual(len(row), 8, f"CSV row must have 8 columns (details quoted): {row}")
            self.assertEqual(row[1], e["event"])
            self.assertEqual(row[2], e["ip"] or "")
            self.assertEqual(row[3], e["client"] or "")
            self.assertEqual(row[4], e["details"] or "")
            self.assertEqual(row[5], e["username"] or "")
            self.assertEqual(row[6], e["actor_type"])
            self.assertEqual(row[7], str(e["seq"]))
        self.assertTrue(any(", " in r[4] for r in rows), "a details value with ', ' must survive CSV quoting")

    def test_jsonl_export(self):
        resp = self.alice.get("/api/v1/me/audit?format=jsonl")
        self.assertEqual(resp.status, 200, str(resp))
        lines = [l for l in resp.text.split("\n") if l.strip()]
        parsed = [json.loads(l) for l in lines]
        events = self.alice.get_json("/api/v1/me/audit")["events"]
        self.assertEqual([p["seq"] for p in parsed], [e["seq"] for e in events])
        self.assertEqual(parsed[0]["event"], events[0]["event"])

    def test_paging(self):
        events = self.alice.get_json("/api/v1/me/audit")["events"]
        self.assertGreaterEqual(len(events), 3)
        first2 = self.alice.get_json("/api/v1/me/audit?limit=2")["events"]
        self.assertEqual([e["seq"] for e in first2], [e["seq"] for e in events[:2]])
        nxt = self.alice.get_json(f"/api/v1/me/audit?limit=2&before={first2[-1]['seq']}")["events"]
        self.assertEqual([e["seq"] for e in nxt], [e["seq"] for e in events[2:4]])

    def test_org_audit_lists_member_changes(self):
        events = self.alice.get_json(f"/api/v1/orgs/{self.org.id}/audit?limit=1000")["events"]
        kinds = [e["event"] for e in events]
        for needed in ("INVITATION_CREATED", "INVITATION_ACCEPTED", "MEMBER_ADDED", "ROLE_CHANGED", "MEMBER_REMOVED"):
            self.assertIn(needed, kinds)
        # Only what happened in the organisation: the members' logins are their account events.
        for account_event in ("LOGIN", "LOGOUT", "LOGIN_ERROR"):
            self.assertNotIn(account_event, kinds)
        self.assertEqual({e["org_id"] for e in events}, {self.org.id})
        role = [e for e in events if e["event"] == "ROLE_CHANGED"][0]
        self.assertIn("role_before=viewer", role["details"])
        self.assertIn("role_after=engineer", role["details"])
        seqs = [e["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs, reverse=True))

    def test_org_audit_filters(self):
        base = f"/api/v1/orgs/{self.org.id}/audit"
        all_events = self.alice.get_json(base + "?limit=1000")["events"]
        added = self.alice.get_json(base + "?event=MEMBER_ADDED&limit=1000")["events"]
        self.assertTrue(added)
        self.assertTrue(all(e["event"] == "MEMBER_ADDED" for e in added), added)
        self.assertEqual(len(added), sum(e["event"] == "MEMBER_ADDED" for e in all_events))
        berts = self.alice.get_json(base + "?user=" + urllib.parse.quote("bert@example.com") + "&limit=1000")["events"]
        self.assertTrue(berts)
        self.assertLess(len(berts), len(all_events))
        self.assertTrue(all("bert@example.com" in (e["username"] or "") + (e["details"] or "") for e in berts), berts)
        both = self.alice.get_json(base + "?event=INVITATION_ACCEPTED&user=" + urllib.parse.quote("bert@example.com"))["events"]
        self.assertTrue(both)
        self.assertTrue(all(e["event"] == "INVITATION_ACCEPTED" and e["username"] == "bert@example.com" for e in both),
                        both)

        # A cut between two events with distinct times (>= 2 ms apart).
        ordered = sorted(all_events, key=lambda e: e["seq"])
        times = [cloud.parse_iso(e["time"]) for e in ordered]
        cut = None
        for i in range(len(times) // 3, len(times) - 1):
            if times[i + 1] - times[i] >= 0.002:
                cut = (times[i] + times[i + 1]) / 2
                break
        self.assertIsNotNone(cut, "no two adjacent events with distinct times")
        cut_iso = cloud.format_iso(cut)
        cut = cloud.parse_iso(cut_iso)
        after = [e["seq"] for e in ordered if cloud.parse_iso(e["time"]) > cut]
        before = [e["seq"] for e in ordered if cloud.parse_iso(e["time"]) < cut]
        got_from = self.alice.get_json(base + "?limit=1000&from=" + urllib.parse.quote(cut_iso))["events"]
        got_to = self.alice.get_json(base + "?limit=1000&to=" + urllib.parse.quote(cut_iso))["events"]
        # Events after the request above (the audit reads themselves are not events) are excluded.
        self.assertEqual(sorted(e["seq"] for e in got_from if e["seq"] <= ordered[-1]["seq"]), after)
        self.assertEqual(sorted(e["seq"] for e in got_to), before)
        window = self.alice.get_json(base + "?limit=1000&from=" + urllib.parse.quote(ordered[0]["time"]) + "&to="
                                     + urllib.parse.quote(cut_iso))["events"]
        self.assertEqual(sorted(e["seq"] for e in window), before)

    def test_org_audit_csv(self):
        resp = self.alice.get(f"/api/v1/orgs/{self.org.id}/audit?format=csv&event=ROLE_CHANGED")
        self.assertEqual(resp.status, 200, str(resp))
        rows = [r for r in csv.reader(io.StringIO(resp.text)) if r]
        self.assertEqual(rows[0], ["Date", "Event", "IP", "Client", "Details", "User", "Actor", "Seq"])
        self.assertTrue(rows[1:])
        self.assertTrue(all(r[1] == "ROLE_CHANGED" for r in rows[1:]))

    def test_viewer_and_engineer_cannot_read_org_audit(self):
        for name, c in (("viewer", self.vera), ("engineer", self.viewer)):
            with self.subTest(role=name):
                resp = c.get(f"/api/v1/orgs/{self.org.id}/audit")
                self.assertEqual(resp.status, 403, str(resp))
                self.assertEqual(resp.json().get("error"), "forbidden")
                resp = c.get(f"/api/v1/orgs/{self.org.id}/audit?format=csv")
                self.assertEqual(resp.status, 403, str(resp))

    def test_audit_verify_after_api_activity(self):
        proc = self.server.audit_verify()
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("audit log intact", proc.stdout + proc.stderr)


def own_server(test, args=()):
    srv = cloud.CloudServer(list(args))
    test.addCleanup(srv.__exit__, None, None, None)
    srv.__enter__()
    org = srv.create_org("acme", "alice@example.com")
    srv.start()
    return srv, org


def enable_totp(c):
    """Enrols an authenticator for the client's account (codes by pyotp, not project code)."""
    body = {"password": DEFAULT_PASSWORD}
    r = c.post("/api/v1/me/totp/enrolment", body)
    assert r.status == 201, str(r)
    secret = r.json()["secret_base32"]
    r = c.post("/api/v1/me/totp/enrolment/confirm", {**body, "code": pyotp.TOTP(secret).now()})
    assert r.status == 200, str(r)
    return secret


def events_of(c, event):
    return c.get_json(f"/api/v1/me/audit?event={event}&limit=1000")["events"]


class AbandonedSecondStepTest(unittest.TestCase):
    """A correct password followed by no second step shows in the account log."""

    def test_expired_half_session_is_recorded_by_the_sweep(self):
        srv, _ = own_server(self, ["--second-factor-timeout-s", "1", "--session-sweep-s", "1"])
        alice = srv.login("alice@example.com")
        enable_totp(alice)
        half = srv.client(client_kind="cli")
        self.assertEqual(half.login("alice@example.com").json()["stage"], "totp_required")
        # Nobody shows that cookie again; the sweep (every 1 s) records it after the 1-s timeout.
        cloud.wait_until(lambda: events_of(alice, "LOGIN_INCOMPLETE"), timeout=8, message="LOGIN_INCOMPLETE")
        [event] = events_of(alice, "LOGIN_INCOMPLETE")
        self.assertEqual((event["ip"], event["client"], event["username"]), ("127.0.0.1", "cli", "alice@example.com"))
        details = cloud.parse_details(event["details"])
        self.assertEqual(details.get("reason"), "second_factor_timeout", event)
        self.assertEqual(details.get("stage"), "totp_required", event)
        self.assertIn("password_accepted_at", details)
        # The half session is gone, and showing it now adds nothing.
        self.assertEqual(half.get("/api/v1/me").status, 401)
        time.sleep(1.5)
        self.assertEqual(len(events_of(alice, "LOGIN_INCOMPLETE")), 1)
        self.assertEqual(events_of(alice, "SESSION_EXPIRED"), [])

    def test_expiry_seen_at_the_next_request_and_logout_midway(self):
        # 4 s: time enough for the logout right after the password step on a loaded machine.
        srv, _ = own_server(self, ["--second-factor-timeout-s", "4", "--session-sweep-s", "3600"])
        alice = srv.login("alice@example.com")
        enable_totp(alice)
        quitter = srv.client()
        quitter.login("alice@example.com")
        quitter.logout()
        late = srv.client()
        late.login("alice@example.com")
        time.sleep(4.3)
        r = late.post("/api/v1/auth/totp", {"code": "000000"})
        self.assertEqual(r.status, 401, str(r))
        self.assertEqual(r.json().get("error"), "unauthenticated")
        reasons = [cloud.parse_details(e["details"]).get("reason") for e in events_of(alice, "LOGIN_INCOMPLETE")]
        self.assertEqual(reasons, ["second_factor_timeout", "logout"])
        self.assertEqual(events_of(alice, "LOGOUT"), [])  # it never was a login
        proc = srv.audit_verify()
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))


class AccessDeniedTest(cloud.ServerTestCase):
    @classmethod
    def populate(cls):
        cls.acme = cls.server.create_org("acme", "alice@example.com")
        cls.beta = cls.server.create_org("beta", "bob@example.com")
        cls.server.start()
        cls.alice = cls.server.login("alice@example.com")
        cls.alice.add_member(cls.acme.id, "vera@example.com", "viewer")
        cls.vera = cls.server.login("vera@example.com")
        cls.bob = cls.server.login("bob@example.com")

    def test_probing_another_tenant_is_recorded_once_in_the_prober_log(self):
        for _ in range(6):
            r = self.bob.get(f"/api/v1/orgs/{self.acme.id}/devices")
            self.assertEqual(r.status, 404, str(r))
        denied = [e for e in events_of(self.bob, "ACCESS_DENIED")
                  if "/devices" in e["details"] and e["details"].endswith(self.acme.id)]
        self.assertEqual(len(denied), 1, denied)  # rate-limited: one entry per minute for the key
        details = cloud.parse_details(denied[0]["details"])
        self.assertEqual(details.get("route"), "GET /api/v1/orgs/{org_id}/devices")
        self.assertEqual(details.get("reason"), "not_found")
        self.assertEqual(details.get("requested_org"), self.acme.id)
        self.assertEqual((denied[0]["ip"], denied[0]["username"]), ("127.0.0.1", "bob@example.com"))
        self.assertFalse(denied[0]["org_id"])
        # Not written into the probed organisation's log.
        org_log = self.alice.get_json(f"/api/v1/orgs/{self.acme.id}/audit?event=ACCESS_DENIED&limit=1000")["events"]
        self.assertFalse([e for e in org_log if e["username"] == "bob@example.com"], org_log)

    def test_a_member_without_the_permission_shows_in_the_org_log(self):
        r = self.vera.get(f"/api/v1/orgs/{self.acme.id}/audit")
        self.assertEqual(r.status, 403, str(r))
        org_log = self.alice.get_json(f"/api/v1/orgs/{self.acme.id}/audit?event=ACCESS_DENIED&limit=1000")["events"]
        mine = [e for e in org_log if e["username"] == "vera@example.com"]
        self.assertTrue(mine, org_log)
        details = cloud.parse_details(mine[0]["details"])
        self.assertEqual(details.get("route"), "GET /api/v1/orgs/{org_id}/audit")
        self.assertEqual(details.get("reason"), "forbidden")
        self.assertEqual(mine[0]["org_id"], self.acme.id)
        self.assertTrue(events_of(self.vera, "ACCESS_DENIED"))

    def test_another_tenants_object_inside_ones_own_org_is_recorded(self):
        bob_id = self.bob.me()["user"]["id"]
        r = self.alice.delete(f"/api/v1/orgs/{self.acme.id}/members/{bob_id}")
        self.assertEqual(r.status, 404, str(r))
        denied = [cloud.parse_details(e["details"]) for e in events_of(self.alice, "ACCESS_DENIED")]
        self.assertIn(("DELETE /api/v1/orgs/{org_id}/members/{user_id}", "not_found"),
                      [(d.get("route"), d.get("reason")) for d in denied])


class AddressLockoutTest(unittest.TestCase):
    def test_address_lockout_records_the_address_count(self):
        srv, _ = own_server(self, ["--lockout-ip-failures", "3", "--lockout-failures", "1000",
                                   "--lockout-wait-s", "1"])
        # Three failures from one address, spread over three accounts (the last one real).
        for email in ("ghost-1@example.com", "ghost-2@example.com", "alice@example.com"):
            srv.client().login(email, "not the password", expect=None)
        time.sleep(1.2)
        alice = None
        deadline = time.monotonic() + 5
        while alice is None:
            c = srv.client()
            if c.login("alice@example.com", expect=None).status == 200:
                alice = c
            elif time.monotonic() > deadline:
                self.fail("login after the address lockout")
            else:
                time.sleep(0.2)
        [lockout] = events_of(alice, "LOCKOUT")
        details = cloud.parse_details(lockout["details"])
        self.assertEqual(details.get("locked"), "ip", lockout)
        self.assertEqual(details.get("failures"), "3", lockout)  # the address's count, not alice's 1
        self.assertEqual(details.get("ip_failures"), "3", lockout)
        self.assertEqual(details.get("account_failures"), "1", lockout)


if __name__ == "__main__":
    unittest.main()
