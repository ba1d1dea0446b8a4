// The agent against a journal that changes under it: rotation to new files, vacuum of the file holding
// the saved cursor (agent stopped or running), and large, multi-line and binary entries.
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';

import type { TestRuntime } from '../helpers/runtime';
import { type AgentRig, journalCursors, makeAgentRig, startIngestion, storedEntries } from './helpers';

describe('journal agent: rotation, vacuum, large and binary entries', () => {
  let t: TestRuntime;
  let rig: AgentRig | undefined;
  before(async () => {
    t = await startIngestion();
  });
  after(async () => {
    await t?.dispose();
  });
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  const files = (r: AgentRig) =>
    readdirSync(r.journalDir)
      .filter((f) => f.endsWith('.journal'))
      .sort();

  it('follows rotation to new journal files while running', async () => {
    const r = (rig = await makeAgentRig(t, { env: { VMJ_BATCH_MAX_ENTRIES: '40' } }));
    r.agent.start();
    for (let i = 0; i < 4; i++) {
      await r.write(60);
      await r.writer.rotate();
    }
    await r.write(5);
    const { journal } = await r.waitInSync();
    assert.equal(journal, 43 + 4 * 60 + 5);
    assert.equal(files(r).length, 5);
  });

  it('vacuum while stopped: the saved cursor is gone, it says so and restarts from the oldest entry', async () => {
    const r = (rig = await makeAgentRig(t));
    await r.write(30);
    await r.writer.rotate();
    r.agent.start();
    await r.waitInSync();
    await r.agent.stop();
    const shipped = await journalCursors(r.journalDir);
    await r.write(25);
    await r.writer.rotate();
    rmSync(join(r.journalDir, files(r)[0]!)); // vacuum: the oldest file, holding the saved cursor
    r.agent.start();
    await r.waitInSync(30_000, shipped);
    assert.ok(r.logs.some((l) => l.includes('no longer in the journal')));
  });

  it('vacuum while running: the follower keeps its place, nothing after the cursor is skipped or re-sent', async () => {
    const r = (rig = await makeAgentRig(t));
    r.agent.start();
    await r.waitInSync();
    const shipped = await journalCursors(r.journalDir);
    await r.writer.rotate();
    rmSync(join(r.journalDir, files(r)[0]!));
    await r.write(1); // the first entry after the vacuumed cursor: --after-cursor would skip exactly this one
    await r.write(9);
    await r.waitInSync(30_000, shipped);
    // The long-lived journalctl never re-seeks, so it has nothing to notice and nothing to send again.
    assert.ok(!r.logs.some((l) => l.includes('no longer in the journal')));
  });

  it('large, multi-line and binary entries arrive intact; an entry above the byte limit goes alone', async () => {
    const r = (rig = await makeAgentRig(t, { env: { VMJ_BATCH_MAX_BYTES: '65536' } }));
    const big = 'x'.repeat(300_000);
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0x80, 0]);
    await r.write(6, (i) => {
      if (i === 1) return { MESSAGE: big };
      if (i === 2) return { MESSAGE: 'line one\nline two\n\ttabbed', CODE_FUNC: 'main' };
      if (i === 3) return { MESSAGE: Buffer.from([0x68, 0x69, 0xc3, 0x28]), BLOB: binary };
      if (i === 4) return { MESSAGE: 'ünïcødé ✓ 🚀 "quotes" \\ backslash' };
      return {};
    });
    await r.writer.rotate();
    r.agent.start();
    await r.waitInSync();
    const stored = await storedEntries(t, r.vm);
    assert.ok(stored.some((e) => e.message === big));
    assert.ok(stored.some((e) => e.message === 'line one\nline two\n\ttabbed'));
    assert.ok(stored.some((e) => e.message === 'ünïcødé ✓ 🚀 "quotes" \\ backslash'));
    const withBlob = stored.find((e) => e.fields.BLOB !== undefined);
    assert.ok(withBlob, 'the binary field is stored');
    assert.ok(withBlob.binaryFields.includes('BLOB'));
    assert.deepEqual(Buffer.from(withBlob.fields.BLOB as string, 'base64'), binary);
    assert.deepEqual(
      Buffer.from(withBlob.fields.MESSAGE as string, 'base64'),
      Buffer.from([0x68, 0x69, 0xc3, 0x28]),
    );
  });
});
