// Reads host.json and the few settings the stand-in honours, with the Functions host's defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { HostJson } from './types';

export function readHostJson(appDir: string): HostJson {
  const text = readFileSync(join(appDir, 'host.json'), 'utf8');
  const parsed = JSON.parse(text) as HostJson;
  if (parsed.version !== '2.0')
    throw new Error(`host.json: "version" must be "2.0" (found ${String(parsed.version)}).`);
  return parsed;
}

/** Parses a TimeSpan such as `00:00:02`, `1.02:03:04` or `00:00:00.500` into milliseconds. */
export function parseTimeSpan(value: string | undefined, fallbackMs: number): number {
  if (!value) return fallbackMs;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(value.trim());
  if (!m) throw new Error(`host.json: "${value}" is not a TimeSpan (hh:mm:ss).`);
  const [, d = '0', h, min, s, frac = '0'] = m;
  return (
    ((Number(d) * 24 + Number(h)) * 3600 + Number(min) * 60 + Number(s)) * 1000 +
    Math.round(Number(`0.${frac}`) * 1000)
  );
}

const LOCAL_MAX_POLLING_MS = 250;

export interface QueueSettings {
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  batchSize: number;
  maxDequeueCount: number;
  newBatchThreshold: number;
  messageEncoding: 'base64' | 'none';
}

/**
 * Queue trigger settings. Locally the polling interval is capped at 250 ms: polling Azurite costs
 * nothing, and a command then starts its orchestration about as fast as an HTTP call returns.
 */
export function queueSettings(hostJson: HostJson): QueueSettings {
  const q = hostJson.extensions?.queues ?? {};
  const batchSize = q.batchSize ?? 16;
  return {
    maxPollingIntervalMs: Math.min(parseTimeSpan(q.maxPollingInterval, 60_000), LOCAL_MAX_POLLING_MS),
    visibilityTimeoutMs: parseTimeSpan(q.visibilityTimeout, 0),
    batchSize,
    maxDequeueCount: q.maxDequeueCount ?? 5,
    newBatchThreshold: q.newBatchThreshold ?? Math.ceil(batchSize / 2),
    messageEncoding: q.messageEncoding ?? 'base64',
  };
}

export function routePrefix(hostJson: HostJson): string {
  const p = hostJson.extensions?.http?.routePrefix;
  return (p ?? 'api').replace(/^\/+|\/+$/g, '');
}
