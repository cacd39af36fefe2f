// Browser tests of the web console: the real logbot-cloud, the real pages, Debian Chromium
// driven by playwright-core. Run: cd tests/browser && node --test
//
// What they prove: login/logout through the pages end the server-side session, the
// account log shows the user's own LOGIN / LOGIN_ERROR / LOGOUT events as docs/SECURITY.md
// describes, organisation owners manage members and see it in the org audit, the platform
// operator lists and creates organisations without seeing tenant data, and the pages run
// under the strict CSP without console errors or policy violations.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import {
  account_log_with, eventually, join_through_api, kTimeZone, launch_browser, login_through_page,
  open_console as open_browser_console, read_table,
} from './support/browser.mjs';
import { start_cloud, stop_cloud_cleanly, with_server_log } from './support/cloud.mjs';

const kOwner = 'alice@example.com';
const kOwnerPassword = 'correct horse battery staple';
const kWrongPassword = 'definitely-not-the-password';
const kBob = 'bob@example.com';
const kBobPassword = 'bob-initial-password-1';
const kOperator = 'op@example.com';
const kOperatorPassword = 'operator-password-for-tests';
const kTestTimeoutMs = 120_000;

let cloud;
let browser;

before(async () => {
  cloud = await start_cloud({ org: 'Acme', owner: kOwner, password: kOwnerPassword });
  browser = await launch_browser();
}, { timeout: 60_000 });

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (cloud) {
    await stop_cloud_cleanly(cloud);  // a graceful exit, status 0 (docs/OPERATIONS.md)
  }
}, { timeout: 30_000 });

// --- helpers ----------------------------------------------------------------------------------

/** A fresh browser context on this server (see open_console in support/browser.mjs). */
function open_console() {
  return open_browser_console(browser, cloud.base_url);
}

const with_cloud_log = (body) => with_server_log(() => cloud, body);

