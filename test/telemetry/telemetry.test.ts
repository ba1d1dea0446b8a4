// Telemetry through the real path, with in-memory exporters registered in the test's process (the app
// runs on the host's thread, so it finds them and adds its invocation hooks): one trace from the HTTP
// request through the command queue and the orchestration's activities to the ARM emulator's calls;
// the ingestion, step-duration and throttling metrics; and no ingest token or function key in a span.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { metrics, type metrics as sdkMetrics, NodeSDK, tracing } from '@opentelemetry/sdk-node';

import { rotateIngestToken } from '../../lib/ingest-token';
import { METRIC } from '../../lib/telemetry/metrics';
import { eventually } from '../helpers/runtime';
import { addVmRecord } from '../helpers/vm-record';
import { storageServices, useStorage } from '../journal/helpers';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from '../vms/helpers';

/** A reader the test collects from when it wants to (no export interval). */
class TestReader extends metrics.MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const spans = new tracing.InMemorySpanExporter();
const reader = new TestReader();
const sdk = new NodeSDK({
  spanProcessors: [new tracing.SimpleSpanProcessor(spans)],
  metricReaders: [reader],
  instrumentations: [],
  logRecordProcessors: [],
  autoDetectResources: false,
});
let t: VmTestRuntime;

before(async () => {
  sdk.start();
  t = await startVmRuntime({ appThread: false });
  useStorage(t.rt.storageConnectionString);
});
after(async () => {
  await t?.dispose();
  await sdk.shutdown();
});

type DataPoint = sdkMetrics.DataPoint<number | sdkMetrics.Histogram>;

async function points(name: string): Promise<DataPoint[]> {
  const { resourceMetrics } = await reader.collect();
  const found = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name);
  return found.flatMap((m) => m.dataPoints as DataPoint[]);
}

async function sum(name: string, attributes: Record<string, string>): Promise<number> {
  return (await points(name))
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + (p.value as number), 0);
}

const withKey = (path: string) => `${path}${path.includes('?') ? '&' : '?'}code=fn-key-secret-1234`;

