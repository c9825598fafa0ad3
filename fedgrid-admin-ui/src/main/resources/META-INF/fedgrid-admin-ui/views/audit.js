// The audit log: filter by actor, action (a prefix ending in "." matches a family, like "release."),
// target and time; page by sequence number; verify the hash chain.
import { api } from '../api.js';
import { h, fill, heading, section, badge, table, time, hashQuery, hashWith } from '../ui.js';

const FILTERS = ['actor', 'action', 'target', 'since', 'until'];

export async function render(main, _params, { signal, navigate }) {
  const q = hashQuery();
  const inputs = Object.fromEntries(FILTERS.map(f => [f, h('input', {
    name: f, value: q.get(f) ?? '', placeholder: f === 'since' || f === 'until' ? `${f} (2026-11-01T00:00:00Z)` : f === 'action' ? 'action (release. for all)' : f })]));
  const form = h('form', { class: 'search', id: 'audit-filter', onsubmit: e => {
    e.preventDefault();
    navigate(hashWith('/audit', Object.fromEntries(FILTERS.map(f => [f, inputs[f].value.trim()]))));
  } }, FILTERS.map(f => inputs[f]), h('button', { type: 'submit' }, 'Filter'));
  const verdict = h('div', { id: 'audit-verdict', 'aria-live': 'polite' });
  const verify = h('button', { type: 'button', id: 'audit-verify', onclick: () => section(verdict, 'Audit verification', 'verify the audit log', async () => {
    const v = await api('/audit/verify', { method: 'POST' });
    return h('div', { class: v.intact ? 'notice ok' : 'error' }, h('strong', {}, v.intact ? 'Intact' : `Broken at event ${v.brokenAt} (${v.problem})`), h('p', {}, v.message));
  }) }, 'Verify the chain');
  const list = h('section', { class: 'panel', id: 'audit-list' });
  fill(main, heading('Audit log', verify), verdict, form, list);
  await section(list, 'The audit log', 'list the audit events', async () => {
    const query = Object.fromEntries(FILTERS.map(f => [f, q.get(f)]));
    const page = await api('/audit/events', { query: { ...query, after: q.get('after'), limit: 100 }, signal });
    return [table([
      { label: '#', class: 'num', cell: e => e.seq },
      { label: 'When', cell: e => time(e.at) },
      { label: 'Actor', cell: e => e.actor },
      { label: 'Action', cell: e => badge(e.action, 'event') },
      { label: 'Target', class: 'id', cell: e => e.target },
      { label: 'Details', cell: e => Object.entries(e.details ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') },
      { label: 'Hash', class: 'id', cell: e => h('span', { title: e.hash }, (e.hash ?? '').slice(0, 12)) },
    ], page.items, 'No events match.'),
    h('div', { class: 'pager' },
      q.get('after') ? h('button', { type: 'button', onclick: () => history.back() }, '← Previous page') : null,
      page.nextAfter ? h('button', { type: 'button', onclick: () => navigate(hashWith('/audit', { ...query, after: page.nextAfter })) }, 'Next page →') : null)];
  });
}
