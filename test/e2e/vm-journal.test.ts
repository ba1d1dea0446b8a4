// The product end to end, as `npm start` runs it: a VM created through the API is provisioned by the
// Durable orchestration against the ARM emulator, boots a simulated guest that runs the real agent from
// its cloud-init payload, and its journal becomes queryable and live-tailable; power cycles add boots.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { createParser, type EventSourceMessage } from 'eventsource-parser';

import { eventually } from '../helpers/runtime';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from '../vms/helpers';

/** Reads SSE events from a follow stream until `enough` says stop (or the time is up). */
async function readEvents(url: string, enough: (events: EventSourceMessage[]) => boolean, timeoutMs: number) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const events: EventSourceMessage[] = [];
  try {
    const res = await fetch(url, { signal: ctl.signal, headers: { accept: 'text/event-stream' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const parser = createParser({ onEvent: (e) => events.push(e) });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (enough(events)) break;
    }
  } catch (e) {
    if (!ctl.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return events;
}

describe('end to end: a VM ships its journal', () => {
  let t: VmTestRuntime;
  before(async () => {
    t = await startVmRuntime({
      guests: { trickleIntervalMs: 300, agentEnv: { VMJ_FLUSH_DELAY_MS: '200' } },
    });
  });
  after(() => t.dispose());

  it('creates a VM whose journal is queryable by unit, live-tailable, and gains a boot per power cycle', async () => {
    const created = await t.api('POST', '/api/vms', {
      name: 'e2e-1',
      size: 'small',
      sshPublicKey: sshPublicKey(),
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const vm = await t.waitForStatus('e2e-1', 'running', 60_000);
    assert.ok(vm.publicIp, 'public IP known');

    const ssh = await eventually(
      async () => {
        const r = await t.api('GET', '/api/vms/e2e-1/journal?unit=ssh.service');
        return r.status === 200 && r.body.items.length > 0 && r.body.items;
      },
      60_000,
      250,
    );
    assert.ok(ssh.every((e: any) => e.unit === 'ssh.service' && e.hostname === vm.name));

    // The unit index is read through a short per-instance cache: eventually consistent, as on Azure.
    const names = await eventually(
      async () => {
        const r = await t.api('GET', '/api/vms/e2e-1/units');
        const seen: string[] = r.body.items.map((u: any) => u.unit);
        return ['kernel', 'ssh.service'].every((u) => seen.includes(u)) && seen;
      },
      30_000,
      250,
    );
    assert.ok(names.includes('kernel') && names.includes('ssh.service'));

    // The guest keeps writing; the live tail delivers entries written after it started.
    const since = Date.now();
    const events = await readEvents(
      t.url('/api/vms/e2e-1/journal?follow=true&since=' + encodeURIComponent(new Date(since).toISOString())),
      (ev) => ev.some((e) => e.id && Date.parse(JSON.parse(e.data).time) >= since),
      30_000,
    );
    assert.ok(
      events.some((e) => e.id && Date.parse(JSON.parse(e.data).time) >= since),
      'a new entry arrived through the live tail',
    );

    // Stop and start: the guest boots again with a new boot id, and the agent carries on from its cursor.
    assert.equal((await t.api('POST', '/api/vms/e2e-1/stop')).status, 202);
    await t.waitForStatus('e2e-1', 'stopped', 60_000);
    assert.equal((await t.api('POST', '/api/vms/e2e-1/start')).status, 202);
    await t.waitForStatus('e2e-1', 'running', 60_000);
    const boots = await eventually(
      async () => {
        const r = await t.api('GET', '/api/vms/e2e-1/boots');
        return r.body.items.length >= 2 && r.body.items;
      },
      60_000,
      250,
    );
    assert.deepEqual(
      boots.map((b: any) => b.index),
      [-1, 0],
    );
    assert.notEqual(boots[0].bootId, boots[1].bootId);

    // No entry is stored twice: offsets are unique across the whole journal.
    const all = await t.api('GET', '/api/vms/e2e-1/journal?limit=1000');
    const cursors = all.body.items.map((e: any) => e.cursor);
    assert.equal(new Set(cursors).size, cursors.length);

    assert.equal((await t.api('DELETE', '/api/vms/e2e-1')).status, 202);
    await t.waitForStatus('e2e-1', 'deleted', 60_000);
    const state = await t.emulator('GET', '/_emulator/state');
    assert.deepEqual(state.body.resources, []);
  });
});
