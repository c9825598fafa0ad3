// The login page: POST /api/v1/login {user, password} → {token, expiresAt, user}; the token is kept
// in sessionStorage. The API address can be changed here too, for an app served from a static host.
import { api, apiBase, setApiBase, session } from '../api.js';
import { h, fill, errorBox, hashQuery } from '../ui.js';

export async function render(main, _params, { navigate }) {
  const message = sessionStorage.getItem('fedgrid.loginMessage');
  sessionStorage.removeItem('fedgrid.loginMessage');
  const next = hashQuery().get('next');
  const status = h('div', { id: 'login-status', 'aria-live': 'polite' });
  if (message) status.append(h('div', { class: 'notice' }, message));
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const base = h('input', { id: 'login-api', name: 'api', type: 'url', placeholder: location.origin, value: apiBase() });
  const submit = h('button', { type: 'submit', id: 'login-submit' }, 'Log in');
  const form = h('form', { class: 'card login', onsubmit: async e => {
    e.preventDefault();
    submit.disabled = true;
    fill(status, h('p', { class: 'muted' }, 'Logging in…'));
    try {
      setApiBase(base.value);
      const answer = await api('/login', { method: 'POST', body: { user: user.value, password: password.value } });
      session.save(answer.token, answer.user);
      navigate(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/dashboard');
    } catch (err) {
      fill(status, errorBox(err, 'log in'));
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', {}, 'Log in to FedGrid'),
  status,
  h('label', {}, 'User name', user),
  h('label', {}, 'Password', password),
  h('details', { open: apiBase() ? true : null }, h('summary', {}, 'Gateway address'),
    h('label', {}, 'Control API address (empty: this page\'s own address)', base)),
  submit,
  h('p', { class: 'muted small' }, 'A new gateway prints the owner\'s one-time password on its first start (OWNER_CREDENTIAL line).'));
  fill(main, form);
}
