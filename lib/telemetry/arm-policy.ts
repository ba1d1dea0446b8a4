// A pipeline policy for the ARM clients: one client span per HTTP attempt (a child of the activity's
// span, so ARM calls show in the trace of the request that caused them) and the throttling counter.
// Placed after the SDK's retry policies, so every 429 it retries is seen. Without an SDK the tracer is a
// no-op and the policy only costs a function call.
import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import { otel } from './api';
import { recordArmThrottled } from './metrics';

/** `Microsoft.Network/virtualNetworks` from an ARM path (the last provider and type named in it). */
export function armResourceType(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const i = parts.map((p) => p.toLowerCase()).lastIndexOf('providers');
  if (i >= 0 && parts[i + 1]) return `${parts[i + 1]}/${parts[i + 2] ?? ''}`.replace(/\/$/, '');
  if (parts.some((p) => p.toLowerCase() === 'resourcegroups')) return 'resourceGroups';
  return parts.at(-1) ?? '';
}

export const armTelemetryPolicy: PipelinePolicy = {
  name: 'vmjArmTelemetry',
  async sendRequest(request, next) {
    const api = otel();
    if (!api) return next(request);
    const url = new URL(request.url);
    const type = armResourceType(url.pathname);
    // Path only: ARM paths name the subscription and resources, never a secret; the query (api-version)
    // and headers (the bearer token) are left out.
    return api.trace.getTracer('vm-journal').startActiveSpan(
      `ARM ${request.method} ${type}`,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          'http.request.method': request.method,
          'server.address': url.hostname,
          'url.path': url.pathname,
          'vmjournal.arm.resource_type': type,
        },
      },
      async (span) => {
        try {
          const response = await next(request);
          span.setAttribute('http.response.status_code', response.status);
          const remaining =
            response.headers.get('x-ms-ratelimit-remaining-subscription-writes') ??
            response.headers.get('x-ms-ratelimit-remaining-subscription-reads');
          if (remaining !== undefined)
            span.setAttribute('vmjournal.arm.ratelimit_remaining', Number(remaining));
          if (response.status === 429) recordArmThrottled(request.method, type.split('/')[0]!);
          if (response.status >= 500 || response.status === 429)
            span.setStatus({ code: api.SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
          return response;
        } catch (e) {
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: (e as Error).name });
          throw e;
        } finally {
          span.end();
        }
      },
    );
  },
};
