// Release and budget requests: a compliance officer (can_triage_requests) sees each request with its
// context and approves or denies it with a comment. The paths are the ones agreed for issue 3; they
// are gathered here so that one edit follows a change.
import { api } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, facts, num, time, hashQuery, hashWith } from '../ui.js';

export const RELEASES = '/release-requests';
export const BUDGET_REQUESTS = '/budget-requests';
const STATES = ['pending', 'approved', 'denied', 'all'];
/** The outcome of the last decision, shown above the lists once they are drawn again. */
let lastDecision = null;

export async function render(main, _params, { signal, navigate }) {
  const state = STATES.includes(hashQuery().get('state')) ? hashQuery().get('state') : 'pending';
  const tabs = h('div', { class: 'filters', id: 'request-filters' }, STATES.map(s => h('a', {
    class: `chip${s === state ? ' active' : ''}`, href: hashWith('/requests', { state: s }) }, s)));
  const notes = h('div', { id: 'requests-notes', 'aria-live': 'polite' }, lastDecision);
  lastDecision = null;
  const releases = h('section', { class: 'panel', id: 'release-requests' });
  const budgets = h('section', { class: 'panel', id: 'budget-requests' });
  fill(main, heading('Requests'), tabs, notes, h('h2', {}, 'Release requests'), releases, h('h2', {}, 'Budget requests'), budgets);
  const query = { state: state === 'all' ? undefined : state };
  const decide = (path, what) => async (id, verdict, comment) => {
    try {
      await api(`${path}/${encodeURIComponent(id)}/${verdict}`, { method: 'POST', body: { comment } });
      lastDecision = h('div', { class: 'notice' }, `${what} ${id} ${verdict === 'approve' ? 'approved' : 'denied'}.`);
      navigate(location.hash);
    } catch (e) {
      fill(notes, errorBox(e, `${verdict} ${what.toLowerCase()} ${id}`));
    }
  };
  await Promise.all([
    section(releases, 'Release requests', 'list the release requests', async () => {
      const { items } = await api(RELEASES, { query, signal });
      const onDecide = decide(RELEASES, 'Release request');
      return items.length ? items.map(r => requestCard(r, [
        ['Job', h('a', { href: `#/jobs/${r.job}` }, r.job)],
        ['Requested by', r.requester],
        ['Reason', r.reason],
      ], onDecide, () => review(r.id, signal))) : h('p', { class: 'muted empty' }, `No ${state === 'all' ? '' : state} release requests.`);
    }),
    section(budgets, 'Budget requests', 'list the budget requests', async () => {
      const { items } = await api(BUDGET_REQUESTS, { query, signal });
      const onDecide = decide(BUDGET_REQUESTS, 'Budget request');
      return items.length ? items.map(r => requestCard(r, [
        ['Requested by', r.user],
        ['Dataset', h('a', { href: `#/datasets/${r.dataset}` }, r.dataset)],
        ['More ε asked for', num(r.epsilon, 3)],
        ['Reason', r.reason],
      ], onDecide)) : h('p', { class: 'muted empty' }, `No ${state === 'all' ? '' : state} budget requests.`);
    }),
  ]);
}

/** One request with its facts, its decision when decided, or a comment box with approve and deny. */
function requestCard(r, pairs, onDecide, loadReview) {
  const comment = h('textarea', { rows: 2, placeholder: 'comment (kept in the audit log)', 'aria-label': `comment on ${r.id}` });
  const context = h('div', { class: 'review' });
  return h('article', { class: 'card request', 'data-id': r.id },
    h('header', {}, h('strong', {}, r.id), ' ', badge(r.state), h('span', { class: 'muted' }, ` filed ${time(r.createdAt)}`)),
    facts([...pairs,
      ['Decided by', r.decidedBy ? `${r.decidedBy}, ${time(r.decidedAt)}` : null],
      ['Comment', r.comment]]),
    loadReview ? h('details', { ontoggle: e => { if (e.target.open && !context.childElementCount) section(context, 'Release review', 'load the request\'s context', loadReview); } },
      h('summary', {}, 'Context: job, datasets, ε spent, history'), context) : null,
    r.state === 'pending' ? h('div', { class: 'decide' }, comment,
      h('button', { type: 'button', class: 'approve', onclick: () => onDecide(r.id, 'approve', comment.value) }, 'Approve'),
      h('button', { type: 'button', class: 'danger deny', onclick: () => onDecide(r.id, 'deny', comment.value) }, 'Deny')) : null);
}

/** GET /release-requests/{id}: the job, its datasets with the ε spent on each, the requester's history and budgets. */
async function review(id, signal) {
  const rv = await api(`${RELEASES}/${encodeURIComponent(id)}`, { signal });
  const job = rv.job ?? {};
  return [
    facts([
      ['Job', job.id ? h('a', { href: `#/jobs/${job.id}` }, `${job.spec?.name ?? job.id} (${job.state}, ${job.completedRounds} rounds)`) : null],
      ['Final metrics', Object.entries(job.metrics ?? {}).map(([k, v]) => `${k} ${num(v)}`).join(', ')],
      ['Differential privacy', rv.differentialPrivacy ? 'yes' : 'no: the results carry no privacy guarantee'],
    ]),
    table([
      { label: 'Dataset', cell: d => d.name ?? d.id },
      { label: 'Visibility', cell: d => badge(d.visibility) },
      { label: 'ε spent', class: 'num', cell: d => num(d.epsilonSpent, 3) },
      { label: 'Node', class: 'id', cell: d => d.node },
    ], rv.datasets ?? [], 'No datasets.'),
    h('h3', {}, 'The requester\'s earlier release requests'),
    table([
      { label: 'Request', cell: x => x.id },
      { label: 'Job', cell: x => x.job },
      { label: 'Outcome', cell: x => badge(x.state) },
      { label: 'Filed', cell: x => time(x.createdAt) },
    ], rv.history ?? [], 'None.'),
  ];
}
