// Activities (docs/market.md, "Activities"): the work a node does under an APPROVED agreement,
// driven one script at a time by the agreement's requestor. #/activities lists them (by agreement
// through the API, by state in the page: the API has no state filter); #/activities/act_… shows one
// with every script it ran and each command's result, its filtered log, and, for the requestor, a
// script editor that submits through exec and polls the batch so results appear as the node
// reports them, and Terminate. Every refusal (400 INVALID_COMMAND with details.index, 409
// ACTIVITY_BUSY, …) is shown as the API gives it, with the command it names.
import { api, session } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, facts, time, ago, num, hashQuery, hashWith } from '../ui.js';
import { REQUESTOR, agreementLink, jobLink, nodeNames, nodeCell, me, stateBadge, notesArea, reasonButton } from './market.js';

const LIMIT = 500;
const STATES = ['NEW', 'DEPLOYED', 'READY', 'TERMINATED'];
/** Batches still waiting for the node; anything else is finished (done, failed, cancelled). */
const OPEN = new Set(['queued', 'running']);
const POLL_MS = 500;
/** The most scripts whose results are loaded on the page (the newest). */
const SHOWN_BATCHES = 20;
/** The outcome of the last action, shown once the page is drawn again. */
let lastOutcome = null;

export async function render(main, [id], context) {
  return id ? renderActivity(main, id, context) : renderActivities(main, context);
}

export function activityLink(id) {
  return h('a', { href: `#/activities/${encodeURIComponent(id)}`, class: 'id' }, id);
}

// ---- the list ----

async function renderActivities(main, { signal }) {
  const q = hashQuery();
  const agreement = q.get('agreement') ?? '';
  const state = STATES.includes(q.get('state')) ? q.get('state') : '';
  const chips = h('div', { class: 'filters', id: 'activity-filters' },
    h('a', { class: `chip${state ? '' : ' active'}`, href: hashWith('/activities', { agreement }) }, 'all'),
    STATES.map(s => h('a', { class: `chip${s === state ? ' active' : ''}`, href: hashWith('/activities', { agreement, state: s }) }, s.toLowerCase())),
    agreement ? h('span', { class: 'muted small' }, 'under ', agreementLink(agreement), ' · ', h('a', { href: hashWith('/activities', { state }) }, 'every agreement')) : null);
  const list = h('section', { class: 'panel', id: 'activities-list' });
  fill(main, heading('Activities'),
    h('p', { class: 'muted' }, 'Work a node does under an approved agreement, one script of commands at a time (deploy, start, run, transfer, terminate). '
      + 'You see your own, or all with infrastructure or settings rights. Create one from an approved agreement\'s page.'),
    chips, list);
  await section(list, 'Activities', 'list the activities', async () => {
    const [{ items }, names] = await Promise.all([api('/activities', { query: { agreement, limit: LIMIT }, signal }), nodeNames(signal)]);
    const shown = state ? items.filter(a => a.state === state) : items;
    return activitiesTable(shown, names, state ? `No ${state.toLowerCase()} activities you can see.` : 'No activities you can see.');
  });
}

/** The activities as a table; shared with the agreement page. */
export function activitiesTable(items, names, empty) {
  return table([
    { label: 'Activity', cell: a => activityLink(a.id) },
    { label: 'State', cell: a => stateBadge(a.state) },
    { label: 'Agreement', cell: a => agreementLink(a.agreement) },
    { label: 'Job', cell: a => jobLink(a.job) },
    { label: 'Node', cell: a => nodeCell(names, a.node) },
    { label: 'Requestor', cell: a => a.requestor },
    { label: 'Scripts', class: 'num', cell: a => (a.batches ?? []).length },
    { label: 'Created', cell: a => ago(a.createdAt) },
    { label: 'Updated', cell: a => ago(a.updatedAt) },
  ], items, empty);
}

// ---- one activity ----

