// Starts a real logbot-cloud for a browser test: a fresh data directory, one organisation
// with its owner (bootstrapped through `admin create-org`), then `serve` on an ephemeral
// port. The base URL comes from the ready file the server writes once it listens.
//
// Everything is bounded in time, and the server is always stopped: by stop() (SIGTERM,
// then SIGKILL after a grace period) or, if the test process dies first, by an exit hook.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the binaries are: $LOGBOT_BIN_DIR, else build/bin of this work tree. */
export const bin_dir = path.resolve(process.env.LOGBOT_BIN_DIR || path.join(here, '..', '..', '..', 'build', 'bin'));
export const cloud_bin = path.join(bin_dir, 'logbot-cloud');

const kCommandTimeoutMs = 20_000;
const kReadyTimeoutMs = 20_000;
const kStopGraceMs = 10_000;

// Servers still running; killed if the test process exits without stopping them.
const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Keeps the last `limit` characters of a stream, for error messages. */
function tail_collector(limit = 20_000) {
  let text = '';
  return {
    add(chunk) { text = (text + chunk.toString()).slice(-limit); },
    get text() { return text; },
  };
}

/**
 * Runs `logbot-cloud ARGS` to completion with `stdin_text` on stdin.
 * Resolves to {code, stdout, stderr}; rejects on timeout.
 */
export async function run_cloud_command(args, stdin_text = '', timeout_ms = kCommandTimeoutMs) {
  const child = spawn(cloud_bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  child.stdin.on('error', () => { /* the command may exit before reading stdin */ });
  child.stdin.end(stdin_text);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout_ms);
  try {
    const [code, signal] = await once(child, 'exit');
    if (signal === 'SIGKILL') {
      throw new Error(`logbot-cloud ${args.join(' ')} did not finish within ${timeout_ms} ms`);
    }
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

async function wait_for_ready_file(ready_file, child, output) {
  const deadline = Date.now() + kReadyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`logbot-cloud serve exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${output.text}`);
    }
    if (existsSync(ready_file)) {
      const text = await readFile(ready_file, 'utf8');
      // Written atomically with a trailing newline; a partial file would lack it.
      // Line 1 is the HTTPS base URL (line 2, the devices' uplink URL, is not needed here).
      if (text.endsWith('\n') && text.trim() !== '') return text.split('\n')[0].trim().replace(/\/$/, '');
    }
    await sleep(100);
  }
  throw new Error(`logbot-cloud serve wrote no ready file within ${kReadyTimeoutMs} ms:\n${output.text}`);
}

/**
 * Creates the platform operator's account with `admin create-operator` in `data_dir`
 * (the admin CLI writes the database directly: before or while the server runs).
 * Resolves to the new account's user id.
 */
export async function create_operator(data_dir, { email, password }) {
  if (!email || !password) throw new Error('create_operator needs an e-mail and a password');
  const created = await run_cloud_command(
    ['admin', 'create-operator', '--email', email, '--password-stdin', '--data-dir', data_dir],
    `${password}\n`);
  if (created.code !== 0) {
    throw new Error(`admin create-operator failed (exit ${created.code}):\n${created.stdout}${created.stderr}`);
  }
  // "operator <email> created (<user_id>)"
  const match = /operator (\S+) created \(([^)]+)\)/.exec(created.stdout);
  if (!match) throw new Error(`unexpected output of admin create-operator: ${JSON.stringify(created.stdout)}`);
  return match[2];
}

/**
 * Bootstraps an organisation and starts the server.
 * Options: org (name), owner (e-mail), password, serve_args (extra flags for `serve`).
 * Resolves to {base_url, data_dir, org_id, owner_user_id, output(), stop(), create_operator()}.
 * stop() resolves to {code, signal} of the server process; create_operator({email, password})
 * creates the operator's account in this server's data directory and resolves to its user id.
 */
export async function start_cloud({
  org = 'Acme',
  owner = 'alice@example.com',
  password,
  serve_args = [],
} = {}) {
  if (!existsSync(cloud_bin)) {
    throw new Error(`${cloud_bin} not found: build the project first or set LOGBOT_BIN_DIR`);
  }
  if (!password) throw new Error('start_cloud needs the owner password');

  const data_dir = await mkdtemp(path.join(tmpdir(), 'logbot-browser-'));
  const cleanup = async () => {
    if (!process.env.LOGBOT_KEEP_TEST_DIRS) await rm(data_dir, { recursive: true, force: true });
  };

  let org_id;
  let owner_user_id;
  try {
    const created = await run_cloud_command(
      ['admin', 'create-org', org, '--owner', owner, '--password-stdin', '--data-dir', data_dir],
      `${password}\n`);
    if (created.code !== 0) {
      throw new Error(`admin create-org failed (exit ${created.code}):\n${created.stdout}${created.stderr}`);
    }
    // "org <org_id> created, owner <email> (<user_id>)"
    const match = /org (\S+) created, owner (\S+) \(([^)]+)\)/.exec(created.stdout);
    if (!match) throw new Error(`unexpected output of admin create-org: ${JSON.stringify(created.stdout)}`);
    [, org_id, , owner_user_id] = match;
  } catch (error) {
    await cleanup();
    throw error;
  }

  const ready_file = path.join(data_dir, 'ready');
  const output = tail_collector();
  const child = spawn(cloud_bin,
    ['serve', '--data-dir', data_dir, '--listen', '127.0.0.1:0', '--ready-file', ready_file, ...serve_args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.stdout.on('data', (chunk) => output.add(chunk));
  child.stderr.on('data', (chunk) => output.add(chunk));
  const exited = once(child, 'exit').then(([code, signal]) => {
    running.delete(child);
    return { code, signal };
  });

  let stopping = null;
  const stop = () => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), kStopGraceMs);
      const result = await exited;
      clearTimeout(timer);
      await cleanup();
      return result;
    })();
    return stopping;
  };

  let base_url;
  try {
    base_url = await wait_for_ready_file(ready_file, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(base_url)) {
    await stop();
    throw new Error(`ready file holds ${JSON.stringify(base_url)}, expected https://127.0.0.1:PORT`);
  }
  return {
    base_url,
    data_dir,
    org_id,
    owner_user_id,
    output: () => output.text,
    stop,
    create_operator: (account) => create_operator(data_dir, account),
  };
}

/** Stops the server with SIGTERM and asserts the graceful exit (status 0, no signal). */
export async function stop_cloud_cleanly(cloud) {
  const { code, signal } = await cloud.stop();
  if (signal !== null) throw new Error(`logbot-cloud was killed (${signal}), output:\n${cloud.output()}`);
  if (code !== 0) throw new Error(`logbot-cloud exited with ${code} after SIGTERM, output:\n${cloud.output()}`);
}

/** Wraps a test body: a failure carries the tail of the server's log, for diagnosis. */
export function with_server_log(get_cloud, body) {
  return async () => {
    try {
      await body();
    } catch (error) {
      const cloud = get_cloud();
      if (error && typeof error === 'object' && cloud) {
        error.message += `\n--- logbot-cloud output (tail) ---\n${cloud.output().slice(-4000)}`;
      }
      throw error;
    }
  };
}
