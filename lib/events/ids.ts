// Event ids: sortable as strings in creation order and gap-tolerant (readers never assume that ids are
// consecutive, only that they increase). `<ms since epoch, 13 digits>-<sequence, 6 digits>-<random, 6 hex>`:
// time first for order across instances, a per-instance sequence for order within one millisecond, and
// random bits so that two instances never mint the same id.
import { randomBytes } from 'node:crypto';

export const EVENT_ID_PATTERN = /^\d{13}-\d{6}-[0-9a-f]{6}$/;

/** Mints the ids of one app instance (the store keeps one per Services). */
export class EventIdMinter {
  #lastMs = 0;
  #seq = 0;

  next(nowMs: number): string {
    // Never go back in time within this instance, even if the clock does.
    if (nowMs > this.#lastMs) {
      this.#lastMs = nowMs;
      this.#seq = 0;
    } else {
      this.#seq++;
      if (this.#seq > 999_999) {
        this.#lastMs++;
        this.#seq = 0;
      }
    }
    const ms = String(this.#lastMs).padStart(13, '0');
    return `${ms}-${String(this.#seq).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
  }
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
