"""Integration tests of the device uplink (docs/ARCHITECTURE.md, device uplink): the real `logbot-agent run` keeps
a mutual-TLS WebSocket to the real `logbot-cloud` device listener.

What is checked from outside: the device's `online`, `agent_version`, `source_ip` and
`certificate_serial` in the organisation's device list, the org audit (DEVICE_CERT_RENEWED), the
agent's exit code on SIGTERM and its log lines (`uplink: connected to ...`, `retrying in`,
`refused`), and the files of its state directory after a renewal. Covered: going online and
offline, a cloud that starts after the agent, a dead first endpoint, the local bind address
(segmentation), revocation of a connected device, certificate renewal, and tenant isolation.

Everything listens on 127.0.0.1 only; every wait is bounded. The server runs with
`--device-heartbeat-s 1` so that a silent device is offline after ~3 s.

Binaries: logbot-cloud from $LOGBOT_BIN_DIR; the agent from $LOGBOT_AGENT_BIN, else
$LOGBOT_BIN_DIR/logbot-agent.
Run: /usr/bin/python3 -m unittest -v tests/integration/test_uplink.py   (from the repository root)
"""

import json
import os
import re
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import agent_process  # noqa: E402
import cloud  # noqa: E402
import socket_options  # noqa: E402
import uplink_peer  # noqa: E402
from agent_process import AgentProcess, run_agent  # noqa: E402

HEARTBEAT_S = 1
ONLINE_TIMEOUT_S = 5.0
# Three missed heartbeats, plus the cloud's own check interval and slack for a busy machine.
OFFLINE_TIMEOUT_S = 3 * HEARTBEAT_S + 4.0


def reserve_ports(count: int) -> list:
    """Ports that were free a moment ago, all distinct (bound together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class UplinkTestCase(unittest.TestCase):
    """Each test starts its own servers (some need fixed ports or short certificate lifetimes)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="logbot-uplink-it-")
        self.agents = []
        self.servers = []

    def tearDown(self):
        for agent in self.agents:
            agent.kill()
        for server in self.servers:
            server.__exit__(None, None, None)
        if os.environ.get("LOGBOT_KEEP_TMP"):
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- set-up helpers ----------------------------------------------------------------------
    def start_server(self, *extra, listen: str = "127.0.0.1:0", device_listen: str = "127.0.0.1:0",
                     start: bool = True) -> cloud.CloudServer:
        server = cloud.CloudServer(["--device-listen", device_listen, "--device-heartbeat-s", str(HEARTBEAT_S),
                                    *extra], listen=listen)
        server.__enter__()
        self.servers.append(server)
        if start:
            server.start()
            self.assertTrue(server.uplink_url.startswith("wss://127.0.0.1:"), server.uplink_url)
        return server

    def state_dir(self, name: str) -> str:
        return os.path.join(tempfile.mkdtemp(dir=self.tmp), name)

    def enrolled_agent_state(self, server, client, org, name: str = "press 1", device_uuid: str | None = None) -> tuple:
        """Registers a device in `org`, enrols a fresh state directory with its token (its
        device-id set to `device_uuid` when given); returns (state_dir, device_id)."""
        resp = client.post(f"/api/v1/orgs/{org.id}/devices", {"name": name, "site": "plant 1"})
        self.assertEqual(resp.status, 201, str(resp))
        registered = resp.json()
        state = self.state_dir(name.replace(" ", "-"))
        if device_uuid is not None:
            proc = run_agent("id", "--state-dir", state)
            self.assertEqual(proc.returncode, 0, cloud.describe(proc))
            with open(os.path.join(state, "device-id"), "w") as f:
                f.write(device_uuid + "\n")
        proc = run_agent("enrol", "--token", registered["enrolment_token"], "--state-dir", state)
        self.assertEqual(proc.returncode, 0, cloud.describe(proc) + server.log_tail())
        with open(os.path.join(state, "cloud.json")) as f:
            binding = json.load(f)
        self.assertEqual(binding.get("uplink_urls"), [server.uplink_url], binding)
        return state, registered["device"]["id"]

    def start_agent(self, state: str, *extra) -> AgentProcess:
        agent = AgentProcess("--state-dir", state, *extra, log_dir=self.tmp, name=f"agent-{os.path.basename(state)}")
        self.agents.append(agent)
        return agent

    def write_config(self, text: str) -> str:
        return agent_process.write_config(self.tmp, text)

    # -- observation helpers -----------------------------------------------------------------
    def device(self, client, org_id: str, device_id: str) -> dict:
        devices = client.get_json(f"/api/v1/orgs/{org_id}/devices")["devices"]
        matches = [d for d in devices if d["id"] == device_id]
        self.assertEqual(len(matches), 1, devices)
        return matches[0]

    def wait_online(self, client, org_id, device_id, agent: AgentProcess, timeout: float = ONLINE_TIMEOUT_S,
                    server=None) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            current = self.device(client, org_id, device_id)
            if current.get("online") is True:
                return current
            if not agent.running:
                self.fail(f"the agent exited with {agent.proc.returncode}\n{agent.describe()}")
            if time.monotonic() > deadline:
                self.fail(f"device not online within {timeout}s: {current}\n{agent.describe()}\n"
                          + (server.log_tail() if server else ""))
            time.sleep(0.1)

    def wait_offline(self, client, org_id, device_id, timeout: float = OFFLINE_TIMEOUT_S, context: str = "") -> dict:
        deadline = time.monotonic() + timeout
        while True:
            current = self.device(client, org_id, device_id)
            if current.get("online") is False:
                return current
            if time.monotonic() > deadline:
                self.fail(f"device still online {timeout}s later: {current}\n{context}")
            time.sleep(0.1)

    def wait_log(self, agent: AgentProcess, pattern: str, timeout: float, count: int = 1) -> str:
        return agent.wait_for_log(pattern, timeout, count)

    def assert_stops_cleanly(self, agent: AgentProcess):
        code = agent.stop()
        self.assertEqual(code, 0, f"logbot-agent exited with {code} on SIGTERM\n{agent.describe()}")


