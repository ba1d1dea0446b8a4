// The ingestion pipeline: body stream → (gunzip) → parser → records → Table writes → indexes.
// Two modes, both documented in README.md:
//  - atomic (POST /api/vms/{name}/journal, the agent's bounded batches): the whole body (≤ 8 MiB after
//    decompression, else 413) is parsed and validated first; any bad entry is a 400 and nothing of the
//    request is stored.
//  - streaming (POST /api/vms/{name}/journal?stream=true, the agent's long chunked request of gzip
//    members; POST /api/ingest/{name}/{token}/upload, systemd-journal-upload's backlog or --follow):
//    entries are stored as they arrive: every STREAM_BATCH entries or STREAM_FLUSH_BYTES, and whenever
//    no further entry arrives within STREAM_IDLE_MS (a trickle is stored, and live tails notified,
//    within milliseconds). Memory holds one pending batch (≤ STREAM_FLUSH_BYTES + one entry). Bounds
//    (STREAM_LIMITS): decompressed bytes per request (413) and per second (the read waits), and time
//    (408 before Azure's 230 s front-end limit). On a bad entry, a bound or the time limit, the entries
//    before it are stored and the answer says how many and the last stored cursor (the client resends
//    from its saved cursor, and duplicates are ignored).
import { createGunzip } from 'node:zlib';

import { AppError, isAppError, payloadTooLarge, unsupportedMediaType } from '../errors';
import type { Clock, Services } from '../services';
import { recordEntriesWritten, recordIngestRefused } from '../telemetry/metrics';
import { bucketOf, retainedRange } from './buckets';
import { type JournalRecord, toRecord } from './entry';
import { parseExportFormat } from './export-parser';
import { entryBytes, type RawEntry } from './fields';
import { indexedUnits, invalidateIndexRead, updateIndexes } from './indexes';
import { parseJsonEntries } from './json-parser';
import { notifyJournal } from './notify';
import { writeRecords } from './table-store';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const STREAM_BATCH = 2000;
/** Streaming mode: pending entries are stored when the body pauses this long. */
export const STREAM_IDLE_MS = 25;

/** Most distinct units per VM per day: the entries of further units are stored under OVERFLOW_UNIT
 * (their fields keep the real unit), so /units and the unit partitions stay bounded. Counted from the
 * index as this instance sees it: concurrent instances may each add a few more. */
export const MAX_UNITS_PER_DAY = 1000;
export const OVERFLOW_UNIT = '_overflow';

/** Streaming mode bounds (documented in lib/journal/README.md; tests pass smaller ones). */
export interface StreamLimits {
  /** Pending entries are stored once they hold this many bytes (as well as every STREAM_BATCH). */
  flushBytes: number;
  /** Most decompressed bytes one request may carry (413 after storing what came before). */
  maxBytes: number;
  /** Decompressed bytes per second per request; above it the body is read more slowly. */
  bytesPerSecond: number;
  /** The request ends after this long (408 after storing what came), before Azure's 230 s limit. */
  maxDurationMs: number;
}
export const STREAM_LIMITS: Readonly<StreamLimits> = Object.freeze({
  flushBytes: 8 * 1024 * 1024,
  maxBytes: 1024 * 1024 * 1024,
  bytesPerSecond: 64 * 1024 * 1024,
  maxDurationMs: 200_000,
});

export type IngestFormat = 'json' | 'export';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  expired: number;
  lastCursor: string | null;
  transactions: number;
}

/** The body format from Content-Type (415 for anything else). */
export function formatFromContentType(contentType: string | null): IngestFormat {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/vnd.fdo.journal') return 'export';
  if (
    ['application/json', 'application/x-ndjson', 'application/jsonl', 'application/x-json-stream'].includes(
      type,
    )
  )
    return 'json';
  throw unsupportedMediaType(
    'Content-Type must be application/vnd.fdo.journal (export format), application/x-ndjson or application/json',
  );
}

export interface IngestOptions {
  format: IngestFormat;
  gzip: boolean;
  mode: 'atomic' | 'streaming';
  /** Decompressed body limit (atomic mode); streaming mode has `limits.maxBytes` instead. */
  maxBodyBytes?: number;
  /** Streaming mode bounds (default STREAM_LIMITS). */
  limits?: Partial<StreamLimits>;
  /** Default MAX_UNITS_PER_DAY. */
  maxUnitsPerDay?: number;
  nowMs?: number;
}

