// An audit log shown as a table, newest first, with "Load older" paging.
// Used by the account log (/api/v1/me/audit) and the organisation audit (/api/v1/orgs/{id}/audit).

import { api, describe_error, with_query } from './api.js';
import { append_rows, element, fill_table, set_status, time_cell } from './dom.js';

const kPageSize = 100;

// How each column is drawn from one event of the API.
const kCells = {
  date: (event) => time_cell(event.time),
  event: (event) => element('td', { className: 'event-code' }, element('span', { className: 'badge', text: event.event })),
  // Entries written by the system (provisioning from the shell, lockouts) name no user.
  user: (event) => element('td', { text: event.username || (event.actor_type === 'system' ? '(system)' : '') }),
  ip: (event) => element('td', { className: 'mono', text: event.ip || '' }),
  client: (event) => element('td', { className: 'nowrap', text: event.client || '' }),
  details: (event) => element('td', { className: 'details', text: event.details || '' }),
};

export class AuditTable {
  /**
   * table: the <table>; columns: keys of kCells in display order; path: the audit route;
   * more_button: the "Load older" button; status: where errors are shown.
   */
  constructor({ table, columns, path, more_button, status }) {
    this.table = table;
    this.columns = columns;
    this.path = path;
    this.more_button = more_button;
    this.status = status;
    this.filters = {};
    this.oldest_seq = null;
    more_button.addEventListener('click', () => this.load_more());
  }

  row_for(event) {
    const row = element('tr', { dataset: { seq: String(event.seq), event: String(event.event) } });
    for (const column of this.columns) row.append(kCells[column](event));
    return row;
  }

  async fetch_page(before) {
    const url = with_query(this.path, { ...this.filters, limit: kPageSize, before });
    const result = await api('GET', url);
    return Array.isArray(result && result.events) ? result.events : [];
  }

  /** Loads the newest page with the given filters (replacing what is shown). */
  async load(filters = {}) {
    this.filters = filters;
    this.table.setAttribute('aria-busy', 'true');
    set_status(this.status, '');
    try {
      const events = await this.fetch_page(undefined);
      fill_table(this.table, events.map((event) => this.row_for(event)), 'No events.');
      this.after_page(events);
    } catch (error) {
      fill_table(this.table, [], 'The log could not be loaded.');
      this.more_button.hidden = true;
      set_status(this.status, describe_error(error), 'error');
    } finally {
      this.table.setAttribute('aria-busy', 'false');
    }
  }

  async load_more() {
    if (this.oldest_seq === null) return;
    this.more_button.disabled = true;
    try {
      const events = await this.fetch_page(this.oldest_seq);
      append_rows(this.table, events.map((event) => this.row_for(event)));
      this.after_page(events);
    } catch (error) {
      set_status(this.status, describe_error(error), 'error');
    } finally {
      this.more_button.disabled = false;
    }
  }

  after_page(events) {
    const full_page = events.length >= kPageSize;
    this.oldest_seq = full_page ? events[events.length - 1].seq : null;
    this.more_button.hidden = !full_page;
  }
}
