// journalctl-style reads. Each query reads only the partitions it needs: `vm|unit` per requested unit,
// else the whole-VM copy `vm|`, in the bucket tables its time range covers, newest first for `desc`.
// What to read is planned without I/O (query-plan.ts: range, days, partitions, filters); this module
// reads. Filters run in the service where Table queries can express them (time range via RowKey,
// priority `p le N`, boot `b eq id`); `grep` runs here on the complete message.
// Table queries return RowKeys ascending only, so `desc` walks the day tables newest first and stops as
// soon as it has enough; in each it reads a window just below the upper bound, sized from the density
// this app instance saw in its last read of that partition (≈ 1.5× the rows it needs), widening if that was
// too few. With nothing learned yet (a cold instance) it reads the day's first page of 1000: that is the
// whole answer for a unit with ≤ 1000 entries that day; for a busier one it then reads that day's index
// row of the unit (one point read) to place and size one window. So the common newest-N query is one
// request, cached or not (two across a day boundary; three for a busy unit on a cold instance).
import type { TableClient } from '@azure/data-tables';

import type { Services } from '../services';
import { bucketEnd, bucketReader, bucketStart, existingBuckets, retainedRange } from './buckets';
import { decodeEntity, decodeUnpacked, isPack, joinChunks, type StoredEntry, unpackRow } from './entity';
import { readBucketSummary } from './indexes';
import { offsetAtTime, offsetTime, overflowPartition, unitPartition, vmPartition } from './keys';
import {
  entryMatches,
  type JournalQuery,
  odataFilter,
  planQuery,
  type ReadPlan,
  type Row,
  rowMatches,
  slotStart,
} from './query-plan';
import { esc } from './table-store';

export type { JournalQuery } from './query-plan';

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

interface ReadStats {
  requests: number;
  scannedTo?: string;
}

export async function queryJournal(
  services: Services,
  vm: string,
  q: JournalQuery,
  nowMs = services.clock.now(),
): Promise<QueryResult> {
  const plan = planQuery(vm, q, retainedRange(services, nowMs).oldest);
  if (!plan) return { items: [], more: false, requests: 0 };
  const stats: ReadStats = { requests: 0 };
  const buckets = plan.buckets(await existingBuckets(services, { nowMs, stats }));

  const items: StoredEntry[] = [];
  for (const bucket of buckets) {
    const want = plan.limit - items.length;
    if (want <= 0) break;
    const reader = new BucketReader(services, plan, bucket, await bucketReader(services, bucket), stats);
    const perPartition = await Promise.all(
      plan.partitions.map((pk) =>
        plan.order === 'asc' ? readAsc(reader, pk, want) : readDesc(reader, pk, want, nowMs),
      ),
    );
    const merged = perPartition
      .flat()
      .sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    if (plan.order === 'desc') merged.reverse();
    items.push(...merged.slice(0, want));
  }
  const more = items.length >= plan.limit;
  return {
    items,
    more,
    requests: stats.requests,
    ...(plan.order === 'asc' && !more && stats.scannedTo ? { scannedTo: stats.scannedTo } : {}),
  };
}

const byOffset = (a: Row, b: Row) => (a.rowKey! < b.rowKey! ? -1 : a.rowKey! > b.rowKey! ? 1 : 0);
const isNotFound = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

/** The I/O of one query in one bucket table: pages of entry rows, and entries decoded once each. */
class BucketReader {
  private readonly decoded = new WeakMap<Row, Promise<StoredEntry>>();

  constructor(
    readonly services: Services,
    readonly plan: ReadPlan,
    readonly bucket: string,
    private readonly table: TableClient,
    readonly stats: ReadStats,
  ) {}

