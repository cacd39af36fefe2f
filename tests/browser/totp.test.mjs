// Browser tests of two-factor authentication (TOTP, docs/SECURITY.md) through the real
// pages: setting up the authenticator on the account page, the two-step login, recovery
// codes, and the organisation policy that makes members set up an authenticator.
//
// One-time codes come only from oathtool and the QR code is read only by zbarimg (see
// support/totp.mjs): independent implementations, not the server's own code.
// Run: cd tests/browser && node --test

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  account_log_with, eventually, join_through_api, launch_browser, login_through_page, open_console as open_browser_console,
  read_table,
} from './support/browser.mjs';
import { start_cloud, stop_cloud_cleanly, with_server_log } from './support/cloud.mjs';
import { decode_qr, kPeriodS, now_s, time_step, totp_code } from './support/totp.mjs';

const kOwner = 'olivia@example.com';
const kOwnerPassword = 'olivia-owner-password-1';
const kDave = 'dave@example.com';
const kDavePassword = 'dave-initial-password-1';
const kErin = 'erin@example.com';
const kErinPassword = 'erin-initial-password-1';
const kTestTimeoutMs = 180_000;
// The longest a test waits for the next time step (one period plus a margin).
const kMaxStepWaitMs = 35_000;

const kConfirmUrl = /status of 40[03] .*\/api\/v1\/me\/totp\/enrolment\/confirm\]$/;
const kStartUrl = /status of 403 .*\/api\/v1\/me\/totp\/enrolment\]$/;
const kResetUrl = /status of 403 .*\/reset-2fa\]$/;
const kSecondFactorUrl = /status of 401 .*\/api\/v1\/auth\/totp\]$/;
const kDisableUrl = /status of 403 .*\/api\/v1\/me\/totp\/disable\]$/;

let cloud;
let browser;
let shots_dir;

before(async () => {
  cloud = await start_cloud({ org: 'Acme', owner: kOwner, password: kOwnerPassword });
  browser = await launch_browser();
  shots_dir = await mkdtemp(path.join(tmpdir(), 'logbot-totp-shots-'));
}, { timeout: 60_000 });

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (shots_dir) await rm(shots_dir, { recursive: true, force: true });
  if (cloud) {
    await stop_cloud_cleanly(cloud);  // a graceful exit, status 0 (docs/OPERATIONS.md)
  }
}, { timeout: 30_000 });

// --- helpers ----------------------------------------------------------------------------------

// The owner's authenticator, set up by one test and used by the next.
let owner_enrolment;

function open_console() {
  return open_browser_console(browser, cloud.base_url);
}

const with_cloud_log = (body) => with_server_log(() => cloud, body);

/** The owner invites a new member, who joins through the link (the page flow is covered by console.test.mjs). */
function add_member(email, password, role = 'viewer') {
  return join_through_api(cloud.base_url, {
    inviter: kOwner, inviter_password: kOwnerPassword, org_id: cloud.org_id, email, password, role,
  });
}

/** A 6-digit code that oathtool gives for none of the steps the server accepts now. */
async function wrong_code(secret) {
  const t = now_s();
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((k) => totp_code(secret, t + k * kPeriodS))));
  for (const candidate of ['000000', '111111', '222222', '333333', '444444', '555555']) {
    if (!valid.has(candidate)) return candidate;
  }
  throw new Error('no wrong code found');
}

/**
 * A code of a time step after `used_step` (the server refuses an accepted step again): the
 * current code, once the clock has left `used_step` — waiting for that at most kMaxStepWaitMs.
 */
async function fresh_code(secret, used_step) {
  const deadline = Date.now() + kMaxStepWaitMs;
  for (;;) {
    const t = now_s();
    if (time_step(t) > used_step) return { code: await totp_code(secret, t), step: time_step(t) };
    const wait_ms = (used_step + 1) * kPeriodS * 1000 - Date.now() + 250;
    assert.ok(Date.now() + wait_ms <= deadline, `waiting ${wait_ms} ms for the next time step exceeds the bound`);
    await sleep(Math.max(wait_ms, 50));
  }
}

