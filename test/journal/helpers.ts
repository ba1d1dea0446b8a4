// Shared test helpers: an in-memory Azurite per test file, and real journal files made with Debian's
// systemd-journal-remote from export-format input, read back with journalctl.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

import type { Services } from '../../lib/services';
import { startTestStorage, testServices, type TestStorage as StorageOnly } from '../helpers/services';

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
export const JOURNAL_UPLOAD = '/lib/systemd/systemd-journal-upload';

export interface TestStorage extends StorageOnly {
  /** A Services on this storage (each test file builds its own; `testServices` makes more). */
  services: Services;
}

/** An in-memory Azurite for one test file, with a Services on it (nothing written to process.env). */
export async function startAzurite(): Promise<TestStorage> {
  const storage = await startTestStorage();
  return { ...storage, services: testServices(storage.connectionString) };
}

type Value = string | Buffer;
export type Fields = [string, Value][];

/** Export-format bytes for entries (binary framing for Buffers). */
export function exportFormat(entries: Fields[]): Buffer {
  const parts: Buffer[] = [];
  for (const fields of entries) {
    for (const [k, v] of fields) {
      if (typeof v === 'string') parts.push(Buffer.from(`${k}=${v}\n`));
      else {
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(v.length));
        parts.push(Buffer.from(`${k}\n`), len, v, Buffer.from('\n'));
      }
    }
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export const BOOT_A = 'a1'.repeat(16);
export const BOOT_B = 'b2'.repeat(16);

/** Varied entries like a real VM's: every case the issue lists. Times are consecutive seconds from `startUsec`. */
export function sampleEntries(startUsec: number, opts: { big?: boolean } = {}): Fields[] {
  const base = (i: number, boot: string, extra: Fields): Fields => [
    ['__REALTIME_TIMESTAMP', String(startUsec + i * 1_000_000)],
    ['__MONOTONIC_TIMESTAMP', String(1_000_000 + i)],
    ['_BOOT_ID', boot],
    ['_HOSTNAME', 'vm-1'],
    ...extra,
  ];
  const svc = (unit: string, ident: string, pid: string, msg: Value, prio = '6'): Fields => [
    ['_SYSTEMD_UNIT', unit],
    ['SYSLOG_IDENTIFIER', ident],
    ['_PID', pid],
    ['_COMM', ident],
    ['PRIORITY', prio],
    ['MESSAGE', msg],
  ];
  const list: Fields[] = [
    base(0, BOOT_A, [
      ['_TRANSPORT', 'kernel'],
      ['SYSLOG_IDENTIFIER', 'kernel'],
      ['PRIORITY', '5'],
      ['MESSAGE', 'Linux version 6.1.0'],
    ]),
    base(1, BOOT_A, svc('foo\\x2dbar.service', 'foo-bar', '101', 'started foo-bar')),
    base(2, BOOT_A, svc('nginx.service', 'nginx', '202', Buffer.from('line one\nline two\n\nline four'))),
    base(3, BOOT_A, svc('nginx.service', 'nginx', '202', 'grüße, 世界 🌍', '3')),
    base(
      4,
      BOOT_A,
      svc('user@1000.service', 'systemd', '900', Buffer.from([0x62, 0x69, 0x6e, 0x00, 0xff, 0x01])),
    ),
    base(5, BOOT_A, [
      ...svc('nginx.service', 'nginx', '202', 'tab\there \u001b[31mred\u001b[0m', '4'),
      ['TAG', 'one'],
      ['TAG', 'two'],
    ]),
    base(6, BOOT_A, [
      ['UNIT', 'cron.service'],
      ['SYSLOG_IDENTIFIER', 'systemd'],
      ['_PID', '1'],
      ['MESSAGE', 'Started cron.service.'],
    ]),
    base(7, BOOT_A, [
      ['SYSLOG_IDENTIFIER', 'sshd'],
      ['SYSLOG_PID', '77'],
      ['MESSAGE', 'no unit here'],
      ['_SOURCE_REALTIME_TIMESTAMP', String(startUsec + 6_500_000)],
    ]),
    base(8, BOOT_A, svc('nginx.service', 'nginx', '202', 'trailing newline\n', '2')),
    base(9, BOOT_A, [
      ['SYSLOG_IDENTIFIER', 'nomsg'],
      ['CODE_FILE', 'x.c'],
    ]),
    base(10, BOOT_B, [
      ['_TRANSPORT', 'kernel'],
      ['SYSLOG_IDENTIFIER', 'kernel'],
      ['MESSAGE', 'second boot'],
    ]),
    base(11, BOOT_B, svc('nginx.service', 'nginx', '303', 'after reboot', '6')),
  ];
  if (opts.big) {
    list.push(base(12, BOOT_B, svc('big.service', 'big', '404', 'x'.repeat(100 * 1024))));
    list.push(base(13, BOOT_B, svc('big.service', 'big', '404', Buffer.from('ü'.repeat(512 * 1024)))));
  }
  return list;
}

/** Writes entries into a real journal file with systemd-journal-remote; returns its path. */
export function makeJournalFile(dir: string, entries: Fields[], name = 'test.journal'): string {
  const input = join(dir, `${name}.export`);
  writeFileSync(input, exportFormat(entries));
  const out = join(dir, name);
  execFileSync(JOURNAL_REMOTE, [`--output=${out}`, input], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

export function journalctl(file: string, args: string[], env: Record<string, string> = {}): Buffer {
  return execFileSync('journalctl', ['--file', file, ...args], {
    env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '', ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
}

// eslint-disable-next-line @typescript-eslint/require-await -- a body stream in chunks
export async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export interface Streamed {
  /** Sends one gzip member (or raw bytes). */
  send(data: Buffer): Promise<void>;
  /** Ends the body; resolves with the answer. */
  end(): Promise<{ status: number; body: string }>;
  /** The answer, if the server answered before the body ended. */
  answer: Promise<{ status: number; body: string }>;
}

/** One chunked POST whose body is written piece by piece, as the agent's curl -T - does. */
export function openStream(url: string, token: string): Streamed {
  let resolveAnswer!: (a: { status: number; body: string }) => void;
  let rejectAnswer!: (e: Error) => void;
  const answer = new Promise<{ status: number; body: string }>((res, rej) => {
    resolveAnswer = res;
    rejectAnswer = rej;
  });
  const req = request(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
      'transfer-encoding': 'chunked',
    },
  });
  req.on('response', (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body }));
  });
  req.on('error', rejectAnswer);
  req.flushHeaders();
  return {
    answer,
    send: (data) => new Promise((resolve, reject) => req.write(data, (e) => (e ? reject(e) : resolve()))),
    end: () => {
      req.end();
      return answer;
    },
  };
}
