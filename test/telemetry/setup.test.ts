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
      sdkLoaded: boolean;
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

  test('with no setting: no hook, no SDK module loaded, the handler runs as is', () => {
    const { result } = runChild({});
    assert.deepEqual(result, { mode: 'off', hooks: 0, result: { status: 202 }, sdkLoaded: false });
  });

  test('OTEL_TRACES_EXPORTER=console prints the invocation span, token and key left out', () => {
    const { result, stdout } = runChild({ OTEL_TRACES_EXPORTER: 'console' });
    assert.deepEqual(result, { mode: 'otel-env', hooks: 1, result: { status: 202 }, sdkLoaded: true });
    assert.match(stdout, /name: 'POST ingest\/\{name\}\/\{token\}\/upload'/);
    assert.match(stdout, /'url\.path': '\/api\/ingest\/vm1\/REDACTED\/upload'/);
    assert.match(stdout, /'http\.response\.status_code': 202/);
    assert.doesNotMatch(stdout, /tok-secret-5678|key-secret-9999/);
  });
});
