// Live tail: the same filters as a query, ascending from an offset, written as SSE events whose `id`
// is the entry's offset (so Last-Event-ID / after= resume exactly after it). Without a start offset it
// begins like `journalctl -f`: the newest `limit` (default 10) entries, then new ones. New entries are
// read as soon as this instance ingests for the VM, else by polling every `pollMs`.
//
// Entries do not arrive in timestamp order: agents push in batches, and a VM's clock may run ahead
// (ingest accepts entries dated up to a day ahead). So the tail's resume point never runs past the
// present, and each wake-up it reads
//  - the near part: from its resume point (the newest entry read so far), but at least LATE_MS back from
//    now, up to now + SKEW_MS; entries already sent (kept by offset while inside that window) are
//    skipped. An entry newer than everything read is delivered whatever its age (an agent's backlog),
//    and one up to LATE_MS late is delivered after newer ones already sent;
//  - the far part: entries dated beyond now + SKEW_MS, from its own resume point. A future-dated entry
//    is sent when first seen and does not hide entries that follow it with real timestamps; it is
//    remembered until the present catches up with it, so it is not sent twice.
// Both resume points advance past every row read, matching or not (a `grep` that matches nothing does
// not rescan). An entry older than both the newest one read and LATE_MS appears in queries only.
import type { SseWriter } from '../http/sse';
import type { Services } from '../services';
import { offsetAtTime } from './keys';
import { toApiEntry } from './model';
import { waitForJournal } from './notify';
import { type JournalQuery, queryJournal, type QueryResult } from './query';

export const LATE_MS = 10_000;
export const SKEW_MS = 5_000;
const PAGE = 1000;

export interface FollowOptions {
  pollMs?: number;
  initialLimit?: number;
}

export async function followJournal(
  services: Services,
  vm: string,
  q: JournalQuery,
  w: SseWriter,
  opts: FollowOptions = {},
): Promise<void> {
  const pollMs = opts.pollMs ?? 2000;
  const now = () => services.clock.now();
  const sent = new Set<string>();
  const send = (items: QueryResult['items']) => {
    for (const e of items) {
      if (sent.has(e.offset)) continue;
      sent.add(e.offset);
      w.send({ id: e.offset, data: JSON.stringify(toApiEntry(e)) });
    }
  };
  // A resumed tail (Last-Event-ID / after=) re-reads the window too: an entry of the last LATE_MS may
  // come again after a reconnect (ids are stable: clients drop repeats), none is lost.
  let near: string;
  let far = q.after;
  if (q.after !== undefined) near = q.after;
  else {
    const newest = await queryJournal(services, vm, {
      ...q,
      order: 'desc',
      limit: opts.initialLimit ?? 10,
      before: undefined,
    });
    send(newest.items.reverse());
    // Nothing stored yet (or nothing matching): follow from now, not from the start of retention.
    near = newest.items.at(-1)?.offset ?? offsetAtTime((now() - LATE_MS) * 1000);
    far = near;
  }
  // A resume point in the future (a future-dated entry was the newest) would hide every real entry.
  const edgeNow = offsetAtTime((now() + SKEW_MS) * 1000);
  if (near > edgeNow) near = edgeNow;
  const until = q.untilUsec ?? Number.MAX_SAFE_INTEGER;
  while (!w.signal.aborted) {
    const nowUsec = now() * 1000;
    const floor = offsetAtTime(nowUsec - LATE_MS * 1000);
    const edgeUsec = nowUsec + SKEW_MS * 1000;
    const start: string = near < floor ? near : floor;
    let full = false;

    // Near window: [start, edge], re-read every time, sent entries skipped.
    let cursor: string = start;
    let scanned: string | undefined;
    for (;;) {
      const page = await queryJournal(services, vm, {
        ...q,
        order: 'asc',
        limit: PAGE,
        after: cursor,
        untilUsec: Math.min(until, edgeUsec),
      });
      if (w.signal.aborted) return;
      send(page.items);
      if (!page.more) {
        scanned = page.scannedTo;
        break;
      }
      cursor = page.items.at(-1)!.offset;
      if (cursor >= floor) continue; // inside the window: read on now
      full = true; // catching up from far back: one page per turn
      break;
    }
    const last = full ? cursor : (scanned ?? cursor);
    if (last > near) near = last;

    // Far part: entries dated beyond the edge, from where the last read of them stopped.
    if (!full && until > edgeUsec) {
      const edge = offsetAtTime(edgeUsec);
      const from = far !== undefined && far > edge ? far : edge;
      const page = await queryJournal(services, vm, { ...q, order: 'asc', limit: PAGE, after: from });
      if (w.signal.aborted) return;
      send(page.items);
      far = page.more ? page.items.at(-1)!.offset : (page.scannedTo ?? from);
      if (page.more) full = true;
    }

    // Offsets below the window are never read again.
    for (const o of sent) if (o < start) sent.delete(o);
    if (!full) await waitForJournal(services, vm, pollMs, w.signal);
  }
}
