// Provides the `@azure/functions-core` module that @azure/functions registers through. On Azure the
// Node.js worker provides it; here the host does, so the app's own library code runs unchanged.
import Module from 'node:module';

import type { LogLevel, Registration, RpcBinding } from './types';

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
type HookCallback = (ctx: Record<string, unknown>) => unknown;

/** The subset of the worker's ProgrammingModel the host calls (see @azure/functions ProgrammingModel). */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel;
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: Record<string, unknown>;
  metadata: { name: string; bindings: Record<string, RpcBinding> };
  state?: string;
  log(level: LogLevel, category: 'user' | 'system', message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(
    context: unknown,
    inputs: unknown[],
    handler: (...args: unknown[]) => unknown,
  ): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<Record<string, unknown>>;
}

class Disposable {
  #callback: (() => void) | undefined;
  constructor(callback: () => void) {
    this.#callback = callback;
  }
  static from(...items: { dispose(): void }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.#callback?.();
    this.#callback = undefined;
  }
}

/** Collects what the app registers: functions, hooks and the programming model. */
export class CoreApi {
  readonly hostVersion = '4.1037.0';
  readonly Disposable = Disposable;
  programmingModel: ProgrammingModel | undefined;
  readonly registrations = new Map<string, Registration>();
  readonly hooks = new Map<HookName, HookCallback[]>();

  constructor(private readonly logSink: (level: LogLevel, category: string, message: string) => void) {}

  setProgrammingModel(model: ProgrammingModel): void {
    this.programmingModel = model;
  }

  getProgrammingModel(): ProgrammingModel | undefined {
    return this.programmingModel;
  }

  registerFunction(
    metadata: { name: string; bindings: Record<string, RpcBinding> },
    handler: Registration['handler'],
  ) {
    const key = metadata.name.toLowerCase();
    if (this.registrations.has(key))
      throw new Error(`A function named "${metadata.name}" is already registered.`);
    const entry = Object.entries(metadata.bindings).find(([, b]) => /trigger$/i.test(b.type));
    if (!entry) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
    const [triggerName, trigger] = entry;
    this.registrations.set(key, {
      name: metadata.name,
      bindings: metadata.bindings,
      triggerName,
      trigger,
      handler,
    });
    return new Disposable(() => this.registrations.delete(key));
  }

  registerHook(name: HookName, callback: HookCallback) {
    const list = this.hooks.get(name) ?? [];
    list.push(callback);
    this.hooks.set(name, list);
    return new Disposable(() => list.splice(list.indexOf(callback), 1));
  }

  log(level: LogLevel, category: string, message: string): void {
    this.logSink(level, category, message);
  }

  async runHooks(name: HookName, ctx: Record<string, unknown>): Promise<void> {
    for (const hook of this.hooks.get(name) ?? []) await hook(ctx);
  }
}

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: ModuleLoad };
let installed: CoreApi | undefined;
let originalLoad: ModuleLoad | undefined;

/** Makes `require('@azure/functions-core')` return this CoreApi for the whole process. */
export function installCoreApi(api: CoreApi): void {
  if (installed) throw new Error('A local Functions host is already running in this process.');
  installed = api;
  originalLoad = moduleInternals._load;
  const load = originalLoad;
  moduleInternals._load = function (request, parent, isMain) {
    if (request === '@azure/functions-core') return installed;
    return load.call(this, request, parent, isMain);
  };
}

export function uninstallCoreApi(api: CoreApi): void {
  if (installed !== api || !originalLoad) return;
  moduleInternals._load = originalLoad;
  installed = undefined;
  originalLoad = undefined;
}
