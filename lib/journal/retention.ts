// Retention: a bucket table whose whole day is older than JOURNAL_RETENTION_DAYS is dropped in one
// request (entries and their index rows together). Measured alternative, per-entity deletes, costs
// one transaction per 100 entries per copy; a table drop is O(1) whatever the volume.
import { bucketTable, existingBuckets, forgetBucket, retainedRange, tableService } from './buckets';

export async function dropExpiredBuckets(nowMs = Date.now(), retentionDays?: number): Promise<string[]> {
  const { oldest } = retainedRange(nowMs, retentionDays);
  const expired = (await existingBuckets(nowMs, true)).filter((b) => b < oldest);
  const svc = await tableService();
  for (const b of expired) {
    await svc.deleteTable(bucketTable(b));
    forgetBucket(b);
  }
  return expired;
}
