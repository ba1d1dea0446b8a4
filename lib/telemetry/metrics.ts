// The app's custom metrics. Recorded through @opentelemetry/api only, once telemetry is on (api.ts):
// off, every call returns at once and no OpenTelemetry module is loaded. Names and attributes are listed in docs/capacity.md
// ("Telemetry"); no attribute ever holds a token, a key or a journal field.
import type { Attributes, Counter, Histogram } from '@opentelemetry/api';

import type { ProvisioningStep } from '../vms/record';
import { otel } from './api';

export const METER_NAME = 'vm-journal';

export const METRIC = {
  entries: 'vmjournal.journal.entries',
  refusals: 'vmjournal.journal.refusals',
  stepDuration: 'vmjournal.provisioning.step.duration',
  armThrottled: 'vmjournal.arm.throttled',
} as const;

interface Instruments {
  entries: Counter;
  refusals: Counter;
  stepDuration: Histogram;
  armThrottled: Counter;
}

// Instruments from the no-op provider stay no-ops forever, so they are made again when an SDK has
// registered its provider since (the SDK starts after the app has loaded).
let cached: { provider: unknown; instruments: Instruments } | undefined;

function instruments(): Instruments | undefined {
  const api = otel();
  if (!api) return undefined;
  const provider = api.metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(METER_NAME);
  const made: Instruments = {
    entries: meter.createCounter(METRIC.entries, {
      unit: '{entry}',
      description: 'Journal entries received, by outcome: accepted, duplicate, expired or refused',
    }),
    refusals: meter.createCounter(METRIC.refusals, {
      unit: '{request}',
      description: 'Ingestion requests refused after their body was read (bad entry, too large, bad gzip)',
    }),
    stepDuration: meter.createHistogram(METRIC.stepDuration, {
      unit: 's',
      description: 'Duration of a provisioning step, from its start to its end in the orchestration',
    }),
    armThrottled: meter.createCounter(METRIC.armThrottled, {
      unit: '{response}',
      description: 'ARM responses 429 (throttled), each attempt counted',
    }),
  };
  cached = { provider, instruments: made };
  return made;
}

function add(counter: Counter, n: number, attributes: Attributes): void {
  if (n > 0) counter.add(n, attributes);
}

/** Entries one Table write stored or skipped (called per write, so a streaming request counts as it goes). */
export function recordEntriesWritten(w: { accepted: number; duplicates: number; expired: number }): void {
  const i = instruments();
  if (!i) return;
  const { entries } = i;
  add(entries, w.accepted, { 'vmjournal.outcome': 'accepted' });
  add(entries, w.duplicates, { 'vmjournal.outcome': 'duplicate' });
  add(entries, w.expired, { 'vmjournal.outcome': 'expired' });
}

/**
 * A refused ingestion request: `notStored` entries it carried were dropped (in atomic mode every entry
 * read before the error, in streaming mode none: those were stored), plus the entry the error names
 * (`entries[i]…`: malformed or too large).
 */
export function recordIngestRefused(notStored: number, error: unknown): void {
  const e = (error ?? {}) as { code?: unknown; errors?: { field?: unknown }[] };
  const namesEntry = (e.errors ?? []).some(
    (f) => typeof f.field === 'string' && f.field.startsWith('entries['),
  );
  const i = instruments();
  if (!i) return;
  const { entries, refusals } = i;
  add(entries, notStored + (namesEntry ? 1 : 0), { 'vmjournal.outcome': 'refused' });
  refusals.add(1, { 'error.type': typeof e.code === 'string' ? e.code : 'Error' });
}

const ENDED = new Set(['succeeded', 'failed']);

/** The steps `after` ended that were not ended in `before` (a repeated write finds none). */
export function stepsEnded(
  before: { steps: ProvisioningStep[] } | undefined,
  after: { steps: ProvisioningStep[] } | undefined,
): ProvisioningStep[] {
  if (!after) return [];
  const endedBefore = new Set(
    (before?.steps ?? []).filter((s) => ENDED.has(s.status)).map((s) => `${s.name}@${s.startedAt}`),
  );
  return after.steps.filter((s) => ENDED.has(s.status) && !endedBefore.has(`${s.name}@${s.startedAt}`));
}

/** Durations of the steps a progress write ended (orchestration clock: ARM's time and the waits). */
export function recordStepDurations(steps: ProvisioningStep[], operation?: string): void {
  const i = steps.length > 0 ? instruments() : undefined;
  if (!i) return;
  const { stepDuration } = i;
  for (const s of steps) {
    if (!s.endedAt) continue;
    const seconds = (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000;
    if (!Number.isFinite(seconds) || seconds < 0) continue;
    stepDuration.record(seconds, {
      'vmjournal.step': s.name,
      'vmjournal.step.outcome': s.status,
      ...(operation ? { 'vmjournal.operation': operation } : {}),
    });
  }
}

export function recordArmThrottled(method: string, provider: string): void {
  instruments()?.armThrottled.add(1, { 'http.request.method': method, 'vmjournal.arm.provider': provider });
}
