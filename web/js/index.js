// Start page: the account page for a signed-in user, the login page for everyone else.

import { load_me } from './api.js';

try {
  await load_me({ allow_unauthenticated: true });
  window.location.replace('/account.html');
} catch {
  window.location.replace('/login.html');
}
