// Response bodies are JSON checked by assertions; `any` keeps the tests readable.
/* eslint-disable @typescript-eslint/no-explicit-any */
// Provisioning benchmark: 20 VMs at once through the real path (HTTP → queue → orchestration → ARM
// emulator with a fixed LRO delay), on the local runtime. Prints wall time over the ARM critical path
// (RG is synchronous; then network ∥ → NIC → VM: three LRO delays), ARM writes and polls per VM, and
// VMs per minute. Target: ratio ≤ 1.1, writes per VM ≤ resources created (6 requested, 7 with the disk).
// Usage: npm run bench:provision [-- --vms 20 --lro-ms 3000]
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { LocalRuntime } from '../local/runtime';

const { values } = parseArgs({
  options: {
    vms: { type: 'string', default: '20' },
    'lro-ms': { type: 'string', default: '3000' },
    activities: { type: 'string' },
  },
});
const VMS = Number(values.vms);
const LRO_MS = Number(values['lro-ms']);
const CRITICAL_PATH_MS = 3 * LRO_MS;

function sshKey(): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} bench`;
}

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

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-provision-'));
  const rt = await LocalRuntime.start({
    appEntry: 'functions/index.ts',
    dataDir,
    durable: values.activities ? { maxConcurrentActivityFunctions: Number(values.activities) } : {},
    arm: { lroMs: LRO_MS, publicIpDelayMs: LRO_MS },
    env: { COMMAND_QUEUE_NAME: 'vm-commands' },
    log: () => undefined,
  });
  try {
    const arm = rt.arm!;
    const key = sshKey();
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
    const t0 = performance.now();
    const created = await Promise.all(
      names.map((name) => api('POST', '/api/vms', { name, sshPublicKey: key })),
    );
    if (created.some((c) => c.status !== 202))
      throw new Error(`create failed: ${JSON.stringify(created[0])}`);
    const doneAt = new Map<string, number>();
    while (doneAt.size < VMS) {
      const page = await api('GET', '/api/vms?limit=1000');
      for (const vm of page.body.items as { name: string; status: string; provisioning: unknown }[]) {
        if (vm.name === 'warmup') continue;
        if (vm.status === 'failed') throw new Error(`${vm.name} failed: ${JSON.stringify(vm.provisioning)}`);
        if (vm.status === 'running' && !doneAt.has(vm.name)) doneAt.set(vm.name, performance.now());
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const wallMs = Math.max(...doneAt.values()) - t0;
    if (process.env.BENCH_DEBUG) {
      const one = await api('GET', `/api/vms/${[...doneAt].sort((a, b) => b[1] - a[1])[0]![0]}`);
      console.log(
        new Date(Date.now() - (performance.now() - t0)).toISOString(),
        JSON.stringify(one.body.provisioning.steps, null, 1),
      );
    }
    const ops: { method: string; path: string; linked?: boolean }[] = (
      await armCall(arm.endpoint, arm.caPem, 'GET', '/_emulator/operations')
    ).value;
    const direct = ops.filter((o) => !o.linked);
    const writes = direct.filter((o) => o.method !== 'GET' && o.method !== 'HEAD').length;
    const polls = direct.filter(
      (o) => o.method === 'GET' && /\/operations\/|\/operationResults\/|\/operationresults\//i.test(o.path),
    ).length;
    const reads = direct.filter((o) => o.method === 'GET').length;
    const ratio = wallMs / CRITICAL_PATH_MS;
    console.log(
      `vms=${VMS} lro_ms=${LRO_MS} critical_path_ms=${CRITICAL_PATH_MS} wall_ms=${wallMs.toFixed(0)}`,
    );
    console.log(`arm_writes=${writes} arm_polls=${polls} arm_reads_total=${reads}`);
    console.log(`provisioned_vms_per_minute=${((VMS * 60_000) / wallMs).toFixed(1)}`);
    console.log(
      `provision_over_critical_path=${ratio.toFixed(3)} arm_writes_per_vm=${(writes / VMS).toFixed(2)} arm_polls_per_vm=${(polls / VMS).toFixed(2)}`,
    );
  } finally {
    await rt.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
