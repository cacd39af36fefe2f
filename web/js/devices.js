// Devices page (/devices.html?org=ID): the organisation's gateways with their enrolment
// state and connection status (refreshed every few seconds while the page is visible) and —
// for owners and admins — registering a device, issuing a new one-time enrolment token and
// revoking a device.
//
// The enrolment token is shown once, in #enrolment-token-card, and "Done" removes it from the
// page (text, QR code and command): nothing keeps it afterwards. The server decides what a role
// may do; the page only hides or disables what the role cannot do.
//
// Servers from before the device uplink do not send online, last_seen_at, agent_version or
// source_ip: those cells then show "–".

import { api, ApiError, describe_error, go_to_login } from './api.js';
import { by_id, element, fill_table, format_time, set_status, time_cell } from './dom.js';
import { start_shell } from './shell.js';

const kManagingRoles = ['owner', 'admin'];
const kRefreshMs = 5_000;
const kMissing = '–';

const org_id = new URLSearchParams(window.location.search).get('org') || '';
const org_path = `/api/v1/orgs/${encodeURIComponent(org_id)}`;
const devices_path = `${org_path}/devices`;
let my_role = '';

const page_status = by_id('page-status');
const devices_table = by_id('devices');
const devices_status = by_id('devices-status');
const devices_updated = by_id('devices-updated');

function can_manage() {
  return kManagingRoles.includes(my_role);
}

function text_or_missing(value) {
  return typeof value === 'string' && value !== '' ? value : null;
}

// --- Table cells ---------------------------------------------------------------------------

function missing_cell() {
  return element('td', { className: 'muted', text: kMissing });
}

function text_cell(value, className = '') {
  const text = text_or_missing(value);
  return text === null ? missing_cell() : element('td', { className, text });
}

function optional_time_cell(iso) {
  return text_or_missing(iso) === null ? missing_cell() : time_cell(iso);
}

function uuid_cell(device) {
  const uuid = text_or_missing(device.device_uuid);
  if (uuid !== null) return element('td', { className: 'mono nowrap', text: uuid });
  const expected = text_or_missing(device.expected_uuid);
  if (expected !== null) {
    return element('td', { className: 'mono nowrap muted', title: 'Expected UUID: the device has not enrolled yet' },
      element('span', { className: 'small', text: 'expected ' }), expected);
  }
  return missing_cell();
}

function state_cell(device) {
  const state = typeof device.state === 'string' ? device.state : '';
  const kind = { enrolled: 'badge-ok', revoked: 'badge-danger' }[state] || '';
  return element('td', {}, element('span', { className: `badge ${kind}`.trim(), text: state || kMissing }));
}

function online_cell(device) {
  if (typeof device.online !== 'boolean') return missing_cell();
  const word = device.online ? 'online' : 'offline';
  return element('td', { className: 'nowrap', dataset: { online: String(device.online) } },
    element('span', { className: `dot dot-${word}`, 'aria-hidden': 'true' }), word);
}

// --- Rows, updated in place --------------------------------------------------------------------
//
// The table refreshes every few seconds; rows (and their buttons) are kept per device and only
// their data cells are replaced, so focus and a click in progress survive a refresh.

/** device id → {row, device, busy, token_button, revoke_button} */
const rows = new Map();

function update_buttons(entry) {
  const revoked = entry.device.state === 'revoked';
  const disabled = !can_manage() || revoked || entry.busy;
  entry.token_button.disabled = disabled;
  entry.revoke_button.disabled = disabled;
  const why = !can_manage() ? 'Your role does not allow this action.' : revoked ? 'The device is revoked.' : '';
  for (const button of [entry.token_button, entry.revoke_button]) {
    if (why) button.title = why;
    else button.removeAttribute('title');
  }
}

function fill_row(entry) {
  const { device, row } = entry;
  const actions = row.lastElementChild;
  // Everything but the actions cell is rebuilt from the current data.
  while (row.firstChild !== actions) row.removeChild(row.firstChild);
  const cells = [
    element('td', { className: 'strong', text: device.name || '' }),
    text_cell(device.site),
    uuid_cell(device),
    state_cell(device),
    online_cell(device),
    optional_time_cell(device.last_seen_at),
    text_cell(device.agent_version),
    text_cell(device.source_ip, 'nowrap'),
    optional_time_cell(device.certificate_expires_at),
  ];
  for (const cell of cells) row.insertBefore(cell, actions);
  row.dataset.state = device.state || '';
  if (text_or_missing(device.device_uuid)) row.dataset.deviceUuid = device.device_uuid;
  update_buttons(entry);
}

