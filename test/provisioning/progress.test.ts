// The progress reducer alone: pure values, no storage, no engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  applyAll,
  customStatusOf,
  initialProgress,
  reduce,
  writeOf,
  written,
} from '../../lib/provisioning/progress';

const ctx = { name: 'vm1', seq: 2, instanceId: 'vm-vm1-2', at: 't9' };

describe('progress reducer', () => {
  test('start and end steps; a succeeded step emits stepCompleted, a failed one does not', () => {
    const p = applyAll(initialProgress, [
      { type: 'start', names: ['a', 'b'], at: 't1' },
      { type: 'end', name: 'a', status: 'succeeded', at: 't2' },
      { type: 'end', name: 'b', status: 'failed', at: 't3' },
    ]);
    assert.equal(p.step, 'a+b');
    assert.deepEqual(p.steps, [
      { name: 'a', status: 'succeeded', startedAt: 't1', endedAt: 't2' },
      { name: 'b', status: 'failed', startedAt: 't1', endedAt: 't3' },
    ]);
    assert.deepEqual(
      p.pending.map((e) => e.key),
      ['step/a'],
    );
  });

  test('never changes the value it is given', () => {
    const before = reduce(initialProgress, { type: 'start', names: ['a'], at: 't1' });
    const copy = structuredClone(before);
    reduce(before, { type: 'end', name: 'a', status: 'succeeded', at: 't2' });
    reduce(before, { type: 'event', event: { kind: 'running', key: 'running' } });
    reduce(before, { type: 'abandon', at: 't3' });
    assert.deepEqual(before, copy);
    assert.equal(reduce(before, { type: 'end', name: 'zzz', status: 'failed', at: 't2' }), before);
  });

  test('abandon fails every running step; fail and idle set the error and clear the step', () => {
    const p = applyAll(initialProgress, [
      { type: 'start', names: ['a'], at: 't1' },
      { type: 'start', names: ['b'], at: 't1' },
      { type: 'end', name: 'a', status: 'succeeded', at: 't2' },
      { type: 'abandon', at: 't3' },
      { type: 'fail', error: { code: 'X', message: 'x', step: 'b' } },
      { type: 'idle' },
    ]);
    assert.deepEqual(
      p.steps.map((s) => s.status),
      ['succeeded', 'failed'],
    );
    assert.equal(p.step, null);
    assert.deepEqual(customStatusOf(p, 'create', 2), {
      operation: 'create',
      seq: 2,
      step: null,
      steps: p.steps,
      error: { code: 'X', message: 'x', step: 'b' },
    });
  });

  test('a write carries every pending event; only a write that succeeded takes them off', () => {
    const a = applyAll(initialProgress, [
      { type: 'event', event: { kind: 'provisioning', key: 'provisioning' } },
      { type: 'start', names: ['a'], at: 't1' },
    ]);
    const w1 = writeOf(a, ctx, { status: 'provisioning' });
    assert.deepEqual(w1.events, [{ kind: 'provisioning', key: 'provisioning' }]);
    assert.equal(w1.status, 'provisioning');
    assert.equal(w1.at, 't9');
    // The write failed: `a` is adopted as is, the next write carries the event again.
    const b = reduce(a, { type: 'end', name: 'a', status: 'succeeded', at: 't2' });
    const w2 = writeOf(b, ctx);
    assert.deepEqual(
      w2.events?.map((e) => e.key),
      ['provisioning', 'step/a'],
    );
    // An event added after a write was made stays pending when that write succeeds.
    const c = reduce(b, { type: 'event', event: { kind: 'running', key: 'running' } });
    assert.deepEqual(
      written(c, w2).pending.map((e) => e.key),
      ['running'],
    );
  });
});
