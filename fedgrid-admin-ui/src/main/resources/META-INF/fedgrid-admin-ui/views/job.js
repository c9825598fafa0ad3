// One job: its state and settings, live charts of loss and accuracy per round, the rounds table, the
// event log, the cancel, download and report buttons, and, for the job's submitter once it has
// finished on private data, the release request form (or the pending request). The page follows the job's server-sent events
// (GET /jobs/{id}/events, read with fetch because it needs the Authorization header) and reloads
// the job and its rounds whenever a round or the job's state changes.
import { api, download, fetchBlob, followEvents, session } from '../api.js';
import { lineChart, metricSeries } from '../chart.js';
import { h, fill, heading, errorBox, badge, table, facts, num, time, ago, section } from '../ui.js';
import { money, nodeNames, nodeCell, agreementLink, stateBadge } from './market.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const REFRESH_ON = new Set(['started', 'resumed', 'round_started', 'round_completed', 'node_failed', 'completed', 'failed', 'cancelled', 'queued']);

export async function render(main, [id], { signal }) {
  const head = h('div', { id: 'job-head' });
  const actions = h('div', { class: 'actions', id: 'job-actions' });
  const notes = h('div', { id: 'job-notes', 'aria-live': 'polite' });
  const release = h('section', { id: 'job-release' });
  const summary = h('section', { class: 'panel', id: 'job-summary' });
  const charts = h('section', { class: 'charts', id: 'job-charts' });
  const rounds = h('section', { class: 'panel', id: 'job-rounds' });
  const cost = h('section', { class: 'panel', id: 'job-cost' });
  const live = h('span', { class: 'live', id: 'job-live' }, 'connecting…');
  const log = h('ol', { class: 'events', id: 'job-events', reversed: true });
  fill(main, head, actions, notes, release, summary,
    h('h2', {}, 'Loss and accuracy per round'), charts,
    h('h2', {}, 'Rounds'), rounds,
    h('h2', {}, 'Contributions and cost'), cost,
    h('h2', {}, 'Events ', live), h('section', { class: 'panel' }, log));

  let job = null;
  const show = (jobNow, roundList) => {
    job = jobNow;
    fill(head, heading(job.spec?.name ?? job.id, badge(job.state)),
      h('p', { class: 'id muted' }, job.id), job.message ? h('p', { class: 'job-message' }, job.message) : null);
    renderActions(actions, notes, job, reload, () => renderRelease(release, job, signal));
    if (TERMINAL.has(job.state) && release.dataset.state !== job.state) { // once per finished state, not on every refresh
      release.dataset.state = job.state;
      renderRelease(release, job, signal);
    }
    renderSummary(summary, job, roundList);
    fill(charts,
      lineChart({ title: 'Loss', series: metricSeries(roundList, 'loss') }),
      lineChart({ title: 'Accuracy', series: metricSeries(roundList, 'accuracy') }));
    charts.dataset.rounds = String(roundList.length);
    charts.dataset.state = job.state;
    fill(rounds, roundsTable(roundList));
  };
  async function reload() {
    const [jobNow, r] = await Promise.all([api(`/jobs/${encodeURIComponent(id)}`, { signal }), api(`/jobs/${encodeURIComponent(id)}/rounds`, { signal })]);
    show(jobNow, r.items);
    if (cost.dataset.rounds !== String(jobNow.completedRounds) || cost.dataset.state !== jobNow.state) { // only when something was billed or counted
      cost.dataset.rounds = String(jobNow.completedRounds);
      cost.dataset.state = jobNow.state;
      section(cost, 'Contributions', 'show the contributions and cost', () => contributionsAndCost(jobNow, signal))
        .then(() => { cost.dataset.ready = `${jobNow.state}:${jobNow.completedRounds}`; });
    }
  }
  await reload(); // a missing job or a refusal is shown by the shell as a readable error

  let pending = null;
  const refreshSoon = () => {
    pending ??= setTimeout(() => {
      pending = null;
      reload().catch(e => { if (e?.name !== 'AbortError') fill(notes, errorBox(e, 'refresh the job')); });
    }, 150);
  };
  followEvents(`/jobs/${encodeURIComponent(id)}/events`, {
    signal,
    onEvent: e => {
      let event;
      try { event = JSON.parse(e.data); } catch { event = { type: e.event, message: e.data }; }
      log.prepend(h('li', { class: `event event-${event.type}` },
        h('span', { class: 'event-time' }, event.at ? time(event.at) : ''), ' ', badge(event.type ?? e.event, 'event'), ' ', event.message ?? ''));
      while (log.children.length > 300) log.lastChild.remove();
      if (REFRESH_ON.has(event.type)) refreshSoon();
    },
    onStatus: (status, error) => {
      fill(live, status === 'live' ? '● live' : status === 'ended' ? 'stream ended (the job has finished)' : `reconnecting… (${error?.message ?? ''})`);
      live.className = `live live-${status}`;
    },
  }).catch(e => {
    if (e?.name === 'AbortError') return;
    fill(live, 'not live');
    live.className = 'live live-failed';
    log.prepend(h('li', {}, errorBox(e, 'follow the job\'s events')));
  });
}

