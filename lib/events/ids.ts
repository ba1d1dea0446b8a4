// Event ids: sortable as strings in creation order and gap-tolerant (readers never assume that ids are
// consecutive, only that they increase). `<ms since epoch, 13 digits>-<sequence, 6 digits>-<random, 6 hex>`:
// time first for order across instances, a per-process sequence for order within one millisecond, and
// random bits so that two instances never mint the same id.
import { randomBytes } from 'node:crypto';

export const EVENT_ID_PATTERN = /^\d{13}-\d{6}-[0-9a-f]{6}$/;

let lastMs = 0;
let seq = 0;

export function newEventId(nowMs = Date.now()): string {
  // Never go back in time within this process, even if the clock does.
  if (nowMs > lastMs) {
    lastMs = nowMs;
    seq = 0;
  } else {
    seq++;
    if (seq > 999_999) {
      lastMs++;
      seq = 0;
    }
  }
  return `${String(lastMs).padStart(13, '0')}-${String(seq).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
}

export const isEventId = (s: string): boolean => EVENT_ID_PATTERN.test(s);

/** The time part of an id, in ms. */
export const eventIdTime = (id: string): number => Number(id.slice(0, 13));

/** The smallest id at or after a time (for retention cut-offs). */
export const eventIdAt = (ms: number): string => `${String(Math.max(0, ms)).padStart(13, '0')}-000000-000000`;

/** Maps an id to a string that sorts in the opposite order (each hex digit x becomes f − x). */
export function invertEventId(id: string): string {
  let out = '';
  for (const c of id) {
    if (c === '-') out += c;
    else out += (15 - parseInt(c, 16)).toString(16);
  }
  return out;
}
