// Ingest benchmark (npm run bench:ingest). Why it is shaped this way: lib/journal/README.md, "Benchmark".
//
// Part 1, ingestion, on the local runtime (LocalRuntime: the app behind the Functions host stand-in,
// Azurite with on-disk persistence as `npm start` runs it). Three paths, each into its own VM, run
// INTERLEAVED in rounds, the order rotated each round, so that every path writes into partitions and a
// day table of the same sizes (Azurite's write cost grows with the size of the partition written, see
// the README): after round r every VM holds r × BENCH_ROUND_ENTRIES entries.
//  (a) raw: the same entities (unit copies + whole-VM view packs) written from this process with writeRecords()
//      (entity-group transactions of ≤ 100), no HTTP, no parsing, no index: the physical limit here;
//  (b) http: NDJSON bodies of BENCH_BODY_ENTRIES POSTed to /api/vms/{name}/journal (token, parse, unit
//      copies and VM view, index update), the same 4 in flight as (a);
//  (c) per-entry: one entry per POST to the same endpoint, 4 in flight: the seed's "one entity per HTTP
//      POST" design, measured through our full path (it also writes the VM view and the index: 3
//      transactions per entry). The rest of (c)'s round share is written raw, untimed, so its partitions
//      grow like the others'. Also printed, not used in the ratio: (c0) one createEntity per entry
//      straight from this process (no HTTP at all): the fastest any one-entity-per-request design can be
//      here, a conservative bound for b/c.
//  Each round prints its rates and the CPU ms per 1,000 entries of Azurite and of this process (where
//  the app runs) in each timed section; the ratios use the medians over rounds.
// Part 2, transactions: one 1,000-entry request through ingestBody (the HTTP handler's code path),
// transactions ÷ floor (⌈n/100⌉ per partition per copy; the one index transaction counts against us;
// the VM view packs ≤ 50 entries a row, so it needs fewer than its ⌈n/100⌉ and the ratio is < 1).
// Part 3, the query, on its own in-memory Azurite: entries loaded as setup (writeRecords + index
// updates, no HTTP) spread over BENCH_QUERY_VMS VMs × 10 units × 5 days (5 day tables), in stages
// (BENCH_QUERY_STAGES, cumulative entry counts); after each stage, newest-100-of-one-unit through
// queryJournal vs a raw single-partition page of 100 in the same day table: cold (a new instance: no
// clients, table list, index or window hints), without hints (table list cached) and warm.
// Load rates are printed as it grows. In-memory because LokiJS's fs persistence re-serializes the
// whole database into one JSON string every 5 s (≈ 1 KB a row; V8 strings stop at 512 MiB).
// Sizes: BENCH_ROUNDS (5), BENCH_ROUND_ENTRIES (4000), BENCH_PER_ENTRY (400 per round),
// BENCH_QUERY_STAGES ("10000,100000,1000000"), BENCH_QUERY_VMS (50); BENCH_ONLY=query runs part 3 alone,
// BENCH_ONLY=ingest parts 1 and 2 (query_vs_raw=skipped).
// Run it under `flock /tmp/bench.lock`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { rotateIngestToken } from '../lib/ingest-token';
import { bucketOf, bucketStart, bucketTable } from '../lib/journal/buckets';
import { toRecord } from '../lib/journal/entry';
import type { RawEntry } from '../lib/journal/fields';
import { updateIndexes } from '../lib/journal/indexes';
import { ingestBody } from '../lib/journal/ingest';
import { unitPartition } from '../lib/journal/keys';
import { forgetQueryHints, queryJournal } from '../lib/journal/query';
import { runLimited, writeRecords } from '../lib/journal/table-store';
import type { Services } from '../lib/services';
import { LocalRuntime } from '../local/runtime';
import { Azurite } from '../local/storage/azurite';
import { testServices } from '../test/helpers/services';

/** The app's Services (the bench's own reads and writes; a new one is a cold instance). */
let services: Services;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_N = Number(process.env.BENCH_ROUND_ENTRIES ?? 4000);
const PER_ENTRY = Number(process.env.BENCH_PER_ENTRY ?? 400);
const BODY_N = Number(process.env.BENCH_BODY_ENTRIES ?? 1000);
const STAGES = (process.env.BENCH_QUERY_STAGES ?? '10000,100000,1000000').split(',').map(Number);
const QUERY_VMS = Number(process.env.BENCH_QUERY_VMS ?? 50);
/** `query`: only part 3 (the last line then carries only query_vs_raw). */
const ONLY = process.env.BENCH_ONLY;
const UNITS = ['nginx.service', 'sshd.service', 'cron.service', 'foo\\x2dbar.service'];
const BOOT = 'c3'.repeat(16);
const DAY_US = 86_400_000_000;

