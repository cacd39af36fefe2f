// The baseline of bench/s7_read_bench: snap7's own client (npm node-snap7) reading the same
// tag list with ReadMultiVars, one item per tag (the way its API takes variables), 20 items per
// call (snap7's MaxVars). Counts the calls of one cycle and times N cycles.
//
//   node bench/snap7_multivars.mjs --port P --tags FILE [--cycles N] [--items-per-call 20]
//
// FILE: a JSON array of {"db": 3, "start": 120, "bit": 0, "type": "BOOL|INT|DINT|REAL|WORD"}.
// Prints one JSON line: pdu, tags, calls_per_cycle, cycles, seconds, tags_per_second, failures.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// node-snap7 is installed with the test peers (scripts/setup).
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'peers', 'package.json'));
const library = require('node-snap7');

function parse_arguments(argv) {
  const options = { port: 0, tags: '', cycles: 100, itemsPerCall: 20 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--port') options.port = Number(value);
    else if (name === '--tags') options.tags = value;
    else if (name === '--cycles') options.cycles = Number(value);
    else if (name === '--items-per-call') options.itemsPerCall = Number(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!options.port || !options.tags) throw new Error('usage: snap7_multivars.mjs --port P --tags FILE [--cycles N]');
  return options;
}

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

function main() {
  const options = parse_arguments(process.argv.slice(2));
  const tags = JSON.parse(readFileSync(options.tags, 'utf8'));
  const client = new library.S7Client();
  client.SetParam(client.RemotePort, options.port);
  if (!client.ConnectTo('127.0.0.1', 0, 1)) throw new Error(`connect: ${client.ErrorText(client.LastError())}`);
  const pdu = client.PDULength();
  const items = tags.map((tag) => item_for(client, tag));
  const calls = [];
  for (let i = 0; i < items.length; i += options.itemsPerCall) calls.push(items.slice(i, i + options.itemsPerCall));

  let failures = 0;
  const cycle = () => {
    for (const call of calls) {
      const results = client.ReadMultiVars(call);
      if (!results) throw new Error(`ReadMultiVars: ${client.ErrorText(client.LastError())}`);
      for (const result of results) if (result.Result !== 0) failures += 1;
    }
  };
  cycle();  // warm-up, as the driver's first cycle
  failures = 0;
  const started = process.hrtime.bigint();
  for (let n = 0; n < options.cycles; n += 1) cycle();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.Disconnect();
  process.stdout.write(`${JSON.stringify({
    pdu, tags: tags.length, calls_per_cycle: calls.length, cycles: options.cycles, seconds,
    tags_per_second: (tags.length * options.cycles) / seconds, failures,
  })}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`snap7_multivars: ${error.message}\n`);
  process.exit(1);
}
