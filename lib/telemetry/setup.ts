// Turns telemetry on at app load, and only when asked, so that a cold start without it loads no
// OpenTelemetry SDK:
//  - APPLICATIONINSIGHTS_CONNECTION_STRING set (Azure): the Azure Monitor distro, exporting traces and
//    metrics to Application Insights (with APPLICATIONINSIGHTS_AUTHENTICATION_STRING, via Entra ID).
//  - OTEL_TRACES_EXPORTER and/or OTEL_METRICS_EXPORTER set to console or otlp (local, `npm start`): the
//    OpenTelemetry Node SDK with those exporters (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_METRIC_EXPORT_INTERVAL
//    as the SDK documents them); the one left unset exports nothing.
//  - an SDK already registered in the process (a test with in-memory exporters): only the hooks.
// Otherwise nothing is registered, and the metric and span calls in the app are no-ops.
import type { app as functionsApp } from '@azure/functions';

import { loadOtelApi, sdkRegistered } from './api';
import { traceInvocation } from './invocation';

export type TelemetryMode = 'azure-monitor' | 'otel-env' | 'process' | 'off';

const SERVICE_NAME = 'vm-journal';

const exporterSet = (v: string | undefined) => !!v && v.trim() !== '' && v.trim() !== 'none';

export function telemetryMode(env: NodeJS.ProcessEnv = process.env): TelemetryMode {
  if (env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim()) return 'azure-monitor';
  if (exporterSet(env.OTEL_TRACES_EXPORTER) || exporterSet(env.OTEL_METRICS_EXPORTER)) return 'otel-env';
  return sdkRegistered() ? 'process' : 'off';
}

/**
 * The Application Insights resource has local (key) authentication off: with
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING `Authorization=AAD;ClientId=<id>` (as the Functions host
 * reads it), the exporter signs in with that user-assigned managed identity.
 */
async function entraCredential(authString: string | undefined) {
  const parts = new Map(
    (authString ?? '').split(';').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
    }),
  );
  if (parts.get('authorization')?.toLowerCase() !== 'aad') return {};
  const { ManagedIdentityCredential } = await import('@azure/identity');
  const clientId = parts.get('clientid');
  return { credential: new ManagedIdentityCredential(clientId ? { clientId } : {}) };
}

interface Started {
  shutdown(): Promise<void>;
}

async function startSdk(mode: TelemetryMode, env: NodeJS.ProcessEnv): Promise<Started | undefined> {
  if (mode === 'azure-monitor') {
    const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
    useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING!,
        ...(await entraCredential(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)),
      },
      // Outgoing HTTP (Table/Queue/ARM dependencies) and Azure SDK spans; no database drivers here.
      instrumentationOptions: {
        http: { enabled: true },
        azureSdk: { enabled: true },
        mongoDb: { enabled: false },
        mySql: { enabled: false },
        postgreSql: { enabled: false },
        redis: { enabled: false },
        redis4: { enabled: false },
      },
    });
    return { shutdown: shutdownAzureMonitor };
  }
  if (mode === 'otel-env') {
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    const sdk = new NodeSDK({
      serviceName: env.OTEL_SERVICE_NAME ?? SERVICE_NAME,
      autoDetectResources: false,
      instrumentations: [],
      logRecordProcessors: [],
      // The SDK would default an unset exporter to OTLP on localhost:4318; unset means none here.
      ...(exporterSet(env.OTEL_TRACES_EXPORTER) ? {} : { spanProcessors: [] }),
      ...(exporterSet(env.OTEL_METRICS_EXPORTER) ? {} : { metricReaders: [] }),
    });
    sdk.start();
    return { shutdown: () => sdk.shutdown() };
  }
  return undefined;
}

let started: Promise<Started | undefined> = Promise.resolve(undefined);

/** Resolves once the SDK the settings asked for is registered (or failed to start). */
export const telemetryStarted = (): Promise<void> => started.then(() => undefined);

/**
 * Registers the invocation hooks and starts the SDK the settings ask for, imported lazily in the
 * background: invocations do not wait for it (loading the distro takes seconds on a cold instance), so
 * those that start before it is registered are not traced. Returns the mode.
 */
export function setupTelemetry(
  app: typeof functionsApp,
  env: NodeJS.ProcessEnv = process.env,
): TelemetryMode {
  const mode = telemetryMode(env);
  if (mode === 'off') return mode;
  loadOtelApi();
  started = startSdk(mode, env).catch((e: unknown) => {
    // Telemetry must never stop the app: it runs without it.
    console.error(`Telemetry could not start (${mode}): ${(e as Error).message}`);
    return undefined;
  });
  app.hook.preInvocation(traceInvocation);
  app.hook.appTerminate(async () => {
    // Flushes what is left; an exporter that cannot reach its endpoint must not fail the shutdown.
    await (await started)?.shutdown().catch((e: unknown) => {
      console.error(`Telemetry shutdown: ${(e as Error).message}`);
    });
  });
  return mode;
}
