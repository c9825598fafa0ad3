// Payments (docs/market.md, "The ledger and how money moves"): the caller's ledger balances and
// recent transfers, allocations (money reserved for a job), and the debit notes and invoices that
// providers issue under agreements, with accept and reject for the requestor and cancel for the
// provider while a document is still open (ISSUED or RECEIVED). An accepted document is paid at
// once, so the API shows it SETTLED with the transfer that paid it.
import { api, session } from '../api.js';
import { h, fill, heading, section, table, time, ago } from '../ui.js';
import { PROVIDER, REQUESTOR, money, jobLink, agreementLink, stateBadge, me, actor, notesArea, reasonButton } from './market.js';

const LIMIT = 500;
const OPEN = new Set(['ISSUED', 'RECEIVED']);

export async function render(main, _params, { signal, navigate }) {
  const notes = notesArea('payments-notes');
  const accounts = h('section', { class: 'panel', id: 'ledger-accounts' });
  const allocations = h('section', { class: 'panel', id: 'allocations-list' });
  const documents = h('section', { class: 'panel', id: 'documents-list' });
  const transfers = h('section', { class: 'panel', id: 'ledger-transfers' });
  fill(main, heading('Payments'), notes,
    h('h2', {}, 'Balances'), accounts,
    h('h2', {}, 'Allocations'), allocations,
    h('h2', {}, 'Debit notes and invoices'), documents,
    h('h2', {}, 'Recent transfers'), transfers);
  const act = actor(notes, navigate);
  await Promise.all([
    section(accounts, 'The ledger', 'show your balances', async () => {
      const { items } = await api('/ledger/accounts', { signal });
      return table([
        { label: 'Account', cell: a => h('span', { class: 'id' }, a.id) },
        { label: 'What it is', cell: a => accountKind(a.id) },
        { label: 'Balance', class: 'num', cell: a => money(a.balance) },
        { label: 'Opened', cell: a => (a.createdAt ? time(a.createdAt) : 'nothing paid in yet') },
      ], items, 'No accounts.');
    }),
    section(allocations, 'Allocations', 'list the allocations', async () => {
      const { items } = await api('/allocations', { query: { limit: LIMIT }, signal });
      return table([
        { label: 'Allocation', cell: a => h('span', { class: 'id' }, a.id) },
        { label: 'Job', cell: a => jobLink(a.job) },
        { label: 'Owner', cell: a => a.owner },
        { label: 'State', cell: a => stateBadge(a.state) },
        { label: 'Reserved', class: 'num', cell: a => money(a.total) },
        { label: 'Spent', class: 'num', cell: a => money(a.spent) },
        { label: 'Remaining', class: 'num', cell: a => money(a.remaining) },
        { label: 'Created', cell: a => ago(a.createdAt) },
        { label: '', cell: a => (a.state === 'active' && a.owner === me() && session.can(REQUESTOR)
          ? h('button', { type: 'button', class: 'danger small allocation-release', onclick: () => {
            if (confirm(`Release allocation ${a.id}? What is left (${a.remaining}) goes back to your account.`)) {
              act(`release allocation ${a.id}`, `/allocations/${encodeURIComponent(a.id)}/release`, undefined, r => `Allocation ${a.id} released: ${r.remaining} back to your account.`);
            }
          } }, 'Release')
          : '') },
      ], items, 'No allocations. A job\'s owner reserves money for it with `fedgrid allocation create`.');
    }),
    section(documents, 'Debit notes and invoices', 'list the debit notes and invoices', async () => {
      const [notesPage, invoicesPage, agreements] = await Promise.all([
        api('/debit-notes', { query: { limit: LIMIT }, signal }),
        api('/invoices', { query: { limit: LIMIT }, signal }),
        api('/agreements', { query: { limit: LIMIT }, signal })]);
      const byId = new Map(agreements.items.map(a => [a.id, a]));
      const docs = [...invoicesPage.items, ...notesPage.items].sort((x, y) => String(y.issuedAt).localeCompare(String(x.issuedAt)));
      return documentsTable(docs, byId, act, 'No debit notes or invoices you can see.');
    }),
    section(transfers, 'The ledger', 'list the transfers', async () => {
      const { items } = await api('/ledger/transfers', { query: { limit: 50 }, signal });
      return table([
        { label: 'When', cell: t => time(t.at) },
        { label: 'From', cell: t => h('span', { class: 'id' }, t.from) },
        { label: 'To', cell: t => h('span', { class: 'id' }, t.to) },
        { label: 'Amount', class: 'num', cell: t => money(t.amount) },
        { label: 'Reference', cell: t => h('span', { class: 'id' }, t.reference) },
        { label: 'Memo', cell: t => t.memo ?? '' },
      ], items, 'No transfers.');
    }),
  ]);
}

