// Small DOM helpers shared by the pages.
//
// Security: data from the server (names, e-mails, audit details, user agents) is only ever
// put into the page as text nodes (textContent / createTextNode), never parsed as HTML,
// so a hostile value cannot inject markup or script.

/**
 * Creates an element. `attributes` may hold: text (textContent), className, title,
 * dataset (object), and plain attributes (set with setAttribute; never "style" or "on*").
 * Children are nodes or strings (added as text).
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name === 'style' || name.startsWith('on')) throw new Error(`refusing attribute ${name}`);
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Removes every child of a node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Looks an element up by id and fails loudly if the page lacks it (a page/script mismatch). */
export function by_id(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`element #${id} missing from the page`);
  return node;
}

const date_format = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const time_format = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });

/**
 * A server time (ISO-8601 UTC) in the user's locale and time zone, e.g. "Nov 14, 2019 8:23:42 AM"
 * for en-US. Unparseable input is shown as it came.
 */
export function format_time(iso) {
  const date = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(date.getTime())) return String(iso ?? '');
  return `${date_format.format(date)} ${time_format.format(date)}`;
}

/** A table cell holding a time: local text, exact ISO value in the tooltip and <time datetime>. */
export function time_cell(iso) {
  const time = element('time', { datetime: iso, title: iso, text: format_time(iso) });
  return element('td', { className: 'nowrap', title: iso }, time);
}

/** Replaces the rows of a table's <tbody>; shows `empty_text` across all columns when there are none. */
export function fill_table(table, rows, empty_text) {
  const body = table.tBodies[0] || table.appendChild(document.createElement('tbody'));
  clear(body);
  if (rows.length === 0) {
    const columns = table.tHead ? table.tHead.rows[0].cells.length : 1;
    body.append(element('tr', { className: 'empty' }, element('td', { colspan: columns, text: empty_text })));
    return;
  }
  for (const row of rows) body.append(row);
}

/** Appends rows to a table's <tbody> (paging with "Load older"). */
export function append_rows(table, rows) {
  const body = table.tBodies[0];
  for (const row of rows) body.append(row);
}

/** Shows a status message next to a form; kind is "ok", "error" or "" (neutral). */
export function set_status(node, text, kind = '') {
  node.textContent = text;
  node.classList.remove('status-ok', 'status-error');
  if (kind) node.classList.add(`status-${kind}`);
}
