// Roles: which permissions each role holds, as a matrix; custom roles can be added and deleted
// (can_edit_roles); the seeded roles cannot be deleted.
import { api } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table } from '../ui.js';

export const PERMISSIONS = ['can_make_data_requests', 'can_triage_requests', 'can_manage_privacy_budget', 'can_manage_users',
  'can_edit_roles', 'can_upload_data', 'can_manage_infrastructure', 'can_edit_settings'];

export async function render(main, _params, { signal }) {
  const list = h('section', { class: 'panel', id: 'roles-list' });
  const notes = h('div', { id: 'roles-notes', 'aria-live': 'polite' });
  const create = h('section', { class: 'panel', id: 'roles-create' });
  fill(main, heading('Roles and permissions'), notes, list, h('h2', {}, 'Add a custom role'), create);
  const load = () => section(list, 'Roles', 'list the roles', async () => {
    const { items } = await api('/roles', { signal });
    return table([
      { label: 'Role', cell: r => [r.name, ' ', r.builtin ? badge('built-in', 'builtin') : null, h('div', { class: 'muted small' }, r.description ?? '')] },
      ...PERMISSIONS.map(p => ({ label: p.replace(/^can_/, '').replaceAll('_', ' '), class: 'check', cell: r => ((r.permissions ?? []).includes(p) ? '✓' : '') })),
      { label: '', cell: r => (r.builtin ? '' : h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Delete role ${r.name}?`)) return;
        try {
          await api(`/roles/${encodeURIComponent(r.name)}`, { method: 'DELETE' });
          await load();
        } catch (e) {
          fill(notes, errorBox(e, `delete role ${r.name}`));
        }
      } }, 'Delete')) },
    ], items, 'No roles.');
  });
  const name = h('input', { name: 'name', required: true, placeholder: 'role name' });
  const description = h('input', { name: 'description', placeholder: 'what it is for' });
  const boxes = PERMISSIONS.map(p => h('input', { type: 'checkbox', value: p }));
  fill(create, h('form', { class: 'inline-form', onsubmit: async e => {
    e.preventDefault();
    try {
      await api('/roles', { method: 'POST', body: { name: name.value.trim(), description: description.value.trim(), permissions: boxes.filter(b => b.checked).map(b => b.value) } });
      fill(notes, h('div', { class: 'notice' }, `Created role ${name.value}.`));
      await load();
    } catch (err) {
      fill(notes, errorBox(err, 'add the role'));
    }
  } }, name, description, h('div', { class: 'checks' }, boxes.map((b, i) => h('label', { class: 'chip' }, b, PERMISSIONS[i]))), h('button', { type: 'submit' }, 'Add role')));
  await load();
}
