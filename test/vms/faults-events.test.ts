// ARM misbehaving (429 with Retry-After, 500s) must not fail a VM; lifecycle events come in order,
// by id (404 for an id never issued), and the SSE watch resumes after Last-Event-ID.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createParser } from 'eventsource-parser';

import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

let t: VmTestRuntime;
const key = sshPublicKey();

before(async () => {
  t = await startVmRuntime();
});
after(async () => {
  await t?.dispose();
});

interface Sse {
  id?: string;
  data: string;
}

/** Reads SSE events from a watch until `count` have arrived, then aborts the stream. */
async function readWatch(query: string, headers: Record<string, string>, count: number): Promise<Sse[]> {
  const ac = new AbortController();
  const res = await fetch(t.url(`/api/events?watch=true${query}`), { headers, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const out: Sse[] = [];
  const parser = createParser({ onEvent: (e) => out.push({ id: e.id, data: e.data }) });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (out.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } finally {
    ac.abort();
    await reader.cancel().catch(() => undefined);
  }
  return out;
}

describe('faults and events', () => {
  test('429s and 500s from ARM → still running', async () => {
    await t.emulator('PUT', '/_emulator/faults', [
      {
        kind: 'throttle',
        on: 'write',
        resourceType: 'Microsoft.Network/virtualNetworks',
        count: 2,
        retryAfterSeconds: 1,
      },
      { kind: 'serverError', on: 'write', resourceType: 'Microsoft.Network/publicIPAddresses', count: 2 },
      { kind: 'serverError', on: 'read', count: 3 },
      {
        kind: 'throttle',
        on: 'write',
        resourceType: 'Microsoft.Compute/virtualMachines',
        count: 1,
        retryAfterSeconds: 1,
      },
    ]);
    assert.equal((await t.api('POST', '/api/vms', { name: 'flaky1', sshPublicKey: key })).status, 202);
    const vm = await t.waitForStatus('flaky1', 'running', 60_000);
    assert.ok(vm.publicIp);
    const rules = (await t.emulator('GET', '/_emulator/faults')).body.rules;
    assert.ok(
      rules.every((r: { remaining: number }) => r.remaining === 0),
      JSON.stringify(rules),
    );
    await t.emulator('DELETE', '/_emulator/faults');
  });

  test('events in order, by id, and a watch that resumes after Last-Event-ID', async () => {
    const all = await t.api('GET', '/api/events?limit=1000');
    assert.equal(all.status, 200);
    assert.match(all.headers.get('content-type') ?? '', /application\/cloudevents-batch\+json/);
    const mine = all.body.filter((e: { subject: string }) => e.subject === 'flaky1');
    const types = mine.map((e: { type: string }) => e.type);
    assert.equal(types[0], 'vmjournal.vm.queued');
    assert.equal(types[1], 'vmjournal.vm.provisioning');
    assert.deepEqual(types.slice(-2), ['vmjournal.vm.ip.assigned', 'vmjournal.vm.running']);
    assert.ok(types.filter((x: string) => x === 'vmjournal.vm.step.completed').length >= 6);
    const ids = all.body.map((e: { id: string }) => e.id);
    assert.deepEqual([...ids].sort(), ids, 'ids increase');
    for (const e of mine) assert.equal(e.specversion, '1.0');

    const one = await t.api('GET', `/api/events/${ids[2]}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, ids[2]);
    assert.equal((await t.api('GET', '/api/events/0000000000001-000000-000000')).status, 404);
    assert.equal((await t.api('GET', '/api/events/nope')).status, 400);
    const range = await t.api('GET', '/api/events/range');
    assert.deepEqual(range.body, { earliest: ids[0], latest: ids.at(-1) });
    const after = await t.api('GET', `/api/events?after=${ids[0]}&limit=2`);
    assert.deepEqual(
      after.body.map((e: { id: string }) => e.id),
      ids.slice(1, 3),
    );

    // Resume from the middle: the watch replays what came after, in order.
    const replay = await readWatch('', { 'last-event-id': ids[ids.length - 3] }, 2);
    assert.deepEqual(
      replay.map((e) => e.id),
      ids.slice(-2),
    );
    assert.equal(JSON.parse(replay[1]!.data).id, ids.at(-1));

    // Live: a power operation's events arrive on a watch started before it.
    const live = readWatch(`&after=${ids.at(-1)}`, {}, 2);
    assert.equal((await t.api('POST', '/api/vms/flaky1/stop')).status, 202);
    const got = await live;
    const liveTypes = got.map((e) => JSON.parse(e.data).type);
    assert.ok(liveTypes.includes('vmjournal.vm.power.changed'), liveTypes.join(','));
    await t.waitForStatus('flaky1', 'stopped');
  });
});
