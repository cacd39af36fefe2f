// Operator page: every organisation of the platform (name, creation time, member count)
// and creating an organisation with an invitation for its owner.
//
// The platform operator manages organisations but sees no tenant data: the admin routes
// answer names and counts only, and everyone but the operator gets 403 from them. The
// page's own check of user.is_operator only spares other users a request bound to fail.

import { ApiError, api, describe_error, go_to_login } from './api.js';
import { by_id, element, fill_table, set_status, time_cell } from './dom.js';
import { start_shell } from './shell.js';

const kOrgsPath = '/api/v1/admin/orgs';
const kNotOperator = 'Only the platform operator can use this page. Your account has no operator rights.';

const page_status = by_id('page-status');
const orgs_table = by_id('orgs');
const orgs_status = by_id('orgs-status');

/** The operator routes refuse everyone else with 403: say so in words. */
function describe(error) {
  if (error instanceof ApiError && error.status === 403 && error.code === 'forbidden') return kNotOperator;
  return describe_error(error);
}

function show_not_operator() {
  by_id('operator-content').hidden = true;
  set_status(page_status, kNotOperator, 'error');
}

// --- Organisations ------------------------------------------------------------------------

function org_row(org) {
  const count = Number(org.member_count);
  return element('tr', { dataset: { orgId: String(org.id) } },
    element('td', { className: 'strong', text: org.name || '' }),
    time_cell(org.created_at),
    element('td', { className: 'numeric', text: Number.isFinite(count) ? String(count) : '' }));
}

async function load_orgs() {
  try {
    const result = await api('GET', kOrgsPath);
    const orgs = Array.isArray(result && result.orgs) ? result.orgs : [];
    fill_table(orgs_table, orgs.map(org_row), 'No organisations yet.');
    set_status(orgs_status, '');
  } catch (error) {
    if (error.status === 403) show_not_operator();
    else set_status(orgs_status, describe(error), 'error');
  }
}

// --- Create organisation --------------------------------------------------------------------

const create_form = by_id('create-org-form');
const create_status = by_id('create-org-status');
const name_input = by_id('org-name');
const email_input = by_id('owner-email');

create_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  set_status(create_status, '');
  const name = name_input.value.trim();
  const owner_email = email_input.value.trim();
  if (name === '') {
    set_status(create_status, 'Enter the name of the organisation.', 'error');
    name_input.focus();
    return;
  }
  if (owner_email === '') {
    set_status(create_status, "Enter the owner's e-mail address.", 'error');
    email_input.focus();
    return;
  }
  const button = by_id('create-org');
  button.disabled = true;
  try {
    by_id('owner-link-box').hidden = true;
    const created = await api('POST', kOrgsPath, { body: { name, owner_email } });
    create_form.reset();
    set_status(create_status, `${(created && created.name) || name} was created; ${owner_email} is invited as its owner.`, 'ok');
    const link = by_id('owner-link');
    link.value = (created && created.url) || '';
    by_id('owner-link-box').hidden = false;
    await load_orgs();
  } catch (error) {
    let text;
    if (error.status === 409) {
      text = error.message || `An organisation named ${name} exists already.`;
      name_input.focus();
    } else {
      text = describe(error);
    }
    set_status(create_status, text, 'error');
  } finally {
    button.disabled = false;
  }
});

// --- Start -------------------------------------------------------------------------------------

async function start() {
  const me = await start_shell();
  if (!me.user || me.user.is_operator !== true) {
    show_not_operator();
    return;
  }
  by_id('operator-content').hidden = false;
  await load_orgs();
}

try {
  await start();
} catch (error) {
  if (error.status === 401) go_to_login();
  else set_status(page_status, describe(error), 'error');
}
