// The model of the Azure Storage provider's queue polling: its back-off (DurableTask.AzureStorage's
// BackoffPollingHelper), and the engine holding client messages and fired timers until the next poll.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { MIN_POLL_MS, QueuePollingModel } from '../../durable/queue-polling';
import { type Harness, startHarness } from './harness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('queue polling model', () => {
  it('backs off from 50 ms, doubling with jitter up to the maximum', () => {
    let now = 1_000;
    const fixed = new QueuePollingModel({ maxIntervalMs: 1_000, random: () => 0.5, now: () => now });
    // 50 ms, then 50 + 2^(n-1) × 50 ms: 100, 150, 250, 450, 850, then capped at 1000.
    assert.deepEqual(
      fixed.pollsAfter(now, 8).map((t) => t - 1_000),
      [50, 150, 300, 550, 1000, 1850, 2850, 3850],
    );
    now = 5_000; // polls before now found nothing and are forgotten; the back-off stays at its cap
    assert.deepEqual(
      fixed.pollsAfter(now, 2).map((t) => t - 1_000),
      [4850, 5850],
    );
    const low = new QueuePollingModel({ maxIntervalMs: 10_000, random: () => 0, now: () => 0 });
    const high = new QueuePollingModel({ maxIntervalMs: 10_000, random: () => 0.999999, now: () => 0 });
    // ±20 % jitter on the increment: 50 + 0.8 × 50 and 50 + 1.2 × 50 for the second sleep.
    assert.equal(low.pollsAfter(0, 2)[1]! - MIN_POLL_MS, 90);
    assert.ok(Math.abs(high.pollsAfter(0, 2)[1]! - MIN_POLL_MS - 110) < 0.01);
  });

  it('delivers an unannounced message at the next poll, a woken one at once with what is visible', async () => {
    const model = new QueuePollingModel({ maxIntervalMs: 300, random: () => 0.5 });
    try {
      await sleep(1_000); // idle: the poller sleeps its maximum, 300 ms
      const t0 = Date.now();
      const order: string[] = [];
      let held = 0;
      const delivered = new Promise<void>((ok) =>
        model.add(() => {
          held = Date.now() - t0;
          order.push('client');
          ok();
        }),
      );
      await delivered;
      assert.ok(held <= 300 + 150, `held ${held} ms`); // the slack: timer lag on a busy machine
      // The poll that found it reset the back-off: a message 20 ms later waits for the 50 ms poll.
      await sleep(20);
      const t1 = Date.now();
      await new Promise<void>((ok) => model.add(ok));
      const waited = Date.now() - t1;
      assert.ok(waited >= 15 && waited <= 30 + 150, `waited ${waited} ms`);
      // A timer due now (not visible before) and then a wake: the wake's poll takes both, at once.
      await sleep(200);
      model.add(() => order.push('timer'));
      model.wake(() => order.push('worker'));
      assert.deepEqual(order, ['client', 'timer', 'worker']);
    } finally {
      model.dispose();
    }
  });

  describe('in the engine', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ durable: { queuePolling: 'model', queuePollingRandom: () => 0.5 } });
    });
    after(() => h.dispose());

    it('reads maxQueuePollingInterval from host.json', () => {
      const hostJson = JSON.parse(readFileSync('host.json', 'utf8')) as {
        extensions: { durableTask: { storageProvider: { maxQueuePollingInterval: string } } };
      };
      assert.equal(hostJson.extensions.durableTask.storageProvider.maxQueuePollingInterval, '00:00:05');
      assert.equal(h.plugin.engine!.queuePolling?.maxIntervalMs, 5_000);
    });

    it('a fired timer waits for the next poll of the control queue', async () => {
      // The episode that creates the 1 s timer runs right after the poll p that found the start
      // message; later polls: p + 50, 150, 300, 550, 1000, 1850 ms. The timer, due just after p + 1000,
      // is found by the poll at p + 1850: the orchestration resumes ~850 ms late (less the episode's own
      // time). Without the model it resumes as soon as the timer is due.
      const { id } = await h.start('Timer', 1_000);
      const status = await h.waitDone(id);
      assert.equal(status.runtimeStatus, 'Completed');
      const late = (status.output as number) - 1_000;
      // Bounds wide enough for a busy machine (episode and timer lag); without the model it is ~5 ms.
      assert.ok(late >= 250 && late <= 2_000, `resumed ${late} ms after the timer was due`);
    });
  });
});
