// journalctl-style reads. Each query reads only the partitions it needs: `vm|unit` per requested unit,
// else the whole-VM copy `vm|`, in the bucket tables its time range covers, newest first for `desc`.
// Filters run in the service where Table queries can express them (time range via RowKey, priority
// `p le N`, boot `b eq id`); `grep` runs here on the message.
// Table queries return RowKeys ascending only, so `desc` walks the day tables newest first and stops as
// soon as it has enough; in each it reads a window just below the upper bound, sized from the density
// this process saw in its last read of that partition (≈ 1.5× the rows it needs), widening if that was
// too few. With nothing learned yet (a cold instance) it reads the day's first page of 1000: that is the
// whole answer for a unit with ≤ 1000 entries that day; for a busier one it then reads that day's index
// row of the unit (one point read) to place and size one window. So the common newest-N query is one
// request, cached or not (two across a day boundary; three for a busy unit on a cold instance).
import type { TableClient, TableEntityResult } from '@azure/data-tables';

import { bucketEnd, bucketOf, bucketReader, bucketStart, existingBuckets, retainedRange } from './buckets';
import {
  decodeEntity,
  decodeUnpacked,
  isPack,
  joinChunks,
  PACK_SLOT_USEC,
  type StoredEntry,
  unpackRow,
} from './entity';
import { readBucketSummary } from './indexes';
import { offsetAtTime, offsetTime, overflowPartition, unitPartition, vmPartition } from './keys';
import { esc } from './table-store';

export interface JournalQuery {
  units?: string[];
  bootId?: string;
  /** Entries with PRIORITY ≤ this (journalctl -p). */
  priority?: number;
  sinceUsec?: number;
  untilUsec?: number;
  grep?: string;
  limit: number;
  order: 'asc' | 'desc';
  /** Exclusive lower bound (an offset), for paging ascending and live tails. */
  after?: string;
  /** Exclusive upper bound (an offset), for paging descending. */
  before?: string;
}

export interface QueryResult {
  items: StoredEntry[];
  /** True when the page is full (there may be more). */
  more: boolean;
  /** Table requests issued. */
  requests: number;
  /** Ascending only, when the page is not full: the highest RowKey read, matching or not (a live tail
   * with a `grep` that matches nothing resumes after it instead of rescanning the range). */
  scannedTo?: string;
}

type Row = TableEntityResult<Record<string, unknown>>;

export async function queryJournal(vm: string, q: JournalQuery, nowMs = Date.now()): Promise<QueryResult> {
  const stats: ReadStats = { requests: 0 };
  // Bounds as RowKeys: lo inclusive, hi exclusive ('~' sorts after every offset).
  let lo = q.sinceUsec !== undefined ? offsetAtTime(q.sinceUsec) : '';
  if (q.after && q.after + '\u0000' > lo) lo = q.after + '\u0000';
  let hi = q.untilUsec !== undefined ? offsetAtTime(q.untilUsec + 1) : '~';
  if (q.before && q.before < hi) hi = q.before;
  if (lo >= hi) return { items: [], more: false, requests: 0 };

  const { oldest } = retainedRange(nowMs);
  const firstBucket = lo ? bucketOf(Number(lo.slice(0, 16))) : oldest;
  const lastBucket = hi === '~' ? '99999999' : bucketOf(Number(hi.slice(0, 16)));
  let buckets = (await existingBuckets(nowMs, false, stats)).filter(
    (b) => b >= oldest && b >= firstBucket && b <= lastBucket,
  );
  if (q.order === 'desc') buckets = buckets.reverse();
  const partitions = q.units?.length ? q.units.map((u) => unitPartition(vm, u)) : [vmPartition(vm)];

  const items: StoredEntry[] = [];
  for (const bucket of buckets) {
    const remaining = q.limit - items.length;
    if (remaining <= 0) break;
    const table = await bucketReader(bucket);
    const perPartition = await Promise.all(
      partitions.map((pk) =>
        q.order === 'asc'
          ? readAsc(table, vm, pk, lo, hi, q, remaining, stats)
          : readDesc(table, vm, pk, bucket, lo, hi, q, remaining, stats, nowMs),
      ),
    );
    const merged = perPartition
      .flat()
      .sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    if (q.order === 'desc') merged.reverse();
    items.push(...merged.slice(0, remaining));
  }
  const more = items.length >= q.limit;
  return {
    items,
    more,
    requests: stats.requests,
    ...(q.order === 'asc' && !more && stats.scannedTo ? { scannedTo: stats.scannedTo } : {}),
  };
}

