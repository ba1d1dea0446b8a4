// Response bodies are JSON checked by assertions; `any` keeps the tests readable.
/* eslint-disable @typescript-eslint/no-explicit-any */
// Provisioning benchmark: 20 VMs at once through the real path (HTTP → queue → orchestration → ARM
// emulator with a fixed LRO delay), on the local runtime. Prints wall time over the ARM critical path
// (RG is synchronous; then network ∥ → NIC → VM: three LRO delays), ARM writes and polls per VM, and
// VMs per minute. Target: ratio ≤ 1.1, writes per VM ≤ resources created (6 requested, 7 with the disk).
// Runs twice by default: with the Durable engine dispatching at once (`queue_polling=none`, the figure the
// target applies to) and with it modelling the Azure Storage provider's queue polling (`model`: client
// messages and fired timers wait for the control queue's next poll, back-off up to host.json
// maxQueuePollingInterval), which is closer to what a provisioning takes on Azure.
// Usage: npm run bench:provision [-- --vms 20 --lro-ms 3000 --app-thread on|off --queue-polling both|none|model]
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { createParser } from 'eventsource-parser';

import { instanceIdFor } from '../lib/vms/names';
import { LocalRuntime } from '../local/runtime';
import { sshPublicKey } from '../test/arm/helpers';

const { values } = parseArgs({
  options: {
    vms: { type: 'string', default: '20' },
    'lro-ms': { type: 'string', default: '3000' },
    activities: { type: 'string' },
    'app-thread': { type: 'string', default: 'on' },
    'queue-polling': { type: 'string', default: 'both' },
  },
});
const VMS = Number(values.vms);
const LRO_MS = Number(values['lro-ms']);
const CRITICAL_PATH_MS = 3 * LRO_MS;

function armCall(endpoint: string, ca: string, method: string, path: string): Promise<any> {
  return new Promise((ok, fail) => {
    request(`${endpoint}${path}`, { ca, method }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => ok(text ? JSON.parse(text) : undefined));
    })
      .on('error', fail)
      .end();
  });
}

/** BENCH_DEBUG: when each kind of ARM request was answered (ms after the creates were sent). */
function printArmTimeline(ops: { method: string; path: string; at: string }[], t0Epoch: number): void {
  const groups = new Map<string, number[]>();
  for (const o of ops) {
    const path = o.path.split('?')[0]!;
    const kind = /\/operations\/|\/operationResults\//i.test(path)
      ? `${o.method} poll ${/Microsoft\.(\w+)/.exec(path)?.[1] ?? ''}`
      : `${o.method} ${/\/providers\/(Microsoft\.\w+\/\w+)/.exec(path)?.[1] ?? (path.includes('resourcegroups') ? 'resourceGroup' : path)}`;
    const list = groups.get(kind) ?? [];
    list.push(Date.parse(o.at) - t0Epoch);
    groups.set(kind, list);
  }
  for (const [kind, ts] of [...groups].sort((a, b) => Math.min(...a[1]) - Math.min(...b[1]))) {
    ts.sort((a, b) => a - b);
    const q = (f: number) => ts[Math.min(ts.length - 1, Math.floor(f * ts.length))]!.toFixed(0);
    console.log(
      `${kind.padEnd(50)} n=${String(ts.length).padStart(3)} first=${q(0)} p50=${q(0.5)} last=${q(1)}`,
    );
  }
}

