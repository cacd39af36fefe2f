// The frame every signed-in page shares: the header bar with the user's organisations,
// the signed-in user and the #logout button.

import { load_me, logout } from './api.js';
import { by_id, clear, element } from './dom.js';

/**
 * Loads /api/v1/me (redirecting to the login page when there is no session), fills the
 * navigation and wires #logout. Resolves to the /me document.
 * `current_org_id` marks the organisation page being shown.
 */
export async function start_shell(current_org_id = null) {
  by_id('logout').addEventListener('click', (event) => {
    event.preventDefault();
    event.currentTarget.disabled = true;
    logout();
  });

  const me = await load_me();
  const user = me.user || {};
  by_id('nav-user').textContent = user.display_name ? `${user.display_name} <${user.email}>` : user.email || '';

  const list = by_id('nav-orgs');
  clear(list);
  const memberships = Array.isArray(me.memberships) ? me.memberships : [];
  for (const membership of memberships) {
    const link = element('a', {
      href: `/org.html?org=${encodeURIComponent(membership.org_id)}`,
      text: membership.org_name,
      title: `${membership.org_name} (${membership.role})`,
    });
    if (current_org_id !== null && String(membership.org_id) === String(current_org_id)) {
      link.setAttribute('aria-current', 'page');
    }
    list.append(element('li', {}, link));
  }
  document.body.classList.add('ready');
  return me;
}
