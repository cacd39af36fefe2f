// Login page: e-mail + password against POST /api/v1/auth/login, then — for a user with
// two-factor authentication — a second step on the same page: the one-time code of the
// authenticator application (or a recovery code) against POST /api/v1/auth/totp.
//
// The error texts deliberately do not say whether the e-mail exists (the server answers the
// same for unknown users and wrong passwords; the page must not undo that).

import { ApiError, login, login_second_factor, logout, page_after_login } from './api.js';
import { by_id } from './dom.js';

const form = by_id('login-form');
const email = by_id('email');
const password = by_id('password');
const button = by_id('login');
const error = by_id('error');

const totp_form = by_id('totp-login-form');
const totp_code = by_id('totp-login-code');
const totp_button = by_id('totp-login-submit');

function show_error(text) {
  error.textContent = text;
  error.hidden = text === '';
}

function locked_message(failure) {
  const wait = Number(failure.body.retry_after_s);
  return Number.isFinite(wait) && wait > 0
    ? `Too many failed attempts. Try again in ${Math.ceil(wait)} seconds.`
    : 'Too many failed attempts. Try again later.';
}

function message_for(failure) {
  if (failure instanceof ApiError) {
    if (failure.status === 401) return 'Wrong e-mail or password.';
    if (failure.status === 429) return locked_message(failure);
    if (failure.status === 0) return failure.message;
    if (failure.message) return failure.message;
    return `Login failed (HTTP ${failure.status}).`;
  }
  return 'Login failed. Reload the page and try again.';
}

function second_factor_message(failure) {
  if (failure instanceof ApiError) {
    if (failure.status === 401 && failure.code === 'invalid_totp') {
      return 'The code is wrong or was used already. Enter the current code of the application (or an unused recovery code).';
    }
    if (failure.status === 429) return locked_message(failure);
    if (failure.status === 0) return failure.message;
    if (failure.message) return failure.message;
    return `Login failed (HTTP ${failure.status}).`;
  }
  return 'Login failed. Reload the page and try again.';
}

/** Step 1 again (the half-authenticated session expired or was ended after too many wrong codes). */
function show_password_step(text) {
  totp_form.hidden = true;
  form.hidden = false;
  by_id('login-title').textContent = 'Log in';
  document.title = 'Log in · Logbot';
  button.disabled = false;
  password.value = '';
  show_error(text);
  password.focus();
}

function show_second_factor_step() {
  form.hidden = true;
  password.value = '';
  totp_form.hidden = false;
  totp_code.value = '';
  totp_button.disabled = false;
  by_id('login-title').textContent = 'Two-factor authentication';
  document.title = 'Two-factor authentication · Logbot';
  show_error('');
  totp_code.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  show_error('');
  if (email.value.trim() === '' || password.value === '') {
    show_error('Enter your e-mail and password.');
    return;
  }
  button.disabled = true;
  try {
    const result = await login(email.value.trim(), password.value);
    const next = page_after_login(result);
    if (next === null) show_second_factor_step();
    else window.location.assign(next);
  } catch (failure) {
    password.value = '';
    show_error(message_for(failure));
    password.focus();
    button.disabled = false;
  }
});

// Six digits (spaces allowed, as some applications show "123 456") are a one-time code;
// anything else is taken for a recovery code, which the server accepts with or without the
// dash and in any case.
function second_factor_body(text) {
  const compact = text.replace(/\s+/gu, '');
  return /^\d{6}$/u.test(compact) ? { code: compact } : { recovery_code: compact };
}

totp_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  show_error('');
  if (totp_code.value.trim() === '') {
    show_error('Enter the one-time code of your authenticator application, or a recovery code.');
    totp_code.focus();
    return;
  }
  totp_button.disabled = true;
  try {
    const result = await login_second_factor(second_factor_body(totp_code.value));
    window.location.assign(page_after_login(result) || '/');
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401 && failure.code !== 'invalid_totp') {
      // The half-authenticated session is gone (5 minutes passed, or too many wrong codes).
      show_password_step('Your login has expired or was ended after too many wrong codes. Log in again.');
      return;
    }
    totp_code.value = '';
    show_error(second_factor_message(failure));
    totp_code.focus();
    totp_button.disabled = false;
  }
});

by_id('totp-login-back').addEventListener('click', (event) => {
  event.preventDefault();
  // Ends the half-authenticated session on the server, then shows the login page afresh.
  logout();
});

show_error('');
email.focus();
document.body.classList.add('ready');