function entryJson(
  vm: string,
  i: number,
  t: number,
  unit = UNITS[i % UNITS.length]!,
): Record<string, string> {
  return {
    __CURSOR: `s=${vm};i=${(i + 1).toString(16)};b=${BOOT};m=${i.toString(16)};t=${t.toString(16)};x=0`,
    __REALTIME_TIMESTAMP: String(t),
    __MONOTONIC_TIMESTAMP: String(i * 1000),
    _BOOT_ID: BOOT,
    _HOSTNAME: vm,
    _SYSTEMD_UNIT: unit,
    SYSLOG_IDENTIFIER: 'bench',
    _PID: '4242',
    PRIORITY: String(i % 8),
    MESSAGE: `request ${i} served in ${i % 97} ms from 10.0.${i % 255}.${i % 7} GET /api/items/${i} HTTP/1.1 200`,
  };
}

const raw = (o: Record<string, string>): RawEntry => new Map(Object.entries(o).map(([k, v]) => [k, [v]]));
const floorOf = (n: number, partitions: number) =>
  partitions * Math.ceil(n / partitions / 100) + Math.ceil(n / 100);
// eslint-disable-next-line @typescript-eslint/require-await -- a one-chunk body stream
async function* once(b: Buffer): AsyncGenerator<Uint8Array> {
  yield b;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const chunk = <T>(xs: T[], n: number) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, k) => xs.slice(k * n, k * n + n));
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

