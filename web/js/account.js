// Account page: the authenticator (two-factor authentication), password change, the user's
// sessions and the account log.
//
// Enrolment mode (/account.html?enrol=required): a session whose organisation requires
// two-factor authentication that the user has not set up yet may only set up the
// authenticator (every other route answers 403 totp_enrolment_required). The page then shows
// a banner and the Authenticator card only, and reloads as the full page once the setup is
// confirmed (the server turns the session into a full one). The same applies after an owner
// or the operator reset the user's second factor. Even here, where the password was just
// typed at login, starting and confirming ask for it again: one rule for every session.

import { api, describe_error, go_to_login, session_stage, set_csrf_token } from './api.js';
import { AuditTable } from './audit_table.js';
import { by_id, clear, element, fill_table, set_status, time_cell } from './dom.js';
import { start_shell } from './shell.js';

const kTotpPath = '/api/v1/me/totp';
const kEnrolmentPath = '/api/v1/me/totp/enrolment';
let enrolment_mode = false;

const account_log = new AuditTable({
  table: by_id('account-log'),
  columns: ['date', 'event', 'ip', 'client', 'details'],
  path: '/api/v1/me/audit',
  more_button: by_id('account-log-more'),
  status: by_id('account-log-status'),
});

// --- Sessions -------------------------------------------------------------------------

const sessions_table = by_id('sessions');
const sessions_status = by_id('sessions-status');

function session_row(session) {
  const client = element('td', {},
    element('div', { className: 'strong', text: session.client || '' }),
    element('div', { className: 'muted small', text: session.user_agent || '' }));
  const current = element('td', {},
    session.current ? element('span', { className: 'badge badge-ok', text: 'This session' }) : null);
  const revoke = element('button', {
    type: 'button',
    className: 'button button-small button-danger',
    text: 'Revoke',
    title: session.current ? 'To end this session, use Log out' : 'Sign this session out',
    disabled: Boolean(session.current),
    dataset: { sessionId: String(session.id) },
  });
  revoke.addEventListener('click', () => revoke_session(session.id, revoke));
  return element('tr', { dataset: { sessionId: String(session.id), current: session.current ? 'true' : 'false' } },
    client,
    element('td', { className: 'mono', text: session.ip || '' }),
    time_cell(session.created_at),
    time_cell(session.last_seen_at),
    current,
    element('td', { className: 'actions' }, revoke));
}

async function load_sessions() {
  try {
    const result = await api('GET', '/api/v1/me/sessions');
    const sessions = Array.isArray(result && result.sessions) ? result.sessions : [];
    fill_table(sessions_table, sessions.map(session_row), 'No active sessions.');
  } catch (error) {
    set_status(sessions_status, describe_error(error), 'error');
  }
}

async function revoke_session(id, button) {
  button.disabled = true;
  set_status(sessions_status, '');
  try {
    await api('DELETE', `/api/v1/me/sessions/${encodeURIComponent(id)}`);
    set_status(sessions_status, 'Session revoked.', 'ok');
    await Promise.all([load_sessions(), account_log.load()]);
  } catch (error) {
    button.disabled = false;
    set_status(sessions_status, describe_error(error), 'error');
  }
}

// --- Password change --------------------------------------------------------------------

const password_form = by_id('password-form');
const current_password = by_id('current-password');
const new_password = by_id('new-password');
const change_button = by_id('change-password');
const password_status = by_id('password-status');

password_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  set_status(password_status, '');
  if (new_password.value.length < 12) {
    set_status(password_status, 'The new password must have at least 12 characters.', 'error');
    new_password.focus();
    return;
  }
  change_button.disabled = true;
  try {
    await api('POST', '/api/v1/me/password', {
      body: { current_password: current_password.value, new_password: new_password.value },
    });
    password_form.reset();
    set_status(password_status, 'Password changed. Your other sessions were signed out.', 'ok');
    await Promise.all([load_sessions(), account_log.load()]);
  } catch (error) {
    if (error.status === 403 && error.code === 'wrong_password') {
      set_status(password_status, 'The current password is wrong.', 'error');
      current_password.focus();
    } else if (error.code === 'weak_password') {
      set_status(password_status, error.message || 'The new password is too weak.', 'error');
      new_password.focus();
    } else {
      set_status(password_status, describe_error(error), 'error');
    }
  } finally {
    change_button.disabled = false;
  }
});

// --- Authenticator (two-factor authentication) -------------------------------------------

const totp_section = by_id('totp-section');
const totp_status = by_id('totp-status');
const totp_views = {
  off: by_id('totp-off'),
  enrol: by_id('totp-enrol'),
  recovery: by_id('totp-recovery'),
  on: by_id('totp-on'),
};
const enrol_form = by_id('totp-enrol');
const enrol_status = by_id('totp-enrol-status');
const enrol_code = by_id('totp-code');
const qr_image = by_id('totp-qr');
const unable_link = by_id('totp-unable-to-scan');
const manual_entry = by_id('totp-manual');
const manage_password = by_id('totp-manage-password');
const manage_code = by_id('totp-manage-code');

