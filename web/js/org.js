// Organisation page (/org.html?org=ID): members with their roles and whether they use
// two-factor authentication, and — for owners and admins — inviting members (and revoking
// pending invitations), the security policy (require two-factor authentication) and the
// organisation's audit log with filters and exports.
//
// The page only hides what the user's role cannot do; the server decides (it checks the
// permission on every request), so a tampered page gains nothing.

import { api, describe_error, go_to_login, with_query } from './api.js';
import { AuditTable } from './audit_table.js';
import { by_id, element, fill_table, set_status, time_cell } from './dom.js';
import { reset_totp_button } from './member_totp_reset.js';
import { start_shell } from './shell.js';

const kRoles = ['owner', 'admin', 'engineer', 'viewer'];
const kManagingRoles = ['owner', 'admin'];

const org_id = new URLSearchParams(window.location.search).get('org') || '';
const org_path = `/api/v1/orgs/${encodeURIComponent(org_id)}`;
let my_role = '';
let my_user_id = '';

const page_status = by_id('page-status');
const members_table = by_id('members');
const members_status = by_id('members-status');

function can_manage() {
  return kManagingRoles.includes(my_role);
}

// An admin may neither grant the owner role nor change or remove an owner (docs/SECURITY.md, "Permission matrix").
function can_touch(member) {
  if (!can_manage()) return false;
  return my_role === 'owner' || member.role !== 'owner';
}

function role_options(select, selected) {
  for (const role of kRoles) {
    const option = element('option', { value: role, text: role });
    if (role === 'owner' && my_role !== 'owner') option.disabled = true;
    if (role === selected) {
      // defaultSelected too, so that a form reset returns to this role.
      option.defaultSelected = true;
      option.selected = true;
    }
    select.append(option);
  }
}

// --- Members ------------------------------------------------------------------------------

function totp_cell(member) {
  if (typeof member.totp_enabled !== 'boolean') return element('td', {});
  return element('td', {}, member.totp_enabled
    ? element('span', { className: 'badge badge-ok', text: 'Enabled' })
    : element('span', { className: 'badge', text: 'Off' }));
}

function member_row(member) {
  const editable = can_touch(member);
  const label = `Role of ${member.email}`;
  const select = element('select', { className: 'role-select', 'aria-label': label, disabled: !editable });
  role_options(select, member.role);
  select.addEventListener('change', () => change_role(member, select));

  const remove = element('button', {
    type: 'button',
    className: 'button button-small button-danger',
    text: 'Remove',
    'aria-label': `Remove ${member.email}`,
    disabled: !editable,
  });
  remove.addEventListener('click', () => remove_member(member, remove));

  const is_me = String(member.user_id) === String(my_user_id);
  const reset_totp = reset_totp_button(member, {
    org_path,
    is_owner: my_role === 'owner',
    is_me,
    on_done: async (message) => {
      set_status(members_status, message, 'ok');
      await Promise.all([load_members(), reload_audit()]);
    },
  });
  return element('tr', { dataset: { userId: String(member.user_id), email: member.email } },
    element('td', {}, member.email, is_me ? element('span', { className: 'badge badge-ok spaced', text: 'you' }) : null),
    element('td', { text: member.display_name || '' }),
    element('td', {}, select),
    totp_cell(member),
    time_cell(member.added_at),
    element('td', { className: 'actions' }, reset_totp, remove));
}

async function load_members() {
  try {
    const result = await api('GET', `${org_path}/members`);
    const members = Array.isArray(result && result.members) ? result.members : [];
    fill_table(members_table, members.map(member_row), 'No members.');
  } catch (error) {
    set_status(members_status, describe_error(error), 'error');
  }
}

function reload_audit() {
  return can_manage() ? org_audit.load(current_filters()) : Promise.resolve();
}

