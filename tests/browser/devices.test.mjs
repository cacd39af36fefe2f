// Browser test of the devices page: the real logbot-cloud and the real logbot-agent, the real
// page, Debian Chromium driven by playwright-core. Run: cd tests/browser && node --test
//
// What it proves: an owner registers a device through the page and gets the one-time
// enrolment token once (text, a QR code that zbarimg reads back to exactly that text, the
// command for the gateway), "Done" removes it from the page, the agent enrols with that token
// and the table shows it as enrolled by itself (auto-refresh), a new token can be issued,
// revoking (after a confirm dialog) shows the device as revoked, and a viewer sees the table
// without the register form and with the buttons disabled. All under the strict CSP without
// console errors.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'playwright-core';
import {
  eventually, join_through_api, launch_browser, login_through_page, open_console as open_browser_console, read_table,
} from './support/browser.mjs';
import { bin_dir, start_cloud, stop_cloud_cleanly, with_server_log } from './support/cloud.mjs';
import { decode_qr } from './support/totp.mjs';

const run = promisify(execFile);

const kOwner = 'alice@example.com';
const kOwnerPassword = 'correct horse battery staple';
const kViewer = 'victor@example.com';
const kViewerPassword = 'victor-initial-password-1';
const kTestTimeoutMs = 120_000;
const kAgentTimeoutMs = 30_000;
const kHeaders = ['Name', 'Site', 'UUID', 'State', 'Online', 'Last seen', 'Agent version', 'Source IP', 'Certificate expiry', 'Actions'];
const kColumn = Object.fromEntries(kHeaders.map((header, index) => [header, index]));
const agent_bin = path.join(bin_dir, 'logbot-agent');

let cloud;
let browser;
let work_dir;

before(async () => {
  cloud = await start_cloud({ org: 'Acme', owner: kOwner, password: kOwnerPassword });
  browser = await launch_browser();
  work_dir = await mkdtemp(path.join(tmpdir(), 'logbot-browser-devices-'));
}, { timeout: 60_000 });

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (work_dir && !process.env.LOGBOT_KEEP_TEST_DIRS) await rm(work_dir, { recursive: true, force: true });
  if (cloud) {
    await stop_cloud_cleanly(cloud);  // a graceful exit, status 0 (docs/OPERATIONS.md)
  }
}, { timeout: 30_000 });

// --- helpers ----------------------------------------------------------------------------------

function open_console() {
  return open_browser_console(browser, cloud.base_url);
}

const with_cloud_log = (body) => with_server_log(() => cloud, body);

/** Runs `logbot-agent ARGS`; resolves to {code, stdout, stderr}. */
async function run_agent(args) {
  try {
    const { stdout, stderr } = await run(agent_bin, args, { timeout: kAgentTimeoutMs });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, stdout: error.stdout || '', stderr: error.stderr || '' };
  }
}

/** The table row of a device by name, as cells (text), titles and the row's data attributes. */
async function device_row(page, name) {
  const table = await read_table(page, '#devices');
  return table.rows.find((row) => row.cells[kColumn.Name] === name) || null;
}

/** The token card's texts once it is visible. */
async function read_token_card(page) {
  await page.locator('#enrolment-token-card').waitFor({ state: 'visible' });
  return {
    token: (await page.textContent('#enrolment-token')).trim(),
    command: (await page.textContent('#enrolment-command')).trim(),
    qr_src: await page.getAttribute('#enrolment-token-qr', 'src'),
    expiry: (await page.textContent('#enrolment-token-expiry')).trim(),
    expiry_iso: await page.getAttribute('#enrolment-token-expiry', 'datetime'),
  };
}

/** Clicks Done and checks the token left no trace in the page. */
async function dismiss_token(page, token) {
  await page.click('#enrolment-token-done');
  await page.locator('#enrolment-token-card').waitFor({ state: 'hidden' });
  const html = await page.content();
  assert.equal(html.includes(token), false, 'the token is still in the DOM after Done');
  assert.equal(html.includes(token.slice(5, 40)), false, 'a part of the token is still in the DOM after Done');
  assert.equal(await page.getAttribute('#enrolment-token-qr', 'src'), null, 'the QR code is still in the DOM after Done');
  assert.equal(await page.textContent('#enrolment-command'), '');
}

// --- tests ------------------------------------------------------------------------------------

