// The frame every signed-in page shares: the header bar with the user's organisations,
// the signed-in user and the #logout button.

import { go_to_enrolment, go_to_login, home_page, load_me, logout, session_stage } from './api.js';
import { by_id, clear, element } from './dom.js';

const kOperatorPage = '/operator.html';

/**
 * Loads /api/v1/me (redirecting to the login page when there is no session), fills the
 * navigation and wires #logout. Resolves to the /me document.
 * `current_org_id` marks the organisation whose page is shown; `options.page` is "devices" on
 * its devices page (else its organisation page is meant). A session that still has to
 * set up two-factor authentication may only use the account page in its enrolment mode
 * (`options.enrolment` true there); any other page sends it there. A half-authenticated
 * session (code not yet given) goes back to the login page.
 */
export async function start_shell(current_org_id = null, options = {}) {
  by_id('logout').addEventListener('click', (event) => {
    event.preventDefault();
    event.currentTarget.disabled = true;
    logout();
  });

  const me = await load_me();
  const stage = session_stage(me);
  if (stage === 'totp_required' || (stage === 'totp_enrolment_required' && !options.enrolment)) {
    if (stage === 'totp_required') go_to_login();
    else go_to_enrolment();
    // The page is being replaced: its script must not go on calling routes the session may not use.
    return new Promise(() => {});
  }
  const user = me.user || {};
  by_id('nav-user').textContent = user.display_name ? `${user.display_name} <${user.email}>` : user.email || '';

  const brand = document.querySelector('.topbar .brand');
  if (brand) brand.setAttribute('href', home_page(user));

  // The operator page only for the operator. Only a convenience: the server refuses the
  // operator routes to everyone else.
  if (user.is_operator === true) {
    const link = element('a', { id: 'nav-operator', href: kOperatorPage, text: 'Operator' });
    if (window.location.pathname === kOperatorPage) link.setAttribute('aria-current', 'page');
    by_id('nav-main').prepend(element('li', {}, link));
  }

  const list = by_id('nav-orgs');
  clear(list);
  // Until the authenticator is set up, the organisation pages are closed to this session.
  const memberships = Array.isArray(me.memberships) && stage === 'full' ? me.memberships : [];
  for (const membership of memberships) {
    const org_query = `?org=${encodeURIComponent(membership.org_id)}`;
    const link = element('a', {
      href: `/org.html${org_query}`,
      text: membership.org_name,
      title: `${membership.org_name} (${membership.role})`,
    });
    // Each organisation's pages: the organisation itself, then its devices.
    const devices_link = element('a', {
      href: `/devices.html${org_query}`,
      text: 'Devices',
      className: 'nav-sub',
      'aria-label': `Devices of ${membership.org_name}`,
      dataset: { navDevices: String(membership.org_id) },
    });
    if (current_org_id !== null && String(membership.org_id) === String(current_org_id)) {
      (options.page === 'devices' ? devices_link : link).setAttribute('aria-current', 'page');
    }
    list.append(element('li', {}, link), element('li', {}, devices_link));
  }
  // No organisation (e.g. the platform operator): no empty "Organisations" heading.
  by_id('nav-orgs-heading').hidden = memberships.length === 0;
  list.hidden = memberships.length === 0;

  document.body.classList.add('ready');
  return me;
}
