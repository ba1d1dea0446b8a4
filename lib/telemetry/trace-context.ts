// W3C trace context (https://www.w3.org/TR/trace-context/) as a string that crosses a queue message or
// an orchestration input. Parsed and formatted here rather than through the global propagator: that one
// is a no-op until an SDK registers it, and a queue message must carry the context either way.
import type { Context, SpanContext } from '@opentelemetry/api';

import type { Otel } from './api';
import { otel } from './api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = /^0{32}$/;
const INVALID_SPAN = /^0{16}$/;

/** A remote span context from a `traceparent` value (version 00), or undefined if it is not one. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m || INVALID_TRACE.test(m[1]!) || INVALID_SPAN.test(m[2]!)) return undefined;
  return {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16) & 1,
    isRemote: true,
  };
}

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & 1).toString(16)}`;
}

/** A context whose parent is the given span context (ROOT_CONTEXT when there is none). */
export function contextWithParent(api: Otel, parent: SpanContext | undefined): Context {
  return parent ? api.trace.setSpanContext(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT;
}

/**
 * The active span's traceparent, for a message or input that continues the trace elsewhere; undefined
 * when no span is recording (telemetry off), so nothing is added to the message.
 */
export function currentTraceparent(): string | undefined {
  const api = otel();
  const span = api?.trace.getActiveSpan();
  if (!api || !span) return undefined;
  const sc = span.spanContext();
  return api.trace.isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}
