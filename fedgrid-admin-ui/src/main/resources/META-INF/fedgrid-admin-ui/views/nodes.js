// The nodes: health (online or offline), last heartbeat, resources, the job each one works on.
// Refreshes every 5 seconds while on screen.
import { api } from '../api.js';
import { h, fill, heading, section, badge, table, num, ago, time } from '../ui.js';

export async function render(main, _params, { signal }) {
  const list = h('section', { class: 'panel', id: 'nodes-list' });
  const offers = h('p', { class: 'muted small' }, 'What each node offers (cores, memory, price) is under ', h('a', { href: '#/offers' }, 'Offers'), '.');
  fill(main, heading('Nodes'), list, offers);
  const load = () => section(list, 'Nodes', 'list the nodes', async () => {
    const { items } = await api('/nodes', { signal });
    const online = items.filter(n => n.status === 'online').length;
    return [h('p', { class: 'muted' }, `${online} of ${items.length} online`), table([
      { label: 'Node', cell: n => n.name },
      { label: 'Id', class: 'id', cell: n => n.id },
      { label: 'Health', cell: n => badge(n.status) },
      { label: 'Last heartbeat', cell: n => ago(n.lastSeenAt) },
      { label: 'Cores', class: 'num', cell: n => n.cores },
      { label: 'Memory', class: 'num', cell: n => `${num(Math.round(n.memoryMib / 1024 * 10) / 10)} GiB` },
      { label: 'Version', cell: n => n.version ?? '' },
      { label: 'Working on', cell: n => (n.currentJob ? h('a', { href: `#/jobs/${n.currentJob}` }, n.currentJob) : 'idle') },
      { label: 'Registered', cell: n => time(n.registeredAt) },
    ], items, 'No node has registered yet. Start one with `fedgrid node start`.')];
  });
  await load();
  const timer = setInterval(() => { if (!signal.aborted) load(); }, 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
}
