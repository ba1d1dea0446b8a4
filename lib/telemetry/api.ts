// The OpenTelemetry API, loaded only once telemetry is on (setup.ts): with telemetry off the app's hooks
// find none and return at once, and a cold start loads no OpenTelemetry module at all.
import { createRequire } from 'node:module';

import type * as OtelApi from '@opentelemetry/api';

export type Otel = typeof OtelApi;

let api: Otel | undefined;

/** The API when telemetry is on, else undefined (every hook is then a no-op). */
export const otel = (): Otel | undefined => api;

export function loadOtelApi(): Otel {
  api ??= createRequire(__filename)('@opentelemetry/api') as Otel;
  return api;
}

/**
 * Whether an SDK already registered a tracer or meter provider in this process (a test with in-memory
 * exporters), read from the API's global slot without loading the API.
 */
export function sdkRegistered(): boolean {
  const slot = (globalThis as Record<symbol, { trace?: unknown; metrics?: unknown } | undefined>)[
    Symbol.for('opentelemetry.js.api.1')
  ];
  return !!(slot?.trace ?? slot?.metrics);
}
