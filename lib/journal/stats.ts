// Journal volume counters for charts (GET /api/vms/{name}/journal/stats), written at ingest in the same
// entity-group transactions as the unit and boot indexes (lib/journal/indexes.ts), so a chart never
// scans entries. One row per UTC hour in the VM's index partition of the day's bucket table:
// RowKey `s|HH`, with `p` = JSON {priority: {minute: count}} and `u` = JSON {unit: {minute: count}}.
// At most STATS_MAX_UNITS named units per hour row; entries of further units count under `(other)`
// (keeps a row well below Table Storage's 64 KiB string property limit).
// A 24 h range spans at most two day tables: one partition query each, ≤ 2 storage requests.
import { validationFailed } from '../errors';
import { rejectUnknownQuery } from '../http/query';
import type { Services } from '../services';
import { bucketEnd, bucketOf, bucketReader, bucketStart } from './buckets';
import type { JournalRecord } from './entry';
import { indexPartition } from './keys';
import { parseTime } from './params';
import { esc } from './table-store';

export const STATS_MAX_UNITS = 24;
export const OTHER_UNIT = '(other)';
/** Entries without a PRIORITY field count under this key. */
export const NO_PRIORITY = '-';

type Minutes = Record<string, number>;
/** One hour's counters: per priority and per unit, each by minute of the hour ("0".."59"). */
export interface HourCounts {
  p: Record<string, Minutes>;
  u: Record<string, Minutes>;
}

export interface StatsDelta {
  kind: 's';
  name: string;
  count: number;
  first: number;
  last: number;
  stats: HourCounts;
}

const HOUR_USEC = 3_600_000_000;
const MINUTE_USEC = 60_000_000;

export const statsRowKey = (hour: number) => `s|${String(hour).padStart(2, '0')}`;

const bump = (m: Record<string, Minutes>, key: string, minute: string, n = 1) => {
  const row = (m[key] ??= {});
  row[minute] = (row[minute] ?? 0) + n;
};

/** The hour rows (by RowKey) that one bucket's newly stored records add. */
export function statsDeltas(records: JournalRecord[]): Map<string, StatsDelta> {
  const out = new Map<string, StatsDelta>();
  for (const r of records) {
    const hour = Math.floor((r.realtimeUsec % 86_400_000_000) / HOUR_USEC);
    const minute = String(Math.floor((r.realtimeUsec % HOUR_USEC) / MINUTE_USEC));
    const rk = statsRowKey(hour);
    let d = out.get(rk);
    if (!d) {
      d = {
        kind: 's',
        name: rk.slice(2),
        count: 0,
        first: r.realtimeUsec,
        last: r.realtimeUsec,
        stats: { p: {}, u: {} },
      };
      out.set(rk, d);
    }
    d.count++;
    d.first = Math.min(d.first, r.realtimeUsec);
    d.last = Math.max(d.last, r.realtimeUsec);
    bump(d.stats.p, r.priority === undefined ? NO_PRIORITY : String(r.priority), minute);
    bump(d.stats.u, r.unit, minute);
  }
  // A new row is written as is: cap its units here too.
  for (const d of out.values()) d.stats = mergeHourCounts(undefined, d.stats);
  return out;
}

/** Old + delta, capping named units at STATS_MAX_UNITS (the rest under OTHER_UNIT). */
export function mergeHourCounts(old: HourCounts | undefined, delta: HourCounts): HourCounts {
  const merged: HourCounts = {
    p: structuredClone(old?.p ?? {}),
    u: structuredClone(old?.u ?? {}),
  };
  for (const [k, mins] of Object.entries(delta.p))
    for (const [m, n] of Object.entries(mins)) bump(merged.p, k, m, n);
  for (const [unit, mins] of Object.entries(delta.u)) {
    const named = Object.keys(merged.u).filter((u) => u !== OTHER_UNIT).length;
    const key = unit in merged.u || named < STATS_MAX_UNITS ? unit : OTHER_UNIT;
    for (const [m, n] of Object.entries(mins)) bump(merged.u, key, m, n);
  }
  return merged;
}

/** The entity properties of an hour row. */
export const statsProperties = (c: HourCounts) => ({ p: JSON.stringify(c.p), u: JSON.stringify(c.u) });

/** An hour row's counters from its entity (undefined for other rows). */
export function parseStatsProperties(e: Record<string, unknown>): HourCounts | undefined {
  if (typeof e.p !== 'string' || typeof e.u !== 'string') return undefined;
  return { p: JSON.parse(e.p) as HourCounts['p'], u: JSON.parse(e.u) as HourCounts['u'] };
}

export type StatsBucket = '1m' | '1h';
export type StatsBy = 'priority' | 'unit';

export interface StatsQuery {
  sinceUsec: number;
  untilUsec: number;
  bucket: StatsBucket;
  by: StatsBy;
}

/** Longest range per bucket size (1440 one-minute or 744 one-hour points). */
export const STATS_MAX_RANGE_USEC: Record<StatsBucket, number> = {
  '1m': 24 * HOUR_USEC,
  '1h': 31 * 24 * HOUR_USEC,
};

