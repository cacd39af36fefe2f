// Login page: e-mail + password against POST /api/v1/auth/login.
//
// The error texts deliberately do not say whether the e-mail exists (the server answers the
// same for unknown users and wrong passwords; the page must not undo that).

import { ApiError, home_page, login } from './api.js';
import { by_id } from './dom.js';

const form = by_id('login-form');
const email = by_id('email');
const password = by_id('password');
const button = by_id('login');
const error = by_id('error');

function show_error(text) {
  error.textContent = text;
  error.hidden = text === '';
}

function message_for(failure) {
  if (failure instanceof ApiError) {
    if (failure.status === 401) return 'Wrong e-mail or password.';
    if (failure.status === 429) {
      const wait = Number(failure.body.retry_after_s);
      return Number.isFinite(wait) && wait > 0
        ? `Too many failed attempts. Try again in ${Math.ceil(wait)} seconds.`
        : 'Too many failed attempts. Try again later.';
    }
    if (failure.status === 0) return failure.message;
    if (failure.message) return failure.message;
    return `Login failed (HTTP ${failure.status}).`;
  }
  return 'Login failed. Reload the page and try again.';
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
    window.location.assign(home_page(result && result.user));
  } catch (failure) {
    password.value = '';
    show_error(message_for(failure));
    password.focus();
    button.disabled = false;
  }
});

show_error('');
email.focus();
document.body.classList.add('ready');