interface ReadStats {
  requests: number;
  scannedTo?: string;
}

/** The VM view's packs (entity.ts) are filtered here, not in the service; `packed` is set for it. */
function serverFilter(pk: string, lo: string, hi: string, q: JournalQuery, packed: boolean): string {
  let f = `PartitionKey eq '${esc(pk)}'`;
  if (lo) f += ` and RowKey ge '${esc(lo)}'`;
  if (packed) {
    // A pack's RowKey is its last offset and a pack stays within one slot: read to the slot's end.
    if (hi !== '~') f += ` and RowKey lt '${offsetAtTime(slotStart(offsetTime(hi)) + PACK_SLOT_USEC)}'`;
    return f;
  }
  f += ` and RowKey lt '${esc(hi)}'`;
  if (q.priority !== undefined) f += ` and p le ${q.priority}`;
  if (q.bootId) f += ` and b eq '${esc(q.bootId)}'`;
  return f;
}

async function readAsc(
  table: TableClient,
  vm: string,
  pk: string,
  lo: string,
  hi: string,
  q: JournalQuery,
  want: number,
  stats: ReadStats,
): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  const pageSize = Math.min(1000, q.grep ? Math.max(want * 4, 100) : want);
  const packed = pk === vmPartition(vm);
  const pages = table
    .listEntities<Record<string, unknown>>({ queryOptions: { filter: serverFilter(pk, lo, hi, q, packed) } })
    .byPage({ maxPageSize: pageSize });
  const seen = new Set<string>();
  let pending: Row[] = [];
  let safe = '';
  try {
    for await (const page of pages) {
      stats.requests++;
      for (const row of page)
        if (row.rowKey! < hi && row.rowKey! > (stats.scannedTo ?? '')) stats.scannedTo = row.rowKey!;
      pending.push(...entryRows(page, packed, lo, hi, q, seen));
      // Packs overlap only within a slot: entries before the slot of the last pack read are final.
      const last = page.at(-1)?.rowKey;
      if (!page.continuationToken) safe = '~';
      else if (last && packed) safe = offsetAtTime(slotStart(offsetTime(last)));
      else if (last) safe = last + '\u0000';
      pending.sort(byOffset);
      const ready = pending.filter((r) => r.rowKey! < safe);
      pending = pending.filter((r) => r.rowKey! >= safe);
      for (const row of ready) {
        const e = await decodeRow(table, vm, row, stats);
        if (matchesGrep(e, q.grep)) out.push(e);
        if (out.length >= want) return out;
      }
    }
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e; // a table dropped since it was listed
  }
  return out;
}

const slotStart = (usec: number) => Math.floor(usec / PACK_SLOT_USEC) * PACK_SLOT_USEC;
const byOffset = (a: Row, b: Row) => (a.rowKey! < b.rowKey! ? -1 : a.rowKey! > b.rowKey! ? 1 : 0);

/** A page's rows as entry rows. The VM view's packs are unpacked and the filters the service could
 * not apply (range, priority, boot) applied here; an offset seen before (overlapping packs of a
 * re-send) is dropped. Other partitions' rows pass as they are. */
