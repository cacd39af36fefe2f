"""First-request latency on a new TLS connection against a request on a kept-alive one, in the
same run, against a real `logbot-cloud serve` on loopback (docs/PERFORMANCE.md).

Each round makes, interleaved so that all three see the same machine:
  - a new connection with TLS 1.2: connect, handshake, GET /healthz, first byte of the answer;
  - the same with TLS 1.3;
  - one GET /healthz on a connection kept alive across rounds (the baseline).
For the new connections it reports both the whole time (connect to first byte) and the part
after the handshake (request sent to first byte), which is where Nagle's algorithm meeting the
client's delayed ACK shows as ~40 ms. Each is measured twice, with a client socket without
TCP_NODELAY (Python's default) and with it (what `logbot`, the agent, curl and browsers do):
a client without it holds its request back until its own Finished is acknowledged, so it
depends on the server answering the Finished at once.

  /usr/bin/python3 bench/first_request_bench.py --bin-dir build/bin [--rounds 200]
"""

import argparse
import os
import socket
import ssl
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "support"))
import cloud  # noqa: E402

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
STALL_MS = 30.0


def context(version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = version
    ctx.maximum_version = version
    return ctx


def read_response(sock: ssl.SSLSocket) -> tuple[float, bytes]:
    """Reads one whole answer; returns (time of its first byte, bytes)."""
    data = sock.recv(65536)
    first = time.perf_counter()
    if not data:
        raise RuntimeError("the server closed the connection")
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) >= length:
                break
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the server closed the connection mid-answer")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"unexpected answer {data[:80]!r}")
    return first, data


def connect(host: str, port: int, no_delay: bool) -> socket.socket:
    raw = socket.create_connection((host, port), timeout=10)
    if no_delay:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return raw


def new_connection(host: str, port: int, ctx: ssl.SSLContext, no_delay: bool) -> tuple[float, float]:
    """(connect to first byte, request to first byte) in ms for one new connection."""
    started = time.perf_counter()
    with ctx.wrap_socket(connect(host, port, no_delay), server_hostname=None) as sock:
        sent = time.perf_counter()
        sock.sendall(REQUEST)
        first, _ = read_response(sock)
    return (first - started) * 1000.0, (first - sent) * 1000.0


def kept_alive(sock: ssl.SSLSocket) -> float:
    started = time.perf_counter()
    sock.sendall(REQUEST)
    first, _ = read_response(sock)
    return (first - started) * 1000.0


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    stalls = sum(1 for v in values if v > STALL_MS)
    return (f"{label:<62} median {statistics.median(values):7.2f}  p90 {p90:7.2f}  max {max(values):7.2f}"
            f"  over {STALL_MS:.0f} ms: {stalls:3d}/{len(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default=os.environ.get("LOGBOT_BIN_DIR", "build/bin"))
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    os.environ["LOGBOT_BIN_DIR"] = os.path.abspath(args.bin_dir)

    with cloud.CloudServer() as server:
        server.start()
        host, port = server.host, server.port
        tls12, tls13 = context(ssl.TLSVersion.TLSv1_2), context(ssl.TLSVersion.TLSv1_3)
        clients = (("client without TCP_NODELAY", False), ("client with TCP_NODELAY", True))
        baselines = {no_delay: context(ssl.TLSVersion.TLSv1_3).wrap_socket(connect(host, port, no_delay))
                     for _, no_delay in clients}
        for _ in range(5):  # warm-up: page cache, first allocations
            for _, no_delay in clients:
                new_connection(host, port, tls12, no_delay)
                new_connection(host, port, tls13, no_delay)
                kept_alive(baselines[no_delay])
        rows = {}
        for _ in range(args.rounds):
            for client, no_delay in clients:
                for name, ctx in (("TLS 1.2", tls12), ("TLS 1.3", tls13)):
                    whole, after = new_connection(host, port, ctx, no_delay)
                    rows.setdefault(f"{client}, new {name}: connect to 1st byte", []).append(whole)
                    rows.setdefault(f"{client}, new {name}: request to 1st byte", []).append(after)
                rows.setdefault(f"{client}, kept-alive: request to 1st byte", []).append(
                    kept_alive(baselines[no_delay]))
        for sock in baselines.values():
            sock.close()

    print(f"logbot-cloud {os.path.join(args.bin_dir, 'logbot-cloud')} on 127.0.0.1, GET /healthz, "
          f"{args.rounds} rounds, times in ms")
    for label, values in rows.items():
        print(summary(label, values))
    for client, _ in clients:
        base = statistics.median(rows[f"{client}, kept-alive: request to 1st byte"])
        ratios = ", ".join(f"{name} {statistics.median(rows[f'{client}, new {name}: request to 1st byte']) / base:.1f}x"
                           for name in ("TLS 1.2", "TLS 1.3"))
        print(f"{client}: ratio of medians, request to 1st byte, new / kept-alive: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