describe('devices page', () => {
  test('owner registers, the agent enrols, the owner revokes; a viewer only looks', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    const { page, context, problems } = await open_console();
    const device_name = 'Gateway Hall 3';
    const site = 'Plant Nord';
    try {
      await login_through_page(page, kOwner, kOwnerPassword);

      // The navigation leads to the organisation's devices page.
      const nav_devices = page.locator(`#nav-orgs a[data-nav-devices="${cloud.org_id}"]`);
      assert.equal(await nav_devices.getAttribute('href'), `/devices.html?org=${encodeURIComponent(cloud.org_id)}`);
      await Promise.all([page.waitForURL(/\/devices\.html\?org=/), nav_devices.click()]);
      await page.locator('#my-role', { hasText: 'owner' }).waitFor();
      assert.equal(await nav_devices.getAttribute('aria-current'), 'page');
      await page.locator('#devices tbody tr.empty').waitFor();
      assert.deepEqual((await read_table(page, '#devices')).headers, kHeaders);
      assert.equal(await page.isVisible('#register-section'), true);

      // Every input has a label.
      for (const id of ['device-name', 'device-site', 'device-expected-uuid']) {
        assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `no label for #${id}`);
      }

      // Register through the page.
      await page.fill('#device-name', device_name);
      await page.fill('#device-site', site);
      const [registered] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/devices') && r.request().method() === 'POST'),
        page.click('#register-device'),
      ]);
      assert.equal(registered.status(), 201, `registering answered ${registered.status()}: ${await registered.text()}`);

      // The token card: token, QR code (read back by zbarimg), expiry and command.
      const card = await read_token_card(page);
      assert.match(card.token, /^lbt1\.[A-Za-z0-9_-]+$/);
      assert.equal(card.token, (await registered.json()).enrolment_token);
      assert.match(card.qr_src, /^data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+$/);
      const png = path.join(work_dir, 'enrolment-token-qr.png');
      await page.locator('#enrolment-token-qr').screenshot({ path: png });
      assert.equal(await decode_qr(png), card.token, 'the QR code does not hold the token');
      assert.equal(card.command, `logbot-agent enrol --token ${card.token}`);
      assert.ok(card.command.includes(card.token));
      assert.ok(Date.parse(card.expiry_iso) > Date.now(), `token expiry ${card.expiry_iso} is not in the future`);
      assert.notEqual(card.expiry, '');
      assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('enrolment-token')).fontFamily.includes('mono')), true);
      assert.equal(await page.isVisible('#copy-enrolment-token'), true);
      await page.locator('#register-status.status-ok', { hasText: 'registered' }).waitFor();
      assert.equal(await page.inputValue('#device-name'), '', 'the form was not reset');

      if (process.env.LOGBOT_SCREENSHOT_DIR) {
        await page.screenshot({ path: path.join(process.env.LOGBOT_SCREENSHOT_DIR, 'devices-token.png'), fullPage: true });
      }

      // Done: the token is gone from the page for good.
      await dismiss_token(page, card.token);

      // The device is listed as registered; no agent has been seen.
      const registered_row = await eventually('the device row', () => device_row(page, device_name));
      assert.equal(registered_row.cells[kColumn.Site], site);
      assert.equal(registered_row.cells[kColumn.State], 'registered');
      assert.equal(registered_row.cells[kColumn.UUID], '–');
      assert.match(registered_row.cells[kColumn.Online], /^(–|offline)$/);
      assert.equal(registered_row.cells[kColumn['Last seen']], '–');
      assert.equal(registered_row.cells[kColumn['Agent version']], '–');
      assert.equal(registered_row.cells[kColumn['Source IP']], '–');
      assert.equal(registered_row.cells[kColumn['Certificate expiry']], '–');

      // The agent enrols with the token for real; the table shows it by itself (no reload).
      const state_dir = path.join(work_dir, 'agent');
      const id = await run_agent(['id', '--state-dir', state_dir]);
      assert.equal(id.code, 0, `logbot-agent id failed: ${id.stdout}${id.stderr}`);
      const uuid = id.stdout.trim();
      assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const navigations = [];
      page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
      const enrolled = await run_agent(['enrol', '--token', card.token, '--state-dir', state_dir]);
      assert.equal(enrolled.code, 0, `logbot-agent enrol failed: ${enrolled.stdout}${enrolled.stderr}`);
      assert.match(enrolled.stdout + enrolled.stderr, new RegExp(`enrolled as ${uuid} in organisation ${cloud.org_id}`));

      const enrolled_row = await eventually('the row to become enrolled', async () => {
        const row = await device_row(page, device_name);
        return row && row.cells[kColumn.State] === 'enrolled' ? row : null;
      }, 6_500);
      assert.deepEqual(navigations, [], 'the page was reloaded');
      assert.equal(enrolled_row.cells[kColumn.UUID], uuid);
      assert.match(enrolled_row.cells[kColumn.Online], /^(–|offline|online)$/);
      const expiry_iso = enrolled_row.titles[kColumn['Certificate expiry']];
      assert.ok(Date.parse(expiry_iso) > Date.now() + 300 * 86_400_000, `certificate expiry ${expiry_iso}`);
      assert.match(enrolled_row.cells[kColumn['Certificate expiry']], /^[A-Z][a-z]{2} \d{1,2}, \d{4} /);

      const row_locator = page.locator('#devices tbody tr', { hasText: device_name });

      // A new enrolment token for the enrolled device: the same card, a different token.
      await row_locator.locator('button', { hasText: 'New enrolment token' }).click();
      const second = await read_token_card(page);
      assert.match(second.token, /^lbt1\./);
      assert.notEqual(second.token, card.token);
      assert.equal(second.command, `logbot-agent enrol --token ${second.token}`);
      await dismiss_token(page, second.token);

      // Revoke, accepting the confirm dialog.
      const dialogs = [];
      page.once('dialog', async (dialog) => {
        dialogs.push({ type: dialog.type(), message: dialog.message() });
        await dialog.accept();
      });
      const [revoked] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/revoke') && r.request().method() === 'POST'),
        row_locator.locator('button', { hasText: 'Revoke' }).click(),
      ]);
      assert.equal(revoked.status(), 200, `revoking answered ${revoked.status()}: ${await revoked.text()}`);
      assert.equal(dialogs.length, 1);
      assert.equal(dialogs[0].type, 'confirm');
      assert.match(dialogs[0].message, new RegExp(device_name));
      await eventually('the row to become revoked', async () => {
        const row = await device_row(page, device_name);
        return row && row.cells[kColumn.State] === 'revoked';
      });
      assert.equal(await row_locator.locator('button', { hasText: 'Revoke' }).isDisabled(), true);
      assert.equal(await row_locator.locator('button', { hasText: 'New enrolment token' }).isDisabled(), true);
      await page.locator('#devices-status.status-ok', { hasText: 'revoked' }).waitFor();

      // The org page links to the devices page.
      await page.goto(`/org.html?org=${encodeURIComponent(cloud.org_id)}`);
      await page.locator('#org-name', { hasText: 'Acme' }).waitFor();
      assert.equal(await page.getAttribute('#org-devices-link', 'href'), `/devices.html?org=${encodeURIComponent(cloud.org_id)}`);

      assert.deepEqual(problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await context.close();
    }

    // A viewer (and a second, still registered device), both made through the API.
    const owner_api = await request.newContext({ baseURL: cloud.base_url, ignoreHTTPSErrors: true });
    try {
      const login = await owner_api.post('/api/v1/auth/login', { data: { email: kOwner, password: kOwnerPassword } });
      assert.equal(login.status(), 200);
      const { csrf_token } = await login.json();
      const headers = { 'X-CSRF-Token': csrf_token };
      const second_device = await owner_api.post(`/api/v1/orgs/${cloud.org_id}/devices`, {
        data: { name: 'Gateway Hall 4', site: 'Plant Süd' }, headers,
      });
      assert.equal(second_device.status(), 201, await second_device.text());
    } finally {
      await owner_api.dispose();
    }
    await join_through_api(cloud.base_url, {
      inviter: kOwner, inviter_password: kOwnerPassword, org_id: cloud.org_id, email: kViewer, password: kViewerPassword,
    });

    const viewer = await open_console();
    try {
      const { page } = viewer;
      await login_through_page(page, kViewer, kViewerPassword);
      await page.goto(`/devices.html?org=${encodeURIComponent(cloud.org_id)}`);
      await page.locator('#my-role', { hasText: 'viewer' }).waitFor();
      const table = await eventually('both devices for the viewer', async () => {
        const t = await read_table(page, '#devices');
        return t.rows.length === 2 ? t : null;
      });
      const states = Object.fromEntries(table.rows.map((row) => [row.cells[kColumn.Name], row.cells[kColumn.State]]));
      assert.deepEqual(states, { [device_name]: 'revoked', 'Gateway Hall 4': 'registered' });
      assert.equal(await page.isHidden('#register-section'), true, 'the viewer sees the register form');
      assert.equal(await page.isHidden('#enrolment-token-card'), true);
      const buttons = page.locator('#devices tbody button');
      assert.equal(await buttons.count(), 4);
      for (const button of await buttons.all()) assert.equal(await button.isDisabled(), true);

      // A hidden page stops refreshing; shown again, it refreshes at once.
      const devices_gets = [];
      page.on('request', (r) => {
        if (r.method() === 'GET' && new URL(r.url()).pathname.endsWith('/devices')) devices_gets.push(Date.now());
      });
      const set_hidden = (hidden) => page.evaluate((value) => {
        Object.defineProperty(document, 'hidden', { value, configurable: true });
        Object.defineProperty(document, 'visibilityState', { value: value ? 'hidden' : 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
      await set_hidden(true);
      await page.waitForTimeout(300);
      devices_gets.length = 0;
      await page.waitForTimeout(6_000);
      assert.deepEqual(devices_gets, [], 'the hidden page kept refreshing');
      await set_hidden(false);
      await eventually('a refresh once visible again', () => devices_gets.length > 0, 2_000);

      if (process.env.LOGBOT_SCREENSHOT_DIR) {
        await page.screenshot({ path: path.join(process.env.LOGBOT_SCREENSHOT_DIR, 'devices-viewer.png'), fullPage: true });
      }
      assert.deepEqual(viewer.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await viewer.context.close();
    }
  }));
});
