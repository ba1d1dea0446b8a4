import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { toRecord } from '../../lib/journal/entry';
import { parseExportFormat } from '../../lib/journal/export-parser';
import type { RawEntry } from '../../lib/journal/fields';
import { parseJsonEntries } from '../../lib/journal/json-parser';
import { chunksOf, collect, journalctl, makeJournalFile, sampleEntries } from './helpers';

describe('journal parsers on real journal files', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'journal-parsers-'));
    file = makeJournalFile(dir, sampleEntries(1_700_000_000_000_000, { big: true }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const normalize = (entries: RawEntry[]) =>
    entries.map((e) =>
      Object.fromEntries(
        [...e].map(([k, vs]) => [k, vs.map((v) => (Buffer.isBuffer(v) ? `bin:${v.toString('hex')}` : v))]),
      ),
    );

  it('export format and JSON give the same entries, with every field', async () => {
    const exp = await collect(parseExportFormat(chunksOf(journalctl(file, ['-o', 'export']), 4093)));
    const json = await collect(parseJsonEntries(chunksOf(journalctl(file, ['-o', 'json', '--all']), 777)));
    assert.equal(exp.length, 14);
    assert.deepEqual(normalize(json), normalize(exp));
    const records = exp.map((e, i) => toRecord(e, i));
    assert.deepEqual(
      records.map((r) => r.unit),
      [
        'kernel',
        'foo\\x2dbar.service',
        'nginx.service',
        'nginx.service',
        'user@1000.service',
        'nginx.service',
        'cron.service',
        'sshd',
        'nginx.service',
        'nomsg',
        'kernel',
        'nginx.service',
        'big.service',
        'big.service',
      ],
    );
    const byUnit = (i: number) => exp[i]!;
    assert.equal(byUnit(2).get('MESSAGE')![0], 'line one\nline two\n\nline four');
    assert.equal(byUnit(3).get('MESSAGE')![0], 'grüße, 世界 🌍');
    assert.deepEqual(byUnit(4).get('MESSAGE')![0], Buffer.from([0x62, 0x69, 0x6e, 0x00, 0xff, 0x01]));
    assert.deepEqual(byUnit(5).get('TAG'), ['one', 'two']);
    assert.equal((byUnit(12).get('MESSAGE')![0] as string).length, 100 * 1024);
    assert.equal(Buffer.byteLength(byUnit(13).get('MESSAGE')![0] as string), 1024 * 1024);
    // Offsets sort in time order and carry the cursor's boot and seqnum.
    const offsets = records.map((r) => r.offset);
    assert.deepEqual([...offsets].sort(), offsets);
    assert.match(offsets[0]!, /^1700000000000000-a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1-0000000000000001$/);
  });

  it('accepts a JSON array, numbers, nulls and byte arrays', async () => {
    const body = JSON.stringify([
      {
        __CURSOR: 'c1',
        __REALTIME_TIMESTAMP: 1700000000000001,
        MESSAGE: null,
        X: [104, 105],
        R: ['a', [0, 1], null],
      },
      { __CURSOR: 'c2', __REALTIME_TIMESTAMP: '1700000000000002', MESSAGE: 'ok' },
    ]);
    const out = await collect(parseJsonEntries(chunksOf(Buffer.from(body), 5)));
    assert.equal(out.length, 2);
    assert.deepEqual(out[0]!.get('__REALTIME_TIMESTAMP'), ['1700000000000001']);
    assert.deepEqual(out[0]!.get('MESSAGE'), [null]);
    assert.deepEqual(out[0]!.get('X'), ['hi']);
    assert.deepEqual(out[0]!.get('R'), ['a', Buffer.from([0, 1]), null]);
  });
});