/** The value a datetime-local input shows for `instant` in `time_zone` ("2026-11-27T21:39:05"). */
function local_datetime_value(instant, time_zone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: time_zone, hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(instant).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

function normalise_spaces(text) {
  return text.replace(/\s+/gu, ' ');
}

// --- tests ------------------------------------------------------------------------------------

describe('web console', () => {
  test('login, account log, logout', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    const { context, page, problems, expecting } = await open_console();
    try {
      // The start page sends a visitor without a session to the login page (its /me gets 401).
      await expecting(/status of 401 .*\/api\/v1\/me\]$/, async () => {
        const response = await page.goto('/');
        assert.ok(response, 'no response for /');
        const csp = response.headers()['content-security-policy'] || '';
        assert.match(csp, /script-src 'self'/, `CSP header of / is ${JSON.stringify(csp)}`);
        await page.waitForURL('**/login.html');
      });

      // A deliberately wrong password: an error on the page, no navigation.
      await page.fill('#email', kOwner);
      await page.fill('#password', kWrongPassword);
      await expecting(/status of 401 .*\/api\/v1\/auth\/login\]$/, async () => {
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')),
          page.click('#login'),
        ]);
        assert.equal(response.status(), 401);
        await page.locator('#error').waitFor({ state: 'visible' });
      });
      assert.match(await page.textContent('#error'), /wrong e-mail or password/i);
      assert.ok(page.url().endsWith('/login.html'), `still on the login page, at ${page.url()}`);

      // The right password lands on the account page.
      await page.fill('#password', kOwnerPassword);
      await Promise.all([page.waitForURL('**/account.html'), page.click('#login')]);

      const cookies = await context.cookies(cloud.base_url);
      const session_cookie = cookies.find((cookie) => cookie.name === '__Host-logbot_session');
      assert.ok(session_cookie, `no session cookie among ${cookies.map((c) => c.name).join(', ')}`);
      assert.equal(session_cookie.httpOnly, true);
      assert.equal(session_cookie.secure, true);
      assert.equal(session_cookie.sameSite, 'Strict');

      // Account log: our LOGIN (newest first) and, older, the failed attempt.
      const log = await account_log_with(page, 'LOGIN');
      assert.deepEqual(log.headers, ['Date', 'Event', 'IP', 'Client', 'Details']);
      const login_index = log.rows.findIndex((row) => row.cells[1] === 'LOGIN');
      const error_index = log.rows.findIndex((row) => row.cells[1] === 'LOGIN_ERROR');
      assert.notEqual(error_index, -1, `no LOGIN_ERROR row in ${JSON.stringify(log.rows)}`);
      assert.ok(login_index < error_index, 'the log is not newest first');
      const login_row = log.rows[login_index];
      assert.equal(login_row.cells[3], 'web');
      assert.match(login_row.cells[4], /auth_method=password/);
      assert.match(login_row.cells[2], /^127\.0\.0\.1$|^::ffff:127\.0\.0\.1$/);
      assert.match(log.rows[error_index].cells[4], /error=invalid_credentials/);

      // Dates: user's locale and time zone in the cell, the exact ISO time in the title.
      const iso = login_row.titles[0];
      assert.match(iso, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(iso) - Date.now()) < 5 * 60_000, `login time ${iso} is not now`);
      const day = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: kTimeZone });
      const time = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZone: kTimeZone });
      const expected_text = `${day.format(new Date(iso))} ${time.format(new Date(iso))}`;
      assert.equal(normalise_spaces(login_row.cells[0]), normalise_spaces(expected_text));
      assert.match(normalise_spaces(login_row.cells[0]), /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/);

      // Export links of the account log.
      assert.equal(await page.getAttribute('#account-log-csv', 'href'), '/api/v1/me/audit?format=csv');
      assert.equal(await page.getAttribute('#account-log-jsonl', 'href'), '/api/v1/me/audit?format=jsonl');
      const csv = await context.request.get('/api/v1/me/audit?format=csv');
      assert.equal(csv.status(), 200);
      assert.match(csv.headers()['content-type'] || '', /text\/csv/);
      const csv_text = await csv.text();
      assert.equal(csv_text.split(/\r?\n/)[0], 'Date,Event,IP,Client,Details,User,Actor,Seq');
      assert.match(csv_text, /LOGIN_ERROR/);

      // Sessions: this one, marked as current.
      const sessions = await eventually('sessions table', async () => {
        const table = await read_table(page, '#sessions');
        return table.rows.length > 0 ? table : null;
      });
      assert.ok(sessions.rows.some((row) => row.cells.join(' ').includes('This session')),
        `no current session in ${JSON.stringify(sessions.rows)}`);

      // The organisation is in the navigation.
      const org_link = page.locator('#nav-orgs a', { hasText: 'Acme' });
      assert.equal(await org_link.getAttribute('href'), `/org.html?org=${encodeURIComponent(cloud.org_id)}`);

      assert.deepEqual(problems, [], 'console errors or CSP violations on the pages');

      // Logout ends on the login page and ends the session on the server.
      await Promise.all([page.waitForURL('**/login.html'), page.click('#logout')]);
      const me_after = await context.request.get('/api/v1/me');
      assert.equal(me_after.status(), 401);
      const replay = await request.newContext({
        baseURL: cloud.base_url,
        ignoreHTTPSErrors: true,
        extraHTTPHeaders: { Cookie: `__Host-logbot_session=${session_cookie.value}` },
      });
      try {
        const old_session = await replay.get('/api/v1/me');
        assert.equal(old_session.status(), 401, 'the old session cookie still works after logout');
        assert.equal((await old_session.json()).error, 'unauthenticated');
      } finally {
        await replay.dispose();
      }

      // Logged in again, the log shows the LOGOUT between the two logins.
      await login_through_page(page, kOwner, kOwnerPassword);
      const log_again = await account_log_with(page, 'LOGOUT');
      const sequence = log_again.rows.map((row) => row.cells[1])
        .filter((event) => ['LOGIN', 'LOGOUT', 'LOGIN_ERROR'].includes(event));
      assert.deepEqual(sequence.slice(0, 4), ['LOGIN', 'LOGOUT', 'LOGIN', 'LOGIN_ERROR']);
      const logout_row = log_again.rows.find((row) => row.cells[1] === 'LOGOUT');
      assert.equal(logout_row.cells[3], 'web');

      assert.deepEqual(problems, [], 'console errors or CSP violations on the pages');

      // Control: the CSP is enforced and this test notices a violation (an inline script).
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'window.__inline_script_ran = true;';
        document.body.append(script);
      });
      await eventually('the CSP violation report', () => problems.some((p) => p.startsWith('CSP violation')));
      assert.equal(await page.evaluate(() => window.__inline_script_ran === true), false, 'inline script ran');
    } finally {
      await context.close();
    }
  }));

  test('owner invites a member, who joins through the link, and changes the role; the org audit shows it', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    const { context, page, problems } = await open_console();
    try {
      await login_through_page(page, kOwner, kOwnerPassword);
      await Promise.all([
        page.waitForURL(/\/org\.html\?org=/),
        page.locator('#nav-orgs a', { hasText: 'Acme' }).click(),
      ]);
      await page.locator('#org-name', { hasText: 'Acme' }).waitFor();
      assert.equal(await page.textContent('#my-role'), 'owner');
      await page.locator('#members tbody tr', { hasText: kOwner }).waitFor();

      // Invite bob as viewer: an invitation with a one-time link, no password from the owner.
      assert.equal(await page.locator('#invite-section input[type="password"]').count(), 0, 'the owner is asked for a password');
      await page.fill('#invite-email', kBob);
      await page.selectOption('#invite-role', 'viewer');
      const [invited] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/invitations') && r.request().method() === 'POST'),
        page.click('#invite'),
      ]);
      assert.equal(invited.status(), 201, `inviting answered ${invited.status()}: ${await invited.text()}`);
      await page.locator('#invite-status.status-ok', { hasText: 'become a member once they accept' }).waitFor();
      const link = await page.inputValue('#invite-link');
      assert.match(link, /^https:\/\/[^/]+\/invite\.html#[A-Za-z0-9_-]{43,}$/);
      const pending_row = page.locator('#invitations tbody tr', { hasText: kBob });
      await pending_row.waitFor();
      assert.match(await pending_row.textContent(), /viewer/);
      assert.equal(await page.locator('#members tbody tr', { hasText: kBob }).count(), 0, 'bob is a member before he accepted');

      // bob opens the link and chooses his own password; he is logged in and a member.
      const invitee = await open_console();
      try {
        const invite_page = invitee.page;
        await invite_page.goto(link);
        await invite_page.locator('#invite-org', { hasText: 'Acme' }).waitFor();
        assert.equal(await invite_page.textContent('#invite-email'), kBob);
        assert.equal(await invite_page.textContent('#invite-role'), 'viewer');
        assert.equal(new URL(invite_page.url()).hash, '', 'the token stays in the address bar');
        await invite_page.fill('#invite-display-name', 'Bob Builder');
        await invite_page.fill('#invite-password', kBobPassword);
        await invite_page.fill('#invite-password-again', kBobPassword);
        await Promise.all([invite_page.waitForURL('**/account.html'), invite_page.click('#invite-submit')]);
        await invite_page.locator('#nav-orgs a', { hasText: 'Acme' }).waitFor();
        // The link works once.
        const again = await invitee.context.request.post('/api/v1/invitations/lookup', { data: { token: link.split('#')[1] } });
        assert.equal(again.status(), 404);
        assert.deepEqual(invitee.problems, [], 'console errors or CSP violations on the invitation page');
      } finally {
        await invitee.context.close();
      }
      await page.reload();
      const bob_row = page.locator('#members tbody tr', { hasText: 'bob@example.com' });
      await bob_row.waitFor();
      assert.match(await bob_row.textContent(), /Bob Builder/);
      const bob_role = bob_row.locator('select');
      assert.equal(await bob_role.inputValue(), 'viewer');
      assert.equal(await bob_role.isEnabled(), true, 'an owner cannot edit roles');

      // Change bob to engineer with the role select.
      const [patched] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'PATCH'),
        bob_role.selectOption('engineer'),
      ]);
      assert.equal(patched.status(), 200, `changing the role answered ${patched.status()}: ${await patched.text()}`);
      await page.locator('#members-status', { hasText: 'now engineer' }).waitFor();
      const members = await (await context.request.get(`/api/v1/orgs/${cloud.org_id}/members`)).json();
      const bob = members.members.find((member) => member.email === 'bob@example.com');
      assert.equal(bob && bob.role, 'engineer');

      // The org audit shows the invitation and role change by alice, the acceptance by bob,
      // and none of bob's logins (his account events are his).
      const audit = await eventually('the invitation, MEMBER_ADDED and ROLE_CHANGED in the org audit', async () => {
        const table = await read_table(page, '#org-audit');
        const events = table.rows.map((row) => row.cells[1]);
        return ['INVITATION_CREATED', 'INVITATION_ACCEPTED', 'MEMBER_ADDED', 'ROLE_CHANGED'].every((e) => events.includes(e))
          ? table : null;
      });
      assert.equal(audit.rows.filter((row) => row.cells[1] === 'LOGIN').length, 0, 'a member login in the org audit');
      assert.deepEqual(audit.headers, ['Date', 'Event', 'User', 'IP', 'Client', 'Details']);
      const role_changed = audit.rows.find((row) => row.cells[1] === 'ROLE_CHANGED');
      assert.equal(role_changed.cells[2], kOwner);
      assert.equal(role_changed.cells[4], 'web');
      assert.match(role_changed.cells[5], /role_before=viewer/);
      assert.match(role_changed.cells[5], /role_after=engineer/);
      const member_added = audit.rows.find((row) => row.cells[1] === 'MEMBER_ADDED');
      assert.equal(member_added.cells[2], kBob);
      const invitation_created = audit.rows.find((row) => row.cells[1] === 'INVITATION_CREATED');
      assert.equal(invitation_created.cells[2], kOwner);
      assert.match(invitation_created.cells[5], /email=bob@example\.com/);
      assert.ok(audit.rows.indexOf(role_changed) < audit.rows.indexOf(member_added), 'org audit is not newest first');

      // Filtering by event narrows the table and the export links carry the filter.
      await page.selectOption('#audit-event', 'ROLE_CHANGED');
      await page.click('#audit-apply');
      await eventually('the filtered org audit', async () => {
        const table = await read_table(page, '#org-audit');
        return table.rows.length > 0 && table.rows.every((row) => row.cells[1] === 'ROLE_CHANGED');
      });
      const csv_href = await page.getAttribute('#org-audit-csv', 'href');
      const jsonl_href = await page.getAttribute('#org-audit-jsonl', 'href');
      assert.equal(csv_href, `/api/v1/orgs/${cloud.org_id}/audit?event=ROLE_CHANGED&format=csv`);
      assert.equal(jsonl_href, `/api/v1/orgs/${cloud.org_id}/audit?event=ROLE_CHANGED&format=jsonl`);
      const jsonl = await context.request.get(jsonl_href);
      assert.equal(jsonl.status(), 200);
      const lines = (await jsonl.text()).split('\n').filter((line) => line.trim() !== '');
      assert.ok(lines.length > 0, 'the filtered JSON lines export is empty');
      for (const line of lines) assert.equal(JSON.parse(line).event, 'ROLE_CHANGED');

      // User and time filters: the local datetime-local value travels as ISO UTC.
      const from_instant = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
      const from_local = local_datetime_value(from_instant, kTimeZone);
      await page.selectOption('#audit-event', '');
      await page.fill('#audit-user', kOwner);
      await page.fill('#audit-from', from_local);
      await page.click('#audit-apply');
      await eventually('the org audit filtered to the future (no rows)', async () => {
        const href = new URL(await page.getAttribute('#org-audit-csv', 'href'), cloud.base_url);
        const table = await read_table(page, '#org-audit');
        return href.searchParams.get('from') !== null && table.rows.length === 0 ? href : null;
      });
      const filtered = new URL(await page.getAttribute('#org-audit-csv', 'href'), cloud.base_url);
      assert.equal(filtered.searchParams.get('user'), kOwner);
      assert.equal(filtered.searchParams.get('event'), null);
      assert.equal(filtered.searchParams.get('from'), from_instant.toISOString());
      await page.fill('#audit-from', '');
      await page.click('#audit-apply');
      const by_owner = await eventually('the org audit filtered by user', async () => {
        const table = await read_table(page, '#org-audit');
        return table.rows.length > 0 ? table : null;
      });
      for (const row of by_owner.rows) assert.equal(row.cells[2], kOwner);

      assert.deepEqual(problems, [], 'console errors or CSP violations on the pages');

      // Bob, now an engineer, sees the members read-only and no audit.
      const bob_console = await open_console();
      try {
        await login_through_page(bob_console.page, kBob, kBobPassword);
        await bob_console.page.goto(`/org.html?org=${encodeURIComponent(cloud.org_id)}`);
        await bob_console.page.locator('#my-role', { hasText: 'engineer' }).waitFor();
        await bob_console.page.locator('#members tbody tr', { hasText: kOwner }).waitFor();
        const selects = bob_console.page.locator('#members select');
        assert.ok(await selects.count() >= 2);
        for (const select of await selects.all()) assert.equal(await select.isDisabled(), true);
        assert.equal(await bob_console.page.isHidden('#org-audit-section'), true);
        assert.equal(await bob_console.page.isHidden('#invite-section'), true);
        assert.deepEqual(bob_console.problems, [], 'console errors or CSP violations on the pages');
      } finally {
        await bob_console.context.close();
      }
    } finally {
      await context.close();
    }
  }));

  test('a user revokes another session and changes the password', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    const carol = 'carol@example.com';
    const first_password = 'carol-first-password-1';
    const second_password = 'carol-second-password-2';

    // The owner invites carol through the API and she joins (the page flow is covered above).
    await join_through_api(cloud.base_url, {
      inviter: kOwner, inviter_password: kOwnerPassword, org_id: cloud.org_id, email: carol, password: first_password,
    });

    const laptop = await open_console();
    const other = await open_console();
    try {
      await login_through_page(other.page, carol, first_password);
      await login_through_page(laptop.page, carol, first_password);
      const { page } = laptop;

      // Two sessions; revoke the one that is not this one.
      const other_row = page.locator('#sessions tbody tr[data-current="false"]');
      await eventually('two sessions', async () => (await page.locator('#sessions tbody tr').count()) === 2);
      assert.equal(await page.locator('#sessions tbody tr[data-current="true"] button').isDisabled(), true);
      await other_row.locator('button', { hasText: 'Revoke' }).click();
      await page.locator('#sessions-status', { hasText: 'Session revoked' }).waitFor();
      await eventually('one session left', async () => (await page.locator('#sessions tbody tr').count()) === 1);
      assert.equal((await other.context.request.get('/api/v1/me')).status(), 401, 'the revoked session still works');

      // A wrong current password is refused with a message; then the change succeeds.
      await page.fill('#current-password', 'not-carols-password');
      await page.fill('#new-password', second_password);
      await laptop.expecting(/status of 403 .*\/api\/v1\/me\/password\]$/, async () => {
        await page.click('#change-password');
        await page.locator('#password-status', { hasText: 'current password is wrong' }).waitFor();
      });
      await page.fill('#current-password', first_password);
      await page.fill('#new-password', second_password);
      await page.click('#change-password');
      await page.locator('#password-status', { hasText: 'Password changed' }).waitFor();
      const log = await account_log_with(page, 'PASSWORD_CHANGE');
      assert.ok(log.rows.some((row) => row.cells[1] === 'SESSION_REVOKED'), `no SESSION_REVOKED in ${JSON.stringify(log.rows)}`);

      // The new password is the one that works now.
      await Promise.all([page.waitForURL('**/login.html'), page.click('#logout')]);
      await login_through_page(page, carol, second_password);

      assert.deepEqual(laptop.problems, [], 'console errors or CSP violations on the pages');
      assert.deepEqual(other.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await laptop.context.close();
      await other.context.close();
    }
  }));

  test('the platform operator lists and creates organisations but sees no tenant data', { timeout: kTestTimeoutMs }, with_cloud_log(async () => {
    await cloud.create_operator({ email: kOperator, password: kOperatorPassword });

    // Acme's member count as its owner sees it (the other tests may have added members).
    const owner_api = await request.newContext({ baseURL: cloud.base_url, ignoreHTTPSErrors: true });
    let acme_members;
    try {
      const login = await owner_api.post('/api/v1/auth/login', { data: { email: kOwner, password: kOwnerPassword } });
      assert.equal(login.status(), 200);
      const members = await owner_api.get(`/api/v1/orgs/${cloud.org_id}/members`);
      assert.equal(members.status(), 200);
      acme_members = (await members.json()).members.length;
      assert.ok(acme_members >= 1);
    } finally {
      await owner_api.dispose();
    }

    let beta_id;
    const operator = await open_console();
    try {
      const { page, context } = operator;
      // The operator lands on the operator page, not on the account page.
      await login_through_page(page, kOperator, kOperatorPassword, '**/operator.html');
      await page.locator('#nav-operator[aria-current="page"]', { hasText: 'Operator' }).waitFor();
      assert.equal(await page.getAttribute('#nav-operator', 'href'), '/operator.html');
      await page.locator('#nav-user', { hasText: kOperator }).waitFor();
      // No tenant organisations in the navigation (the operator is no member of any).
      assert.equal(await page.locator('#nav-orgs a').count(), 0, 'the operator has organisations in the navigation');
      assert.equal(await page.isHidden('#nav-orgs-heading'), true);

      // The existing organisation with its member count; the creation time in the title.
      const orgs = await eventually('Acme in the organisation table', async () => {
        const table = await read_table(page, '#orgs');
        return table.rows.some((row) => row.cells[0] === 'Acme') ? table : null;
      });
      assert.deepEqual(orgs.headers, ['Name', 'Created', 'Members']);
      const acme = orgs.rows.find((row) => row.cells[0] === 'Acme');
      assert.equal(acme.cells[2], String(acme_members), `Acme row ${JSON.stringify(acme)}`);
      assert.match(acme.titles[1], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.match(normalise_spaces(acme.cells[1]), /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/);
      assert.equal(await page.isHidden('#page-status'), true, 'a message on the operator page');

      // A name that exists already: the server's 409 message next to the form.
      assert.equal(await page.locator('#create-org-form input[type="password"]').count(), 0, 'the operator sets a password');
      await page.fill('#org-name', 'Acme');
      await page.fill('#owner-email', kBob);
      await operator.expecting(/status of 409 .*\/api\/v1\/admin\/orgs\]$/, async () => {
        const [refused] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/orgs') && r.request().method() === 'POST'),
          page.click('#create-org'),
        ]);
        assert.equal(refused.status(), 409);
        await page.locator('#create-org-status.status-error', { hasText: 'exists already' }).waitFor();
      });

      // Beta Works with bob (who has an account since the member test) invited as owner.
      await page.fill('#org-name', 'Beta Works');
      await page.fill('#owner-email', kBob);
      const [created] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/orgs') && r.request().method() === 'POST'),
        page.click('#create-org'),
      ]);
      assert.equal(created.status(), 201, `creating an organisation answered ${created.status()}: ${await created.text()}`);
      const created_body = await created.json();
      assert.equal(created_body.name, 'Beta Works');
      beta_id = created_body.id;
      await page.locator('#create-org-status.status-ok', { hasText: 'Beta Works was created' }).waitFor();
      assert.equal(await page.inputValue('#owner-link'), created_body.url);
      const beta_row = page.locator(`#orgs tbody tr[data-org-id="${beta_id}"]`);
      await beta_row.waitFor();
      const beta = (await read_table(page, '#orgs')).rows.find((row) => row.cells[0] === 'Beta Works');
      assert.ok(beta, 'Beta Works is not in the organisation table');
      assert.equal(beta.cells[2], '0', `no member before the owner accepts: ${JSON.stringify(beta)}`);
      assert.ok(Math.abs(Date.parse(beta.titles[1]) - Date.now()) < 5 * 60_000, `creation time ${beta.titles[1]} is not now`);
      assert.equal(await page.inputValue('#org-name'), '', 'the form was not reset');

      // Still no tenant data: no organisation in the navigation, 404 from the new org's routes.
      assert.equal(await page.locator('#nav-orgs a').count(), 0);
      assert.equal((await context.request.get(`/api/v1/orgs/${beta_id}/members`)).status(), 404);

      // The start page also sends the operator to the operator page.
      await page.goto('/');
      await page.waitForURL('**/operator.html');
      await page.locator(`#orgs tbody tr[data-org-id="${beta_id}"]`).waitFor();

      assert.deepEqual(operator.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await operator.context.close();
    }

    // bob accepts from the banner after his own login; then he owns Beta Works: it is in his
    // navigation, and he has no operator link.
    const bob = await open_console();
    try {
      await login_through_page(bob.page, kBob, kBobPassword);
      assert.equal(await bob.page.locator('#nav-orgs a', { hasText: 'Beta Works' }).count(), 0);
      const banner_item = bob.page.locator('#invitations-banner .invitation', { hasText: 'Beta Works' });
      await banner_item.waitFor();
      assert.match(await banner_item.textContent(), new RegExp(`invited by ${kOperator.replace('.', '\\.')} to join Beta Works as owner`));
      await Promise.all([bob.page.waitForLoadState('load'), banner_item.locator('button', { hasText: 'Accept' }).click()]);
      const beta_link = bob.page.locator('#nav-orgs a', { hasText: 'Beta Works' });
      await beta_link.waitFor();
      assert.equal(await beta_link.getAttribute('href'), `/org.html?org=${encodeURIComponent(beta_id)}`);
      assert.equal(await beta_link.getAttribute('title'), 'Beta Works (owner)');
      assert.equal(await bob.page.locator('#nav-operator').count(), 0, 'bob sees the operator link');
      assert.deepEqual(bob.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await bob.context.close();
    }

    // alice is no operator: the page says so and shows nothing, and the API refuses her.
    const alice = await open_console();
    try {
      const { page, context } = alice;
      await login_through_page(page, kOwner, kOwnerPassword);
      await page.locator('#nav-orgs a', { hasText: 'Acme' }).waitFor();
      assert.equal(await page.locator('#nav-operator').count(), 0, 'alice sees the operator link');
      await page.goto('/operator.html');
      await page.locator('#page-status.status-error', { hasText: /only the platform operator/i }).waitFor();
      assert.equal(await page.isHidden('#operator-content'), true);
      assert.equal(await page.locator('#orgs tbody tr').count(), 0);
      assert.equal(await page.locator('#nav-operator').count(), 0);
      const refused = await context.request.get('/api/v1/admin/orgs');
      assert.equal(refused.status(), 403);
      assert.equal((await refused.json()).error, 'forbidden');
      assert.deepEqual(alice.problems, [], 'console errors or CSP violations on the pages');
    } finally {
      await alice.context.close();
    }
  }));
});
