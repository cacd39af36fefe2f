// Start page: the signed-in user's home page (operator.html for the platform operator,
// account.html for everyone else); the login page for a visitor without a session.

import { home_page, load_me } from './api.js';

let target;
try {
  const me = await load_me({ allow_unauthenticated: true });
  target = home_page(me && me.user);
} catch {
  target = '/login.html';
}
window.location.replace(target);
