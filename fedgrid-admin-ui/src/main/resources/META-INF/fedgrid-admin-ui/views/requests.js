// Release and budget requests: a compliance officer (can_triage_requests) sees each request with its
// context and approves or denies it with a comment; #/requests/{id} shows one release request with
// its review (where the job page sends its submitter after filing). The API paths are gathered
// here so that one edit follows a change.
import { api, session } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, facts, num, time, hashQuery, hashWith } from '../ui.js';
import { nodeNames } from './market.js';

export const RELEASES = '/release-requests';
export const BUDGET_REQUESTS = '/budget-requests';
const STATES = ['pending', 'approved', 'denied', 'all'];
/** The outcome of the last decision, shown above the lists once they are drawn again. */
let lastDecision = null;

export async function render(main, [id], { signal, navigate }) {
  if (id) return renderOne(main, id, { signal, navigate });
  const state = STATES.includes(hashQuery().get('state')) ? hashQuery().get('state') : 'pending';
  const tabs = h('div', { class: 'filters', id: 'request-filters' }, STATES.map(s => h('a', {
    class: `chip${s === state ? ' active' : ''}`, href: hashWith('/requests', { state: s }) }, s)));
  const notes = h('div', { id: 'requests-notes', 'aria-live': 'polite' }, lastDecision);
  lastDecision = null;
  const releases = h('section', { class: 'panel', id: 'release-requests' });
  const budgets = h('section', { class: 'panel', id: 'budget-requests' });
  fill(main, heading('Requests'), tabs, notes, h('h2', {}, 'Release requests'), releases, h('h2', {}, 'Budget requests'), budgets);
  const query = { state: state === 'all' ? undefined : state };
  const decide = decider(notes, navigate);
  await Promise.all([
    section(releases, 'Release requests', 'list the release requests', async () => {
      const { items } = await api(RELEASES, { query, signal });
      const onDecide = decide(RELEASES, 'Release request');
      return items.length ? items.map(r => requestCard(r, releaseFacts(r), onDecide, async () => reviewOf(await review(r.id, signal), signal))) : h('p', { class: 'muted empty' }, `No ${state === 'all' ? '' : state} release requests.`);
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

/** One release request (GET /release-requests/{id}) with its review open, and approve and deny while pending. */
async function renderOne(main, id, { signal, navigate }) {
  const notes = h('div', { id: 'requests-notes', 'aria-live': 'polite' }, lastDecision);
  lastDecision = null;
  const body = h('section', { class: 'panel', id: 'release-request' });
  fill(main, heading(`Release request ${id}`), h('p', {}, h('a', { href: '#/requests' }, '← all requests')), notes, body);
  await section(body, 'Release requests', `load release request ${id}`, async () => {
    const rv = await review(id, signal);
    const r = rv.request ?? { id };
    const context = h('div', { class: 'review' }, await reviewOf(rv, signal));
    return requestCard(r, releaseFacts(r), decider(notes, navigate)(RELEASES, 'Release request'), null, context);
  });
}

/** Approves or denies a request, then draws the page again with the outcome on top. */
function decider(notes, navigate) {
  return (path, what) => async (id, verdict, comment) => {
    try {
      await api(`${path}/${encodeURIComponent(id)}/${verdict}`, { method: 'POST', body: { comment } });
      lastDecision = h('div', { class: 'notice' }, `${what} ${id} ${verdict === 'approve' ? 'approved' : 'denied'}.`);
      navigate(location.hash);
    } catch (e) {
      fill(notes, errorBox(e, `${verdict} ${what.toLowerCase()} ${id}`));
    }
  };
}

function releaseFacts(r) {
  return [
    ['Job', r.job ? h('a', { href: `#/jobs/${encodeURIComponent(r.job)}` }, r.job) : null],
    ['Requested by', r.requester],
    ['Reason', r.reason],
  ];
}

/** One request with its facts, its decision when decided, or a comment box with approve and deny. */
function requestCard(r, pairs, onDecide, loadReview, shownReview) {
  const comment = h('textarea', { rows: 2, placeholder: 'comment (kept in the audit log)', 'aria-label': `comment on ${r.id}` });
  const context = h('div', { class: 'review' });
  return h('article', { class: 'card request', 'data-id': r.id },
    h('header', {}, h('strong', {}, r.id), ' ', badge(r.state), h('span', { class: 'muted' }, ` filed ${time(r.createdAt)}`)),
    facts([...pairs,
      ['Decided by', r.decidedBy ? `${r.decidedBy}, ${time(r.decidedAt)}` : null],
      ['Comment', r.comment]]),
    loadReview ? h('details', { ontoggle: e => { if (e.target.open && !context.childElementCount) section(context, 'Release review', 'load the request\'s context', loadReview); } },
      h('summary', {}, 'Context: job, datasets, ε spent, budgets, history'), context) : null,
    shownReview,
    r.state === 'pending' && session.can('can_triage_requests') ? h('div', { class: 'decide' }, comment,
      h('button', { type: 'button', class: 'approve', onclick: () => onDecide(r.id, 'approve', comment.value) }, 'Approve'),
      h('button', { type: 'button', class: 'danger deny', onclick: () => onDecide(r.id, 'deny', comment.value) }, 'Deny')) : null);
}

/** GET /release-requests/{id}: a ReleaseReview (the request, its job, datasets, the requester's history and budgets). */
function review(id, signal) {
  return api(`${RELEASES}/${encodeURIComponent(id)}`, { signal });
}

/** A review as the officer reads it: the job, its datasets by name, the requester's budgets and history. */
async function reviewOf(rv, signal) {
  const job = rv.job ?? {};
  const datasets = rv.datasets ?? [];
  const names = new Map(datasets.map(d => [d.id, d.name]));
  const nodes = await nodeNames(signal);
  const dataset = id => h('a', { href: `#/datasets/${encodeURIComponent(id)}`, title: id }, names.get(id) ?? id);
  return [
    facts([
      ['Job', job.id ? h('a', { href: `#/jobs/${encodeURIComponent(job.id)}` }, `${job.spec?.name ?? job.id} (${job.state}, ${job.completedRounds} rounds)`) : null],
      ['Final metrics', Object.entries(job.metrics ?? {}).map(([k, v]) => `${k} ${num(v)}`).join(', ')],
      ['Differential privacy', rv.differentialPrivacy ? 'yes' : 'no: the results carry no privacy guarantee'],
    ]),
    h('h3', {}, 'Datasets'),
    table([
      { label: 'Dataset', cell: d => dataset(d.id) },
      { label: 'Node', cell: d => h('span', { title: d.node }, nodes.get(d.node) ?? d.node) },
      { label: 'Visibility', cell: d => badge(d.visibility) },
      { label: 'ε spent', class: 'num', cell: d => num(d.epsilonSpent, 3) },
    ], datasets, 'No datasets.'),
    h('h3', {}, 'The requester\'s privacy budgets'),
    table([
      { label: 'Dataset', cell: b => dataset(b.dataset) },
      { label: 'ε', class: 'num', cell: b => num(b.epsilon, 3) },
      { label: 'δ', class: 'num', cell: b => String(b.delta ?? '') },
      { label: 'Spent', class: 'num', cell: b => num(b.spent, 3) },
      { label: 'Reserved', class: 'num', cell: b => num(b.reserved, 3) },
      { label: 'Remaining', class: 'num', cell: b => num(b.remaining, 3) },
    ], rv.budgets ?? [], 'No budgets on these datasets.'),
    h('h3', {}, 'The requester\'s earlier release requests'),
    table([
      { label: 'Request', cell: x => h('a', { href: `#/requests/${encodeURIComponent(x.id)}` }, x.id) },
      { label: 'Job', cell: x => x.job },
      { label: 'Outcome', cell: x => badge(x.state) },
      { label: 'Filed', cell: x => time(x.createdAt) },
    ], rv.history ?? [], 'None.'),
  ];
}