function accountKind(id) {
  if (id.startsWith('user:')) return id === `user:${me()}` ? 'your money' : `money of ${id.slice(5)}`;
  if (id.startsWith('allocation:')) return 'reserved for a job';
  if (id.startsWith('node:')) return 'where a provider is paid';
  if (id.startsWith('system:')) return 'the grid\'s mint: deposits come from here';
  return '';
}

/**
 * Debit notes and invoices with the actions the caller may take on the open ones: accept or
 * reject (with a reason) for the requestor of the document's agreement, cancel for the provider.
 *
 * @param agreements the agreements by id, for each document's requestor; an unknown agreement
 *     shows no requestor actions
 */
export function documentsTable(docs, agreements, act, empty) {
  const provider = session.can(PROVIDER);
  const isRequestor = d => agreements.get(d.agreement)?.requestor === me() && session.can(REQUESTOR);
  const kindPath = d => (d.kind === 'invoice' ? 'invoices' : 'debit-notes');
  const label = d => (d.kind === 'invoice' ? 'invoice' : 'debit note');
  const path = (d, verb) => `/${kindPath(d)}/${encodeURIComponent(d.id)}/${verb}`;
  const actions = d => {
    if (!OPEN.has(d.status)) return '';
    const out = [];
    if (isRequestor(d)) {
      out.push(h('button', { type: 'button', class: 'small document-accept', onclick: () => act(`accept ${label(d)} ${d.id}`, path(d, 'accept'), undefined,
        r => `${cap(label(d))} ${d.id} accepted: ${String(r.status).toLowerCase()}${r.transfer ? ` by transfer ${r.transfer}` : ''}.`) }, 'Accept'));
      out.push(reasonButton('Reject', 'danger small document-reject', `Why reject ${label(d)} ${d.id}? (the provider sees it; kept in the audit log)`,
        reason => act(`reject ${label(d)} ${d.id}`, path(d, 'reject'), { reason }, () => `${cap(label(d))} ${d.id} rejected.`)));
    }
    if (provider) {
      out.push(h('button', { type: 'button', class: 'danger small document-cancel', onclick: () => act(`cancel ${label(d)} ${d.id}`, path(d, 'cancel'), undefined,
        () => `${cap(label(d))} ${d.id} cancelled.`) }, 'Cancel'));
    }
    return h('div', { class: 'row-actions' }, out);
  };
  return table([
    { label: 'Document', cell: d => h('span', { class: 'id' }, d.id) },
    { label: 'Kind', cell: d => label(d) },
    { label: 'Agreement', cell: d => agreementLink(d.agreement) },
    { label: 'Amount', class: 'num', cell: d => h('span', { title: d.kind === 'debit_note' ? 'the total due so far under the agreement (debit notes are cumulative)' : 'the final bill' }, money(d.amount)) },
    { label: 'Status', cell: d => stateBadge(d.status) },
    { label: '', cell: actions },
    { label: 'Issued', cell: d => ago(d.issuedAt) },
    { label: 'Accept by', cell: d => (OPEN.has(d.status) && d.acceptanceDeadline ? h('time', { datetime: d.acceptanceDeadline, title: time(d.acceptanceDeadline) }, shortTime(d.acceptanceDeadline)) : '') },
    { label: 'Note', class: 'note', cell: d => [d.warning, d.justification, d.reason ? `rejected: ${d.reason}` : '', d.transfer ? `paid by ${d.transfer}` : ''].filter(Boolean).join('; ') },
  ], docs, empty);
}

/** A time of day today, or a date otherwise, for narrow columns (the full time is the tooltip). */
function shortTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toDateString() === new Date().toDateString()
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

function cap(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
