// The compute market (docs/market.md): offers (#/offers), demands (#/demands), agreements
// (#/agreements) and one agreement with its history, its activities (views/activities.js), its
// payment documents and the actions the caller may take (#/agreements/agr_…). Which button shows
// follows the API's table of who may do what: the requestor is the user who owns the agreement's
// job (and may make data requests), the provider side anyone with can_manage_infrastructure; the
// server still has the last word, and a refusal (say, 409 AGREEMENT_STATE_CONFLICT after someone
// else acted first) is shown as it comes.
import { api, session } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, facts, time, ago, hashQuery, hashWith } from '../ui.js';

export const PROVIDER = 'can_manage_infrastructure';
export const REQUESTOR = 'can_make_data_requests';
const LIMIT = 500;
/** The outcome of the last action, shown above the page once it is drawn again. */
let lastOutcome = null;

export async function render(main, [id], context) {
  const kind = context.view;
  if (kind === 'offers') return renderOffers(main, context);
  if (kind === 'demands') return renderDemands(main, context);
  return id ? renderAgreement(main, id, context) : renderAgreements(main, context);
}

// ---- shared with the payments view ----

/** An amount as the API gives it (a decimal string), with its unit. */
export function money(amount) {
  if (amount === undefined || amount === null || amount === '') return '';
  return h('span', { class: 'money' }, `${amount}`, h('span', { class: 'unit' }, ' cr'));
}

/** A price: the fixed part and each counter's coefficient. */
export function price(p) {
  if (!p) return '';
  const parts = Object.entries(p.perUnit ?? {}).map(([counter, c]) => `${c} per ${counter.replaceAll('_', ' × ')}`);
  return h('span', { class: 'price' }, money(p.fixed ?? '0'), parts.length ? ` + ${parts.join(' + ')}` : '');
}

/** Properties as a list of key = value. */
export function properties(props) {
  const entries = Object.entries(props ?? {});
  if (!entries.length) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'props' }, entries.map(([k, v]) => h('li', {}, h('code', {}, k), ' = ', Array.isArray(v) ? v.join(', ') : String(v))));
}

export function constraint(text) {
  return text && text !== '(&)' ? h('code', { class: 'constraint' }, text) : h('span', { class: 'muted' }, 'none');
}

/** The names of the nodes, by id, where the caller may list them; otherwise none (ids are shown). */
export async function nodeNames(signal) {
  try {
    const { items } = await api('/nodes', { signal });
    return new Map(items.map(n => [n.id, n.name]));
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    return new Map();
  }
}

export function nodeCell(names, id) {
  return names.has(id) ? h('span', { title: id }, names.get(id)) : h('span', { class: 'id' }, id ?? '');
}

export function jobLink(job) {
  return job ? h('a', { href: `#/jobs/${encodeURIComponent(job)}`, class: 'id' }, job) : '';
}

export function agreementLink(id) {
  return h('a', { href: `#/agreements/${encodeURIComponent(id)}`, class: 'id' }, id);
}

export function me() {
  return session.user()?.name;
}

/** A lower-case badge for the API's states (APPROVED, SETTLED, active…). */
export function stateBadge(state) {
  return badge(String(state ?? '').toLowerCase());
}

/**
 * Runs an action of the market's API, then draws the page again with what happened on top; a
 * refusal is shown in notes as the API gave it and changes nothing on the page.
 */
export function actor(notes, navigate) {
  return async (what, path, body, done) => {
    try {
      const result = await api(path, { method: 'POST', body });
      lastOutcome = h('div', { class: 'notice ok outcome' }, done(result));
      navigate(location.hash);
    } catch (e) {
      fill(notes, errorBox(e, what));
    }
  };
}

/** The notes area of a page, with the last action's outcome. */
export function notesArea(idName) {
  const notes = h('div', { id: idName, class: 'notes', 'aria-live': 'polite' }, lastOutcome);
  lastOutcome = null;
  return notes;
}

/** A button that asks for a reason first; blank reasons are refused by the API, which says so. */
export function reasonButton(label, cls, ask, run) {
  return h('button', { type: 'button', class: cls, onclick: () => {
    const reason = prompt(ask);
    if (reason !== null) run(reason);
  } }, label);
}

