// The Durable engine as a host plugin: it owns the orchestration/activity/entity triggers, provides the
// `durableClient` input, serves the durabletask webhooks, and resumes unfinished instances at start.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { parseTimeSpan } from '../host/host-json';
import type { HostApi, HostPlugin, RpcBinding, RpcTypedData } from '../host/types';
import { clientData } from './client-data';
import { DurableEngine } from './engine';
import { handleDurableHttp } from './http-api';
import { QueuePollingModel } from './queue-polling';
import { DurableStore } from './store';

export { DurableEngine } from './engine';
export { SCHEMA_NAME, UPPER_SCHEMA_VERSION } from './replay';

export interface DurablePluginOptions {
  /** Overrides host.json `extensions.durableTask.hubName` (default `TestHubName`, as the extension). */
  hubName?: string;
  /** Overrides host.json `maxConcurrentActivityFunctions` (default 10, as on Consumption plans). */
  maxConcurrentActivityFunctions?: number;
  /** Overrides host.json `maxConcurrentOrchestratorFunctions` (default 10). */
  maxConcurrentOrchestratorFunctions?: number;
  /**
   * `model`: hold client messages and fired timers until the control queue's next poll, modelling the
   * Azure Storage provider's back-off up to host.json `storageProvider.maxQueuePollingInterval` (30 s by
   * default) — what a step costs on Azure after an idle spell. Default `none`: dispatch at once.
   */
  queuePolling?: 'none' | 'model';
  /** The modelled back-off's jitter source, [0, 1) (tests fix it; default Math.random). */
  queuePollingRandom?: () => number;
}

/** The extension's default `maxQueuePollingInterval`. */
export const DEFAULT_MAX_QUEUE_POLLING_MS = 30_000;

export interface DurablePlugin extends HostPlugin {
  /** The engine, once started (tests and benchmarks wait on instances through it). */
  readonly engine: DurableEngine | undefined;
}

export function createDurablePlugin(options: DurablePluginOptions = {}): DurablePlugin {
  let engine: DurableEngine | undefined;
  let host: HostApi | undefined;
  let hubName = options.hubName ?? 'TestHubName';

  return {
    name: 'durable',
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    get engine() {
      return engine;
    },

    async start(h: HostApi): Promise<void> {
      host = h;
      const cfg = h.hostJson.extensions?.durableTask ?? {};
      hubName = options.hubName ?? cfg.hubName ?? 'TestHubName';
      const store = await DurableStore.open(h.storageConnectionString, hubName);
      const provider = (cfg.storageProvider ?? {}) as { maxQueuePollingInterval?: string };
      const maxQueuePollingMs = parseTimeSpan(provider.maxQueuePollingInterval, DEFAULT_MAX_QUEUE_POLLING_MS);
      engine = new DurableEngine({
        host: h,
        store,
        maxConcurrentActivities: positive(
          options.maxConcurrentActivityFunctions ?? cfg.maxConcurrentActivityFunctions,
          10,
        ),
        maxConcurrentOrchestrations: positive(
          options.maxConcurrentOrchestratorFunctions ?? cfg.maxConcurrentOrchestratorFunctions,
          10,
        ),
        ...(options.queuePolling === 'model'
          ? {
              controlQueuePolling: new QueuePollingModel({
                maxIntervalMs: maxQueuePollingMs,
                ...(options.queuePollingRandom ? { random: options.queuePollingRandom } : {}),
              }),
            }
          : {}),
      });
      if (h.registrations().some((r) => r.trigger.type === 'entityTrigger')) {
        h.log(
          'warning',
          'durable: entity functions are registered but the local durable engine does not run entities.',
        );
      }
      const resumed = await engine.resumeAll();
      if (resumed > 0)
        h.log(
          'information',
          `durable: resumed ${resumed} unfinished orchestration instance(s) of task hub ${hubName}.`,
        );
    },

    inputFor(binding: RpcBinding): RpcTypedData | undefined {
      if (binding.type !== 'durableClient' && binding.type !== 'orchestrationClient') return undefined;
      if (!host) throw new Error('The durable plugin has not started yet.');
      return { string: JSON.stringify(clientData(host.baseUrl, hubName)) };
    },

    handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> | boolean {
      if (!engine || !host) return false;
      const h = host;
      return handleDurableHttp(
        { engine, hubName, hostBaseUrl: h.baseUrl, log: (m) => h.log('error', m) },
        req,
        res,
        url,
      );
    },

    async dispose(): Promise<void> {
      await engine?.dispose();
    },
  };
}

function positive(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : fallback;
}
