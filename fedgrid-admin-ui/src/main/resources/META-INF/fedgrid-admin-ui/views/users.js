// Users (can_manage_users): list, create (a generated password is shown once), change role, disable.
import { api } from '../api.js';
import { h, fill, heading, section, errorBox, badge, table, time } from '../ui.js';

export async function render(main, _params, { signal }) {
  const list = h('section', { class: 'panel', id: 'users-list' });
  const notes = h('div', { id: 'users-notes', 'aria-live': 'polite' });
  const create = h('section', { class: 'panel', id: 'users-create' });
  fill(main, heading('Users'), notes, list, h('h2', {}, 'Add a user'), create);
  let roles = [];
  const load = () => section(list, 'User management', 'list the users', async () => {
    const [{ items }, roleList] = await Promise.all([api('/users', { signal }), api('/roles', { signal }).catch(() => ({ items: [] }))]);
    roles = roleList.items.map(r => r.name);
    renderCreate();
    return table([
      { label: 'User', cell: u => u.name },
      { label: 'Role', cell: u => roleSelect(u) },
      { label: 'Permissions', cell: u => (u.permissions ?? []).join(', ') },
      { label: 'Status', cell: u => badge(u.disabled ? 'disabled' : 'active') },
      { label: 'Created', cell: u => time(u.createdAt) },
      { label: '', cell: u => h('button', { type: 'button', onclick: () => update(u, { disabled: !u.disabled }, u.disabled ? 'enable' : 'disable') }, u.disabled ? 'Enable' : 'Disable') },
    ], items, 'No users.');
  });
  const update = async (u, change, what) => {
    try {
      await api(`/users/${encodeURIComponent(u.name)}`, { method: 'PATCH', body: change });
      fill(notes, h('div', { class: 'notice' }, `Updated ${u.name}.`));
      await load();
    } catch (e) {
      fill(notes, errorBox(e, `${what} ${u.name}`));
    }
  };
  const roleSelect = u => (roles.length
    ? h('select', { 'aria-label': `role of ${u.name}`, onchange: e => update(u, { role: e.target.value }, 'change the role of') },
      [...new Set([...roles, u.role])].map(r => h('option', { value: r, selected: r === u.role }, r)))
    : u.role);
  function renderCreate() {
    const name = h('input', { name: 'name', required: true, placeholder: 'user name' });
    const role = h('select', { name: 'role' }, roles.map(r => h('option', { value: r }, r)));
    const password = h('input', { name: 'password', type: 'password', placeholder: 'password (empty: generate one)', autocomplete: 'new-password' });
    fill(create, h('form', { class: 'inline-form', onsubmit: async e => {
      e.preventDefault();
      try {
        const answer = await api('/users', { method: 'POST', body: { name: name.value.trim(), role: role.value, ...(password.value ? { password: password.value } : {}) } });
        fill(notes, h('div', { class: 'notice' }, `Created ${answer.user?.name ?? name.value}.`,
          answer.password ? [' Their password, shown only now: ', h('code', {}, answer.password)] : null));
        await load();
      } catch (err) {
        fill(notes, errorBox(err, 'add the user'));
      }
    } }, name, role, password, h('button', { type: 'submit' }, 'Add user')));
  }
  await load();
}
