import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { rotateIngestToken, verifyIngestToken } from '../../lib/ingest-token';
import { existingBuckets } from '../../lib/journal/buckets';
import { bucketOf, bucketTable } from '../../lib/journal/buckets';
import { toRecord } from '../../lib/journal/entry';
import { readIndex } from '../../lib/journal/indexes';
import { ingestBody } from '../../lib/journal/ingest';
import { unitPartition, vmPartition } from '../../lib/journal/keys';
import { toApiEntry } from '../../lib/journal/model';
import { parseJournalQuery } from '../../lib/journal/params';
import { queryJournal } from '../../lib/journal/query';
import { dropExpiredBuckets } from '../../lib/journal/retention';
import { formatShort } from '../../lib/journal/short';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import {
  BOOT_A,
  BOOT_B,
  chunksOf,
  journalctl,
  makeJournalFile,
  sampleEntries,
  startAzurite,
} from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

const START = 1_700_000_000_000_000;
const NOW_MS = START / 1000 + 100_000;

describe('journal store and query (Azurite)', () => {
  let storage: Awaited<ReturnType<typeof startAzurite>>;
  let dir: string;
  let file: string;
  const vm = 'vm-store';

  before(async () => {
    storage = await startAzurite();
    services = storage.services;
    dir = mkdtempSync(join(tmpdir(), 'journal-store-'));
    file = makeJournalFile(dir, sampleEntries(START, { big: true }));
  });
  after(async () => {
    await storage.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const q = (params: string) => parseJournalQuery(services, vm, new URLSearchParams(params), {}, NOW_MS);
  const run = async (params: string) =>
    (await queryJournal(services, vm, (await q(params)).query, NOW_MS)).items;

  it('stores every entry once; the same entries again as JSON are all duplicates', async () => {
    const exp = journalctl(file, ['-o', 'export']);
    const r1 = await ingestBody(services, vm, chunksOf(exp, 65536), {
      format: 'export',
      gzip: false,
      mode: 'atomic',
      nowMs: NOW_MS,
    });
    assert.deepEqual([r1.accepted, r1.duplicates, r1.expired], [14, 0, 0]);
    assert.match(r1.lastCursor!, /^s=/);
    const json = journalctl(file, ['-o', 'json', '--all']);
    const r2 = await ingestBody(services, vm, chunksOf(json, 65536), {
      format: 'json',
      gzip: false,
      mode: 'atomic',
      nowMs: NOW_MS,
    });
    assert.deepEqual([r2.accepted, r2.duplicates], [0, 14]);
    assert.equal(r2.lastCursor, r1.lastCursor);
  });

  it('a re-send after a half-written try creates only the missing rows of each copy', async () => {
    const v = 'vm-half';
    const rec = (i: number) =>
      toRecord(
        new Map([
          ['__CURSOR', [`s=x;i=${i.toString(16)};b=${BOOT_A};m=0;t=0;x=0`]],
          ['__REALTIME_TIMESTAMP', [String(START + i)]],
          ['_SYSTEMD_UNIT', ['half.service']],
          ['MESSAGE', [i === 3 ? 'y'.repeat(300_000) : `m${i}`]],
        ]),
        i,
      );
    const records = Array.from({ length: 150 }, (_, i) => rec(i));
    const w1 = await writeRecords(services, v, records, NOW_MS);
    assert.deepEqual([w1.accepted, w1.duplicates], [150, 0]);
    // Lose some rows of each copy, as a try that died half-way (or a concurrent writer) would leave.
    const table = await services.table(bucketTable(bucketOf(START)));
    const unitPk = unitPartition(v, 'half.service');
    for (const i of [0, 3, 120]) await table.deleteEntity(unitPk, records[i]!.offset);
    const packs = async () => {
      const rows: { rowKey: string; k: number }[] = [];
      const filter = `PartitionKey eq '${vmPartition(v)}'`;
      for await (const e of table.listEntities<{ k: number }>({ queryOptions: { filter } }))
        rows.push({ rowKey: e.rowKey!, k: e.k });
      return rows;
    };
    const before = await packs();
    assert.deepEqual(
      before.map((p) => p.k),
      [50, 50, 50],
    );
    await table.deleteEntity(vmPartition(v), before[1]!.rowKey); // the VM view lost entries 50-99
    const w2 = await writeRecords(services, v, records, NOW_MS);
    assert.deepEqual([w2.accepted, w2.duplicates], [3, 147]);
    assert.deepEqual(
      w2.stored.map((r) => r.offset).sort(),
      [0, 3, 120].map((i) => records[i]!.offset).sort(),
    );
    let n = 0;
    for await (const _ of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${unitPk}'` } }))
      n++;
    assert.equal(n, 150);
    assert.deepEqual(await packs(), before); // the same packs (same keys), the lost one rewritten
    for (const query of ['order=asc&limit=200', 'limit=200']) {
      const items = (await queryJournal(services, v, (await q(query)).query, NOW_MS)).items;
      assert.equal(items.length, 150);
      const big = items.find((e) => e.offset === records[3]!.offset)!;
      assert.equal(big.fields.MESSAGE, 'y'.repeat(300_000)); // referenced from its pack
    }
  });

  it('the VM view reads overlapping packs of a re-send split differently once, in order', async () => {
    const v = 'vm-resend';
    const rec = (i: number, unit: string) =>
      toRecord(
        new Map([
          ['__CURSOR', [`s=x;i=${i.toString(16)};b=${BOOT_A};m=0;t=0;x=0`]],
          ['__REALTIME_TIMESTAMP', [String(START + i * 1000)]],
          ['_SYSTEMD_UNIT', [unit]],
          ['PRIORITY', [String(i % 8)]],
          ['MESSAGE', [`m${i}`]],
        ]),
        i,
      );
    const all = Array.from({ length: 120 }, (_, i) => rec(i, i % 3 ? 'a.service' : 'b.service'));
    // Two requests whose entries interleave in time (two sources), then a re-send split differently.
    await writeRecords(
      services,
      v,
      all.filter((_, i) => i % 3 !== 0),
      NOW_MS,
    );
    await writeRecords(
      services,
      v,
      all.filter((_, i) => i % 3 === 0),
      NOW_MS,
    );
    const w = await writeRecords(services, v, all.slice(30, 90), NOW_MS);
    assert.deepEqual([w.accepted, w.duplicates], [0, 60]);
    const want = all.map((r) => r.offset);
    for (const [query, expect] of [
      ['order=asc&limit=500', want],
      ['order=desc&limit=500', [...want].reverse()],
      ['order=desc&limit=7', [...want].reverse().slice(0, 7)],
      ['order=asc&limit=7', want.slice(0, 7)],
      ['order=desc&priority=3&limit=500', [...want].reverse().filter((_, i) => (119 - i) % 8 <= 3)],
    ] as const) {
      const items = (await queryJournal(services, v, (await q(query)).query, NOW_MS)).items;
      assert.deepEqual(
        items.map((e) => e.offset),
        expect,
        query,
      );
    }
    // Asc paging: pages of 25 read every entry exactly once.
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await queryJournal(
        services,
        v,
        { limit: 25, order: 'asc', ...(after ? { after } : {}) },
        NOW_MS,
      );
      paged.push(...page.items.map((e) => e.offset));
      if (!page.more) break;
      after = page.items.at(-1)!.offset;
    }
    assert.deepEqual(paged, want);
    // Sparse interleaved packs (two sources, 1-2 entries a pack): small asc pages read several pages
    // of packs each (continuations), and still every entry once, in order.
    const sparse = Array.from({ length: 60 }, (_, i) =>
      toRecord(
        new Map([
          ['__CURSOR', [`s=x;i=${(1000 + i).toString(16)};b=${BOOT_A};m=0;t=0;x=0`]],
          ['__REALTIME_TIMESTAMP', [String(START + 3_600_000_000 + i * 20_000_000)]],
          ['_SYSTEMD_UNIT', [i % 2 ? 'a.service' : 'b.service']],
          ['MESSAGE', [`s${i}`]],
        ]),
        i,
      ),
    );
    await writeRecords(
      services,
      v,
      sparse.filter((_, i) => i % 2 === 0),
      NOW_MS,
    );
    await writeRecords(
      services,
      v,
      sparse.filter((_, i) => i % 2 === 1),
      NOW_MS,
    );
    for (const order of ['asc', 'desc'] as const) {
      const got: string[] = [];
      let bound: string | undefined;
      for (;;) {
        const page = await queryJournal(
          services,
          v,
          {
            limit: 3,
            order,
            sinceUsec: START + 3_600_000_000,
            ...(bound ? (order === 'asc' ? { after: bound } : { before: bound }) : {}),
          },
          NOW_MS,
        );
        got.push(...page.items.map((e) => e.offset));
        if (!page.more) break;
        bound = page.items.at(-1)!.offset;
      }
      const expect = sparse.map((r) => r.offset);
      assert.deepEqual(got, order === 'asc' ? expect : expect.reverse(), order);
    }
  });

  it('reads the whole VM in order with every field, large values intact', async () => {
    const items = await run('limit=1000');
    assert.equal(items.length, 14);
    const api = items.map(toApiEntry);
    assert.equal(api[3]!.message, 'grüße, 世界 🌍');
    assert.deepEqual(api[5]!.fields.TAG, ['one', 'two']);
    assert.deepEqual(api[4]!.binaryFields, ['MESSAGE']);
    assert.equal(
      api[4]!.fields.MESSAGE,
      Buffer.from([0x62, 0x69, 0x6e, 0x00, 0xff, 0x01]).toString('base64'),
    );
    assert.equal(api[12]!.message!.length, 100 * 1024);
    assert.equal(Buffer.byteLength(api[13]!.message!), 1024 * 1024);
    assert.equal(api[0]!.unit, 'kernel');
    assert.equal(api[1]!.unit, 'foo\\x2dbar.service');
  });

  it('short output is byte-identical to journalctl -o short', async () => {
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata']) {
      process.env.TZ = tz;
      const ours = formatShort(await run('limit=1000'));
      const theirs = journalctl(file, ['-o', 'short'], { TZ: tz }).toString('utf8');
      assert.equal(ours, theirs, `TZ=${tz}`);
    }
  });

  it('filters: unit, priority, boot, grep, since/until, order', async () => {
    const nginx = await run('unit=nginx.service');
    assert.equal(nginx.length, 5);
    const newest = await run('unit=nginx.service&order=desc&limit=2');
    assert.deepEqual(
      newest.map((e) => e.offset),
      nginx
        .slice(-2)
        .reverse()
        .map((e) => e.offset),
    );
    assert.equal((await run('priority=err')).length, 2);
    assert.equal((await run('priority=3&unit=nginx.service&unit=kernel')).length, 2);
    assert.ok((await run('boot=-1')).every((e) => e.bootId === BOOT_A));
    assert.deepEqual(
      (await run('boot=current')).map((e) => e.bootId),
      [BOOT_B, BOOT_B, BOOT_B, BOOT_B],
    );
    assert.equal((await run(`boot=${BOOT_B}&unit=kernel`)).length, 1);
    assert.deepEqual(
      (await run('grep=REBOOT')).map((e) => toApiEntry(e).message),
      ['after reboot'],
    );
    const since = new Date(START / 1000 + 3000).toISOString();
    const until = new Date(START / 1000 + 5000).toISOString();
    assert.equal((await run(`since=${since}&until=${until}`)).length, 3);
    assert.equal((await run('unit=foo\\x2dbar.service')).length, 1);
  });

  it('grep applies to large (overflow) entries in both orders, of the VM and of their unit', async () => {
    // The two big.service entries are stored in overflow rows; neither contains "reboot" or "ü" + "x".
    for (const order of ['asc', 'desc'])
      for (const unit of ['', '&unit=big.service&unit=nginx.service']) {
        const found = await run(`order=${order}&grep=reboot${unit}`);
        assert.deepEqual(
          found.map((e) => String(toApiEntry(e).message).slice(0, 20)),
          ['after reboot'],
          `${order}${unit}`,
        );
      }
    // And a large entry that does match is found, complete.
    const big = await run('order=desc&grep=xxxxxxxx&limit=5');
    assert.deepEqual(
      big.map((e) => (toApiEntry(e).message as string).length),
      [100 * 1024],
    );
  });

  it('pages with cursors in both orders', async () => {
    for (const order of ['asc', 'desc']) {
      const all = await run(`order=${order}&limit=1000`);
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const parsed = await q(`order=${order}&limit=4${after ? `&cursor=${after}` : ''}`);
        const r = await queryJournal(services, vm, parsed.query, NOW_MS);
        seen.push(...r.items.map((e) => e.offset));
        if (!r.more) break;
        const { encodeCursor } = await import('../../lib/journal/params');
        after = encodeCursor({ o: r.items.at(-1)!.offset, d: order as 'asc' | 'desc' });
      }
      assert.deepEqual(
        seen,
        all.map((e) => e.offset),
        order,
      );
    }
  });

  it('bad query parameters are 400s naming them', async () => {
    await assert.rejects(q('priority=loud'), /query\.priority/);
    await assert.rejects(q('since=yesterdayish'), /query\.since/);
    await assert.rejects(q('limit=0'), /query\.limit/);
    await assert.rejects(q('bogus=1'), /query\.bogus/);
    await assert.rejects(q('boot=-9'), /query\.boot/);
    await assert.rejects(q('cursor=xyz'), /query\.cursor/);
  });

  it('keeps unit and boot indexes', async () => {
    const index = await readIndex(services, vm, NOW_MS + 10_000);
    const nginx = index.units.find((u) => u.unit === 'nginx.service')!;
    assert.equal(nginx.count, 5);
    assert.deepEqual(
      index.boots.map((b) => [b.bootId, b.count]),
      [
        [BOOT_A, 10],
        [BOOT_B, 4],
      ],
    );
  });

  it('ingest tokens: only the current token of that VM verifies', async () => {
    const t1 = await rotateIngestToken(services, vm);
    const other = await rotateIngestToken(services, 'vm-other');
    assert.equal(await verifyIngestToken(services, vm, t1), true);
    assert.equal(await verifyIngestToken(services, vm, other), false);
    assert.equal(await verifyIngestToken(services, 'vm-none', t1), false);
    const t2 = await rotateIngestToken(services, vm);
    assert.equal(await verifyIngestToken(services, vm, t1), false);
    assert.equal(await verifyIngestToken(services, vm, t2), true);
    assert.match(t2, /^[A-Za-z0-9_-]{43}$/);
  });

  it('retention drops whole day tables', async () => {
    assert.ok((await existingBuckets(services, { nowMs: NOW_MS, fresh: true })).includes('20231114'));
    const dropped = await dropExpiredBuckets(services, NOW_MS + 40 * 86_400_000, 30);
    assert.deepEqual(dropped, ['20231114']);
    assert.equal((await existingBuckets(services, { nowMs: NOW_MS, fresh: true })).length, 0);
  });
});
