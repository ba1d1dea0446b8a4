// The ingestion pipeline: body stream → (gunzip) → parser → records → Table writes → indexes.
// Two modes, both documented in README.md:
//  - atomic (POST /api/vms/{name}/journal, the agent's bounded batches): the whole body (≤ 8 MiB after
//    decompression, else 413) is parsed and validated first; any bad entry is a 400 and nothing of the
//    request is stored.
//  - streaming (POST /api/vms/{name}/journal?stream=true, the agent's long chunked request of gzip
//    members; POST /api/ingest/{name}/{token}/upload, systemd-journal-upload's backlog or --follow):
//    entries are stored as they arrive: every STREAM_BATCH entries, and whenever no further entry
//    arrives within STREAM_IDLE_MS (a trickle is stored, and live tails notified, within milliseconds).
//    No body limit (memory holds one pending batch); on a bad entry the entries before it are stored and
//    the 400 says how many and the last stored cursor (the client resends from its saved cursor, and
//    duplicates are ignored).
import { createGunzip } from 'node:zlib';

import { AppError, isAppError, payloadTooLarge, unsupportedMediaType } from '../errors';
import { recordEntriesWritten, recordIngestRefused } from '../telemetry/metrics';
import { bucketOf } from './buckets';
import { type JournalRecord, toRecord } from './entry';
import { parseExportFormat } from './export-parser';
import type { RawEntry } from './fields';
import { invalidateIndexRead, updateIndexes } from './indexes';
import { parseJsonEntries } from './json-parser';
import { notifyJournal } from './notify';
import { writeRecords } from './table-store';

export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const STREAM_BATCH = 2000;
/** Streaming mode: pending entries are stored when the body pauses this long. */
export const STREAM_IDLE_MS = 25;

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
  /** Decompressed body limit (atomic mode); undefined = unlimited (streaming mode stores as it goes). */
  maxBodyBytes?: number;
  nowMs?: number;
}

export async function ingestBody(
  vm: string,
  body: AsyncIterable<Uint8Array>,
  opts: IngestOptions,
): Promise<IngestResult> {
  let source: AsyncIterable<Uint8Array> = body;
  if (opts.gzip) source = gunzip(source);
  if (opts.maxBodyBytes !== undefined) source = limitBytes(source, opts.maxBodyBytes);
  const entries = opts.format === 'export' ? parseExportFormat(source) : parseJsonEntries(source);
  const result: IngestResult = { accepted: 0, duplicates: 0, expired: 0, lastCursor: null, transactions: 0 };

  let pending: JournalRecord[] = [];
  let index = 0;
  let storing = false;
  const flush = async () => {
    storing = true;
    await store(vm, pending, result, opts.nowMs);
    pending = [];
    storing = false;
  };
  const it = (entries as AsyncIterable<RawEntry>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = it.next();
      let step: IteratorResult<RawEntry> | 'idle';
      if (opts.mode === 'streaming' && pending.length > 0) {
        // Store what we have if the body pauses: a trickle must not wait for STREAM_BATCH entries.
        // (Promise.race attaches a handler to `next`, so it may settle while we store.)
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<'idle'>((r) => (timer = setTimeout(() => r('idle'), STREAM_IDLE_MS)));
        step = await Promise.race([next, idle]).finally(() => clearTimeout(timer));
        if (step === 'idle') {
          await flush();
          step = await next;
        }
      } else step = await next;
      if (step.done) break;
      pending.push(toRecord(step.value, index++));
      if (opts.mode === 'streaming' && pending.length >= STREAM_BATCH) await flush();
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
    // Ends the parser (and gunzip) if we stopped early; not awaited, a pending read may still run.
    it.return?.(undefined).catch(() => undefined);
  }
  await flush();
  return result;
}

async function store(vm: string, records: JournalRecord[], result: IngestResult, nowMs?: number) {
  if (records.length === 0) return;
  const w = await writeRecords(vm, records, nowMs);
  recordEntriesWritten(w);
  result.accepted += w.accepted;
  result.duplicates += w.duplicates;
  result.expired += w.expired;
  result.transactions += w.transactions;
  result.lastCursor = records.at(-1)!.cursor;
  const byBucket = new Map<string, JournalRecord[]>();
  for (const r of w.stored) {
    const b = bucketOf(r.realtimeUsec);
    const list = byBucket.get(b);
    if (list) list.push(r);
    else byBucket.set(b, [r]);
  }
  for (const [bucket, list] of byBucket) result.transactions += await updateIndexes(vm, bucket, list);
  if (w.stored.length) {
    invalidateIndexRead(vm);
    notifyJournal(vm);
  }
}

async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const z = createGunzip();
  const feed = (async () => {
    try {
      for await (const chunk of source) if (!z.write(chunk)) await new Promise((r) => z.once('drain', r));
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
    z.destroy();
    await feed;
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
