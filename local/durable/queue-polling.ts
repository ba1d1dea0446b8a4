// A model of the Azure Storage provider's queue polling, for measuring what it costs. DurableTask.
// AzureStorage polls each of its queues in a loop; after an empty poll it sleeps with a randomized
// exponential back-off (BackoffPollingHelper: 50 ms, then 50 ms + 0.8-1.2 × 2^(n-1) × 50 ms, ... capped at
// `maxQueuePollingInterval`), and the interval drops back to 50 ms when a poll finds messages or when
// this process adds a message to the queue (AddMessageAsync resets the helper, which ends the sleep).
// So a message added by another process — a client on another instance (on Flex Consumption the HTTP
// and queue-triggered functions scale apart from the Durable ones) — or one that only becomes visible
// later — a durable timer — waits for the next poll, up to `maxQueuePollingInterval` after an idle
// spell. The local engine dispatches in-process with no polling; with this model it holds such messages
// until the poll that would have found them.

export const MIN_POLL_MS = 50;
const RANDOMIZATION = 0.2;

export interface QueuePollingOptions {
  /** `maxQueuePollingInterval` in ms (host.json; 30 s by default in the extension). */
  maxIntervalMs: number;
  /** Random numbers in [0, 1) for the back-off's jitter (tests pass a fixed one). */
  random?: () => number;
  now?: () => number;
}

export class QueuePollingModel {
  readonly maxIntervalMs: number;
  readonly #random: () => number;
  readonly #now: () => number;
  /** Upcoming poll times, ascending, drawn as needed; the first one is the next poll. */
  #polls: number[] = [];
  #exponent = 1;
  #capped = false;
  #pending: { deliver: () => void; visibleAt: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(opts: QueuePollingOptions) {
    this.maxIntervalMs = Math.max(MIN_POLL_MS, opts.maxIntervalMs);
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? Date.now;
    this.#foundMessagesAt(this.#now());
  }

  /** The poll times drawn so far that are still ahead (tests read the back-off from it). */
  pollsAfter(t: number, count: number): number[] {
    this.#pollAtOrAfter(t);
    while (this.#polls.filter((p) => p >= t).length < count) this.#pollAtOrAfter(this.#polls.at(-1)! + 1);
    return this.#polls.filter((p) => p >= t).slice(0, count);
  }

  /**
   * A message added by this process (an orchestration's activity call or result): the poller wakes
   * and takes it, with anything else already visible, at once.
   */
  wake(deliver: () => void): void {
    if (this.#disposed) return;
    const now = this.#now();
    this.#pending.push({ deliver, visibleAt: now });
    this.#poll(now);
  }

  /**
   * A message the poller is not woken for: added by another process, or visible only from `visibleAt`
   * (a timer). It is delivered by the first poll at or after the time it is visible.
   */
  add(deliver: () => void, visibleAt = this.#now()): void {
    if (this.#disposed) return;
    this.#pending.push({ deliver, visibleAt });
    this.#reschedule();
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#pending = [];
  }

  /** A poll at time t: takes every visible message; one found resets the back-off. */
  #poll(t: number): void {
    const visible = this.#pending.filter((m) => m.visibleAt <= t);
    if (visible.length) {
      this.#pending = this.#pending.filter((m) => m.visibleAt > t);
      this.#foundMessagesAt(t);
      for (const m of visible) m.deliver();
    }
    this.#reschedule();
  }

  #reschedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#disposed || this.#pending.length === 0) return;
    const now = this.#now();
    const due = Math.max(now, Math.min(...this.#pending.map((m) => m.visibleAt)));
    const at = this.#pollAtOrAfter(due);
    // Not unref'd: it only runs while a message waits, and dispose() clears it.
    this.#timer = setTimeout(() => this.#poll(at), at - now);
  }

  /** After a poll that found messages, the next poll finds the queue empty and sleeps 50 ms. */
  #foundMessagesAt(t: number): void {
    this.#polls = [t + MIN_POLL_MS];
    this.#exponent = 1;
    this.#capped = false;
  }

  #pollAtOrAfter(t: number): number {
    // Polls before now found nothing (a message would have been delivered): forget them.
    const now = this.#now();
    while (this.#polls.length > 1 && this.#polls[0]! < now) this.#polls.shift();
    while (this.#polls.at(-1)! < t) this.#polls.push(this.#polls.at(-1)! + this.#nextInterval());
    return this.#polls.find((p) => p >= t)!;
  }

  /** RandomizedExponentialBackoffStrategy.UpdateDelay after an empty poll. */
  #nextInterval(): number {
    if (this.#capped) return this.maxIntervalMs;
    const jitter = 1 - RANDOMIZATION + 2 * RANDOMIZATION * this.#random();
    const interval = MIN_POLL_MS + jitter * 2 ** (this.#exponent - 1) * MIN_POLL_MS;
    if (interval < this.maxIntervalMs) {
      this.#exponent++;
      return interval;
    }
    this.#capped = true;
    return this.maxIntervalMs;
  }
}
