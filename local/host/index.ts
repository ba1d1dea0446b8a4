// The local Functions host stand-in: loads the same app entry Azure loads, collects its registrations
// through `@azure/functions-core`, and dispatches HTTP, queue and timer triggers; plugins (the Durable
// engine) add trigger types, input bindings and HTTP routes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { redactUrl } from '../../lib/http/redact';
import { type AppRunner, closeServer, InProcessApp } from './app';
import { ThreadApp } from './app-thread';
import { queueSettings, readHostJson, routePrefix } from './host-json';
import { HttpDispatcher } from './http-trigger';
import { extraInputs } from './invoker';
import type { FunctionKeys } from './keys';
import { consoleSink, type LogSink } from './logger';
import { QueueListener } from './queue-trigger';
import type { AppSettings } from './settings';
import { TimerListener } from './timer-trigger';
import type {
  FunctionInfo,
  HostApi,
  HostJson,
  HostPlugin,
  InvokeRequest,
  InvokeResult,
  LogLevel,
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
  /**
   * The app settings. The app's environment is the host's process environment with these over it
   * (a worker process inherits the host's, as with Core Tools); the host never writes process.env, so
   * hosts in one process keep their settings apart.
   */
  settings: Readonly<Record<string, string>>;
  /**
   * Run the app on a thread of its own, as Azure runs it in a worker process apart from the host.
   * Default false here (the app on the host's thread, sharing its globals); LocalRuntime turns it on.
   */
  appThread?: boolean;
}

const BUILT_IN_TRIGGERS = new Set(['httptrigger', 'queuetrigger', 'timertrigger']);

export class FunctionHost implements HostApi {
  readonly hostJson: HostJson;
  readonly storageConnectionString: string;
  /** The app's environment (see FunctionHostOptions.settings), fixed when the host is made. */
  readonly appEnv: AppSettings;
  readonly #opts: FunctionHostOptions;
  readonly #log: LogSink;
  readonly #plugins: HostPlugin[];
  #app: AppRunner | undefined;
  /** The app's functions by lower-case name (they are fixed once it has loaded). */
  #byName = new Map<string, FunctionInfo>();
  #server: Server | undefined;
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
    this.appEnv = Object.freeze({ ...process.env, ...opts.settings });
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  registrations(): readonly FunctionInfo[] {
    return this.#app?.functions ?? [];
  }

  routes() {
    return this.#dispatcher?.describe() ?? [];
  }

  log(level: LogLevel, message: string): void {
    this.#log({ time: new Date(), level, category: 'system', message });
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const app = this.#app;
    if (!app) throw new Error('The app is not loaded.');
    const fn = this.#byName.get(req.functionName.toLowerCase());
    if (!fn) throw new Error(`No function named "${req.functionName}" is registered.`);
    return app.invoke(req, extraInputs(this.#plugins, fn));
  }

  /** Loads the app, starts listening and starts every trigger. */
  async start(): Promise<void> {
    const appOptions = {
      appDir: this.#opts.appDir,
      entry: this.#opts.entry,
      messageEncoding: queueSettings(this.hostJson).messageEncoding,
      env: this.appEnv,
    };
    this.#app = this.#opts.appThread
      ? await ThreadApp.start(appOptions, this.#log)
      : await InProcessApp.load(appOptions, this.#log);
    this.#byName = new Map(this.#app.functions.map((f) => [f.name.toLowerCase(), f]));
    this.#checkTriggerTypes();

    this.#dispatcher = new HttpDispatcher({
      registrations: this.registrations(),
      routePrefix: routePrefix(this.hostJson),
      keys: this.#opts.keys ?? {},
      plugins: this.#plugins,
      proxyUrl: this.#app.proxyUrl,
      invoke: (r) => this.invoke(r).finally(() => this.#queues.forEach((q) => q.poke())),
      log: this.#log,
    });
    const dispatcher = this.#dispatcher;
    this.#server = createServer((req, res) => {
      dispatcher.handle(req, res).catch((e: unknown) => {
        this.log(
          'error',
          `Request ${req.method} ${redactUrl(req.url ?? '/')} failed in the host: ${(e as Error).stack}`,
        );
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
        this.#queues.push(new QueueListener(reg, settings, (r) => this.invoke(r), this.#log, this.appEnv));
      if (type === 'timertrigger')
        this.#timers.push(new TimerListener(reg, (r) => this.invoke(r), this.#log, this.appEnv));
    }
    await Promise.all(this.#queues.map((q) => q.start()));
    this.#timers.forEach((t) => t.start());
    this.log(
      'information',
      `App entry loaded in ${this.#app.loadMs.toFixed(0)} ms${this.#opts.appThread ? ' on its own thread' : ''}; ${this.registrations().length} functions.`,
    );
  }

  async dispose(): Promise<void> {
    this.#timers.forEach((t) => t.stop());
    await Promise.all(this.#queues.map((q) => q.stop()));
    for (const plugin of [...this.#plugins].reverse()) await plugin.dispose?.();
    await this.#app?.dispose();
    await closeServer(this.#server);
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
