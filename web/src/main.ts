// The console's entry: the function key dialog and a hash router (#/fleet, #/vm/<name>, #/events).
// Each view gets an AbortSignal that ends its live streams when the user navigates away.
import './style.css';

import { getKey, setKey } from './api';
import { h } from './dom';
import { renderEvents } from './events';
import { renderFleet } from './fleet';
import { renderVm } from './vm';

let current: AbortController | undefined;

function route(): void {
  current?.abort();
  current = new AbortController();
  const view = document.getElementById('view')!;
  view.replaceChildren();
  const hash = location.hash || '#/fleet';
  const vm = /^#\/vm\/([^/]+)$/.exec(hash);
  const name = hash.startsWith('#/events') ? 'events' : vm ? 'vm' : 'fleet';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]'))
    a.toggleAttribute('aria-current', a.dataset.nav === name);
  if (name === 'events') renderEvents(view, current.signal);
  else if (vm) renderVm(view, decodeURIComponent(vm[1]!), current.signal);
  else renderFleet(view, current.signal);
}

/** Asks for the function key (empty is allowed: the local runtime needs none unless keys are set). */
function askKey(): void {
  const input = h('input', {
    type: 'password',
    id: 'key-input',
    autocomplete: 'off',
    'aria-describedby': 'key-help',
  });
  input.value = getKey();
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'key-title' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'key-title' }, 'Function key'),
      h(
        'p',
        { id: 'key-help' },
        'Kept in this tab only (sessionStorage) and sent in the x-functions-key header. Leave empty for a local runtime without keys, or behind App Service Authentication.',
      ),
      h('label', { for: 'key-input' }, 'Key'),
      input,
      h('div', { class: 'actions' }, h('button', { type: 'submit', value: 'save' }, 'Save')),
    ),
  );
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'save') setKey(input.value.trim());
    dialog.remove();
    route();
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

document.getElementById('key-button')!.addEventListener('click', askKey);
window.addEventListener('hashchange', route);
// The first visit in a tab asks for the key before any API call (the dialog's close routes).
if (sessionStorage.getItem('vmj.functionKey') === null) askKey();
else route();