/** BENCH_DEBUG: per orchestration milestone, when the VMs reached it (ms after the creates were sent). */
async function printMilestones(rt: LocalRuntime, names: string[], t0Epoch: number): Promise<void> {
  const engine = rt.durable?.engine;
  if (!engine) return;
  const at = new Map<string, number[]>();
  let episodes = 0;
  for (const name of names) {
    const record = await engine.getRecord(instanceIdFor(name, 1));
    const seen = new Map<string, number>();
    for (const e of record ? await engine.getHistory(record) : []) {
      const ev = e as unknown as { EventType: number; Timestamp: string; Name?: string };
      const base = ev.EventType === 0 ? 'started' : ev.EventType === 4 ? `scheduled ${ev.Name}` : '';
      if (ev.EventType === 1) seen.set('completed', Date.parse(ev.Timestamp));
      if (ev.EventType === 12) episodes++;
      if (!base) continue;
      let k = 1;
      while (seen.has(`${base}#${k}`)) k++;
      seen.set(`${base}#${k}`, Date.parse(ev.Timestamp));
    }
    for (const [k, t] of seen) at.set(k, [...(at.get(k) ?? []), t - t0Epoch]);
  }
  for (const [k, ts] of [...at].sort((a, b) => Math.min(...a[1]) - Math.min(...b[1]))) {
    ts.sort((a, b) => a - b);
    console.log(`${k.padEnd(32)} n=${ts.length} first=${ts[0]} p50=${ts[ts.length >> 1]} last=${ts.at(-1)}`);
  }
  console.log(`episodes_per_vm=${(episodes / names.length).toFixed(1)}`);
}

type Polling = 'none' | 'model';

