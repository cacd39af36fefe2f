// The baselines of bench/s7_read_bench: snap7's own client (npm node-snap7) reading the same tag
// list at the PDU size the bench asks for (SetParam(PDURequest): snap7 requests 480 bytes unless
// told). snap7's client always asks for 1 parallel job and its calls are synchronous: one
// request in flight. Modes:
//   tags    ReadMultiVars with one item per tag (the way its API takes variables), as many
//           items per call as the PDU allows, at most 20 (snap7's MaxVars);
//   runs    ReadMultiVars with one byte-range item per run of touching or overlapping tags of
//           one data block (adjacent tags merged, no gap read), packed the same way;
//   dbread  DBRead of each data block's used range (first to last byte of its tags), in slices
//           of PDU - 18 bytes, each slice one call and one round trip (what DBRead itself
//           does with a longer range).
// Counts the calls (round trips) of one cycle and times N cycles after one warm-up cycle.
//
//   node bench/snap7_multivars.mjs --port P --tags FILE [--cycles N] [--pdu-size 480] [--mode tags]
//
// FILE: a JSON array of {"db": 3, "start": 120, "bit": 0, "type": "BOOL|INT|DINT|REAL|WORD"}.
// Prints one JSON line: mode, pdu, tags, calls_per_cycle, items_per_cycle, bytes_per_cycle,
// cycles, seconds, tags_per_second, failures.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// node-snap7 is installed with the test peers (scripts/setup).
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'peers', 'package.json'));
const library = require('node-snap7');

// Read Var wire sizes (as src/agent/s7/s7_plan.hpp): request header 12 and 12 per item;
// response header 14 and per item 4 plus the data, padded to even unless last.
const kRequestHeader = 12;
const kRequestItem = 12;
const kResponseHeader = 14;
const kResponseItem = 4;
const kMaxVars = 20;

function parse_arguments(argv) {
  const options = { port: 0, tags: '', cycles: 100, pduSize: 480, mode: 'tags' };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--port') options.port = Number(value);
    else if (name === '--tags') options.tags = value;
    else if (name === '--cycles') options.cycles = Number(value);
    else if (name === '--pdu-size') options.pduSize = Number(value);
    else if (name === '--mode') options.mode = value;
    else throw new Error(`unknown option ${name}`);
  }
  if (!options.port || !options.tags) throw new Error('usage: snap7_multivars.mjs --port P --tags FILE [--cycles N]');
  if (!['tags', 'runs', 'dbread'].includes(options.mode)) throw new Error(`unknown mode ${options.mode}`);
  return options;
}

const kSizes = { BOOL: 1, INT: 2, WORD: 2, DINT: 4, REAL: 4 };

function item_for(client, tag) {
  const common = { Area: client.S7AreaDB, DBNumber: tag.db, Amount: 1 };
  switch (tag.type) {
    case 'BOOL': return { ...common, WordLen: client.S7WLBit, Start: tag.start * 8 + tag.bit };
    // node-snap7 exports no S7WLInt/S7WLDInt: words of the same width are the same size on the wire.
    case 'INT':
    case 'WORD': return { ...common, WordLen: client.S7WLWord, Start: tag.start };
    case 'DINT': return { ...common, WordLen: client.S7WLDWord, Start: tag.start };
    case 'REAL': return { ...common, WordLen: client.S7WLReal, Start: tag.start };
    default: throw new Error(`no ReadMultiVars word length for ${tag.type}`);
  }
}

// Runs of touching or overlapping tags of one data block, as byte ranges of at most `payload` bytes.
function touching_runs(tags, payload) {
  const spans = tags.map((tag) => ({ db: tag.db, begin: tag.start, end: tag.start + kSizes[tag.type] }))
    .sort((x, y) => x.db - y.db || x.begin - y.begin || x.end - y.end);
  const runs = [];
  for (const span of spans) {
    const last = runs[runs.length - 1];
    if (last && last.db === span.db && span.begin <= last.end) last.end = Math.max(last.end, span.end);
    else runs.push({ ...span });
  }
  const sliced = [];
  for (const run of runs)
    for (let begin = run.begin; begin < run.end; begin += payload)
      sliced.push({ db: run.db, begin, end: Math.min(run.end, begin + payload) });
  return sliced;
}

