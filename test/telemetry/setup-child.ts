// Run as a child process (a fresh module cache): sets telemetry up with the environment it was given,
// runs one HTTP invocation through the preInvocation hook, and prints whether any OpenTelemetry module
// was loaded. The console exporter, when asked for, prints the span to stdout as well.
import type { PreInvocationContext } from '@azure/functions';

import { setupTelemetry, telemetryStarted } from '../../lib/telemetry/setup';

type Hook = (ctx: unknown) => unknown;
const hooks: { pre: Hook[]; terminate: Hook[] } = { pre: [], terminate: [] };
const app = {
  hook: {
    preInvocation: (h: Hook) => hooks.pre.push(h),
    appTerminate: (h: Hook) => hooks.terminate.push(h),
  },
} as unknown as Parameters<typeof setupTelemetry>[0];

async function main(): Promise<void> {
  const mode = setupTelemetry(app);
  await telemetryStarted(); // invocations do not wait for the SDK; this one must be traced
  const pre = {
    invocationContext: {
      functionName: 'journalUpload',
      invocationId: 'inv-1',
      options: { trigger: { type: 'httpTrigger', route: 'ingest/{name}/{token}/upload' } },
    },
    inputs: [
      {
        method: 'POST',
        url: 'http://127.0.0.1:7071/api/ingest/vm1/tok-secret-5678/upload?code=key-secret-9999',
        headers: new Headers(),
      },
    ],
    functionHandler: () => Promise.resolve({ status: 202 }),
  };
  for (const h of hooks.pre) await h(pre);
  const result = await (pre as unknown as PreInvocationContext).functionHandler(
    undefined,
    undefined as never,
  );
  for (const h of hooks.terminate) await h({});
  const otelModules = Object.keys(require.cache).filter((k) =>
    /[\\/](@opentelemetry|@azure[\\/]monitor-opentelemetry)[\\/]/.test(k),
  );
  console.log(
    `RESULT ${JSON.stringify({ mode, hooks: hooks.pre.length, result, otelLoaded: otelModules.length > 0 })}`,
  );
}

void main();
