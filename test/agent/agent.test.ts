// The real agent script (dash) against real journal files and the real ingestion: batching, cursor
// advance, wake-up on new entries, restart from the saved cursor.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { TestRuntime } from '../helpers/runtime';
import { journalCursors, makeAgentRig, startIngestion } from './helpers';

describe('journal agent: batches and cursor', () => {
  let t: TestRuntime;
  before(async () => {
    t = await startIngestion();
  });
  after(async () => {
    await t?.dispose();
  });

  it('sends the current boot in bounded batches, saves the last cursor, then follows new entries', async () => {
    const rig = await makeAgentRig(t, { env: { VMJ_BATCH_MAX_ENTRIES: '50' } });
    try {
      await rig.write(180);
      await rig.writer.rotate();
      rig.agent.start();
      const first = await rig.waitInSync();
      assert.equal(first.journal, 43 + 180);
      const cursors = await journalCursors(rig.journalDir);
      assert.equal(readFileSync(join(rig.stateDir, 'cursor'), 'utf8').trim(), cursors.at(-1));

      // New entries wake the agent (no polling) and are sent within about a second.
      const t0 = Date.now();
      await rig.write(3);
      await rig.writer.rotate();
      await rig.waitInSync(5000);
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);

      // A restart continues after the saved cursor: nothing is sent twice (the server counts duplicates).
      await rig.agent.stop();
      await rig.write(20);
      await rig.writer.rotate();
      rig.agent.start();
      await rig.waitInSync();
      assert.ok(rig.logs.some((l) => l.includes('starting after the saved cursor')));
    } finally {
      await rig.dispose();
    }
  });
});
