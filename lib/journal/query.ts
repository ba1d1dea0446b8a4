// journalctl-style reads. Each query reads only the partitions it needs: `vm|unit` per requested unit,
// else the whole-VM copy `vm|`, in the bucket tables its time range covers, newest first for `desc`.
// Filters run in the service where Table queries can express them (time range via RowKey, priority
// `p le N`, boot `b eq id`); `grep` runs here on the message.
// Table queries return RowKeys ascending only, so `desc` reads a window just below the upper bound
// sized from the index's entry density (≈ 1.5× the rows it needs), widening if that was too few.
import type { TableClient, TableEntityResult } from '@azure/data-tables';

import { tableClient } from '../storage';
import { bucketEnd, bucketOf, bucketStart, bucketTable, existingBuckets, retainedRange } from './buckets';
import { decodeEntity, joinChunks, type StoredEntry } from './entity';
import { readIndex } from './indexes';
import { offsetAtTime, overflowPartition, unitPartition, vmPartition } from './keys';
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
}

type Row = TableEntityResult<Record<string, unknown>>;

export async function queryJournal(vm: string, q: JournalQuery, nowMs = Date.now()): Promise<QueryResult> {
  const stats = { requests: 0 };
  // Bounds as RowKeys: lo inclusive, hi exclusive ('~' sorts after every offset).
  let lo = q.sinceUsec !== undefined ? offsetAtTime(q.sinceUsec) : '';
  if (q.after && q.after + '\u0000' > lo) lo = q.after + '\u0000';
  let hi = q.untilUsec !== undefined ? offsetAtTime(q.untilUsec + 1) : '~';
  if (q.before && q.before < hi) hi = q.before;
  if (lo >= hi) return { items: [], more: false, requests: 0 };

  const { oldest } = retainedRange(nowMs);
  const firstBucket = lo ? bucketOf(Number(lo.slice(0, 16))) : oldest;
  const lastBucket = hi === '~' ? '99999999' : bucketOf(Number(hi.slice(0, 16)));
  let buckets = (await existingBuckets(nowMs)).filter(
    (b) => b >= oldest && b >= firstBucket && b <= lastBucket,
  );
  if (q.order === 'desc') buckets = buckets.reverse();
  const partitions = q.units?.length ? q.units.map((u) => unitPartition(vm, u)) : [vmPartition(vm)];

  const items: StoredEntry[] = [];
  for (const bucket of buckets) {
    const remaining = q.limit - items.length;
    if (remaining <= 0) break;
    const table = await tableClient(bucketTable(bucket));
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
  return { items, more: items.length >= q.limit, requests: stats.requests };
}

function serverFilter(pk: string, lo: string, hi: string, q: JournalQuery): string {
  let f = `PartitionKey eq '${esc(pk)}'`;
  if (lo) f += ` and RowKey ge '${esc(lo)}'`;
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
  stats: { requests: number },
): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  const pageSize = Math.min(1000, q.grep ? Math.max(want * 4, 100) : want);
  const pages = table
    .listEntities<Record<string, unknown>>({ queryOptions: { filter: serverFilter(pk, lo, hi, q) } })
    .byPage({ maxPageSize: pageSize });
  for await (const page of pages) {
    stats.requests++;
    for (const row of page) {
      const e = await decodeRow(table, vm, row, stats);
      if (matchesGrep(e, q.grep)) out.push(e);
      if (out.length >= want) return out;
    }
  }
  return out;
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
  // Window size from the index: the unit's (or VM's) newest time and mean spacing in this bucket.
  const index = await readIndex(vm, nowMs);
  const inBucket = index.buckets.get(bucket);
  const units = q.units?.length ? q.units : [...(inBucket?.keys() ?? [])];
  let count = 0;
  let first = Infinity;
  let last = 0;
  for (const u of units) {
    const s = inBucket?.get(u);
    if (!s) continue;
    count += s.count;
    first = Math.min(first, s.first);
    last = Math.max(last, s.last);
  }
  const topUsec = Math.min(Number(top.slice(0, 16)), last > 0 ? last + 1 : Infinity);
  const spacing = count > 1 ? (last - first) / (count - 1) : 60_000_000;
  const factor = (q.grep ? 4 : 1.5) * (q.priority !== undefined || q.bootId ? 4 : 1);
  let width = Math.max(1000, Math.ceil(spacing * want * factor));
  let upper = top;
  const found: StoredEntry[] = [];
  for (;;) {
    const from = Math.max(0, (Number.isFinite(topUsec) ? topUsec : Number(top.slice(0, 16))) - width);
    let lower = offsetAtTime(from);
    if (lower < floor) lower = floor;
    // Newest window first; rows newer than the index knows (written since) are included too.
    const windowRows: StoredEntry[] = [];
    const pages = table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: serverFilter(pk, lower, upper, q) } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      stats.requests++;
      for (const row of page) windowRows.push(await decodeRow(table, vm, row, stats, true));
    }
    const matched = windowRows.filter((e) => matchesGrep(e, q.grep));
    found.unshift(...matched);
    if (found.length >= want || lower <= floor) break;
    upper = lower;
    width *= 8;
  }
  const newest = found.slice(-want).reverse();
  // Overflow rows are fetched only for the entries returned.
  return Promise.all(newest.map((e) => completeOverflow(table, vm, e, stats)));
}

const pendingOverflow = new WeakMap<StoredEntry, Row>();

async function decodeRow(
  table: TableClient,
  vm: string,
  row: Row,
  stats: { requests: number },
  defer = false,
): Promise<StoredEntry> {
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