async function change_role(member, select) {
  const role = select.value;
  select.disabled = true;
  set_status(members_status, `Changing the role of ${member.email}…`);
  try {
    const updated = await api('PATCH', `${org_path}/members/${encodeURIComponent(member.user_id)}`, { body: { role } });
    member.role = (updated && updated.role) || role;
    set_status(members_status, `${member.email} is now ${member.role}.`, 'ok');
    if (String(member.user_id) === String(my_user_id)) {
      // Changing one's own role changes what this page may show.
      window.location.reload();
      return;
    }
    await Promise.all([load_members(), reload_audit()]);
  } catch (error) {
    select.value = member.role;
    select.disabled = false;
    const text = error.code === 'last_owner'
      ? 'The organisation must keep at least one owner.'
      : describe_error(error);
    set_status(members_status, text, 'error');
  }
}

async function remove_member(member, button) {
  // Two-step confirmation without a modal dialog: the first click arms the button.
  if (button.dataset.armed !== 'true') {
    button.dataset.armed = 'true';
    button.textContent = 'Confirm remove';
    set_status(members_status, `Click "Confirm remove" to remove ${member.email} from the organisation.`);
    return;
  }
  button.disabled = true;
  try {
    await api('DELETE', `${org_path}/members/${encodeURIComponent(member.user_id)}`);
    set_status(members_status, `${member.email} was removed.`, 'ok');
    await Promise.all([load_members(), reload_audit()]);
  } catch (error) {
    button.disabled = false;
    button.dataset.armed = 'false';
    button.textContent = 'Remove';
    const text = error.code === 'last_owner'
      ? 'The last owner cannot be removed.'
      : describe_error(error);
    set_status(members_status, text, 'error');
  }
}

// --- Invitations -----------------------------------------------------------------------------

const invite_form = by_id('invite-form');
const invite_status = by_id('invite-status');
const invitations_table = by_id('invitations');
const invitations_status = by_id('invitations-status');

function invitation_row(invitation) {
  const revocable = my_role === 'owner' || invitation.role !== 'owner';
  const revoke = element('button', {
    type: 'button',
    className: 'button button-small button-danger',
    text: 'Revoke',
    'aria-label': `Revoke the invitation of ${invitation.email}`,
    disabled: !revocable,
  });
  revoke.addEventListener('click', () => revoke_invitation(invitation, revoke));
  return element('tr', { dataset: { invitationId: String(invitation.id), email: invitation.email } },
    element('td', { text: invitation.email }),
    element('td', { text: invitation.role }),
    element('td', { text: invitation.invited_by || '' }),
    time_cell(invitation.expires_at),
    element('td', { className: 'actions' }, revoke));
}

async function load_invitations() {
  try {
    const result = await api('GET', `${org_path}/invitations`);
    const invitations = Array.isArray(result && result.invitations) ? result.invitations : [];
    fill_table(invitations_table, invitations.map(invitation_row), 'No pending invitations.');
  } catch (error) {
    set_status(invitations_status, describe_error(error), 'error');
  }
}

async function revoke_invitation(invitation, button) {
  button.disabled = true;
  try {
    await api('DELETE', `${org_path}/invitations/${encodeURIComponent(invitation.id)}`);
    set_status(invitations_status, `The invitation of ${invitation.email} was revoked; its link no longer works.`, 'ok');
    await Promise.all([load_invitations(), reload_audit()]);
  } catch (error) {
    button.disabled = false;
    set_status(invitations_status, describe_error(error), 'error');
  }
}

invite_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = by_id('invite-email').value.trim();
  const role = by_id('invite-role').value;
  set_status(invite_status, '');
  by_id('invite-link-box').hidden = true;
  if (email === '') {
    set_status(invite_status, 'Enter the e-mail address of the person to invite.', 'error');
    return;
  }
  const button = by_id('invite');
  button.disabled = true;
  try {
    const created = await api('POST', `${org_path}/invitations`, { body: { email, role } });
    invite_form.reset();
    set_status(invite_status, `${email} is invited as ${role}. They become a member once they accept.`, 'ok');
    const link = by_id('invite-link');
    link.value = (created && created.url) || '';
    by_id('invite-link-box').hidden = false;
    link.focus();
    link.select();
    await Promise.all([load_invitations(), reload_audit()]);
  } catch (error) {
    set_status(invite_status, describe_error(error), 'error');
  } finally {
    button.disabled = false;
  }
});

