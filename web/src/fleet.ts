// Fleet: every VM with status, size, region, IP, age and entries in the last hour; lifecycle events
// update rows live. Create, power commands and delete (confirmed).
import { api, ApiError, stream } from './api';
import { age, h, toast } from './dom';

export interface Vm {
  name: string;
  status: string;
  size: string | null;
  vmSize: string;
  cpu: number;
  memoryGiB: number;
  region: string;
  publicIp: string | null;
  createdAt: string;
  provisioning: { step: string | null; error?: { message?: string } };
}

const COMMANDS = {
  start: ['stopped', 'deallocated'],
  stop: ['running'],
  restart: ['running'],
  deallocate: ['running', 'stopped'],
  redeploy: ['running', 'stopped'],
} as const;
const DELETABLE = ['running', 'stopped', 'deallocated', 'failed'];

async function listVms(): Promise<Vm[]> {
  const all: Vm[] = [];
  let path: string | null = '/vms?limit=100';
  while (path) {
    const page: { items: Vm[]; nextLink: string | null } = await api(path);
    all.push(...page.items);
    path = page.nextLink ? page.nextLink.replace(/^\/api/, '') : null;
  }
  return all;
}

export function renderFleet(view: HTMLElement, signal: AbortSignal): void {
  const tbody = h('tbody');
  const rows = new Map<string, HTMLTableRowElement>();
  const live = h('span', { class: 'live', 'data-testid': 'fleet-live' }, 'connecting…');
  const empty = h('p', { class: 'muted', hidden: true }, 'No VMs yet. Create one above.');

  const statusCell = (vm: Vm) =>
    h(
      'td',
      { 'data-col': 'status' },
      h('span', { class: `status s-${vm.status}` }, vm.status),
      ['queued', 'provisioning'].includes(vm.status) && vm.provisioning.step
        ? h('span', { class: 'step', 'data-testid': 'step' }, ` ${vm.provisioning.step}`)
        : null,
      vm.status === 'failed' && vm.provisioning.error?.message
        ? h('span', { class: 'step error' }, ` ${vm.provisioning.error.message}`)
        : null,
    );

  const command = async (vm: Vm, cmd: string) => {
    try {
      if (cmd === 'delete') {
        if (!confirm(`Delete VM ${vm.name} and its resource group?`)) return;
        await api(`/vms/${encodeURIComponent(vm.name)}`, { method: 'DELETE' });
      } else await api(`/vms/${encodeURIComponent(vm.name)}/${cmd}`, { method: 'POST' });
      toast(`${cmd} ${vm.name}: accepted`);
      await refresh(vm.name);
    } catch (e) {
      toast(`${cmd} ${vm.name}: ${(e as Error).message}`, 'error');
    }
  };

  const row = (vm: Vm) => {
    const actions = h('td', { class: 'actions' });
    for (const [cmd, from] of Object.entries(COMMANDS))
      if ((from as readonly string[]).includes(vm.status))
        actions.append(
          h('button', { type: 'button', class: 'secondary', onclick: () => void command(vm, cmd) }, cmd),
        );
    if (DELETABLE.includes(vm.status))
      actions.append(
        h('button', { type: 'button', class: 'danger', onclick: () => void command(vm, 'delete') }, 'delete'),
      );
    const entries = h('td', { class: 'num', 'data-col': 'entries' }, '…');
    const tr = h(
      'tr',
      { 'data-vm': vm.name },
      h('th', { scope: 'row' }, h('a', { href: `#/vm/${encodeURIComponent(vm.name)}` }, vm.name)),
      statusCell(vm),
      h(
        'td',
        {},
        vm.size ?? `${vm.cpu} vCPU / ${vm.memoryGiB} GiB`,
        h('span', { class: 'muted' }, ` ${vm.vmSize}`),
      ),
      h('td', {}, vm.region),
      h('td', { 'data-col': 'ip' }, vm.publicIp ?? '—'),
      h('td', { title: vm.createdAt, 'data-created': vm.createdAt }, age(vm.createdAt)),
      entries,
      actions,
    );
    return tr;
  };

  // Entries in the last hour: one stats read per VM, a few at a time, after the table is on screen.
  const counts: Vm[] = [];
  let counting = 0;
  const countNext = () => {
    while (counting < 6 && counts.length > 0) {
      const vm = counts.shift()!;
      counting++;
      api<{ total: number }>(`/vms/${encodeURIComponent(vm.name)}/journal/stats?since=-1h&bucket=1h`, {
        signal,
      })
        .then((s) => {
          const cell = rows.get(vm.name)?.querySelector('[data-col="entries"]');
          if (cell) cell.textContent = String(s.total);
        })
        .catch(() => undefined)
        .finally(() => {
          counting--;
          countNext();
        });
    }
  };

  const remove = (name: string) => {
    rows.get(name)?.remove();
    rows.delete(name);
    empty.hidden = rows.size > 0;
  };

  const put = (vm: Vm) => {
    if (vm.status === 'deleted') return remove(vm.name);
    const tr = row(vm);
    const old = rows.get(vm.name);
    if (old) {
      tr.querySelector('[data-col="entries"]')!.textContent =
        old.querySelector('[data-col="entries"]')!.textContent;
      old.replaceWith(tr);
    } else tbody.append(tr);
    rows.set(vm.name, tr);
    empty.hidden = rows.size > 0;
    return tr;
  };

  const refresh = async (name: string) => {
    try {
      put(await api<Vm>(`/vms/${encodeURIComponent(name)}`, { signal }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) remove(name);
    }
  };

  view.append(
    h('div', { class: 'bar' }, h('h2', {}, 'Fleet'), live),
    createForm((name) => void refresh(name)),
    h(
      'table',
      { class: 'fleet', 'aria-label': 'Virtual machines' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Status', 'Size', 'Region', 'IP', 'Age', 'Entries (1 h)', 'Actions'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      tbody,
    ),
    empty,
  );

  listVms()
    .then((vms) => {
      for (const vm of vms.sort((a, b) => a.name.localeCompare(b.name))) put(vm);
      counts.push(...vms);
      countNext();
      view.dataset.ready = 'true';
      performance.mark('vmj:fleet-rendered'); // bench/console.ts reads it
    })
    .catch((e: Error) => toast(`Listing VMs: ${e.message}`, 'error'));

  // Ages move on without events.
  const ticker = window.setInterval(() => {
    for (const td of tbody.querySelectorAll<HTMLElement>('td[data-created]'))
      td.textContent = age(td.dataset.created!);
  }, 10_000);
  signal.addEventListener('abort', () => window.clearInterval(ticker));

  void stream('/events?watch=true', signal, {
    onState: (s) => (live.textContent = s === 'open' ? 'live' : 'reconnecting…'),
    onError: (e) => (live.textContent = `live updates off: ${e.message}`),
    onEvent: (e) => {
      const ev = JSON.parse(e.data) as { subject?: string };
      if (ev.subject) void refresh(ev.subject);
    },
  });
}

function createForm(created: (name: string) => void): HTMLElement {
  const name = h('input', {
    id: 'new-name',
    name: 'name',
    required: true,
    pattern: '[a-z0-9]([a-z0-9\\-]{0,61}[a-z0-9])?',
    autocomplete: 'off',
  });
  const size = h(
    'select',
    { id: 'new-size', name: 'size' },
    ...['small', 'medium', 'large'].map((s) => h('option', { value: s }, s)),
    h('option', { value: 'custom' }, 'custom (cpu / memory)'),
  );
  const cpu = h('input', { id: 'new-cpu', type: 'number', min: 1, max: 416, value: 2 });
  const mem = h('input', { id: 'new-mem', type: 'number', min: 0.5, step: 0.5, value: 4 });
  const custom = h(
    'span',
    { class: 'custom', hidden: true },
    h('label', { for: 'new-cpu' }, 'vCPU'),
    cpu,
    h('label', { for: 'new-mem' }, 'Memory GiB'),
    mem,
  );
  size.addEventListener('change', () => (custom.hidden = size.value !== 'custom'));
  const key = h('textarea', {
    id: 'new-key',
    name: 'sshPublicKey',
    required: true,
    rows: 2,
    placeholder: 'ssh-ed25519 AAAA… user@host',
  });
  const submit = h('button', { type: 'submit' }, 'Create');
  const form = h(
    'form',
    { class: 'create', 'aria-label': 'Create a VM' },
    h('label', { for: 'new-name' }, 'Name'),
    name,
    h('label', { for: 'new-size' }, 'Size'),
    size,
    custom,
    h('label', { for: 'new-key' }, 'SSH public key'),
    key,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body: Record<string, unknown> = { name: name.value.trim(), sshPublicKey: key.value.trim() };
    if (size.value === 'custom')
      Object.assign(body, { cpu: Number(cpu.value), memoryGiB: Number(mem.value) });
    else body.size = size.value;
    submit.disabled = true;
    api<Vm>('/vms', { method: 'POST', body })
      .then((vm) => {
        toast(`Creating ${vm.name}`);
        name.value = '';
        created(vm.name);
      })
      .catch((e: Error) => toast(`Create: ${e.message}`, 'error'))
      .finally(() => (submit.disabled = false));
  });
  return h('details', { class: 'create-box' }, h('summary', {}, 'Create a VM'), form);
}
