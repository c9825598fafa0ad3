// The app shell: navigation, hash routing (#/jobs, #/jobs/job_…), the login gate and the last line
// of defence against a blank page (any failure of a view becomes a readable error in the page).
import { session, ApiError } from './api.js';
import { h, fill, errorBox } from './ui.js';

/** The views, in the order of the navigation; `path` is a pattern on the route after "#/". */
const VIEWS = [
  { group: 'Overview', label: 'Dashboard', nav: 'dashboard', path: /^dashboard$/, module: './views/dashboard.js' },
  { group: 'Work', label: 'Jobs', nav: 'jobs', path: /^jobs$/, module: './views/jobs.js' },
  { path: /^jobs\/([^/]+)$/, nav: 'jobs', module: './views/job.js' },
  { group: 'Work', label: 'Datasets', nav: 'datasets', path: /^datasets$/, module: './views/datasets.js' },
  { path: /^datasets\/([^/]+)$/, nav: 'datasets', module: './views/dataset.js' },
  { group: 'Work', label: 'Nodes', nav: 'nodes', path: /^nodes$/, module: './views/nodes.js' },
  { group: 'Market', label: 'Offers', nav: 'offers', path: /^offers$/, module: './views/market.js' },
  { group: 'Market', label: 'Demands', nav: 'demands', path: /^demands$/, module: './views/market.js' },
  { group: 'Market', label: 'Agreements', nav: 'agreements', path: /^agreements$/, module: './views/market.js' },
  { path: /^agreements\/([^/]+)$/, nav: 'agreements', module: './views/market.js' },
  { group: 'Market', label: 'Activities', nav: 'activities', path: /^activities$/, module: './views/activities.js' },
  { path: /^activities\/([^/]+)$/, nav: 'activities', module: './views/activities.js' },
  { group: 'Market', label: 'Payments', nav: 'payments', path: /^payments$/, module: './views/payments.js' },
  { group: 'Governance', label: 'Requests', nav: 'requests', path: /^requests$/, module: './views/requests.js' },
  { path: /^requests\/([^/]+)$/, nav: 'requests', module: './views/requests.js' },
  { group: 'Governance', label: 'Privacy budgets', nav: 'budgets', path: /^budgets$/, module: './views/budgets.js' },
  { group: 'Governance', label: 'Users', nav: 'users', path: /^users$/, module: './views/users.js' },
  { group: 'Governance', label: 'Roles', nav: 'roles', path: /^roles$/, module: './views/roles.js' },
  { group: 'Governance', label: 'Audit log', nav: 'audit', path: /^audit$/, module: './views/audit.js' },
  { group: 'Account', label: 'Settings', nav: 'settings', path: /^settings$/, module: './views/settings.js', public: true },
  { path: /^login$/, module: './views/login.js', public: true },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let current = null; // {controller} of the view on screen

/** The route after "#/", without its query. */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const q = hash.indexOf('?');
  return decodeURIComponent(q < 0 ? hash : hash.slice(0, q));
}

export function navigate(hash) {
  if (location.hash === hash) render(); else location.hash = hash;
}

/** Sends the user to the login page with a message, coming back to where they were afterwards. */
export function toLogin(message) {
  sessionStorage.setItem('fedgrid.loginMessage', message ?? '');
  const here = route();
  const next = here && here !== 'login' ? location.hash : '';
  location.hash = next ? `#/login?next=${encodeURIComponent(next)}` : '#/login';
}

function renderChrome(active) {
  const user = session.user();
  fill(who, session.token()
    ? [h('span', { class: 'user' }, user ? `${user.name}${user.role ? ` · ${user.role}` : ''}` : 'signed in'),
      h('button', { type: 'button', class: 'link', id: 'logout', onclick: () => { session.clear(); toLogin('You logged out.'); } }, 'Log out')]
    : []);
  const groups = new Map();
  for (const v of VIEWS.filter(v => v.label)) {
    if (!groups.has(v.group)) groups.set(v.group, []);
    groups.get(v.group).push(v);
  }
  fill(nav, [...groups].map(([group, views]) => h('div', { class: 'nav-group' },
    h('span', { class: 'nav-title' }, group),
    views.map(v => h('a', { href: `#/${v.nav}`, class: v.nav === active ? 'active' : null, 'aria-current': v.nav === active ? 'page' : null }, v.label)))));
}

async function render() {
  current?.controller.abort();
  const controller = new AbortController();
  current = { controller };
  const path = route();
  if (path === '') { location.replace('#/dashboard'); return; }
  const view = VIEWS.find(v => v.path.test(path));
  if (view && !view.public && !session.token()) { toLogin(''); return; }
  renderChrome(view?.nav);
  document.body.dataset.view = view?.nav ?? (path === 'login' ? 'login' : 'unknown');
  if (!view) {
    fill(main, errorBox(new Error(`There is no page #/${path}. Pick a view from the menu.`), 'open this page'));
    main.dataset.ready = path;
    return;
  }
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const module = await import(view.module);
    if (controller.signal.aborted) return;
    const params = path.match(view.path).slice(1);
    await module.render(main, params, { signal: controller.signal, navigate, toLogin, view: view.nav });
  } catch (e) {
    if (controller.signal.aborted || e?.name === 'AbortError') return;
    if (e instanceof ApiError && e.status === 401) return; // the unauthenticated handler moved on to the login page
    fill(main, errorBox(e, 'show this page'));
  }
  if (!controller.signal.aborted) main.dataset.ready = path;
}

window.addEventListener('fedgrid:unauthenticated', e => {
  toLogin(`Your session ended: ${e.detail.message} Log in again.`);
});
window.addEventListener('hashchange', () => { delete main.dataset.ready; render(); });
// Whatever escapes a view still ends up on the page, not only in the console.
window.addEventListener('unhandledrejection', e => {
  if (e.reason?.name === 'AbortError' || (e.reason instanceof ApiError && e.reason.status === 401)) return;
  main.prepend(errorBox(e.reason, 'finish an action'));
});
window.addEventListener('error', e => main.prepend(errorBox(e.error ?? e.message, 'finish an action')));

render();
