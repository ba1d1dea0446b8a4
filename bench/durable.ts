// Durable engine throughput through the local runtime (real durable-functions replay, Azurite
// persistence): a chain of 100 sequential no-op activities and a fan-out/fan-in of 100.
// Last line: `sequential_activities_per_s=<n> fanout_activities_per_s=<n>`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LocalRuntime } from '../local/runtime';

const N = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'durable-bench-'));
  const rt = await LocalRuntime.start({
    appEntry: 'local/test/fixtures/durable-app/index.ts',
    dataDir,
    arm: false,
    log: () => undefined,
  });
  const plugin = rt.durable!;
  try {
    const engine = plugin.engine!;
    const run = async (name: string): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(`${rt.baseUrl}/api/start/${name}`, { method: 'POST', body: JSON.stringify(N) });
      const { id } = (await res.json()) as { id: string };
      await engine.waitForCompletion(id);
      const ms = performance.now() - t0;
      const status = (await (
        await fetch(`${rt.baseUrl}/runtime/webhooks/durabletask/instances/${id}`)
      ).json()) as {
        runtimeStatus: string;
      };
      if (status.runtimeStatus !== 'Completed') throw new Error(`${name} ended ${status.runtimeStatus}`);
      return (N / ms) * 1000;
    };
    await run('NoopChain'); // warm-up (module loading, table creation)
    const seq: number[] = [];
    const fan: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      seq.push(await run('NoopChain'));
      fan.push(await run('NoopFanOut'));
      console.log(`round ${i + 1}: sequential ${seq[i]!.toFixed(1)}/s, fan-out ${fan[i]!.toFixed(1)}/s`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `sequential_activities_per_s=${median(seq).toFixed(1)} fanout_activities_per_s=${median(fan).toFixed(1)}`,
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
