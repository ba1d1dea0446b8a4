// One VM: volume charts, the journal with journalctl's filters (newest first, infinite scroll over the
// API's nextLink cursors), expandable rows with every field, and a live tail over SSE.
import { api, stream } from './api';
import { drawChart, PRIORITY_NAMES, seriesLabel, type Stats } from './chart';
import { h, toast } from './dom';

interface Entry {
  offset: string;
  time: string;
  unit: string;
  priority: number | null;
  identifier: string | null;
  pid: number | null;
  hostname: string | null;
  message: string | null;
  fields: Record<string, string | string[]>;
  binaryFields: string[];
}

const RANGES = {
  '1h': ['-1h', '1m'],
  '6h': ['-6h', '1m'],
  '24h': ['-24h', '1m'],
  '7d': ['-7d', '1h'],
} as const;

export function renderVm(view: HTMLElement, name: string, signal: AbortSignal): void {
  const vmPath = `/vms/${encodeURIComponent(name)}`;
  const status = h('span', { class: 'status' });
  api<{ status: string }>(vmPath, { signal })
    .then((vm) => {
      status.textContent = vm.status;
      status.className = `status s-${vm.status}`;
    })
    .catch((e: Error) => toast(e.message, 'error'));

  // ---- charts
  const range = h(
    'select',
    { id: 'chart-range', 'aria-label': 'Chart range' },
    ...Object.keys(RANGES).map((r) => h('option', { value: r }, `last ${r}`)),
  );
  const priorityChart = h('div', { class: 'chart', 'data-testid': 'chart-priority' });
  const unitChart = h('div', { class: 'chart', 'data-testid': 'chart-unit' });
  const chartTotal = h('span', { 'data-testid': 'chart-total' });
  const chartUnit = h('span', {}, 'minute');
  const topUnits = h('ol', { class: 'top-units', 'data-testid': 'top-units' });
  let charts: { destroy(): void }[] = [];
  const loadCharts = async () => {
    const [since, bucket] = RANGES[range.value as keyof typeof RANGES];
    const get = (by: string) =>
      api<Stats>(`${vmPath}/journal/stats?since=${since}&bucket=${bucket}&by=${by}`, { signal });
    const [byPriority, byUnit] = await Promise.all([get('priority'), get('unit')]);
    charts.forEach((c) => c.destroy());
    const width = Math.max(320, Math.min(1100, view.clientWidth - 40));
    charts = [drawChart(priorityChart, byPriority, width), drawChart(unitChart, byUnit, width)];
    chartTotal.textContent = String(byPriority.total);
    chartUnit.textContent = bucket === '1m' ? 'minute' : 'hour';
    topUnits.replaceChildren(
      ...byUnit.series
        .slice(0, 10)
        .map((s) =>
          h(
            'li',
            { 'data-unit': s.key },
            h('span', {}, seriesLabel('unit', s.key)),
            ' ',
            h('b', {}, String(s.total)),
          ),
        ),
    );
    priorityChart.dataset.ready = unitChart.dataset.ready = 'true';
  };
  range.addEventListener('change', () => void loadCharts().catch((e: Error) => toast(e.message, 'error')));
  signal.addEventListener('abort', () => charts.forEach((c) => c.destroy()));

  // ---- filters
  const units = h('select', { id: 'f-units', multiple: true, size: 4, 'aria-label': 'Units' });
  const boot = h(
    'select',
    { id: 'f-boot', 'aria-label': 'Boot' },
    h('option', { value: 'all' }, 'all boots'),
  );
  const prioOpt = (sel: number) =>
    PRIORITY_NAMES.map((p, i) => h('option', { value: String(i), selected: i === sel }, `${i} ${p}`));
  const pFrom = h('select', { id: 'f-pfrom', 'aria-label': 'Priority from' }, ...prioOpt(0));
  const pTo = h('select', { id: 'f-pto', 'aria-label': 'Priority to' }, ...prioOpt(7));
  const since = h('input', {
    id: 'f-since',
    placeholder: '-1h or 2024-05-01T12:00:00Z',
    'aria-label': 'Since',
  });
  const until = h('input', { id: 'f-until', placeholder: 'now', 'aria-label': 'Until' });
  const grep = h('input', { id: 'f-grep', type: 'search', placeholder: 'text', 'aria-label': 'Text' });
  const follow = h('input', { id: 'f-follow', type: 'checkbox' });
  const tailState = h('span', { class: 'live', 'data-testid': 'tail-state' });
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': 'Journal filters' },
    h('label', {}, 'Units', units),
    h('label', {}, 'Boot', boot),
    h('label', {}, 'Priority', pFrom, '..', pTo),
    h('label', {}, 'Since', since),
    h('label', {}, 'Until', until),
    h('label', {}, 'Text', grep),
    h('button', { type: 'submit' }, 'Apply'),
    h('label', { class: 'toggle' }, follow, 'Live tail'),
    tailState,
  );
  api<{ items: { unit: string; count: number }[] }>(`${vmPath}/units`, { signal })
    .then((r) =>
      units.append(...r.items.map((u) => h('option', { value: u.unit }, `${u.unit} (${u.count})`))),
    )
    .catch(() => undefined);
  api<{ items: { index: number; bootId: string; first: string }[] }>(`${vmPath}/boots`, { signal })
    .then((r) =>
      boot.append(
        ...[...r.items].reverse().map((b) => h('option', { value: b.bootId }, `${b.index} ${b.first}`)),
      ),
    )
    .catch(() => undefined);

  // ---- journal list
  const list = h('ol', { class: 'journal', 'aria-label': 'Journal entries', 'data-testid': 'journal' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load older');
  const sentinel = h('div', { class: 'sentinel' });
  let next: string | null = null;
  let loading = false;
  let generation = 0;
  let tail: AbortController | undefined;

  const params = () => {
    const q = new URLSearchParams();
    for (const o of units.selectedOptions) q.append('unit', o.value);
    if (boot.value !== 'all') q.set('boot', boot.value);
    if (pTo.value !== '7') q.set('priority', pTo.value);
    if (since.value.trim()) q.set('since', since.value.trim());
    if (until.value.trim()) q.set('until', until.value.trim());
    if (grep.value.trim()) q.set('grep', grep.value.trim());
    return q;
  };
  // The API filters priority ≤ to; the lower end of the range is applied here.
  const wanted = (e: Entry) => e.priority === null || e.priority >= Number(pFrom.value);

  const loadPage = async () => {
    if (loading || next === null) return;
    loading = true;
    const gen = generation;
    try {
      const page = await api<{ items: Entry[]; nextLink: string | null }>(next, { signal });
      if (gen !== generation) return;
      list.append(...page.items.filter(wanted).map(entryRow));
      next = page.nextLink ? page.nextLink.replace(/^\/api/, '') : null;
      more.hidden = next === null;
      list.dataset.ready = 'true';
    } catch (e) {
      toast((e as Error).message, 'error');
    } finally {
      loading = false;
    }
    // Keep going while the sentinel is still on screen (a short page, or rows filtered out here).
    if (next !== null && sentinel.getBoundingClientRect().top < window.innerHeight) void loadPage();
  };

  const startTail = () => {
    tail?.abort();
    tailState.textContent = '';
    if (!follow.checked) return;
    tail = new AbortController();
    const q = params();
    q.delete('until');
    q.set('follow', 'true');
    const newest = list.querySelector<HTMLElement>('li[data-offset]')?.dataset.offset;
    if (newest) q.set('after', newest);
    else q.set('limit', '1');
    void stream(`${vmPath}/journal?${q.toString()}`, tail.signal, {
      onState: (s) => (tailState.textContent = s === 'open' ? 'following' : 'reconnecting…'),
      onError: (e) => (tailState.textContent = `tail stopped: ${e.message}`),
      onEvent: (ev) => {
        const e = JSON.parse(ev.data) as Entry;
        if (!wanted(e) || list.querySelector(`li[data-offset="${CSS.escape(e.offset)}"]`)) return;
        const row = entryRow(e);
        row.classList.add('new');
        list.prepend(row);
      },
    });
  };

  const reload = () => {
    generation++;
    loading = false;
    list.replaceChildren();
    delete list.dataset.ready;
    const q = params();
    q.set('order', 'desc');
    q.set('limit', '100');
    next = `${vmPath}/journal?${q.toString()}`;
    void loadPage().then(startTail);
  };
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    reload();
  });
  follow.addEventListener('change', startTail);
  signal.addEventListener('abort', () => tail?.abort());
  more.addEventListener('click', () => void loadPage());
  const io = new IntersectionObserver((es) => es.some((e) => e.isIntersecting) && void loadPage());
  io.observe(sentinel);
  signal.addEventListener('abort', () => io.disconnect());

  view.append(
    h('div', { class: 'bar' }, h('h2', {}, h('a', { href: '#/fleet' }, 'Fleet'), ' / ', name), status),
    h(
      'section',
      { class: 'charts', 'aria-label': 'Journal volume' },
      h('div', { class: 'bar' }, h('h3', {}, 'Entries per ', chartUnit, ' — total ', chartTotal), range),
      h('h4', {}, 'By priority'),
      priorityChart,
      h('h4', {}, 'By unit'),
      unitChart,
      h('h4', {}, 'Top units'),
      topUnits,
    ),
    h('section', { 'aria-label': 'Journal' }, h('h3', {}, 'Journal'), filters, list, sentinel, more),
  );
  void loadCharts().catch((e: Error) => toast(e.message, 'error'));
  reload();
}

