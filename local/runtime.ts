// The whole local runtime in one object: Azurite, the ARM emulator, and the Functions host stand-in
// with its Durable engine, wired together the way Azure wires the real ones. `npm start` and the
// integration tests both use it: `const rt = await LocalRuntime.start(); … await rt.dispose();`
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ArmEmulator, type ArmEmulatorOptions } from './arm';
import { createDurablePlugin, type DurablePlugin, type DurablePluginOptions } from './durable';
import { createGuestRunner, type GuestRunnerOptions } from './guest';
import { FunctionHost } from './host';
import type { FunctionKeys } from './host/keys';
import { consoleSink, type LogSink } from './host/logger';
import type { HostPlugin } from './host/types';
import { freePort } from './ports';
import { Azurite } from './storage/azurite';

export const LOCAL_SUBSCRIPTION_ID = '00000000-0000-4000-8000-000000000000';

export interface LocalRuntimeOptions {
  /** The function app root (host.json, package.json). Default: this repository. */
  appDir?: string;
  /** App entry; default package.json `main` (the compiled app, as Azure loads it). */
  appEntry?: string;
  /** Where Azurite and the emulator keep their data. Default LOCAL_DATA_DIR or `<appDir>/.local`. */
  dataDir?: string;
  /** Host port; default 0 (a free port). */
  port?: number;
  /** Azurite ports: `default` (reuse/take 10000-10002) or `free` (tests). Default `free`. */
  storagePorts?: 'default' | 'free';
  /** App settings that override everything else. */
  env?: Record<string, string>;
  /** The Durable engine's options, or false to run without it. */
  durable?: false | DurablePluginOptions;
  /** More host plugins (besides the Durable engine). */
  plugins?: HostPlugin[];
  keys?: FunctionKeys;
  log?: LogSink;
  /** The ARM emulator's options, or false to use the ARM endpoint the settings name (real Azure). */
  arm?: false | Omit<ArmEmulatorOptions, 'dataDir'>;
  /**
   * Simulated guests: each VM the emulator boots runs the real agent from its cloud-init payload against
   * a journal of its own, so logs really flow. Default off (tests that do not need them stay light);
   * `npm start` turns them on. Ignored when `arm.onGuestBoot` is given.
   */
  guests?: boolean | Omit<GuestRunnerOptions, 'dataDir' | 'log'>;
  /**
   * Run the app on a thread of its own, apart from the host, the Durable engine and the emulator, as
   * Azure runs the Node.js worker apart from the host; its thread's environment is the settings.
   * Default true; false runs it on the host's thread (tests that share globals with the app, such as
   * telemetry exporters): the app then gets its settings through the host's explicit channel
   * (APP_SETTINGS_KEY, local/host/app.ts), and libraries that read process.env themselves see the
   * caller's. durable-functions is the one that does: without WEBSITE_HOSTNAME it points the client's
   * management URLs (unused by this app, which calls through rpcBaseUrl) at localhost:7071.
   */
  appThread?: boolean;
}

/** The static token the app sends to the emulator (the emulator accepts any bearer token). */
export const LOCAL_ARM_TOKEN = 'local-emulator-token';

export class LocalRuntime {
  private constructor(
    readonly host: FunctionHost,
    readonly azurite: Azurite,
    readonly arm: ArmEmulator | undefined,
    readonly durable: DurablePlugin | undefined,
    readonly dataDir: string,
    /** The app settings this runtime gave its app (process.env is left alone). */
    readonly settings: Readonly<Record<string, string>>,
  ) {}

  get baseUrl(): string {
    return this.host.baseUrl;
  }

  get storageConnectionString(): string {
    return this.azurite.connectionString;
  }

