#!/usr/bin/python3
"""A Modbus TCP server for the integration tests: pymodbus 3.0 (Debian python3-pymodbus, run it
with /usr/bin/python3), listening on 127.0.0.1.

    /usr/bin/python3 tests/peers/modbus_server.py --port 0 --ready-file /tmp/ready

--port 0 picks a free port; the port is written to --ready-file (followed by a newline) once the
server listens. SIGTERM or SIGINT stops it (exit 0).

Addresses below are the 0-based protocol addresses on the wire (what the agent's hr:N means).
pymodbus' ModbusSlaveContext normally adds 1 to every address before it looks into its data
block (the Modicon 1-based numbering); the contexts here use zero_mode=True, so protocol
address N is element N of each block. Every table is writable, as a device's would be (the
agent refuses to write input registers and discrete inputs itself). An address outside a block
answers with Modbus exception 2 (illegal data address).

Unit id 1
  Holding registers hr:0..199 (exception 2 from hr:200)
    hr:0..3    FLOAT64 3.141592653589793 ABCD   4009 21FB 5444 2D18
    hr:4..7    FLOAT64 3.141592653589793 CDAB   2D18 5444 21FB 4009
    hr:8..11   FLOAT64 3.141592653589793 BADC   0940 FB21 4454 182D
    hr:12..15  FLOAT64 3.141592653589793 DCBA   182D 4454 FB21 0940
    hr:20..21  FLOAT32 21.5 ABCD                41AC 0000
    hr:22..23  FLOAT32 21.5 CDAB                0000 41AC
    hr:24..25  FLOAT32 21.5 BADC                AC41 0000
    hr:26..27  FLOAT32 21.5 DCBA                0000 AC41
    hr:30..31  INT32 -123456 ABCD               FFFE 1DC0
    hr:32..33  INT32 -123456 CDAB               1DC0 FFFE
    hr:34..35  INT32 -123456 BADC               FEFF C01D
    hr:36..37  INT32 -123456 DCBA               C01D FEFF
    hr:40..41  UINT32 4000000000 ABCD           EE6B 2800
    hr:42..43  UINT32 4000000000 CDAB           2800 EE6B
    hr:44..45  UINT32 4000000000 BADC           6BEE 0028
    hr:46..47  UINT32 4000000000 DCBA           0028 6BEE
    hr:50      INT16 -2                         FFFE
    hr:51      UINT16 4660                      1234
    hr:52      INT16 -300 BADC                  D4FE
    hr:53      UINT16 4660 BADC                 3412
    hr:60      bits 0, 2 and 15 set             8005
    hr:70      UINT16 1000 (for scale/offset)   03E8
    hr:100..199  zero (scratch for writes)
  Input registers ir:0..99
    ir:0..3    FLOAT64 -1234.5678 ABCD          C093 4A45 6D5C FAAD
    ir:4..5    FLOAT32 -1.5 CDAB                0000 BFC0
    ir:6       INT16 -32768                     8000
    ir:7       UINT16 65535                     FFFF
    ir:8..9    UINT32 123456789 DCBA            15CD 5B07
    ir:10      bits 0 and 8 set                 0101
  Coils coil:0..63: coil:0 = 1, coil:1 = 0, coil:2 = 1, coil:3 = 1, the rest 0 (coil:10.. for writes)
  Discrete inputs di:0..63: di:1 = 1, di:5 = 1, the rest 0

Unit id 2 (other data, to prove the unit id reaches the device)
  hr:0 UINT16 2222; hr:20..21 FLOAT32 -21.5 ABCD (C1AC 0000); coil:0 = 0, coil:1 = 1; ir:0 UINT16 7;
  di:0 = 1. Blocks of 100 elements.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import struct
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server.async_io import ModbusTcpServer

ORDERS = ("ABCD", "CDAB", "BADC", "DCBA")


def registers_of(big_endian: bytes, order: str) -> list[int]:
    """Big-endian value bytes (A first) to the registers a device with `order` sends."""
    words = [big_endian[i:i + 2] for i in range(0, len(big_endian), 2)]
    if order in ("CDAB", "DCBA"):
        words.reverse()
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def place(block: list[int], offset: int, registers: list[int]) -> None:
    block[offset:offset + len(registers)] = registers


def unit1_context() -> ModbusSlaveContext:
    hr = [0] * 200
    for i, order in enumerate(ORDERS):
        place(hr, 0 + 4 * i, registers_of(struct.pack(">d", 3.141592653589793), order))
        place(hr, 20 + 2 * i, registers_of(struct.pack(">f", 21.5), order))
        place(hr, 30 + 2 * i, registers_of(struct.pack(">i", -123456), order))
        place(hr, 40 + 2 * i, registers_of(struct.pack(">I", 4000000000), order))
    place(hr, 50, registers_of(struct.pack(">h", -2), "ABCD"))
    place(hr, 51, registers_of(struct.pack(">H", 4660), "ABCD"))
    place(hr, 52, registers_of(struct.pack(">h", -300), "BADC"))
    place(hr, 53, registers_of(struct.pack(">H", 4660), "BADC"))
    hr[60] = 0x8005
    hr[70] = 1000

    ir = [0] * 100
    place(ir, 0, registers_of(struct.pack(">d", -1234.5678), "ABCD"))
    place(ir, 4, registers_of(struct.pack(">f", -1.5), "CDAB"))
    place(ir, 6, registers_of(struct.pack(">h", -32768), "ABCD"))
    place(ir, 7, registers_of(struct.pack(">H", 65535), "ABCD"))
    place(ir, 8, registers_of(struct.pack(">I", 123456789), "DCBA"))
    ir[10] = 0x0101

    coils = [0] * 64
    coils[0] = coils[2] = coils[3] = 1
    discrete = [0] * 64
    discrete[1] = discrete[5] = 1
    return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, hr), ir=ModbusSequentialDataBlock(0, ir),
                              co=ModbusSequentialDataBlock(0, coils), di=ModbusSequentialDataBlock(0, discrete),
                              zero_mode=True)


def unit2_context() -> ModbusSlaveContext:
    hr = [0] * 100
    hr[0] = 2222
    place(hr, 20, registers_of(struct.pack(">f", -21.5), "ABCD"))
    ir = [0] * 100
    ir[0] = 7
    coils = [0] * 100
    coils[1] = 1
    discrete = [0] * 100
    discrete[0] = 1
    return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, hr), ir=ModbusSequentialDataBlock(0, ir),
                              co=ModbusSequentialDataBlock(0, coils), di=ModbusSequentialDataBlock(0, discrete),
                              zero_mode=True)


async def serve(port: int, ready_file: str | None) -> None:
    context = ModbusServerContext(slaves={1: unit1_context(), 2: unit2_context()}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", port), allow_reuse_address=True)
    task = asyncio.create_task(server.serve_forever())
    await asyncio.wait_for(server.serving, timeout=10)
    bound = server.server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    if ready_file:
        partial = ready_file + ".partial"
        with open(partial, "w") as f:
            f.write(f"{bound}\n")
        os.replace(partial, ready_file)  # the reader never sees a half-written port
    print(f"modbus server listening on 127.0.0.1:{bound}", flush=True)

    await stop.wait()
    await server.shutdown()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    print("modbus server stopped", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--ready-file", help="where to write the port once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR, stream=sys.stdout)
    asyncio.run(serve(args.port, args.ready_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