function new_row(device) {
  const token_button = element('button', {
    type: 'button',
    className: 'button button-small',
    text: 'New enrolment token',
    'aria-label': `New enrolment token for ${device.name}`,
  });
  const revoke_button = element('button', {
    type: 'button',
    className: 'button button-small button-danger',
    text: 'Revoke',
    'aria-label': `Revoke ${device.name}`,
  });
  const row = element('tr', { dataset: { deviceId: String(device.id) } },
    element('td', { className: 'actions' }, token_button, ' ', revoke_button));
  const entry = { row, device, busy: false, token_button, revoke_button };
  token_button.addEventListener('click', () => new_token(entry));
  revoke_button.addEventListener('click', () => revoke(entry));
  return entry;
}

function render(devices) {
  const seen = new Set();
  const ordered = [];
  for (const device of devices) {
    if (!device || device.id === undefined || device.id === null) continue;
    const id = String(device.id);
    seen.add(id);
    let entry = rows.get(id);
    if (!entry) {
      entry = new_row(device);
      rows.set(id, entry);
    }
    entry.device = device;
    fill_row(entry);
    ordered.push(entry.row);
  }
  for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);

  const body = devices_table.tBodies[0];
  const current = [...body.rows];
  const same_order = ordered.length > 0 && current.length === ordered.length
    && current.every((row, index) => row === ordered[index]);
  // Moving rows would take the focus away: only rebuild the body when the set or order changed.
  if (!same_order) fill_table(devices_table, ordered, 'No devices yet.');
}

// --- Loading and auto-refresh ---------------------------------------------------------------

let refresh_timer = null;
let loading = null;
let refresh_stopped = false;

/**
 * Loads the table. Concurrent calls share one request; `fresh` (after a change made on this
 * page) waits for a request already under way and then makes a new one, so the table shows
 * the change.
 */
async function load_devices(fresh = false) {
  if (loading && !fresh) return loading;
  if (loading) await loading;
  if (loading) return loading;
  loading = (async () => {
    try {
      const result = await api('GET', devices_path);
      render(Array.isArray(result && result.devices) ? result.devices : []);
      devices_updated.textContent = `Updated ${format_time(new Date().toISOString())}`;
      if (devices_status.classList.contains('status-refresh')) {
        set_status(devices_status, '');
        devices_status.classList.remove('status-refresh');
      }
    } catch (error) {
      // Without a session, access or organisation, refreshing is pointless.
      if (error instanceof ApiError && [401, 403, 404].includes(error.status)) stop_refresh();
      set_status(devices_status, describe_error(error), 'error');
      devices_status.classList.add('status-refresh');
    } finally {
      loading = null;
    }
  })();
  return loading;
}

function schedule_refresh() {
  clearTimeout(refresh_timer);
  refresh_timer = null;
  if (refresh_stopped || document.hidden) return;
  refresh_timer = setTimeout(async () => {
    refresh_timer = null;
    await load_devices();
    schedule_refresh();
  }, kRefreshMs);
}

function stop_refresh() {
  refresh_stopped = true;
  clearTimeout(refresh_timer);
  refresh_timer = null;
}

document.addEventListener('visibilitychange', async () => {
  if (document.hidden) {
    clearTimeout(refresh_timer);
    refresh_timer = null;
  } else if (!refresh_stopped && refresh_timer === null) {
    await load_devices();
    schedule_refresh();
  }
});

// --- Enrolment token card --------------------------------------------------------------------

const token_card = by_id('enrolment-token-card');
const token_text = by_id('enrolment-token');
const token_qr = by_id('enrolment-token-qr');
const token_expiry = by_id('enrolment-token-expiry');
const token_command = by_id('enrolment-command');
const token_device = by_id('enrolment-token-device');
const token_status = by_id('enrolment-token-status');
let token_device_id = null;