export async function ingestBody(
  services: Services,
  vm: string,
  body: AsyncIterable<Uint8Array>,
  opts: IngestOptions,
): Promise<IngestResult> {
  const limits: StreamLimits = { ...STREAM_LIMITS, ...opts.limits };
  const streaming = opts.mode === 'streaming';
  let source: AsyncIterable<Uint8Array> = body;
  if (opts.gzip) source = gunzip(source);
  if (opts.maxBodyBytes !== undefined) source = limitBytes(source, opts.maxBodyBytes);
  if (streaming) source = meter(source, limits, services.clock);
  const entries = opts.format === 'export' ? parseExportFormat(source) : parseJsonEntries(source);
  const result: IngestResult = { accepted: 0, duplicates: 0, expired: 0, lastCursor: null, transactions: 0 };

  let pending: JournalRecord[] = [];
  let pendingBytes = 0;
  let index = 0;
  let storing = false;
  const flush = async () => {
    storing = true;
    await store(
      services,
      vm,
      pending,
      result,
      opts.nowMs ?? services.clock.now(),
      opts.maxUnitsPerDay ?? MAX_UNITS_PER_DAY,
    );
    pending = [];
    pendingBytes = 0;
    storing = false;
  };
  const it = (entries as AsyncIterable<RawEntry>)[Symbol.asyncIterator]();
  // The time bound: once it passes, the read in progress is abandoned and what came is stored.
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = streaming
    ? new Promise<'deadline'>((r) => (deadlineTimer = setTimeout(() => r('deadline'), limits.maxDurationMs)))
    : undefined;
  try {
    for (;;) {
      const next = it.next();
      let step: IteratorResult<RawEntry> | 'idle' | 'deadline';
      if (streaming && pending.length > 0) {
        // Store what we have if the body pauses: a trickle must not wait for STREAM_BATCH entries.
        // (Promise.race attaches a handler to `next`, so it may settle while we store.)
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<'idle'>((r) => (timer = setTimeout(() => r('idle'), STREAM_IDLE_MS)));
        step = await Promise.race([next, idle, deadline!]).finally(() => clearTimeout(timer));
        if (step === 'idle') {
          await flush();
          step = await Promise.race([next, deadline!]);
        }
      } else step = deadline ? await Promise.race([next, deadline]) : await next;
      if (step === 'deadline') throw timeLimit(limits.maxDurationMs);
      if (step.done) break;
      const record = toRecord(step.value, index++);
      pending.push(record);
      pendingBytes += entryBytes(record.fields);
      if (streaming && (pending.length >= STREAM_BATCH || pendingBytes >= limits.flushBytes)) await flush();
    }
  } catch (e) {
    if (isAppError(e)) recordIngestRefused(opts.mode === 'atomic' ? pending.length : 0, e);
    // A bad entry in streaming mode: the good entries before it are stored, and the error says so.
    if (opts.mode === 'streaming' && isAppError(e) && !storing) await flush();
    if (
      opts.mode === 'streaming' &&
      isAppError(e) &&
      result.accepted + result.duplicates + result.expired > 0
    ) {
      const note = `${result.accepted + result.duplicates + result.expired} entries before it were stored; last stored cursor: ${result.lastCursor}`;
      throw new AppError(e.code, e.status, `${e.message} (${note})`, [
        ...(e.errors ?? []),
        { field: 'stored', message: note },
      ]);
    }
    throw e;
  } finally {
    clearTimeout(deadlineTimer);
    // Ends the parser (and gunzip) if we stopped early; not awaited, a pending read may still run.
    it.return?.(undefined).catch(() => undefined);
  }
  await flush();
  return result;
}

async function store(
  services: Services,
  vm: string,
  records: JournalRecord[],
  result: IngestResult,
  nowMs: number,
  maxUnits: number,
) {
  if (records.length === 0) return;
  await capUnits(services, vm, records, maxUnits, nowMs);
  const w = await writeRecords(services, vm, records, nowMs);
  recordEntriesWritten(w);
  result.accepted += w.accepted;
  result.duplicates += w.duplicates;
  result.expired += w.expired;
  result.transactions += w.transactions;
  result.lastCursor = records.at(-1)!.cursor;
  // Every written record (new or a duplicate) goes to the index, so that a retry after a try that died
  // between the entry write and the index write still indexes its units and boots (indexes.ts).
  const byBucket = new Map<string, JournalRecord[]>();
  for (const r of w.written) {
    const b = bucketOf(r.realtimeUsec);
    const list = byBucket.get(b);
    if (list) list.push(r);
    else byBucket.set(b, [r]);
  }
  const fresh = new Set(w.stored);
  for (const [bucket, list] of byBucket)
    result.transactions += await updateIndexes(services, vm, bucket, list, fresh);
  if (w.stored.length) {
    invalidateIndexRead(services, vm);
    notifyJournal(services, vm);
  }
}

