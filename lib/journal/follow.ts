// Live tail: the same filters as a query, ascending from an offset, written as SSE events whose `id`
// is the entry's offset (so Last-Event-ID / after= resume exactly after it). Without a start offset it
// begins like `journalctl -f`: the newest `limit` (default 10) entries, then new ones. New entries are
// read as soon as this instance ingests for the VM, else by polling every `pollMs`.
// Entries that arrive later with an older timestamp than the last one sent appear in queries, not here.
import type { SseWriter } from '../http/sse';
import { toApiEntry } from './model';
import { waitForJournal } from './notify';
import { type JournalQuery, queryJournal } from './query';

export interface FollowOptions {
  pollMs?: number;
  initialLimit?: number;
}

export async function followJournal(
  vm: string,
  q: JournalQuery,
  w: SseWriter,
  opts: FollowOptions = {},
): Promise<void> {
  const pollMs = opts.pollMs ?? 2000;
  let after = q.after;
  if (after === undefined) {
    const newest = await queryJournal(vm, {
      ...q,
      order: 'desc',
      limit: opts.initialLimit ?? 10,
      before: undefined,
    });
    const items = newest.items.reverse();
    for (const e of items) w.send({ id: e.offset, data: JSON.stringify(toApiEntry(e)) });
    after = items.at(-1)?.offset;
    // Nothing stored yet: follow from the start of the filter's range.
  }
  while (!w.signal.aborted) {
    const page = await queryJournal(vm, { ...q, order: 'asc', limit: 1000, ...(after ? { after } : {}) });
    if (w.signal.aborted) return;
    for (const e of page.items) w.send({ id: e.offset, data: JSON.stringify(toApiEntry(e)) });
    after = page.items.at(-1)?.offset ?? after;
    if (!page.more) await waitForJournal(vm, pollMs, w.signal);
  }
}