const fmtTime = (iso: string) => iso.replace('T', ' ').replace('Z', '');

/** One entry: a collapsed journalctl-like line; Enter / click shows every field. */
function entryRow(e: Entry): HTMLLIElement {
  const p = e.priority ?? 6;
  const source = `${e.identifier ?? e.unit}${e.pid !== null ? `[${e.pid}]` : ''}`;
  const line = h(
    'button',
    { type: 'button', class: 'line', 'aria-expanded': 'false' },
    h('time', { datetime: e.time }, fmtTime(e.time)),
    ' ',
    h('span', { class: 'src' }, source),
    ': ',
    h('span', { class: 'msg' }, e.message ?? ''),
  );
  const li = h(
    'li',
    { class: `p${p}`, 'data-offset': e.offset, 'data-unit': e.unit, 'data-priority': String(p) },
    line,
  );
  line.addEventListener('click', () => {
    const open = li.querySelector('dl');
    if (open) {
      open.remove();
      line.setAttribute('aria-expanded', 'false');
      return;
    }
    li.append(fieldList(e));
    line.setAttribute('aria-expanded', 'true');
  });
  return li;
}

function fieldList(e: Entry): HTMLDListElement {
  const dl = h('dl', { class: 'fields' });
  for (const name of Object.keys(e.fields).sort()) {
    const v = e.fields[name]!;
    const binary = e.binaryFields.includes(name);
    const values = Array.isArray(v) ? v : [v];
    dl.append(
      h('dt', {}, name, binary ? h('span', { class: 'muted' }, ' (base64)') : null),
      h('dd', {}, values.length > 1 ? h('ul', {}, ...values.map((x) => h('li', {}, x))) : (values[0] ?? '')),
    );
  }
  return dl;
}
