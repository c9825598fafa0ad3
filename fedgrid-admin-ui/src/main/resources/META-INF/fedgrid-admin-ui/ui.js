// Small DOM and formatting helpers shared by every view. Everything the API returns is put into the
// page as text nodes (never innerHTML), so a dataset or job name cannot inject markup.
import { ApiError, isMissingRoute } from './api.js';

/** Creates an element: h('a', {href: '#/jobs', class: 'x', onclick: fn}, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's content. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A readable box for any failure: the API's code and message, or what went wrong in the browser. */
export function errorBox(error, what) {
  const api = error instanceof ApiError;
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, what ? `Could not ${what}` : 'Something went wrong'),
    h('p', {}, api ? error.message : String(error?.message ?? error)),
    api && error.code ? h('p', { class: 'code' }, error.status ? `${error.status} ${error.code}` : error.code) : null);
}

/** The notice shown where a view's endpoint does not exist on this gateway yet. */
export function unavailableBox(error, feature) {
  return h('div', { class: 'notice unavailable', role: 'status' },
    h('strong', {}, `${feature} is not available on this gateway`),
    h('p', {}, `The gateway has no ${error.details?.path ?? 'such'} endpoint yet (404 ROUTE_NOT_FOUND). `
      + 'This view starts working once the gateway serves it; nothing is wrong with your account.'));
}

/**
 * Runs load() and renders what it returns into container, or a readable error; a missing route
 * becomes the "not available on this gateway" notice naming feature.
 */
export async function section(container, feature, what, load) {
  fill(container, h('p', { class: 'muted' }, 'Loading…'));
  try {
    fill(container, await load());
  } catch (e) {
    if (e?.name === 'AbortError') return;
    fill(container, isMissingRoute(e) ? unavailableBox(e, feature) : errorBox(e, what));
  }
}

export function badge(text, kind = text) {
  return h('span', { class: `badge badge-${String(kind).replace(/[^a-z0-9-]/gi, '')}` }, text);
}

/** A table from column definitions [{label, cell: row => node|string, class?}]. */
export function table(columns, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'muted empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map(c => h('th', { class: c.class }, c.label)))),
      h('tbody', {}, rows.map(r => h('tr', {}, columns.map(c => h('td', { class: c.class }, c.cell(r))))))));
}

/** A definition list from [label, value] pairs, skipping empty values. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "12 s ago", with the full time as a tooltip. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  let text;
  if (!Number.isFinite(seconds)) text = String(iso);
  else if (seconds < 5) text = 'just now';
  else if (seconds < 90) text = `${seconds} s ago`;
  else if (seconds < 5400) text = `${Math.round(seconds / 60)} min ago`;
  else if (seconds < 129600) text = `${Math.round(seconds / 3600)} h ago`;
  else text = `${Math.round(seconds / 86400)} days ago`;
  return h('time', { datetime: iso, title: time(iso) }, text);
}

export function num(value, digits = 4) {
  if (value === undefined || value === null || value === '') return '';
  return typeof value === 'number' ? (Number.isInteger(value) ? value.toLocaleString() : value.toFixed(digits)) : String(value);
}

/** The query of the current hash route, such as #/jobs?state=running. */
export function hashQuery() {
  const q = location.hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : location.hash.slice(q + 1));
}

export function hashWith(path, params) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

export function heading(title, ...extra) {
  return h('div', { class: 'view-head' }, h('h1', {}, title), extra);
}