class UplinkTest(UplinkTestCase):
    def test_online_then_offline_after_sigterm(self):
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        before = self.device(alice, org.id, device_id)
        self.assertFalse(before["online"], before)

        started = time.monotonic()
        agent = self.start_agent(state)
        online = self.wait_online(alice, org.id, device_id, agent, server=server)
        self.assertLess(time.monotonic() - started, ONLINE_TIMEOUT_S + 0.5)
        version = run_agent("--version").stdout.split()[-1]
        self.assertEqual(online["agent_version"], version, online)
        self.assertEqual(online["source_ip"], "127.0.0.1", online)
        self.assertIsNotNone(online["last_seen_at"], online)
        self.assertIn(f"uplink: connected to {server.uplink_url}", agent.log_text())

        # Still online after several heartbeat intervals: the heartbeats keep it so.
        time.sleep(4 * HEARTBEAT_S)
        self.assertTrue(self.device(alice, org.id, device_id)["online"], agent.describe())
        self.assertTrue(agent.running, agent.describe())

        self.assert_stops_cleanly(agent)
        self.wait_offline(alice, org.id, device_id, context=server.log_tail())

    def test_token_in_the_configuration_enrols_at_first_start(self):
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        resp = alice.post(f"/api/v1/orgs/{org.id}/devices", {"name": "press 9", "site": "plant 1"})
        self.assertEqual(resp.status, 201, str(resp))
        registered = resp.json()
        state = self.state_dir("first-start")
        config = self.write_config(f'enrolment_token = "{registered["enrolment_token"]}"\n')
        agent = self.start_agent(state, "--config", config)
        self.wait_online(alice, org.id, registered["device"]["id"], agent, server=server)
        self.assertIn("enrolled as", agent.log_text())
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(state, "device.key")).st_mode), 0o600)
        # A restart with the same (now used) token in the configuration just connects.
        self.assert_stops_cleanly(agent)
        again = self.start_agent(state, "--config", config)
        self.wait_online(alice, org.id, registered["device"]["id"], again, server=server)
        self.assertNotIn("enrolment with the token", again.log_text())

    def test_sigint_stops_cleanly(self):
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        self.assertEqual(agent.stop(signal.SIGINT), 0, agent.describe())

    def test_agent_started_before_the_cloud_keeps_retrying(self):
        https_port, device_port = reserve_ports(2)
        server = self.start_server(listen=f"127.0.0.1:{https_port}", device_listen=f"127.0.0.1:{device_port}")
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        self.assertEqual(server.stop(), 0, server.log_tail())

        agent = self.start_agent(state)
        # The cloud is down: attempts fail and are retried, the agent does not give up.
        self.wait_log(agent, r"uplink: cannot connect to wss://127\.0\.0\.1:%d/\S+ \(connection refused" % device_port,
                      timeout=10, count=2)
        self.assertIn("retrying in", agent.log_text())
        self.assertTrue(agent.running, agent.describe())

        server.start()
        self.assertEqual(server.uplink_url, f"wss://127.0.0.1:{device_port}/api/v1/devices/uplink")
        alice = server.login("alice@example.com")
        # The backoff ceiling is at most 8 s after ~4 failed rounds; the next attempt connects.
        self.wait_online(alice, org.id, device_id, agent, timeout=20, server=server)
        self.assert_stops_cleanly(agent)

    def test_dead_first_endpoint_then_second(self):
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        (dead_port,) = reserve_ports(1)
        dead = f"wss://127.0.0.1:{dead_port}/api/v1/devices/uplink"
        config = self.write_config(f'[uplink]\nendpoints = ["{dead}", "{server.uplink_url}"]\n')
        agent = self.start_agent(state, "--config", config)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        log = agent.log_text()
        self.assertIn(f"uplink: cannot connect to {dead}", log)
        self.assertIn(f"uplink: connected to {server.uplink_url}", log)
        self.assert_stops_cleanly(agent)

    def test_silent_first_endpoint_times_out_then_second(self):
        # A peer that accepts TCP and never speaks TLS: the attempt times out (10 s per step)
        # instead of hanging, and the next endpoint is tried.
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            url = f"wss://127.0.0.1:{silent.getsockname()[1]}/api/v1/devices/uplink"
            config = self.write_config(f'[uplink]\nendpoints = ["{url}", "{server.uplink_url}"]\n')
            agent = self.start_agent(state, "--config", config)
            self.wait_online(alice, org.id, device_id, agent, timeout=20, server=server)
        log = agent.log_text()
        self.assertRegex(log, rf"uplink: cannot connect to {re.escape(url)} \(no answer from the cloud during the TLS handshake\); trying")
        self.assert_stops_cleanly(agent)

    def test_bind_address_is_the_source_of_the_uplink(self):
        # Segmentation: the cloud connection leaves from the configured local address
        # (127.0.0.2 is a loopback address of its own on Linux).
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        config = self.write_config(f'state_dir = "{state}"\n[uplink]\nbind_address = "127.0.0.2"\n'
                                   '[automation]\nbind_address = "127.0.0.3"\n')
        agent = self.start_agent(state, "--config", config)
        online = self.wait_online(alice, org.id, device_id, agent, server=server)
        self.assertEqual(online["source_ip"], "127.0.0.2", online)
        self.assert_stops_cleanly(agent)

        # An address this host does not have: the attempt fails with the reason, and is retried.
        config = self.write_config('[uplink]\nbind_address = "192.0.2.10"\n')
        agent = self.start_agent(state, "--config", config)
        self.wait_log(agent, r"cannot bind the local side to 192\.0\.2\.10 \(uplink\.bind_address\).*retrying in",
                      timeout=10)
        self.assert_stops_cleanly(agent)
        self.assertFalse(self.device(alice, org.id, device_id)["online"])

    def test_revocation_disconnects_and_later_attempts_are_refused(self):
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)

        resp = alice.post(f"/api/v1/orgs/{org.id}/devices/{device_id}/revoke")
        self.assertEqual(resp.status, 200, str(resp))
        revoked_at = time.monotonic()
        self.wait_offline(alice, org.id, device_id, timeout=5.0, context=agent.describe() + server.log_tail())
        self.assertLess(time.monotonic() - revoked_at, 5.5)
        # The open connection was told why (Refusal "revoked"), and the next attempts are
        # refused, not merely failing.
        self.wait_log(agent, r"uplink: refused by the cloud \(revoked\)", timeout=5)
        self.wait_log(agent, r"refused", timeout=10)
        time.sleep(4)
        current = self.device(alice, org.id, device_id)
        self.assertFalse(current["online"], current)
        self.assertEqual(current["state"], "revoked", current)
        self.assertTrue(agent.running, "the agent keeps retrying (an operator may re-enrol it)\n" + agent.describe())
        self.assertNotIn("uplink: connected to", agent.log_text().split("connection lost", 1)[1])
        self.assert_stops_cleanly(agent)

    def test_certificate_renewal_keeps_the_device_online(self):
        server = self.start_server("--device-cert-lifetime-s", "6")
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        key_path = os.path.join(state, "device.key")
        with open(key_path) as f:
            first_key = f.read()
        first_serial = self.device(alice, org.id, device_id)["certificate_serial"]
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)

        def renewed():
            events = alice.get_json(f"/api/v1/orgs/{org.id}/audit?limit=1000")["events"]
            return [e for e in events if e["event"] == "DEVICE_CERT_RENEWED"]
        events = cloud.wait_until(renewed, timeout=10, interval=0.2, message="DEVICE_CERT_RENEWED in the org audit")
        details = cloud.parse_details(events[0].get("details", ""))
        self.assertEqual(details.get("serial_before"), first_serial, events[0])

        def new_serial():
            current = self.device(alice, org.id, device_id)
            return current if current["certificate_serial"] != first_serial else None
        current = cloud.wait_until(new_serial, timeout=5, interval=0.2, message="a new serial in the device list")
        self.assertTrue(current["online"], current)
        self.wait_log(agent, r"uplink: certificate renewed", timeout=5)

        # A new key, private, and the stored certificate is the one the cloud lists.
        with open(key_path) as f:
            self.assertNotEqual(f.read(), first_key)
        self.assertEqual(stat.S_IMODE(os.stat(key_path).st_mode), 0o600)
        self.assertFalse(os.path.exists(os.path.join(state, "device.key.new")))

        # Renewal repeats before every expiry, and a reconnect uses the newest certificate.
        cloud.wait_until(lambda: len(renewed()) >= 2, timeout=10, interval=0.2, message="a second renewal")
        # Two thirds into each new certificate, not back to back (not_before is backdated).
        self.assertLess(agent.log_text().count("certificate renewal requested"), 8, agent.log_text()[-2000:])
        self.assertTrue(self.device(alice, org.id, device_id)["online"])
        self.assert_stops_cleanly(agent)
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        self.assertNotIn("refused", agent.log_text())
        self.assert_stops_cleanly(agent)

    def test_a_lost_renewal_answer_costs_no_reenrolment(self):
        """The cloud renews, and the agent never stores the answer (the connection broke, the
        power went): its state directory still holds the certificate it renewed from. That one
        still works until the renewed one is first used, so the agent comes back without a new
        enrolment. Renewing again from it ends the never-used renewal; the first use of a new
        certificate ends the one it was renewed from."""
        server = self.start_server("--device-cert-lifetime-s", "20")
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        identity = ("device.key", "device.crt")

        def save(label: str) -> str:
            kept = os.path.join(self.tmp, f"identity-{label}")
            os.makedirs(kept)
            for name in identity:
                shutil.copy2(os.path.join(state, name), kept)
            return kept

        def restore(kept: str):
            for name in identity:
                shutil.copy2(os.path.join(kept, name), os.path.join(state, name))

        def audit(event: str) -> list:
            events = alice.get_json(f"/api/v1/orgs/{org.id}/audit?limit=1000")["events"]
            return [cloud.parse_details(e.get("details", "")) for e in events if e["event"] == event]

        first = save("first")
        first_serial = self.device(alice, org.id, device_id)["certificate_serial"]
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        self.wait_log(agent, r"uplink: certificate renewed", timeout=20)
        self.assert_stops_cleanly(agent)
        second = save("second")
        second_serial = self.device(alice, org.id, device_id)["certificate_serial"]
        self.assertNotEqual(second_serial, first_serial)

        # The answer "never arrived": the agent starts again with the certificate it renewed from.
        restore(first)
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        self.assertNotIn("refused", agent.log_text())
        self.assertEqual(audit("DEVICE_CERT_RENEWAL_CONFIRMED"), [])
        # It renews again from there (that certificate is due), which ends the unused renewal.
        self.wait_log(agent, r"uplink: certificate renewed", timeout=20)
        self.assert_stops_cleanly(agent)
        third = save("third")
        renewals = audit("DEVICE_CERT_RENEWED")
        self.assertEqual([r.get("serial_before") for r in renewals][-2:], [first_serial, first_serial], renewals)
        third_serial = self.device(alice, org.id, device_id)["certificate_serial"]

        restore(second)
        agent = self.start_agent(state)
        self.wait_log(agent, r"the cloud refused this device's certificate", timeout=10)
        self.assertFalse(self.device(alice, org.id, device_id)["online"])
        self.assert_stops_cleanly(agent)

        # The newest certificate in use confirms its renewal; the one before it then ends.
        restore(third)
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        confirmed = cloud.wait_until(lambda: audit("DEVICE_CERT_RENEWAL_CONFIRMED"), timeout=5, interval=0.2,
                                     message="DEVICE_CERT_RENEWAL_CONFIRMED in the org audit")
        self.assertEqual(confirmed[0].get("serial"), third_serial, confirmed)
        self.assertEqual(confirmed[0].get("serial_before"), first_serial, confirmed)
        self.assert_stops_cleanly(agent)
        restore(first)
        agent = self.start_agent(state)
        self.wait_log(agent, r"the cloud refused this device's certificate", timeout=10)
        self.assert_stops_cleanly(agent)

    def acme_device(self, *server_args) -> tuple:
        """A cloud with organisation acme, its owner alice logged in, and one enrolled device:
        (server, alice, org, state_dir, device_id)."""
        server = self.start_server(*server_args)
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        return server, alice, org, state, device_id

    def peer(self, server, state: str) -> uplink_peer.UplinkPeer:
        port = int(server.uplink_url.split(":")[2].split("/")[0])
        connection = uplink_peer.UplinkPeer("127.0.0.1", port, state)
        self.addCleanup(connection.close)
        return connection

    @staticmethod
    def device_uuid(state: str) -> str:
        with open(os.path.join(state, "device-id")) as f:
            return f.read().strip()

    def refusal_of(self, connection) -> dict:
        """The next message must be a Refusal: its fields (reason as the enum number, message)."""
        opcode, payload = connection.receive()
        self.assertEqual(opcode, 2, payload)
        number, refusal = uplink_peer.body(payload)
        self.assertEqual(number, uplink_peer.REFUSAL, refusal)
        parts = dict(refusal)
        return {"code_text": parts.get(1, b"").decode(), "message": parts.get(2, b"").decode(),
                "reason": parts.get(3, 0)}

    def test_a_revocation_during_the_handshake_is_not_dodged(self):
        """A holder of the device's key completes TLS (the certificate is checked then), waits,
        and upgrades only after the revocation: the session is refused, never greeted."""
        server, alice, org, state, device_id = self.acme_device()
        device_uuid = self.device_uuid(state)
        waiting = self.peer(server, state)
        resp = alice.post(f"/api/v1/orgs/{org.id}/devices/{device_id}/revoke")
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(waiting.upgrade(), 101)
        waiting.send(uplink_peer.hello(device_uuid))
        refusal = self.refusal_of(waiting)
        self.assertEqual(refusal["code_text"], "revoked", refusal)
        self.assertEqual(refusal["reason"], 4, refusal)  # Refusal.REVOKED
        opcode, _ = waiting.receive()
        self.assertEqual(opcode, 8)  # then the WebSocket close
        current = self.device(alice, org.id, device_id)
        self.assertFalse(current["online"], current)
        events = alice.get_json(f"/api/v1/orgs/{org.id}/audit?limit=1000")["events"]
        self.assertNotIn("DEVICE_CERT_RENEWED", [e["event"] for e in events])

    def test_only_a_greeted_connection_supersedes_the_live_session(self):
        """A second connection with the device's certificate that upgrades but sends no Hello
        (or one on a certificate that is no longer valid) must not knock the live session off;
        once greeted, it supersedes it."""
        server, alice, org, state, device_id = self.acme_device()
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        second = self.peer(server, state)
        self.assertEqual(second.upgrade(), 101)
        time.sleep(2 * HEARTBEAT_S)
        self.assertTrue(self.device(alice, org.id, device_id)["online"])
        self.assertNotIn("superseded", agent.log_text())
        second.send(uplink_peer.hello(self.device_uuid(state)))
        opcode, payload = second.receive()
        self.assertEqual(uplink_peer.body(payload)[0], uplink_peer.HELLO_ACK, payload)
        self.wait_log(agent, r"uplink: refused by the cloud \(superseded\)", timeout=5)

    def test_a_certificate_that_expired_before_the_hello_is_refused(self):
        """TLS while the certificate is valid, the Hello after it expired: refused, not greeted."""
        server, alice, org, state, device_id = self.acme_device("--device-cert-lifetime-s", "3")
        early = self.peer(server, state)
        time.sleep(4)
        self.assertEqual(early.upgrade(), 101)
        early.send(uplink_peer.hello(self.device_uuid(state)))
        refusal = self.refusal_of(early)
        self.assertEqual(refusal["code_text"], "certificate_expired", refusal)
        self.assertEqual(refusal["reason"], 10, refusal)  # Refusal.CERTIFICATE_EXPIRED
        self.assertFalse(self.device(alice, org.id, device_id)["online"])

    def test_a_hostile_peer_is_refused_with_the_reason(self):
        """No Hello first, a Hello for another device, garbage: each ends with the Refusal that
        says why; a message of a kind the cloud does not know is skipped."""
        server, alice, org, state, device_id = self.acme_device()
        device_uuid = self.device_uuid(state)
        for first, reason in ((uplink_peer.heartbeat(), "bad_hello"),
                              (uplink_peer.hello("3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b"), "bad_hello"),
                              (b"\xff\xff\xff\xff", "bad_message")):
            connection = self.peer(server, state)
            self.assertEqual(connection.upgrade(), 101)
            connection.send(first)
            self.assertEqual(self.refusal_of(connection)["code_text"], reason, first)
            connection.close()
        # Field 99 (a newer agent's kind) is skipped; the Hello after it is greeted.
        connection = self.peer(server, state)
        self.assertEqual(connection.upgrade(), 101)
        connection.send(b"\x98\x06\x01")
        connection.send(uplink_peer.hello(device_uuid))
        opcode, payload = connection.receive()
        self.assertEqual(uplink_peer.body(payload)[0], uplink_peer.HELLO_ACK, payload)
        self.assertTrue(self.device(alice, org.id, device_id)["online"])

    def test_a_certificate_of_org_a_never_appears_in_org_b(self):
        server = self.start_server()
        org_a = server.create_org("acme", "alice@example.com")
        org_b = server.create_org("globex", "bob@example.com")
        alice = server.login("alice@example.com")
        bob = server.login("bob@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org_a)
        # The agent's own claim (cloud.json) names org B: the cloud trusts only the certificate.
        cloud_json = os.path.join(state, "cloud.json")
        with open(cloud_json) as f:
            binding = json.load(f)
        binding["org_id"] = org_b.id
        with open(cloud_json, "w") as f:
            json.dump(binding, f)
        agent = self.start_agent(state)
        self.wait_online(alice, org_a.id, device_id, agent, server=server)
        time.sleep(2 * HEARTBEAT_S)
        self.assertEqual(bob.get_json(f"/api/v1/orgs/{org_b.id}/devices")["devices"], [])
        self.assertEqual(bob.get(f"/api/v1/orgs/{org_b.id}/devices/{device_id}").status, 404)
        self.assertIn(f"organisation {org_a.id}", agent.log_text())
        self.assert_stops_cleanly(agent)


    def test_both_ends_of_the_uplink_have_nodelay(self):
        # Acknowledgements and heartbeats are small: neither end may hold one back for the
        # other's delayed ACK (tests/support/socket_options.py reads each process's own socket).
        server = self.start_server()
        org = server.create_org("acme", "alice@example.com")
        alice = server.login("alice@example.com")
        state, device_id = self.enrolled_agent_state(server, alice, org)
        agent = self.start_agent(state)
        self.wait_online(alice, org.id, device_id, agent, server=server)
        device_port = int(server.uplink_url.split(":")[2].split("/")[0])
        self.assertEqual(socket_options.tcp_option_of(agent.proc.pid, socket.TCP_NODELAY, remote_port=device_port,
                                                         expect=1),
                         [1])
        self.assertEqual(socket_options.tcp_option_of(server.proc.pid, socket.TCP_NODELAY, local_port=device_port,
                                                         expect=1),
                         [1])
        self.assert_stops_cleanly(agent)

    def test_the_same_uuid_in_two_orgs_is_two_devices(self):
        # A UUID is an identity within one organisation: B's device with A's UUID connects as
        # B's own, A's stays A's, and revoking A's leaves B's online.
        server = self.start_server()
        org_a = server.create_org("acme", "alice@example.com")
        org_b = server.create_org("globex", "bob@example.com")
        alice = server.login("alice@example.com")
        bob = server.login("bob@example.com")
        state_b, device_b = self.enrolled_agent_state(server, bob, org_b, "press b")
        with open(os.path.join(state_b, "device-id")) as f:
            shared_uuid = f.read().strip()
        state_a, device_a = self.enrolled_agent_state(server, alice, org_a, "press a", device_uuid=shared_uuid)
        self.assertNotEqual(device_a, device_b)
        agent_a = self.start_agent(state_a)
        agent_b = self.start_agent(state_b)
        seen_a = self.wait_online(alice, org_a.id, device_a, agent_a, server=server)
        seen_b = self.wait_online(bob, org_b.id, device_b, agent_b, server=server)
        self.assertEqual(seen_a["device_uuid"], shared_uuid)
        self.assertEqual(seen_b["device_uuid"], shared_uuid)
        time.sleep(2 * HEARTBEAT_S)
        # Neither connection superseded the other.
        self.assertTrue(self.device(alice, org_a.id, device_a)["online"])
        self.assertTrue(self.device(bob, org_b.id, device_b)["online"])
        self.assertEqual([d["id"] for d in alice.get_json(f"/api/v1/orgs/{org_a.id}/devices")["devices"]], [device_a])
        self.assertEqual([d["id"] for d in bob.get_json(f"/api/v1/orgs/{org_b.id}/devices")["devices"]], [device_b])
        self.assertIn(f"organisation {org_a.id}", agent_a.log_text())
        self.assertIn(f"organisation {org_b.id}", agent_b.log_text())

        resp = alice.post(f"/api/v1/orgs/{org_a.id}/devices/{device_a}/revoke")
        self.assertEqual(resp.status, 200, str(resp))
        self.wait_offline(alice, org_a.id, device_a, timeout=5.0, context=agent_a.describe() + server.log_tail())
        self.wait_log(agent_a, r"uplink: refused by the cloud \(revoked\)", timeout=5)
        time.sleep(2 * HEARTBEAT_S)
        current_b = self.device(bob, org_b.id, device_b)
        self.assertEqual((current_b["state"], current_b["online"]), ("enrolled", True), current_b)
        self.assertNotIn("refused", agent_b.log_text())
        self.assert_stops_cleanly(agent_b)
        self.assert_stops_cleanly(agent_a)


class AgentRunCommandLineTest(unittest.TestCase):
    """Start-up errors of `logbot-agent run`: exit 1 with one line that says what to do."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="logbot-uplink-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def config(self, text: str) -> str:
        return agent_process.write_config(self.tmp, text)

    def assert_fails(self, proc, *parts):
        self.assertEqual(proc.returncode, 1, cloud.describe(proc))
        self.assertTrue(proc.stderr.startswith("logbot-agent: "), cloud.describe(proc))
        for part in parts:
            self.assertIn(part, proc.stderr, cloud.describe(proc))

    def test_not_enrolled(self):
        proc = run_agent("run", "--state-dir", os.path.join(self.tmp, "state"))
        self.assert_fails(proc, "not enrolled", "logbot-agent enrol")

    def test_broken_configuration_names_file_and_line(self):
        state = os.path.join(self.tmp, "state")
        cases = [
            ('[uplink]\nendpoints = ["wss://127.0.0.1:1/x"]\nbind_adress = "127.0.0.1"\n', ":3:", "uplink.bind_adress"),
            ('state_dir = "/x"\ncolour = "red"\n', ":2:", "unknown setting 'colour'"),
            ('[uplink]\nendpoints = ["https://127.0.0.1:1/x"]\n', ":2:", "wss://"),
            ('[uplink]\nbind_address = "eth0"\n', ":2:", "not an IP address"),
            ('[uplink\n', ":1:", ""),
        ]
        for text, line, part in cases:
            with self.subTest(text=text):
                path = self.config(text)
                proc = run_agent("run", "--state-dir", state, "--config", path)
                self.assert_fails(proc, path + line, part)
        proc = run_agent("run", "--state-dir", state, "--config", os.path.join(self.tmp, "missing.toml"))
        self.assert_fails(proc, "missing.toml")

    def test_help_lists_run(self):
        proc = run_agent("--help")
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("run", proc.stdout)
        proc = run_agent("run", "--help")
        self.assertEqual(proc.returncode, 0, cloud.describe(proc))
        self.assertIn("--config", proc.stdout)


if __name__ == "__main__":
    unittest.main()
