// In-process wake-ups for live tails: an ingest in this instance wakes its followers at once; tails
// served by other instances notice by polling (follow.ts).
import { EventEmitter } from 'node:events';

const emitter = new EventEmitter();
emitter.setMaxListeners(0);

export function notifyJournal(vm: string): void {
  emitter.emit(vm);
}

/** Resolves at the next ingest for the VM, or after `timeoutMs`, or on abort. */
export function waitForJournal(vm: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter.off(vm, done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    emitter.on(vm, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
