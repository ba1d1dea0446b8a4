// Table keys: the escape alphabet keeps `%` out of keys (Azure decodes the URL path of point
// operations twice), and the local storage layer refuses a `%` in the path as Azure would fail it.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { odata, RestError, TableClient } from '@azure/data-tables';

import { readIndex } from '../../lib/journal/indexes';
import { ingestBody } from '../../lib/journal/ingest';
import { escapeKeyPart, indexPartition, unitPartition } from '../../lib/journal/keys';
import { parseJournalQuery } from '../../lib/journal/params';
import { queryJournal } from '../../lib/journal/query';
import type { Services } from '../../lib/services';
import { BOOT_A, startAzurite } from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

const START = 1_700_000_000_000_000;
const NOW_MS = START / 1000 + 100_000;
// Real Ubuntu unit names: systemd escapes `-` in device paths as `\x2d`.
const UNITS = [
  'systemd-fsck@dev-disk-by\\x2duuid-5a1e\\x2d77.service',
  'user@1000.service',
  'odd|name~7E%41#?/.service',
  'ünïcødé.service',
];

const body = (text: string): AsyncIterable<Uint8Array> => Readable.from([Buffer.from(text)]);

describe('journal keys', () => {
  it('escapes with ~XX: no % in keys, and distinct names stay distinct', () => {
    assert.equal(
      escapeKeyPart('systemd-fsck@dev-disk-by\\x2duuid.service'),
      'systemd-fsck@dev-disk-by~5Cx2duuid.service',
    );
    assert.equal(escapeKeyPart('a~b%c|d/e\\f#g?h\u0001'), 'a~7Eb~25c~7Cd~2Fe~5Cf~23g~3Fh~01');
    const names = [...UNITS, 'a~b', 'a~7Eb', 'a%7Eb', 'a%b', 'a|b', 'a~7Cb', '~', '~~', '%'];
    const keys = names.map(escapeKeyPart);
    assert.equal(new Set(keys).size, names.length);
    // eslint-disable-next-line no-control-regex -- control characters must not be left in keys
    for (const k of keys) assert.doesNotMatch(k, /[%|/\\#?\u0000-\u001f]/);
    for (const k of [unitPartition('vm-1', UNITS[0]!), indexPartition('vm-1')]) assert.ok(!k.includes('%'));
  });

  it('keeps very long names unique in at most 400 characters, the hash after a ~~ mark', () => {
    const long = (c: string) => `${'x'.repeat(500)}${c}`;
    const a = escapeKeyPart(long('a'));
    const b = escapeKeyPart(long('b'));
    assert.equal(a.length, 400);
    assert.match(a, /~~[0-9a-f]{32}$/);
    assert.notEqual(a, b);
    const escapes = escapeKeyPart('%'.repeat(200)); // 600 escaped characters
    assert.equal(escapes.length, 400);
    assert.ok(!escapes.includes('%'));
  });

  describe('on the local storage (Azurite with the key check)', () => {
    let storage: Awaited<ReturnType<typeof startAzurite>>;
    let table: TableClient;
    before(async () => {
      storage = await startAzurite();
      services = storage.services;
      table = TableClient.fromConnectionString(storage.connectionString, 'keycheck', {
        allowInsecureConnection: true,
      });
      await table.createTable();
    });
    after(() => storage.dispose());

    const status = async (p: Promise<unknown>) => {
      try {
        await p;
        return 200;
      } catch (e) {
        if (!(e instanceof RestError)) throw e;
        if (e.statusCode === 400) assert.match(e.message, /contains '%'.*decodes the path twice/s);
        return e.statusCode;
      }
    };

    it('refuses point operations on a key with %, as Azure fails them', async () => {
      const pk = 'unit%5Cx2d';
      // Insert, batches and queries carry keys in the body or the query string: fine on Azure too.
      await table.createEntity({ partitionKey: pk, rowKey: 'r1', v: 1 });
      await table.submitTransaction([['create', { partitionKey: pk, rowKey: 'r2', v: 2 }]]);
      const listed = table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } });
      let n = 0;
      for await (const _ of listed) n++;
      assert.equal(n, 2);
      // Get, update, merge, delete and both upserts name the entity in the URL path.
      assert.equal(await status(table.getEntity(pk, 'r1')), 400);
      assert.equal(await status(table.upsertEntity({ partitionKey: pk, rowKey: 'r3' }, 'Merge')), 400);
      assert.equal(await status(table.upsertEntity({ partitionKey: pk, rowKey: 'r3' }, 'Replace')), 400);
      assert.equal(await status(table.updateEntity({ partitionKey: pk, rowKey: 'r1', v: 3 }, 'Merge')), 400);
      assert.equal(await status(table.deleteEntity('r1', `x%${pk}`)), 400);
      // The same operations on a key without % reach Azurite.
      await table.createEntity({ partitionKey: 'unit~5Cx2d', rowKey: 'r1', v: 1 });
      assert.equal(await status(table.getEntity('unit~5Cx2d', 'r1')), 200);
      assert.equal(await status(table.upsertEntity({ partitionKey: 'unit~5Cx2d', rowKey: 'r1', v: 2 })), 200);
      assert.equal(await status(table.deleteEntity('unit~5Cx2d', 'r1')), 200);
    });

    it('stores, indexes and queries units whose names need escaping', async () => {
      const vm = 'vm-keys';
      const lines = UNITS.map((unit, i) =>
        JSON.stringify({
          __REALTIME_TIMESTAMP: String(START + i * 1_000_000),
          __MONOTONIC_TIMESTAMP: String(1_000 + i),
          _BOOT_ID: BOOT_A,
          __CURSOR: `s=${'5'.repeat(32)};i=${i + 1};b=${BOOT_A};m=${i};t=${START + i * 1_000_000};x=0`,
          _SYSTEMD_UNIT: unit,
          PRIORITY: '6',
          // Too large to pack in the whole-VM view: that view points at the unit copy, read by key.
          MESSAGE: `hello from ${unit} ${'x'.repeat(20_000)}`,
        }),
      );
      const r = await ingestBody(services, vm, body(lines.join('\n')), {
        format: 'json',
        gzip: false,
        mode: 'atomic',
        nowMs: NOW_MS,
      });
      assert.equal(r.accepted, UNITS.length);
      const index = await readIndex(services, vm, NOW_MS);
      assert.deepEqual(index.units.map((u) => u.unit).sort(), [...UNITS].sort());
      const whole = await parseJournalQuery(services, vm, new URLSearchParams(), {}, NOW_MS);
      const all = (await queryJournal(services, vm, whole.query, NOW_MS)).items;
      assert.deepEqual(
        all.map((e) => e.unit),
        UNITS,
      );
      for (const unit of UNITS) {
        const q = await parseJournalQuery(services, vm, new URLSearchParams({ unit }), {}, NOW_MS);
        const items = (await queryJournal(services, vm, q.query, NOW_MS)).items;
        assert.equal(items.length, 1, unit);
        assert.equal(items[0]!.unit, unit);
      }
    });
  });
});
