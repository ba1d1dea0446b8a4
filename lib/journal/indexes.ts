// Per-VM unit and boot indexes, kept per bucket table in the partition `vm||i` so that retention drops
// them with the entries they describe. Rows: `u|<unit>` and `b|<boot id>` with {name, count, first, last}.
// An ingest request updates all its rows of one bucket in one entity-group transaction, with ETags
// remembered from the previous update (no read in the steady state; a 412/409 reloads and retries).
// Retry-safe: every record a request wrote (new or already stored) is folded in: first/last are a
// min/max, and a row that does not exist yet counts all of the request's entries (none of them was
// counted: its row would exist), an existing row only the new ones; an update that changes nothing is
// not written. So a request retried after a try that died between the entry write and this update
// creates the missing unit and boot rows; only an existing row's count stays short by that batch.
import type { TableClient, TransactionAction } from '@azure/data-tables';

import type { Services } from '../services';
import { bucketReader, bucketTable, existingBuckets, retainedRange } from './buckets';
import type { JournalRecord } from './entry';
import { escapeKeyPart, indexPartition } from './keys';
import {
  type HourCounts,
  mergeHourCounts,
  parseStatsProperties,
  statsDeltas,
  statsProperties,
} from './stats';
import { esc } from './table-store';

interface IndexRow {
  kind: 'u' | 'b' | 's';
  name: string;
  count: number;
  first: number;
  last: number;
  etag?: string;
  /** Volume counters of an hour row `s|HH` (lib/journal/stats.ts). */
  stats?: HourCounts;
}

/** The app's index state (Services state): rows as last written or read per bucket and VM (with
 * ETags), the lock that serializes updates of one VM and bucket, and whole-VM reads cached briefly. */
interface IndexState {
  rows: Map<string, Map<string, IndexRow>>;
  locks: Map<string, Promise<unknown>>;
  reads: Map<string, { at: number; index: Promise<VmIndex> }>;
}
const INDEXES = Symbol('journal indexes');
const stateOf = (services: Services): IndexState =>
  services.state(INDEXES, () => ({ rows: new Map(), locks: new Map(), reads: new Map() }));

/** Entries per index cache (VMs × days): the oldest inserted goes first, so memory stays bounded. */
export const MAX_CACHED_INDEXES = 1000;

function cacheSet<K, V>(map: Map<K, V>, key: K, value: V): V {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_CACHED_INDEXES) map.delete(map.keys().next().value!);
  return value;
}

const rowKeyOf = (kind: 'u' | 'b', name: string) => `${kind}|${escapeKeyPart(name)}`;

/** Folds the records a request wrote to one bucket (`fresh`: the newly stored ones) into its index rows.
 * Returns the transactions issued. Updates of one VM and bucket are serialized within a process;
 * across instances ETags arbitrate. */
export function updateIndexes(
  services: Services,
  vm: string,
  bucket: string,
  records: JournalRecord[],
  fresh: ReadonlySet<JournalRecord> = new Set(records),
): Promise<number> {
  if (records.length === 0) return Promise.resolve(0);
  const { locks } = stateOf(services);
  const key = `${bucket}/${vm}`;
  const run = (locks.get(key) ?? Promise.resolve()).then(() =>
    updateIndexesNow(services, vm, bucket, records, fresh),
  );
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  void tail.then(() => locks.get(key) === tail && locks.delete(key));
  return run;
}

function isWriteConflict(e: unknown): boolean {
  const err = e as { statusCode?: number; message?: string };
  return (
    err.statusCode === 409 ||
    err.statusCode === 412 ||
    err.statusCode === 404 || // rows deleted with their VM (forget.ts) while this process cached them
    /condition specified in the request was not satisfied|already exists/i.test(err.message ?? '')
  );
}