function svg_data_url(svg) {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

function show_token(result, fallback_device) {
  const token = result && typeof result.enrolment_token === 'string' ? result.enrolment_token : '';
  if (token === '') throw new Error('the answer holds no enrolment token');
  const device = (result && result.device) || fallback_device || {};
  token_device_id = device.id !== undefined ? String(device.id) : null;
  token_device.textContent = device.name || '';
  token_text.textContent = token;
  token_command.textContent = `logbot-agent enrol --token ${token}`;
  const svg = typeof result.enrolment_token_qr_svg === 'string' ? result.enrolment_token_qr_svg : '';
  if (svg.startsWith('<')) {
    token_qr.src = svg_data_url(svg);
    token_qr.hidden = false;
  } else {
    token_qr.removeAttribute('src');
    token_qr.hidden = true;
  }
  const expires = typeof result.token_expires_at === 'string' ? result.token_expires_at : '';
  token_expiry.dateTime = expires;
  token_expiry.title = expires;
  token_expiry.textContent = expires ? format_time(expires) : kMissing;
  set_status(token_status, '');
  token_card.hidden = false;
  token_card.scrollIntoView({ block: 'nearest' });
  by_id('enrolment-token-title').focus({ preventScroll: true });
}

function hide_token() {
  token_card.hidden = true;
  token_device_id = null;
  token_text.textContent = '';
  token_command.textContent = '';
  token_device.textContent = '';
  token_qr.removeAttribute('src');
  token_expiry.textContent = '';
  token_expiry.removeAttribute('datetime');
  token_expiry.removeAttribute('title');
  set_status(token_status, '');
}

async function copy_text(node, what) {
  const text = node.textContent;
  if (text === '') return;
  try {
    await navigator.clipboard.writeText(text);
    set_status(token_status, `${what} copied to the clipboard.`, 'ok');
  } catch {
    // No clipboard access (permissions, older browser): select it for a manual copy.
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    set_status(token_status, `The browser did not allow copying: the ${what.toLowerCase()} is selected, press Ctrl+C to copy it.`);
  }
}

by_id('copy-enrolment-token').addEventListener('click', () => copy_text(token_text, 'Token'));
by_id('copy-enrolment-command').addEventListener('click', () => copy_text(token_command, 'Command'));
by_id('enrolment-token-done').addEventListener('click', () => {
  window.getSelection().removeAllRanges();
  hide_token();
  const name = document.getElementById('device-name');
  if (can_manage() && name) name.focus();
});

// --- Actions -----------------------------------------------------------------------------------

async function new_token(entry) {
  const { device } = entry;
  entry.busy = true;
  update_buttons(entry);
  set_status(devices_status, `Issuing a new enrolment token for ${device.name}…`);
  try {
    const result = await api('POST', `${devices_path}/${encodeURIComponent(device.id)}/enrolment-token`);
    show_token(result, device);
    set_status(devices_status, `New enrolment token for ${device.name}; earlier unused tokens of this device no longer work.`, 'ok');
  } catch (error) {
    set_status(devices_status, describe_error(error), 'error');
  } finally {
    entry.busy = false;
    update_buttons(entry);
  }
}

async function revoke(entry) {
  const { device } = entry;
  const question = `Revoke ${device.name}? Its certificate stops working at once and the device cannot enrol again; `
    + 'it would have to be registered anew.';
  if (!window.confirm(question)) return;
  entry.busy = true;
  update_buttons(entry);
  set_status(devices_status, `Revoking ${device.name}…`);
  try {
    await api('POST', `${devices_path}/${encodeURIComponent(device.id)}/revoke`);
    // A token of a revoked device is useless: do not leave it on the page.
    if (token_device_id === String(device.id)) hide_token();
    set_status(devices_status, `${device.name} was revoked.`, 'ok');
  } catch (error) {
    set_status(devices_status, describe_error(error), 'error');
  } finally {
    entry.busy = false;
    await load_devices(true);
    update_buttons(entry);
  }
}

// --- Register ----------------------------------------------------------------------------------

const register_form = by_id('register-form');
const register_status = by_id('register-status');
const kUuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

register_form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const name_input = by_id('device-name');
  const uuid_input = by_id('device-expected-uuid');
  const name = name_input.value.trim();
  const site = by_id('device-site').value.trim();
  const expected_uuid = uuid_input.value.trim();
  set_status(register_status, '');
  if (name === '') {
    set_status(register_status, 'The device needs a name.', 'error');
    name_input.focus();
    return;
  }
  if (expected_uuid !== '' && !kUuidPattern.test(expected_uuid)) {
    set_status(register_status, 'The expected UUID must look like 3f2c8a1e-5b7d-4c9e-8f01-23456789abcd (or stay empty).', 'error');
    uuid_input.focus();
    return;
  }
  const button = by_id('register-device');
  button.disabled = true;
  try {
    const body = { name, site };
    if (expected_uuid !== '') body.expected_uuid = expected_uuid;
    const result = await api('POST', devices_path, { body });
    register_form.reset();
    show_token(result, { name });
    set_status(register_status, `${name} was registered.`, 'ok');
    await load_devices(true);
  } catch (error) {
    set_status(register_status, describe_error(error), 'error');
  } finally {
    button.disabled = false;
  }
});

// --- Start -------------------------------------------------------------------------------------

async function start() {
  await start_shell(org_id, { page: 'devices' });
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
  by_id('org-link').href = `/org.html?org=${encodeURIComponent(org_id)}`;
  by_id('my-role').textContent = my_role;
  document.title = `Devices · ${org.name} · Logbot`;
  by_id('devices-content').hidden = false;
  by_id('register-section').hidden = !can_manage();

  await load_devices();
  schedule_refresh();
}

try {
  await start();
} catch (error) {
  if (error.status === 401) go_to_login();
  else set_status(page_status, describe_error(error), 'error');
}