function entryRows(page: Row[], packed: boolean, lo: string, hi: string, q: JournalQuery, seen: Set<string>) {
  if (!packed) return page;
  const out: Row[] = [];
  for (const row of page)
    for (const r of isPack(row) ? unpackRow(row) : [row]) {
      const o = r.rowKey!;
      if ((lo && o < lo) || o >= hi || seen.has(o)) continue;
      if (q.priority !== undefined && !(typeof r.p === 'number' && r.p <= q.priority)) continue;
      if (q.bootId && r.b !== q.bootId) continue;
      seen.add(o);
      out.push(r);
    }
  return out;
}

/** Per (bucket, partition), from this process's last unfiltered newest-first read of it: the newest row's
 * time and the mean spacing of the rows returned. Sizes the next window so that it is one request. */
const hints = new Map<string, { last: number; spacing: number }>();
const MAX_HINTS = 10_000;

/** Forget learned window sizes (a cold instance; tests and the benchmark). */
export function forgetQueryHints(): void {
  hints.clear();
}

async function readDesc(
  table: TableClient,
  vm: string,
  pk: string,
  bucket: string,
  lo: string,
  hi: string,
  q: JournalQuery,
  want: number,
  stats: { requests: number },
  nowMs: number,
): Promise<StoredEntry[]> {
  const floor = lo > offsetAtTime(bucketStart(bucket)) ? lo : offsetAtTime(bucketStart(bucket));
  const top = hi < offsetAtTime(bucketEnd(bucket) + 1) ? hi : offsetAtTime(bucketEnd(bucket) + 1);
  const topUsec = offsetTime(top);
  const key = `${bucket}/${pk}`;
  const hint = hints.get(key);
  const serverFiltered = q.priority !== undefined || q.bootId !== undefined;
  let found: Row[] = []; // ascending, grep applied
  let anchor: number;
  let spacing: number;
  let done = false;
  if (hint) {
    // The hint is the density of all rows; a filter keeps fewer of them.
    spacing = hint.spacing * (q.grep ? 4 : 1.5) * (serverFiltered ? 4 : 1);
    anchor = Math.min(topUsec, hint.last + 1);
  } else {
    // Nothing known: one page over the whole day. A partition with ≤ 1000 matching rows that day (most
    // units) is answered by it; for a busier one the page's rows give the density for one sized window.
    const probe = await readRange(table, vm, pk, floor, top, q, stats, true);
    if (!probe.more) {
      found = probe.rows;
      done = true;
    }
    // Cut short: this day's index row(s) say where the unit's newest entries are and how dense.
    const s = done ? undefined : await readBucketSummary(vm, bucket, q.units, stats);
    const n = probe.scanned.length;
    const probeLast = n ? offsetTime(probe.scanned[n - 1]!.rowKey!) : 0;
    const density = s && s.count > 1 ? (s.last - s.first) / (s.count - 1) : undefined;
    const probeDensity = n > 1 ? (probeLast - offsetTime(probe.scanned[0]!.rowKey!)) / (n - 1) : 60_000_000;
    spacing = (density ?? probeDensity) * (q.grep ? 4 : 1.5) * (s && serverFiltered ? 4 : 1);
    anchor = Math.min(topUsec, s ? s.last + 1 : Math.max(nowMs * 1000, probeLast + 1));
  }
  let width = Math.max(1000, Math.ceil(spacing * want));
  let upper = top;
  while (!done) {
    let lower = offsetAtTime(anchor - width);
    if (lower < floor) lower = floor;
    // Newest window first; rows newer than the hint knows (written since) are included too.
    const window = await readRange(table, vm, pk, lower, upper, q, stats, false);
    found = [...window.rows, ...found];
    if (found.length >= want || lower <= floor) break;
    upper = lower;
    width *= 8;
  }
  const newest = await Promise.all(
    found
      .slice(-want)
      .reverse()
      .map((row) => decodeRow(table, vm, row, stats)),
  );
  if (!serverFiltered && !q.grep && newest.length > 1) {
    const t0 = offsetTime(newest.at(-1)!.offset);
    const t1 = offsetTime(newest[0]!.offset);
    hints.delete(key);
    if (hints.size >= MAX_HINTS) hints.delete(hints.keys().next().value!);
    hints.set(key, { last: t1, spacing: Math.max(1, (t1 - t0) / (newest.length - 1)) });
  }
  return newest;
}