async function renderActivity(main, id, { signal, navigate }) {
  const path = `/activities/${encodeURIComponent(id)}`;
  const notes = h('div', { id: 'activity-notes', class: 'notes', 'aria-live': 'polite' }, lastOutcome);
  lastOutcome = null;
  const head = h('div', { id: 'activity-head' });
  const actions = h('div', { class: 'actions', id: 'activity-actions' });
  const summary = h('section', { class: 'panel', id: 'activity-summary' });
  const editor = h('section', { id: 'activity-script' });
  const batches = h('section', { class: 'panel', id: 'activity-batches' });
  const logs = h('section', { class: 'panel', id: 'activity-logs' });
  fill(main, head, h('p', {}, h('a', { href: '#/activities' }, '← all activities')), notes, actions, summary, editor,
    h('h2', {}, 'Scripts and results'), batches, h('h2', {}, 'Log'), logs);
  const [a, names] = await Promise.all([api(path, { signal }), nodeNames(signal)]);
  fill(head, heading(`Activity ${a.id}`, stateBadge(a.state)));
  fill(summary, facts([
    ['Agreement', agreementLink(a.agreement)],
    ['Job', jobLink(a.job)],
    ['Node', nodeCell(names, a.node)],
    ['Requestor', a.requestor],
    ['Ended because', a.state === 'TERMINATED' ? a.reason : ''],
    ['Parameters held', a.parameters ? [`${num(a.parameters.size)} bytes, SHA-256 `, h('code', { class: 'digest' }, a.parameters.digest)] : ''],
    ['Log lines', num(a.logLines)],
    ['Created', time(a.createdAt)],
    ['Updated', time(a.updatedAt)],
  ]));
  const requestor = a.requestor === me() && session.can(REQUESTOR);
  const open = a.state !== 'TERMINATED';
  if (requestor && open) {
    fill(actions, reasonButton('Terminate', 'danger activity-terminate', 'Why terminate this activity? (kept with it and in the audit log; leave empty for none)', async reason => {
      try {
        const r = await api(`${path}/terminate`, { method: 'POST', body: { reason } });
        lastOutcome = h('div', { class: 'notice ok outcome' }, `Activity ${a.id} terminated: ${r.reason}.`);
        navigate(location.hash);
      } catch (e) {
        fill(notes, errorBox(e, `terminate activity ${a.id}`));
      }
    }));
  } else {
    fill(actions, h('p', { class: 'muted small', id: 'activity-no-actions' }, open
      ? `Scripts are run by ${a.requestor}, the agreement's requestor.`
      : 'This activity is terminated: it runs no more scripts.'));
  }
  const loadLogs = () => section(logs, 'Activity logs', 'read the activity\'s log', () => logTable(path, signal));
  const loadBatches = () => section(batches, 'Activity scripts', 'load the activity\'s scripts', async () => {
    const shown = [...(a.batches ?? [])].reverse().slice(0, SHOWN_BATCHES);
    if (!shown.length) return h('p', { class: 'muted empty' }, 'No script has run in this activity yet.');
    const views = await Promise.all(shown.map(b => api(`${path}/batches/${encodeURIComponent(b.id)}`, { signal })));
    return views.map(batchView);
  });
  if (requestor && open) fill(editor, await scriptEditor(a, path, { signal, navigate, batches }));
  await Promise.all([loadBatches(), loadLogs()]);
  // a script still queued or running (submitted elsewhere, or before a reload) is followed here
  // too, without holding up the page: a script a restarted node dropped stays running until the
  // activity is terminated
  const newest = a.batches?.at(-1);
  if (newest && OPEN.has(newest.state)) {
    const status = document.getElementById('script-status') ?? notes;
    (async () => {
      try {
        await follow(path, await api(`${path}/batches/${encodeURIComponent(newest.id)}`, { signal }), { signal, batches, status });
        if (signal.aborted) return;
        lastOutcome = status.firstChild;
        navigate(location.hash);
      } catch (e) {
        if (e?.name !== 'AbortError') fill(status, errorBox(e, `follow script ${newest.id}`));
      }
    })();
  }
}

async function logTable(path, signal) {
  const { items, next } = await api(`${path}/logs`, { query: { limit: LIMIT }, signal });
  return [
    h('p', { class: 'muted small' }, 'Each line is rendered by the gateway from a fixed template and numbers, so no text from a dataset can reach it.'),
    table([
      { label: '#', class: 'num', cell: l => l.seq },
      { label: 'Script', cell: l => h('span', { class: 'id' }, l.batch) },
      { label: 'Command', class: 'num', cell: l => l.index },
      { label: 'Line', cell: l => l.line },
      { label: 'When', cell: l => time(l.at) },
    ], items, 'Nothing logged yet.'),
    next !== null && next !== undefined ? h('p', { class: 'muted small' }, `The first ${items.length} lines; the rest with fedgrid activity logs --from ${next}.`) : null,
  ];
}

