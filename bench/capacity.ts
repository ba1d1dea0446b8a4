// Capacity figures for docs/capacity.md (npm run bench:capacity; run it under `flock /tmp/bench.lock`).
// The load of the VM agent at a steady rate, not bulk bodies: BENCH_VMS streams (default 40), one per
// VM, each a chunked POST /api/vms/{name}/journal?stream=true that receives one gzip member of
// BENCH_RATE entries (default 10, over 4 units) every second for BENCH_SECONDS (default 30 = the agent's
// VMJ_STREAM_SECONDS, FLUSH_DELAY 1 s: infra/vm/README.md). Printed:
//  - CPU ms per 1,000 entries of this process (the app on its own thread, the host stand-in, and the
//    streams' client side, so an upper bound for the app) and of Azurite (apart);
//  - Table transactions per chunk, through ingestBody (the handler's code path), for a chunk of
//    BENCH_RATE entries over 1, 4 and 10 units: what one stored chunk costs on Azure.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { rotateIngestToken } from '../lib/ingest-token';
import { ingestBody } from '../lib/journal/ingest';
import type { Services } from '../lib/services';
import { LocalRuntime } from '../local/runtime';
import { testServices } from '../test/helpers/services';
import { openStream } from '../test/journal/helpers';

/** The app's Services on the runtime's storage (for the tokens it mints). */
let services: Services;

const VMS = Number(process.env.BENCH_VMS ?? 40);
const RATE = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const UNITS = ['sshd.service', 'cron.service', 'systemd-journald.service', 'vm-journal-agent.service'];

function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

const entry = (vm: string, i: number, units: string[]) =>
  JSON.stringify({
    __CURSOR: `s=${vm};i=${i.toString(16)};b=${'ab'.repeat(16)}`,
    __REALTIME_TIMESTAMP: String(Date.now() * 1000 + (i % 1000)),
    __MONOTONIC_TIMESTAMP: String(i),
    _BOOT_ID: 'ab'.repeat(16),
    _SYSTEMD_UNIT: units[i % units.length],
    PRIORITY: '6',
    MESSAGE: `bench entry ${i} of ${vm}: a line of ordinary length for a service log message`,
  });

/** One VM's stream: a gzip member of RATE entries every second, then the answer. */
function stream(baseUrl: string, vm: string, token: string): Promise<{ status: number; body: string }> {
  const s = openStream(`${baseUrl}/api/vms/${vm}/journal?stream=true`, token);
  let n = 0;
  let second = 0;
  const tick = () => {
    const lines = Array.from({ length: RATE }, () => entry(vm, n++, UNITS));
    void s.send(gzipSync(`${lines.join('\n')}\n`)).catch(() => undefined); // a failure shows in the answer
    if (++second >= SECONDS) void s.end();
    else setTimeout(tick, 1000);
  };
  // Spread the streams over the first second, as independent agents would be.
  setTimeout(tick, Math.random() * 1000);
  return s.answer;
}

async function transactionsPerChunk(units: number): Promise<number> {
  const vm = `bench-tx-${units}`;
  const body = Array.from({ length: RATE }, (_, i) =>
    entry(vm, i, UNITS.concat(Array.from({ length: 10 }, (_, k) => `extra${k}.service`)).slice(0, units)),
  ).join('\n');
  const r = await ingestBody(services, vm, once(Buffer.from(body)), {
    format: 'json',
    gzip: false,
    mode: 'streaming',
  });
  return r.transactions;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a one-chunk body stream
async function* once(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-capacity-'));
  const rt = await LocalRuntime.start({
    dataDir: dir,
    log: (l) => {
      if (/error/i.test(l.level)) console.error(JSON.stringify(l).slice(0, 1500));
    },
  });
  try {
    services = testServices(rt.storageConnectionString);
    const vms = Array.from({ length: VMS }, (_, i) => `cap-${i}`);
    const tokens = await Promise.all(vms.map((vm) => rotateIngestToken(services, vm)));
    // Warm-up: tables of the day and the app's code paths.
    await stream(rt.baseUrl, 'cap-warm', await rotateIngestToken(services, 'cap-warm')).catch(
      () => undefined,
    );
    const az0 = cpuMs(rt.azurite.pid);
    const own0 = process.cpuUsage();
    const started = performance.now();
    const answers = await Promise.all(vms.map((vm, i) => stream(rt.baseUrl, vm, tokens[i]!)));
    const wallMs = performance.now() - started;
    const own = process.cpuUsage(own0);
    const azMs = cpuMs(rt.azurite.pid) - az0;
    const bad = answers.filter((a) => a.status !== 200);
    if (bad.length) throw new Error(`${bad.length} streams failed: ${bad[0]!.status} ${bad[0]!.body}`);
    const accepted = answers.reduce((n, a) => n + (JSON.parse(a.body) as { accepted: number }).accepted, 0);
    const ownMs = (own.user + own.system) / 1000;
    const tx = {
      u1: await transactionsPerChunk(1),
      u4: await transactionsPerChunk(4),
      u10: await transactionsPerChunk(10),
    };
    console.log(
      JSON.stringify(
        {
          vms: VMS,
          rate_per_vm: RATE,
          seconds: SECONDS,
          entries: accepted,
          entries_per_s: Math.round(accepted / (wallMs / 1000)),
          cpu_ms_per_1000_entries: {
            process: Math.round((ownMs * 1000) / accepted),
            azurite: Math.round((azMs * 1000) / accepted),
          },
          cpu_cores_busy: { process: +(ownMs / wallMs).toFixed(2), azurite: +(azMs / wallMs).toFixed(2) },
          transactions_per_chunk: tx,
        },
        null,
        2,
      ),
    );
    console.log(
      `cpu_ms_per_1000=${Math.round((ownMs * 1000) / accepted)} tx_per_chunk_u1=${tx.u1} tx_per_chunk_u4=${tx.u4} tx_per_chunk_u10=${tx.u10}`,
    );
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