/** Rows of [lower, upper) in one partition, ascending, server filters applied and grep matched (only the
 * first page with `firstPageOnly`: `more` says whether it was cut short). A missing table reads empty. */
async function readRange(
  table: TableClient,
  vm: string,
  pk: string,
  lower: string,
  upper: string,
  q: JournalQuery,
  stats: { requests: number },
  firstPageOnly: boolean,
): Promise<{ rows: Row[]; scanned: Row[]; more: boolean }> {
  let scanned: Row[] = [];
  let more = false;
  const packed = pk === vmPartition(vm);
  const seen = new Set<string>();
  try {
    const pages = table
      .listEntities<Record<string, unknown>>({
        queryOptions: { filter: serverFilter(pk, lower, upper, q, packed) },
      })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      stats.requests++;
      scanned.push(...entryRows(page, packed, lower, upper, q, seen));
      if (firstPageOnly) {
        more = !!page.continuationToken;
        break;
      }
    }
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
  }
  if (packed) scanned = scanned.sort(byOffset); // packs of different requests may interleave
  if (!q.grep) return { rows: scanned, scanned, more };
  const rows: Row[] = [];
  for (const row of scanned) {
    let e = await decodeRow(table, vm, row, stats, true);
    // A large entry's message is in its overflow rows: read them before matching (rare).
    if (pendingOverflow.has(e) && matchesGrep(e, q.grep)) e = await completeOverflow(table, vm, e, stats);
    if (matchesGrep(e, q.grep)) rows.push(row);
  }
  return { rows, scanned, more };
}

const pendingOverflow = new WeakMap<StoredEntry, Row>();

async function decodeRow(
  table: TableClient,
  vm: string,
  row: Row,
  stats: { requests: number },
  defer = false,
): Promise<StoredEntry> {
  if (row.ref) {
    // A VM-view entry too large to pack: its unit copy (written before the pack) has it.
    stats.requests++;
    const full = await table.getEntity<Record<string, unknown>>(
      unitPartition(vm, row.u as string),
      row.rowKey!,
    );
    return decodeRow(table, vm, full, stats, defer);
  }
  const unpacked = decodeUnpacked(row);
  if (unpacked) return unpacked;
  if (typeof row.ov === 'number') {
    const e: StoredEntry = { ...decodeEntity(row, '{}') };
    pendingOverflow.set(e, row);
    return defer ? e : completeOverflow(table, vm, e, stats);
  }
  return decodeEntity(row, joinChunks([row]));
}

async function completeOverflow(
  table: TableClient,
  vm: string,
  e: StoredEntry,
  stats: { requests: number },
): Promise<StoredEntry> {
  const row = pendingOverflow.get(e);
  if (!row) return e;
  const pk = overflowPartition(vm, e.unit);
  const filter = `PartitionKey eq '${esc(pk)}' and RowKey ge '${esc(e.offset)}-' and RowKey lt '${esc(e.offset)}.'`;
  const parts: Row[] = [];
  stats.requests++;
  for await (const p of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
    parts.push(p);
  parts.sort((a, b) => Number(a.rowKey!.split('-').pop()) - Number(b.rowKey!.split('-').pop()));
  return decodeEntity(row, joinChunks(parts));
}

function matchesGrep(e: StoredEntry, grep: string | undefined): boolean {
  if (!grep) return true;
  if (pendingOverflow.has(e)) return true; // checked once completed (rare: only very large entries)
  const m = e.fields.MESSAGE;
  const first = Array.isArray(m) ? m[0] : m;
  if (typeof first !== 'string') return false;
  const text = e.binaryFields.includes('MESSAGE') ? Buffer.from(first, 'base64').toString('utf8') : first;
  return text.toLowerCase().includes(grep.toLowerCase());
}