function renderActions(actions, notes, job, reload, refreshRelease) {
  const active = job.state === 'queued' || job.state === 'running';
  const cancel = h('button', { type: 'button', id: 'job-cancel', class: 'danger', disabled: !active, onclick: async () => {
    if (!confirm(`Cancel job ${job.spec?.name ?? job.id}? Rounds already completed are kept.`)) return;
    cancel.disabled = true;
    try {
      await api(`/jobs/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' });
      fill(notes, h('div', { class: 'notice' }, 'Cancel requested; the job stops after the current step.'));
      await reload();
    } catch (e) {
      fill(notes, errorBox(e, 'cancel the job'));
      cancel.disabled = false;
    }
  } }, 'Cancel job');
  const model = h('button', { type: 'button', id: 'job-download', disabled: job.completedRounds === 0, onclick: async () => {
    try {
      const name = await download(`/jobs/${encodeURIComponent(job.id)}/model`, `${job.id}.safetensors`);
      fill(notes, h('div', { class: 'notice' }, `Downloaded ${name}.`));
    } catch (e) {
      fill(notes, errorBox(e, 'download the model'));
      if (e?.code === 'RELEASE_REQUIRED') refreshRelease();
    }
  } }, 'Download model');
  fill(actions, cancel, model, reportButton(notes, job));
}

/**
 * The release panel, for the job's submitter once it has finished: the pending request with a link
 * to it, or, when the job trained on a private dataset and no request is pending or approved, a
 * form that files one (POST /jobs/{id}/release-requests {"reason"}). Empty for everyone else; the
 * server has the last word on filing.
 */
async function renderRelease(panel, job, signal) {
  if (!TERMINAL.has(job.state) || !job.owner || job.owner !== session.user()?.name) return void fill(panel);
  try {
    const [{ items }, held] = await Promise.all([api('/release-requests', { signal }), onPrivateData(job, signal)]);
    const latest = items.find(r => r.job === job.id); // newest first
    if (latest?.state === 'pending') fill(panel, pendingNotice(latest, 'is pending'));
    else if (latest?.state === 'approved' || !held) fill(panel);
    else fill(panel, releaseForm(panel, job, latest));
  } catch (e) {
    if (e?.name !== 'AbortError') fill(panel, errorBox(e, 'check whether the job\'s results are held'));
  }
}

/** Whether any dataset of the job (by id, or by name as submitted) is private; unknown counts as yes: filing then tells. */
async function onPrivateData(job, signal) {
  try {
    const found = await Promise.all((job.spec?.datasets ?? []).map(async d => (d.startsWith('ds_')
      ? [await api(`/datasets/${encodeURIComponent(d)}`, { signal })]
      : (await api('/datasets', { query: { name: d }, signal })).items)));
    return found.flat().some(d => d.metadata?.visibility === 'private');
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    return true;
  }
}

function requestLink(r) {
  return h('a', { href: `#/requests/${encodeURIComponent(r.id)}`, class: 'release-request-link' }, r.id);
}

function pendingNotice(r, what) {
  return h('div', { class: 'notice', id: 'release-pending' },
    'Release request ', requestLink(r), ` ${what}: a compliance officer decides whether the model and detailed metrics may leave the gateway.`,
    r.createdAt ? ` Filed ${time(r.createdAt)}.` : '');
}

function releaseForm(panel, job, last) {
  const reason = h('textarea', { id: 'release-reason', rows: 3, required: true, 'aria-label': 'reason for the release',
    placeholder: 'why the results should leave the gateway (the compliance officer reads it; kept in the audit log)' });
  const submit = h('button', { type: 'submit', id: 'release-submit' }, 'Request release');
  const note = h('div', { id: 'release-error', 'aria-live': 'polite' });
  return h('form', { class: 'panel', id: 'release-form', onsubmit: async e => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const filed = await api(`/jobs/${encodeURIComponent(job.id)}/release-requests`, { method: 'POST', body: { reason: reason.value } });
      fill(panel, pendingNotice(filed, 'was filed and is pending'));
    } catch (err) {
      const request = err?.details?.request;
      fill(note, errorBox(err, 'file the release request'),
        err?.code === 'REQUEST_PENDING' && request ? h('p', {}, 'See the pending request: ', requestLink({ id: request }), '.') : null);
      submit.disabled = false;
    }
  } },
    h('h2', {}, 'Request release'),
    h('p', {}, 'This job trained on private data: its model and detailed metrics stay in the gateway until a compliance officer approves a release request.'),
    last?.state === 'denied' ? h('p', { class: 'muted' }, 'The last request, ', requestLink(last), `, was denied${last.comment ? `: ${last.comment}` : ''}.`) : null,
    reason, h('div', { class: 'actions' }, submit), note);
}

let reportHref = null; // the last report's blob URL, kept for its links until the next one

/**
 * The job's report (GET /jobs/{id}/report, a self-contained HTML page) fetched with the token and
 * opened in a new tab from a blob URL, with links to open or save it again. The tab is opened at
 * the click, before the fetch, so that popup blockers allow it; without one, the links remain.
 */
function reportButton(notes, job) {
  const button = h('button', { type: 'button', id: 'job-report', onclick: async () => {
    const tab = window.open('', '_blank');
    button.disabled = true;
    try {
      const page = await fetchBlob(`/jobs/${encodeURIComponent(job.id)}/report`, 'text/html');
      if (reportHref) URL.revokeObjectURL(reportHref);
      reportHref = URL.createObjectURL(new Blob([page], { type: 'text/html;charset=utf-8' }));
      if (tab) tab.location.href = reportHref;
      const name = `${job.id}-report.html`;
      fill(notes, h('div', { class: 'notice', id: 'job-report-ready' },
        tab ? 'The report opened in a new tab. ' : 'The report is ready. ',
        h('a', { href: reportHref, target: '_blank', rel: 'noopener', id: 'job-report-open' }, 'Open it'), ' or ',
        h('a', { href: reportHref, download: name, id: 'job-report-save' }, `save it as ${name}`), '.'));
    } catch (e) {
      tab?.close();
      fill(notes, errorBox(e, 'make the job report'));
    } finally {
      button.disabled = false;
    }
  } }, 'Report');
  return button;
}

function renderSummary(summary, job, rounds) {
  const spec = job.spec ?? {};
  const t = spec.training ?? {};
  const p = spec.privacy;
  const nodes = [...new Set(rounds.flatMap(r => r.nodes ?? []))];
  const epsilon = [...rounds].reverse().find(r => Number.isFinite(r.epsilon))?.epsilon;
  fill(summary, facts([
    ['Datasets', (spec.datasets ?? []).join(', ')],
    ['Strategy', spec.strategy ? Object.entries(spec.strategy).map(([k, v]) => (k === 'type' ? v : `${k} ${v}`)).join(', ') : ''],
    ['Rounds', `${job.completedRounds} of ${spec.rounds ?? '?'} completed (at least ${spec.minNodes ?? '?'} nodes, ${spec.roundTimeoutSeconds ?? '?'} s per round)`],
    ['Training', `${t.epochs ?? '?'} epoch(s), batch ${t.batchSize ?? '?'}, ${t.optimizer ?? '?'} at ${t.learningRate ?? 'default'} learning rate`],
    ['Privacy', p ? `DP-FedAvg, noise ${p.noiseMultiplier}, clip ${p.clipNorm ?? 'default'}${p.adaptiveClipping ? ' (adaptive)' : ''}, δ ${p.delta ?? '1e-5'}` : 'none'],
    ['ε spent', epsilon === undefined ? (p ? '0' : '') : num(epsilon, 3)],
    ['Nodes taking part', nodes.length ? nodes.join(', ') : 'none yet'],
    ['Owner', job.owner],
    ['Created', time(job.createdAt)],
    ['Started', time(job.startedAt)],
    ['Finished', time(job.finishedAt)],
  ]));
}

/**
 * What each node put in (GET /jobs/{id}/contributions: examples × epochs over the completed rounds)
 * next to what it billed under its agreement for this job (GET /agreements?job=, then each
 * agreement's debit notes and invoices): the live invoice when there is one, else the latest open
 * or paid debit note (their totals are cumulative), and how much of it is paid (settled).
 */
async function contributionsAndCost(job, signal) {
  const [report, agreements, names] = await Promise.all([
    api(`/jobs/${encodeURIComponent(job.id)}/contributions`, { signal }),
    api('/agreements', { query: { job: job.id, limit: 500 }, signal }),
    nodeNames(signal)]);
  const bills = await Promise.all(agreements.items.map(async a => {
    const [notes, invoices] = await Promise.all([
      api('/debit-notes', { query: { agreement: a.id, limit: 500 }, signal }),
      api('/invoices', { query: { agreement: a.id, limit: 500 }, signal })]);
    return { agreement: a, ...billOf(invoices.items, notes.items) };
  }));
  const byNode = new Map(bills.map(b => [b.agreement.node, b]));
  const rows = report.nodes.map(n => ({ node: n.node, contribution: n, bill: byNode.get(n.node) }));
  for (const b of bills) if (!rows.some(r => r.node === b.agreement.node)) rows.push({ node: b.agreement.node, bill: b });
  const total = bills.reduce((sum, b) => sum + Number(b.billed ?? 0), 0);
  const paid = bills.reduce((sum, b) => sum + Number(b.paid ?? 0), 0);
  return [
    facts([
      ['Examples × epochs', `${num(report.examplesEpochs)} over ${report.rounds} completed round(s)`],
      ['Cost', bills.length ? h('span', { id: 'job-cost-total' }, money(decimal(total)), ` billed, ${decimal(paid)} paid, under ${bills.length} agreement(s)`)
        : 'nothing billed: no agreement you can see for this job (a job is billed only when it runs under the market)'],
    ]),
    table([
      { label: 'Node', cell: r => nodeCell(names, r.node) },
      { label: 'Examples × epochs', class: 'num', cell: r => num(r.contribution?.examplesEpochs ?? 0) },
      { label: 'Rounds', class: 'num', cell: r => r.contribution?.rounds ?? 0 },
      { label: 'Share', cell: r => shareBar(r.contribution?.share ?? 0) },
      { label: 'Agreement', cell: r => (r.bill ? [agreementLink(r.bill.agreement.id), ' ', stateBadge(r.bill.agreement.state)] : '') },
      { label: 'Billed', class: 'num', cell: r => (r.bill ? [money(r.bill.billed ?? '0'), r.bill.by ? h('span', { class: 'muted small' }, ` ${r.bill.by}`) : ''] : '') },
      { label: 'Paid', class: 'num', cell: r => (r.bill ? money(r.bill.paid ?? '0') : '') },
      { label: 'Hard cap', class: 'num', cell: r => (r.bill ? money(r.bill.agreement.hardCap) : '') },
    ], rows, 'No node has contributed yet.'),
  ];
}

/** The amount billed under one agreement and how much of it is paid; documents come newest first. */
function billOf(invoices, notes) {
  const live = d => d.status !== 'REJECTED' && d.status !== 'CANCELLED';
  const invoice = invoices.find(live);
  const note = notes.find(live);
  const settled = [...invoices, ...notes].filter(d => d.status === 'SETTLED').map(d => Number(d.amount));
  return {
    billed: invoice?.amount ?? note?.amount,
    by: invoice ? 'invoice' : note ? 'debit notes' : '',
    paid: settled.length ? decimal(Math.max(...settled)) : undefined,
  };
}

/** A sum of amounts for display: the API's amounts are exact strings, sums here are for reading only. */
function decimal(x) {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1e9) / 1e9);
}

function shareBar(share) {
  return h('span', { class: 'meter', title: `${(share * 100).toFixed(1)} %` }, h('span', { style: `width:${(share * 100).toFixed(1)}%` }));
}

function roundsTable(rounds) {
  const ms = r => (r.startedAt && r.finishedAt ? `${((new Date(r.finishedAt) - new Date(r.startedAt)) / 1000).toFixed(1)} s` : '');
  return table([
    { label: 'Round', class: 'num', cell: r => r.round },
    { label: 'Nodes', class: 'num', cell: r => (r.nodes ?? []).length },
    { label: 'Updates', class: 'num', cell: r => r.updates },
    { label: 'Examples', class: 'num', cell: r => num(r.examples) },
    { label: 'Failures', class: 'num', cell: r => ((r.failures ?? []).length ? h('span', { title: r.failures.map(f => `${f.node} ${f.phase}: ${f.reason}`).join('\n') }, String(r.failures.length)) : '0') },
    { label: 'Eval loss', class: 'num', cell: r => num(r.evalMetrics?.loss) },
    { label: 'Eval accuracy', class: 'num', cell: r => num(r.evalMetrics?.accuracy) },
    { label: 'Train loss', class: 'num', cell: r => num(r.fitMetrics?.loss) },
    { label: 'ε', class: 'num', cell: r => num(r.epsilon, 3) },
    { label: 'Took', class: 'num', cell: ms },
    { label: 'Finished', cell: r => ago(r.finishedAt) },
  ], [...rounds].reverse(), 'No round has completed yet.');
}
