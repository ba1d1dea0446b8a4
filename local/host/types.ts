// Contracts between the local Functions host stand-in and its plugins (durable engine, ARM emulator…).
// The shapes mirror the Functions worker RPC protocol that @azure/functions speaks, so that the app's
// own @azure/functions code does every conversion exactly as it does on Azure.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One binding as the app registered it (`toCoreFunctionMetadata`): trigger, input or output. */
export interface RpcBinding {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [setting: string]: unknown;
}

/** Typed data as the worker protocol carries it (only the cases we use). */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: unknown;
  collectionString?: { string: string[] };
}

/** A function the app registered, as the host sees it (the handler stays with the app). */
export interface FunctionInfo {
  name: string;
  bindings: Record<string, RpcBinding>;
  /** The binding name of the trigger (a key of `bindings`). */
  triggerName: string;
  /** The trigger binding (type ends with "Trigger"). */
  trigger: RpcBinding;
}

/** A function the app registered: metadata plus its handler. */
export interface Registration extends FunctionInfo {
  handler: (...args: unknown[]) => unknown;
}

/** Inputs the host adds to an invocation besides the trigger (e.g. the durable client binding). */
export type ExtraInputs = { name: string; data: RpcTypedData }[];

export interface InvokeRequest {
  functionName: string;
  /** Data for the trigger binding (the host adds extra inputs itself, asking plugins). */
  triggerData: RpcTypedData;
  triggerMetadata?: Record<string, RpcTypedData>;
  retryContext?: { retryCount: number; maxRetryCount: number };
  /** Set by the HTTP trigger; other triggers leave it out. */
  invocationId?: string;
  /** W3C trace context of the invocation (the Durable engine's activities: their orchestration's). */
  traceContext?: { traceParent?: string; traceState?: string };
}

export interface InvokeResult {
  invocationId: string;
  returnValue?: RpcTypedData;
  outputData: { name: string; data: RpcTypedData }[];
  /** What the handler returned, before conversion (the HTTP trigger needs to know it returned nothing). */
  handlerResult?: unknown;
}

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical';

/** What the host offers to plugins. */
export interface HostApi {
  /** Every function the app registered. */
  registrations(): readonly FunctionInfo[];
  /** Invokes a function through @azure/functions' own invocation model; extra inputs/outputs handled. Throws the handler's error. */
  invoke(req: InvokeRequest): Promise<InvokeResult>;
  /** `http://127.0.0.1:<port>` of the host. */
  readonly baseUrl: string;
  /** Azurite (or Azure) storage connection string the app uses (AzureWebJobsStorage). */
  readonly storageConnectionString: string;
  /** Parsed host.json. */
  readonly hostJson: HostJson;
  log(level: LogLevel, message: string): void;
}

export interface HostJson {
  version: string;
  extensions?: {
    http?: { routePrefix?: string };
    queues?: {
      maxPollingInterval?: string;
      visibilityTimeout?: string;
      batchSize?: number;
      maxDequeueCount?: number;
      newBatchThreshold?: number;
      messageEncoding?: 'base64' | 'none';
    };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      maxConcurrentOrchestratorFunctions?: number;
      [k: string]: unknown;
    };
  };
  [k: string]: unknown;
}

/** A plugin of the host (model: miniflare's one plugin per binding). */
export interface HostPlugin {
  readonly name: string;
  /** Called once the app is loaded and the host listens. */
  start?(host: HostApi): Promise<void>;
  /** Data for an extra input binding of a type this plugin owns (e.g. `durableClient`), else undefined. */
  inputFor?(binding: RpcBinding, functionName: string): RpcTypedData | undefined;
  /** Requests outside the route prefix (e.g. `/runtime/webhooks/durabletask/...`). True when handled. */
  handleHttp?(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> | boolean;
  /** Trigger types this plugin dispatches itself (e.g. `orchestrationTrigger`, `activityTrigger`). */
  readonly triggerTypes?: readonly string[];
  dispose?(): Promise<void>;
}
