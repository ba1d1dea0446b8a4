// Property-based fuzzing (fast-check) of what the API reads from strangers: the three journal body
// parsers (JSON array, NDJSON, export format) and the query parameters of the read routes. Shared by
// bench/fuzz.ts (100k+ cases, `npm run bench:fuzz`) and a fixed-seed slice in test/hostile/fuzz.test.ts.
// The properties: a body either parses into records or fails with a 4xx AppError (never another
// exception), and the outcome does not depend on how the bytes are split into chunks; a request with any
// query string and headers is answered below 500, as problem+json when it is a 4xx.
import { Readable } from 'node:stream';

import { HttpRequest, InvocationContext } from '@azure/functions';
import fc from 'fast-check';

import { isAppError } from '../../lib/errors';
import { withProblems } from '../../lib/http/problem';
import { toRecord } from '../../lib/journal/entry';
import { parseExportFormat } from '../../lib/journal/export-parser';
import type { RawEntry } from '../../lib/journal/fields';
import { bootsHandler, queryHandler, unitsHandler } from '../../lib/journal/http';
import { updateIndexes } from '../../lib/journal/indexes';
import { parseJsonEntries } from '../../lib/journal/json-parser';
import { JOURNAL_QUERY_PARAMS } from '../../lib/journal/params';
import { writeRecords } from '../../lib/journal/table-store';
import type { Services } from '../../lib/services';
import { addVmRecord } from '../helpers/vm-record';

// ---- bodies -------------------------------------------------------------------------------------

const fieldName = fc.oneof(
  fc.constantFrom(
    '__CURSOR',
    '__REALTIME_TIMESTAMP',
    '__MONOTONIC_TIMESTAMP',
    '_BOOT_ID',
    '_SYSTEMD_UNIT',
    'MESSAGE',
    'PRIORITY',
    'SYSLOG_IDENTIFIER',
    '_PID',
  ),
  fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,70}$/),
  fc.string({ maxLength: 12 }),
);
const textValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^\d{1,18}$/),
  fc.constantFrom('s=a;i=1;b=' + 'ab'.repeat(16), 'ab'.repeat(16), '-1', '1e400', ''),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const jsonValue = fc.oneof(
  textValue,
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.array(fc.integer({ min: -1, max: 300 }), { maxLength: 10 }),
  fc.array(fc.oneof(textValue, fc.constant(null), fc.array(fc.nat(255), { maxLength: 4 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  fc.boolean(),
);
const entryObject = fc.dictionary(fieldName, jsonValue, { maxKeys: 8 });
const anyJson = fc.oneof(entryObject, fc.jsonValue({ maxDepth: 3 }));

/** Byte-level damage: truncate, flip, insert or drop a byte somewhere. */
function mutate(bytes: Uint8Array) {
  return fc
    .array(fc.tuple(fc.constantFrom('cut', 'flip', 'insert', 'drop'), fc.nat(), fc.nat(255)), {
      maxLength: 3,
    })
    .map((ops) => {
      let b = Buffer.from(bytes);
      for (const [op, at, v] of ops) {
        if (b.length === 0) break;
        const i = at % b.length;
        if (op === 'cut') b = b.subarray(0, i);
        else if (op === 'flip') b[i] = v;
        else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([v]), b.subarray(i)]);
        else b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      }
      return new Uint8Array(b);
    });
}

const ndjsonBody = fc
  .array(anyJson, { maxLength: 6 })
  .map((objs) => Buffer.from(objs.map((o) => JSON.stringify(o)).join('\n')));
const jsonArrayBody = fc.array(anyJson, { maxLength: 6 }).map((objs) => Buffer.from(JSON.stringify(objs)));

const exportField = fc.oneof(
  fc.tuple(fieldName, textValue).map(([k, v]) => Buffer.from(`${k}=${v}\n`)),
  fc
    .tuple(fieldName, fc.uint8Array({ maxLength: 24 }), fc.integer({ min: -2, max: 2 }))
    .map(([k, v, skew]) => {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(Math.max(0, v.length + skew)));
      return Buffer.concat([Buffer.from(`${k}\n`), len, v, Buffer.from('\n')]);
    }),
);
const exportBody = fc
  .array(fc.array(exportField, { maxLength: 6 }), { maxLength: 4 })
  .map((entries) => Buffer.concat(entries.flatMap((fields) => [...fields, Buffer.from('\n')])));

export type BodyFormat = 'json' | 'ndjson' | 'export';

/** A body of the format: well-formed, damaged, or arbitrary bytes. */
export function bodyOf(format: BodyFormat): fc.Arbitrary<Uint8Array> {
  const wellFormed = format === 'export' ? exportBody : format === 'json' ? jsonArrayBody : ndjsonBody;
  return fc.oneof(
    { weight: 3, arbitrary: wellFormed.map((b) => new Uint8Array(b)) },
    { weight: 4, arbitrary: wellFormed.chain((b) => mutate(b)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  );
}

/** Chunk boundaries: cut points into the body. */
export const chunking = fc.array(fc.nat(), { maxLength: 6 });

function* chunks(bytes: Uint8Array, cuts: number[]) {
  const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
  let at = 0;
  for (const p of points) {
    if (p > at) yield bytes.subarray(at, p);
    at = Math.max(at, p);
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

/** The parse outcome: the records' offsets, or the 4xx error's status and message. */
export async function parseOutcome(format: BodyFormat, bytes: Uint8Array, cuts: number[]): Promise<string> {
  const source = Readable.from([...chunks(bytes, cuts)]) as AsyncIterable<Uint8Array>;
  const parsed: AsyncIterable<RawEntry> =
    format === 'export' ? parseExportFormat(source) : parseJsonEntries(source);
  const offsets: string[] = [];
  try {
    let i = 0;
    for await (const raw of parsed) offsets.push(toRecord(raw, i++).offset);
    return `ok ${offsets.join(',')}`;
  } catch (e) {
    if (isAppError(e) && e.status >= 400 && e.status < 500) return `${e.status} ${e.message}`;
    throw e; // a crash: anything but a 4xx
  }
}

/** The body property: never a crash, and chunking does not change the outcome. */
export function bodyProperty(format: BodyFormat) {
  return fc.asyncProperty(bodyOf(format), chunking, async (bytes, cuts) => {
    const whole = await parseOutcome(format, bytes, []);
    const split = await parseOutcome(format, bytes, cuts);
    if (whole !== split)
      throw new Error(`chunking changed the outcome:\n  whole: ${whole}\n  split: ${split}`);
  });
}

// ---- query parameters -----------------------------------------------------------------------------

const PARAMS = [...JOURNAL_QUERY_PARAMS];
const paramValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    'current',
    '-1',
    '0',
    'all',
    'err',
    '7',
    '8',
    'now',
    '-15m',
    '+1h',
    'today',
    '2024-05-01T12:00:00Z',
    '2024-13-45',
    '9999-12-31T23:59:59Z',
    'asc',
    'desc',
    'json',
    'ndjson',
    'short',
    'true',
    'false',
    '1000',
    '1001',
    '0',
    '-1',
    'eyJ0IjoiZ2FyYmFnZSJ9',
    'eyJvIjoiMDAwMDAwMDAwMDAwMDAwMC1hLWEiLCJkIjoiYXNjIn0',
    'bnVsbA',
    '0000000000000000-a-a',
    '9999999999999999-zz-zz',
    'ab'.repeat(16),
  ),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.base64String({ maxLength: 40 }),
);
const query = fc.array(
  fc.tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PARAMS) }, fc.string({ maxLength: 8 })),
    paramValue,
  ),
  { maxLength: 5 },
);
const headers = fc.record(
  { 'last-event-id': paramValue, 'content-type': fc.string({ maxLength: 20 }) },
  { requiredKeys: [] },
);

