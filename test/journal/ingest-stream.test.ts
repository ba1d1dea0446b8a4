// Streaming ingestion (POST /api/vms/{name}/journal?stream=true, and the stock uploader's route): one
// long chunked request of gzip members is stored as it arrives (entries are queryable before the request
// ends), a pause in the body flushes what is pending, a bad entry mid-stream stores the entries before
// it and says so, and systemd-journal-upload --follow has each new entry stored within a moment (252
// ends its chunked request once it has caught up, "No more entries, waiting for journal", and starts a
// new one per wake-up, so the trickle never waited for STREAM_BATCH; the idle flush covers clients that
// keep one request open, like the agent).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { rotateIngestToken } from '../../lib/ingest-token';
import type { Services } from '../../lib/services';
import { bootEntries, type GuestIdentity, Trickle } from '../../local/guest/entries';
import { JournalWriter } from '../../local/guest/journal-writer';
import { eventually, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { testServices } from '../helpers/services';
import { addVmRecord } from '../helpers/vm-record';
import { JOURNAL_UPLOAD, openStream } from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

describe('streaming ingestion', () => {
  let t: TestRuntime;
  let dir: string;
  let n = 0;
  const vmName = () => `stream-${process.pid}-${++n}`;
  before(async () => {
    t = await startTestRuntime({ appEntry: 'functions/index.ts', env: { TZ: 'UTC' } });
    services = testServices(t.rt.storageConnectionString);
    dir = mkdtempSync(join(tmpdir(), 'vmj-stream-'));
  });
  after(async () => {
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (vm: string) => {
    await addVmRecord(services, vm).catch(() => undefined); // the read routes answer 404 for an unknown VM
    const res = await fetch(t.url(`/api/vms/${vm}/journal?limit=1000`));
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { cursor: string; message: string | null }[] }).items;
  };
  let seq = 0;
  const entry = (message: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      __CURSOR: `s=stream;i=${++seq}`,
      __REALTIME_TIMESTAMP: String(Date.now() * 1000 + seq),
      __MONOTONIC_TIMESTAMP: String(seq),
      _BOOT_ID: 'c3'.repeat(16),
      MESSAGE: message,
      ...extra,
    });
  const member = (lines: string[]) => gzipSync(`${lines.join('\n')}\n`);

  it('stores each gzip member of one long request as it arrives, before the request ends', async () => {
    const vm = vmName();
    const s = openStream(t.url(`/api/vms/${vm}/journal?stream=true`), await rotateIngestToken(services, vm));
    const sent: string[] = [];
    for (let k = 0; k < 5; k++) {
      const lines = [entry(`m${k}a`), entry(`m${k}b`), entry(`m${k}c`)];
      const started = Date.now();
      await s.send(member(lines));
      sent.push(...lines);
      // The idle flush: no further entry arrives, so these are stored (and visible) within moments.
      await eventually(async () => (await stored(vm)).length === sent.length, 5_000, 10);
      assert.ok(Date.now() - started < 2_000, `member ${k} visible after ${Date.now() - started} ms`);
    }
    const a = await s.end();
    assert.equal(a.status, 200, a.body);
    const r = JSON.parse(a.body) as { accepted: number; duplicates: number; lastCursor: string };
    assert.deepEqual([r.accepted, r.duplicates], [15, 0]);
    assert.equal(r.lastCursor, (JSON.parse(sent.at(-1)!) as { __CURSOR: string }).__CURSOR);
    // The same stream again (a client resending after a lost answer): all duplicates.
    const again = openStream(
      t.url(`/api/vms/${vm}/journal?stream=true`),
      await rotateIngestToken(services, vm),
    );
    for (let k = 0; k < 5; k++) await again.send(member(sent.slice(k * 3, k * 3 + 3)));
    const b = JSON.parse((await again.end()).body) as { accepted: number; duplicates: number };
    assert.deepEqual([b.accepted, b.duplicates], [0, 15]);
    assert.equal((await stored(vm)).length, 15);
  });

  it('the stream has no body limit (a plain request does)', async () => {
    const vm = vmName();
    const token = await rotateIngestToken(services, vm);
    const big = 'x'.repeat(512 * 1024);
    const lines = Array.from({ length: 20 }, (_, i) => entry(`${i} ${big}`)); // 10 MiB in all
    const s = openStream(t.url(`/api/vms/${vm}/journal?stream=true`), token);
    for (const l of lines) await s.send(member([l]));
    const a = await s.end();
    assert.equal(a.status, 200, a.body);
    assert.equal((JSON.parse(a.body) as { accepted: number }).accepted, 20);
    const plain = await fetch(t.url(`/api/vms/${vm}/journal`), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    assert.equal(plain.status, 413);
  });

  it('a bad entry mid-stream: the entries before it are stored, the 400 names it and says how many', async () => {
    const vm = vmName();
    const s = openStream(t.url(`/api/vms/${vm}/journal?stream=true`), await rotateIngestToken(services, vm));
    await s.send(member([entry('one'), entry('two')]));
    await eventually(async () => (await stored(vm)).length === 2, 5_000, 10);
    const good = [entry('three'), entry('four')];
    // Not yet stored when the bad entry arrives: same member.
    await s.send(member([...good, JSON.stringify({ MESSAGE: 'no cursor', __REALTIME_TIMESTAMP: '1' })]));
    const a = await s.end().catch(() => s.answer);
    assert.equal(a.status, 400, a.body);
    const p = JSON.parse(a.body) as { detail: string; errors: { field: string; message: string }[] };
    assert.ok(
      p.errors.some((e) => e.field === 'entries[4].__CURSOR'),
      a.body,
    );
    const note = p.errors.find((e) => e.field === 'stored');
    assert.match(
      note?.message ?? '',
      /^4 entries before it were stored; last stored cursor: s=stream;i=\d+$/,
    );
    const cursors = (await stored(vm)).map((e) => e.cursor);
    assert.equal(cursors.length, 4);
    assert.equal(note?.message.split(': ')[1], (JSON.parse(good[1]!) as { __CURSOR: string }).__CURSOR);
  });

  it('a refused entry is answered at once, while the client is still sending (gzip)', async () => {
    const vm = vmName();
    const s = openStream(t.url(`/api/vms/${vm}/journal?stream=true`), await rotateIngestToken(services, vm));
    await s.send(member([entry('one'), '{"__CURSOR": not JSON}']));
    await s.send(member([entry('more, still coming')]));
    // The body is not ended: the answer must not wait for it (it used to, until the client gave up).
    const a = await Promise.race([
      s.answer,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000)),
    ]);
    assert.equal(a?.status, 400, 'answered within 5 s while the body is still open');
    assert.match(a.body, /entries\[1\]: invalid JSON/);
    s.end().catch(() => undefined);
  });

  it('stream must be true or false', async () => {
    const vm = vmName();
    const res = await fetch(t.url(`/api/vms/${vm}/journal?stream=yes`), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await rotateIngestToken(services, vm)}`,
        'content-type': 'application/x-ndjson',
      },
      body: `${entry('x')}\n`,
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /query\.stream/);
  });

  it('stock systemd-journal-upload: a 3 MiB line and 1,100 fields are stored (cut), and the entries after them', async () => {
    const vm = vmName();
    const token = await rotateIngestToken(services, vm);
    const journalDir = join(dir, vm);
    const writer = new JournalWriter(journalDir);
    const id: GuestIdentity = {
      bootId: 'f6'.repeat(16),
      machineId: 'e5'.repeat(16),
      hostname: vm,
      bootRealtimeUsec: (Date.now() - 60_000) * 1000,
    };
    const trickle = new Trickle(id);
    const at = () => Date.now() * 1000;
    const many = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`FIELD_${i}`, `value ${i}`]));
    await writer.write([
      trickle.next(at()),
      { ...trickle.next(at() + 1), MESSAGE: 'x'.repeat(3 * 1024 * 1024) },
      { ...trickle.next(at() + 2), ...many },
      trickle.next(at() + 3),
    ]);
    await writer.close();
    const upload = spawn(
      JOURNAL_UPLOAD,
      [`--directory=${journalDir}`, '--follow=no', `--url=${t.url(`/api/ingest/${vm}/${token}`)}`],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SYSTEMD_LOG_TARGET: 'console' } },
    );
    let stderr = '';
    upload.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => upload.once('exit', r));
    assert.equal(code, 0, stderr);
    const items = await stored(vm);
    assert.equal(items.length, 4);
    assert.equal(items[1]!.message!.length, 2 * 1024 * 1024);
  });

  it('stock systemd-journal-upload --follow: each new entry is stored within a moment', async () => {
    const vm = vmName();
    const token = await rotateIngestToken(services, vm);
    const journalDir = join(dir, vm);
    const writer = new JournalWriter(journalDir);
    const id: GuestIdentity = {
      bootId: 'd4'.repeat(16),
      machineId: 'e5'.repeat(16),
      hostname: vm,
      bootRealtimeUsec: (Date.now() - 60_000) * 1000,
    };
    const boot = bootEntries(id, Date.now() * 1000);
    await writer.write(boot);
    const upload = spawn(
      JOURNAL_UPLOAD,
      [
        `--directory=${journalDir}`,
        '--follow=yes',
        `--url=${t.url(`/api/ingest/${vm}/${token}`)}`,
        `--save-state=${join(dir, `${vm}.state`)}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SYSTEMD_LOG_TARGET: 'console' } },
    );
    let stderr = '';
    upload.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    try {
      await eventually(async () => (await stored(vm)).length === boot.length, 10_000).catch((e: Error) => {
        throw new Error(`${e.message}; uploader: ${stderr}`);
      });
      const trickle = new Trickle(id);
      for (let k = 1; k <= 3; k++) {
        const started = Date.now();
        await writer.write([trickle.next(Date.now() * 1000)]);
        await eventually(async () => (await stored(vm)).length === boot.length + k, 5_000, 10);
        const took = Date.now() - started;
        assert.ok(took < 2_000, `entry ${k} stored after ${took} ms`);
      }
      assert.equal(upload.exitCode, null, 'the uploader is still following');
    } finally {
      upload.kill('SIGTERM');
      await new Promise((r) => (upload.exitCode === null ? upload.once('exit', r) : r(undefined)));
      await writer.close();
    }
  });
});
