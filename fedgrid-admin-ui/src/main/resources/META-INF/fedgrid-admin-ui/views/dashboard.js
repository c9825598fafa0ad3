// The dashboard: nodes online, jobs running and queued, requests pending, budget use, recent jobs.
// Each card loads on its own, so one endpoint that fails or is missing does not blank the others.
import { api, isMissingRoute } from '../api.js';
import { RELEASES, BUDGET_REQUESTS } from './requests.js';
import { h, fill, heading, section, badge, table, num, ago } from '../ui.js';

function card(id, title) {
  const value = h('div', { class: 'card-value' }, '…');
  const note = h('div', { class: 'card-note muted' });
  return { el: h('div', { class: 'card stat', id }, h('div', { class: 'card-title' }, title), value, note), value, note };
}

async function loadCard(c, load, signal) {
  try {
    const [value, note] = await load(signal);
    fill(c.value, value);
    fill(c.note, note ?? '');
  } catch (e) {
    if (e?.name === 'AbortError') return;
    fill(c.value, '—');
    c.el.classList.add(isMissingRoute(e) ? 'unavailable' : 'failed');
    fill(c.note, isMissingRoute(e) ? 'not available on this gateway' : e.code === 'NETWORK_ERROR' ? 'gateway unreachable' : e.message);
  }
}

/** How many jobs are in a state: one page of up to 500, "500+" beyond. */
async function countJobs(state, signal) {
  const page = await api('/jobs', { query: { state, limit: 500 }, signal });
  return [page.nextCursor ? '500+' : String(page.items.length), null];
}

export async function render(main, _params, { signal }) {
  const nodes = card('card-nodes', 'Nodes online');
  const running = card('card-running', 'Jobs running');
  const queued = card('card-queued', 'Jobs queued');
  const requests = card('card-requests', 'Requests pending');
  const budgets = card('card-budgets', 'Privacy budgets');
  const recent = h('section', { class: 'panel', id: 'recent-jobs' });
  fill(main,
    heading('Dashboard'),
    h('div', { class: 'cards' }, [nodes, running, queued, requests, budgets].map(c => c.el)),
    h('h2', {}, 'Recent jobs and their latest round'),
    recent);
  const cards = Promise.all([
    loadCard(nodes, async s => {
      const { items } = await api('/nodes', { signal: s });
      const online = items.filter(n => n.status === 'online').length;
      return [String(online), `of ${items.length} registered`];
    }, signal),
    loadCard(running, s => countJobs('running', s), signal),
    loadCard(queued, s => countJobs('queued', s), signal),
    loadCard(requests, async s => {
      const [releases, budgets] = await Promise.all([
        api(RELEASES, { query: { state: 'pending' }, signal: s }), api(BUDGET_REQUESTS, { query: { state: 'pending' }, signal: s })]);
      return [String(releases.items.length + budgets.items.length), `${releases.items.length} release, ${budgets.items.length} budget`];
    }, signal),
    loadCard(budgets, async s => {
      const { items } = await api('/budgets', { signal: s });
      const spent = items.reduce((sum, b) => sum + (Number(b.spent) || 0), 0);
      const total = items.reduce((sum, b) => sum + (Number(b.epsilon) || 0), 0);
      return [String(items.length), total ? `ε ${num(spent, 2)} of ${num(total, 2)} spent` : 'budgets set'];
    }, signal),
  ]);
  await Promise.all([cards, section(recent, 'Jobs', 'list the recent jobs', async () => {
    const { items } = await api('/jobs', { query: { limit: 8 }, signal });
    return table([
      { label: 'Job', cell: j => h('a', { href: `#/jobs/${j.id}` }, j.spec?.name ?? j.id) },
      { label: 'State', cell: j => badge(j.state) },
      { label: 'Round', class: 'num', cell: j => `${j.completedRounds} / ${j.spec?.rounds ?? '?'}` },
      { label: 'Loss', class: 'num', cell: j => num(j.metrics?.loss) },
      { label: 'Accuracy', class: 'num', cell: j => num(j.metrics?.accuracy) },
      { label: 'Created', cell: j => ago(j.createdAt) },
    ], items, 'No jobs yet. Submit one with `fedgrid job submit`.');
  })]);
}
