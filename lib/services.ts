// What the app's code needs from the world, built once when the app loads (functions/services.ts) and
// passed in: the settings, storage and ARM clients, the clock, and the state an app instance keeps
// between invocations (caches, locks). No module keeps clients or caches of its own, so two apps (two
// local runtimes, or a test's fakes) can live in one process. Clients are made on first use: most
// invocations never touch ARM, and the SDKs are heavy.
import type { TokenCredential } from '@azure/core-auth';
import type { TableClient, TableServiceClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';

import { type ArmClients, buildArmClients } from './arm/clients';
import { type Config, parseConfig } from './config';
import { newAzureCredential } from './credential';
import { openQueue, openTable, openTableService } from './storage';

/** Time, injectable: tests of timing (event order, LRO schedules) drive a fake one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface Services {
  /** The parsed settings (read on first use: a bad setting fails the invocation naming it). */
  readonly config: Config;
  /** The environment the settings come from (telemetry reads its own settings from it). */
  readonly env: Readonly<NodeJS.ProcessEnv>;
  readonly clock: Clock;
  /** A client for one table, the table created on first use. */
  table(name: string): Promise<TableClient>;
  /** A client for one table that is never created (reading a missing table is a 404). */
  tableReader(name: string): Promise<TableClient>;
  tableService(): Promise<TableServiceClient>;
  /** A client for one queue, the queue created on first use. */
  queue(name: string): Promise<QueueClient>;
  arm(): Promise<ArmClients>;
  credential(): Promise<TokenCredential>;
  /**
   * State this app instance keeps between invocations, one value per key, made on first use. A module
   * declares `const KEY = Symbol('what')` and calls `services.state(KEY, () => new Map())`.
   */
  state<T>(key: symbol, make: () => T): T;
}

export interface ServicesOptions {
  clock?: Clock;
  /** Replace a client maker (a test's fake ARM, say); the rest are built from the settings. */
  arm?: () => Promise<ArmClients>;
}

/** A cache of promises that forgets a rejected one (a transient failure must not stick). */
function promiseCache<T>(make: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let p = cache.get(key);
    if (!p) {
      p = make(key);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
}

/** Services from an environment (process.env on Azure; the settings a local runtime gives its app). */
export function createServices(env: NodeJS.ProcessEnv, options: ServicesOptions = {}): Services {
  let config: Config | undefined;
  const getConfig = () => (config ??= parseConfig(env));
  const credentials = promiseCache(() => newAzureCredential(getConfig()));
  const credential = () => credentials('');
  const tables = promiseCache((name) => openTable(getConfig(), credential, name, true));
  const readers = promiseCache((name) => openTable(getConfig(), credential, name, false));
  const service = promiseCache(() => openTableService(getConfig(), credential));
  const queues = promiseCache((name) => openQueue(getConfig(), credential, name));
  const arm = options.arm ?? promiseCache(() => buildArmClients(getConfig(), credential));
  const state = new Map<symbol, unknown>();
  return {
    get config() {
      return getConfig();
    },
    env,
    clock: options.clock ?? systemClock,
    table: tables,
    tableReader: readers,
    tableService: () => service(''),
    queue: queues,
    arm: () => arm(''),
    credential,
    state<T>(key: symbol, make: () => T): T {
      if (!state.has(key)) state.set(key, make());
      return state.get(key) as T;
    },
  };
}
