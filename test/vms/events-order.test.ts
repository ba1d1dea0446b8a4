// Event ids must become visible in increasing order, or a reader that has moved past an id never sees
// a smaller one that commits later. This test process appends with its own copy of lib/events (the app
// runs from dist/): to the app it is another instance, whose events only polling finds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import type { TableClient } from '@azure/data-tables';
import { createParser } from 'eventsource-parser';

import type * as EventStore from '../../lib/events/store';
import { appendEvent, EVENTS_TABLE, onEventAppended } from '../../lib/events/store';
import { resetLegacyServices, tableClient } from '../../lib/legacy-services';
import { startVmRuntime, type VmTestRuntime } from './helpers';

let t: VmTestRuntime;

before(async () => {
  t = await startVmRuntime();
  resetLegacyServices(); // this process's lib now reads the runtime's storage settings
  resetLegacyServices();
});
after(async () => {
  await t?.dispose();
});

describe('event order', () => {
  test('an append waits for the one in flight: ids commit in order, and waiting appends go together', async () => {
    const table: TableClient = await tableClient(EVENTS_TABLE);
    const submit = table.submitTransaction.bind(table);
    const transactions: number[] = [];
    let calls = 0;
    // The first transaction is slow to commit, as one can be; the appends behind it must not overtake it.
    table.submitTransaction = async (actions) => {
      transactions.push(actions.length);
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 300));
      return submit(actions);
    };
    const committed: string[] = [];
    const stop = onEventAppended((e) => committed.push(e.id));
    try {
      const first = appendEvent('queued', 'order-a', { n: 0 });
      await new Promise((r) => setTimeout(r, 20)); // its transaction is in flight
      const rest = Array.from({ length: 10 }, (_, i) => appendEvent('queued', `order-b${i}`, { n: i + 1 }));
      const ids = (await Promise.all([first, ...rest])).map((e) => e!.id);
      assert.deepEqual([...ids].sort(), ids, 'ids follow the order of the appends');
      assert.deepEqual(committed, ids, 'each id commits after every smaller one');
      assert.deepEqual(transactions, [2, 20], 'the ten appends that waited went in one transaction');
    } finally {
      stop();
      table.submitTransaction = submit;
    }
    const listed = await t.api('GET', `/api/events?limit=1000`);
    const subjects = listed.body.map((e: { subject: string }) => e.subject);
    assert.ok(subjects.includes('order-a') && subjects.includes('order-b9'));
  });

  test('in a group, a taken dedupe key or an invalid event fails only its own append', async () => {
    const table: TableClient = await tableClient(EVENTS_TABLE);
    const submit = table.submitTransaction.bind(table);
    let calls = 0;
    table.submitTransaction = async (actions) => {
      if (calls++ === 0) await new Promise((r) => setTimeout(r, 200));
      return submit(actions);
    };
    try {
      assert.ok(await appendEvent('queued', 'dedupe-a', {}, { dedupeKey: 'group-test/1' }));
      const inFlight = appendEvent('queued', 'dedupe-b', {});
      await new Promise((r) => setTimeout(r, 20));
      const [dup, fresh, invalid] = await Promise.allSettled([
        appendEvent('queued', 'dedupe-a', {}, { dedupeKey: 'group-test/1' }),
        appendEvent('queued', 'dedupe-c', {}, { dedupeKey: 'group-test/2' }),
        appendEvent('queued', 'dedupe-d', {}, { time: 'not a time' }),
        inFlight,
      ]);
      assert.deepEqual(dup, { status: 'fulfilled', value: undefined }, 'the duplicate is not stored again');
      assert.equal(fresh.status === 'fulfilled' && fresh.value?.subject, 'dedupe-c');
      assert.equal(invalid.status, 'rejected');
    } finally {
      table.submitTransaction = submit;
    }
    const listed = await t.api('GET', `/api/events?limit=1000`);
    const subjects: string[] = listed.body.map((e: { subject: string }) => e.subject);
    assert.equal(subjects.filter((x) => x === 'dedupe-a').length, 1);
    assert.equal(subjects.filter((x) => x === 'dedupe-c').length, 1);
    assert.ok(!subjects.includes('dedupe-d'));
  });

  test('a watch delivers a late event (smaller id, committed later by another instance)', async () => {
    // Another instance, whose clock is three seconds ahead, wrote the latest event.
    const now = Date.now;
    Date.now = () => now() + 3000;
    let latest;
    try {
      latest = await appendEvent('queued', 'late-anchor', {});
    } finally {
      Date.now = now;
    }
    const ac = new AbortController();
    const res = await fetch(t.url('/api/events?watch=true'), { signal: ac.signal });
    assert.equal(res.status, 200);
    const got: string[] = [];
    const parser = createParser({ onEvent: (e) => got.push(JSON.parse(e.data).subject) });
    const reading = (async () => {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) parser.feed(chunk);
    })().catch(() => undefined);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the watch has started after the anchor
      // A third instance (the compiled lib, with its own id clock) commits an event with a smaller id.
      const other = (await import(
        pathToFileURL(join(__dirname, '../../dist/lib/events/store.js')).href
      )) as typeof EventStore;
      const late = await other.appendEvent('queued', 'late-event', {});
      assert.ok(late && latest && late.id < latest.id, 'the late event has the smaller id');
      const deadline = Date.now() + 5000;
      while (!got.includes('late-event') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, ['late-event'], 'sent once, and nothing from before the watch began');
      await new Promise((r) => setTimeout(r, 1500)); // another poll: not sent again
      assert.deepEqual(got, ['late-event']);
    } finally {
      ac.abort();
      await reading;
    }
  });
});