/** Enters the e-mail and password on the login page; expects the second step, not a new page. */
async function password_step(page, email, password) {
  await page.goto('/login.html');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('#login');
  await page.locator('#totp-login-code').waitFor({ state: 'visible' });
  assert.ok(new URL(page.url()).pathname === '/login.html', `left the login page for ${page.url()}`);
  assert.equal(await page.isHidden('#login-form'), true, 'the password form is still shown');
}

/** Submits the second login step and waits for the server's answer to it. */
async function submit_second_factor(page, text) {
  await page.fill('#totp-login-code', text);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/totp') && r.request().method() === 'POST'),
    page.click('#totp-login-submit'),
  ]);
  return answer;
}

/**
 * Sets up the authenticator on the account page of `console_` (already open there):
 * current password → Set up → QR code (decoded by zbarimg) → "Unable to scan?" → secret →
 * oathtool code and the password again → Save.
 * With `wrong_password_first`, the setup is first tried with a wrong password (no QR code, and
 * at the confirmation 403, 2FA stays off); with `wrong_code_first`, a wrong code is tried before
 * and must leave 2FA off. Resolves to {secret, uri, step (of the accepted code), recovery_codes}.
 */
async function enrol_through_page(console_, email, password, { wrong_code_first = false, wrong_password_first = false } = {}) {
  const { page, context } = console_;
  if (wrong_password_first) {
    // Without the password the page does not even ask the server; with a wrong one the server refuses.
    await page.fill('#totp-start-password', '');
    await page.locator('#totp-setup').click();
    await page.locator('#totp-status.status-error', { hasText: 'Enter your current password' }).waitFor();
    await page.fill('#totp-start-password', 'not-the-password-1');
    await console_.expecting(kStartUrl, async () => {
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/me/totp/enrolment') && r.request().method() === 'POST'),
        page.locator('#totp-setup').click(),
      ]);
      assert.equal(answer.status(), 403);
      assert.equal((await answer.json()).error, 'wrong_password');
      await page.locator('#totp-status.status-error', { hasText: 'The password is wrong.' }).waitFor();
    });
    assert.equal(await page.isHidden('#totp-enrol'), true, 'the QR code is shown after a wrong password');
    const state = await (await context.request.get('/api/v1/me/totp')).json();
    assert.equal(state.pending, false, 'a wrong password started an enrolment');
  }
  assert.equal((await page.textContent('label[for="totp-start-password"]')).trim(), 'Current password');
  await page.fill('#totp-start-password', password);
  await page.locator('#totp-setup').click();
  const enrol = page.locator('#totp-enrol');
  await enrol.waitFor({ state: 'visible' });
  const steps = (await enrol.locator('ol.steps > li').allTextContents()).map((text) => text.replace(/\s+/gu, ' ').trim());
  assert.equal(steps.length, 3, `steps ${JSON.stringify(steps)}`);
  assert.match(steps[0], /^Install one of the following applications on your mobile: FreeOTP, Google Authenticator$/);
  assert.match(steps[1], /^Open the application and scan the barcode/);
  assert.match(steps[2], /^Enter the one-time code provided by the application and your current password, and click Save to finish the setup\./);

  // The QR code: a same-origin image with a cache-buster, loaded under the CSP.
  const qr = page.locator('#totp-qr');
  const src = await qr.getAttribute('src');
  assert.match(src, /^\/api\/v1\/me\/totp\/enrolment\/qr\.svg\?.+/);
  await eventually('the QR code image', () => qr.evaluate((img) => img.complete && img.naturalWidth > 0));

  // The secret is only shown on request.
  assert.equal(await page.isHidden('#totp-secret'), true, 'the secret is shown before "Unable to scan?"');
  await page.click('#totp-unable-to-scan');
  await page.locator('#totp-secret').waitFor({ state: 'visible' });
  const secret_text = (await page.textContent('#totp-secret')).trim();
  assert.match(secret_text, /^[A-Z2-7]{4}( [A-Z2-7]{4})*$/, `secret ${JSON.stringify(secret_text)} is not base32 in groups of 4`);
  const secret = secret_text.replace(/ /gu, '');
  assert.equal(secret.length, 32, 'not a 160-bit secret');
  assert.equal((await page.textContent('#totp-type')).trim(), 'TOTP');
  assert.equal((await page.textContent('#totp-algorithm')).trim(), 'SHA1');
  assert.equal((await page.textContent('#totp-digits')).trim(), '6');
  assert.equal((await page.textContent('#totp-period')).trim(), '30 s');

  const uri = (await page.textContent('#totp-uri')).trim();
  const parsed = new URL(uri);
  assert.equal(parsed.protocol, 'otpauth:');
  assert.equal(parsed.host, 'totp');
  assert.equal(decodeURIComponent(parsed.pathname), `/Logbot:${email}`);
  assert.equal(parsed.searchParams.get('secret'), secret);
  assert.equal(parsed.searchParams.get('issuer'), 'Logbot');

  // zbarimg reads the URI shown in the page from a screenshot of the QR code.
  const shot = path.join(shots_dir, `qr-${email}-${Date.now()}.png`);
  await qr.screenshot({ path: shot });
  assert.equal(await decode_qr(shot), uri, 'the QR code does not hold the URI shown');

  // The code input as authenticator applications and password managers expect it.
  const code_input = page.locator('#totp-code');
  assert.equal((await page.textContent('label[for="totp-code"]')).trim(), 'One-time code');
  assert.equal(await code_input.getAttribute('inputmode'), 'numeric');
  assert.equal(await code_input.getAttribute('autocomplete'), 'one-time-code');

  assert.equal((await page.textContent('label[for="totp-confirm-password"]')).trim(), 'Current password');
  if (wrong_password_first) {
    await code_input.fill(await totp_code(secret, now_s()));
    await page.fill('#totp-confirm-password', 'not-the-password-1');
    await console_.expecting(kConfirmUrl, async () => {
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/me/totp/enrolment/confirm')),
        page.click('#totp-save'),
      ]);
      assert.equal(answer.status(), 403);
      assert.equal((await answer.json()).error, 'wrong_password');
      await page.locator('#totp-enrol-status.status-error', { hasText: 'The password is wrong.' }).waitFor();
    });
    const state = await (await context.request.get('/api/v1/me/totp')).json();
    assert.equal(state.enabled, false, 'a wrong password enabled two-factor authentication');
    assert.equal(await page.isVisible('#totp-enrol'), true, 'the setup closed after a wrong password');
  }
  await page.fill('#totp-confirm-password', password);
  if (wrong_code_first) {
    await code_input.fill(await wrong_code(secret));
    await console_.expecting(kConfirmUrl, async () => {
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/me/totp/enrolment/confirm')),
        page.click('#totp-save'),
      ]);
      assert.equal(answer.status(), 400);
      assert.equal((await answer.json()).error, 'invalid_totp');
      await page.locator('#totp-enrol-status.status-error', { hasText: 'code is wrong' }).waitFor();
    });
    const state = await (await context.request.get('/api/v1/me/totp')).json();
    assert.equal(state.enabled, false, 'a wrong code enabled two-factor authentication');
    assert.equal(await page.isVisible('#totp-enrol'), true, 'the setup closed after a wrong code');
  }

  const t = now_s();
  await code_input.fill(await totp_code(secret, t));
  await page.click('#totp-save');
  await page.locator('#recovery-codes li').nth(9).waitFor();
  const recovery_codes = (await page.locator('#recovery-codes li').allTextContents()).map((text) => text.trim());
  assert.equal(recovery_codes.length, 10, JSON.stringify(recovery_codes));
  for (const code of recovery_codes) assert.match(code, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
  assert.equal(new Set(recovery_codes).size, 10, 'recovery codes repeat');
  assert.match(await page.textContent('#totp-recovery'), /safe place/);
  assert.equal(await page.isHidden('#totp-enrol'), true);
  assert.equal(await page.isVisible('#totp-done'), true);
  return { secret, uri, step: time_step(t), recovery_codes };
}

