// A fixed-seed slice of the fuzzing in bench/fuzz.ts (which runs 100k+ cases): the body parsers and the
// read routes' query parameters. A failure prints the seed and the shrunk counterexample.
import { after, before, describe, it } from 'node:test';

import fc from 'fast-check';

import { startAzurite } from '../journal/helpers';
import { bodyProperty, queryProperty, seedFuzzJournal } from './fuzz-properties';

const SEED = 1414;

describe('fuzz (fixed seed)', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    storage = await startAzurite();
    await seedFuzzJournal(storage.services, 'fuzz-vm', 20, 2, 3);
  });
  after(async () => {
    await storage?.dispose();
  });

  for (const format of ['json', 'ndjson', 'export'] as const)
    it(`${format} bodies: a 4xx or records, whatever the chunking`, async () => {
      await fc.assert(bodyProperty(format), { seed: SEED, numRuns: 300 });
    });

  it('query parameters of /journal, /units, /boots: never a 5xx', async () => {
    await fc.assert(queryProperty(storage.services, 'fuzz-vm'), { seed: SEED, numRuns: 200 });
  });
});
