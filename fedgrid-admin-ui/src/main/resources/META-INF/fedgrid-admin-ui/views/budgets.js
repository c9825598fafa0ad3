// Privacy budgets: ε (and δ) per user per dataset, how much is spent and reserved; set by someone
// with can_manage_privacy_budget.
import { api } from '../api.js';
import { h, fill, heading, section, errorBox, table, num, time } from '../ui.js';

export async function render(main, _params, { signal, navigate }) {
  const list = h('section', { class: 'panel', id: 'budgets-list' });
  const notes = h('div', { id: 'budgets-notes', 'aria-live': 'polite' });
  const user = h('input', { name: 'user', required: true, placeholder: 'user' });
  const dataset = h('input', { name: 'dataset', required: true, placeholder: 'dataset id (ds_…)' });
  const epsilon = h('input', { name: 'epsilon', type: 'number', min: 0, step: 'any', required: true, placeholder: 'ε' });
  const delta = h('input', { name: 'delta', type: 'number', min: 0, max: 0.1, step: 'any', placeholder: 'δ (default 1e-5)' });
  const form = h('form', { class: 'inline-form', id: 'budget-set', onsubmit: async e => {
    e.preventDefault();
    try {
      await api(`/budgets/${encodeURIComponent(user.value.trim())}/${encodeURIComponent(dataset.value.trim())}`, {
        method: 'PUT', body: { epsilon: Number(epsilon.value), ...(delta.value ? { delta: Number(delta.value) } : {}) } });
      navigate(location.hash);
    } catch (err) {
      fill(notes, errorBox(err, 'set the budget'));
    }
  } }, user, dataset, epsilon, delta, h('button', { type: 'submit' }, 'Set budget'));
  fill(main, heading('Privacy budgets'), notes, list, h('h2', {}, 'Set a budget'), form);
  await section(list, 'Privacy budgets', 'list the privacy budgets', async () => {
    const { items } = await api('/budgets', { signal });
    return table([
      { label: 'User', cell: b => b.user },
      { label: 'Dataset', cell: b => h('a', { href: `#/datasets/${b.dataset}` }, b.dataset) },
      { label: 'ε', class: 'num', cell: b => num(b.epsilon, 3) },
      { label: 'δ', class: 'num', cell: b => (b.delta ? b.delta.toExponential(1) : '') },
      { label: 'Spent', class: 'num', cell: b => num(b.spent, 3) },
      { label: 'Reserved', class: 'num', cell: b => num(b.reserved, 3) },
      { label: 'Remaining', class: 'num', cell: b => num(b.remaining, 3) },
      { label: 'Use', cell: b => meter(b) },
      { label: 'Set by', cell: b => (b.updatedBy ? `${b.updatedBy}, ${time(b.updatedAt)}` : '') },
    ], items, 'No budgets set: DP jobs on private datasets are refused until a budget is set.');
  });
}

function meter(b) {
  const used = b.epsilon > 0 ? Math.min(1, (b.spent + b.reserved) / b.epsilon) : 0;
  return h('span', { class: 'meter', title: `${Math.round(used * 100)} % used or reserved` },
    h('span', { style: `width:${(used * 100).toFixed(1)}%`, class: used > 0.9 ? 'high' : null }));
}