/** Rows of the account log whose event is `event`, newest first. */
function rows_of(table, event) {
  return table.rows.filter((row) => row.cells[1] === event);
}

// --- tests ------------------------------------------------------------------------------------

describe('two-factor authentication', () => {
  test('a user sets up the authenticator, then logs in with one-time and recovery codes', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    await add_member(kDave, kDavePassword);
    const dave = await open_console();
    const { page, context } = dave;
    try {
      await login_through_page(page, kDave, kDavePassword);
      await page.locator('#totp-setup').waitFor({ state: 'visible' });
      assert.equal(await page.isVisible('#password-section'), true);

      const enrolment = await enrol_through_page(dave, kDave, kDavePassword, { wrong_code_first: true, wrong_password_first: true });
      await page.click('#totp-done');
      await page.locator('#totp-enabled', { hasText: 'Enabled' }).waitFor();
      assert.equal((await page.textContent('#totp-recovery-remaining')).trim(), '10');
      assert.equal(await page.locator('#recovery-codes li').count(), 0, 'the recovery codes stay in the page');
      await account_log_with(page, 'UPDATE_TOTP');
      assert.deepEqual(dave.problems, [], 'console errors or CSP violations on the pages');

      // Log out; the password alone now leads to the second step, a half-authenticated session.
      await Promise.all([page.waitForURL('**/login.html'), page.click('#logout')]);
      await password_step(page, kDave, kDavePassword);
      assert.match(await page.textContent('label[for="totp-login-code"]'), /one-time code or recovery code/i);
      const half = await context.request.get('/api/v1/me/sessions');
      assert.equal(half.status(), 403, 'a half-authenticated session reads its sessions');
      assert.equal((await half.json()).error, 'second_factor_required');
      const me_half = await (await context.request.get('/api/v1/me')).json();
      assert.equal(me_half.session && me_half.session.stage, 'totp_required');

      // A fresh code (the enrolment's step is used up) finishes the login.
      const login_code = await fresh_code(enrolment.secret, enrolment.step);
      const [, accepted] = await Promise.all([
        page.waitForURL('**/account.html'),
        submit_second_factor(page, login_code.code),
      ]);
      assert.equal(accepted.status(), 200);
      const log = await account_log_with(page, 'LOGIN');
      assert.match(rows_of(log, 'LOGIN')[0].cells[4], /auth_method=password\+totp/);
      assert.equal(rows_of(log, 'LOGIN')[0].cells[3], 'web');
      assert.deepEqual(dave.problems, [], 'console errors or CSP violations on the pages');

      // A wrong code, then the code just used: both refused, the user stays on the second step.
      await Promise.all([page.waitForURL('**/login.html'), page.click('#logout')]);
      await password_step(page, kDave, kDavePassword);
      let replay_step;
      await dave.expecting(kSecondFactorUrl, async () => {
        const wrong = await submit_second_factor(page, await wrong_code(enrolment.secret));
        assert.equal(wrong.status(), 401);
        assert.equal((await wrong.json()).error, 'invalid_totp');
        await page.locator('#error', { hasText: /wrong or was used already/ }).waitFor({ state: 'visible' });
        assert.equal(await page.inputValue('#totp-login-code'), '');

        replay_step = time_step(now_s());
        const replayed = await submit_second_factor(page, login_code.code);
        assert.equal(replayed.status(), 401, 'a replayed code was accepted');
        assert.equal((await replayed.json()).error, 'invalid_totp');
        await page.locator('#error', { hasText: /wrong or was used already/ }).waitFor({ state: 'visible' });
      });
      assert.ok(new URL(page.url()).pathname === '/login.html');
      assert.equal(await page.isVisible('#totp-login-code'), true);

      // A recovery code finishes the login instead.
      const [, recovered] = await Promise.all([
        page.waitForURL('**/account.html'),
        submit_second_factor(page, enrolment.recovery_codes[0]),
      ]);
      assert.equal(recovered.status(), 200);
      const recovered_log = await account_log_with(page, 'RECOVERY_CODE_USED');
      assert.match(rows_of(recovered_log, 'RECOVERY_CODE_USED')[0].cells[4], /remaining=9/);
      assert.match(rows_of(recovered_log, 'LOGIN')[0].cells[4], /auth_method=password\+recovery_code/);
      const errors = rows_of(recovered_log, 'LOGIN_ERROR');
      assert.ok(errors.length >= 2, `LOGIN_ERROR rows ${JSON.stringify(errors)}`);
      for (const row of errors.slice(0, 2)) {
        assert.match(row.cells[4], /error=invalid_totp/);
        assert.match(row.cells[4], /auth_method=password\+totp/);
      }
      if (replay_step - login_code.step <= 1) {
        // Still inside the window the server accepts: refused as a replay, not as a wrong code.
        assert.match(errors[0].cells[4], /reason=replayed/, `newest LOGIN_ERROR ${JSON.stringify(errors[0])}`);
      }
      await page.locator('#totp-recovery-remaining', { hasText: '9' }).waitFor();

      // Regenerating recovery codes needs the password and a code of a step not used yet:
      // the current one if the login's step is over, else the next one (the server accepts ±1 step).
      const t = time_step(now_s()) > login_code.step ? now_s() : now_s() + kPeriodS;
      await page.fill('#totp-manage-password', kDavePassword);
      await page.fill('#totp-manage-code', await totp_code(enrolment.secret, t));
      await page.click('#totp-regenerate');
      await page.locator('#recovery-codes li').nth(9).waitFor();
      const renewed = (await page.locator('#recovery-codes li').allTextContents()).map((text) => text.trim());
      assert.equal(renewed.length, 10);
      assert.ok(!renewed.some((code) => enrolment.recovery_codes.includes(code)), 'an old recovery code came back');
      assert.match(await page.textContent('#totp-recovery-intro'), /old ones no longer work/);
      await page.click('#totp-done');
      await page.locator('#totp-recovery-remaining', { hasText: '10' }).waitFor();
      await account_log_with(page, 'RECOVERY_CODES_REGENERATED');

      // Disabling with a wrong password and code is refused with a message; 2FA stays on.
      await page.fill('#totp-manage-password', 'not-daves-password');
      await page.fill('#totp-manage-code', await wrong_code(enrolment.secret));
      await dave.expecting(kDisableUrl, async () => {
        await page.click('#totp-disable');
        await page.locator('#totp-status.status-error', { hasText: /password is wrong|code is wrong/ }).waitFor();
      });
      assert.equal(await page.isVisible('#totp-enabled'), true);

      assert.deepEqual(dave.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await context.close();
    }
  }));

  test('an organisation requires 2FA: its pages ask a member without it to set it up', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    await add_member(kErin, kErinPassword);

    // The owner sets up an authenticator (the policy will apply to the owner too), then turns
    // the policy on from the organisation page.
    const owner = await open_console();
    try {
      const { page, context } = owner;
      await login_through_page(page, kOwner, kOwnerPassword);
      owner_enrolment = await enrol_through_page(owner, kOwner, kOwnerPassword);
      await page.click('#totp-done');
      await page.locator('#totp-enabled', { hasText: 'Enabled' }).waitFor();
      await page.goto(`/org.html?org=${encodeURIComponent(cloud.org_id)}`);
      await page.locator('#security-section').waitFor({ state: 'visible' });
      assert.match(await page.textContent('label[for="require-2fa"]'), /Require two-factor authentication for all members/);
      assert.equal(await page.isChecked('#require-2fa'), false);

      const members = await eventually('members with their 2FA state', async () => {
        const table = await read_table(page, '#members');
        return table.rows.some((row) => row.cells[0].startsWith(kErin)) ? table : null;
      });
      const column = members.headers.indexOf('2FA');
      assert.notEqual(column, -1, `no 2FA column in ${JSON.stringify(members.headers)}`);
      const cell_of = (table, email) => table.rows.find((row) => row.cells[0].startsWith(email)).cells[column];
      assert.equal(cell_of(members, kErin), 'Off');
      assert.equal(cell_of(members, kOwner), 'Enabled');

      const [patched] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith(`/api/v1/orgs/${cloud.org_id}`) && r.request().method() === 'PATCH'),
        page.check('#require-2fa'),
      ]);
      assert.equal(patched.status(), 200, await patched.text());
      assert.equal((await patched.json()).require_2fa, true);
      await page.locator('#security-status.status-ok', { hasText: 'now required' }).waitFor();
      assert.equal((await (await context.request.get(`/api/v1/orgs/${cloud.org_id}`)).json()).require_2fa, true);
      const audit = await eventually('ORG_POLICY_CHANGED in the org audit', async () => {
        const table = await read_table(page, '#org-audit');
        return table.rows.find((row) => row.cells[1] === 'ORG_POLICY_CHANGED') || null;
      });
      assert.match(audit.cells[5], /require_2fa_before=false/);
      assert.match(audit.cells[5], /require_2fa_after=true/);
      await page.reload();
      await page.locator('#security-section').waitFor({ state: 'visible' });
      await eventually('the checkbox checked after a reload', () => page.isChecked('#require-2fa'));
      assert.deepEqual(owner.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await owner.context.close();
    }

    // erin, without 2FA, logs in as usual; only the organisation's pages ask for the set-up.
    const erin = await open_console();
    try {
      const { page, context } = erin;
      await login_through_page(page, kErin, kErinPassword);
      await page.locator('#totp-advice').waitFor({ state: 'visible' });
      for (const shown of ['#password-section', '#sessions-section', '#account-log-section', '#totp-setup']) {
        await page.locator(shown).waitFor({ state: 'visible' });
      }
      const me = await (await context.request.get('/api/v1/me')).json();
      assert.equal(me.session && me.session.stage, 'full');
      assert.equal(me.user.totp_required, true);
      assert.equal(me.user.totp_enabled, false);
      for (const route of ['/api/v1/me/sessions', '/api/v1/me/audit', '/api/v1/orgs']) {
        assert.equal((await context.request.get(route)).status(), 200, route);
      }
      for (const route of [`/api/v1/orgs/${cloud.org_id}`, `/api/v1/orgs/${cloud.org_id}/members`]) {
        const refused = await context.request.get(route);
        assert.equal(refused.status(), 403, `${route} answered ${refused.status()}`);
        assert.equal((await refused.json()).error, 'org_requires_2fa', route);
      }
      await erin.expecting(/status of 403 /, async () => {
        await page.locator('#nav-orgs a', { hasText: 'Acme' }).click();
        await page.locator('#page-status', { hasText: 'requires two-factor authentication' }).waitFor();
      });
      assert.equal(await page.isHidden('#org-content'), true);

      await page.goto('/account.html');
      await enrol_through_page(erin, kErin, kErinPassword);
      await page.click('#totp-done');
      await page.locator('#totp-enabled', { hasText: 'Enabled' }).waitFor();
      await page.locator('#totp-required-note').waitFor({ state: 'visible' });
      const log = await account_log_with(page, 'UPDATE_TOTP');
      assert.match(rows_of(log, 'LOGIN')[0].cells[4], /auth_method=password\b/);

      // The organisation is open to erin now.
      await page.locator('#nav-orgs a', { hasText: 'Acme' }).click();
      await page.locator('#members tbody tr', { hasText: kErin }).waitFor();
      const members = await read_table(page, '#members');
      const column = members.headers.indexOf('2FA');
      assert.equal(members.rows.find((row) => row.cells[0].startsWith(kErin)).cells[column], 'Enabled');
      assert.equal(await page.isHidden('#security-section'), true, 'a viewer sees the security policy');

      assert.deepEqual(erin.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await erin.context.close();
    }
  }));
  test('an owner resets a member\'s lost second factor; the member sets up a new one at login', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    // The owner set up an authenticator in the previous test: password, then a fresh code.
    const owner = await open_console();
    try {
      const { page } = owner;
      await password_step(page, kOwner, kOwnerPassword);
      const owner_code = await fresh_code(owner_enrolment.secret, owner_enrolment.step);
      await Promise.all([page.waitForURL('**/account.html'), submit_second_factor(page, owner_code.code)]);
      await page.locator('#password-section').waitFor({ state: 'visible' });

      // The policy off: what sends dave to the set-up below is the reset alone.
      await page.goto(`/org.html?org=${encodeURIComponent(cloud.org_id)}`);
      await page.locator('#security-section').waitFor({ state: 'visible' });
      await page.uncheck('#require-2fa');
      await page.locator('#security-status.status-ok', { hasText: 'no longer required' }).waitFor();

      const dave_row = page.locator('#members tbody tr', { hasText: kDave });
      const own_row = page.locator('#members tbody tr', { hasText: kOwner });
      await dave_row.waitFor();
      assert.equal(await own_row.locator('[data-action="reset-2fa"]').count(), 0, 'Reset 2FA offered on the own row');
      const reset = dave_row.locator('[data-action="reset-2fa"]');
      assert.equal((await reset.textContent()).trim(), 'Reset 2FA');

      // Cancel changes nothing.
      await reset.click();
      const dialog = page.locator('#reset-2fa-dialog');
      await dialog.waitFor({ state: 'visible' });
      assert.equal((await page.textContent('#reset-2fa-member')).trim(), kDave);
      await page.click('#reset-2fa-cancel');
      await dialog.waitFor({ state: 'hidden' });

      // A wrong password is refused in the dialog; the right one resets.
      await reset.click();
      await dialog.waitFor({ state: 'visible' });
      await page.fill('#reset-2fa-password', 'not-the-owner-password');
      await owner.expecting(kResetUrl, async () => {
        await page.click('#reset-2fa-confirm');
        await page.locator('#reset-2fa-status.status-error', { hasText: 'Your password is wrong.' }).waitFor();
      });
      assert.equal(await dialog.isVisible(), true, 'the dialog closed after a wrong password');
      await page.fill('#reset-2fa-password', kOwnerPassword);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/reset-2fa') && r.request().method() === 'POST'),
        page.click('#reset-2fa-confirm'),
      ]);
      assert.equal(answer.status(), 200, await answer.text());
      await dialog.waitFor({ state: 'hidden' });
      await page.locator('#members-status.status-ok', { hasText: `The two-factor authentication of ${kDave} was reset` }).waitFor();
      await eventually('dave without an authenticator in the members table', async () => {
        const members = await read_table(page, '#members');
        const row = members.rows.find((r) => r.cells[0].startsWith(kDave));
        return row && row.cells[members.headers.indexOf('2FA')] === 'Off';
      });
      assert.equal(await dave_row.locator('[data-action="reset-2fa"]').count(), 0, 'Reset 2FA offered without a factor');
      await eventually('TOTP_RESET_BY_OWNER in the organisation log', async () => {
        const log = await read_table(page, '#org-audit');
        const row = log.rows.find((r) => r.cells[1] === 'TOTP_RESET_BY_OWNER');
        return row && row.cells[2].includes(kDave) && row.cells[5].includes(`actor=${kOwner}`);
      });
      assert.deepEqual(owner.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await owner.context.close();
    }

    // Dave's next login: the set-up, although no organisation requires 2FA now.
    const dave = await open_console();
    try {
      const { page } = dave;
      await login_through_page(page, kDave, kDavePassword,
        (url) => url.pathname === '/account.html' && url.searchParams.get('enrol') === 'required');
      await page.locator('#totp-banner').waitFor({ state: 'visible' });
      await page.locator('#totp-start-password').waitFor({ state: 'visible' });
      assert.deepEqual(dave.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await dave.context.close();
    }
  }));
});
