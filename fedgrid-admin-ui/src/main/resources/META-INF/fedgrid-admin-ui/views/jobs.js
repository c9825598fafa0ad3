// The jobs list: filter by state, one page at a time by the API's opaque cursor. The filter and the
// cursor live in the address (#/jobs?state=running&cursor=…), so Back and reload keep the page.
import { api } from '../api.js';
import { h, fill, heading, section, badge, table, num, ago, hashQuery, hashWith } from '../ui.js';

export const STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'];
const PAGE = 25;

export async function render(main, _params, { signal, navigate }) {
  const query = hashQuery();
  const chosen = new Set((query.get('state') ?? '').split(',').filter(s => STATES.includes(s)));
  const cursor = query.get('cursor') ?? '';
  const go = (states, next) => navigate(hashWith('/jobs', { state: [...states].join(','), cursor: next }));
  const filters = h('fieldset', { class: 'filters', id: 'job-filters' }, h('legend', {}, 'State'),
    STATES.map(state => h('label', { class: 'chip' },
      h('input', { type: 'checkbox', value: state, checked: chosen.has(state), onchange: e => {
        const states = new Set(chosen);
        if (e.target.checked) states.add(state); else states.delete(state);
        go(states, '');
      } }), state)));
  const list = h('section', { class: 'panel', id: 'jobs-list' });
  fill(main, heading('Jobs'), filters, list);
  await section(list, 'Jobs', 'list the jobs', async () => {
    const page = await api('/jobs', { query: { state: [...chosen].join(','), limit: PAGE, cursor }, signal });
    const pager = h('div', { class: 'pager' },
      cursor ? h('button', { type: 'button', onclick: () => history.back() }, '← Previous page') : null,
      cursor ? h('button', { type: 'button', onclick: () => go(chosen, '') }, 'First page') : null,
      page.nextCursor ? h('button', { type: 'button', id: 'jobs-next', onclick: () => go(chosen, page.nextCursor) }, 'Next page →') : null);
    return [table([
      { label: 'Job', cell: j => h('a', { href: `#/jobs/${j.id}` }, j.spec?.name ?? j.id) },
      { label: 'Id', class: 'id', cell: j => j.id },
      { label: 'State', cell: j => badge(j.state) },
      { label: 'Rounds', class: 'num', cell: j => `${j.completedRounds} / ${j.spec?.rounds ?? '?'}` },
      { label: 'Loss', class: 'num', cell: j => num(j.metrics?.loss) },
      { label: 'Accuracy', class: 'num', cell: j => num(j.metrics?.accuracy) },
      { label: 'Strategy', cell: j => j.spec?.strategy?.type ?? '' },
      { label: 'Owner', cell: j => j.owner ?? '' },
      { label: 'Created', cell: j => ago(j.createdAt) },
    ], page.items, chosen.size ? 'No jobs in these states.' : 'No jobs yet. Submit one with `fedgrid job submit`.'), pager];
  });
}
