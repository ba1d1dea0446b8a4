// Ingestion never stalls (issue #14): entries above the stored limits are kept with their long values
// cut and named in _VMJ_TRUNCATED (only what is not a journal entry is refused), batches are sized by
// the bytes the SDK sends, a unit name above what a property holds is cut, the unit/boot index
// converges when a request is retried after a fault between the entry write and the index write,
// units beyond the daily cap go to the overflow unit, and streaming requests are bounded in pending
// bytes, bytes, bytes per second and time.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import type { TableClient } from '@azure/data-tables';

import { rotateIngestToken } from '../../lib/ingest-token';
import { bucketOf, bucketTable } from '../../lib/journal/buckets';
import { readIndex } from '../../lib/journal/indexes';
import { ingestBody, type IngestOptions, OVERFLOW_UNIT } from '../../lib/journal/ingest';
import { toApiEntry } from '../../lib/journal/model';
import { parseJournalQuery } from '../../lib/journal/params';
import { queryJournal } from '../../lib/journal/query';
import type { Services } from '../../lib/services';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { testServices } from '../helpers/services';
import { addVmRecord } from '../helpers/vm-record';
import { BOOT_A, BOOT_B, chunksOf, exportFormat, type Fields, startAzurite } from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

const START = 1_700_000_000_000_000;
const NOW_MS = START / 1000 + 100_000;
const MiB = 1024 * 1024;

let seq = 0;
const head = (boot = BOOT_A): Fields => {
  seq++;
  return [
    ['__CURSOR', `s=lim;i=${seq.toString(16)};b=${boot};m=0;t=0;x=0`],
    ['__REALTIME_TIMESTAMP', String(START + seq * 1000)],
    ['_BOOT_ID', boot],
  ];
};
const json = (fields: Fields) =>
  JSON.stringify(Object.fromEntries(fields.map(([k, v]) => [k, typeof v === 'string' ? v : [...v]])));

