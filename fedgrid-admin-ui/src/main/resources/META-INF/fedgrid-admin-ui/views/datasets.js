// The dataset catalogue: search by name and tag (GET /datasets?name=&tag=); metadata only, never rows.
import { api } from '../api.js';
import { h, fill, heading, section, badge, table, num, ago, hashQuery, hashWith } from '../ui.js';

export async function render(main, _params, { signal, navigate }) {
  const q = hashQuery();
  const name = h('input', { id: 'ds-name', name: 'name', type: 'search', placeholder: 'name', value: q.get('name') ?? '' });
  const tag = h('input', { id: 'ds-tag', name: 'tag', type: 'search', placeholder: 'tag', value: q.get('tag') ?? '' });
  const form = h('form', { class: 'search', id: 'ds-search', onsubmit: e => {
    e.preventDefault();
    navigate(hashWith('/datasets', { name: name.value.trim(), tag: tag.value.trim() }));
  } }, name, tag, h('button', { type: 'submit' }, 'Search'));
  const list = h('section', { class: 'panel', id: 'datasets-list' });
  fill(main, heading('Datasets'), form, list);
  await section(list, 'Datasets', 'list the datasets', async () => {
    const { items } = await api('/datasets', { query: { name: q.get('name'), tag: q.get('tag') }, signal });
    return table([
      { label: 'Dataset', cell: d => h('a', { href: `#/datasets/${d.id}` }, d.metadata?.name ?? d.id) },
      { label: 'Visibility', cell: d => badge(d.metadata?.visibility ?? '?') },
      { label: 'Tags', cell: d => (d.metadata?.tags ?? []).map(t => h('a', { class: 'tag', href: hashWith('/datasets', { tag: t }) }, t)) },
      { label: 'Format', cell: d => d.metadata?.format ?? '' },
      { label: 'Features', cell: d => (d.metadata?.featureShape ?? []).join(' × ') },
      { label: 'Train rows', class: 'num', cell: d => num(d.metadata?.trainRows) },
      { label: 'Test rows', class: 'num', cell: d => num(d.metadata?.testRows) },
      { label: 'Node', class: 'id', cell: d => d.nodeId },
      { label: 'Registered', cell: d => ago(d.registeredAt) },
    ], items, q.get('name') || q.get('tag') ? 'No dataset matches.' : 'No dataset registered yet. A node registers its datasets when it starts.');
  });
}