/** Provisions the VMs once; prints the figures and returns the ratio to the critical path. */
async function measure(polling: Polling): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-provision-'));
  const rt = await LocalRuntime.start({
    appEntry: 'functions/index.ts',
    dataDir,
    durable: {
      ...(values.activities ? { maxConcurrentActivityFunctions: Number(values.activities) } : {}),
      queuePolling: polling,
    },
    arm: { lroMs: LRO_MS, publicIpDelayMs: LRO_MS },
    env: { COMMAND_QUEUE_NAME: 'vm-commands' },
    appThread: values['app-thread'] !== 'off',
    log: () => undefined,
  });
  try {
    const arm = rt.arm!;
    const key = sshPublicKey();
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${rt.baseUrl}${path}`, {
        method,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, body: (await r.json()) as any };
    };
    // Warm up outside the measurement (module loads, tables and queues created, the SKU cache, the
    // queue listener's backoff): one VM provisioned, then the emulator's operation record cleared.
    await api('POST', '/api/vms', { name: 'warmup', sshPublicKey: key });
    while ((await api('GET', '/api/vms/warmup')).body.status !== 'running')
      await new Promise((r) => setTimeout(r, 100));
    await armCall(arm.endpoint, arm.caPem, 'DELETE', '/_emulator/operations');
    const names = Array.from({ length: VMS }, (_, i) => `bench${i}`);
    // Completion is observed through the lifecycle event watch (SSE: pushed as the record is written),
    // not by polling the list, which would load the one machine that runs everything.
    const watching = new AbortController();
    const doneAt = new Map<string, number>();
    let allRunning!: () => void;
    let failed!: (e: Error) => void;
    const finished = new Promise<void>((ok, fail) => ((allRunning = ok), (failed = fail)));
    const parser = createParser({
      onEvent: (e) => {
        const ev = JSON.parse(e.data) as { type: string; subject: string; data: unknown };
        if (!names.includes(ev.subject)) return;
        if (ev.type === 'vmjournal.vm.failed') failed(new Error(`${ev.subject} failed: ${e.data}`));
        if (ev.type === 'vmjournal.vm.running' && !doneAt.has(ev.subject)) {
          doneAt.set(ev.subject, performance.now());
          if (doneAt.size === VMS) allRunning();
        }
      },
    });
    const watch = await fetch(`${rt.baseUrl}/api/events?watch=true`, { signal: watching.signal });
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of watch.body as AsyncIterable<Uint8Array>)
        parser.feed(decoder.decode(chunk, { stream: true }));
    })().catch(() => undefined);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const answered: number[] = [];
    const created = await Promise.all(
      names.map((name) =>
        api('POST', '/api/vms', { name, sshPublicKey: key }).finally(() =>
          answered.push(performance.now() - t0),
        ),
      ),
    );
    if (process.env.BENCH_DEBUG)
      console.log(`creates answered: first=${answered[0]!.toFixed(0)} last=${answered.at(-1)!.toFixed(0)}`);
    if (created.some((c) => c.status !== 202))
      throw new Error(`create failed: ${JSON.stringify(created[0])}`);
    // A VM whose event never comes fails the run instead of hanging it.
    const deadline = setTimeout(() => {
      const missing = names.filter((n) => !doneAt.has(n));
      failed(new Error(`no running event within ${10 * CRITICAL_PATH_MS} ms for: ${missing.join(', ')}`));
    }, 10 * CRITICAL_PATH_MS);
    await finished.finally(() => clearTimeout(deadline));
    watching.abort();
    const listed = (await api('GET', '/api/vms?limit=1000')).body.items as { name: string; status: string }[];
    const notRunning = listed.filter((v) => names.includes(v.name) && v.status !== 'running');
    if (notRunning.length) throw new Error(`not running after their event: ${JSON.stringify(notRunning)}`);
    const wallMs = Math.max(...doneAt.values()) - t0;
    const cpu = process.cpuUsage(cpu0);
    if (process.env.BENCH_DEBUG) await printMilestones(rt, names, Date.now() - (performance.now() - t0));
    const ops: { method: string; path: string; at: string; linked?: boolean }[] = (
      await armCall(arm.endpoint, arm.caPem, 'GET', '/_emulator/operations')
    ).value;
    const direct = ops.filter((o) => !o.linked);
    if (process.env.BENCH_DEBUG) printArmTimeline(direct, Date.now() - (performance.now() - t0));
    const writes = direct.filter((o) => o.method !== 'GET' && o.method !== 'HEAD').length;
    const polls = direct.filter(
      (o) => o.method === 'GET' && /\/operations\/|\/operationResults\/|\/operationresults\//i.test(o.path),
    ).length;
    const reads = direct.filter((o) => o.method === 'GET').length;
    const ratio = wallMs / CRITICAL_PATH_MS;
    const maxPolling = rt.durable?.engine?.queuePolling?.maxIntervalMs;
    console.log(
      `queue_polling=${polling}${maxPolling ? ` max_queue_polling_ms=${maxPolling}` : ''} vms=${VMS} lro_ms=${LRO_MS} critical_path_ms=${CRITICAL_PATH_MS} wall_ms=${wallMs.toFixed(0)}`,
    );
    console.log(`arm_writes=${writes} arm_polls=${polls} arm_reads_total=${reads}`);
    // CPU of this process (app, host, Durable engine, ARM emulator; Azurite runs apart) while the VMs
    // were provisioned: the work behind the overhead, steadier than wall time on a busy machine.
    console.log(`runtime_cpu_ms_per_vm=${((cpu.user + cpu.system) / 1000 / VMS).toFixed(1)}`);
    console.log(`provisioned_vms_per_minute=${((VMS * 60_000) / wallMs).toFixed(1)}`);
    console.log(
      `provision_over_critical_path=${ratio.toFixed(3)} arm_writes_per_vm=${(writes / VMS).toFixed(2)} arm_polls_per_vm=${(polls / VMS).toFixed(2)}`,
    );
    return ratio;
  } finally {
    await rt.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const mode = values['queue-polling'];
  const modes: Polling[] | undefined =
    mode === 'both' ? ['none', 'model'] : mode === 'none' || mode === 'model' ? [mode] : undefined;
  if (!modes) throw new Error(`--queue-polling must be both, none or model (got ${mode})`);
  const ratios = new Map<Polling, number>();
  for (const polling of modes) {
    ratios.set(polling, await measure(polling));
  }
  if (ratios.size === 2) {
    const none = ratios.get('none')!;
    const model = ratios.get('model')!;
    console.log(
      `provision_over_critical_path: no_polling_delay=${none.toFixed(3)} (target <= 1.1) modelled_polling_delay=${model.toFixed(3)} (+${((model - none) * CRITICAL_PATH_MS).toFixed(0)} ms)`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
