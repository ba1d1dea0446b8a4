// Live tail (lib/journal/follow.ts) against Azurite: a grep that matches nothing does not rescan what it
// read, a future-dated entry does not hide the real entries after it, and an entry that arrives a few
// seconds late is still delivered. Storage traffic is counted at the wire (a proxy before Azurite).
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import type { SseEvent, SseWriter } from '../../lib/http/sse';
import { toRecord } from '../../lib/journal/entry';
import type { RawEntry } from '../../lib/journal/fields';
import { followJournal } from '../../lib/journal/follow';
import { updateIndexes } from '../../lib/journal/indexes';
import type { JournalQuery } from '../../lib/journal/query';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import { eventually } from '../helpers/runtime';
import { testServices } from '../helpers/services';
import { startAzurite } from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

const BOOT = 'f0'.repeat(16);
let seq = 0;

async function put(vm: string, unit: string, times: number[], message = 'line'): Promise<void> {
  const recs = times.map((t) => {
    seq++;
    const raw: RawEntry = new Map(
      Object.entries({
        __CURSOR: `s=f;i=${seq.toString(16)};b=${BOOT}`,
        __SEQNUM: String(seq),
        __REALTIME_TIMESTAMP: String(t),
        _BOOT_ID: BOOT,
        _SYSTEMD_UNIT: unit,
        MESSAGE: `${message} ${seq}`,
      }).map(([k, v]) => [k, [v]]),
    );
    return toRecord(raw, seq);
  });
  for (let i = 0; i < recs.length; i += 1000) {
    const w = await writeRecords(services, vm, recs.slice(i, i + 1000));
    const byBucket = new Map<string, typeof w.stored>();
    for (const r of w.stored) {
      const b = new Date(r.realtimeUsec / 1000).toISOString().slice(0, 10).replaceAll('-', '');
      byBucket.set(b, [...(byBucket.get(b) ?? []), r]);
    }
    for (const [b, list] of byBucket) await updateIndexes(services, vm, b, list);
  }
}

/** Runs a tail until `until` says stop; returns what it sent. */
function tail(vm: string, q: Partial<JournalQuery>) {
  const got: SseEvent[] = [];
  const stop = new AbortController();
  const w: SseWriter = { send: (e) => got.push(e), comment: () => undefined, signal: stop.signal };
  const done = followJournal(services, vm, { limit: 100, order: 'asc', ...q }, w, { pollMs: 40 });
  return {
    got,
    messages: () => got.map((e) => (JSON.parse(e.data) as { message: string }).message),
    stop: async () => {
      stop.abort();
      await done;
    },
  };
}

describe('live tail', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  let proxy: Server;
  /** Rows returned by table queries of journal tables, per request. */
  const rows: number[] = [];

  before(async () => {
    storage = await startAzurite();
    services = storage.services;
    const tablePort = Number(/TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(storage.connectionString)![1]);
    proxy = createServer((req, res) => {
      const counted = req.method === 'GET' && /\/journal\d{8}\(\)/.test(req.url ?? '');
      const up = request(
        { host: '127.0.0.1', port: tablePort, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            const body = Buffer.concat(chunks);
            if (counted) {
              try {
                rows.push((JSON.parse(body.toString('utf8')) as { value: unknown[] }).value.length);
              } catch {
                rows.push(0);
              }
            }
            res.end(body);
          });
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    services = testServices(
      storage.connectionString.replace(`:${tablePort}/`, `:${(proxy.address() as AddressInfo).port}/`),
    );
  });
  after(async () => {
    await new Promise((r) => proxy.close(r));
    await storage.dispose();
  });

  it('follow with a grep that matches nothing reads the old entries at most once', async () => {
    const vm = 'vm-grep';
    const hourAgo = (Date.now() - 3_600_000) * 1000;
    await put(
      vm,
      'busy.service',
      Array.from({ length: 2500 }, (_, i) => hourAgo + i * 1000),
    );
    rows.length = 0;
    const t = tail(vm, { grep: 'no-such-text', units: ['busy.service'] });
    await eventually(() => rows.length >= 40, 20_000, 20);
    await t.stop();
    assert.deepEqual(t.got, []);
    // The first read (the newest matching, whole range) scans the 2,500 rows; every wake-up after it
    // reads only the last seconds, which hold nothing.
    const total = rows.reduce((a, b) => a + b, 0);
    assert.ok(total <= 4000, `rows read over ${rows.length} requests: ${total}`);
    assert.deepEqual(rows.slice(-30), Array<number>(30).fill(0));
  });

  it('an entry dated in the future does not hide the real entries that follow it', async () => {
    const vm = 'vm-future';
    const now = Date.now() * 1000;
    await put(vm, 'a.service', [now - 60_000_000], 'before');
    const t = tail(vm, {});
    await eventually(() => t.got.length === 1);
    await put(vm, 'a.service', [now + 12 * 3_600_000_000], 'future');
    await eventually(() => t.messages().some((m) => m.startsWith('future')));
    await put(vm, 'a.service', [Date.now() * 1000], 'real');
    await eventually(() => t.messages().some((m) => m.startsWith('real')), 5_000);
    await t.stop();
    assert.deepEqual(
      t.messages().map((m) => m.split(' ')[0]),
      ['before', 'future', 'real'],
    );
  });

  it('an entry that arrives a few seconds late, after a newer one, is still delivered once', async () => {
    const vm = 'vm-late';
    const t = tail(vm, {});
    const now = Date.now() * 1000;
    await put(vm, 'b.service', [now], 'newer');
    await eventually(() => t.got.length === 1);
    await put(vm, 'b.service', [now - 3_000_000], 'older');
    await eventually(() => t.got.length === 2, 5_000);
    await new Promise((r) => setTimeout(r, 300)); // more wake-ups: nothing sent twice
    await t.stop();
    assert.deepEqual(
      t.messages().map((m) => m.split(' ')[0]),
      ['newer', 'older'],
    );
  });
});
