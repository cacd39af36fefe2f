// The snap7 S7 server (npm node-snap7) as a test peer for the S7 integration tests, the
// benchmark and the demo: a simulated S7 CPU on 127.0.0.1 whose memory areas hold known bytes.
//
//   node s7_server.mjs --port P --ready-file F [--fill known|bench|demo|trial] [--db-bytes N]
//
// --port 0 picks a free port. The port is written to the ready file (atomically) once the
// server listens. SIGTERM / SIGINT stop it. The server accepts any rack/slot, TSAPs and
// connection type, grants the PDU size the client asks for (at least 240 bytes) and echoes the
// parallel jobs it asks for.
//
// Fill "known" (the integration tests' reference; all values big-endian as in a real CPU):
//
//   address          type               bytes (hex)              value
//   DB1.DBB0..15     BYTE               01 02 03 .. 10           byte i holds i + 1 (DB1 is 16 bytes)
//   DB10.DBX0.0..7   BOOL               A5                       bits 0, 2, 5, 7 set; 1, 3, 4, 6 clear
//   DB10.DBB1        BYTE               3C                       60
//   DB10.DBW2        WORD               BE EF                    48879
//   DB10.DBD4        DWORD              DE AD BE EF              3735928559
//   DB10.DBW8        INT                FF FE                    -2
//   DB10.DBD10       DINT               FF FE 79 60              -100000
//   DB10.DBW14       UINT               FD E8                    65000
//   DB10.DBD16       UDINT              EE 6B 28 00              4000000000
//   DB10.DBD20       REAL               41 AC 00 00              21.5
//   DB10.DBB24       LREAL              C0 93 4A 45 6D 5C FA AD  -1234.5678
//   DB10.DBW32       S5TIME             12 34                    time base 100 ms x 234 = 23400 ms
//   DB10.DBD34       TIME               00 38 CE FC              T#1h2m3s4ms = 3723004 ms
//   DB10.DBW38       DATE               (days since 1990-01-01)  D#2026-11-27 (13479 days)
//   DB10.DBB40       DATE_AND_TIME      26 11 27 08 15 00 25 06  DT#2026-11-27-08:15:00.250 (a Friday)
//   DB10.DBB48       STRING[20]         14 08 'Hello S7' 00..    'Hello S7' (22 bytes: 48..69)
//   DB10.DBB70       CHAR               5A                       'Z'
//   DB10.DBB71..255  -                  00                       free for write tests (DB10 is 256 bytes)
//   MB0              BYTE / M0.0..7     81                       M0.0 and M0.7 set
//   MW10             INT                04 D2                    1234
//   MD20             DINT               00 01 86 A0              100000
//   MB30..255        -                  00                       free for write tests (M is 256 bytes)
//   IB0 / EB0        BYTE / I0.0..7     05                       I0.0 and I0.2 set
//   IW2 / EW2        WORD               12 34                    4660 (inputs are 64 bytes)
//   QB0 / AB0        BYTE / Q0.0..7     0A                       Q0.1 and Q0.3 set
//   QB1 / AB1        BYTE / Q1.0..7     04                       Q1.2 set
//   QW2 / AW2        INT                FF FF                    -1 (outputs are 64 bytes)
//   T0               S5TIME             20 05                    time base 1 s x 5 = 5000 ms
//   T10              S5TIME             10 99                    time base 100 ms x 99 = 9900 ms
//   C0               COUNTER            00 42                    42
//   C10              COUNTER            09 99                    999
//
// S7-1200/1500 (TIA Portal) types and arrays, in DB15 (256 bytes) and DB16 (1,000 bytes):
//
//   DB15.DBB0        SINT               FB                       -5
//   DB15.DBB1        USINT              C8                       200
//   DB15.DBB2        LINT               FF FF FE E0 8E 04 FB 35  -1234567890123
//   DB15.DBB10       ULINT              AB 54 A9 8C EB 1F 0A D2  12345678901234567890
//   DB15.DBB18       LWORD              01 23 45 67 89 AB CD EF  0x0123456789ABCDEF
//   DB15.DBW26       WCHAR              03 A9                    'Ω' (UTF-16BE)
//   DB15.DBD28       TOD                02 AE A5 40              TOD#12:30:00.000 (45,000,000 ms since midnight)
//   DB15.DBB32       LTIME              00 00 03 62 D4 54 CA 8E  LTIME#1h2m3s4ms5us6ns (3,723,004,005,006 ns)
//   DB15.DBB40       DTL                07 EA 0B 1B 06 08 0F 00  DTL#2026-11-27-08:15:00.123456789: year (2 bytes),
//                                       07 5B CD 15              month, day, weekday (6 = Friday), h, m, s, ns (4 bytes)
//   DB15.DBB52       WSTRING[10]        00 0A 00 07 'Grüße Ω'    max and current length in characters, UTF-16BE (24 bytes)
//   DB15.DBD76       REAL[4]            (4 x 4 bytes)            [1.5, -2.25, 100.0, 0.125]
//   DB15.DBX92.0     BOOL[10]           69 02                    [T, F, F, T, F, T, T, F, F, T] (consecutive bits)
//   DB15.DBW94       INT[3]             FF FF 00 00 01 2C        [-1, 0, 300]
//   DB15.DBB100..255 -                  00                       free for write tests
//   DB16.DBD0        REAL[250]          (1,000 bytes)            element i = i / 2: more than one PDU of 480 holds
//
// Timers and counters: snap7 serves timer/counter n from byte n >> 1 of the area (its own
// convention; a real CPU keeps one word per element), so T10 and C10 live at bytes 5..6 and an
// item of several elements starting at n reads 2 bytes per element from byte n >> 1. T0 and C0
// read the same either way. There is no DB2..DB9, DB11..DB14 or DB17+: reading one answers
// "object does not exist" (return code 0x0A).
//
// Fill "trial" (a plant engineer's trial: tags past the end of a data block): DB10 of 512
// bytes (--db-bytes N for another length), where the word at every even offset n holds n
// (DB10.DBW504 = 504). No other data block.
//
// Fill "bench": DB1..DB20 of 2,000 bytes each, byte i of DBn = (n * 31 + i * 7) mod 256.
//
// Fill "demo": a bottle-filling line, updated every 100 ms:
//   DB1.DBX0.0  BOOL        running: on for 20 s, off for 5 s
//   DB1.DBX0.1  BOOL        fault: never set by the simulation (write it to see a change)
//   DB1.DBD2    REAL        product temperature, 60 °C + 5 °C sine with a period of 60 s
//   DB1.DBD6    DINT        bottles filled: +1 every 100 ms while running
//   DB1.DBW10   INT         line speed in bottles per minute (600 running, 0 stopped)
//   DB1.DBB12   STRING[16]  state: 'FILLING' or 'STOPPED'
//   DB1.DBD30   REAL        tank level in percent, drains while running, refills when stopped
//   MW0         WORD        heartbeat: +1 every 100 ms
import { createServer } from 'node:net';
import { renameSync, writeFileSync } from 'node:fs';
import snap7 from 'node-snap7';