// Packs items into calls in order, each call within the item limit and both PDU sizes.
function pack(items, sizes, pdu) {
  const calls = [];
  let response = 0;
  for (let i = 0; i < items.length; i += 1) {
    const cost = kResponseItem + sizes[i] + (sizes[i] & 1);
    const call = calls[calls.length - 1];
    const fits = call && call.length < kMaxVars && kRequestHeader + kRequestItem * (call.length + 1) <= pdu &&
      response + cost <= pdu;
    if (fits) call.push(items[i]);
    else {
      calls.push([items[i]]);
      response = kResponseHeader;
    }
    response += cost;
  }
  return calls;
}

function main() {
  const options = parse_arguments(process.argv.slice(2));
  const tags = JSON.parse(readFileSync(options.tags, 'utf8'));
  const client = new library.S7Client();
  client.SetParam(client.RemotePort, options.port);
  if (!client.SetParam(client.PDURequest, options.pduSize)) throw new Error('SetParam(PDURequest) failed');
  if (!client.ConnectTo('127.0.0.1', 0, 1)) throw new Error(`connect: ${client.ErrorText(client.LastError())}`);
  const pdu = client.PDULength();
  const payload = pdu - kResponseHeader - kResponseItem;

  let failures = 0;
  let cycle;
  let calls_per_cycle;
  let items_per_cycle;
  let bytes_per_cycle;
  if (options.mode === 'dbread') {
    const ranges = new Map();
    for (const tag of tags) {
      const range = ranges.get(tag.db) ?? { begin: tag.start, end: tag.start };
      range.begin = Math.min(range.begin, tag.start);
      range.end = Math.max(range.end, tag.start + kSizes[tag.type]);
      ranges.set(tag.db, range);
    }
    const slices = [];
    for (const [db, range] of [...ranges].sort((x, y) => x[0] - y[0]))
      for (let begin = range.begin; begin < range.end; begin += payload)
        slices.push({ db, begin, size: Math.min(payload, range.end - begin) });
    calls_per_cycle = slices.length;
    items_per_cycle = slices.length;
    bytes_per_cycle = slices.reduce((sum, slice) => sum + slice.size, 0);
    cycle = () => {
      for (const slice of slices) {
        const data = client.DBRead(slice.db, slice.begin, slice.size);
        if (!data || data.length !== slice.size) failures += 1;
      }
    };
  } else {
    let items;
    let sizes;
    if (options.mode === 'tags') {
      items = tags.map((tag) => item_for(client, tag));
      sizes = tags.map((tag) => kSizes[tag.type]);
    } else {
      const runs = touching_runs(tags, payload);
      items = runs.map((run) => ({
        Area: client.S7AreaDB, DBNumber: run.db, WordLen: client.S7WLByte, Start: run.begin, Amount: run.end - run.begin,
      }));
      sizes = runs.map((run) => run.end - run.begin);
    }
    const calls = pack(items, sizes, pdu);
    calls_per_cycle = calls.length;
    items_per_cycle = items.length;
    bytes_per_cycle = sizes.reduce((sum, size) => sum + size, 0);
    cycle = () => {
      for (const call of calls) {
        const results = client.ReadMultiVars(call);
        if (!results) throw new Error(`ReadMultiVars: ${client.ErrorText(client.LastError())}`);
        for (const result of results) if (result.Result !== 0) failures += 1;
      }
    };
  }
  cycle();  // warm-up, as the driver's first cycle
  const started = process.hrtime.bigint();
  for (let n = 0; n < options.cycles; n += 1) cycle();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.Disconnect();
  process.stdout.write(`${JSON.stringify({
    mode: options.mode, pdu, tags: tags.length, calls_per_cycle, items_per_cycle, bytes_per_cycle,
    cycles: options.cycles, seconds, tags_per_second: (tags.length * options.cycles) / seconds, failures,
  })}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`snap7_multivars: ${error.message}\n`);
  process.exit(1);
}