function show_totp_view(name) {
  for (const [key, view] of Object.entries(totp_views)) view.hidden = key !== name;
  totp_section.setAttribute('aria-busy', 'false');
}

function is_code(text) {
  return /^\d{6}$/u.test(text);
}

function code_of(input) {
  return input.value.replace(/\s+/gu, '');
}

/** Shows the card for the state GET /api/v1/me/totp reports. */
async function load_totp() {
  try {
    const state = await api('GET', kTotpPath);
    if (state && state.enabled === true) {
      by_id('totp-advice').hidden = true;
      const remaining = Number(state.recovery_codes_remaining);
      by_id('totp-recovery-remaining').textContent = Number.isFinite(remaining) ? String(remaining) : '';
      by_id('totp-required-note').hidden = state.required !== true;
      show_totp_view('on');
    } else {
      show_totp_view('off');
    }
  } catch (error) {
    set_status(totp_status, describe_error(error), 'error');
  }
}

function set_manual_entry(open) {
  manual_entry.hidden = !open;
  unable_link.setAttribute('aria-expanded', open ? 'true' : 'false');
}

// Setting up needs the current password (and so does confirming it): a session left open or
// stolen is not enough to put someone else's authenticator on the account.
const start_form = by_id('totp-start-form');
const start_password = by_id('totp-start-password');
const confirm_password = by_id('totp-confirm-password');

start_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = by_id('totp-setup');
  set_status(totp_status, '');
  set_status(enrol_status, '');
  if (start_password.value === '') {
    set_status(totp_status, 'Enter your current password to set up an authenticator.', 'error');
    start_password.focus();
    return;
  }
  button.disabled = true;
  try {
    // Starting again replaces a pending secret: the QR code is fetched afresh (cache-buster).
    const enrolment = await api('POST', kEnrolmentPath, { body: { password: start_password.value } });
    start_form.reset();
    by_id('totp-secret').textContent = enrolment.secret || enrolment.secret_base32 || '';
    by_id('totp-uri').textContent = enrolment.otpauth_uri || '';
    by_id('totp-algorithm').textContent = enrolment.algorithm || 'SHA1';
    by_id('totp-digits').textContent = String(enrolment.digits || 6);
    by_id('totp-period').textContent = `${enrolment.period || 30} s`;
    qr_image.src = `${kEnrolmentPath}/qr.svg?v=${Date.now()}`;
    set_manual_entry(false);
    enrol_form.reset();
    show_totp_view('enrol');
    enrol_code.focus();
  } catch (error) {
    if (error.status === 409 && error.code === 'totp_enabled') await load_totp();
    let text = describe_error(error);
    if (error.code === 'totp_enabled') text = 'Two-factor authentication is on already.';
    else if (error.status === 403 && error.code === 'wrong_password') text = 'The password is wrong.';
    set_status(totp_status, text, 'error');
    start_password.select();
    start_password.focus();
  } finally {
    button.disabled = false;
  }
});

qr_image.addEventListener('error', () => {
  if (totp_views.enrol.hidden || !qr_image.getAttribute('src')) return;
  set_status(enrol_status, 'The barcode could not be loaded. Enter the key shown below in the application instead.', 'error');
  set_manual_entry(true);
});

unable_link.addEventListener('click', (event) => {
  event.preventDefault();
  set_manual_entry(manual_entry.hidden);
});

by_id('totp-cancel').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await api('DELETE', kEnrolmentPath);
    qr_image.removeAttribute('src');
    by_id('totp-secret').textContent = '';
    by_id('totp-uri').textContent = '';
    enrol_form.reset();
    show_totp_view('off');
    set_status(totp_status, 'The setup was cancelled. Two-factor authentication stays off.');
  } catch (error) {
    set_status(enrol_status, describe_error(error), 'error');
  } finally {
    button.disabled = false;
  }
});

function show_recovery_codes(codes, intro) {
  const list = by_id('recovery-codes');
  clear(list);
  for (const code of codes) list.append(element('li', { text: code }));
  by_id('totp-recovery-intro').textContent = intro;
  show_totp_view('recovery');
  by_id('totp-done').focus();
}

