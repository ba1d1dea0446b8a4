// The small pure parts of lib/telemetry: trace context strings, redaction, ARM resource types, and which
// steps a progress write ends.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { armResourceType } from '../../lib/telemetry/arm-policy';
import { messageTraceparent } from '../../lib/telemetry/invocation';
import { stepsEnded } from '../../lib/telemetry/metrics';
import { redactPath } from '../../lib/telemetry/redact';
import { formatTraceparent, parseTraceparent } from '../../lib/telemetry/trace-context';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('telemetry helpers', () => {
  test('traceparent: parsed and formatted back; invalid ones are refused', () => {
    const sc = parseTraceparent(TP);
    assert.deepEqual(sc, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(formatTraceparent(sc), TP);
    for (const bad of [
      undefined,
      42,
      '',
      '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      `${TP}-extra`,
    ])
      assert.equal(parseTraceparent(bad), undefined, String(bad));
  });

  test('a queue message carries the traceparent as an object or JSON text', () => {
    assert.equal(messageTraceparent({ v: 1, traceparent: TP }), TP);
    assert.equal(messageTraceparent(JSON.stringify({ v: 1, traceparent: TP })), TP);
    assert.equal(messageTraceparent({ v: 1 }), undefined);
    assert.equal(messageTraceparent('{not json'), undefined);
    assert.equal(messageTraceparent(null), undefined);
  });

  test('the ingest token in a path is masked; other paths are left as they are', () => {
    assert.equal(redactPath('/api/ingest/vm1/abc.DEF-123/upload'), '/api/ingest/vm1/REDACTED/upload');
    assert.equal(redactPath('/api/ingest/vm1/abc'), '/api/ingest/vm1/REDACTED');
    assert.equal(redactPath('/api/vms/vm1/journal'), '/api/vms/vm1/journal');
  });

  test('ARM resource types from request paths', () => {
    const rg = '/subscriptions/s/resourceGroups/vmj-a';
    assert.equal(armResourceType(rg), 'resourceGroups');
    assert.equal(
      armResourceType(`${rg}/providers/Microsoft.Network/virtualNetworks/v1`),
      'Microsoft.Network/virtualNetworks',
    );
    assert.equal(
      armResourceType(`${rg}/providers/Microsoft.Compute/virtualMachines/vm1/start`),
      'Microsoft.Compute/virtualMachines',
    );
    assert.equal(
      armResourceType('/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operations/x'),
      'Microsoft.Network/locations',
    );
  });

  test('stepsEnded: only the steps a write ends, none when the write is repeated', () => {
    const running = { name: 'virtualNetwork', status: 'running' as const, startedAt: '2026-01-01T00:00:00Z' };
    const done = { ...running, status: 'succeeded' as const, endedAt: '2026-01-01T00:00:05Z' };
    const group = {
      name: 'resourceGroup',
      status: 'succeeded' as const,
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: '2026-01-01T00:00:00Z',
    };
    assert.deepEqual(stepsEnded({ steps: [group, running] }, { steps: [group, done] }), [done]);
    assert.deepEqual(stepsEnded({ steps: [group, done] }, { steps: [group, done] }), []);
    assert.deepEqual(stepsEnded(undefined, { steps: [group] }), [group]);
    assert.deepEqual(stepsEnded({ steps: [group] }, undefined), []);
  });
});
