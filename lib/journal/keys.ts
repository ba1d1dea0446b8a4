// Table keys of the journal. Table Storage forbids `/ \ # ?` and control characters in keys, and
// decodes the URL path twice, so a `%` in a key breaks every point operation (get, update, merge,
// delete, upsert: 404/400 on Azure, while Azurite accepts it; the local runtime refuses such requests).
// Unit names carry `\x2d`, `@`, unicode…, so key parts are escaped as `~XX` (UTF-8 bytes, upper-case
// hex): `~` is unreserved in URLs and the alphabet has no `%`. `~` itself and our separator `|` are
// escaped too. Layout, per time-bucket table (see buckets.ts):
//   PartitionKey `vm|unit`   one unit of one VM (the unit view)
//   PartitionKey `vm|`       every unit of the VM (the whole-VM view: a second copy, same RowKeys)
//   PartitionKey `vm||i`     the VM's unit and boot index rows for this bucket
//   PartitionKey `vm|unit|+` overflow rows of entries too large for one entity
// A unit name is never empty and never contains an unescaped `|`, so these partitions cannot collide.
// RowKey = offset = `<__REALTIME_TIMESTAMP, 16 digits>-<boot id>-<seqnum, 16 hex>`: sorts in time
// order, and a re-sent entry maps to the same key (idempotent).
import { createHash } from 'node:crypto';

const MAX_KEY_PART = 400;

/** Escapes one key part: `~ % |`, `/ \ # ?` and control characters become ~XX (UTF-8 bytes). */
export function escapeKeyPart(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
  const escaped = s.replace(/[~%|/\\#?\u0000-\u001f\u007f-\u009f]/g, (ch) =>
    [...Buffer.from(ch, 'utf8')].map((b) => `~${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
  // Keys are at most 1 KiB: very long unit names keep a readable prefix plus a hash (still unique).
  // `~~` never occurs in an escaped part (an escape `~` is followed by hex digits), so it marks the hash.
  if (escaped.length <= MAX_KEY_PART) return escaped;
  const hash = createHash('sha256').update(s).digest('hex').slice(0, 32);
  return `${escaped.slice(0, MAX_KEY_PART - 34)}~~${hash}`;
}

export const unitPartition = (vm: string, unit: string) => `${escapeKeyPart(vm)}|${escapeKeyPart(unit)}`;
export const vmPartition = (vm: string) => `${escapeKeyPart(vm)}|`;
export const indexPartition = (vm: string) => `${escapeKeyPart(vm)}||i`;
export const overflowPartition = (vm: string, unit: string) => `${unitPartition(vm, unit)}|+`;

export const REALTIME_DIGITS = 16;
export const MAX_REALTIME_USEC = 10 ** REALTIME_DIGITS - 1;

/** The RowKey (and public `offset`) of an entry. */
export function makeOffset(realtimeUsec: number, bootId: string, seqnum: string): string {
  return `${String(realtimeUsec).padStart(REALTIME_DIGITS, '0')}-${bootId}-${seqnum}`;
}

/** The smallest RowKey at or after a time (for range queries). */
export const offsetAtTime = (usec: number) =>
  String(Math.max(0, Math.min(MAX_REALTIME_USEC, Math.floor(usec)))).padStart(REALTIME_DIGITS, '0');

const OFFSET = /^(\d{16})-[0-9a-z]{1,40}-[0-9a-z]{1,40}$/;

export function isOffset(s: string): boolean {
  return OFFSET.test(s);
}

/** The realtime (µs) an offset starts with. */
export function offsetTime(offset: string): number {
  return Number(offset.slice(0, REALTIME_DIGITS));
}
