// Account page: password change, the user's sessions and the account log.

import { api, describe_error, go_to_login } from './api.js';
import { AuditTable } from './audit_table.js';
import { by_id, element, fill_table, set_status, time_cell } from './dom.js';
import { start_shell } from './shell.js';

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

// --- Start ------------------------------------------------------------------------------

try {
  await start_shell();
  await Promise.all([load_sessions(), account_log.load()]);
} catch (error) {
  if (error.status !== 401) set_status(by_id('page-status'), describe_error(error), 'error');
  else go_to_login();
}
