// Hostile reads against the local runtime (the app on its own thread, as `npm start` runs it): made-up
// cursors and ids, unknown VMs, a crowd of live streams, clients that hang up, and a mix of bad requests
// while agents push: no 5xx, nothing acknowledged lost, and reads stop when their client is gone.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { rotateIngestToken } from '../../lib/ingest-token';
import { eventually } from '../helpers/runtime';
import { type HostileRuntime, startHostileRuntime } from './helpers';

const MAX_SSE_STREAMS = 100; // lib/http/sse.ts; the README and the OpenAPI text say it too

interface Problem {
  status: number;
  errors?: { field: string }[];
}

describe('hostile reads', () => {
  let t: HostileRuntime;
  const vm = 'hostile-1';
  let token: string;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(t.url(path), { headers });

  /** Entries of `units` units across `boots` boots, recent (inside retention). */
  async function push(units: number, boots: number, perUnit = 2): Promise<number> {
    const start = (Date.now() - 600_000) * 1000;
    const lines: string[] = [];
    let i = 0;
    for (let b = 0; b < boots; b++)
      for (let u = 0; u < units; u++)
        for (let k = 0; k < perUnit; k++) {
          i++;
          lines.push(
            JSON.stringify({
              __CURSOR: `s=h;i=${i.toString(16)};b=${String(b).repeat(32)}`,
              __REALTIME_TIMESTAMP: String(start + b * 60_000_000 + i * 1000),
              _BOOT_ID: String(b).repeat(32),
              _SYSTEMD_UNIT: `unit-${u}.service`,
              MESSAGE: `boot ${b} unit ${u} line ${k}`,
            }),
          );
        }
    const res = await fetch(t.url(`/api/vms/${vm}/journal`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { accepted: number }).accepted;
  }

  before(async () => {
    t = await startHostileRuntime();
    await t.addVm(vm);
    token = await rotateIngestToken(t.services, vm);
    assert.equal(await push(5, 3), 30);
  });
  after(async () => {
    await t?.dispose();
  });

  it('made-up cursors, after= and Last-Event-ID values are 400s naming the parameter', async () => {
    const garbage = 'eyJ0IjoiZ2FyYmFnZSJ9'; // {"t":"garbage"}: valid base64, a bad token inside
    const cases: [string, Record<string, string>, string][] = [
      [`/api/vms?cursor=${garbage}`, {}, 'query.cursor'],
      [`/api/vms?cursor=${Buffer.from('{"a":"../x"}').toString('base64url')}`, {}, 'query.cursor'],
      ['/api/vms?cursor=bnVsbA', {}, 'query.cursor'], // null
      [`/api/vms/${vm}/journal?cursor=${garbage}`, {}, 'query.cursor'],
      [`/api/vms/${vm}/journal?cursor=bnVsbA`, {}, 'query.cursor'],
      [`/api/vms/${vm}/journal?after=${garbage}`, {}, 'query.after'],
      [`/api/vms/${vm}/journal?follow=true`, { 'last-event-id': garbage }, 'query.Last-Event-ID'],
      [`/api/vms/${vm}/units?cursor=${garbage}`, {}, 'query.cursor'],
      [`/api/vms/${vm}/units?cursor=bnVsbA`, {}, 'query.cursor'],
      [`/api/vms/${vm}/boots?cursor=${garbage}`, {}, 'query.cursor'],
      [
        `/api/vms/${vm}/boots?cursor=${Buffer.from('{"t":1e400,"b":"a"}').toString('base64url')}`,
        {},
        'query.cursor',
      ],
      [`/api/events?after=${garbage}`, {}, 'query.after'],
      ['/api/events?watch=true', { 'last-event-id': garbage }, 'header.Last-Event-ID'],
    ];
    for (const [path, headers, field] of cases) {
      const res = await get(path, headers);
      const body = (await res.json()) as Problem;
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.ok(
        body.errors?.some((e) => e.field === field),
        `${path}: ${JSON.stringify(body)}`,
      );
    }
  });

  it('the journal, units and boots of a VM that does not exist are 404', async () => {
    for (const path of ['journal', 'journal?follow=true', 'units', 'boots']) {
      const res = await get(`/api/vms/no-such-vm/${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      await res.body?.cancel();
    }
  });

  it('/units and /boots are paged with limit and cursor', async () => {
    const all = async (list: 'units' | 'boots', limit: number) => {
      const items: Record<string, unknown>[] = [];
      let next: string | null = `/api/vms/${vm}/${list}?limit=${limit}`;
      let pages = 0;
      while (next) {
        const res = await get(next);
        assert.equal(res.status, 200);
        const body = (await res.json()) as { items: Record<string, unknown>[]; nextLink: string | null };
        assert.ok(body.items.length <= limit);
        items.push(...body.items);
        next = body.nextLink;
        pages++;
      }
      return { items, pages };
    };
    const units = await all('units', 2);
    assert.equal(units.pages, 3);
    assert.deepEqual(
      units.items.map((u) => u.unit),
      ['unit-0.service', 'unit-1.service', 'unit-2.service', 'unit-3.service', 'unit-4.service'],
    );
    const boots = await all('boots', 2);
    assert.deepEqual(
      boots.items.map((b) => [b.index, b.bootId]),
      [
        [-2, '0'.repeat(32)],
        [-1, '1'.repeat(32)],
        [0, '2'.repeat(32)],
      ],
    );
    const one = (await (await get(`/api/vms/${vm}/boots`)).json()) as { items: unknown[]; nextLink: null };
    assert.equal(one.items.length, 3);
    assert.equal(one.nextLink, null);
    for (const bad of ['limit=0', 'limit=1001', 'limit=x', 'limit=1&limit=2']) {
      const res = await get(`/api/vms/${vm}/units?${bad}`);
      assert.equal(res.status, 400, bad);
      await res.body?.cancel();
    }
  });

  it(`at most ${MAX_SSE_STREAMS} live streams per instance: one more is a 429 with Retry-After; a hang-up frees its slot`, async () => {
    const streams: AbortController[] = [];
    try {
      for (let i = 0; i < MAX_SSE_STREAMS; i++) {
        const ac = new AbortController();
        const res = await fetch(t.url('/api/events?watch=true'), { signal: ac.signal });
        assert.equal(res.status, 200, `stream ${i}`);
        streams.push(ac);
      }
      const refused = await get(`/api/vms/${vm}/journal?follow=true`);
      assert.equal(refused.status, 429);
      assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(((await refused.json()) as Problem).status, 429);
      streams.pop()!.abort();
      const again = await eventually(async () => {
        const ac = new AbortController();
        const res = await fetch(t.url('/api/events?watch=true'), { signal: ac.signal });
        if (res.status === 200) return ac;
        await res.body?.cancel();
        return undefined;
      }, 5_000);
      streams.push(again);
    } finally {
      for (const ac of streams) ac.abort();
    }
  });

  it('a tail whose client hangs up stops reading storage', async () => {
    const ac = new AbortController();
    const res = await fetch(t.url(`/api/vms/${vm}/journal?follow=true&grep=nothing-matches`), {
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const journalReads = () => t.tableRequests.filter((r) => /journal\d{8}\(\)/.test(r)).length;
    // The tail polls (every 2 s): wait for it to be reading, then hang up.
    const before = journalReads();
    await eventually(() => journalReads() > before + 1, 10_000);
    ac.abort();
    await new Promise((r) => setTimeout(r, 500)); // a read under way may finish
    const atHangUp = journalReads();
    await new Promise((r) => setTimeout(r, 5_000));
    assert.equal(journalReads(), atHangUp, t.tableRequests.slice(-5).join('\n'));
  });

  const postOversized = (path: string, size: number, chunked: boolean, headers: Record<string, string>) =>
    new Promise<number | string>((resolve) => {
      const u = new URL(t.url(path));
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent: false,
          headers: { ...headers, ...(chunked ? {} : { 'content-length': String(size) }) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', (e) => resolve(e.message));
      req.end(Buffer.alloc(size, 0x20));
    });

  it('an oversized POST /api/vms is a 413 every time, also on a reused proxy connection', async () => {
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 6; i++) {
      // A request without a body first leaves the host's connection to the app's proxy open for reuse.
      await (await get('/api/health')).text();
      statuses.push(
        await postOversized('/api/vms', 3 * 1024 * 1024, i % 2 === 1, { 'content-type': 'application/json' }),
      );
    }
    assert.deepEqual(statuses, Array<number>(6).fill(413));
  });

  it('an ingest body declared over 8 MiB is a 413 every time, also on a reused proxy connection', async () => {
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 4; i++) {
      await (await get('/api/health')).text();
      statuses.push(
        await postOversized(`/api/vms/${vm}/journal`, 9 * 1024 * 1024, false, {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
        }),
      );
    }
    assert.deepEqual(statuses, Array<number>(4).fill(413));
  });

  it('a mix of bad requests while an agent pushes: no 5xx, every acknowledged entry readable', async () => {
    const nasty = [
      `/api/vms/${vm}/journal?limit=${'9'.repeat(400)}`,
      `/api/vms/${vm}/journal?since=${encodeURIComponent('2024-13-45T99:99:99Z')}`,
      `/api/vms/${vm}/journal?unit=${'x'.repeat(600)}`,
      `/api/vms/${vm}/journal?grep=${encodeURIComponent('\u0000\uffff%')}`,
      `/api/vms/${vm}/journal?boot=-99999`,
      `/api/vms/${vm}/journal?boot=${'f'.repeat(32)}&order=desc&limit=1`,
      `/api/vms/${vm}/journal?cursor=${'A'.repeat(5000)}`,
      `/api/vms/${vm}/journal?order=desc&follow=true`,
      `/api/vms/${vm}/journal?priority=emerg&priority=debug`,
      `/api/vms/${encodeURIComponent("x'or'1'eq'1")}/journal`,
      `/api/vms/${vm}/units?cursor=%F0%9F%92%A9`,
      '/api/vms?status=running,nope&limit=-1',
      '/api/vms?limit=1000&cursor=' + 'x'.repeat(9000),
      '/api/events?after=9999999999999-999999-ffffff&limit=1000',
      '/api/events/not-an-id',
    ];
    let accepted = 0;
    const pushes = (async () => {
      for (let round = 0; round < 5; round++) accepted += await push(3, 1, 20);
    })();
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++)
      await Promise.all(
        nasty.map(async (path) => {
          const res = await get(path);
          statuses.push(res.status);
          await res.body?.cancel();
        }),
      );
    await pushes;
    assert.deepEqual(
      statuses.filter((s) => s >= 500),
      [],
    );
    // Every entry acknowledged (the first push and these) is there.
    const res = await get(`/api/vms/${vm}/journal?limit=1000`);
    const items = ((await res.json()) as { items: unknown[] }).items;
    assert.equal(items.length, 30 + accepted);
  });
});