  static async start(opts: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
    const appDir = resolve(opts.appDir ?? join(__dirname, '..'));
    const dataDir = resolve(opts.dataDir ?? process.env.LOCAL_DATA_DIR ?? join(appDir, '.local'));
    mkdirSync(dataDir, { recursive: true });
    const entry = resolve(appDir, opts.appEntry ?? packageMain(appDir));
    if (!existsSync(entry))
      throw new Error(`App entry ${entry} does not exist (run \`npm run build\` first).`);

    const log = opts.log ?? consoleSink();
    const azurite = await Azurite.start({ dataDir, ports: opts.storagePorts ?? 'free' });
    let arm: ArmEmulator | undefined;
    try {
      if (opts.arm !== false) {
        const onGuestBoot =
          opts.arm?.onGuestBoot ?? (opts.guests ? guestRunner(dataDir, opts.guests, log) : undefined);
        arm = new ArmEmulator({ ...opts.arm, dataDir, onGuestBoot });
        await arm.ready;
      }
      const port = opts.port || (await freePort());
      const baseUrl = `http://127.0.0.1:${port}`;
      const armSettings: Record<string, string> = arm
        ? {
            AZURE_ARM_ENDPOINT: arm.endpoint,
            AZURE_ARM_CA_FILE: arm.caFile,
            AZURE_ARM_STATIC_TOKEN: LOCAL_ARM_TOKEN,
          }
        : {};
      const settings = Object.freeze(
        appSettings(appDir, azurite.connectionString, baseUrl, { ...armSettings, ...opts.env }),
      );
      const durable = opts.durable === false ? undefined : createDurablePlugin(opts.durable);
      const plugins = [...(durable ? [durable] : []), ...(opts.plugins ?? [])];
      const host = new FunctionHost({
        appDir,
        entry,
        port,
        keys: opts.keys,
        plugins,
        log,
        storageConnectionString: azurite.connectionString,
        settings,
        appThread: opts.appThread ?? true,
      });
      await host.start();
      return new LocalRuntime(host, azurite, arm, durable, dataDir, settings);
    } catch (e) {
      await arm?.dispose();
      await azurite.dispose();
      throw e;
    }
  }

  async dispose(): Promise<void> {
    try {
      await this.host.dispose();
    } finally {
      await this.arm?.dispose();
      await this.azurite.dispose();
    }
  }
}

function guestRunner(
  dataDir: string,
  options: true | Omit<GuestRunnerOptions, 'dataDir' | 'log'>,
  log: LogSink,
) {
  const levels = { info: 'information', warn: 'warning', error: 'error' } as const;
  return createGuestRunner({
    ...(options === true ? {} : options),
    dataDir,
    log: (level, message) => log({ time: new Date(), level: levels[level], category: 'guest', message }),
  });
}

function packageMain(appDir: string): string {
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no "main" (the app entry Azure loads).');
  return pkg.main;
}

/**
 * The app's settings, with Core Tools' precedence: the runtime's defaults, then local.settings.json
 * Values, then the process environment, then explicit overrides. `UseDevelopmentStorage=true` means
 * the Azurite this runtime manages, whatever ports it got.
 */
function appSettings(appDir: string, storage: string, baseUrl: string, overrides: Record<string, string>) {
  const settings: Record<string, string> = {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AzureWebJobsStorage: storage,
    AZURE_SUBSCRIPTION_ID: LOCAL_SUBSCRIPTION_ID,
    PUBLIC_BASE_URL: baseUrl,
    // As on Azure: durable-functions builds its management URLs from it.
    WEBSITE_HOSTNAME: new URL(baseUrl).host,
  };
  const file = join(appDir, 'local.settings.json');
  if (existsSync(file)) {
    const values =
      (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    Object.assign(settings, values);
  }
  for (const k of Object.keys(settings)) {
    const fromEnv = process.env[k];
    if (fromEnv !== undefined) settings[k] = fromEnv;
  }
  Object.assign(settings, overrides);
  if (settings.AzureWebJobsStorage === 'UseDevelopmentStorage=true') settings.AzureWebJobsStorage = storage;
  return settings;
}
