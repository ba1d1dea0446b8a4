// The event watch: new events as Server-Sent Events (lib/http/sse.ts), `id:` = event id, resumable
// after any id. Appends in this instance wake the watcher at once; others are noticed by polling.
import type { SseWriter } from '../http/sse';
import { eventRange, listEventsAfter, onEventAppended } from './store';

const PAGE = 100;
/**
 * After a wake-up, wait this long before reading: appends come in bursts (a create writes its record's
 * events one after another, and VMs created together move together), and one read then serves the
 * burst instead of one read per event, for every watcher.
 */
const GATHER_MS = 20;

export interface WatchOptions {
  /** Start after this id; default: only events appended from now on. */
  after?: string;
  pollMs?: number;
}

export async function watchEvents(w: SseWriter, opts: WatchOptions = {}): Promise<void> {
  let cursor = opts.after ?? (await eventRange())?.latest ?? '';
  while (!w.signal.aborted) {
    let wake!: () => void;
    const woken = new Promise<void>((r) => (wake = r));
    const unsubscribe = onEventAppended(() => wake());
    const timer = setTimeout(() => wake(), opts.pollMs ?? 1000);
    const onAbort = () => wake();
    w.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const events = await listEventsAfter(cursor, PAGE);
      for (const e of events) {
        if (w.signal.aborted) return;
        w.send({ id: e.id, data: JSON.stringify(e) });
        cursor = e.id;
      }
      if (events.length < PAGE) {
        await woken;
        if (!w.signal.aborted) await new Promise((r) => setTimeout(r, GATHER_MS));
      }
    } finally {
      clearTimeout(timer);
      unsubscribe();
      w.signal.removeEventListener('abort', onAbort); // one per wait, or a long watch piles them up
    }
  }
}
