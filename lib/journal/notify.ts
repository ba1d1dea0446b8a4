// In-process wake-ups for live tails: an ingest in this app instance wakes its followers at once; tails
// served by other instances notice by polling (follow.ts). The emitter is the app's (Services state).
import { EventEmitter } from 'node:events';

import type { Services } from '../services';

const EMITTER = Symbol('journal notify');
const emitterOf = (services: Services) =>
  services.state(EMITTER, () => new EventEmitter().setMaxListeners(0));

export function notifyJournal(services: Services, vm: string): void {
  emitterOf(services).emit(vm);
}

/** Resolves at the next ingest for the VM, or after `timeoutMs`, or on abort. */
export function waitForJournal(
  services: Services,
  vm: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const emitter = emitterOf(services);
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