// ---- offers ----

async function renderOffers(main, { signal, navigate }) {
  const q = hashQuery();
  const all = q.get('state') === 'all';
  const filter = q.get('constraint') ?? '';
  const notes = notesArea('offers-notes');
  const input = h('input', { name: 'constraint', id: 'offers-constraint', value: filter, size: 40,
    placeholder: 'constraint on properties, e.g. (fedgrid.inf.mem.gib>=4)', 'aria-label': 'constraint' });
  const form = h('form', { class: 'search', id: 'offers-search', onsubmit: e => {
    e.preventDefault();
    navigate(hashWith('/offers', { constraint: input.value.trim(), state: all ? 'all' : '' }));
  } }, input, h('button', { type: 'submit' }, 'Search'),
  h('a', { class: `chip${all ? '' : ' active'}`, href: hashWith('/offers', { constraint: filter }) }, 'active'),
  h('a', { class: `chip${all ? ' active' : ''}`, href: hashWith('/offers', { constraint: filter, state: 'all' }) }, 'all'));
  const list = h('section', { class: 'panel', id: 'offers-list' });
  fill(main, heading('Offers'), h('p', { class: 'muted' }, 'What providers offer: the node, its properties, the constraints it puts on requestors, and its price.'),
    form, notes, list);
  const act = actor(notes, navigate);
  await section(list, 'Offers', 'list the offers', async () => {
    const [{ items }, names] = await Promise.all([
      api('/offers', { query: { constraint: filter, state: all ? 'all' : '', limit: LIMIT }, signal }), nodeNames(signal)]);
    return table([
      { label: 'Offer', cell: o => h('span', { class: 'id' }, o.id) },
      { label: 'Node', cell: o => nodeCell(names, o.terms?.node) },
      { label: 'State', cell: o => stateBadge(o.state) },
      { label: 'Properties', cell: o => properties(o.terms?.properties) },
      { label: 'Constraints', cell: o => constraint(o.terms?.constraints) },
      { label: 'Price', cell: o => price(o.terms?.price) },
      { label: 'Published', cell: o => [ago(o.publishedAt), o.publishedBy ? ` by ${o.publishedBy}` : ''] },
      { label: '', cell: o => (o.state === 'active' && session.can(PROVIDER)
        ? h('button', { type: 'button', class: 'danger small withdraw', onclick: () => act(`withdraw offer ${o.id}`, `/offers/${encodeURIComponent(o.id)}/withdraw`, undefined, () => `Offer ${o.id} withdrawn.`) }, 'Withdraw')
        : '') },
    ], items, filter ? 'No offer matches this constraint.' : 'No offers. A provider publishes one with `fedgrid offer publish`.');
  });
}

// ---- demands ----

async function renderDemands(main, { signal, navigate }) {
  const notes = notesArea('demands-notes');
  const list = h('section', { class: 'panel', id: 'demands-list' });
  fill(main, heading('Demands'), h('p', { class: 'muted' }, 'What jobs need: constraints on offers, the most they pay per part of the price, and their budget. You see your own, or all with infrastructure or settings rights.'),
    notes, list);
  const act = actor(notes, navigate);
  await section(list, 'Demands', 'list the demands', async () => {
    const { items } = await api('/demands', { query: { limit: LIMIT }, signal });
    return table([
      { label: 'Demand', cell: d => h('span', { class: 'id' }, d.id) },
      { label: 'Job', cell: d => jobLink(d.job) },
      { label: 'Owner', cell: d => d.owner },
      { label: 'State', cell: d => stateBadge(d.state) },
      { label: 'Constraints', cell: d => constraint(d.terms?.constraints) },
      { label: 'Most it pays', cell: d => price(d.terms?.maxPrice) },
      { label: 'Budget', class: 'num', cell: d => money(d.terms?.budget) },
      { label: 'Expected usage', cell: d => Object.entries(d.terms?.expectedUsage ?? {}).map(([k, v]) => `${v.toLocaleString()} ${k.replaceAll('_', ' × ')}`).join(', ') },
      { label: 'Created', cell: d => ago(d.createdAt) },
      { label: '', cell: d => (d.state === 'active' && d.owner === me() && session.can(REQUESTOR)
        ? h('button', { type: 'button', class: 'danger small withdraw', onclick: () => act(`withdraw demand ${d.id}`, `/demands/${encodeURIComponent(d.id)}/withdraw`, undefined, () => `Demand ${d.id} withdrawn.`) }, 'Withdraw')
        : '') },
    ], items, 'No demands you can see. A job\'s owner publishes one with `fedgrid demand publish`.');
  });
}

