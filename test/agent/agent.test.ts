// The real agent script (dash) against real journal files and the real ingestion: batching, cursor
// advance, wake-up on new entries, restart from the saved cursor.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { bootEntries, Trickle } from '../../local/guest/entries';
import { eventually, type TestRuntime } from '../helpers/runtime';
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
  it('started before the journal has any entry: waits and retries without exiting', async () => {
    // The race behind the once-flaky 401 test: the old agent's wake-up follower exited on an empty
    // journal and the agent restarted. Now the reader is restarted inside the same process.
    const rig = await makeAgentRig(t, { boot: false });
    try {
      rig.agent.start();
      await eventually(() => rig.logs.some((l) => l.includes('cannot read the current boot')), 10_000);
      await rig.write(12);
      await rig.waitInSync();
      assert.equal(rig.agent.starts, 1);
    } finally {
      await rig.dispose();
    }
  });

  it('a cursor from an earlier boot: the rest of that boot and the next boot are both sent', async () => {
    // journalctl 252 limits --follow to the current boot unless --merge is given: without it, the
    // entries after the cursor in the earlier boot would be skipped.
    const rig = await makeAgentRig(t);
    try {
      rig.agent.start();
      await rig.waitInSync();
      await rig.agent.stop();
      await rig.write(15); // still the first boot, after the saved cursor
      await rig.writer.rotate();
      const next = { ...rig.id, bootId: 'c3'.repeat(16), bootRealtimeUsec: Date.now() * 1000 };
      const trickle = new Trickle(next);
      const now = Date.now() * 1000 + 1000;
      await rig.writer.write([
        ...bootEntries(next, now),
        ...Array.from({ length: 5 }, (_, i) => trickle.next(now + 1_000_000 + i)),
      ]);
      rig.agent.start();
      const { journal } = await rig.waitInSync();
      assert.ok(journal > 2 * 43 + 15);
      assert.ok(rig.logs.some((l) => l.includes('starting after the saved cursor')));
      assert.ok(!rig.logs.some((l) => l.includes('no longer in the journal')), 'continued from the cursor');
    } finally {
      await rig.dispose();
    }
  });
});
