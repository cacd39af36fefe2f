// Invitation page (/invite.html#TOKEN): the one-time link an organisation's owner or admin
// hands to someone they invite. A person without an account chooses their own password here
// (POST /api/v1/invitations/redeem), which creates the account and joins the organisation;
// an existing account accepts after its own login instead (the banner on every page).
//
// The token travels in the URL fragment, which browsers never send to a server; the page
// drops it from the address bar at once so it stays out of the history.

import { ApiError, api, login, page_after_login } from './api.js';
import { by_id, format_time } from './dom.js';

const kMinimumPasswordLength = 12;

const token = window.location.hash.replace(/^#/u, '');
if (window.location.hash !== '') window.history.replaceState(null, '', window.location.pathname);

const error_box = by_id('invite-error');
const form = by_id('invite-form');
const password = by_id('invite-password');
const password_again = by_id('invite-password-again');
const button = by_id('invite-submit');
let invited_email = '';

function show_error(text) {
  error_box.textContent = text;
  error_box.hidden = text === '';
}

function message_for(failure) {
  if (failure instanceof ApiError) {
    if (failure.code === 'invalid_invitation') return 'This invitation link is not valid any more: it was used, declined or revoked, or it expired. Ask for a new invitation.';
    if (failure.code === 'account_exists') return 'This address has a Logbot account already. Log in with it and accept the invitation at the top of the page.';
    if (failure.code === 'weak_password') return failure.message || 'Choose a stronger password.';
    if (failure.status === 0) return failure.message;
    if (failure.message) return failure.message;
    return `The request failed (HTTP ${failure.status}).`;
  }
  return 'Unexpected error. Reload the page and try again.';
}

async function look_up() {
  if (token === '') {
    show_error('This page needs the invitation link you were given (it ends with #…).');
    return;
  }
  try {
    const invitation = await api('POST', '/api/v1/invitations/lookup', { body: { token }, allow_unauthenticated: true });
    invited_email = invitation.email || '';
    by_id('invite-org').textContent = invitation.org_name || '';
    by_id('invite-role').textContent = invitation.role || '';
    by_id('invite-email').textContent = invited_email;
    const expires = by_id('invite-expires');
    expires.setAttribute('datetime', invitation.expires_at || '');
    expires.textContent = format_time(invitation.expires_at);
    by_id('invite-details').hidden = false;
    form.hidden = false;
    by_id('invite-login-hint').hidden = false;
    by_id('invite-display-name').focus();
  } catch (failure) {
    show_error(message_for(failure));
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  show_error('');
  if (password.value.length < kMinimumPasswordLength) {
    show_error(`The password must have at least ${kMinimumPasswordLength} characters.`);
    password.focus();
    return;
  }
  if (password.value !== password_again.value) {
    show_error('The two passwords differ.');
    password_again.focus();
    return;
  }
  button.disabled = true;
  const body = { token, password: password.value };
  const display_name = by_id('invite-display-name').value.trim();
  if (display_name !== '') body.display_name = display_name;
  try {
    await api('POST', '/api/v1/invitations/redeem', { body, allow_unauthenticated: true });
  } catch (failure) {
    show_error(message_for(failure));
    if (failure instanceof ApiError && (failure.code === 'invalid_invitation' || failure.code === 'account_exists')) {
      form.hidden = true;
    } else {
      button.disabled = false;
      password.focus();
    }
    return;
  }
  // The account exists now: log in with the password just chosen.
  try {
    const result = await login(invited_email, password.value);
    window.location.assign(page_after_login(result) || '/login.html');
  } catch {
    window.location.assign('/login.html');
  }
});

await look_up();
document.body.classList.add('ready');