describe('journal parsers reject bad input with the entry index and field', () => {
  const good = 'a'.repeat(0);
  const entry = (i: number) =>
    `__CURSOR=c${i}\n__REALTIME_TIMESTAMP=${1700000000000000 + i}\nMESSAGE=m${i}\n\n`;
  const exportCases: [string, Buffer, number, RegExp][] = [
    ['truncated field', Buffer.from(entry(0) + '__CURSOR=c1\nMESS'), 400, /entries\[1\].*truncated/],
    ['no closing blank line', Buffer.from(entry(0) + '__CURSOR=c1\n'), 400, /entries\[1\].*blank line/],
    [
      'bad binary length',
      Buffer.concat([
        Buffer.from(entry(0) + 'MESSAGE\n'),
        Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]),
        Buffer.from('abcd\n\n'),
      ]),
      400,
      /entries\[1\]\.MESSAGE: bad binary length/,
    ],
    [
      'binary length past the end',
      Buffer.concat([Buffer.from('MESSAGE\n'), Buffer.from([255, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('ab')]),
      400,
      /entries\[0\]\.MESSAGE: truncated/,
    ],
    [
      'huge binary length',
      Buffer.concat([Buffer.from('MESSAGE\n'), Buffer.from([255, 255, 255, 255, 255, 255, 255, 255])]),
      400,
      /entries\[0\]\.MESSAGE: binary length \d+ is above journald's/,
    ],
    ['lower-case field name', Buffer.from('message=x\n\n'), 400, /entries\[0\]: invalid field name/],
    [
      'a field name line longer than a name (no newline)',
      Buffer.from('A'.repeat(3 * 1024 * 1024)),
      400,
      /entries\[0\]: invalid field name/,
    ],
  ];
  for (const [name, body, status, re] of exportCases) {
    it(`export: ${name}`, async () => {
      await assert.rejects(
        collect(parseExportFormat(chunksOf(body, 1000))),
        (e: { status: number; message: string }) => {
          assert.equal(e.status, status);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }

  const jsonCases: [string, string, RegExp][] = [
    ['invalid JSON', '{"__CURSOR":"a"}\n{"__CURSOR": nope}\n', /entries\[1\]: invalid JSON/],
    ['truncated object', '{"__CURSOR":"a"', /entries\[0\]: truncated/],
    ['not an object', '[1]', /entries\[0\]: each entry must be a JSON object/],
    ['unclosed array', '[{"A":"b"}', /entries\[1\]: truncated/],
    ['boolean value', '{"A":true}', /entries\[0\]\.A: must be/],
    ['bad byte', '{"A":[1,300]}', /entries\[0\]\.A: byte arrays/],
    ['bad name', '{"a-b":"x"}', /entries\[0\]: invalid field name/],
    ['junk after array', '[]x', /unexpected data/],
  ];
  for (const [name, body, re] of jsonCases) {
    it(`json: ${name}`, async () => {
      await assert.rejects(
        collect(parseJsonEntries(chunksOf(Buffer.from(body + good), 3))),
        (e: { status: number; message: string }) => {
          assert.equal(e.status, 400);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }

  it('required fields: missing __CURSOR or a bad __REALTIME_TIMESTAMP name the field', () => {
    assert.throws(
      () => toRecord(new Map([['__REALTIME_TIMESTAMP', ['1']]]), 4),
      /entries\[4\]\.__CURSOR: required/,
    );
    assert.throws(
      () =>
        toRecord(
          new Map([
            ['__CURSOR', ['c']],
            ['__REALTIME_TIMESTAMP', ['12x']],
          ]),
          2,
        ),
      /entries\[2\]\.__REALTIME_TIMESTAMP/,
    );
  });
});

describe('parser fuzz: random mutations only ever raise our 4xx errors', () => {
  // A small deterministic PRNG so a failure can be replayed.
  let seed = 0x9e3779b9;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const mutate = (b: Buffer): Buffer => {
    const out = Buffer.from(b);
    const kind = rnd(4);
    if (kind === 0) for (let i = 0; i < 1 + rnd(8); i++) out[rnd(out.length)] = rnd(256);
    if (kind === 1) return out.subarray(0, rnd(out.length));
    if (kind === 2)
      return Buffer.concat([
        out.subarray(0, rnd(out.length)),
        Buffer.from([rnd(256), 10, 61, 34, 123]),
        out.subarray(rnd(out.length)),
      ]);
    if (kind === 3) out.copy(out, rnd(out.length), rnd(out.length));
    return out;
  };
  const sample = (json: boolean) => {
    const s = sampleEntries(1_700_000_000_000_000).slice(0, 6);
    if (!json) return Buffer.from(s.map((f) => f.map(([k, v]) => `${k}\n${v.toString()}`).join('')).join(''));
    return Buffer.from(
      s
        .map((f) =>
          JSON.stringify(Object.fromEntries(f.map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]))),
        )
        .join('\n'),
    );
  };

  for (const json of [false, true]) {
    it(json ? 'json' : 'export', async () => {
      const base = json
        ? sample(true)
        : (await import('./helpers')).exportFormat(sampleEntries(1_700_000_000_000_000).slice(0, 6));
      void sample;
      for (let i = 0; i < 1500; i++) {
        const input = mutate(base);
        try {
          const entries = await collect(
            (json ? parseJsonEntries : parseExportFormat)(chunksOf(input, 1 + rnd(300))),
          );
          entries.forEach((e, k) => {
            try {
              toRecord(e, k);
            } catch (err) {
              if ((err as { status?: number }).status !== 400) throw err;
            }
          });
        } catch (err) {
          const status = (err as { status?: number }).status;
          assert.ok(status === 400 || status === 413, `iteration ${i}: ${String(err)}`);
        }
      }
    });
  }
});
