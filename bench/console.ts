// Web console budgets (npm run bench:console), each figure printed beside its budget:
//  - page weight: the bundle's JavaScript, gzipped (level 9), vs 150 KB;
//  - first render of a fleet of BENCH_FLEET (50) VMs on the local runtime: from navigation start to every
//    row in the DOM by the page's clock (a performance mark), median and max of BENCH_SAMPLES (5) fresh
//    page loads, vs 1 s; beside it the same seen from the driver (goto → last row visible) and the
//    listing API call alone;
//  - live tail: from the simulated guest writing an entry into its journal (the agent ships it, the app
//    stores it, the SSE follow sends it) to the entry on screen, median and max of BENCH_SAMPLES, vs 1 s.
// The VMs are created through the API and provisioned by the ARM emulator; only one of them runs a
// simulated guest (50 agents would measure this machine, not the console).
// Run it under `flock /tmp/bench.lock`; needs `npm run build` and /usr/bin/chromium.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { eventually } from '../test/helpers/runtime';
import { sshPublicKey } from '../test/vms/helpers';
import { FUNCTION_KEY, launchChromium, startConsoleRuntime } from '../test/web/helpers';

const FLEET = Number(process.env.BENCH_FLEET ?? 50);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const TAIL_VM = 'bench-tail';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (name: string, value: number, unit: string, budget: number) =>
  console.log(
    `${name.padEnd(46)} ${value.toFixed(unit === 'KB' ? 1 : 0).padStart(8)} ${unit}   budget ${budget} ${unit}   ratio ${(value / budget).toFixed(2)}`,
  );

async function main() {
  const assets = join(process.cwd(), 'dist', 'web', 'assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const gz = js.reduce((n, f) => n + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  line('page JS, gzipped', gz / 1024, 'KB', 150);

  const rt = await startConsoleRuntime({
    lroMs: 50,
    trickleIntervalMs: 0,
    guestsFor: (vm) => vm === TAIL_VM,
  });
  const browser = await launchChromium();
  try {
    const names = [
      TAIL_VM,
      ...Array.from({ length: FLEET - 1 }, (_, i) => `bench-${String(i).padStart(2, '0')}`),
    ];
    for (let i = 0; i < names.length; i += 10)
      await Promise.all(
        names.slice(i, i + 10).map(async (name) => {
          const r = await rt.api('POST', '/vms', { name, size: 'small', sshPublicKey: sshPublicKey() });
          if (r.status !== 202) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
        }),
      );
    await eventually(
      async () => {
        const r = await rt.api<{ items: { status: string }[] }>('GET', '/vms?limit=100');
        return r.body.items.filter((v) => v.status === 'running').length === FLEET;
      },
      600_000,
      1000,
    );

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(`sessionStorage.setItem('vmj.functionKey', ${JSON.stringify(FUNCTION_KEY)})`);
    const renders: number[] = [];
    const inPage: number[] = [];
    const listing: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto(rt.t.url('/api/ui/#/fleet'));
      await page
        .locator('table.fleet tbody tr')
        .nth(FLEET - 1)
        .waitFor();
      renders.push(Date.now() - t0);
      // The page's own clock: navigation start → every row in the DOM (no driver round trips).
      inPage.push(
        await page.evaluate<number>(`performance.getEntriesByName('vmj:fleet-rendered')[0].startTime`),
      );
      await page.close();
      const t1 = Date.now();
      await rt.api('GET', '/vms?limit=100');
      listing.push(Date.now() - t1);
    }
    line(`fleet of ${FLEET}, first render, in page (median)`, median(inPage), 'ms', 1000);
    line(`fleet of ${FLEET}, first render, in page (max)`, Math.max(...inPage), 'ms', 1000);
    line(`fleet of ${FLEET}, seen by the driver (median)`, median(renders), 'ms', 1000);
    line(`  GET /api/vms alone, after each load (median)`, median(listing), 'ms', 1000);

    const page = await context.newPage();
    await page.goto(rt.t.url(`/api/ui/#/vm/${TAIL_VM}`));
    await page.waitForSelector('ol.journal[data-ready]');
    await page.locator('#f-follow').check();
    await page.getByTestId('tail-state').filter({ hasText: 'following' }).waitFor();
    const tails: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const message = `bench tail ${i} ${Date.now()}`;
      const t0 = Date.now();
      await rt.write(TAIL_VM, [{ MESSAGE: message }]);
      await page.locator('ol.journal > li .msg', { hasText: message }).waitFor({ timeout: 30_000 });
      tails.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 300));
    }
    line('live tail, guest write → screen (median)', median(tails), 'ms', 1000);
    line('live tail, guest write → screen (max)', Math.max(...tails), 'ms', 1000);
  } finally {
    await browser.close();
    await rt.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