/** One script (batch): its state and each command with its result, or "waiting" where none came yet. */
function batchView(b) {
  const results = new Map((b.results ?? []).map(r => [r.index, r]));
  const commands = b.commands ?? [];
  return h('article', { class: 'batch', 'data-id': b.id, 'data-state': b.state, 'data-results': String(results.size) },
    h('header', {}, h('strong', { class: 'id' }, b.id), ' ', badge(b.state),
      h('span', { class: 'muted small' }, ` ${commands.length} command(s), submitted ${time(b.submittedAt)} by ${b.submittedBy ?? ''}`,
        b.finishedAt ? `, finished ${time(b.finishedAt)}` : '')),
    table([
      { label: '#', class: 'num', cell: c => c.index },
      { label: 'Command', cell: c => h('code', {}, c.name) },
      { label: 'Arguments', cell: c => h('code', { class: 'args' }, c.args) },
      { label: 'Result', cell: c => (c.result ? badge(c.result.result, c.result.result === 'ok' ? 'approved' : 'failed') : h('span', { class: 'muted' }, waiting(b.state))) },
      { label: 'Message', cell: c => c.result?.message ?? '' },
      { label: 'Data', cell: c => resultData(c.result?.data) },
    ], commands.map((command, index) => {
      const [name, args] = Object.entries(command ?? {})[0] ?? ['?', {}];
      return { index, name, args: JSON.stringify(args), result: results.get(index) };
    })));
}

function waiting(state) {
  if (state === 'queued') return 'waiting for the node';
  if (state === 'running') return 'running…';
  return 'not run';
}

/** A result's numbers and digest as name = value. */
function resultData(data) {
  const entries = Object.entries(data ?? {});
  if (!entries.length) return '';
  return h('ul', { class: 'props' }, entries.map(([k, v]) => h('li', {}, h('code', {}, k), ' = ', typeof v === 'number' ? num(v) : String(v))));
}

/**
 * The requestor's script editor: a textarea holding an example of the documented form (with a
 * dataset of the agreement's node where the caller can see one), submitted through exec; the batch
 * is then polled and redrawn as each result arrives, and the page reloads once it has finished.
 */
async function scriptEditor(a, path, { signal, navigate, batches }) {
  const dataset = await nodeDataset(a.node, signal);
  const example = [
    { deploy: { model: { layers: [{ type: 'dense', units: 1 }], loss: 'binary_cross_entropy' }, dataset: dataset ?? 'ds_…', parameters: 'initial', seed: 42 } },
    { start: {} },
    { run: { kind: 'fit', epochs: 3, batchSize: 32, learningRate: 0.1 } },
    { run: { kind: 'evaluate' } },
    { terminate: {} },
  ];
  const text = h('textarea', { id: 'script-text', rows: 12, spellcheck: 'false', 'aria-label': 'script' },
    `[${example.map(c => JSON.stringify(c)).join(',\n ')}]`);
  const status = h('div', { id: 'script-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', id: 'script-submit' }, 'Run script');
  const form = h('form', { class: 'panel script-form', id: 'script-form', onsubmit: async e => {
    e.preventDefault();
    let commands;
    try {
      commands = JSON.parse(text.value);
    } catch (err) {
      fill(status, errorBox(new Error(`The script is not JSON: ${err.message}. Write a list of one-key objects, as in the example.`), 'run the script'));
      return;
    }
    submit.disabled = true;
    fill(status, h('p', { class: 'muted' }, 'Submitting…'));
    let queued;
    try {
      queued = await api(`${path}/exec`, { method: 'POST', body: { commands }, signal });
    } catch (err) {
      if (err?.name !== 'AbortError') fill(status, refusal(err));
      submit.disabled = false;
      return;
    }
    fill(status, h('div', { class: 'notice ok' }, `Script ${queued.id} queued for the node; results appear below as they arrive.`));
    try {
      await follow(path, queued, { signal, batches, status });
      if (signal.aborted) return;
      lastOutcome = status.firstChild;
      navigate(location.hash);
    } catch (err) {
      // the script was accepted; only following it failed (say, the gateway went away): reloading shows where it is
      if (err?.name !== 'AbortError') fill(status, errorBox(err, `follow script ${queued.id} (it was queued; reload the page to see its results)`));
    } finally {
      submit.disabled = false;
    }
  } },
  h('h2', {}, 'Run a script'),
  h('p', { class: 'muted small' }, 'A JSON list of commands the node runs in order, at most 64: ',
    h('code', {}, 'deploy'), ' {model, dataset, parameters: initial | job, seed}, ', h('code', {}, 'start'), ', ',
    h('code', {}, 'run'), ' {kind: fit | evaluate, epochs, batchSize, learningRate, …}, ', h('code', {}, 'transfer'), ' {from: job, to: activity} or {from: activity, to: gateway}, ',
    h('code', {}, 'terminate'), '. A failing command stops the script. See docs/market.md, "Activities".'),
  text, h('div', { class: 'actions' }, submit), status);
  return form;
}

