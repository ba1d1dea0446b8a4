// A Clock a test moves by hand: time stands still until `advance`, and sleeps end in time order as it
// passes their deadline. Code under test that waits on the clock then runs step by step, however
// loaded the machine is.
import type { Clock } from '../../lib/services';

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #onSleep: (() => void)[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
      const waiting = this.#onSleep;
      this.#onSleep = [];
      for (const w of waiting) w();
    });
  }

  /** Sleeps under way, as milliseconds left. */
  get pending(): number[] {
    return this.#sleepers.map((s) => s.at - this.#now).sort((a, b) => a - b);
  }

  /** Resolves once a sleep is under way (at once if one is), failing after `realMs` of real time. */
  sleeping(realMs = 10_000): Promise<void> {
    if (this.#sleepers.length > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Nothing slept on the fake clock within ${realMs} ms`)),
        realMs,
      );
      this.#onSleep.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Moves time forward, ending the sleeps due by then, earliest first. */
  advance(ms: number): void {
    this.#now += ms;
    const due = this.#sleepers.filter((s) => s.at <= this.#now).sort((a, b) => a.at - b.at);
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.#now);
    for (const s of due) s.resolve();
  }

  /** Waits for a sleep, then moves time to the earliest one's deadline. */
  async step(): Promise<void> {
    await this.sleeping();
    this.advance(Math.max(0, this.pending[0] ?? 0));
  }

  /** Steps until `done()` holds, or fails after `maxSteps`. */
  async runUntil(done: () => boolean, maxSteps = 100): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      if (done()) return;
      await this.step();
    }
    if (!done()) throw new Error(`Still not done after ${maxSteps} steps of the fake clock`);
  }
}
