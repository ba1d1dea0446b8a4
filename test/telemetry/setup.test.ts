// When telemetry is on and off, and what the local console exporter prints (child processes: each needs
// a fresh module cache and its own environment).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { telemetryMode } from '../../lib/telemetry/setup';

function runChild(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('OTEL_') && !k.startsWith('APPLICATIONINSIGHTS_'),
    ),
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'setup-child.ts')], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, r.stdout + r.stderr);
  return {
    stdout: r.stdout,
    result: JSON.parse(line.slice('RESULT '.length)) as {
      mode: string;
      hooks: number;
      result: unknown;
      otelLoaded: boolean;
    },
  };
}

describe('telemetry setup', () => {
  test('the mode follows the settings', () => {
    assert.equal(
      telemetryMode({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x' }),
      'azure-monitor',
    );
    assert.equal(telemetryMode({ OTEL_TRACES_EXPORTER: 'console' }), 'otel-env');
    assert.equal(telemetryMode({ OTEL_METRICS_EXPORTER: 'otlp' }), 'otel-env');
    assert.equal(telemetryMode({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: ' ' }), 'off');
    assert.equal(telemetryMode({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' }), 'off');
  });

  test('with no setting: no hook, our module loads no OpenTelemetry module, the handler runs as is', () => {
    const { result } = runChild({});
    assert.deepEqual(result, { mode: 'off', hooks: 0, result: { status: 202 }, otelLoaded: false });
  });

  test('the compiled app with no telemetry setting loads no OpenTelemetry SDK (only the API, which durable-functions requires)', () => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('OTEL_') && !k.startsWith('APPLICATIONINSIGHTS_'),
      ),
    );
    const script = `
      require('./dist/functions/index.js');
      const dirs = Object.keys(require.cache)
        .filter((k) => /[\\\\/](@opentelemetry|@azure[\\\\/]monitor-opentelemetry)[\\\\/]/.test(k))
        .map((k) => k.split('node_modules/').at(-1).split('/').slice(0, 2).join('/'));
      console.log('LOADED ' + JSON.stringify([...new Set(dirs)]));`;
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: join(__dirname, '..', '..'),
      env: {
        ...clean,
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        AZURE_SUBSCRIPTION_ID: '00000000-0000-4000-8000-000000000000',
        PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('LOADED '));
    assert.ok(line, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(line.slice('LOADED '.length)), ['@opentelemetry/api']);
  });

  test('APPLICATIONINSIGHTS_CONNECTION_STRING starts the Azure Monitor distro (here exporting nowhere)', () => {
    const { result } = runChild({
      // A closed local port: the export at shutdown fails at once, nothing leaves the machine.
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        'InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
    });
    assert.deepEqual(result, { mode: 'azure-monitor', hooks: 1, result: { status: 202 }, otelLoaded: true });
  });

  test('OTEL_TRACES_EXPORTER=console prints the invocation span, token and key left out', () => {
    const { result, stdout } = runChild({ OTEL_TRACES_EXPORTER: 'console' });
    assert.deepEqual(result, { mode: 'otel-env', hooks: 1, result: { status: 202 }, otelLoaded: true });
    assert.match(stdout, /name: 'POST ingest\/\{name\}\/\{token\}\/upload'/);
    assert.match(stdout, /'url\.path': '\/api\/ingest\/vm1\/REDACTED\/upload'/);
    assert.match(stdout, /'http\.response\.status_code': 202/);
    assert.doesNotMatch(stdout, /tok-secret-5678|key-secret-9999/);
  });
});