/** The error box for a refused script, naming the command the API points at. */
function refusal(e) {
  const box = errorBox(e, 'run the script');
  const d = e?.details ?? {};
  const where = [];
  if (d.index !== undefined) where.push(`command ${d.index}${d.command ? ` (${d.command})` : ''}`);
  if (d.field) where.push(`field ${d.field}`);
  if (d.state) where.push(`activity state ${d.state}`);
  if (where.length) box.append(h('p', { class: 'where' }, `At ${where.join(', ')}.`));
  return box;
}

/** Polls a batch until it has finished, redrawing it on top of the scripts at each new result. */
async function follow(path, batch, { signal, batches, status }) {
  let seen = -1;
  let current = batch;
  const shown = batchView(current);
  batches.querySelector('.empty')?.remove();
  batches.querySelector(`article.batch[data-id="${current.id}"]`)?.remove();
  batches.prepend(shown);
  let node = shown;
  for (;;) {
    const count = (current.results ?? []).length;
    if (count !== seen || !OPEN.has(current.state)) {
      seen = count;
      const next = batchView(current);
      node.replaceWith(next);
      node = next;
    }
    if (!OPEN.has(current.state)) break;
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
    if (signal.aborted) return;
    current = await api(`${path}/batches/${encodeURIComponent(batch.id)}`, { signal });
  }
  const failed = (current.results ?? []).find(r => r.result !== 'ok');
  fill(status, h('div', { class: current.state === 'done' ? 'notice ok' : 'error', role: current.state === 'done' ? 'status' : 'alert' },
    `Script ${current.id} ${current.state}: ${(current.results ?? []).length} of ${(current.commands ?? []).length} command(s) reported`,
    failed ? `; command ${failed.index} (${failed.command}) failed: ${failed.message}` : '', '.'));
}

/** A dataset hosted by the node, for the example script; none where the caller sees none. */
async function nodeDataset(node, signal) {
  try {
    const { items } = await api('/datasets', { signal });
    return items.find(d => d.nodeId === node)?.id;
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    return undefined;
  }
}

// ---- on an agreement's page ----

/**
 * The agreement's activities and, for the requestor of an APPROVED agreement, a Create activity
 * button that opens the new activity's page.
 */
export async function agreementActivities(container, a, { signal, navigate, notes }) {
  await section(container, 'Activities', 'list the agreement\'s activities', async () => {
    const [{ items }, names] = await Promise.all([api('/activities', { query: { agreement: a.id, limit: LIMIT }, signal }), nodeNames(signal)]);
    const create = a.state === 'APPROVED' && a.requestor === me() && session.can(REQUESTOR)
      ? h('div', { class: 'actions' }, h('button', { type: 'button', id: 'activity-create', onclick: async () => {
        try {
          const created = await api('/activities', { method: 'POST', body: { agreement: a.id } });
          navigate(`#/activities/${encodeURIComponent(created.id)}`);
        } catch (e) {
          fill(notes, errorBox(e, `create an activity under agreement ${a.id}`));
        }
      } }, 'Create activity'))
      : null;
    return [create, activitiesTable(items, names, a.state === 'APPROVED'
      ? 'No activity under this agreement yet.'
      : 'No activity under this agreement; activities run under approved agreements only.'),
    items.length ? h('p', { class: 'small' }, h('a', { href: hashWith('/activities', { agreement: a.id }) }, 'these activities in the Activities view')) : null];
  });
}
