// "Reset 2FA" on the organisation page: an owner resets the second factor of a member who
// lost their authenticator (POST /api/v1/orgs/{org_id}/members/{user_id}/reset-2fa). The
// member's authenticator and recovery codes stop working, their sessions end, and their next
// login must set up a new authenticator.
//
// A confirmation dialog (org.html #reset-2fa-dialog) names the member and asks for the owner's
// own password, which the server checks. Only owners see the action, never on their own row
// (their own factor is managed on the account page); the server decides either way.

import { api, describe_error } from './api.js';
import { by_id, element, set_status } from './dom.js';

const dialog = by_id('reset-2fa-dialog');
const form = by_id('reset-2fa-form');
const password = by_id('reset-2fa-password');
const status = by_id('reset-2fa-status');
const confirm_button = by_id('reset-2fa-confirm');

// What the open dialog is about: { member, path, on_done }.
let pending = null;

function close() {
  pending = null;
  form.reset();
  set_status(status, '');
  if (dialog.open) dialog.close();
}

by_id('reset-2fa-cancel').addEventListener('click', close);
dialog.addEventListener('cancel', () => {
  pending = null;
  form.reset();
  set_status(status, '');
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (pending === null) return;
  if (password.value === '') {
    set_status(status, 'Enter your password to confirm.', 'error');
    password.focus();
    return;
  }
  const { member, path, on_done } = pending;
  confirm_button.disabled = true;
  set_status(status, '');
  try {
    const result = await api('POST', path, { body: { password: password.value } });
    close();
    const ended = Number(result && result.sessions_ended);
    await on_done(`The two-factor authentication of ${member.email} was reset`
      + (Number.isFinite(ended) ? ` (${ended} session${ended === 1 ? '' : 's'} ended)` : '')
      + '. They must set up a new authenticator at their next login.');
  } catch (error) {
    let text = describe_error(error);
    if (error.status === 403 && error.code === 'wrong_password') text = 'Your password is wrong.';
    else if (error.status === 409 && error.code === 'totp_not_enabled') text = `${member.email} has no authenticator to reset.`;
    set_status(status, text, 'error');
    password.select();
    password.focus();
  } finally {
    confirm_button.disabled = false;
  }
});

/**
 * The "Reset 2FA" button for a member's row, or null when the viewer may not use it there
 * (`is_owner` false, the viewer's own row, or the member has no authenticator).
 * `on_done(message)` runs after a reset (reload the members and the log there).
 */
export function reset_totp_button(member, { org_path, is_owner, is_me, on_done }) {
  if (!is_owner || is_me || member.totp_enabled !== true) return null;
  const button = element('button', {
    type: 'button',
    className: 'button button-small button-danger',
    text: 'Reset 2FA',
    'aria-label': `Reset the two-factor authentication of ${member.email}`,
    dataset: { action: 'reset-2fa' },
  });
  button.addEventListener('click', () => {
    pending = { member, path: `${org_path}/members/${encodeURIComponent(member.user_id)}/reset-2fa`, on_done };
    form.reset();
    set_status(status, '');
    by_id('reset-2fa-member').textContent = member.email;
    dialog.showModal();
    password.focus();
  });
  return button;
}