function parse_arguments(argv) {
  const options = { port: null, readyFile: null, fill: 'known', dbBytes: 512 };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--port') options.port = Number(value);
    else if (name === '--ready-file') options.readyFile = value;
    else if (name === '--fill') options.fill = value;
    else if (name === '--db-bytes') options.dbBytes = Number(value);
    else throw new Error(`unknown option ${name}`);
    i += 1;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error('--port must be a TCP port number (0 picks a free one)');
  }
  if (!options.readyFile) throw new Error('--ready-file is required');
  if (!['known', 'bench', 'demo', 'trial'].includes(options.fill)) {
    throw new Error('--fill must be known, bench, demo or trial');
  }
  if (!Number.isInteger(options.dbBytes) || options.dbBytes < 2 || options.dbBytes > 65536 || options.dbBytes % 2) {
    throw new Error('--db-bytes must be an even number of bytes, 2 to 65536');
  }
  return options;
}

// Asks the kernel for a free loopback port; snap7 binds it right after (retried on a race).
function free_port() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// ---- fills ----

const bcd = (n) => ((Math.floor(n / 10) % 10) << 4) | (n % 10);

function days_since_1990(year, month, day) {
  return Math.round((Date.UTC(year, month - 1, day) - Date.UTC(1990, 0, 1)) / 86400000);
}

function s7_string(buffer, offset, maximum, text) {
  buffer[offset] = maximum;
  buffer[offset + 1] = text.length;
  buffer.fill(0, offset + 2, offset + 2 + maximum);
  buffer.write(text, offset + 2, 'latin1');
}

