// Event ids must become visible in increasing order, or a reader that has moved past an id never sees
// a smaller one that commits later. Each Services is one app instance (its own commit queue, id minter
// and listeners), so several on one Azurite are several instances; their clocks are fake, so the test
// decides when a transaction commits and when a watch polls, without real sleeps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { TableClient } from '@azure/data-tables';

import type { StoredEvent } from '../../lib/events/store';
import { appendEvent, EVENTS_TABLE, latestEvents, onEventAppended } from '../../lib/events/store';
import { watchEvents } from '../../lib/events/watch';
import type { SseWriter } from '../../lib/http/sse';
import type { Services } from '../../lib/services';
import { FakeClock } from '../helpers/clock';
import { startTestStorage, testServices, type TestStorage } from '../helpers/services';

let storage: TestStorage;

before(async () => {
  storage = await startTestStorage();
});
after(async () => {
  await storage?.dispose();
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Holds the table's first transaction until `release()`; records each transaction's size. */
async function holdFirstTransaction(services: Services) {
  const table: TableClient = await services.table(EVENTS_TABLE);
  const submit = table.submitTransaction.bind(table);
  const sizes: number[] = [];
  const inFlight = deferred();
  const released = deferred();
  table.submitTransaction = async (actions) => {
    sizes.push(actions.length);
    if (sizes.length === 1) {
      inFlight.resolve();
      await released.promise;
    }
    return submit(actions);
  };
  return { sizes, inFlight: inFlight.promise, release: released.resolve };
}

const subjects = async (services: Services) => (await latestEvents(services, 1000)).map((e) => e.subject);

describe('event order', () => {
  test('an append waits for the one in flight: ids commit in order, and waiting appends go together', async () => {
    const services = testServices(storage.connectionString, {}, { clock: new FakeClock() });
    const held = await holdFirstTransaction(services);
    const committed: string[] = [];
    const stop = onEventAppended(services, (e) => committed.push(e.id));
    try {
      const first = appendEvent(services, 'queued', 'order-a', { n: 0 });
      await held.inFlight;
      const rest = Array.from({ length: 10 }, (_, i) =>
        appendEvent(services, 'queued', `order-b${i}`, { n: i + 1 }),
      );
      held.release();
      const ids = (await Promise.all([first, ...rest])).map((e) => e!.id);
      assert.deepEqual([...ids].sort(), ids, 'ids follow the order of the appends');
      assert.deepEqual(committed, ids, 'each id commits after every smaller one');
      assert.deepEqual(held.sizes, [2, 20], 'the ten appends that waited went in one transaction');
    } finally {
      stop();
    }
    const stored = await subjects(services);
    assert.ok(stored.includes('order-a') && stored.includes('order-b9'));
  });

  test('in a group, a taken dedupe key or an invalid event fails only its own append', async () => {
    const services = testServices(storage.connectionString, {}, { clock: new FakeClock() });
    assert.ok(await appendEvent(services, 'queued', 'dedupe-a', {}, { dedupeKey: 'group-test/1' }));
    const held = await holdFirstTransaction(services);
    const inFlight = appendEvent(services, 'queued', 'dedupe-b', {});
    await held.inFlight;
    const settled = Promise.allSettled([
      appendEvent(services, 'queued', 'dedupe-a', {}, { dedupeKey: 'group-test/1' }),
      appendEvent(services, 'queued', 'dedupe-c', {}, { dedupeKey: 'group-test/2' }),
      appendEvent(services, 'queued', 'dedupe-d', {}, { time: 'not a time' }),
      inFlight,
    ]);
    held.release();
    const [dup, fresh, invalid] = await settled;
    assert.deepEqual(dup, { status: 'fulfilled', value: undefined }, 'the duplicate is not stored again');
    assert.equal(fresh.status === 'fulfilled' && fresh.value?.subject, 'dedupe-c');
    assert.equal(invalid.status, 'rejected');
    const stored = await subjects(services);
    assert.equal(stored.filter((x) => x === 'dedupe-a').length, 1);
    assert.equal(stored.filter((x) => x === 'dedupe-c').length, 1);
    assert.ok(!stored.includes('dedupe-d'));
  });

  test('instances keep their own listeners: an append wakes only its own', async () => {
    const [a, b] = [0, 1].map(() => testServices(storage.connectionString));
    const heard: string[] = [];
    const stop = onEventAppended(a!, (e) => heard.push(e.subject));
    try {
      await appendEvent(b!, 'queued', 'instance-b', {});
      await appendEvent(a!, 'queued', 'instance-a', {});
      assert.deepEqual(heard, ['instance-a']);
    } finally {
      stop();
    }
  });

  test('a watch delivers a late event (smaller id, committed later by another instance) once', async () => {
    const start = Date.UTC(2040, 0, 1); // after every other test's events: the anchor is the latest
    const watcherClock = new FakeClock(start);
    const watcher = testServices(storage.connectionString, {}, { clock: watcherClock });
    // Another instance, whose clock is three seconds ahead, wrote the latest event.
    const ahead = testServices(storage.connectionString, {}, { clock: new FakeClock(start + 3000) });
    // A third commits an event with a smaller id once the watch has started.
    const behind = testServices(storage.connectionString, {}, { clock: new FakeClock(start + 100) });
    const anchor = await appendEvent(ahead, 'queued', 'late-anchor', {});

    const got: string[] = [];
    const ac = new AbortController();
    const writer: SseWriter = {
      send: (e) => got.push((JSON.parse(e.data) as StoredEvent).subject),
      comment: () => undefined,
      signal: ac.signal,
    };
    const watching = watchEvents(watcher, writer, { pollMs: 1000 });
    try {
      await watcherClock.sleeping(); // it has read where it starts, and waits
      const late = await appendEvent(behind, 'queued', 'late-event', {});
      assert.ok(late && anchor && late.id < anchor.id, 'the late event has the smaller id');
      await watcherClock.runUntil(() => got.includes('late-event'));
      assert.deepEqual(got, ['late-event'], 'nothing from before the watch began');
      // Only a poll finds the next one (another instance): that poll's look-back must not resend the late event.
      await appendEvent(ahead, 'queued', 'after-late', {});
      await watcherClock.runUntil(() => got.includes('after-late'));
      assert.deepEqual(got, ['late-event', 'after-late']);
    } finally {
      ac.abort();
      await watching;
    }
  });
});