// ---- agreements ----

const AGREEMENT_STATES = ['PROPOSAL', 'PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'TERMINATED'];

async function renderAgreements(main, { signal }) {
  const q = hashQuery();
  const job = q.get('job') ?? '';
  const state = AGREEMENT_STATES.includes(q.get('state')) ? q.get('state') : '';
  const chips = h('div', { class: 'filters', id: 'agreement-filters' },
    h('a', { class: `chip${state ? '' : ' active'}`, href: hashWith('/agreements', { job }) }, 'all'),
    AGREEMENT_STATES.map(s => h('a', { class: `chip${s === state ? ' active' : ''}`, href: hashWith('/agreements', { job, state: s }) }, s.toLowerCase())),
    job ? h('span', { class: 'muted small' }, 'of job ', jobLink(job), ' · ', h('a', { href: hashWith('/agreements', { state }) }, 'every job')) : null);
  const list = h('section', { class: 'panel', id: 'agreements-list' });
  fill(main, heading('Agreements'), h('p', { class: 'muted' }, 'Accepted offer–demand matches. The requestor confirms, the provider approves; tasks of a market job go only to nodes with an approved agreement.'),
    chips, list);
  await section(list, 'Agreements', 'list the agreements', async () => {
    const [{ items }, names] = await Promise.all([api('/agreements', { query: { job, limit: LIMIT }, signal }), nodeNames(signal)]);
    const shown = state ? items.filter(a => a.state === state) : items;
    return table([
      { label: 'Agreement', cell: a => agreementLink(a.id) },
      { label: 'State', cell: a => stateBadge(a.state) },
      { label: 'Job', cell: a => jobLink(a.job) },
      { label: 'Node', cell: a => nodeCell(names, a.node) },
      { label: 'Requestor', cell: a => a.requestor },
      { label: 'Estimate', class: 'num', cell: a => money(a.estimate) },
      { label: 'Hard cap', class: 'num', cell: a => money(a.hardCap) },
      { label: 'Expires', cell: a => (a.state === 'PROPOSAL' || a.state === 'PENDING' ? time(a.expiresAt) : '') },
      { label: 'Created', cell: a => ago(a.createdAt) },
      { label: 'Waiting for', cell: a => waitingFor(a) },
    ], shown, state ? `No ${state.toLowerCase()} agreements you can see.` : 'No agreements you can see.');
  });
}

/** Who acts next on an open agreement. */
function waitingFor(a) {
  if (a.state === 'PROPOSAL') return `${a.requestor} to confirm`;
  if (a.state === 'PENDING') return 'the provider to approve';
  return '';
}

async function renderAgreement(main, id, { signal, navigate }) {
  const notes = notesArea('agreement-notes');
  const head = h('div', { id: 'agreement-head' });
  const actions = h('div', { class: 'actions', id: 'agreement-actions' });
  const summary = h('section', { class: 'panel', id: 'agreement-summary' });
  const historyPanel = h('section', { class: 'panel', id: 'agreement-history' });
  const documents = h('section', { class: 'panel', id: 'agreement-documents' });
  const activitiesPanel = h('section', { class: 'panel', id: 'agreement-activities' });
  fill(main, head, h('p', {}, h('a', { href: '#/agreements' }, '← all agreements')), notes, actions, summary,
    h('h2', {}, 'History'), historyPanel, h('h2', {}, 'Activities'), activitiesPanel, h('h2', {}, 'Debit notes and invoices'), documents);
  const [a, names] = await Promise.all([api(`/agreements/${encodeURIComponent(id)}`, { signal }), nodeNames(signal)]);
  fill(head, heading(`Agreement ${a.id}`, stateBadge(a.state)));
  const act = actor(notes, navigate);
  fill(actions, agreementActions(a, act));
  fill(summary, facts([
    ['Job', jobLink(a.job)],
    ['Node', nodeCell(names, a.node)],
    ['Requestor', a.requestor],
    ['Offer', h('span', { class: 'id' }, a.offer)],
    ['Demand', h('span', { class: 'id' }, a.demand)],
    ['Proposal', h('span', { class: 'id' }, a.proposal)],
    ['Estimated price', money(a.estimate)],
    ['Soft cap', a.softCap ? [money(a.softCap), ' (a debit note above it comes with a warning)'] : ''],
    ['Hard cap', a.hardCap ? [money(a.hardCap), ' (never billed above it)'] : ''],
    ['Expires', a.state === 'PROPOSAL' || a.state === 'PENDING' ? time(a.expiresAt) : ''],
    ['Created', time(a.createdAt)],
  ]));
  fill(historyPanel, table([
    { label: 'When', cell: t => time(t.at) },
    { label: 'Event', cell: t => String(t.event ?? '').toLowerCase() },
    { label: 'From', cell: t => stateBadge(t.from) },
    { label: 'To', cell: t => stateBadge(t.to) },
    { label: 'Side', cell: t => String(t.party ?? '').toLowerCase() },
    { label: 'By', cell: t => t.actor },
    { label: 'Reason', cell: t => t.reason ?? '' },
  ], a.history ?? [], 'Created; nothing has happened to it since.'));
  const [{ documentsTable }, { agreementActivities }] = await Promise.all([import('./payments.js'), import('./activities.js')]);
  const activitiesShown = agreementActivities(activitiesPanel, a, { signal, navigate, notes });
  await section(documents, 'Payment documents', 'list the agreement\'s debit notes and invoices', async () => {
    const [notesPage, invoicesPage] = await Promise.all([
      api('/debit-notes', { query: { agreement: a.id, limit: LIMIT }, signal }),
      api('/invoices', { query: { agreement: a.id, limit: LIMIT }, signal })]);
    return documentsTable([...invoicesPage.items, ...notesPage.items], new Map([[a.id, a]]), act, 'No debit note or invoice under this agreement yet.');
  });
  await activitiesShown;
}

/**
 * The buttons the caller may press on this agreement, from the API's transition table: confirm
 * and cancel a proposal (requestor), approve or reject a pending one (provider), cancel a pending
 * one (requestor), terminate an approved one with a reason (either side).
 */
function agreementActions(a, act) {
  const requestor = a.requestor === me() && session.can(REQUESTOR);
  const provider = session.can(PROVIDER);
  const path = verb => `/agreements/${encodeURIComponent(a.id)}/${verb}`;
  const button = (verb, label, cls, done) => h('button', { type: 'button', class: `${cls} agreement-${verb}`, 'data-action': verb,
    onclick: () => act(`${verb} agreement ${a.id}`, path(verb), undefined, r => `Agreement ${a.id} ${done}: now ${String(r.state).toLowerCase()}.`) }, label);
  const buttons = [];
  if (a.state === 'PROPOSAL' && requestor) buttons.push(button('confirm', 'Confirm', '', 'confirmed'));
  if (a.state === 'PENDING' && provider) buttons.push(button('approve', 'Approve', '', 'approved'), button('reject', 'Reject', 'danger', 'rejected'));
  if ((a.state === 'PROPOSAL' || a.state === 'PENDING') && requestor) buttons.push(button('cancel', 'Cancel', 'danger', 'cancelled'));
  if (a.state === 'APPROVED' && (requestor || provider)) {
    buttons.push(reasonButton('Terminate', 'danger agreement-terminate', 'Why terminate this agreement? (kept in its history and the audit log)',
      reason => act(`terminate agreement ${a.id}`, path('terminate'), { reason }, r => `Agreement ${a.id} terminated: now ${String(r.state).toLowerCase()}.`)));
  }
  if (!buttons.length) {
    return h('p', { class: 'muted small', id: 'agreement-no-actions' }, ['REJECTED', 'CANCELLED', 'EXPIRED', 'TERMINATED'].includes(a.state)
      ? `This agreement is ${a.state.toLowerCase()}: nothing more can happen to it.`
      : `Nothing for you to do: ${waitingFor(a) || 'the requestor or the provider may terminate it'}.`);
  }
  return buttons;
}
