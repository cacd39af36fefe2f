// Start page: the signed-in user's home page (operator.html for the platform operator,
// account.html for everyone else); the login page for a visitor without a session or with a
// login that still waits for the one-time code; the authenticator set-up when the user's
// organisation requires two-factor authentication that the user has not set up yet.

import { home_page, load_me, session_stage } from './api.js';

let target;
try {
  const me = await load_me({ allow_unauthenticated: true });
  const stage = session_stage(me);
  if (stage === 'totp_enrolment_required') target = '/account.html?enrol=required';
  else if (stage === 'totp_required') target = '/login.html';
  else target = home_page(me && me.user);
} catch {
  target = '/login.html';
}
window.location.replace(target);