  /** Pages of one partition's entry rows in [lower, upper), ascending within a page, the plan's row
   * filters applied (by the service, or here on the VM view's unpacked packs). An offset seen before
   * in this listing (overlapping packs of a re-send) is dropped. A missing table reads empty. */
  async *pages(
    pk: string,
    lower: string,
    upper: string,
    pageSize: number,
  ): AsyncGenerator<{ rows: Row[]; raw: Row[]; more: boolean }> {
    const packed = pk === vmPartition(this.plan.vm);
    const filter = odataFilter(this.plan, pk, lower, upper, packed);
    const seen = new Set<string>();
    try {
      const pages = this.table
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: pageSize });
      for await (const page of pages) {
        this.stats.requests++;
        const rows = packed ? this.unpack(page, lower, upper, seen) : page;
        yield { rows, raw: page, more: !!page.continuationToken };
      }
    } catch (e) {
      if (!isNotFound(e)) throw e; // a table dropped since it was listed
    }
  }

  private unpack(page: Row[], lower: string, upper: string, seen: Set<string>): Row[] {
    const out: Row[] = [];
    for (const row of page)
      for (const r of isPack(row) ? unpackRow(row) : [row]) {
        const o = r.rowKey!;
        if ((lower && o < lower) || o >= upper || seen.has(o) || !rowMatches(this.plan, r)) continue;
        seen.add(o);
        out.push(r);
      }
    return out;
  }

  /** The complete entry of a row (its unit copy for a VM-view reference, its overflow rows read). */
  entry(row: Row): Promise<StoredEntry> {
    let e = this.decoded.get(row);
    if (!e) this.decoded.set(row, (e = this.decode(row)));
    return e;
  }

  /** Whether the row's entry passes the plan's entry filters (decoding it only if there are some). */
  async matches(row: Row): Promise<boolean> {
    return !this.plan.entryFiltered || entryMatches(this.plan, await this.entry(row));
  }

  private async decode(row: Row): Promise<StoredEntry> {
    if (row.ref) {
      // A VM-view entry too large to pack: its unit copy (written before the pack) has it.
      this.stats.requests++;
      const full = await this.table.getEntity<Record<string, unknown>>(
        unitPartition(this.plan.vm, row.u as string),
        row.rowKey!,
      );
      return this.decode(full);
    }
    const unpacked = decodeUnpacked(row);
    if (unpacked) return unpacked;
    if (typeof row.ov === 'number') return decodeEntity(row, joinChunks(await this.overflowRows(row)));
    return decodeEntity(row, joinChunks([row]));
  }

  private async overflowRows(row: Row): Promise<Row[]> {
    const pk = overflowPartition(this.plan.vm, row.u as string);
    const o = esc(row.rowKey!);
    const filter = `PartitionKey eq '${esc(pk)}' and RowKey ge '${o}-' and RowKey lt '${o}.'`;
    const parts: Row[] = [];
    this.stats.requests++;
    for await (const p of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      parts.push(p);
    return parts.sort((a, b) => Number(a.rowKey!.split('-').pop()) - Number(b.rowKey!.split('-').pop()));
  }
}

async function readAsc(reader: BucketReader, pk: string, want: number): Promise<StoredEntry[]> {
  const { plan, stats } = reader;
  const out: StoredEntry[] = [];
  const pageSize = Math.min(1000, plan.entryFiltered ? Math.max(want * 4, 100) : want);
  const packed = pk === vmPartition(plan.vm);
  let pending: Row[] = [];
  let safe = '';
  for await (const page of reader.pages(pk, plan.lo, plan.hi, pageSize)) {
    for (const row of page.raw)
      if (row.rowKey! < plan.hi && row.rowKey! > (stats.scannedTo ?? '')) stats.scannedTo = row.rowKey!;
    pending.push(...page.rows);
    // Packs overlap only within a slot: entries before the slot of the last pack read are final.
    const last = page.raw.at(-1)?.rowKey;
    if (!page.more) safe = '~';
    else if (last && packed) safe = offsetAtTime(slotStart(offsetTime(last)));
    else if (last) safe = last + '\u0000';
    pending.sort(byOffset);
    const ready = pending.filter((r) => r.rowKey! < safe);
    pending = pending.filter((r) => r.rowKey! >= safe);
    for (const row of ready) {
      if (await reader.matches(row)) out.push(await reader.entry(row));
      if (out.length >= want) return out;
    }
  }
  return out;
}

/** Per (bucket, partition), from this app's last unfiltered newest-first read of it: the newest row's
 * time and the mean spacing of the rows returned. Sizes the next window so that it is one request. */
type Hints = Map<string, { last: number; spacing: number }>;
const HINTS = Symbol('journal query hints');
const hintsOf = (services: Services): Hints => services.state(HINTS, () => new Map() as Hints);
const MAX_HINTS = 10_000;

/** Forget learned window sizes (a cold instance; tests and the benchmark). */
export function forgetQueryHints(services: Services): void {
  hintsOf(services).clear();
}

