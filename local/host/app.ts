// The function app as the host drives it: loaded the way the Node.js worker loads it (its own
// @azure/functions registers through `@azure/functions-core`), then invoked by name. InProcessApp runs
// it on the host's thread; app-thread.ts runs the same on a thread of its own.
import http, { type Server } from 'node:http';
import { dirname, resolve } from 'node:path';

import { CoreApi, installCoreApi, uninstallCoreApi } from './core-api';
import { invokeFunction } from './invoker';
import type { LogSink } from './logger';
import type { AppSettings } from './settings';
import type { ExtraInputs, FunctionInfo, InvokeRequest, InvokeResult } from './types';

export interface AppOptions {
  /** Folder with host.json (the function app root). */
  appDir: string;
  /** The compiled app entry (package.json `main`), or a .ts file when tsx is loaded. */
  entry: string;
  messageEncoding: 'base64' | 'none';
  /** The app's environment: what it reads as its settings, and what bindings resolve against. */
  env: AppSettings;
}

/**
 * The channel through which the app finds its settings while it loads (functions/services.ts reads it):
 * an app loaded into a thread it shares (tests, `appThread: false`) cannot take them from process.env,
 * which is the test's; on its own thread it could, and gets them both ways.
 */
export const APP_SETTINGS_KEY = Symbol.for('vm-journal.appSettings');
type SettingsChannel = { [APP_SETTINGS_KEY]?: AppSettings };

/** A loaded app: what it registered, how to invoke it, and its HTTP streaming proxy. */
export interface AppRunner {
  readonly functions: readonly FunctionInfo[];
  /** The library's HTTP streaming proxy (`HttpUri` capability), when the app enabled streaming. */
  readonly proxyUrl: string | undefined;
  /** Milliseconds the app entry took to load. */
  readonly loadMs: number;
  /** Throws what the handler threw. `handlerResult` only tells whether the handler returned something. */
  invoke(req: InvokeRequest, extra: ExtraInputs): Promise<InvokeResult>;
  /** Runs the appTerminate hooks and closes what the app opened. */
  dispose(): Promise<void>;
}

export class InProcessApp implements AppRunner {
  readonly #core: CoreApi;
  readonly #log: LogSink;
  readonly #opts: AppOptions;
  #proxyServer: Server | undefined;
  /** What the app registered while loading (fixed from then on). */
  functions: readonly FunctionInfo[] = [];
  proxyUrl: string | undefined;
  loadMs = 0;

  private constructor(opts: AppOptions, log: LogSink) {
    this.#opts = opts;
    this.#log = log;
    this.#core = new CoreApi((level, category, message) =>
      log({ time: new Date(), level, category, message }),
    );
  }

  static async load(opts: AppOptions, log: LogSink): Promise<InProcessApp> {
    const app = new InProcessApp(opts, log);
    await app.#load();
    return app;
  }

  async #load(): Promise<void> {
    const loadStarted = performance.now();
    installCoreApi(this.#core);
    const channel = globalThis as SettingsChannel;
    channel[APP_SETTINGS_KEY] = this.#opts.env;
    try {
      forgetAppModules(this.#opts.entry);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host loads the app as the worker does
      require(resolve(this.#opts.entry));
    } catch (e) {
      uninstallCoreApi(this.#core);
      throw e;
    } finally {
      delete channel[APP_SETTINGS_KEY]; // the app took them while loading; the next app brings its own
    }
    this.loadMs = performance.now() - loadStarted;
    const model = this.#core.programmingModel;
    if (!model) {
      uninstallCoreApi(this.#core);
      throw new Error(
        `The app entry ${this.#opts.entry} registered no functions through @azure/functions v4.`,
      );
    }
    this.functions = [...this.#core.registrations.values()].map(
      ({ name, bindings, triggerName, trigger }) => ({ name, bindings, triggerName, trigger }),
    );
    const capabilities = await withLoopbackListen(
      (server) => (this.#proxyServer = server),
      () => model.getCapabilities({}),
    );
    this.proxyUrl = capabilities.HttpUri;
    await this.#core.runHooks('appStart', {
      hookData: {},
      appHookData: {},
      functionAppDirectory: this.#opts.appDir,
    });
  }

  invoke(req: InvokeRequest, extra: ExtraInputs): Promise<InvokeResult> {
    return invokeFunction(
      {
        core: this.#core,
        log: this.#log,
        messageEncoding: this.#opts.messageEncoding,
        settings: this.#opts.env,
      },
      req,
      extra,
    );
  }

  async dispose(): Promise<void> {
    await this.#core.runHooks('appTerminate', { hookData: {}, appHookData: {} }).catch(() => undefined);
    await closeServer(this.#proxyServer);
    uninstallCoreApi(this.#core);
  }
}

export function closeServer(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
}

/**
 * The library's streaming proxy listens on every interface; locally we keep it on loopback and keep
 * a handle on it so dispose() can close it.
 */
async function withLoopbackListen<T>(capture: (server: Server) => void, run: () => Promise<T>): Promise<T> {
  const proto = http.Server.prototype;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below, always called with its server
  const originalListen = proto.listen;
  proto.listen = function (this: Server, ...args: unknown[]) {
    capture(this);
    if (typeof args[0] === 'function')
      return Reflect.apply(originalListen, this, [0, '127.0.0.1', args[0]]) as Server;
    if (typeof args[0] === 'number' && typeof args[1] === 'function') {
      return Reflect.apply(originalListen, this, [args[0], '127.0.0.1', args[1]]) as Server;
    }
    return Reflect.apply(originalListen, this, args) as Server;
  } as typeof proto.listen;
  try {
    return await run();
  } finally {
    proto.listen = originalListen;
  }
}

/** Drops the app and its Functions libraries from the module cache so a new host gets fresh copies. */
function forgetAppModules(entry: string): void {
  const full = resolve(entry);
  const dist = full.lastIndexOf('/dist/');
  const appDir = dist >= 0 ? full.slice(0, dist + 6) : dirname(full);
  for (const key of Object.keys(require.cache)) {
    if (
      key.startsWith(appDir) ||
      key.includes('/node_modules/@azure/functions/') ||
      key.includes('/node_modules/durable-functions/')
    ) {
      delete require.cache[key];
    }
  }
}
