// Settings: the control API's address (for an app served from a static host), the signed-in
// account, and personal API tokens (created here, shown once, revocable).
import { api, apiBase, setApiBase, session } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, facts, time } from '../ui.js';

export async function render(main, _params, { signal }) {
  const notes = h('div', { id: 'settings-notes', 'aria-live': 'polite' });
  const base = h('input', { id: 'settings-api', type: 'url', value: apiBase(), placeholder: location.origin });
  const baseForm = h('form', { class: 'inline-form', id: 'settings-api-form', onsubmit: e => {
    e.preventDefault();
    try {
      setApiBase(base.value);
      fill(notes, h('div', { class: 'notice' }, `The app now talks to ${apiBase() || location.origin}.`));
    } catch (err) {
      fill(notes, errorBox(err, 'change the API address'));
    }
  } }, base, h('button', { type: 'submit' }, 'Save'));
  const me = h('section', { class: 'panel', id: 'settings-me' });
  const tokens = h('section', { class: 'panel', id: 'settings-tokens' });
  fill(main, heading('Settings'), notes,
    h('h2', {}, 'Control API address'),
    h('p', { class: 'muted small' }, 'Empty: the address this page was loaded from (the gateway serves the app at /admin). Kept in this browser.'),
    baseForm,
    session.token() ? [h('h2', {}, 'Your account'), me, h('h2', {}, 'Your API tokens'), tokens] : h('p', {}, h('a', { href: '#/login' }, 'Log in'), ' to see your account.'));
  if (!session.token()) return;
  const tokenName = h('input', { name: 'name', required: true, placeholder: 'token name' });
  const days = h('input', { name: 'days', type: 'number', min: 1, max: 365, value: 90, 'aria-label': 'valid for days' });
  const loadTokens = () => section(tokens, 'API tokens', 'list your tokens', async () => {
    const { items } = await api('/tokens', { signal });
    return [table([
      { label: 'Name', cell: t => t.name },
      { label: 'Id', class: 'id', cell: t => t.id },
      { label: 'Created', cell: t => time(t.createdAt) },
      { label: 'Expires', cell: t => time(t.expiresAt) },
      { label: 'Last used', cell: t => time(t.lastUsedAt) },
      { label: 'Status', cell: t => badge(t.revoked ? 'revoked' : 'active') },
      { label: '', cell: t => (t.revoked ? '' : h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Revoke token ${t.name}? Programs using it stop working.`)) return;
        try {
          await api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
          await loadTokens();
        } catch (e) {
          fill(notes, errorBox(e, 'revoke the token'));
        }
      } }, 'Revoke')) },
    ], items, 'No tokens.'),
    h('form', { class: 'inline-form', onsubmit: async e => {
      e.preventDefault();
      try {
        const issued = await api('/tokens', { method: 'POST', body: { name: tokenName.value.trim(), expiresInDays: Number(days.value) } });
        fill(notes, h('div', { class: 'notice' }, 'New token, shown only now: ', h('code', {}, issued.token)));
        await loadTokens();
      } catch (err) {
        fill(notes, errorBox(err, 'create the token'));
      }
    } }, tokenName, days, h('button', { type: 'submit' }, 'Create token'))];
  });
  await Promise.all([
    section(me, 'Your account', 'load your account', async () => {
      const u = await api('/me', { signal });
      return facts([['User', u.name], ['Role', u.role], ['Permissions', (u.permissions ?? []).join(', ')], ['Since', time(u.createdAt)]]);
    }),
    loadTokens(),
  ]);
}
