// A fixed-seed slice of the fuzzing in bench/fuzz.ts (which runs 100k+ cases): the body parsers and the
// read routes' query parameters. A failure prints the seed and the shrunk counterexample.
import { after, before, describe, it } from 'node:test';

import fc from 'fast-check';

import { toRecord } from '../../lib/journal/entry';
import type { RawEntry } from '../../lib/journal/fields';
import { updateIndexes } from '../../lib/journal/indexes';
import { writeRecords } from '../../lib/journal/table-store';
import { addVmRecord } from '../helpers/vm-record';
import { startStorage } from '../journal/helpers';
import { bodyProperty, queryProperty } from './fuzz-properties';

const SEED = 1414;

describe('fuzz (fixed seed)', () => {
  let storage: Awaited<ReturnType<typeof startStorage>>;
  before(async () => {
    storage = await startStorage();
    await addVmRecord('fuzz-vm');
    const now = Date.now() * 1000;
    const recs = Array.from({ length: 20 }, (_, i) => {
      const raw: RawEntry = new Map(
        Object.entries({
          __CURSOR: `s=z;i=${i + 1};b=${String(i % 2).repeat(32)}`,
          __REALTIME_TIMESTAMP: String(now - (20 - i) * 1_000_000),
          _SYSTEMD_UNIT: `u${i % 3}.service`,
          PRIORITY: String(i % 8),
          MESSAGE: `fuzz line ${i}`,
        }).map(([k, v]) => [k, [v]]),
      );
      return toRecord(raw, i);
    });
    const w = await writeRecords('fuzz-vm', recs);
    await updateIndexes(
      'fuzz-vm',
      new Date(now / 1000).toISOString().slice(0, 10).replaceAll('-', ''),
      w.stored,
    );
  });
  after(async () => {
    await storage?.dispose();
  });

  for (const format of ['json', 'ndjson', 'export'] as const)
    it(`${format} bodies: a 4xx or records, whatever the chunking`, async () => {
      await fc.assert(bodyProperty(format), { seed: SEED, numRuns: 300 });
    });

  it('query parameters of /journal, /units, /boots: never a 5xx', async () => {
    await fc.assert(queryProperty('fuzz-vm'), { seed: SEED, numRuns: 200 });
  });
});
