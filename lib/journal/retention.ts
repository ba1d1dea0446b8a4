// Retention: a bucket table whose whole day is older than JOURNAL_RETENTION_DAYS is dropped in one
// request (entries and their index rows together). Measured alternative, per-entity deletes, costs
// one transaction per 100 entries per copy; a table drop is O(1) whatever the volume.
import type { Services } from '../services';
import { bucketTable, existingBuckets, forgetBucket, retainedRange } from './buckets';

export async function dropExpiredBuckets(
  services: Services,
  nowMs = services.clock.now(),
  retentionDays?: number,
): Promise<string[]> {
  const { oldest } = retainedRange(services, nowMs, retentionDays);
  const expired = (await existingBuckets(services, { nowMs, fresh: true })).filter((b) => b < oldest);
  const svc = await services.tableService();
  for (const b of expired) {
    await svc.deleteTable(bucketTable(b));
    forgetBucket(services, b);
  }
  return expired;
}
