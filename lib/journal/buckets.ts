// Time buckets: one table per UTC day of __REALTIME_TIMESTAMP (`journal20250131`). Retention drops a
// whole table (one request, no per-entity deletes); a query only visits the days its time range
// covers and that exist. The list of existing bucket tables is cached briefly per app (Services state).
import type { TableClient } from '@azure/data-tables';

import type { Services } from '../services';

export const BUCKET_PREFIX = 'journal';
const DAY_USEC = 86_400_000_000;
const LIST_TTL_MS = 30_000;

/** `YYYYMMDD` (UTC) of a time in µs. */
export function bucketOf(usec: number): string {
  return new Date(Math.floor(usec / 1000)).toISOString().slice(0, 10).replaceAll('-', '');
}

export const bucketTable = (bucket: string) => `${BUCKET_PREFIX}${bucket}`;

/** First µs of a bucket day. */
export function bucketStart(bucket: string): number {
  return (
    Date.UTC(Number(bucket.slice(0, 4)), Number(bucket.slice(4, 6)) - 1, Number(bucket.slice(6, 8))) * 1000
  );
}

export const bucketEnd = (bucket: string) => bucketStart(bucket) + DAY_USEC - 1;

/** The oldest bucket still retained at `nowMs`, and the newest accepted (one day ahead, for clock skew). */
export function retainedRange(
  services: Services,
  nowMs = services.clock.now(),
  retentionDays = services.config.JOURNAL_RETENTION_DAYS,
) {
  const now = nowMs * 1000;
  return { oldest: bucketOf(now - retentionDays * DAY_USEC), newest: bucketOf(now + DAY_USEC) };
}

/** A client for reading one bucket table. Unlike a Services table it never creates the table (that is
 * a request of its own on every cold start); a query of a missing table is a 404. */
export const bucketReader = (services: Services, bucket: string): Promise<TableClient> =>
  services.tableReader(bucketTable(bucket));

const LISTED = Symbol('journal bucket list');
/** The bucket days as last listed (`at`), with the ones this app wrote since. */
interface Listed {
  at?: number;
  buckets?: Set<string>;
}
const listedOf = (services: Services): Listed => services.state(LISTED, (): Listed => ({}));

/** Existing bucket days, ascending (cached LIST_TTL_MS; buckets this app wrote are added at once).
 * `stats.requests` counts the listing's requests when it is not cached. */
export async function existingBuckets(
  services: Services,
  opts: { fresh?: boolean; stats?: { requests: number }; nowMs?: number } = {},
): Promise<string[]> {
  const nowMs = opts.nowMs ?? services.clock.now();
  const listed = listedOf(services);
  if (opts.fresh || !listed.buckets || nowMs - listed.at! > LIST_TTL_MS) {
    const svc = await services.tableService();
    const buckets = new Set<string>();
    const filter = `TableName ge '${BUCKET_PREFIX}0' and TableName le '${BUCKET_PREFIX}99999999'`;
    for await (const page of svc.listTables({ queryOptions: { filter } }).byPage()) {
      if (opts.stats) opts.stats.requests++;
      for (const t of page) {
        const m = /^journal(\d{8})$/.exec(t.name ?? '');
        if (m) buckets.add(m[1]!);
      }
    }
    listed.at = nowMs;
    listed.buckets = buckets;
  }
  return [...listed.buckets].sort();
}

export function noteBucket(services: Services, bucket: string): void {
  listedOf(services).buckets?.add(bucket);
}

export function forgetBucket(services: Services, bucket: string): void {
  listedOf(services).buckets?.delete(bucket);
}