// --- Security policy ---------------------------------------------------------------------------

const require_2fa = by_id('require-2fa');
const security_status = by_id('security-status');

require_2fa.addEventListener('change', async () => {
  const wanted = require_2fa.checked;
  require_2fa.disabled = true;
  set_status(security_status, wanted ? 'Turning the policy on…' : 'Turning the policy off…');
  try {
    const org = await api('PATCH', org_path, { body: { require_2fa: wanted } });
    const now = org && typeof org.require_2fa === 'boolean' ? org.require_2fa : wanted;
    require_2fa.checked = now;
    set_status(security_status, now
      ? 'Two-factor authentication is now required for all members.'
      : 'Two-factor authentication is no longer required.', 'ok');
    await Promise.all([load_members(), reload_audit()]);
  } catch (error) {
    require_2fa.checked = !wanted;
    set_status(security_status, describe_error(error), 'error');
  } finally {
    require_2fa.disabled = false;
  }
});

// --- Organisation audit ------------------------------------------------------------------------

const org_audit = new AuditTable({
  table: by_id('org-audit'),
  columns: ['date', 'event', 'user', 'ip', 'client', 'details'],
  path: `${org_path}/audit`,
  more_button: by_id('org-audit-more'),
  status: by_id('org-audit-status'),
});

// A datetime-local value ("2026-11-27T21:39") is local time; the API wants ISO UTC.
function local_to_iso(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

function current_filters() {
  return {
    event: by_id('audit-event').value,
    user: by_id('audit-user').value.trim(),
    from: local_to_iso(by_id('audit-from').value),
    to: local_to_iso(by_id('audit-to').value),
  };
}

function update_export_links(filters) {
  by_id('org-audit-csv').href = with_query(`${org_path}/audit`, { ...filters, format: 'csv' });
  by_id('org-audit-jsonl').href = with_query(`${org_path}/audit`, { ...filters, format: 'jsonl' });
}

by_id('audit-filter-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const filters = current_filters();
  update_export_links(filters);
  org_audit.load(filters);
});

by_id('audit-filter-form').addEventListener('reset', () => {
  // The form's own reset clears the inputs after this handler: reload once it has.
  setTimeout(() => {
    const filters = current_filters();
    update_export_links(filters);
    org_audit.load(filters);
  }, 0);
});

// --- Start -------------------------------------------------------------------------------------

async function start() {
  const me = await start_shell(org_id);
  my_user_id = me.user ? me.user.id : '';
  if (org_id === '') {
    set_status(page_status, 'No organisation selected. Pick one in the navigation.', 'error');
    return;
  }
  let org;
  try {
    org = await api('GET', org_path);
  } catch (error) {
    set_status(page_status, describe_error(error), 'error');
    return;
  }
  my_role = org.role || '';
  by_id('org-name').textContent = org.name || '';
  by_id('my-role').textContent = my_role;
  by_id('org-devices-link').href = `/devices.html?org=${encodeURIComponent(org_id)}`;
  document.title = `${org.name} · Logbot`;

  by_id('org-content').hidden = false;
  by_id('invite-section').hidden = !can_manage();
  by_id('security-section').hidden = !can_manage();
  require_2fa.checked = org.require_2fa === true;
  by_id('org-audit-section').hidden = !can_manage();
  role_options(by_id('invite-role'), 'viewer');

  const loads = [load_members()];
  if (can_manage()) {
    loads.push(load_invitations());
    update_export_links(current_filters());
    loads.push(org_audit.load(current_filters()));
  }
  await Promise.all(loads);
}

try {
  await start();
} catch (error) {
  if (error.status === 401) go_to_login();
  else set_status(page_status, describe_error(error), 'error');
}
