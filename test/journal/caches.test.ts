// The index caches (lib/journal/indexes.ts) stay bounded however many VMs an instance serves: the
// oldest entries are evicted beyond MAX_CACHED_INDEXES, and an evicted VM still reads and writes right.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { toRecord } from '../../lib/journal/entry';
import type { RawEntry } from '../../lib/journal/fields';
import { cachedIndexCount, MAX_CACHED_INDEXES, readIndex, updateIndexes } from '../../lib/journal/indexes';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import { startAzurite } from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

describe('index caches', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    storage = await startAzurite();
    services = storage.services;
  });
  after(async () => {
    await storage?.dispose();
  });

  it(`hold at most ${MAX_CACHED_INDEXES} VMs' rows and reads`, async () => {
    const now = Date.now();
    const bucket = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
    const vms = Array.from({ length: MAX_CACHED_INDEXES + 60 }, (_, i) => `cache-${i}`);
    const record = (vm: string) => {
      const raw: RawEntry = new Map(
        Object.entries({
          __CURSOR: `s=c;i=1;b=${'e'.repeat(32)}`,
          __REALTIME_TIMESTAMP: String((now - 1000) * 1000),
          _SYSTEMD_UNIT: `${vm}.service`,
          MESSAGE: 'x',
        }).map(([k, v]) => [k, [v]]),
      );
      return toRecord(raw, 0);
    };
    for (let i = 0; i < vms.length; i += 20)
      await Promise.all(
        vms.slice(i, i + 20).map(async (vm) => {
          const w = await writeRecords(services, vm, [record(vm)]);
          await updateIndexes(services, vm, bucket, w.stored);
          await readIndex(services, vm, now);
        }),
      );
    const counts = cachedIndexCount(services);
    assert.ok(counts.rows <= MAX_CACHED_INDEXES, JSON.stringify(counts));
    assert.ok(counts.reads <= MAX_CACHED_INDEXES, JSON.stringify(counts));
    // The first VM was evicted from both caches: it still reads its index and adds to it correctly.
    assert.equal((await readIndex(services, 'cache-0', now + 3_000)).units[0]?.count, 1);
    const raw: RawEntry = new Map(
      Object.entries({
        __CURSOR: `s=c;i=2;b=${'e'.repeat(32)}`,
        __REALTIME_TIMESTAMP: String((now - 500) * 1000),
        _SYSTEMD_UNIT: 'cache-0.service',
        MESSAGE: 'y',
      }).map(([k, v]) => [k, [v]]),
    );
    const w = await writeRecords(services, 'cache-0', [toRecord(raw, 0)]);
    await updateIndexes(services, 'cache-0', bucket, w.stored);
    assert.equal((await readIndex(services, 'cache-0', now + 6_000)).units[0]?.count, 2);
  });
});