function known_areas() {
  const db1 = Buffer.alloc(16);
  for (let i = 0; i < db1.length; i += 1) db1[i] = i + 1;

  const db10 = Buffer.alloc(256);
  db10[0] = 0xa5;
  db10[1] = 0x3c;
  db10.writeUInt16BE(0xbeef, 2);
  db10.writeUInt32BE(0xdeadbeef, 4);
  db10.writeInt16BE(-2, 8);
  db10.writeInt32BE(-100000, 10);
  db10.writeUInt16BE(65000, 14);
  db10.writeUInt32BE(4000000000, 16);
  db10.writeFloatBE(21.5, 20);
  db10.writeDoubleBE(-1234.5678, 24);
  db10.writeUInt16BE(0x1234, 32);
  db10.writeInt32BE(((1 * 60 + 2) * 60 + 3) * 1000 + 4, 34);
  db10.writeUInt16BE(days_since_1990(2026, 11, 27), 38);
  // DATE_AND_TIME: BCD year (2 digits), month, day, hour, minute, second, then the three
  // millisecond digits and the weekday (1 = Sunday) in the last one and a half bytes.
  Buffer.from([bcd(26), bcd(11), bcd(27), bcd(8), bcd(15), bcd(0), 0x25, 0x06]).copy(db10, 40);
  s7_string(db10, 48, 20, 'Hello S7');
  db10[70] = 'Z'.charCodeAt(0);

  const flags = Buffer.alloc(256);
  flags[0] = 0x81;
  flags.writeInt16BE(1234, 10);
  flags.writeInt32BE(100000, 20);

  const inputs = Buffer.alloc(64);
  inputs[0] = 0x05;
  inputs.writeUInt16BE(0x1234, 2);

  const outputs = Buffer.alloc(64);
  outputs[0] = 0x0a;
  outputs[1] = 0x04;
  outputs.writeInt16BE(-1, 2);

  // 256 elements; see the header for snap7's byte-per-element-number convention.
  const timers = Buffer.alloc(512);
  timers.writeUInt16BE(0x2005, 0);
  timers.writeUInt16BE(0x1099, 10 >> 1);
  const counters = Buffer.alloc(512);
  counters.writeUInt16BE(0x0042, 0);
  counters.writeUInt16BE(0x0999, 10 >> 1);

  const [db15, db16] = tia_portal_areas();
  return { dbs: new Map([[1, db1], [10, db10], [15, db15], [16, db16]]), flags, inputs, outputs, timers, counters };
}

// The S7-1200/1500 types of the table above, laid out as a DB with standard (not optimized)
// block access holds them.
function tia_portal_areas() {
  const db15 = Buffer.alloc(256);
  db15.writeInt8(-5, 0);
  db15.writeUInt8(200, 1);
  db15.writeBigInt64BE(-1234567890123n, 2);
  db15.writeBigUInt64BE(12345678901234567890n, 10);
  db15.writeBigUInt64BE(0x0123456789abcdefn, 18);
  db15.writeUInt16BE(0x03a9, 26);
  db15.writeUInt32BE(((12 * 60 + 30) * 60) * 1000, 28);
  db15.writeBigInt64BE(3723004005006n, 32);
  db15.writeUInt16BE(2026, 40);
  Buffer.from([11, 27, 6, 8, 15, 0]).copy(db15, 42);
  db15.writeUInt32BE(123456789, 48);
  const text = 'Grüße Ω';
  db15.writeUInt16BE(10, 52);
  db15.writeUInt16BE(text.length, 54);
  for (let i = 0; i < text.length; i += 1) db15.writeUInt16BE(text.charCodeAt(i), 56 + 2 * i);
  [1.5, -2.25, 100.0, 0.125].forEach((value, i) => db15.writeFloatBE(value, 76 + 4 * i));
  db15[92] = 0x69;
  db15[93] = 0x02;
  [-1, 0, 300].forEach((value, i) => db15.writeInt16BE(value, 94 + 2 * i));

  const db16 = Buffer.alloc(1000);
  for (let i = 0; i < 250; i += 1) db16.writeFloatBE(i / 2, 4 * i);
  return [db15, db16];
}

function bench_areas() {
  const dbs = new Map();
  for (let n = 1; n <= 20; n += 1) {
    const db = Buffer.alloc(2000);
    for (let i = 0; i < db.length; i += 1) db[i] = (n * 31 + i * 7) & 0xff;
    dbs.set(n, db);
  }
  return { dbs, flags: Buffer.alloc(256), inputs: Buffer.alloc(64), outputs: Buffer.alloc(64),
           timers: Buffer.alloc(512), counters: Buffer.alloc(512) };
}

