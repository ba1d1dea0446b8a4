// The local Functions host stand-in: loads the same app entry Azure loads, collects its registrations
// through `@azure/functions-core`, and dispatches HTTP, queue and timer triggers; plugins (the Durable
// engine) add trigger types, input bindings and HTTP routes.
import http, { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';

import { CoreApi, installCoreApi, uninstallCoreApi } from './core-api';
import { queueSettings, readHostJson, routePrefix } from './host-json';
import { HttpDispatcher } from './http-trigger';
import { invokeFunction } from './invoker';
import type { FunctionKeys } from './keys';
import { consoleSink, type LogSink } from './logger';
import { QueueListener } from './queue-trigger';
import { TimerListener } from './timer-trigger';
import type {
  HostApi,
  HostJson,
  HostPlugin,
  InvokeRequest,
  InvokeResult,
  LogLevel,
  Registration,
} from './types';

export type { HostApi, HostPlugin } from './types';

export interface FunctionHostOptions {
  /** Folder with host.json (the function app root). */
  appDir: string;
  /** The compiled app entry (package.json `main`), or a .ts file when tsx is loaded. */
  entry: string;
  port?: number;
  keys?: FunctionKeys;
  plugins?: HostPlugin[];
  log?: LogSink;
  storageConnectionString: string;
}

const BUILT_IN_TRIGGERS = new Set(['httptrigger', 'queuetrigger', 'timertrigger']);

export class FunctionHost implements HostApi {
  readonly hostJson: HostJson;
  readonly storageConnectionString: string;
  readonly #opts: FunctionHostOptions;
  readonly #log: LogSink;
  readonly #core: CoreApi;
  readonly #plugins: HostPlugin[];
  #server: Server | undefined;
  #proxyServer: Server | undefined;
  #queues: QueueListener[] = [];
  #timers: TimerListener[] = [];
  #baseUrl = '';
  #dispatcher: HttpDispatcher | undefined;

  constructor(opts: FunctionHostOptions) {
    this.#opts = opts;
    this.#log = opts.log ?? consoleSink();
    this.#plugins = opts.plugins ?? [];
    const names = this.#plugins.map((p) => p.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`Host plugin "${dup}" is registered twice.`);
    this.hostJson = readHostJson(opts.appDir);
    this.storageConnectionString = opts.storageConnectionString;
    this.#core = new CoreApi((level, category, message) =>
      this.#log({ time: new Date(), level, category, message }),
    );
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  registrations(): readonly Registration[] {
    return [...this.#core.registrations.values()];
  }

  routes() {
    return this.#dispatcher?.describe() ?? [];
  }

  log(level: LogLevel, message: string): void {
    this.#log({ time: new Date(), level, category: 'system', message });
  }

  invoke(req: InvokeRequest): Promise<InvokeResult> {
    return invokeFunction(
      {
        core: this.#core,
        plugins: this.#plugins,
        log: this.#log,
        messageEncoding: queueSettings(this.hostJson).messageEncoding,
      },
      req,
    );
  }

  /** Loads the app, starts listening and starts every trigger. */
  async start(): Promise<void> {
    const loadStarted = performance.now();
    installCoreApi(this.#core);
    try {
      forgetAppModules(this.#opts.entry);
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host loads the app as the worker does
      require(resolve(this.#opts.entry));
    } catch (e) {
      uninstallCoreApi(this.#core);
      throw e;
    }
    const loadMs = performance.now() - loadStarted;
    const model = this.#core.programmingModel;
    if (!model) {
      uninstallCoreApi(this.#core);
      throw new Error(
        `The app entry ${this.#opts.entry} registered no functions through @azure/functions v4.`,
      );
    }
    this.#checkTriggerTypes();
    const capabilities = await withLoopbackListen(
      (server) => (this.#proxyServer = server),
      () => model.getCapabilities({}),
    );
    await this.#core.runHooks('appStart', {
      hookData: {},
      appHookData: {},
      functionAppDirectory: this.#opts.appDir,
    });

    this.#dispatcher = new HttpDispatcher({
      registrations: this.registrations(),
      routePrefix: routePrefix(this.hostJson),
      keys: this.#opts.keys ?? {},
      plugins: this.#plugins,
      proxyUrl: capabilities.HttpUri,
      invoke: (r) => this.invoke(r).finally(() => this.#queues.forEach((q) => q.poke())),
      log: this.#log,
    });
    const dispatcher = this.#dispatcher;
    this.#server = createServer((req, res) => {
      dispatcher.handle(req, res).catch((e: unknown) => {
        this.log('error', `Request ${req.method} ${req.url} failed in the host: ${(e as Error).stack}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    this.#server.requestTimeout = 0; // streaming responses (SSE) may be long
    await new Promise<void>((ok, fail) => {
      this.#server!.once('error', fail);
      this.#server!.listen(this.#opts.port ?? 0, '127.0.0.1', () => ok());
    });
    const { port } = this.#server.address() as AddressInfo;
    this.#baseUrl = `http://127.0.0.1:${port}`;

    for (const plugin of this.#plugins) await plugin.start?.(this);
    const settings = queueSettings(this.hostJson);
    for (const reg of this.registrations()) {
      const type = reg.trigger.type.toLowerCase();
      if (type === 'queuetrigger')
        this.#queues.push(new QueueListener(reg, settings, (r) => this.invoke(r), this.#log));
      if (type === 'timertrigger')
        this.#timers.push(new TimerListener(reg, (r) => this.invoke(r), this.#log));
    }
    await Promise.all(this.#queues.map((q) => q.start()));
    this.#timers.forEach((t) => t.start());
    this.log(
      'information',
      `App entry loaded in ${loadMs.toFixed(0)} ms; ${this.registrations().length} functions.`,
    );
  }

  async dispose(): Promise<void> {
    this.#timers.forEach((t) => t.stop());
    await Promise.all(this.#queues.map((q) => q.stop()));
    for (const plugin of [...this.#plugins].reverse()) await plugin.dispose?.();
    await this.#core.runHooks('appTerminate', { hookData: {}, appHookData: {} }).catch(() => undefined);
    await closeServer(this.#server);
    await closeServer(this.#proxyServer);
    uninstallCoreApi(this.#core);
  }

  #checkTriggerTypes(): void {
    const pluginTypes = new Set(
      this.#plugins.flatMap((p) => p.triggerTypes ?? []).map((t) => t.toLowerCase()),
    );
    for (const reg of this.registrations()) {
      const type = reg.trigger.type.toLowerCase();
      if (!BUILT_IN_TRIGGERS.has(type) && !pluginTypes.has(type)) {
        this.log(
          'warning',
          `Function "${reg.name}" has a trigger of type "${reg.trigger.type}" that the local host does not run.`,
        );
      }
    }
  }
}

function closeServer(server: Server | undefined): Promise<void> {
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
