// What a journal query reads, decided without I/O: the RowKey range, the bucket days it covers, the
// partitions, and the filters. query.ts does the reading. A filter is declared once here (FILTERS),
// with the three places it can apply: in the service as an OData clause (unit partitions), on a row the
// service could not filter (the VM view's packs are unpacked here), and on a decoded entry (what only
// the entry's fields can answer).
import type { TableEntityResult } from '@azure/data-tables';

import { bucketOf } from './buckets';
import { PACK_SLOT_USEC, type StoredEntry } from './entity';
import { offsetAtTime, offsetTime, unitPartition, vmPartition } from './keys';
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

export type Row = TableEntityResult<Record<string, unknown>>;

/** One filter of a query. `odata` and `row` are the same test (in the service; here on an unpacked row);
 * a filter with `entry` only is applied to decoded entries. */
export interface Filter {
  odata?: string;
  row?: (r: Row) => boolean;
  entry?: (e: StoredEntry) => boolean;
}

/** The query's filters (the time range is the plan's RowKey range, not a filter). */
const FILTERS: ((q: JournalQuery) => Filter | undefined)[] = [
  ({ priority: p }) =>
    p === undefined ? undefined : { odata: `p le ${p}`, row: (r) => typeof r.p === 'number' && r.p <= p },
  ({ bootId: b }) => (b ? { odata: `b eq '${esc(b)}'`, row: (r) => r.b === b } : undefined),
  ({ grep }) => {
    if (!grep) return undefined;
    const needle = grep.toLowerCase();
    return { entry: (e) => messageText(e)?.toLowerCase().includes(needle) ?? false };
  },
];

/** The MESSAGE field as text (its first value; binary ones decoded as UTF-8). */
function messageText(e: StoredEntry): string | undefined {
  const m = e.fields.MESSAGE;
  const first = Array.isArray(m) ? m[0] : m;
  if (typeof first !== 'string') return undefined;
  return e.binaryFields.includes('MESSAGE') ? Buffer.from(first, 'base64').toString('utf8') : first;
}

export interface ReadPlan {
  vm: string;
  order: 'asc' | 'desc';
  limit: number;
  /** RowKey bounds: lo inclusive ('' = open), hi exclusive ('~' sorts after every offset). */
  lo: string;
  hi: string;
  /** Bucket days that may hold the range, in reading order (of those `existing`). */
  buckets: (existing: string[]) => string[];
  /** The requested units (none: the whole VM). */
  units?: string[];
  /** `vm|unit` per requested unit, else the whole-VM view `vm|`. */
  partitions: string[];
  filters: Filter[];
  /** Some filter drops rows in the service (fewer rows per window than the partition's density). */
  rowFiltered: boolean;
  /** Some filter needs the decoded entry. */
  entryFiltered: boolean;
}

/** The plan of a query, or undefined when its range is empty. `oldest`: the oldest retained bucket. */
export function planQuery(vm: string, q: JournalQuery, oldest: string): ReadPlan | undefined {
  let lo = q.sinceUsec !== undefined ? offsetAtTime(q.sinceUsec) : '';
  if (q.after && q.after + '\u0000' > lo) lo = q.after + '\u0000';
  let hi = q.untilUsec !== undefined ? offsetAtTime(q.untilUsec + 1) : '~';
  if (q.before && q.before < hi) hi = q.before;
  if (lo >= hi) return undefined;
  const first = lo ? bucketOf(Number(lo.slice(0, 16))) : oldest;
  const last = hi === '~' ? '99999999' : bucketOf(Number(hi.slice(0, 16)));
  const filters = FILTERS.map((f) => f(q)).filter((f) => f !== undefined);
  return {
    vm,
    order: q.order,
    limit: q.limit,
    lo,
    hi,
    buckets: (existing) => {
      const days = existing.filter((b) => b >= oldest && b >= first && b <= last);
      return q.order === 'desc' ? days.reverse() : days;
    },
    ...(q.units?.length ? { units: q.units } : {}),
    partitions: q.units?.length ? q.units.map((u) => unitPartition(vm, u)) : [vmPartition(vm)],
    filters,
    rowFiltered: filters.some((f) => f.row),
    entryFiltered: filters.some((f) => f.entry),
  };
}

export const slotStart = (usec: number) => Math.floor(usec / PACK_SLOT_USEC) * PACK_SLOT_USEC;

/** The service-side filter of rows of one partition in [lower, upper). The VM view's packs are
 * filtered here instead (`packed`, see rowMatches): the service sees only the pack, whose RowKey is its
 * last offset, and a pack stays within one slot, so the read goes to the end of `upper`'s slot. */
export function odataFilter(
  plan: ReadPlan,
  pk: string,
  lower: string,
  upper: string,
  packed: boolean,
): string {
  let f = `PartitionKey eq '${esc(pk)}'`;
  if (lower) f += ` and RowKey ge '${esc(lower)}'`;
  if (packed) {
    if (upper !== '~') f += ` and RowKey lt '${offsetAtTime(slotStart(offsetTime(upper)) + PACK_SLOT_USEC)}'`;
    return f;
  }
  f += ` and RowKey lt '${esc(upper)}'`;
  for (const { odata } of plan.filters) if (odata) f += ` and ${odata}`;
  return f;
}

/** The row filters, for the VM view's unpacked rows. */
export const rowMatches = (plan: ReadPlan, r: Row): boolean => plan.filters.every((f) => !f.row || f.row(r));

/** The entry filters. */
export const entryMatches = (plan: ReadPlan, e: StoredEntry): boolean =>
  plan.filters.every((f) => !f.entry || f.entry(e));