async function updateIndexesNow(
  services: Services,
  vm: string,
  bucket: string,
  records: JournalRecord[],
  fresh: ReadonlySet<JournalRecord>,
): Promise<number> {
  // count: the new entries; all: every entry of the request (the count of a row created now).
  const deltas = new Map<string, IndexRow & { all: number }>();
  const fold = (kind: 'u' | 'b', name: string, t: number, isNew: number) => {
    const rk = rowKeyOf(kind, name);
    const d = deltas.get(rk);
    if (d) {
      d.count += isNew;
      d.all++;
      d.first = Math.min(d.first, t);
      d.last = Math.max(d.last, t);
    } else deltas.set(rk, { kind, name, count: isNew, all: 1, first: t, last: t });
  };
  for (const r of records) {
    const isNew = fresh.has(r) ? 1 : 0;
    fold('u', r.unit, r.realtimeUsec, isNew);
    fold('b', r.bootId, r.realtimeUsec, isNew);
  }
  // Journal stats: hour rows of volume counters ride in the same transactions (lib/journal/stats.ts).
  // They count newly stored entries only, so a re-sent request is not counted twice.
  for (const [rk, d] of statsDeltas(records.filter((r) => fresh.has(r))))
    deltas.set(rk, { ...d, all: d.count });
  const table = await services.table(bucketTable(bucket));
  const { rows: cache, reads } = stateOf(services);
  const pk = indexPartition(vm);
  const key = `${bucket}/${pk}`;
  const entries = [...deltas.entries()];
  let transactions = 0;
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    for (let attempt = 0; ; attempt++) {
      let rows = cache.get(key);
      if (!rows) rows = cacheSet(cache, key, await loadRows(table, pk));
      const next = new Map<string, IndexRow>();
      const changed = chunk.filter(([rk, d]) => {
        const old = rows.get(rk);
        return !old || d.count > 0 || d.first < old.first || d.last > old.last;
      });
      if (changed.length === 0) break;
      const actions: TransactionAction[] = changed.map(([rk, d]) => {
        const old = rows.get(rk);
        const row: IndexRow = old
          ? {
              ...old,
              count: old.count + d.count,
              first: Math.min(old.first, d.first),
              last: Math.max(old.last, d.last),
              ...(d.stats ? { stats: mergeHourCounts(old.stats, d.stats) } : {}),
            }
          : {
              kind: d.kind,
              name: d.name,
              count: d.all,
              first: d.first,
              last: d.last,
              ...(d.stats ? { stats: d.stats } : {}),
            };
        next.set(rk, row);
        const entity = {
          partitionKey: pk,
          rowKey: rk,
          n: row.name,
          count: row.count,
          first: row.first,
          last: row.last,
          ...(row.stats ? statsProperties(row.stats) : {}),
        };
        return old?.etag ? ['update', entity, 'Replace', { etag: old.etag }] : ['create', entity];
      });
      transactions++;
      try {
        const res = await table.submitTransaction(actions);
        res.subResponses.forEach((s, j) => {
          const rk = changed[j]![0];
          rows.set(rk, { ...next.get(rk)!, ...(s.etag ? { etag: s.etag } : {}) });
        });
        if (res.subResponses.some((s) => !s.etag)) cache.delete(key);
        break;
      } catch (e) {
        if (!isWriteConflict(e) || attempt >= 8) throw e;
        cache.delete(key);
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
      }
    }
  }
  // This instance's own reads see its writes at once; other instances within READ_TTL_MS.
  reads.delete(vm);
  return transactions;
}

/** The units the index of one VM and bucket lists (as this process last saw it; loaded if not cached). */
export async function indexedUnits(services: Services, vm: string, bucket: string): Promise<Set<string>> {
  const cache = stateOf(services).rows;
  const pk = indexPartition(vm);
  const key = `${bucket}/${pk}`;
  let rows = cache.get(key);
  if (!rows) cacheSet(cache, key, (rows = await loadRows(await services.table(bucketTable(bucket)), pk)));
  const units = new Set<string>();
  for (const r of rows.values()) if (r.kind === 'u') units.add(r.name);
  return units;
}

async function loadRows(table: TableClient, pk: string): Promise<Map<string, IndexRow>> {
  const rows = new Map<string, IndexRow>();
  const iter = table.listEntities<Record<string, unknown>>({
    queryOptions: { filter: `PartitionKey eq '${esc(pk)}'` },
  });
  for await (const e of iter) {
    const rk = e.rowKey!;
    const stats = rk.startsWith('s|') ? parseStatsProperties(e) : undefined;
    rows.set(rk, {
      kind: rk.startsWith('u|') ? 'u' : rk.startsWith('s|') ? 's' : 'b',
      name: e.n as string,
      count: Number(e.count),
      first: Number(e.first),
      last: Number(e.last),
      etag: e.etag,
      ...(stats ? { stats } : {}),
    });
  }
  return rows;
}

export interface UnitSummary {
  unit: string;
  count: number;
  firstUsec: number;
  lastUsec: number;
}
export interface BootSummary {
  bootId: string;
  count: number;
  firstUsec: number;
  lastUsec: number;
}
export interface VmIndex {
  units: UnitSummary[];
  boots: BootSummary[];
  /** Per bucket, for query planning: units present in that bucket. */
  buckets: Map<string, Map<string, { count: number; first: number; last: number }>>;
}

