// Lifecycle events: the latest, filtered by VM and type, with new ones added live.
import { api, stream } from './api';
import { h, toast } from './dom';

interface CloudEvent {
  id: string;
  type: string;
  subject?: string;
  time?: string;
  data?: Record<string, unknown>;
}

export function renderEvents(view: HTMLElement, signal: AbortSignal): void {
  const vm = h('input', { id: 'ev-vm', type: 'search', placeholder: 'VM name', 'aria-label': 'VM' });
  const type = h('select', { id: 'ev-type', 'aria-label': 'Type' }, h('option', { value: '' }, 'all types'));
  const live = h('span', { class: 'live', 'data-testid': 'events-live' });
  const tbody = h('tbody');
  const types = new Set<string>();
  const shown = (e: CloudEvent) =>
    (!vm.value.trim() || (e.subject ?? '').includes(vm.value.trim())) &&
    (!type.value || e.type === type.value);
  const row = (e: CloudEvent) => {
    if (!types.has(e.type)) {
      types.add(e.type);
      type.append(h('option', { value: e.type }, e.type.replace(/^vmjournal\.vm\./, '')));
    }
    const tr = h(
      'tr',
      { 'data-id': e.id },
      h('td', {}, (e.time ?? '').replace('T', ' ').replace('Z', '')),
      h('td', {}, e.type.replace(/^vmjournal\.vm\./, '')),
      h('td', {}, e.subject ? h('a', { href: `#/vm/${encodeURIComponent(e.subject)}` }, e.subject) : ''),
      h('td', { class: 'data' }, e.data ? JSON.stringify(e.data) : ''),
    );
    tr.hidden = !shown(e);
    return tr;
  };
  const events: CloudEvent[] = [];
  const refilter = () =>
    tbody.querySelectorAll('tr').forEach((tr, i) => (tr.hidden = !shown(events[events.length - 1 - i]!)));
  vm.addEventListener('input', refilter);
  type.addEventListener('change', refilter);

  view.append(
    h('div', { class: 'bar' }, h('h2', {}, 'Events'), live),
    h(
      'form',
      { class: 'filters', 'aria-label': 'Event filters', onsubmit: (ev: Event) => ev.preventDefault() },
      h('label', {}, 'VM', vm),
      h('label', {}, 'Type', type),
    ),
    h(
      'table',
      { class: 'events', 'aria-label': 'Lifecycle events' },
      h('thead', {}, h('tr', {}, ...['Time', 'Type', 'VM', 'Data'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody,
    ),
  );
  api<CloudEvent[]>('/events?limit=200', { signal })
    .then((list) => {
      events.push(...list);
      tbody.append(...[...list].reverse().map(row));
      // An empty log: watch from its start, or an event appended before the watch connects is missed.
      const last = list.at(-1)?.id ?? '0000000000000-000000-000000';
      void stream(`/events?watch=true&after=${last}`, signal, {
        onState: (s) => (live.textContent = s === 'open' ? 'live' : 'reconnecting…'),
        onError: (e) => (live.textContent = `live updates off: ${e.message}`),
        onEvent: (m) => {
          const e = JSON.parse(m.data) as CloudEvent;
          if (events.some((x) => x.id === e.id)) return;
          events.push(e);
          tbody.prepend(row(e));
        },
      });
    })
    .catch((e: Error) => toast(e.message, 'error'));
}
