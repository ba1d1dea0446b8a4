// The app on a thread of its own, as on Azure, where the Node.js worker is a process apart from the
// host: the host's work (HTTP, queue polling, the Durable engine and its storage) and the app's then
// use two cores. The thread loads the app with InProcessApp (app-thread-worker.ts); invocations and
// log lines cross as messages.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { AppOptions, AppRunner } from './app';
import type { LogLine, LogSink } from './logger';
import type { AppSettings } from './settings';
import type { ExtraInputs, FunctionInfo, InvokeRequest, InvokeResult } from './types';

export interface ThrownError {
  name: string;
  message: string;
  stack?: string;
}

/** Messages from the app thread. */
export type FromApp =
  | { t: 'ready'; functions: FunctionInfo[]; proxyUrl: string | undefined; loadMs: number }
  | { t: 'failed'; error: ThrownError }
  | { t: 'log'; line: LogLine }
  | { t: 'done'; id: number; result: InvokeResult }
  | { t: 'threw'; id: number; error: ThrownError }
  | { t: 'disposed' };

/** Messages to the app thread. */
export type ToApp = { t: 'invoke'; id: number; req: InvokeRequest; extra: ExtraInputs } | { t: 'dispose' };

export function toThrown(e: unknown): ThrownError {
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
}

function fromThrown(e: ThrownError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** How long dispose() waits for the invocations under way. */
const DRAIN_MS = 5000;

/** The app setting that passes arguments to the Node.js worker on Azure (Linux: `__` for `:`). */
export const WORKER_ARGUMENTS_SETTING = 'languageWorkers__node__arguments';
/**
 * The app thread's old-generation heap cap when that setting names none, in MiB. Without a cap V8
 * lets garbage pile up (a stream of valid entries grew the heap by ~0.8 GiB before it collected);
 * near the cap it collects sooner. The app's live data is a few pending batches and entries per
 * streaming request (≤ ~50 MiB each), so 256 MiB leaves room for several at once.
 */
export const DEFAULT_APP_HEAP_MB = 256;

/** The heap cap of the app's thread: `--max-old-space-size` in the worker arguments setting, as Azure
 * starts the worker process with it, else DEFAULT_APP_HEAP_MB. */
export function appHeapMb(env: AppSettings): number {
  const m = /--max[-_]old[-_]space[-_]size=(\d+)/.exec(env[WORKER_ARGUMENTS_SETTING] ?? '');
  return m ? Number(m[1]) : DEFAULT_APP_HEAP_MB;
}

export class ThreadApp implements AppRunner {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { ok: (r: InvokeResult) => void; fail: (e: Error) => void }>();
  #next = 0;
  #stopped: Error | undefined;
  #disposed: (() => void) | undefined;
  functions: readonly FunctionInfo[] = [];
  proxyUrl: string | undefined;
  loadMs = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(opts: AppOptions, log: LogSink): Promise<ThreadApp> {
    // The host runs under tsx (local/ is TypeScript): the thread registers it before loading its code.
    const boot = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'app-thread-worker.ts'))});`;
    const worker = new Worker(boot, {
      eval: true,
      // The app's settings are its thread's environment (a copy: process.env stays the host's), as
      // they are the worker process's on Azure.
      env: opts.env,
      workerData: opts,
      // Azure's worker is a process with a heap of its own; a thread gets a cap of its own here.
      resourceLimits: { maxOldGenerationSizeMb: appHeapMb(opts.env) },
    });
    const app = new ThreadApp(worker);
    return new Promise((ok, fail) => {
      worker.on('message', (m: FromApp) => {
        switch (m.t) {
          case 'ready':
            app.functions = m.functions;
            app.proxyUrl = m.proxyUrl;
            app.loadMs = m.loadMs;
            return ok(app);
          case 'failed':
            fail(fromThrown(m.error));
            return void worker.terminate();
          case 'log':
            return log(m.line);
          case 'done':
          case 'threw': {
            const call = app.#pending.get(m.id);
            app.#pending.delete(m.id);
            if (m.t === 'done') call?.ok(m.result);
            else call?.fail(fromThrown(m.error));
            return;
          }
          case 'disposed':
            return app.#disposed?.();
        }
      });
      worker.on('error', (e) => {
        // An error the app left uncaught ends its thread, as it would end the worker process on Azure.
        log({
          time: new Date(),
          level: 'error',
          category: 'system',
          message: `The app's thread stopped: ${e.stack}`,
        });
        app.#stop(e);
        fail(e);
      });
      worker.on('exit', (code) => {
        app.#stop(new Error(`The app's thread exited (code ${code}).`));
        app.#disposed?.();
      });
    });
  }

  #stop(e: Error): void {
    this.#stopped ??= e;
    for (const call of this.#pending.values()) call.fail(e);
    this.#pending.clear();
  }

  invoke(req: InvokeRequest, extra: ExtraInputs): Promise<InvokeResult> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#next++;
    return new Promise((ok, fail) => {
      this.#pending.set(id, { ok, fail });
      this.#worker.postMessage({ t: 'invoke', id, req, extra } satisfies ToApp);
    });
  }

  async dispose(): Promise<void> {
    // Invocations under way finish first (a guest's journal push during a shutdown), within reason.
    const deadline = Date.now() + DRAIN_MS;
    while (this.#pending.size > 0 && !this.#stopped && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (!this.#stopped) {
      await new Promise<void>((ok) => {
        this.#disposed = ok;
        this.#worker.postMessage({ t: 'dispose' } satisfies ToApp);
      });
    }
    await this.#worker.terminate();
  }
}
