// Independent tools for the two-factor tests: one-time codes come only from oathtool (OATH
// Toolkit, RFC 6238), QR codes are read only by zbarimg (zbar). Neither shares code with the
// server, so a test that passes proves the server interoperates with them.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const kToolTimeoutMs = 10_000;

export const kPeriodS = 30;

/** The TOTP time step of a Unix time in seconds. */
export function time_step(unix_s) {
  return Math.floor(unix_s / kPeriodS);
}

/** Now, as a Unix time in whole seconds. */
export function now_s() {
  return Math.floor(Date.now() / 1000);
}

/**
 * The 6-digit code of a base32 secret (spaces allowed) with `oathtool --totp -b`, for the
 * current time or, with `unix_s`, for that time (`-N @UNIX`).
 */
export async function totp_code(secret, unix_s = undefined) {
  const args = ['--totp', '-b'];
  if (unix_s !== undefined) args.push('-N', `@${unix_s}`);
  args.push(secret.replace(/\s+/gu, ''));
  const { stdout } = await run('oathtool', args, { timeout: kToolTimeoutMs });
  const code = stdout.trim();
  if (!/^\d{6}$/u.test(code)) throw new Error(`oathtool printed ${JSON.stringify(stdout)}`);
  return code;
}

/** The text of the one QR code in an image file, with `zbarimg -q --raw` (stderr ignored). */
export async function decode_qr(file) {
  const { stdout } = await run('zbarimg', ['-q', '--raw', file], { timeout: kToolTimeoutMs });
  return stdout.replace(/\n$/u, '');
}