describe('telemetry', () => {
  test('HTTP → queue → orchestration activities → ARM calls: one trace; step durations and throttling recorded', async () => {
    // The emulator throttles the first VNet PUT: the SDK retries it (an attempt span each, one 429 counted).
    await t.emulator('PUT', '/_emulator/faults', [
      { kind: 'throttle', resourceType: 'Microsoft.Network/virtualNetworks', count: 1, retryAfterSeconds: 0 },
    ]);
    const created = await t.api('POST', withKey('/api/vms'), {
      name: 'otel1',
      size: 'small',
      sshPublicKey: sshPublicKey(),
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await t.waitForStatus('otel1', 'running');

    // `running` is written by the activity that reads the addresses, a moment before its span ends:
    // wait until every ARM call's parent span has ended too.
    const all = await eventually(() => {
      const done = spans.getFinishedSpans();
      const ended = new Set(done.map((s) => s.spanContext().spanId));
      const arm = done.filter((s) => s.name.startsWith('ARM '));
      return arm.every((s) => ended.has(s.parentSpanContext?.spanId ?? '')) && done;
    }).catch(() => spans.getFinishedSpans()); // the assertions below then name what is missing
    const http = all.find((s) => s.name === 'POST vms' && s.attributes['http.request.method'] === 'POST');
    assert.ok(http, `an HTTP span among ${all.map((s) => s.name).join(', ')}`);
    const traceId = http.spanContext().traceId;
    const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
    const queue = inTrace.find((s) => s.name === 'vmCommands');
    assert.ok(queue, 'the queue invocation continues the request trace');
    assert.equal(queue.parentSpanContext?.spanId, http.spanContext().spanId);
    for (const activity of ['vmArmBegin', 'vmArmPoll'])
      assert.ok(
        inTrace.some((s) => s.name === activity),
        `${activity} in the trace`,
      );
    const armCalls = inTrace.filter((s) => s.name.startsWith('ARM '));
    for (const type of [
      'Microsoft.Network/virtualNetworks',
      'Microsoft.Compute/virtualMachines',
      'resourceGroups',
    ])
      assert.ok(
        armCalls.some((s) => s.name.endsWith(type)),
        `an ARM call to ${type} in the trace`,
      );
    const throttled = armCalls.filter((s) => s.attributes['http.response.status_code'] === 429);
    assert.equal(throttled.length, 1);
    // Every ARM attempt is a child of an activity span of the same trace.
    const ids = new Set(inTrace.map((s) => s.spanContext().spanId));
    for (const s of armCalls)
      assert.ok(ids.has(s.parentSpanContext?.spanId ?? ''), `${s.name} has its parent in the trace`);

    assert.equal(await sum(METRIC.armThrottled, { 'vmjournal.arm.provider': 'Microsoft.Network' }), 1);
    const steps = (await points(METRIC.stepDuration)).filter(
      (p) => p.attributes['vmjournal.operation'] === 'create',
    );
    const stepNames = steps.map((p) => p.attributes['vmjournal.step']);
    for (const step of [
      'resourceGroup',
      'virtualNetwork',
      'networkInterface',
      'virtualMachine',
      'publicIpAddress',
    ])
      assert.ok(stepNames.includes(step), `a duration for ${step} in ${stepNames.join(',')}`);
    for (const p of steps) {
      const h = p.value as sdkMetrics.Histogram;
      assert.equal(h.count, 1, `${String(p.attributes['vmjournal.step'])} recorded once`);
      assert.ok(h.sum! >= 0 && h.sum! < 60);
    }
  });

  test('ingestion metrics: accepted, duplicates, refused; no token or key in any span', async () => {
    const vm = 'otel-ingest';
    await addVmRecord(vm); // the journal's routes answer 404 for a VM that does not exist
    const token = await rotateIngestToken(storageServices(), vm);
    const before = {
      accepted: await sum(METRIC.entries, { 'vmjournal.outcome': 'accepted' }),
      duplicate: await sum(METRIC.entries, { 'vmjournal.outcome': 'duplicate' }),
      refused: await sum(METRIC.entries, { 'vmjournal.outcome': 'refused' }),
    };
    const now = Date.now() * 1000;
    const entry = (i: number) =>
      JSON.stringify({
        __CURSOR: `s=otel;i=${i}`,
        __REALTIME_TIMESTAMP: String(now + i),
        __MONOTONIC_TIMESTAMP: String(i),
        _BOOT_ID: 'ab'.repeat(16),
        MESSAGE: `entry ${i}`,
      });
    const post = (lines: string[]) =>
      fetch(t.url(`/api/vms/${vm}/journal`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body: lines.join('\n') + '\n',
      });
    assert.equal((await post([entry(1), entry(2), entry(3)])).status, 200);
    const again = await post([entry(1), entry(2), entry(3), entry(4)]);
    assert.deepEqual(
      { ...((await again.json()) as object), lastCursor: undefined },
      { accepted: 1, duplicates: 3, expired: 0, lastCursor: undefined },
    );
    // All or nothing: two good entries and a bad one are all refused.
    const bad = await post([entry(5), entry(6), JSON.stringify({ MESSAGE: 'no cursor' })]);
    assert.equal(bad.status, 400);
    // systemd-journal-upload's path carries the token.
    const exported = `__CURSOR=s=otel;i=7\n__REALTIME_TIMESTAMP=${now + 7}\n__MONOTONIC_TIMESTAMP=7\n_BOOT_ID=${'ab'.repeat(16)}\nMESSAGE=uploaded\n\n`;
    const upload = await fetch(t.url(`/api/ingest/${vm}/${token}/upload`), {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.fdo.journal' },
      body: exported,
    });
    assert.equal(upload.status, 202, await upload.text());
    const query = await fetch(t.url(withKey(`/api/vms/${vm}/journal?limit=10`)));
    assert.equal(query.status, 200);

    assert.equal(await sum(METRIC.entries, { 'vmjournal.outcome': 'accepted' }), before.accepted + 5);
    assert.equal(await sum(METRIC.entries, { 'vmjournal.outcome': 'duplicate' }), before.duplicate + 3);
    assert.equal(await sum(METRIC.entries, { 'vmjournal.outcome': 'refused' }), before.refused + 3);
    assert.equal(await sum(METRIC.refusals, { 'error.type': 'InvalidJournalEntry' }), 1);

    const all = spans.getFinishedSpans();
    const uploadSpan = all.find((s) => s.name === 'POST ingest/{name}/{token}/upload');
    assert.ok(uploadSpan, 'a span for the upload');
    assert.equal(uploadSpan.attributes['url.path'], `/api/ingest/${vm}/REDACTED/upload`);
    assert.ok(all.some((s) => s.name === 'GET vms/{name}/journal'));
    const text = JSON.stringify(
      all.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, links: s.links })),
    );
    assert.ok(!text.includes(token), 'the ingest token is in no span');
    assert.ok(!text.includes('fn-key-secret-1234'), 'the function key is in no span');
  });
});