/** CPU ms of a process so far (utime + stime from /proc; 0 where that is not readable). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

async function ingestRounds(baseUrl: string, t0: number, azuritePid: number | undefined) {
  // CPU ms per 1,000 entries of each timed section: Azurite's and this process's (the app runs here).
  const cpu: Record<string, { az: number[]; own: number[] }> = {};
  const timed = async (path: string, n: number, fn: () => Promise<void>) => {
    const az0 = cpuMs(azuritePid);
    const own0 = process.cpuUsage();
    const s = performance.now();
    await fn();
    const ms = performance.now() - s;
    const own = process.cpuUsage(own0);
    const c = (cpu[path] ??= { az: [], own: [] });
    c.az.push(Math.round(((cpuMs(azuritePid) - az0) * 1000) / n));
    c.own.push(Math.round((own.user + own.system) / n));
    return rate(n, ms);
  };
  const tokens = {
    b: await rotateIngestToken(services, 'bench-b'),
    c: await rotateIngestToken(services, 'bench-c'),
  };
  await writeRecords(services, 'bench-warm', [toRecord(raw(entryJson('bench-warm', 0, t0)), 0)]); // table creation
  const post = async (vm: string, token: string, body: string) => {
    const res = await fetch(`${baseUrl}/api/vms/${vm}/journal`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${vm} ${res.status}: ${text}`);
  };
  const entries = (vm: string, from: number, n: number) =>
    Array.from({ length: n }, (_, k) => entryJson(vm, from + k, t0 + (from + k) * 1000));
  const records = (vm: string, from: number, n: number) =>
    entries(vm, from, n).map((e, k) => toRecord(raw(e), k));

  const paths: Record<string, (from: number) => Promise<number>> = {
    a: async (from) => {
      const chunks = chunk(records('bench-a', from, ROUND_N), BODY_N);
      return timed('a', ROUND_N, () =>
        runLimited(chunks, async (c) => void (await writeRecords(services, 'bench-a', c)), 4),
      );
    },
    b: async (from) => {
      const bodies = chunk(entries('bench-b', from, ROUND_N), BODY_N).map((c) =>
        c.map((e) => JSON.stringify(e)).join('\n'),
      );
      return timed('b', ROUND_N, () => runLimited(bodies, (body) => post('bench-b', tokens.b, body), 4));
    },
    c: async (from) => {
      const singles = entries('bench-c', from, PER_ENTRY).map((e) => JSON.stringify(e));
      const r = await timed('c', PER_ENTRY, () =>
        runLimited(singles, (body) => post('bench-c', tokens.c, body), 4),
      );
      const rest = chunk(records('bench-c', from + PER_ENTRY, ROUND_N - PER_ENTRY), BODY_N);
      await runLimited(rest, async (c) => void (await writeRecords(services, 'bench-c', c)), 4);
      return r;
    },
    c0: async (from) => {
      const table = await services.table(bucketTable(bucketOf(t0)));
      const recs = records('bench-c0', from, PER_ENTRY);
      const s = performance.now();
      await runLimited(
        recs,
        async (r) =>
          void (await table.createEntity({
            partitionKey: unitPartition('bench-c0', r.unit),
            rowKey: r.offset,
            c: r.cursor,
            f0: JSON.stringify(Object.fromEntries([...r.fields].map(([k, v]) => [k, v[0]]))),
          })),
        4,
      );
      const ms = performance.now() - s;
      // Keep c0's partitions growing like the others' (untimed).
      const rest = chunk(records('bench-c0', from + PER_ENTRY, ROUND_N - PER_ENTRY), BODY_N);
      await runLimited(rest, async (c) => void (await writeRecords(services, 'bench-c0', c)), 4);
      return rate(PER_ENTRY, ms);
    },
  };
  const order = ['a', 'b', 'c', 'c0'];
  const rates: Record<string, number[]> = { a: [], b: [], c: [], c0: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const rot = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
    for (const p of rot) rates[p]!.push(await paths[p]!(r * ROUND_N));
    console.log(
      `round ${r + 1}/${ROUNDS} (each VM now ${(r + 1) * ROUND_N} entries; order ${rot.join(',')}): ` +
        `raw=${rates.a!.at(-1)}/s http=${rates.b!.at(-1)}/s per_entry_post=${rates.c!.at(-1)}/s ` +
        `single_entity_write=${rates.c0!.at(-1)}/s; CPU ms per 1000 entries, Azurite / bench+app: ` +
        ['a', 'b', 'c'].map((p) => `${p} ${cpu[p]!.az.at(-1)}/${cpu[p]!.own.at(-1)}`).join(' '),
    );
  }
  return { a: median(rates.a!), b: median(rates.b!), c: median(rates.c!), c0: median(rates.c0!), rates, cpu };
}

async function transactionsPer1000(t0: number) {
  const thousand = Array.from({ length: 1000 }, (_, i) =>
    JSON.stringify(entryJson('bench-tx', i, t0 + i * 1000)),
  ).join('\n');
  const tx = await ingestBody(services, 'bench-tx', once(Buffer.from(thousand)), {
    format: 'json',
    gzip: false,
    mode: 'atomic',
  });
  return { tx: tx.transactions, floor: floorOf(1000, UNITS.length) };
}

/** Part 3 on its own in-memory Azurite: staged load, then raw vs ours at each size. */
async function queryScaling() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-query-'));
  const az = await Azurite.start({ dataDir: dir, ports: 'free', inMemory: true });
  services = testServices(az.connectionString);
  const qUnits = Array.from({ length: 10 }, (_, u) => `svc${u}.service`);
  const nowUs = Date.now() * 1000;
  const days = Array.from({ length: 5 }, (_, d) => bucketStart(bucketOf(nowUs - (4 - d) * DAY_US)));
  const newestDay = days.at(-1)!;
  // Each (vm, day) gets its share of a stage as one contiguous run; stage k's entries sit k µs after
  // the previous stages' ones, so every stage spreads over the same hours (and stays in the past).
  const spanUs = Math.min(DAY_US, nowUs - newestDay - 60_000_000);
  const stats: Record<string, unknown>[] = [];
  let loaded = 0;
  let seq = 0;
  try {
    for (const [k, target] of STAGES.entries()) {
      const perVmDay = Math.ceil((target - loaded) / (QUERY_VMS * days.length));
      const jobs = Array.from({ length: QUERY_VMS * days.length }, (_, j) => j);
      const s = performance.now();
      let done = 0;
      let mark = performance.now();
      await runLimited(
        jobs,
        async (j) => {
          const vm = `qvm${j % QUERY_VMS}`;
          const day = days[Math.floor(j / QUERY_VMS)]!;
          // The queried VM gets a busy unit: 200 more entries a day in the first stage, half of them
          // svc0, so its newest day holds ≥ 100 svc0 entries at every stage (raw and ours read 100).
          const n = perVmDay + (k === 0 && j % QUERY_VMS === 0 ? 200 : 0);
          const busy = n > perVmDay;
          const step = Math.floor(spanUs / n);
          for (let from = 0; from < n; from += 2000) {
            const recs = Array.from({ length: Math.min(2000, n - from) }, (_, x) => {
              const i = from + x;
              const unit = busy && i % 2 === 0 ? qUnits[0] : qUnits[i % qUnits.length];
              return toRecord(raw(entryJson(vm, seq++, day + i * step + k, unit)), x);
            });
            const w = await writeRecords(services, vm, recs);
            await updateIndexes(services, vm, bucketOf(day), w.stored);
            done += recs.length;
            if (done >= 50_000) {
              console.log(
                `  load: ${loaded + done} of ${target} entries, ${rate(done, performance.now() - mark)}/s`,
              );
              loaded += done;
              done = 0;
              mark = performance.now();
            }
          }
        },
        4,
      );
      loaded += done;
      const loadS = (performance.now() - s) / 1000;
      const table = await services.table(bucketTable(bucketOf(newestDay)));
      const pk = unitPartition('qvm0', qUnits[0]!);
      const rawMs: number[] = [];
      const cold: number[] = [];
      const noHints: number[] = [];
      const warm: number[] = [];
      let requests = { cold: 0, no_hints: 0, warm: 0 };
      let ok = true;
      const ours = () => queryJournal(services, 'qvm0', { units: [qUnits[0]!], limit: 100, order: 'desc' });
      for (let i = 0; i < 11; i++) {
        let t = performance.now();
        const page = await table
          .listEntities({ queryOptions: { filter: `PartitionKey eq '${pk}'` } })
          .byPage({ maxPageSize: 100 })
          .next();
        rawMs.push(performance.now() - t);
        ok &&= !page.done && page.value.length === 100;
        // Cold: a new instance (no clients, no table list, no index or window hints).
        services = testServices(az.connectionString);
        t = performance.now();
        const c = await ours();
        cold.push(performance.now() - t);
        // No hints, table list cached (an instance that has not read this unit yet).
        forgetQueryHints(services);
        t = performance.now();
        const n = await ours();
        noHints.push(performance.now() - t);
        t = performance.now();
        const w = await ours();
        warm.push(performance.now() - t);
        requests = { cold: c.requests, no_hints: n.requests, warm: w.requests };
        ok &&= w.items.length === 100 && w.items[0]!.offset > w.items[99]!.offset;
        ok &&= c.items.map((e) => e.offset).join() === w.items.map((e) => e.offset).join();
        ok &&= n.items.map((e) => e.offset).join() === w.items.map((e) => e.offset).join();
      }
      const row = {
        stored_entries: loaded,
        entries_in_newest_day_table: Math.round(loaded / days.length), // a unit row each, + 1 pack per ≤ 50
        load_s: Math.round(loadS),
        load_entries_per_s: rate(target - (STAGES[k - 1] ?? 0), loadS * 1000),
        raw_ms: +median(rawMs).toFixed(1),
        ours_cold_ms: +median(cold).toFixed(1),
        ours_no_hints_ms: +median(noHints).toFixed(1),
        ours_warm_ms: +median(warm).toFixed(1),
        requests, // cold includes the table listing
        newest_first_ok: ok,
      };
      console.log(`query at ${loaded} entries: ${JSON.stringify(row)}`);
      stats.push(row);
    }
  } finally {
    await az.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

async function main() {
  if (ONLY === 'query') {
    const query = await queryScaling();
    console.log(JSON.stringify({ query }, null, 2));
    console.log(`query_vs_raw=${queryRatio(query.at(-1)!)}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  const rt = await LocalRuntime.start({
    appEntry: 'functions/index.ts',
    dataDir: dir,
    log: (l) => {
      if (/error/i.test(l.level)) console.error(JSON.stringify(l).slice(0, 1500));
    },
  });
  let ingest: Awaited<ReturnType<typeof ingestRounds>>;
  let tx: Awaited<ReturnType<typeof transactionsPer1000>>;
  try {
    services = testServices(rt.storageConnectionString);
    const t0 = (Date.now() - 3_600_000) * 1000;
    ingest = await ingestRounds(rt.baseUrl, t0, rt.azurite.pid);
    tx = await transactionsPer1000(t0 + 3_000_000_000);
  } finally {
    await rt.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const query = ONLY === 'ingest' ? [] : await queryScaling();
  const results = {
    rounds: ROUNDS,
    entries_per_round_per_path: ROUND_N,
    per_entry_posts_per_round: PER_ENTRY,
    raw_entries_per_s: ingest.a,
    http_entries_per_s: ingest.b,
    per_entry_post_entries_per_s: ingest.c,
    single_entity_write_entries_per_s: ingest.c0,
    http_vs_single_entity_write_bound: +(ingest.b / ingest.c0).toFixed(1),
    tx_per_1000: tx.tx,
    tx_floor_per_1000: tx.floor,
    cpu_ms_per_1000_by_round: ingest.cpu,
    query,
  };
  console.log(JSON.stringify(results, null, 2));
  console.log(
    `ingest_vs_raw=${(ingest.b / ingest.a).toFixed(2)} ingest_vs_per_entry=${(ingest.b / ingest.c).toFixed(1)} tx_over_floor=${(tx.tx / tx.floor).toFixed(2)} query_vs_raw=${query.length ? queryRatio(query.at(-1)!) : 'skipped'}`,
  );
}

/** The query ratio uses the cold figure (a new instance): the cost of one query out of the blue. */
const queryRatio = (row: Record<string, unknown>) =>
  (Number(row.ours_cold_ms) / Number(row.raw_ms)).toFixed(2);

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