// The simulated filling line: a pure function of the tick (100 ms each) and the previous state.
function demo_step(state, tick) {
  const seconds = tick / 10;
  const running = seconds % 25 < 20;
  const next = { ...state };
  next.running = running;
  next.temperature = 60 + 5 * Math.sin((2 * Math.PI * seconds) / 60);
  if (running) {
    next.bottles = (state.bottles + 1) | 0;
    next.level = Math.max(5, state.level - 0.05);
  } else {
    next.level = Math.min(95, state.level + 0.2);
  }
  next.heartbeat = (state.heartbeat + 1) & 0xffff;
  return next;
}

function write_demo_db(db, state) {
  db[0] = (state.running ? 0x01 : 0) | (db[0] & 0x02);  // keep a fault bit written by a client
  db.writeFloatBE(state.temperature, 2);
  db.writeInt32BE(state.bottles, 6);
  db.writeInt16BE(state.running ? 600 : 0, 10);
  s7_string(db, 12, 16, state.running ? 'FILLING' : 'STOPPED');
  db.writeFloatBE(state.level, 30);
}

function trial_areas(bytes) {
  const db10 = Buffer.alloc(bytes);
  for (let offset = 0; offset + 1 < bytes; offset += 2) db10.writeUInt16BE(offset & 0xffff, offset);
  return { dbs: new Map([[10, db10]]), flags: Buffer.alloc(256), inputs: Buffer.alloc(64),
           outputs: Buffer.alloc(64), timers: Buffer.alloc(512), counters: Buffer.alloc(512) };
}

function demo_areas() {
  const db1 = Buffer.alloc(64);
  return { dbs: new Map([[1, db1]]), flags: Buffer.alloc(256), inputs: Buffer.alloc(64),
           outputs: Buffer.alloc(64), timers: Buffer.alloc(512), counters: Buffer.alloc(512) };
}

// ---- server ----

function register(server, areas) {
  const ok = [
    server.RegisterArea(server.srvAreaMK, areas.flags),
    server.RegisterArea(server.srvAreaPE, areas.inputs),
    server.RegisterArea(server.srvAreaPA, areas.outputs),
    server.RegisterArea(server.srvAreaTM, areas.timers),
    server.RegisterArea(server.srvAreaCT, areas.counters),
  ];
  for (const [number, buffer] of areas.dbs) ok.push(server.RegisterArea(server.srvAreaDB, number, buffer));
  if (ok.includes(false)) throw new Error(`registering the memory areas failed: ${server.ErrorText(server.LastError())}`);
}

async function start(server, requestedPort) {
  const attempts = requestedPort === 0 ? 20 : 1;
  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = requestedPort === 0 ? await free_port() : requestedPort;
    server.SetParam(server.LocalPort, port);
    if (server.StartTo('127.0.0.1')) return port;
    lastError = server.ErrorText(server.LastError());
  }
  throw new Error(`the snap7 server could not listen on 127.0.0.1 port ${requestedPort}: ${lastError}`);
}

async function main() {
  const options = parse_arguments(process.argv.slice(2));
  const server = new snap7.S7Server();
  const fills = { known: known_areas, bench: bench_areas, demo: demo_areas, trial: () => trial_areas(options.dbBytes) };
  const areas = fills[options.fill]();
  register(server, areas);

  let simulation = null;
  if (options.fill === 'demo') {
    // RegisterArea copies the buffer: the simulation reads the area back (to keep bits that a
    // client wrote) and publishes it with SetArea.
    let state = { running: true, temperature: 60, bottles: 0, level: 80, heartbeat: 0 };
    let tick = 0;
    const initial = server.GetArea(server.srvAreaDB, 1);
    write_demo_db(initial, state);
    server.SetArea(server.srvAreaDB, 1, initial);
    simulation = setInterval(() => {
      tick += 1;
      state = demo_step(state, tick);
      const db = server.GetArea(server.srvAreaDB, 1);
      write_demo_db(db, state);
      server.SetArea(server.srvAreaDB, 1, db);
      const flags = server.GetArea(server.srvAreaMK);
      flags.writeUInt16BE(state.heartbeat, 0);
      server.SetArea(server.srvAreaMK, flags);
    }, 100);
  }

  const port = await start(server, options.port);
  const temporary = `${options.readyFile}.tmp`;
  writeFileSync(temporary, `${port}\n`);
  renameSync(temporary, options.readyFile);
  process.stderr.write(`s7_server: listening on 127.0.0.1:${port} (fill ${options.fill})\n`);

  const stop = (signal) => {
    if (simulation) clearInterval(simulation);
    server.Stop();
    process.stderr.write(`s7_server: stopped by ${signal}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`s7_server: ${error.message}\n`);
  process.exit(1);
});
