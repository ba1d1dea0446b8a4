// Requests a newest-N query costs, counted at the wire (a proxy in front of Azurite's table endpoint),
// on a cold instance (nothing cached) and a warm one. Results are checked against the rows written.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { bucketStart } from '../../lib/journal/buckets';
import { toRecord } from '../../lib/journal/entry';
import type { RawEntry } from '../../lib/journal/fields';
import { forgetIndexes, updateIndexes } from '../../lib/journal/indexes';
import { forgetQueryHints, type JournalQuery, queryJournal } from '../../lib/journal/query';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import { testServices } from '../helpers/services';
import { startAzurite } from './helpers';

const DAY_US = 86_400_000_000;
const TODAY = bucketStart('20231114');
const NOW_MS = (TODAY + 20 * 3_600_000_000) / 1000;
const BOOT = 'd4'.repeat(16);
const VM = 'vm-req';
/** The app under test: the one that wrote, then (coldInstance) a new one on the counting proxy. */
let services: Services;
let proxied: string;

/** Entries of one unit, `n` of them spread evenly over [from, to). Returns their offsets' times. */
async function load(unit: string, n: number, from: number, to: number): Promise<number[]> {
  const step = Math.floor((to - from) / n);
  const times = Array.from({ length: n }, (_, i) => from + i * step);
  const recs = times.map((t, i) => {
    const raw: RawEntry = new Map(
      Object.entries({
        __CURSOR: `s=x;i=${t.toString(16)};b=${BOOT}`,
        __REALTIME_TIMESTAMP: String(t),
        _BOOT_ID: BOOT,
        _SYSTEMD_UNIT: unit,
        PRIORITY: String(i % 8),
        MESSAGE: `${unit} line ${i}${i % 10 === 0 ? ' needle' : ''}`,
      }).map(([k, v]) => [k, [v]]),
    );
    return toRecord(raw, i);
  });
  for (let i = 0; i < recs.length; i += 1000) {
    const w = await writeRecords(services, VM, recs.slice(i, i + 1000), NOW_MS);
    await updateIndexes(
      services,
      VM,
      '20231114',
      w.stored.filter((r) => r.realtimeUsec >= TODAY),
    );
    await updateIndexes(
      services,
      VM,
      '20231113',
      w.stored.filter((r) => r.realtimeUsec < TODAY),
    );
  }
  return times;
}

