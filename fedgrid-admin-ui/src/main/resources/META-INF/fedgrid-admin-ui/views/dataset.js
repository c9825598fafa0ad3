// One dataset: visibility, schema, column statistics, label distribution, and its grants (once the
// gateway has them). Only metadata: the gateway never holds rows.
import { api } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, facts, num, time } from '../ui.js';

const SHOWN_COLUMNS = 40;

export async function render(main, [id], { signal }) {
  const ds = await api(`/datasets/${encodeURIComponent(id)}`, { signal });
  const m = ds.metadata ?? {};
  const columns = h('section', { class: 'panel', id: 'ds-columns' });
  const grants = h('section', { class: 'panel', id: 'ds-grants' });
  const notes = h('div', { id: 'ds-notes', 'aria-live': 'polite' });
  const other = m.visibility === 'public' ? 'private' : 'public';
  const toggle = h('button', { type: 'button', id: 'ds-visibility', onclick: async () => {
    if (!confirm(`Make ${m.name} ${other}?`)) return;
    try {
      await api(`/datasets/${encodeURIComponent(id)}`, { method: 'PATCH', body: { visibility: other } });
      location.reload();
    } catch (e) {
      fill(notes, errorBox(e, `make the dataset ${other}`));
    }
  } }, `Make ${other}`);
  fill(main,
    heading(m.name ?? ds.id, badge(m.visibility ?? '?'), toggle),
    notes,
    h('p', { class: 'id muted' }, ds.id),
    h('section', { class: 'panel', id: 'ds-schema' }, facts([
      ['Visibility', m.visibility === 'public' ? 'public: anyone may train on it and see the results'
        : 'private: training needs permission, results leave only after a release request is approved'],
      ['Format', m.format],
      ['Feature shape', (m.featureShape ?? []).join(' × ')],
      ['Rows', `${num(m.trainRows)} for training, ${num(m.testRows)} held out for evaluation`],
      ['Tags', (m.tags ?? []).join(', ') || 'none'],
      ['Node', ds.nodeId],
      ['Registered', time(ds.registeredAt)],
    ])),
    h('h2', {}, 'Label'), labelPanel(m.label),
    h('h2', {}, 'Column statistics'), columns,
    h('h2', {}, 'Grants'), grants);
  renderColumns(columns, m.features ?? [], SHOWN_COLUMNS);
  await section(grants, 'Dataset grants', 'list the grants', async () => {
    const { items } = await api(`/datasets/${encodeURIComponent(id)}/grants`, { signal });
    return table([
      { label: 'User', cell: g => g.user },
      { label: 'May process', class: 'check', cell: g => (g.process ? '✓' : '') },
      { label: 'May download results', class: 'check', cell: g => (g.downloadResults ? '✓' : '') },
      { label: 'Granted by', cell: g => g.grantedBy ?? '' },
      { label: 'Since', cell: g => time(g.grantedAt) },
    ], items, 'No grants: only the visibility and the owner apply.');
  });
}

function labelPanel(label) {
  if (!label) return h('p', { class: 'muted' }, 'No label column.');
  const counts = label.classCounts ?? [];
  const max = Math.max(1, ...counts);
  return h('section', { class: 'panel', id: 'ds-label' },
    facts([['Column', label.column], ['Kind', label.kind], ['Classes', label.kind === 'categorical' ? label.numClasses : '']]),
    counts.length ? h('div', { class: 'bars' }, counts.map((c, i) => h('div', { class: 'bar-row' },
      h('span', { class: 'bar-label' }, `class ${i}`),
      h('span', { class: 'bar', style: `width:${(100 * c / max).toFixed(1)}%` }),
      h('span', { class: 'bar-value' }, num(c))))) : null);
}

function renderColumns(container, features, shown) {
  const more = features.length > shown
    ? h('button', { type: 'button', class: 'link', onclick: () => renderColumns(container, features, features.length) }, `Show all ${features.length} columns`)
    : null;
  fill(container, table([
    { label: 'Column', cell: f => f.name },
    { label: 'Count', class: 'num', cell: f => num(f.count) },
    { label: 'Mean', class: 'num', cell: f => num(f.mean) },
    { label: 'Std. dev.', class: 'num', cell: f => num(f.stddev) },
  ], features.slice(0, shown), 'No column statistics.'), more);
}