const ROUTES = { journal: queryHandler, units: unitsHandler, boots: bootsHandler } as const;

/** The query property for a VM that exists (so that valid queries reach storage). Never a 5xx. */
export function queryProperty(services: Services, vm: string) {
  const routes = {
    journal: withProblems(ROUTES.journal(services)),
    units: withProblems(ROUTES.units(services)),
    boots: withProblems(ROUTES.boots(services)),
  };
  return fc.asyncProperty(
    fc.constantFrom(...(Object.keys(ROUTES) as (keyof typeof ROUTES)[])),
    query,
    headers,
    async (route, pairs, hdrs) => {
      const params = new URLSearchParams();
      for (const [k, v] of pairs) params.append(k, v);
      // A live tail is not fuzzed for its stream (it runs for minutes); its parameters are.
      if (params.get('follow') === 'true') params.set('follow', 'false');
      const req = new HttpRequest({
        method: 'GET',
        url: `http://127.0.0.1/api/vms/${vm}/${route}?${params.toString()}`,
        query: Object.fromEntries(params),
        // On the wire a header is bytes: what a server reads is their Latin-1 text.
        headers: Object.fromEntries(
          Object.entries(hdrs)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('latin1')])
            .filter(([, v]) => !/[\r\n\0]/.test(v!)),
        ) as Record<string, string>,
        params: { name: vm },
      });
      // The host hands the query over as a map (one value per name); URLSearchParams keeps repeats.
      Object.defineProperty(req, 'query', { value: params });
      const errors: string[] = [];
      const ctx = new InvocationContext({
        invocationId: 'fuzz',
        functionName: `fuzz-${route}`,
        logHandler: (level, ...args) => level === 'error' && errors.push(args.map(String).join(' ')),
      });
      const res = await routes[route](req, ctx);
      const status = res.status ?? 200;
      if (status >= 500)
        throw new Error(
          `${status} for ${route}?${params.toString()} ${JSON.stringify(hdrs)}: ${errors.join('; ')}`,
        );
      if (
        status >= 400 &&
        (res.headers as Record<string, string>)['content-type'] !== 'application/problem+json'
      )
        throw new Error(`${status} without problem+json for ${route}?${params.toString()}`);
    },
  );
}

/** A VM record and `count` entries over `boots` boots and `units` units in its journal, for the query fuzz. */
export async function seedFuzzJournal(
  services: Services,
  vm: string,
  count: number,
  boots: number,
  units: number,
): Promise<void> {
  await addVmRecord(services, vm);
  const now = Date.now() * 1000;
  const recs = Array.from({ length: count }, (_, i) => {
    const raw: RawEntry = new Map(
      Object.entries({
        __CURSOR: `s=z;i=${i + 1};b=${String(i % boots).repeat(32)}`,
        __REALTIME_TIMESTAMP: String(now - (count - i) * 1_000_000),
        _SYSTEMD_UNIT: `u${i % units}.service`,
        PRIORITY: String(i % 8),
        MESSAGE: `fuzz line ${i}`,
      }).map(([k, v]) => [k, [v]]),
    );
    return toRecord(raw, i);
  });
  const w = await writeRecords(services, vm, recs);
  await updateIndexes(
    services,
    vm,
    new Date(now / 1000).toISOString().slice(0, 10).replaceAll('-', ''),
    w.stored,
  );
}