async function readDesc(
  reader: BucketReader,
  pk: string,
  want: number,
  nowMs: number,
): Promise<StoredEntry[]> {
  const { plan, bucket, stats } = reader;
  const dayStart = offsetAtTime(bucketStart(bucket));
  const dayEnd = offsetAtTime(bucketEnd(bucket) + 1);
  const floor = plan.lo > dayStart ? plan.lo : dayStart;
  const top = plan.hi < dayEnd ? plan.hi : dayEnd;
  const topUsec = offsetTime(top);
  const hints = hintsOf(reader.services);
  const key = `${bucket}/${pk}`;
  const hint = hints.get(key);
  // A filter keeps fewer of the partition's rows: wider windows.
  const thin = (plan.entryFiltered ? 4 : 1.5) * (plan.rowFiltered ? 4 : 1);
  let found: Row[] = []; // ascending, filters applied
  let anchor: number;
  let spacing: number;
  let done = false;
  if (hint) {
    spacing = hint.spacing * thin;
    anchor = Math.min(topUsec, hint.last + 1);
  } else {
    // Nothing known: one page over the whole day. A partition with ≤ 1000 matching rows that day (most
    // units) is answered by it; for a busier one the page's rows give the density for one sized window.
    const probe = await readRange(reader, pk, floor, top, true);
    if (!probe.more) {
      found = probe.rows;
      done = true;
    }
    // Cut short: this day's index row(s) say where the unit's newest entries are and how dense.
    const s = done ? undefined : await readBucketSummary(reader.services, plan.vm, bucket, plan.units, stats);
    const n = probe.scanned.length;
    const probeLast = n ? offsetTime(probe.scanned[n - 1]!.rowKey!) : 0;
    const density = s && s.count > 1 ? (s.last - s.first) / (s.count - 1) : undefined;
    const probeDensity = n > 1 ? (probeLast - offsetTime(probe.scanned[0]!.rowKey!)) / (n - 1) : 60_000_000;
    spacing = (density ?? probeDensity) * (plan.entryFiltered ? 4 : 1.5) * (s && plan.rowFiltered ? 4 : 1);
    anchor = Math.min(topUsec, s ? s.last + 1 : Math.max(nowMs * 1000, probeLast + 1));
  }
  let width = Math.max(1000, Math.ceil(spacing * want));
  let upper = top;
  while (!done) {
    let lower = offsetAtTime(anchor - width);
    if (lower < floor) lower = floor;
    // Newest window first; rows newer than the hint knows (written since) are included too.
    const window = await readRange(reader, pk, lower, upper, false);
    found = [...window.rows, ...found];
    if (found.length >= want || lower <= floor) break;
    upper = lower;
    width *= 8;
  }
  const newest = await Promise.all(
    found
      .slice(-want)
      .reverse()
      .map((row) => reader.entry(row)),
  );
  if (!plan.rowFiltered && !plan.entryFiltered && newest.length > 1) {
    const t0 = offsetTime(newest.at(-1)!.offset);
    const t1 = offsetTime(newest[0]!.offset);
    hints.delete(key);
    if (hints.size >= MAX_HINTS) hints.delete(hints.keys().next().value!);
    hints.set(key, { last: t1, spacing: Math.max(1, (t1 - t0) / (newest.length - 1)) });
  }
  return newest;
}

/** Rows of [lower, upper) in one partition, ascending, every filter applied (only the first page with
 * `firstPageOnly`: `more` says whether it was cut short); `scanned`: the rows before entry filters. */
async function readRange(
  reader: BucketReader,
  pk: string,
  lower: string,
  upper: string,
  firstPageOnly: boolean,
): Promise<{ rows: Row[]; scanned: Row[]; more: boolean }> {
  let scanned: Row[] = [];
  let more = false;
  for await (const page of reader.pages(pk, lower, upper, 1000)) {
    scanned.push(...page.rows);
    if (firstPageOnly) {
      more = page.more;
      break;
    }
  }
  if (pk === vmPartition(reader.plan.vm)) scanned = scanned.sort(byOffset); // packs of requests interleave
  if (!reader.plan.entryFiltered) return { rows: scanned, scanned, more };
  const rows: Row[] = [];
  for (const row of scanned) if (await reader.matches(row)) rows.push(row);
  return { rows, scanned, more };
}
