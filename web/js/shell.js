// The frame every signed-in page shares: the header bar with the user's organisations,
// the signed-in user and the #logout button.

import { api, describe_error, go_to_enrolment, go_to_login, home_page, load_me, logout, session_stage } from './api.js';
import { by_id, clear, element, format_time } from './dom.js';

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

  if (stage === 'full') await show_invitations();
  document.body.classList.add('ready');
  return me;
}

// --- Invitations ----------------------------------------------------------------------------

/**
 * A banner at the top of the page for each pending invitation to the user's e-mail address:
 * becoming a member needs the user's own Accept (docs/SECURITY.md, "Invitations"). Accepting
 * reloads the page, so the navigation shows the new organisation.
 */
async function show_invitations() {
  let invitations;
  try {
    const result = await api('GET', '/api/v1/me/invitations');
    invitations = Array.isArray(result && result.invitations) ? result.invitations : [];
  } catch {
    return;  // the page works without the banner
  }
  if (invitations.length === 0) return;
  const banner = element('section', { id: 'invitations-banner', className: 'banner banner-info', 'aria-label': 'Invitations' });
  for (const invitation of invitations) banner.append(invitation_item(invitation));
  const main = document.querySelector('main') || document.body;
  main.prepend(banner);
}

function invitation_item(invitation) {
  const by = invitation.invited_by ? ` by ${invitation.invited_by}` : '';
  const text = `You are invited${by} to join ${invitation.org_name} as ${invitation.role} (until ${format_time(invitation.expires_at)}).`;
  const status = element('span', { className: 'status', role: 'status' });
  const accept = element('button', { type: 'button', className: 'button button-small button-primary', text: 'Accept', 'aria-label': `Accept the invitation to ${invitation.org_name}` });
  const decline = element('button', { type: 'button', className: 'button button-small', text: 'Decline', 'aria-label': `Decline the invitation to ${invitation.org_name}` });
  const item = element('p', { className: 'invitation', dataset: { invitationId: String(invitation.id) } },
    element('span', { text }), ' ', accept, ' ', decline, ' ', status);
  const answer = async (action) => {
    accept.disabled = true;
    decline.disabled = true;
    try {
      await api('POST', `/api/v1/me/invitations/${encodeURIComponent(invitation.id)}/${action}`);
      if (action === 'accept') {
        window.location.reload();
        return;
      }
      item.remove();
      const banner = document.getElementById('invitations-banner');
      if (banner && banner.childElementCount === 0) banner.remove();
    } catch (error) {
      status.textContent = describe_error(error);
      accept.disabled = false;
      decline.disabled = false;
    }
  };
  accept.addEventListener('click', () => answer('accept'));
  decline.addEventListener('click', () => answer('decline'));
  return item;
}