describe('ingestion limits: nothing journald produces stalls it', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  before(async () => {
    storage = await startAzurite();
    services = storage.services;
  });
  after(async () => {
    await storage.dispose();
  });

  const opts = (o: Partial<IngestOptions> = {}): IngestOptions => ({
    format: 'json',
    gzip: false,
    mode: 'streaming',
    nowMs: NOW_MS,
    ...o,
  });
  const all = async (vm: string) => {
    const q = await parseJournalQuery(services, vm, new URLSearchParams('order=asc&limit=1000'), {}, NOW_MS);
    return (await queryJournal(services, vm, q.query, NOW_MS)).items.map(toApiEntry);
  };

  it('a 3 MiB line and 1,100 fields (JSON): kept, the line cut to 2 MiB and named in _VMJ_TRUNCATED', async () => {
    const vm = 'lim-json';
    const many: Fields = Array.from({ length: 1100 }, (_, i) => [`F${i}`, `v${i}`]);
    const entries = [
      [...head(), ['MESSAGE', 'before']],
      [...head(), ['MESSAGE', 'é'.repeat(1.5 * MiB)], ...many],
      [...head(), ['MESSAGE', 'after']],
    ] as Fields[];
    const body = Buffer.from(entries.map(json).join('\n'));
    const r = await ingestBody(services, vm, chunksOf(body, 64 * 1024), opts());
    assert.equal(r.accepted, 3);
    const items = await all(vm);
    assert.deepEqual(
      items.map((e) => e.message?.length),
      [6, MiB, 5],
    );
    const big = items[1]!;
    assert.equal(Buffer.byteLength(big.message!), 2 * MiB);
    assert.equal(big.fields._VMJ_TRUNCATED, `MESSAGE ${3 * MiB}`);
    assert.equal(big.fields.F1099, 'v1099');
    assert.equal(Object.keys(big.fields).length, 3 + 1 + 1100 + 1);
  });

  it('export format: a 3 MiB text line and a 3 MiB binary field are cut as they stream, in linear time', async () => {
    const vm = 'lim-export';
    const entries: Fields[] = [
      [...head(), ['MESSAGE', 'x'.repeat(3 * MiB)], ['B', Buffer.alloc(3 * MiB, 1)], ['TAIL', 'kept']],
      [...head(), ['MESSAGE', 'next']],
    ];
    // 100-byte pieces: re-concatenating the line on every piece (as before) is ~90 GB of copying.
    const r = await ingestBody(
      services,
      vm,
      chunksOf(exportFormat(entries), 100),
      opts({ format: 'export' }),
    );
    assert.equal(r.accepted, 2);
    const [big, next] = await all(vm);
    assert.equal(big!.message!.length, 2 * MiB);
    // The entry keeps at most 4 MiB: what is left after MESSAGE (and the small fields before it).
    const b = Buffer.from(big!.fields.B as string, 'base64');
    assert.ok(b.length < 2 * MiB && b.length > 2 * MiB - 1024, String(b.length));
    assert.deepEqual(big!.fields._VMJ_TRUNCATED, [`MESSAGE ${3 * MiB}`, `B ${3 * MiB}`]);
    assert.equal(big!.fields.TAIL, 'kept');
    assert.equal(next!.message, 'next');
  });

  it('more than 2,048 fields: the rest are dropped and counted; no cursor is still a 400', async () => {
    const vm = 'lim-fields';
    const many: Fields = Array.from({ length: 3000 }, (_, i) => [`F${i}`, 'v']);
    const r = await ingestBody(services, vm, chunksOf(Buffer.from(json([...head(), ...many])), 4096), opts());
    assert.equal(r.accepted, 1);
    const [e] = await all(vm);
    assert.equal(e!.fields._VMJ_DROPPED_FIELDS, String(3000 + 3 - 2048));
    await assert.rejects(
      ingestBody(services, vm, chunksOf(Buffer.from(json([['MESSAGE', 'no cursor']])), 4096), opts()),
      (err: { status: number; message: string }) => err.status === 400 && /__CURSOR/.test(err.message),
    );
  });

  it('100 entries of 12,000 quotes: batches sized by the bytes sent, never above the 4 MiB transaction', async () => {
    const vm = 'lim-quotes';
    const entries = Array.from({ length: 100 }, () => json([...head(), ['MESSAGE', '"'.repeat(12_000)]]));
    const r = await ingestBody(
      services,
      vm,
      chunksOf(Buffer.from(entries.join('\n')), 65536),
      opts({ mode: 'atomic' }),
    );
    assert.equal(r.accepted, 100);
    assert.equal((await all(vm)).length, 100);
  });

  it('a unit name above the 64 KiB property limit is cut to 512 characters', async () => {
    const vm = 'lim-unit';
    const unit = `u${'n'.repeat(70_000)}`;
    const r = await ingestBody(
      services,
      vm,
      chunksOf(Buffer.from(json([...head(), ['UNIT', unit]])), 65536),
      opts(),
    );
    assert.equal(r.accepted, 1);
    const [e] = await all(vm);
    assert.equal(e!.unit, unit.slice(0, 512));
    assert.equal(e!.fields.UNIT, unit);
    assert.deepEqual(
      (await readIndex(services, vm, NOW_MS)).units.map((u) => u.unit),
      [unit.slice(0, 512)],
    );
  });

  describe('fault between the entry write and the index write', () => {
    let proto: TableClient;
    let original: TableClient['submitTransaction'];
    before(async () => {
      // The class lib/storage loaded (the prototype every client of the app shares).
      proto = Object.getPrototypeOf(await services.table(bucketTable(bucketOf(START)))) as TableClient;
      original = proto.submitTransaction; // eslint-disable-line @typescript-eslint/unbound-method -- restored as is
    });
    afterEach(() => {
      proto.submitTransaction = original;
    });

    it('the retried request creates the missing unit and boot rows (boot=-N stays right)', async () => {
      const vm = 'lim-index';
      const body = (boot: string, unit: string, n: number) =>
        Buffer.from(
          Array.from({ length: n }, () => json([...head(boot), ['_SYSTEMD_UNIT', unit]])).join('\n'),
        );
      await ingestBody(services, vm, chunksOf(body(BOOT_A, 'a.service', 3), 65536), opts());
      const second = body(BOOT_B, 'b.service', 4);
      let failed = 0;
      proto.submitTransaction = function (this: TableClient, actions, options) {
        const pk = actions[0]?.[1].partitionKey ?? '';
        if (pk.endsWith('||i') && failed++ === 0) return Promise.reject(new Error('injected: storage lost'));
        return original.call(this, actions, options);
      };
      await assert.rejects(ingestBody(services, vm, chunksOf(second, 65536), opts()), /injected/);
      services = testServices(storage.connectionString); // a new instance retries (no cached rows)
      const retry = await ingestBody(services, vm, chunksOf(second, 65536), opts());
      assert.deepEqual([retry.accepted, retry.duplicates], [0, 4]);
      const index = await readIndex(services, vm, NOW_MS);
      assert.deepEqual(
        index.boots.map((b) => [b.bootId, b.count]),
        [
          [BOOT_A, 3],
          [BOOT_B, 4],
        ],
      );
      assert.deepEqual(
        index.units.map((u) => [u.unit, u.count]),
        [
          ['a.service', 3],
          ['b.service', 4],
        ],
      );
      // A plain re-send after that changes nothing and writes no index row.
      const again = await ingestBody(services, vm, chunksOf(second, 65536), opts());
      assert.equal(again.transactions, 1 + 1); // the unit copy's conflict resolution and the VM view
    });
  });

  it('units beyond the daily cap are stored under the overflow unit (their fields keep the real one)', async () => {
    const vm = 'lim-units';
    const lines = Array.from({ length: 5 }, (_, i) => json([...head(), ['_SYSTEMD_UNIT', `u${i}.service`]]));
    await ingestBody(
      services,
      vm,
      chunksOf(Buffer.from(lines.join('\n')), 65536),
      opts({ maxUnitsPerDay: 3 }),
    );
    const more = json([...head(), ['_SYSTEMD_UNIT', 'u0.service']]);
    await ingestBody(services, vm, chunksOf(Buffer.from(more), 65536), opts({ maxUnitsPerDay: 3 }));
    const units = (await readIndex(services, vm, NOW_MS)).units.map((u) => [u.unit, u.count]);
    assert.deepEqual(units, [
      [OVERFLOW_UNIT, 2],
      ['u0.service', 2],
      ['u1.service', 1],
      ['u2.service', 1],
    ]);
    const items = await all(vm);
    assert.deepEqual(
      items.filter((e) => e.unit === OVERFLOW_UNIT).map((e) => e.fields._SYSTEMD_UNIT),
      ['u3.service', 'u4.service'],
    );
  });

  describe('streaming bounds', () => {
    const trickle = async function* (lines: string[], gapMs: number) {
      for (const l of lines) {
        yield Buffer.from(`${l}\n`);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    };

    it('pending entries are stored at a byte budget, not only every 2,000 entries', async () => {
      const vm = 'lim-flush';
      const lines = Array.from({ length: 12 }, () => json([...head(), ['MESSAGE', 'm'.repeat(100_000)]]));
      const r = await ingestBody(services, vm, trickle(lines, 0), opts({ limits: { flushBytes: 250_000 } }));
      assert.equal(r.accepted, 12);
      // Four stores of three entries, each: unit copy, VM view, index.
      assert.equal(r.transactions, 4 * 3);
    });

    it('decompressed bytes per request: a 413 after storing what came before', async () => {
      const vm = 'lim-bytes';
      const lines = Array.from({ length: 10 }, () => json([...head(), ['MESSAGE', 'm'.repeat(10_000)]]));
      const body = gzipSync(lines.join('\n'));
      await assert.rejects(
        ingestBody(services, vm, chunksOf(body, 1000), opts({ gzip: true, limits: { maxBytes: 50_000 } })),
        (e: { status: number; errors: { field: string; message: string }[] }) =>
          e.status === 413 && e.errors.some((f) => f.field === 'stored' && /^4 entries/.test(f.message)),
      );
      assert.equal((await all(vm)).length, 4);
    });

    it('decompressed bytes per second: the read slows down', async () => {
      const vm = 'lim-rate';
      const lines = Array.from({ length: 30 }, () => json([...head(), ['MESSAGE', 'm'.repeat(10_000)]]));
      const started = Date.now();
      const r = await ingestBody(
        services,
        vm,
        chunksOf(Buffer.from(lines.join('\n')), 20_000),
        opts({ limits: { bytesPerSecond: 100_000 } }),
      );
      assert.equal(r.accepted, 30);
      assert.ok(Date.now() - started >= 1_900, `300 kB at 100 kB/s took ${Date.now() - started} ms`);
    });

    it('time: a 408 with the last stored cursor before the front end would cut the request', async () => {
      const vm = 'lim-time';
      const lines = Array.from({ length: 40 }, () => json([...head(), ['MESSAGE', 'slow']]));
      await assert.rejects(
        ingestBody(services, vm, trickle(lines, 50), opts({ limits: { maxDurationMs: 500 } })),
        (e: { status: number; errors: { field: string; message: string }[] }) => {
          assert.equal(e.status, 408);
          const note = e.errors.find((f) => f.field === 'stored')!.message;
          const n = Number(/^(\d+) entries/.exec(note)![1]);
          assert.ok(n > 3 && n < 40, note);
          assert.equal(note.split(': ')[1], (JSON.parse(lines[n - 1]!) as { __CURSOR: string }).__CURSOR);
          return true;
        },
      );
    });
  });
});