const READ_TTL_MS = 2_000;

/** The VM's index over every retained bucket (one query per bucket, in parallel; cached 2 s). */
export function readIndex(services: Services, vm: string, nowMs = services.clock.now()): Promise<VmIndex> {
  const { reads } = stateOf(services);
  const hit = reads.get(vm);
  if (hit && nowMs - hit.at < READ_TTL_MS) return hit.index;
  const index = loadIndex(services, vm, nowMs);
  cacheSet(reads, vm, { at: nowMs, index });
  index.catch(() => reads.delete(vm));
  return index;
}

async function loadIndex(services: Services, vm: string, nowMs: number): Promise<VmIndex> {
  const { oldest } = retainedRange(services, nowMs);
  const buckets = (await existingBuckets(services, { nowMs })).filter((b) => b >= oldest);
  const pk = indexPartition(vm);
  const perBucket = await Promise.all(
    buckets.map(async (b) => [b, await loadRows(await services.table(bucketTable(b)), pk)] as const),
  );
  const units = new Map<string, UnitSummary>();
  const boots = new Map<string, BootSummary>();
  const byBucket: VmIndex['buckets'] = new Map();
  for (const [bucket, rows] of perBucket) {
    const inBucket = new Map<string, { count: number; first: number; last: number }>();
    for (const r of rows.values()) {
      if (r.kind === 's') continue; // journal stats rows
      if (r.kind === 'u') inBucket.set(r.name, { count: r.count, first: r.first, last: r.last });
      const map = r.kind === 'u' ? units : boots;
      const old = map.get(r.name);
      const merged = {
        count: (old?.count ?? 0) + r.count,
        firstUsec: Math.min(old?.firstUsec ?? Infinity, r.first),
        lastUsec: Math.max(old?.lastUsec ?? 0, r.last),
      };
      if (r.kind === 'u') units.set(r.name, { unit: r.name, ...merged });
      else boots.set(r.name, { bootId: r.name, ...merged });
    }
    if (inBucket.size) byBucket.set(bucket, inBucket);
  }
  return {
    units: [...units.values()].sort((a, b) => a.unit.localeCompare(b.unit)),
    boots: [...boots.values()].sort((a, b) => a.firstUsec - b.firstUsec),
    buckets: byBucket,
  };
}

/** One bucket's index summary of some units (all of the VM's without `units`): entry count and time
 * range, for sizing a query window. One point read per unit (one partition query for the whole VM);
 * undefined if the bucket has no index rows for them. */
export async function readBucketSummary(
  services: Services,
  vm: string,
  bucket: string,
  units: string[] | undefined,
  stats: { requests: number },
): Promise<{ count: number; first: number; last: number } | undefined> {
  const table = await bucketReader(services, bucket);
  const pk = indexPartition(vm);
  const rows: Record<string, unknown>[] = [];
  try {
    if (units?.length) {
      await Promise.all(
        units.map(async (u) => {
          stats.requests++;
          try {
            rows.push(await table.getEntity<Record<string, unknown>>(pk, rowKeyOf('u', u)));
          } catch (e) {
            if ((e as { statusCode?: number }).statusCode !== 404) throw e;
          }
        }),
      );
    } else {
      const filter = `PartitionKey eq '${esc(pk)}' and RowKey ge 'u|' and RowKey lt 'u}'`;
      for await (const page of table
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage()) {
        stats.requests++;
        rows.push(...page);
      }
    }
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
  }
  if (rows.length === 0) return undefined;
  return {
    count: rows.reduce((n, r) => n + Number(r.count), 0),
    first: Math.min(...rows.map((r) => Number(r.first))),
    last: Math.max(...rows.map((r) => Number(r.last))),
  };
}

/** Invalidate cached reads after a write in this app (so a query right after ingest sees it). */
export function invalidateIndexRead(services: Services, vm: string): void {
  stateOf(services).reads.delete(vm);
}

/** Drops this app's cached index rows and reads of a VM (its journal was deleted). */
export function forgetIndexes(services: Services, vm: string): void {
  const { rows, reads } = stateOf(services);
  const pk = indexPartition(vm);
  for (const key of rows.keys()) if (key.endsWith(`/${pk}`)) rows.delete(key);
  reads.delete(vm);
}

/** Entries in the index caches (tests check they stay bounded). */
export function cachedIndexCount(services: Services): { rows: number; reads: number } {
  const { rows, reads } = stateOf(services);
  return { rows: rows.size, reads: reads.size };
}
