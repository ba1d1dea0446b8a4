// The event watch: new events as Server-Sent Events (lib/http/sse.ts), `id:` = event id, resumable
// after any id. Appends in this instance wake the watcher at once; others are noticed by polling.
// Waits go through the Services' clock, so a test drives the polls with a fake one.
import type { SseWriter } from '../http/sse';
import type { Services } from '../services';
import { eventIdAt, eventIdTime } from './ids';
import { eventRange, listEventsAfter, listEventsBetween, onEventAppended, type StoredEvent } from './store';

const PAGE = 100;
/**
 * After a wake-up, wait this long before reading: appends come in bursts (a create writes its record's
 * events one after another, and VMs created together move together), and one read then serves the
 * burst instead of one read per event, for every watcher.
 */
const GATHER_MS = 20;

/**
 * An instance commits its events in id order, but another instance's event can become visible after
 * one with a larger id (its transaction was still in flight, or its clock is behind). The poll, which
 * is how other instances' events are noticed, looks back this far for ids not seen yet; such a late
 * event is sent after events with larger ids.
 */
const LATE_MS = 5000;
const LATE_MAX = 1000;

export interface WatchOptions {
  /** Start after this id; default: only events appended from now on. */
  after?: string;
  pollMs?: number;
}

export async function watchEvents(services: Services, w: SseWriter, opts: WatchOptions = {}): Promise<void> {
  const { clock } = services;
  let cursor = opts.after ?? (await eventRange(services))?.latest ?? '';
  const windowStart = () => (cursor ? eventIdAt(eventIdTime(cursor) - LATE_MS) : '');
  // Ids at or before the cursor within the look-back window: already there (sent, or before the start).
  const seen = new Set<string>();
  const remember = (events: StoredEvent[]) => {
    for (const e of events) seen.add(e.id);
    const from = windowStart();
    for (const id of seen) if (id <= from) seen.delete(id);
  };
  if (cursor) remember(await listEventsBetween(services, windowStart(), cursor, LATE_MAX));
  let polled = false;
  while (!w.signal.aborted) {
    let wake!: () => void;
    const woken = new Promise<void>((r) => (wake = r));
    const unsubscribe = onEventAppended(services, () => wake());
    // Ends the poll timer with the wait (a timer left behind per wait would pile up on a long watch).
    const waiting = new AbortController();
    clock.sleep(opts.pollMs ?? 1000, waiting.signal).then(
      () => {
        polled = true;
        wake();
      },
      () => undefined,
    );
    const onAbort = () => wake();
    w.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const late = polled && cursor ? await listEventsBetween(services, windowStart(), cursor, LATE_MAX) : [];
      polled = false;
      const events = [
        ...late.filter((e) => !seen.has(e.id)),
        ...(await listEventsAfter(services, cursor, PAGE)),
      ];
      for (const e of events) {
        if (w.signal.aborted) return;
        w.send({ id: e.id, data: JSON.stringify(e) });
        if (e.id > cursor) cursor = e.id;
      }
      remember(events);
      if (events.length < PAGE) {
        await woken;
        if (!w.signal.aborted) await clock.sleep(GATHER_MS, w.signal).catch(() => undefined);
      }
    } finally {
      waiting.abort();
      unsubscribe();
      w.signal.removeEventListener('abort', onAbort); // one per wait, or a long watch piles them up
    }
  }
}