describe('binary values in JSON bodies (journalctl -o json writes them as byte arrays), through HTTP', () => {
  let t: TestRuntime;
  before(async () => {
    // The storage the tests above pointed the process at is gone; the runtime's settings take the
    // process environment first.
    for (const k of ['AzureWebJobsStorage', 'AZURE_SUBSCRIPTION_ID', 'PUBLIC_BASE_URL'])
      delete process.env[k];
    t = await startTestRuntime({ appEntry: 'functions/index.ts', env: { TZ: 'UTC' } });
    services = testServices(t.rt.storageConnectionString);
  });
  after(async () => {
    await t?.dispose();
  });

  /** `"NAME":[200,200,…]` with `count` numbers, built as bytes (a 40 MiB array is 160 MiB of text). */
  const byteArray = (name: string, count: number) => {
    const text = Buffer.alloc(count * 4 + name.length + 4, '200,');
    Buffer.from(`"${name}":[`).copy(text);
    text.fill('200,', name.length + 4);
    text[text.length - 1] = 0x5d; // the last number's comma becomes the closing ]
    return text;
  };
  const entry = (n: number, field: Buffer) => {
    const cursor = `s=bin;i=${n};b=${BOOT_A};m=0;t=0;x=0`;
    return Buffer.concat([
      Buffer.from(
        `{"__CURSOR":"${cursor}","__REALTIME_TIMESTAMP":"${Date.now() * 1000 + n}","MESSAGE":"b${n}",`,
      ),
      field,
      Buffer.from(',"TAIL":"kept"}\n'),
    ]);
  };

  it('a byte array of exactly 2 MiB is kept whole; 2 MiB + 1 and 40 MiB are kept cut and named, no 413', async () => {
    const vm = 'lim-binary';
    const token = await rotateIngestToken(services, vm);
    const limit = 2 * MiB;
    const sizes = [limit, limit + 1, 40 * MiB];
    const body = gzipSync(Buffer.concat(sizes.map((n, i) => entry(i + 1, byteArray('BIN', n)))));
    const res = await fetch(t.url(`/api/vms/${vm}/journal?stream=true`), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
      },
      body,
    });
    const answer = await res.text();
    assert.equal(res.status, 200, answer);
    assert.equal((JSON.parse(answer) as { accepted: number }).accepted, 3, answer);

    await addVmRecord(services, vm);
    const read = await fetch(t.url(`/api/vms/${vm}/journal?order=asc&limit=10`));
    assert.equal(read.status, 200);
    const items = (await read.json()) as { items: { message: string; fields: Record<string, unknown> }[] };
    assert.deepEqual(
      items.items.map((e) => e.message),
      ['b1', 'b2', 'b3'],
    );
    for (const [i, e] of items.items.entries()) {
      const bin = Buffer.from(e.fields.BIN as string, 'base64');
      assert.equal(bin.length, limit, `entry ${i}`);
      assert.ok(bin.every((b) => b === 200));
      assert.equal(e.fields.TAIL, 'kept');
      assert.equal(e.fields._VMJ_TRUNCATED, i === 0 ? undefined : `BIN ${sizes[i]}`);
    }
  });

  it('the skipped part of a long byte array is still checked: a number above 255 is a 400 naming the field', async () => {
    const vm = 'lim-binary-bad';
    const token = await rotateIngestToken(services, vm);
    const bad = byteArray('BIN', 2 * MiB + 10);
    bad.write('256', bad.length - 4);
    const res = await fetch(t.url(`/api/vms/${vm}/journal?stream=true`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: entry(1, bad),
    });
    const problem = (await res.json()) as { errors: { field: string; message: string }[] };
    assert.equal(res.status, 400);
    assert.equal(problem.errors[0]!.field, 'entries[0].BIN');
    assert.match(problem.errors[0]!.message, /0–255/);
  });
});
