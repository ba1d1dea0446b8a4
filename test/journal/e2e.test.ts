// End to end through the local runtime's HTTP API: the stock systemd-journal-upload, NDJSON, gzip,
// short output, live tail with resume, tokens, and bad input leaving nothing behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import { createParser, type EventSourceMessage } from 'eventsource-parser';

import { rotateIngestToken } from '../../lib/ingest-token';
import type { Services } from '../../lib/services';
import { LocalRuntime } from '../../local/runtime';
import { testServices } from '../helpers/services';
import { addVmRecord } from '../helpers/vm-record';
import {
  BOOT_A,
  BOOT_B,
  exportFormat,
  type Fields,
  JOURNAL_UPLOAD,
  journalctl,
  makeJournalFile,
  sampleEntries,
} from './helpers';

/** The app under test (built per file on its storage). */
let services: Services;

/** Runs a program with stdin closed (systemd-journal-upload waits on an open stdin pipe). */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SYSTEMD_LOG_TARGET: 'console' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout.resume();
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${stderr}`)),
    );
  });
}

describe('journal end to end (local runtime)', () => {
  let rt: LocalRuntime;
  let dir: string;
  let file: string;
  let token: string;
  const vm = 'vm-e2e';
  // Recent timestamps, so the entries are inside the retention window.
  const start = (Date.now() - 3_600_000) * 1000;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'journal-e2e-'));
    rt = await LocalRuntime.start({
      appEntry: 'functions/index.ts',
      dataDir: join(dir, 'data'),
      env: { TZ: 'UTC' },
    });
    services = testServices(rt.storageConnectionString);
    await addVmRecord(services, vm);
    token = await rotateIngestToken(services, vm);
    file = makeJournalFile(dir, sampleEntries(start, { big: true }));
  });
  after(async () => {
    await rt?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string, init?: RequestInit) => fetch(`${rt.baseUrl}/api${path}`, init);
  const entries = async (query = '') => {
    const res = await api(`/vms/${vm}/journal?limit=1000${query}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { offset: string; message: string | null }[] }).items;
  };

  it('stock systemd-journal-upload → 202, state saved, every entry stored once', async () => {
    const state = join(dir, 'upload.state');
    await run(JOURNAL_UPLOAD, [
      `--file=${file}`,
      '--follow=no',
      `--url=${rt.baseUrl}/api/ingest/${vm}/${token}`,
      `--save-state=${state}`,
    ]);
    const lastCursor = /LAST_CURSOR=(.*)/.exec(readFileSync(state, 'utf8'))?.[1];
    const exported = journalctl(file, ['-o', 'json', '-n', '1']).toString();
    assert.equal(lastCursor, (JSON.parse(exported) as { __CURSOR: string }).__CURSOR);
    assert.equal((await entries()).length, 14);
  });

  it('the same entries as NDJSON (and gzip) are all duplicates', async () => {
    const body = journalctl(file, ['-o', 'json', '--all']);
    for (const gzip of [false, true]) {
      const res = await api(`/vms/${vm}/journal`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        },
        body: gzip ? gzipSync(body) : body,
      });
      assert.equal(res.status, 200);
      const r = (await res.json()) as { accepted: number; duplicates: number; lastCursor: string };
      assert.deepEqual([r.accepted, r.duplicates], [0, 14]);
    }
    assert.equal((await entries()).length, 14);
  });

  it('format=short is byte-identical to journalctl -o short', async () => {
    const res = await api(`/vms/${vm}/journal?limit=1000&format=short`);
    assert.equal(await res.text(), journalctl(file, ['-o', 'short'], { TZ: 'UTC' }).toString('utf8'));
  });

  it('refuses a missing, wrong or foreign token', async () => {
    const otherToken = await rotateIngestToken(services, 'vm-e2e-other');
    const body = exportFormat(sampleEntries(start + 100_000_000).slice(0, 1));
    for (const auth of [undefined, 'Bearer nope', `Bearer ${otherToken}`]) {
      const res = await api(`/vms/${vm}/journal`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.fdo.journal', ...(auth ? { authorization: auth } : {}) },
        body,
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
    }
    const up = await api(`/ingest/${vm}/${otherToken}/upload`, { method: 'POST', body });
    assert.equal(up.status, 401);
    assert.equal((await entries()).length, 14);
  });

  it('bad input is a 4xx naming the entry and field, and stores nothing', async () => {
    const good = exportFormat(
      sampleEntries(start + 200_000_000)
        .slice(0, 3)
        .map((f, i): Fields => [['__CURSOR', `s=bad;i=${i + 1};b=${BOOT_A}`], ...f]),
    );
    const cases: [string, Buffer | string, number, string][] = [
      [
        'application/vnd.fdo.journal',
        Buffer.concat([good, Buffer.from('__CURSOR=x\nMESS')]),
        400,
        'entries[3]',
      ],
      [
        'application/vnd.fdo.journal',
        Buffer.concat([good, Buffer.from('MESSAGE=no cursor\n\n')]),
        400,
        'entries[3].__CURSOR',
      ],
      ['application/x-ndjson', '{"__CURSOR":"a","__REALTIME_TIMESTAMP":"1"}\n{oops}\n', 400, 'entries[1]'],
      ['application/vnd.fdo.journal', Buffer.concat([good, Buffer.alloc(10 * 1024 * 1024, 0x41)]), 413, ''],
      ['text/plain', good, 415, ''],
    ];
    for (const [type, body, status, field] of cases) {
      const res = await api(`/vms/${vm}/journal`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body,
      });
      assert.equal(res.status, status, `${type} ${field}`);
      const p = (await res.json()) as { detail: string; errors?: { field: string }[] };
      if (field)
        assert.ok(
          p.errors?.some((e) => e.field === field),
          JSON.stringify(p),
        );
    }
    assert.equal((await entries()).length, 14);
  });

  it('a body answered before it is read is drained, so its connection carries the next request', async () => {
    // A client that got the whole body out before the answer (loopback buffers hold megabytes) sends
    // its next request on the same connection; an undrained body stalls that until a reset.
    const socket = connect(Number(new URL(rt.baseUrl).port), '127.0.0.1');
    socket.on('error', () => undefined); // surfaces as a write's error and 'close'
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const statuses = () => [...received.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
    const answered = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (statuses().length < n) return;
          socket.off('data', check);
          resolve();
        };
        socket.on('data', check);
        socket.once('close', () => reject(new Error(`connection closed after ${statuses().join(', ')}`)));
        check();
      });
    const post = (type: string, body: Buffer) =>
      new Promise<void>((resolve, reject) => {
        const head =
          `POST /api/vms/${vm}/journal HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`;
        socket.write(Buffer.concat([Buffer.from(head), body]), (e) =>
          e ? reject(new Error(`connection lost after ${statuses().join(', ')}: ${e.message}`)) : resolve(),
        );
      });
    try {
      // The 10 MB leave the client only if the host reads past its 413.
      await Promise.all([
        post('application/vnd.fdo.journal', Buffer.alloc(10 * 1024 * 1024, 0x41)),
        answered(1),
      ]);
      await Promise.all([post('text/plain', Buffer.from('x')), answered(2)]);
      assert.deepEqual(statuses(), [413, 415]);
    } finally {
      socket.destroy();
    }
    assert.equal((await entries()).length, 14);
  });

  it('follow delivers new entries and resumes from Last-Event-ID', async () => {
    const received: EventSourceMessage[] = [];
    const tail = async (headers: Record<string, string>, want: number) => {
      const ac = new AbortController();
      const res = await api(`/vms/${vm}/journal?follow=true&unit=nginx.service&limit=1`, {
        headers,
        signal: ac.signal,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const got: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (e) => got.push(e) });
      const decoder = new TextDecoder();
      const reader = res.body!.getReader();
      while (got.length < want) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
        if (got.length === 1 && want > 1 && received.length === 0) {
          received.push(got[0]!);
          // A new entry after the tail started arrives on the open stream.
          const res2 = await api(`/vms/${vm}/journal`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              __CURSOR: 'live-1',
              __REALTIME_TIMESTAMP: String(start + 500_000_000),
              _BOOT_ID: BOOT_B,
              _SYSTEMD_UNIT: 'nginx.service',
              MESSAGE: 'live entry',
            }),
          });
          assert.equal(res2.status, 200);
        }
      }
      ac.abort();
      return got;
    };
    const first = await tail({}, 1 + 1); // the initial newest entry (limit 1 below) + the live one
    assert.ok(first.length >= 2);
    const live = first.at(-1)!;
    assert.equal((JSON.parse(live.data) as { message: string }).message, 'live entry');
    assert.equal(live.id, (JSON.parse(live.data) as { offset: string }).offset);
    // Resume after the initial event: the live entry is delivered again, nothing before it.
    received.length = 1;
    const resumed = await tail({ 'last-event-id': first[0]!.id! }, 1);
    assert.equal((JSON.parse(resumed[0]!.data) as { message: string }).message, 'live entry');
  });

  it('units and boots', async () => {
    const units = (await (await api(`/vms/${vm}/units`)).json()) as {
      items: { unit: string; count: number }[];
    };
    assert.equal(units.items.find((u) => u.unit === 'nginx.service')?.count, 6);
    const boots = (await (await api(`/vms/${vm}/boots`)).json()) as {
      items: { index: number; bootId: string }[];
    };
    assert.deepEqual(
      boots.items.map((b) => b.index),
      [-1, 0],
    );
  });
});
