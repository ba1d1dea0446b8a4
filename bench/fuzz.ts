// Property-based fuzzing of the journal body parsers (JSON array, NDJSON, export format) and of the read
// routes' query parameters, for many more cases than `npm test` runs (test/hostile/fuzz.test.ts runs a
// fixed-seed slice of the same properties, test/hostile/fuzz-properties.ts). Not run by CI.
//   npm run bench:fuzz                    # 120,000 cases (35k per parser, 15k queries)
//   FUZZ_CASES=10000 npm run bench:fuzz   # cases per parser (queries: 3/7 of it)
//   FUZZ_SEED=42 npm run bench:fuzz       # a fixed first seed (each batch adds one)
// Prints, per target, the cases run, the failures (a crash, a 5xx, or an outcome that depends on
// chunking) with the first counterexample, and the rate; exits 1 on any failure.
import fc from 'fast-check';

import { bodyProperty, queryProperty, seedFuzzJournal } from '../test/hostile/fuzz-properties';
import { startAzurite } from '../test/journal/helpers';

const PER_PARSER = Number(process.env.FUZZ_CASES ?? 35_000);
const QUERIES = Math.round((PER_PARSER * 3) / 7);
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const BATCH = 5_000;

interface Outcome {
  target: string;
  cases: number;
  failures: number;
  first?: string;
  ms: number;
}

async function run(target: string, total: number, property: () => fc.IAsyncProperty<unknown[]>) {
  const out: Outcome = { target, cases: 0, failures: 0, ms: 0 };
  const t0 = performance.now();
  for (let seed = FIRST_SEED; out.cases < total; seed++) {
    const numRuns = Math.min(BATCH, total - out.cases);
    const r = await fc.check(property() as fc.IAsyncProperty<[unknown]>, { seed, numRuns });
    out.cases += r.numRuns;
    if (r.failed) {
      out.failures++;
      out.first ??= `seed ${seed}: ${fc.stringify(r.counterexample)}: ${String((r.errorInstance as Error)?.message ?? '').slice(0, 300)}`;
      // fast-check stops a batch at its first failure: the rest of the batch runs under the next seed.
    }
  }
  out.ms = performance.now() - t0;
  return out;
}

async function main(): Promise<void> {
  const storage = await startAzurite();
  try {
    await seedFuzzJournal(storage.services, 'fuzz-vm', 50, 3, 4);

    console.log(`fuzz: first seed ${FIRST_SEED}, ${PER_PARSER} cases per parser, ${QUERIES} queries`);
    const results: Outcome[] = [];
    for (const format of ['json', 'ndjson', 'export'] as const)
      results.push(await run(`${format} body`, PER_PARSER, () => bodyProperty(format)));
    results.push(await run('query parameters', QUERIES, () => queryProperty(storage.services, 'fuzz-vm')));
    console.log('target            cases    failures  cases/s');
    for (const r of results)
      console.log(
        `${r.target.padEnd(17)} ${String(r.cases).padStart(7)}  ${String(r.failures).padStart(8)}  ${Math.round((r.cases / r.ms) * 1000)}`,
      );
    const cases = results.reduce((n, r) => n + r.cases, 0);
    const failures = results.reduce((n, r) => n + r.failures, 0);
    console.log(`total             ${String(cases).padStart(7)}  ${String(failures).padStart(8)}`);
    for (const r of results) if (r.first) console.log(`first failure, ${r.target}: ${r.first}`);
    process.exitCode = failures ? 1 : 0;
  } finally {
    await storage.dispose();
  }
}

void main();
