// One span per function invocation, around the handler, with the handler run in its context so that
// what it calls (a queue message sent, an ARM request) becomes a child. The parent is, in order: the
// `traceparent` a queue message carries (the HTTP request that queued it), the trace context the host
// gives the invocation (on Azure: the host's request/activity span), or an HTTP request's own
// `traceparent` header (locally, where the host gives none). Orchestrator invocations get no span: they
// replay their history on every episode (the Durable extension traces orchestrations on Azure).
import type { FunctionHandler, HttpRequest, InvocationContext, PreInvocationContext } from '@azure/functions';
import type { Link, SpanKind } from '@opentelemetry/api';

import { type Otel, otel } from './api';
import { redactPath } from './redact';
import { contextWithParent, parseTraceparent } from './trace-context';

const SKIPPED_TRIGGERS = new Set(['orchestrationTrigger', 'entityTrigger']);

/** The `traceparent` field of a queue message (an object, or JSON text), if it has one. */
export function messageTraceparent(message: unknown): string | undefined {
  let value = message;
  if (typeof value === 'string' && value.startsWith('{')) {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const tp = (value as { traceparent?: unknown } | null)?.traceparent;
  return typeof tp === 'string' ? tp : undefined;
}

function kindOf(api: Otel, triggerType: string): SpanKind {
  if (triggerType === 'httpTrigger') return api.SpanKind.SERVER;
  if (triggerType === 'queueTrigger') return api.SpanKind.CONSUMER;
  return api.SpanKind.INTERNAL;
}

/** The preInvocation hook: wraps the handler of this invocation in its span. */
export function traceInvocation(pre: PreInvocationContext): void {
  const ctx: InvocationContext = pre.invocationContext;
  const triggerType = ctx.options.trigger.type;
  const api = otel();
  if (!api || SKIPPED_TRIGGERS.has(triggerType)) return;
  const fromHost = parseTraceparent(ctx.traceContext?.traceParent);
  let parent = fromHost;
  const links: Link[] = [];
  const attributes: Record<string, string | number> = {
    'faas.name': ctx.functionName,
    'faas.invocation_id': ctx.invocationId,
    'faas.trigger': triggerType,
  };
  if (triggerType === 'queueTrigger') {
    const fromMessage = parseTraceparent(messageTraceparent(pre.inputs[0]));
    if (fromMessage) {
      parent = fromMessage;
      // The host starts a new trace for a queue message; keep the way to it.
      if (fromHost) links.push({ context: fromHost });
    }
    const queue = ctx.options.trigger.queueName;
    if (typeof queue === 'string') attributes['messaging.destination.name'] = queue;
    attributes['messaging.system'] = 'azure_storage_queue';
  }
  let name = ctx.functionName;
  if (triggerType === 'httpTrigger') {
    const req = pre.inputs[0] as HttpRequest;
    parent ??= parseTraceparent(req.headers.get('traceparent'));
    const route = ctx.options.trigger.route;
    attributes['http.request.method'] = req.method;
    // The path with secrets masked; never the query (`code` holds the function key) or headers.
    attributes['url.path'] = redactPath(new URL(req.url).pathname);
    if (typeof route === 'string') {
      attributes['http.route'] = route;
      name = `${req.method} ${route}`;
    }
  }
  const handler: FunctionHandler = pre.functionHandler;
  pre.functionHandler = (...args: Parameters<FunctionHandler>) =>
    api.trace
      .getTracer('vm-journal')
      .startActiveSpan(
        name,
        { kind: kindOf(api, triggerType), attributes, links },
        contextWithParent(api, parent),
        async (span) => {
          try {
            const result: unknown = await handler(...args);
            if (triggerType === 'httpTrigger') {
              const status = (result as { status?: unknown } | undefined)?.status;
              const code = typeof status === 'number' ? status : 200;
              span.setAttribute('http.response.status_code', code);
              if (code >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
            }
            return result;
          } catch (e) {
            span.setStatus({ code: api.SpanStatusCode.ERROR, message: (e as Error).name });
            throw e;
          } finally {
            span.end();
          }
        },
      );
}