/** Moves the entries of units beyond the day's MAX_UNITS_PER_DAY to OVERFLOW_UNIT (in place). */
async function capUnits(
  services: Services,
  vm: string,
  records: JournalRecord[],
  maxUnits: number,
  nowMs: number,
) {
  const { oldest, newest } = retainedRange(services, nowMs);
  const known = new Map<string, Set<string>>();
  for (const r of records) {
    const bucket = bucketOf(r.realtimeUsec);
    if (bucket < oldest || bucket > newest) continue; // expired: not stored
    let units = known.get(bucket);
    if (!units) known.set(bucket, (units = await indexedUnits(services, vm, bucket)));
    if (units.has(r.unit)) continue;
    if (units.size < maxUnits) units.add(r.unit);
    else r.unit = OVERFLOW_UNIT;
  }
}

/** Compressed bytes handed to gunzip at a time. zlib inflates a whole write before it looks at
 * backpressure, and deflate reaches ~1,000:1, so a 64 KiB piece of a gzip bomb became ~64 MiB held at
 * once; 4 KiB pieces hold at most ~4 MiB. */
const GUNZIP_PIECE = 4096;

async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const z = createGunzip();
  let stopped = false;
  const feed = (async () => {
    try {
      for await (const chunk of source)
        for (let at = 0; at < chunk.length; at += GUNZIP_PIECE) {
          if (stopped) return; // ends the body's iterator: the rest of the body is not read here
          if (!z.write(chunk.subarray(at, at + GUNZIP_PIECE)))
            await new Promise<void>((r) => {
              const done = () => {
                z.off('drain', done);
                z.off('close', done);
                r();
              };
              z.on('drain', done);
              z.on('close', done);
            });
        }
      z.end();
    } catch (e) {
      z.destroy(e as Error);
    }
  })();
  try {
    for await (const out of z) yield out as Buffer;
  } catch (e) {
    if (isAppError(e)) throw e;
    throw new AppError(
      'InvalidContentEncoding',
      400,
      `gzip body could not be decompressed: ${(e as Error).message}`,
      [{ field: 'Content-Encoding', message: 'invalid gzip data' }],
    );
  } finally {
    // Stopped early (a refused entry, a bound): not awaited, a client still sending must not hold the
    // answer (before, this waited for the whole body, and a destroyed stream never drains).
    stopped = true;
    z.destroy();
    void feed;
  }
}

/** 408: a streaming request reached its time bound (the entries before were stored; see ingestBody). */
function timeLimit(ms: number): AppError {
  return new AppError(
    'RequestTimeLimit',
    408,
    `The request reached its time limit of ${ms} ms; send the rest in a new request.`,
    [{ field: 'body', message: `longer than ${ms} ms` }],
  );
}

/** Streaming bounds on the decompressed body: bytes per request (413) and per second (waits). */
async function* meter(
  source: AsyncIterable<Uint8Array>,
  limits: StreamLimits,
  clock: Clock,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  let windowStart = clock.now();
  let windowBytes = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limits.maxBytes)
      throw payloadTooLarge(
        `The request carries more than ${limits.maxBytes} bytes (after decompression); send the rest in a new request.`,
      );
    if (clock.now() - windowStart >= 1000) {
      windowStart = clock.now();
      windowBytes = 0;
    }
    windowBytes += chunk.length;
    if (windowBytes > limits.bytesPerSecond) {
      const wait = windowStart + 1000 - clock.now();
      if (wait > 0) await clock.sleep(wait);
      windowStart = clock.now();
      windowBytes = chunk.length;
    }
    yield chunk;
  }
}

async function* limitBytes(source: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    if (n > max)
      throw payloadTooLarge(`The body exceeds ${max} bytes (after decompression); send smaller batches.`);
    yield chunk;
  }
}