enrol_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  set_status(enrol_status, '');
  const code = code_of(enrol_code);
  if (!is_code(code)) {
    set_status(enrol_status, 'Enter the 6-digit code the application shows.', 'error');
    enrol_code.focus();
    return;
  }
  if (confirm_password.value === '') {
    set_status(enrol_status, 'Enter your current password.', 'error');
    confirm_password.focus();
    return;
  }
  const save = by_id('totp-save');
  save.disabled = true;
  try {
    const result = await api('POST', `${kEnrolmentPath}/confirm`, { body: { password: confirm_password.value, code } });
    // Confirming in enrolment mode turns the session into a full one with a new CSRF token.
    if (result && result.csrf_token) set_csrf_token(result.csrf_token);
    qr_image.removeAttribute('src');
    by_id('totp-secret').textContent = '';
    by_id('totp-uri').textContent = '';
    enrol_form.reset();
    const codes = Array.isArray(result && result.recovery_codes) ? result.recovery_codes : [];
    show_recovery_codes(codes, 'Two-factor authentication is enabled.');
  } catch (error) {
    if (error.status === 403 && error.code === 'wrong_password') {
      set_status(enrol_status, 'The password is wrong.', 'error');
      confirm_password.select();
      confirm_password.focus();
    } else if (error.code === 'invalid_totp') {
      set_status(enrol_status, 'The code is wrong. Enter the code the application shows now (it changes every 30 seconds).', 'error');
      enrol_code.select();
      enrol_code.focus();
    } else if (error.status === 404 || error.code === 'no_enrolment') {
      set_status(enrol_status, 'This setup is no longer pending. Cancel and start again.', 'error');
    } else {
      set_status(enrol_status, describe_error(error), 'error');
    }
  } finally {
    save.disabled = false;
  }
});

by_id('totp-done').addEventListener('click', async () => {
  clear(by_id('recovery-codes'));
  if (enrolment_mode) {
    // The session is a full one now: the whole account page.
    window.location.assign('/account.html');
    return;
  }
  await Promise.all([load_totp(), account_log.load()]);
});

function manage_error(error) {
  if (error.status === 403 && error.code === 'wrong_password') {
    manage_password.focus();
    return 'The password is wrong.';
  }
  if (error.code === 'invalid_totp') {
    manage_code.focus();
    return 'The one-time code is wrong or was used already. Enter the next code the application shows.';
  }
  if (error.status === 409 && error.code === 'totp_required') {
    return 'An organisation you belong to requires two-factor authentication, so it cannot be disabled.';
  }
  return describe_error(error);
}

/** Checks the password and code inputs; returns the request body or null (with a message). */
function manage_body() {
  set_status(totp_status, '');
  const code = code_of(manage_code);
  if (manage_password.value === '') {
    set_status(totp_status, 'Enter your password.', 'error');
    manage_password.focus();
    return null;
  }
  if (!is_code(code)) {
    set_status(totp_status, 'Enter the 6-digit code the application shows.', 'error');
    manage_code.focus();
    return null;
  }
  return { password: manage_password.value, code };
}

by_id('totp-manage-form').addEventListener('submit', (event) => {
  // Two actions share the inputs: Enter picks none of them.
  event.preventDefault();
});

by_id('totp-regenerate').addEventListener('click', async (event) => {
  const body = manage_body();
  if (body === null) return;
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const result = await api('POST', `${kTotpPath}/recovery-codes`, { body });
    by_id('totp-manage-form').reset();
    const codes = Array.isArray(result && result.recovery_codes) ? result.recovery_codes : [];
    show_recovery_codes(codes, 'New recovery codes were created. The old ones no longer work.');
  } catch (error) {
    set_status(totp_status, manage_error(error), 'error');
  } finally {
    button.disabled = false;
  }
});

by_id('totp-disable').addEventListener('click', async (event) => {
  const body = manage_body();
  if (body === null) return;
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await api('POST', `${kTotpPath}/disable`, { body });
    by_id('totp-manage-form').reset();
    set_status(totp_status, 'Two-factor authentication is disabled. Logging in needs only your password now.', 'ok');
    await Promise.all([load_totp(), account_log.load()]);
  } catch (error) {
    set_status(totp_status, manage_error(error), 'error');
  } finally {
    button.disabled = false;
  }
});

// --- Start ------------------------------------------------------------------------------

async function start() {
  const me = await start_shell(null, { enrolment: true });
  enrolment_mode = session_stage(me) === 'totp_enrolment_required';
  const user = me.user || {};
  // A server without two-factor authentication says nothing about it: no card then.
  const has_totp = enrolment_mode || typeof user.totp_enabled === 'boolean';
  totp_section.hidden = !has_totp;
  if (enrolment_mode) {
    // Only the Authenticator card: every other route refuses this session until the setup is done.
    by_id('totp-banner').hidden = false;
    await load_totp();
    if (!totp_views.off.hidden) start_password.focus();
    return;
  }
  if (new URLSearchParams(window.location.search).get('enrol') !== null) {
    // A full session (the setup is done, or was never needed): the plain address.
    window.history.replaceState(null, '', '/account.html');
  }
  by_id('totp-advice').hidden = !(user.totp_required === true && user.totp_enabled !== true);
  for (const id of ['password-section', 'sessions-section', 'account-log-section']) by_id(id).hidden = false;
  await Promise.all([has_totp ? load_totp() : null, load_sessions(), account_log.load()]);
}

try {
  await start();
} catch (error) {
  if (error.status !== 401) set_status(by_id('page-status'), describe_error(error), 'error');
  else go_to_login();
}
