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

  it('fans out and in with Task.all', async () => {
    const { id } = await h.start('FanOut', 20);
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 2 * ((19 * 20) / 2));
  });

  it('retries an activity with RetryOptions until it succeeds, counting attempts', async () => {
    const { id } = await h.start('Retry', { key: 'r-ok', failTimes: 2, maxAttempts: 3 });
    const status = await h.waitDone(id);
    assert.deepEqual(status.output, { ok: true, attempt: 3 });
    const hist = (await h.status(id, '?showHistory=true&showHistoryOutput=true')).body.historyEvents!;
    assert.equal(hist.filter((e) => e.EventType === 'TaskFailed').length, 2);
    assert.equal(hist.filter((e) => e.EventType === 'TimerFired').length, 2);
    assert.equal(hist.filter((e) => e.EventType === 'TaskCompleted').length, 1);
  });

  it('gives up after maxNumberOfAttempts and the orchestrator sees the last error', async () => {
    const { id } = await h.start('Retry', { key: 'r-fail', failTimes: 10, maxAttempts: 3 });
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Completed');
    const out = status.output as { ok: boolean; message: string };
    assert.equal(out.ok, false);
    assert.match(out.message, /attempt 3 failed/);
    const hist = (await h.status(id, '?showHistory=true')).body.historyEvents!;
    assert.equal(hist.filter((e) => e.EventType === 'TaskFailed').length, 3);
  });

  it('waits on a durable timer', async () => {
    const t0 = Date.now();
    const { id } = await h.start('Timer', 300);
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.ok((status.output as number) >= 300, `timer fired after ${String(status.output)} ms`);
    assert.ok(Date.now() - t0 >= 300);
  });

  it('delivers external events (Task.any with a timer) and shows custom status', async () => {
    const started = await h.start('Approval');
    const running = await h.status(started.id);
    assert.equal(running.code, 202);
    assert.deepEqual(running.body.customStatus, { stage: 'waiting' });
    const url = started.sendEventPostUri.replace('{eventName}', 'Approve');
    const res = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ by: 'alice' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 202);
    const status = await h.waitDone(started.id);
    assert.deepEqual(status.output, { approved: { by: 'alice' } });
    assert.deepEqual(status.customStatus, { stage: 'approved' });
  });

  it('keeps events raised before the orchestrator waits for them (client.raiseEvent)', async () => {
    const { id } = await h.start('TwoEvents');
    assert.equal((await h.client('raiseEvent', { instanceId: id, eventName: 'B', eventData: 2 })).code, 200);
    assert.equal(
      (await h.client('raiseEvent', { instanceId: id, eventName: 'A', eventData: 'one' })).code,
      200,
    );
    const status = await h.waitDone(id);
    assert.deepEqual(status.output, ['one', 2]);
  });

  it('runs sub-orchestrations (plain, failing, with retry) with their results and errors', async () => {
    const { id } = await h.start('Parent', undefined, 'parent-1');
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Completed');
    const out = status.output as { seq: string[]; failure: string; retried: unknown };
    assert.deepEqual(out.seq, ['Hello Ann!', 'Hello Bob!']);
    assert.match(out.failure, /boom: from parent/);
    assert.deepEqual(out.retried, { ok: true, attempt: 2 });
    const child = await h.status('parent-1-child');
    assert.equal(child.body.runtimeStatus, 'Completed');
  });

  it('continues as new with the new input until done', async () => {
    const { id } = await h.start('Counter', 0);
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 3);
    assert.equal(status.input, 3);
    const hist = (await h.status(id, '?showHistory=true')).body.historyEvents!;
    assert.equal(
      hist.filter((e) => e.EventType === 'TaskCompleted').length,
      1,
      'history holds the last execution only',
    );
  });

  it('fails the instance on an unhandled orchestrator error, with the message in output', async () => {
    const { id } = await h.start('Failing', 'bad input');
    const status = await h.waitDone(id);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /Orchestrator function 'Failing' failed: .*boom: bad input/);
    const failed = await h.status(id, '?returnInternalServerErrorOnFailure=true');
    assert.equal(failed.code, 500);
  });

  it('surfaces an activity error to the orchestrator (caught) and fails the instance (uncaught)', async () => {
    const caught = await h.waitDone((await h.start('CatchActivity')).id);
    assert.match(String((caught.output as { caught: string }).caught), /caught me/);
    const failed = await h.waitDone((await h.start('ActivityFails')).id);
    assert.equal(failed.runtimeStatus, 'Failed');
    assert.match(String(failed.output), /activity exploded/);
  });

  it('fails an orchestration that uses durable entities, saying they are not supported', async () => {
    const status = await h.waitDone((await h.start('UsesEntity')).id);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /entities are not supported/);
  });

  it('detects non-determinism when a replay schedules something different from history', async () => {
    await fetch(`${h.rt.baseUrl}/api/flags`, {
      method: 'POST',
      body: JSON.stringify({ nonDeterministic: false }),
    });
    const { id } = await h.start('Shifty');
    // Wait until the first activity has completed and the orchestrator waits for the event.
    for (let i = 0; i < 100; i++) {
      const hist = (await h.status(id, '?showHistory=true')).body.historyEvents ?? [];
      if (hist.some((e) => e.EventType === 'TaskCompleted')) break;
      await new Promise((r) => setImmediate(r));
    }
    await fetch(`${h.rt.baseUrl}/api/flags`, {
      method: 'POST',
      body: JSON.stringify({ nonDeterministic: true }),
    });
    await h.client('raiseEvent', { instanceId: id, eventName: 'Continue', eventData: null });
    const status = await h.waitDone(id);
    await fetch(`${h.rt.baseUrl}/api/flags`, {
      method: 'POST',
      body: JSON.stringify({ nonDeterministic: false }),
    });
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /Non-Deterministic workflow detected/);
    assert.match(String(status.output), /activity task named 'Hello'.*'Double'/);
  });
});
