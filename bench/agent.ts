// The journal agent under a steady load: a journal (real files, systemd-journal-remote) growing at
// 100 entries/s for 60 s, shipped by the real agent (production settings from infra/vm/agent.env) to
// the real ingestion in the local runtime. Measures the agent's CPU (% of one core, its whole process
// group, exited children included) and peak RSS (its processes' resident pages, sampled every 20 ms), and the
// write-to-visible latency of every entry through the live tail (SSE).
// Last line: agent_cpu_pct=<n> agent_rss_mb=<n> tail_p50_ms=<n> tail_p99_ms=<n>
// RSS: peak over 20 ms samples of the group's resident pages, each physical page counted once (see
// uniquePages); the plain sum of VmRSS is printed too (rss_sum_mb).
// Env: BENCH_RATE (entries/s, default 100), BENCH_SECONDS (default 60), VMJ_FLUSH_DELAY_MS,
// VMJ_STREAM_SECONDS, VMJ_STREAM_IDLE_MS (default: agent.env), BENCH_DEBUG=1 (CPU ticks per process of
// the group at the end).
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

import { createParser } from 'eventsource-parser';

import { makeAgentRig } from '../test/agent/helpers';
import { eventually, startTestRuntime } from '../test/helpers/runtime';
import { testServices } from '../test/helpers/services';

const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const TICK = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux

interface Stat {
  pid: number;
  pgrp: number;
  cpuTicks: number; // utime + stime + cutime + cstime
  rssPages: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12) cutime(13) cstime(14) ... rss(21)
    return {
      pid,
      pgrp: Number(f[2]),
      cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      rssPages: Number(f[21]),
    };
  } catch {
    return undefined;
  }
}

// The physical pages resident in any process of the group, each counted once (page frame numbers from
// /proc/<pid>/pagemap; needs root). Pages shared between the agent's own processes (libc, the forked
// shell, the journal files journalctl maps) count once; pages it shares with the rest of the machine
// (libc, libcrypto, page cache) count in full. The plain sum of VmRSS counts a shared page once per
// process that maps it; both are printed.
function uniquePages(pids: number[], into: Set<bigint>): void {
  const PRESENT = 1n << 63n;
  const PFN = (1n << 55n) - 1n;
  for (const pid of pids) {
    let fd: number | undefined;
    try {
      const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
      fd = openSync(`/proc/${pid}/pagemap`, 'r');
      for (const line of maps.split('\n')) {
        const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
        if (!m || line.endsWith('[vsyscall]')) continue;
        const first = Number(BigInt(`0x${m[1]}`) / 4096n);
        const count = Number(BigInt(`0x${m[2]}`) / 4096n) - first;
        const buf = Buffer.alloc(count * 8);
        const got = readSync(fd, buf, 0, buf.length, first * 8);
        for (let o = 0; o + 8 <= got; o += 8) {
          const v = buf.readBigUInt64LE(o);
          if (v & PRESENT) into.add(v & PFN);
        }
      }
    } catch {
      // the process exited while being read
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

function group(pgrp: number): Stat[] {
  const out: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st?.pgrp === pgrp) out.push(st);
  }
  return out;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function main(): Promise<void> {
  const t = await startTestRuntime({ appEntry: 'functions/index.ts', log: () => undefined });
  testServices(t.rt.storageConnectionString);
  // Production timing settings (the test rig shortens them), each overridable from the environment.
  const setting = (name: string) => process.env[name] ?? readEnvDefault(name);
  const flushDelay = setting('VMJ_FLUSH_DELAY_MS');
  const streamSeconds = setting('VMJ_STREAM_SECONDS');
  const rig = await makeAgentRig(t, {
    env: {
      VMJ_FLUSH_DELAY_MS: flushDelay,
      VMJ_STREAM_SECONDS: streamSeconds,
      VMJ_STREAM_IDLE_MS: setting('VMJ_STREAM_IDLE_MS'),
    },
  });
  const abort = new AbortController();
  try {
    rig.agent.start();
    await rig.waitInSync(60_000);
    const pid = rig.agent.pid!;

    // Live tail: the latency of every entry written during the run.
    const written = new Map<string, number>(); // MESSAGE marker -> write time (ms)
    const latencies: number[] = [];
    const res = await fetch(t.url(`/api/vms/${rig.vm}/journal?follow=true`), { signal: abort.signal });
    if (res.status !== 200 || !res.body) throw new Error(`live tail: ${res.status}`);
    const parser = createParser({
      onEvent: (ev) => {
        const e = JSON.parse(ev.data) as { fields: Record<string, unknown> };
        const marker = e.fields.BENCH_SEQ;
        const at = typeof marker === 'string' ? written.get(marker) : undefined;
        if (at !== undefined) {
          latencies.push(Date.now() - at);
          written.delete(marker as string);
        }
      },
    });
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          parser.feed(decoder.decode(chunk, { stream: true }));
      } catch {
        // aborted at the end
      }
    })();

    const before = group(pid).reduce((s, x) => s + x.cpuTicks, 0);
    let peakRssPages = 0;
    let peakUniquePages = 0;
    const sampler = setInterval(() => {
      const members = group(pid);
      peakRssPages = Math.max(
        peakRssPages,
        members.reduce((s, x) => s + x.rssPages, 0),
      );
      const pages = new Set<bigint>();
      uniquePages(
        members.map((x) => x.pid),
        pages,
      );
      peakUniquePages = Math.max(peakUniquePages, pages.size);
    }, 20);
    const t0 = performance.now();
    let seq = 0;
    const total = RATE * SECONDS;
    const perTick = RATE / 10;
    while (seq < total) {
      const due = t0 + (seq / RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = Math.min(perTick, total - seq);
      const now = Date.now();
      const first = seq;
      await rig.write(n, (i) => ({ BENCH_SEQ: String(first + i) }));
      for (let i = 0; i < n; i++) written.set(String(first + i), now);
      seq += n;
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const cpuTicks = group(pid).reduce((s, x) => s + x.cpuTicks, 0) - before;
    if (process.env.BENCH_DEBUG)
      for (const s of group(pid))
        console.log(s.pid, s.cpuTicks, readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').slice(0, 40));
    clearInterval(sampler);
    await eventually(() => written.size === 0, 30_000);
    await rig.waitInSync(60_000);

    const sorted = latencies.sort((a, b) => a - b);
    const cpuPct = (cpuTicks / TICK / elapsedS) * 100;
    const rssSumMb = (peakRssPages * 4096) / 1024 / 1024;
    const rssMb = (peakUniquePages * 4096) / 1024 / 1024;
    console.log(
      `entries=${total} seconds=${elapsedS.toFixed(1)} rate=${RATE}/s seen_in_tail=${latencies.length} max_ms=${sorted.at(-1)} flush_delay_ms=${flushDelay} stream_s=${streamSeconds} rss_sum_mb=${rssSumMb.toFixed(1)}`,
    );
    console.log(
      `agent_cpu_pct=${cpuPct.toFixed(2)} agent_rss_mb=${rssMb.toFixed(1)} tail_p50_ms=${pct(sorted, 50)} tail_p99_ms=${pct(sorted, 99)}`,
    );
  } finally {
    abort.abort();
    await rig.dispose();
    await t.dispose();
  }
}

function readEnvDefault(name: string): string {
  const line = readFileSync('infra/vm/agent.env', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1) ?? '';
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
