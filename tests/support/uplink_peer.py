"""A device's side of the uplink written from the protocol documents, not from the agent: TLS
with the device's certificate, the WebSocket upgrade on /api/v1/devices/uplink, masked binary
frames each holding one protobuf Envelope (src/common/protocol/uplink.proto), encoded and
decoded by hand (Debian's python3 here has no protobuf module). For tests that must do what
the real agent never does: pause between the steps, lie, or flood."""

import base64
import os
import socket
import ssl
import struct

# Envelope oneof field numbers (uplink.proto).
HELLO, HELLO_ACK, HEARTBEAT, RENEW_REQUEST, RENEW_RESPONSE, REFUSAL = 1, 2, 3, 4, 5, 6


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def fields(data: bytes) -> list:
    """The (number, value) pairs of one message: ints for varints, bytes for length-delimited."""
    out, i = [], 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 2:
            length, i = _read_varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError(f"wire type {wire} not expected in the uplink")
        out.append((number, value))
    return out


def _read_varint(data: bytes, i: int) -> tuple:
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def hello(device_uuid: str, agent_version: str = "0.0.0-peer") -> bytes:
    return _field(HELLO, _field(1, device_uuid.encode()) + _field(2, agent_version.encode()))


def heartbeat() -> bytes:
    return _field(HEARTBEAT, b"")


def body(envelope: bytes) -> tuple:
    """(field number of the Envelope's body, the body's fields)."""
    (number, value), = fields(envelope)
    return number, fields(value)


class UplinkPeer:
    def __init__(self, host: str, port: int, state_dir: str, timeout: float = 10.0):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test looks at the cloud's behaviour, not its name
        context.load_cert_chain(os.path.join(state_dir, "device.crt"), os.path.join(state_dir, "device.key"))
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = context.wrap_socket(raw)  # the TLS handshake: the cloud checks the certificate now
        self.buffer = b""

    def upgrade(self) -> int:
        """Sends the WebSocket upgrade; returns the HTTP status of the answer (101 on success)."""
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /api/v1/devices/uplink HTTP/1.1\r\nHost: cloud\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the upgrade")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        return int(head.split(b" ", 2)[1])

    def send(self, payload: bytes, opcode: int = 2):
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:count], self.buffer[count:]
        return out

    def receive(self) -> tuple:
        """The next frame from the cloud: (opcode, payload). Pings are answered and skipped."""
        while True:
            first, second = self._take(2)
            length = second & 0x7F
            if length == 126:
                length, = struct.unpack("!H", self._take(2))
            elif length == 127:
                length, = struct.unpack("!Q", self._take(8))
            payload = self._take(length)
            opcode = first & 0x0F
            if opcode == 9:
                self.send(payload, opcode=10)
                continue
            return opcode, payload

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
