// Helpers shared by the browser tests: launching Debian Chromium, a console (browser context)
// that collects console errors and CSP violations, and small page utilities.

import assert from 'node:assert/strict';
import { chromium, request } from 'playwright-core';

export const kTimeZone = 'Europe/Berlin';
export const kActionTimeoutMs = 10_000;

export const kChromiumArgs = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's Chromium, headless. */
export function launch_browser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: kChromiumArgs, timeout: 30_000 });
}

/**
 * A fresh browser context (own cookie jar) whose pages report console errors, uncaught
 * exceptions and CSP violations into `problems`. `expecting(regex, fn)` runs fn while
 * console errors matching regex are expected (e.g. the 401 of a deliberately wrong login).
 */
export async function open_console(browser, base_url, { time_zone = kTimeZone } = {}) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    locale: 'en-US',
    timezoneId: time_zone,
    baseURL: base_url,
  });
  const problems = [];
  let expected = null;
  await context.exposeBinding('__logbotReportCspViolation', (source, text) => {
    problems.push(`CSP violation on ${source.page ? source.page.url() : '?'}: ${text}`);
  });
  // Init scripts run through the debugging protocol, outside the page's CSP.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__logbotReportCspViolation(
        `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
  const page = await context.newPage();
  page.setDefaultTimeout(kActionTimeoutMs);
  page.setDefaultNavigationTimeout(15_000);
  page.on('console', (message) => {
    const text = `console.${message.type()}: ${message.text()} [${message.location().url}]`;
    const is_csp = /Content[- ]Security[- ]Policy/i.test(message.text());
    if (message.type() !== 'error' && !is_csp) return;
    if (!is_csp && expected && expected.test(text)) return;
    problems.push(text);
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception: ${error.message}`));
  const expecting = async (regex, fn) => {
    expected = regex;
    try {
      return await fn();
    } finally {
      // Console events arrive asynchronously: let stragglers of fn land before re-arming.
      await page.waitForTimeout(300);
      expected = null;
    }
  };
  return { context, page, problems, expecting };
}


/** Retries `probe` until it returns a truthy value; fails with `what` after timeout_ms. */
export async function eventually(what, probe, timeout_ms = kActionTimeoutMs) {
  const deadline = Date.now() + timeout_ms;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last result: ${String(last && (last.stack || JSON.stringify(last)))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}


/** Headers and body rows of a table: cells as text, plus each cell's title attribute. */
export async function read_table(page, selector) {
  return page.locator(selector).evaluate((table) => ({
    headers: [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim()),
    rows: [...table.tBodies[0].rows]
      .filter((row) => !row.classList.contains('empty'))
      .map((row) => ({
        cells: [...row.cells].map((cell) => cell.textContent.trim()),
        titles: [...row.cells].map((cell) => cell.getAttribute('title')),
      })),
  }));
}


/** Logs in through the login page and waits for the page it lands on (`landing`, a URL glob). */
export async function login_through_page(page, email, password, landing = '**/account.html') {
  await page.goto('/login.html');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForURL(landing),
    page.click('#login'),
  ]);
}


/** The account log once it shows at least one row with `event` (the page loads it at start). */
export async function account_log_with(page, event) {
  return eventually(`account log row ${event}`, async () => {
    const table = await read_table(page, '#account-log');
    return table.rows.some((row) => row.cells[1] === event) ? table : null;
  });
}


/**
 * `inviter` (logged in through the API) invites `email` with `role` into `org_id`; resolves to
 * the answer: { invitation, token, url }.
 */
export async function invite_through_api(base_url, { inviter, inviter_password, org_id, email, role = 'viewer' }) {
  const api = await request.newContext({ baseURL: base_url, ignoreHTTPSErrors: true });
  try {
    const login = await api.post('/api/v1/auth/login', { data: { email: inviter, password: inviter_password } });
    assert.equal(login.status(), 200, await login.text());
    const { csrf_token } = await login.json();
    const invited = await api.post(`/api/v1/orgs/${org_id}/invitations`, {
      data: { email, role }, headers: { 'X-CSRF-Token': csrf_token },
    });
    assert.equal(invited.status(), 201, await invited.text());
    return await invited.json();
  } finally {
    await api.dispose();
  }
}

/**
 * A new member through the API, as the product wants it: `inviter` invites `email`, and the
 * invitee redeems the link choosing `password` (the page flow is covered by console.test.mjs).
 */
export async function join_through_api(base_url, { inviter, inviter_password, org_id, email, password, role = 'viewer' }) {
  const { token } = await invite_through_api(base_url, { inviter, inviter_password, org_id, email, role });
  const api = await request.newContext({ baseURL: base_url, ignoreHTTPSErrors: true });
  try {
    const redeemed = await api.post('/api/v1/invitations/redeem', { data: { token, password } });
    assert.equal(redeemed.status(), 201, await redeemed.text());
  } finally {
    await api.dispose();
  }
}