describe('newest-N query: requests on a cold and a warm instance', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  let proxy: Server;
  const seen: string[] = [];
  const times: Record<string, number[]> = {};

  before(async () => {
    storage = await startAzurite();
    services = storage.services;
    const tablePort = Number(/TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(storage.connectionString)![1]);
    proxy = createServer((req, res) => {
      seen.push(`${req.method} ${decodeURIComponent(req.url ?? '')}`);
      const up = request(
        { host: '127.0.0.1', port: tablePort, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    times.quiet = await load('quiet.service', 300, TODAY, TODAY + 19 * 3_600_000_000);
    times.busy = await load('busy.service', 2500, TODAY, TODAY + 19 * 3_600_000_000);
    // 40 today, 200 the day before: newest 100 cross the day boundary.
    times.split = [
      ...(await load('split.service', 200, TODAY - DAY_US, TODAY - 1)),
      ...(await load('split.service', 40, TODAY, TODAY + 19 * 3_600_000_000)),
    ];
    proxied = storage.connectionString.replace(`:${tablePort}/`, `:${port}/`);
  });
  after(async () => {
    await new Promise((r) => proxy.close(r));
    await storage.dispose();
  });

  /** A fresh app instance: no clients, no bucket list, no index or window hints. */
  const coldInstance = () => {
    services = testServices(proxied);
  };
  const query = async (unit: string, extra: Partial<JournalQuery> = {}) => {
    seen.length = 0;
    const r = await queryJournal(
      services,
      VM,
      { units: [unit], limit: 100, order: 'desc', ...extra },
      NOW_MS,
    );
    return { offsets: r.items.map((e) => e.offset.slice(0, 16)), wire: [...seen], counted: r.requests };
  };
  const newest = (ts: number[], n = 100) =>
    [...ts]
      .sort((a, b) => b - a)
      .slice(0, n)
      .map((t) => String(t).padStart(16, '0'));

  it('a unit with ≤ 1000 entries that day: one query (plus the table listing on a new process)', async () => {
    coldInstance();
    const cold = await query('quiet.service');
    assert.deepEqual(cold.offsets, newest(times.quiet!));
    assert.equal(cold.wire.length, 2, cold.wire.join('\n'));
    assert.match(cold.wire[0]!, /^GET \/devstoreaccount1\/Tables/);
    assert.match(cold.wire[1]!, /^GET \/devstoreaccount1\/journal20231114\(\)/);
    assert.equal(cold.counted, 2);
    // No index read, no table creation: the same query with the table list cached is one request.
    forgetQueryHints(services);
    forgetIndexes(services, VM);
    const noHints = await query('quiet.service');
    assert.deepEqual(noHints.offsets, cold.offsets);
    assert.equal(noHints.wire.length, 1, noHints.wire.join('\n'));
    const warm = await query('quiet.service');
    assert.deepEqual(warm.offsets, cold.offsets);
    assert.equal(warm.wire.length, 1);
  });

  it('the whole-VM view (packed): the units merged; a page, the index row and a window cold, one warm', async () => {
    coldInstance();
    // The fixture's seqnum is the time, so units' entries at the same time share an offset: one entry.
    const today = [...new Set([...times.quiet!, ...times.busy!, ...times.split!])].filter((t) => t >= TODAY);
    const run = async () => {
      seen.length = 0;
      const r = await queryJournal(services, VM, { limit: 100, order: 'desc' }, NOW_MS);
      return { offsets: r.items.map((e) => e.offset.slice(0, 16)), wire: [...seen], counted: r.requests };
    };
    const cold = await run();
    assert.deepEqual(cold.offsets, newest(today));
    // Table listing, the day's first page of packs (cut short: ~2,800 entries a few a minute), the
    // day's index rows, one window.
    assert.equal(cold.wire.length, 4, cold.wire.join('\n'));
    assert.equal(cold.counted, 4);
    const warm = await run();
    assert.deepEqual(warm.offsets, cold.offsets);
    assert.equal(warm.wire.length, 1, warm.wire.join('\n'));
  });

  it('a busy unit: three requests cold (page, index row, window), one warm, same results', async () => {
    forgetQueryHints(services);
    const cold = await query('busy.service');
    assert.deepEqual(cold.offsets, newest(times.busy!));
    assert.equal(cold.wire.length, 3, cold.wire.join('\n'));
    assert.match(
      cold.wire[1]!,
      /^GET \/devstoreaccount1\/journal20231114\(PartitionKey='vm-req\|\|i',RowKey='u\|busy/,
    );
    const warm = await query('busy.service');
    assert.deepEqual(warm.offsets, cold.offsets);
    assert.equal(warm.wire.length, 1, warm.wire.join('\n'));
    // Filters keep results exact whatever the window guess was.
    const prio = await query('busy.service', { priority: 2 });
    const all = times.busy!.filter((_, i) => i % 8 <= 2);
    assert.deepEqual(prio.offsets, newest(all));
    const grep = await query('busy.service', { grep: 'NEEDLE', limit: 50 });
    assert.deepEqual(
      grep.offsets,
      newest(
        times.busy!.filter((_, i) => i % 10 === 0),
        50,
      ),
    );
  });

  it('across a day boundary: one request per day read, results merged newest first', async () => {
    forgetQueryHints(services);
    const cold = await query('split.service');
    assert.deepEqual(cold.offsets, newest(times.split!));
    assert.equal(cold.wire.length, 2, cold.wire.join('\n'));
    assert.match(cold.wire[1]!, /journal20231113/);
    const warm = await query('split.service');
    assert.deepEqual(warm.offsets, cold.offsets);
    assert.ok(warm.wire.length <= 2, warm.wire.join('\n'));
  });
});