/** Query parameters of GET /api/vms/{name}/journal/stats (every bad one named). */
export function parseStatsQuery(params: URLSearchParams, nowMs = Date.now()): StatsQuery {
  rejectUnknownQuery(params, ['since', 'until', 'bucket', 'by']);
  const errors: { field: string; message: string }[] = [];
  const one = (name: string) => {
    const all = params.getAll(name);
    if (all.length > 1) errors.push({ field: `query.${name}`, message: 'give it once' });
    return all[0];
  };
  const time = (name: string, fallback: string) => {
    const t = parseTime(one(name) ?? fallback, nowMs);
    if (t === undefined)
      errors.push({
        field: `query.${name}`,
        message:
          'must be ISO 8601 (2024-05-01T12:00:00Z), now, today, yesterday or relative (-15m, -2h, -1d)',
      });
    return t ?? 0;
  };
  const sinceUsec = time('since', '-1h');
  const untilUsec = time('until', 'now');
  const bucket = one('bucket') ?? '1m';
  if (bucket !== '1m' && bucket !== '1h') errors.push({ field: 'query.bucket', message: 'must be 1m or 1h' });
  const by = one('by') ?? 'priority';
  if (by !== 'priority' && by !== 'unit')
    errors.push({ field: 'query.by', message: 'must be priority or unit' });
  if (errors.length === 0 && untilUsec <= sinceUsec)
    errors.push({ field: 'query.until', message: 'must be after since' });
  const max = STATS_MAX_RANGE_USEC[bucket as StatsBucket];
  if (errors.length === 0 && untilUsec - sinceUsec > max)
    errors.push({
      field: 'query.since',
      message: `the range may span at most ${bucket === '1m' ? '24 hours with bucket=1m' : '31 days with bucket=1h'}`,
    });
  if (errors.length > 0) throw validationFailed(errors);
  return { sinceUsec, untilUsec, bucket: bucket as StatsBucket, by: by as StatsBy };
}

export interface StatsSeries {
  key: string;
  total: number;
  counts: number[];
}
export interface JournalStats {
  bucket: StatsBucket;
  by: StatsBy;
  since: string;
  until: string;
  /** Start of each bucket (ISO 8601), oldest first. */
  times: string[];
  /** One series per priority (0–7, `-` = none) or unit, largest total first. */
  series: StatsSeries[];
  total: number;
}

/** Counts per bucket over [since, until], from the hour rows only. `stats.requests` counts storage
 * requests (one partition-range query per day table the range touches). */
export async function readStats(
  services: Services,
  vm: string,
  q: StatsQuery,
  stats: { requests: number } = { requests: 0 },
): Promise<JournalStats> {
  const step = q.bucket === '1m' ? MINUTE_USEC : HOUR_USEC;
  const start = Math.floor(q.sinceUsec / step) * step;
  const n = Math.floor(q.untilUsec / step) - start / step + 1;
  const series = new Map<string, number[]>();
  const add = (key: string, usec: number, count: number) => {
    if (usec < start || usec > q.untilUsec) return;
    const i = Math.floor((usec - start) / step);
    if (i < 0 || i >= n) return;
    let s = series.get(key);
    if (!s) series.set(key, (s = new Array<number>(n).fill(0)));
    s[i]! += count;
  };
  const days: string[] = [];
  for (let d = bucketOf(q.sinceUsec); d <= bucketOf(q.untilUsec); d = bucketOf(bucketEnd(d) + 1))
    days.push(d);
  const pk = indexPartition(vm);
  await Promise.all(
    days.map(async (day) => {
      const dayStart = bucketStart(day);
      const h0 = Math.max(0, Math.floor((q.sinceUsec - dayStart) / HOUR_USEC));
      const h1 = Math.min(23, Math.floor((q.untilUsec - dayStart) / HOUR_USEC));
      const filter = `PartitionKey eq '${esc(pk)}' and RowKey ge '${statsRowKey(h0)}' and RowKey le '${statsRowKey(h1)}'`;
      const table = await bucketReader(services, day);
      try {
        for await (const page of table
          .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
          .byPage()) {
          stats.requests++;
          for (const e of page) {
            const counts = parseStatsProperties(e);
            if (!counts) continue;
            const hourStart = dayStart + Number(e.rowKey!.slice(2)) * HOUR_USEC;
            const groups = q.by === 'priority' ? counts.p : counts.u;
            for (const [key, mins] of Object.entries(groups))
              for (const [m, c] of Object.entries(mins)) add(key, hourStart + Number(m) * MINUTE_USEC, c);
          }
        }
      } catch (e) {
        stats.requests++;
        if ((e as { statusCode?: number }).statusCode !== 404) throw e; // a day with no table: no entries
      }
    }),
  );
  const out = [...series.entries()]
    .map(([key, counts]) => ({ key, total: counts.reduce((a, b) => a + b, 0), counts }))
    .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  return {
    bucket: q.bucket,
    by: q.by,
    since: new Date(Math.floor(q.sinceUsec / 1000)).toISOString(),
    until: new Date(Math.floor(q.untilUsec / 1000)).toISOString(),
    times: Array.from({ length: n }, (_, i) => new Date((start + i * step) / 1000).toISOString()),
    series: out,
    total: out.reduce((a, s) => a + s.total, 0),
  };
}
