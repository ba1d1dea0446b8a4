import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { type Harness, startHarness } from './harness';

describe('durable engine: actions through the real durable-functions replay', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.dispose();
  });

  it('runs a sequence of activities (CallActivity) and completes with the output', async () => {
    const started = await h.start('Sequence', ['A', 'B']);
    assert.match(started.statusQueryGetUri, /\/runtime\/webhooks\/durabletask\/instances\//);
    const status = await h.waitDone(started.id);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, ['Hello A!', 'Hello B!']);
    assert.deepEqual(status.input, ['A', 'B']);
  });
});
