// Deleting a VM's journal (lib/journal/forget.ts, run by the delete orchestration): every row of the VM
// goes, in every day table, and nothing of a VM whose name shares its prefix; a VM that reuses the name
// starts empty (its index counts start from zero, even in a process that cached the old rows).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { TableServiceClient } from '@azure/data-tables';

import { bucketOf } from '../../lib/journal/buckets';
import { toRecord } from '../../lib/journal/entry';
import type { RawEntry } from '../../lib/journal/fields';
import { deleteJournal } from '../../lib/journal/forget';
import { readIndex, updateIndexes } from '../../lib/journal/indexes';
import { queryJournal } from '../../lib/journal/query';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import { startAzurite } from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

const BOOT = 'c3'.repeat(16);
let seq = 0;

async function put(vm: string, times: number[], big = false): Promise<void> {
  const recs = times.map((t, i) => {
    seq++;
    const raw: RawEntry = new Map(
      Object.entries({
        __CURSOR: `s=x;i=${seq.toString(16)};b=${BOOT}`,
        __REALTIME_TIMESTAMP: String(t),
        _BOOT_ID: BOOT,
        _SYSTEMD_UNIT: `u${i % 3}.service`,
        MESSAGE: big && i === 0 ? 'x'.repeat(300_000) : `line ${seq}`,
      }).map(([k, v]) => [k, [v]]),
    );
    return toRecord(raw, i);
  });
  const w = await writeRecords(services, vm, recs);
  for (const b of new Set(w.stored.map((r) => bucketOf(r.realtimeUsec))))
    await updateIndexes(
      services,
      vm,
      b,
      w.stored.filter((r) => bucketOf(r.realtimeUsec) === b),
    );
}

describe('deleting a VM journal', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    storage = await startAzurite();
    services = storage.services;
  });
  after(async () => {
    await storage?.dispose();
  });

  const rowsOf = async (prefix: string) => {
    const svc = TableServiceClient.fromConnectionString(storage.connectionString, {
      allowInsecureConnection: true,
    });
    let n = 0;
    for await (const t of svc.listTables()) {
      if (!/^journal\d{8}$/.test(t.name ?? '')) continue;
      const client = (await import('@azure/data-tables')).TableClient.fromConnectionString(
        storage.connectionString,
        t.name!,
        { allowInsecureConnection: true },
      );
      const filter = `PartitionKey ge '${prefix}|' and PartitionKey lt '${prefix}}'`;
      for await (const _ of client.listEntities({ queryOptions: { filter } })) n++;
    }
    return n;
  };

  it('removes every row of the VM in every day table, and nothing of another VM', async () => {
    const now = Date.now() * 1000;
    const day = 86_400_000_000;
    const times = (base: number) => Array.from({ length: 250 }, (_, i) => base + i * 1000);
    await put('web', [...times(now - 2 * day), ...times(now - 60_000_000)], true);
    await put('web-2', times(now - 60_000_000));
    assert.ok((await rowsOf('web')) > 500);
    const other = await rowsOf('web-2');

    const deleted = await deleteJournal(services, 'web');
    assert.ok(deleted > 500, String(deleted));
    assert.equal(await rowsOf('web'), 0);
    assert.equal(await rowsOf('web-2'), other);
    assert.equal(await deleteJournal(services, 'web'), 0); // a retried activity finds nothing left
    const index = await readIndex(services, 'web');
    assert.deepEqual([index.units, index.boots], [[], []]);
    assert.deepEqual((await queryJournal(services, 'web', { limit: 10, order: 'desc' })).items, []);
  });

  it('a VM that reuses the name starts empty: its counts start from zero', async () => {
    const now = Date.now() * 1000;
    await put('reuse', [now - 3_000_000, now - 2_000_000, now - 1_000_000]);
    assert.equal(
      (await readIndex(services, 'reuse', Date.now() + 5_000)).units.reduce((n, u) => n + u.count, 0),
      3,
    );
    await deleteJournal(services, 'reuse');
    await put('reuse', [now - 500_000]);
    const index = await readIndex(services, 'reuse', Date.now() + 10_000);
    assert.equal(
      index.units.reduce((n, u) => n + u.count, 0),
      1,
    );
    assert.equal(index.boots.length, 1);
    assert.equal((await queryJournal(services, 'reuse', { limit: 10, order: 'asc' })).items.length, 1);
  });
});
