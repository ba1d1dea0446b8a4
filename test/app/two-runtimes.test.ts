// Two local runtimes in one process at once, each with its own Azurite, ARM emulator and app thread:
// the runtime gives its settings to its app and never writes process.env, so neither app sees the
// other's data or settings (the same VM name lives in both, in the region each one's settings name).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sshPublicKey, startVmRuntime, type VmTestRuntime } from '../vms/helpers';

const REGIONS = ['westeurope', 'northeurope'] as const;
let runtimes: VmTestRuntime[] = [];
const envBefore = { ...process.env };

before(async () => {
  runtimes = await Promise.all(
    REGIONS.map((region) => startVmRuntime({ env: { VM_DEFAULT_REGION: region } })),
  );
});
after(async () => {
  await Promise.all(runtimes.map((t) => t.dispose()));
});

async function ingest(t: VmTestRuntime, name: string, message: string): Promise<void> {
  const rotated = await t.api('POST', `/api/vms/${name}/ingest-token`);
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const res = await fetch(t.url(`/api/vms/${name}/journal`), {
    method: 'POST',
    headers: { authorization: `Bearer ${rotated.body.token}`, 'content-type': 'application/x-ndjson' },
    body: `${JSON.stringify({
      __CURSOR: `s=${message};i=1`,
      __REALTIME_TIMESTAMP: String(Date.now() * 1000),
      _BOOT_ID: 'a1'.repeat(16),
      MESSAGE: message,
      PRIORITY: '6',
      _SYSTEMD_UNIT: 'twin.service',
    })}\n`,
  });
  assert.equal(res.status, 200, await res.text());
}

describe('two local runtimes in one process', () => {
  test('neither writes process.env', () => {
    assert.deepEqual({ ...process.env }, envBefore);
    assert.notEqual(runtimes[0]!.rt.storageConnectionString, runtimes[1]!.rt.storageConnectionString);
    assert.notEqual(runtimes[0]!.rt.arm!.endpoint, runtimes[1]!.rt.arm!.endpoint);
  });

  test('the same VM name on each, created with its own settings; each journal and event log its own', async () => {
    const [a, b] = runtimes as [VmTestRuntime, VmTestRuntime];
    for (const t of runtimes) {
      const created = await t.api('POST', '/api/vms', {
        name: 'twin',
        size: 'small',
        sshPublicKey: sshPublicKey(),
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
    }
    const vms = await Promise.all(runtimes.map((t) => t.waitForStatus('twin', 'running')));
    assert.deepEqual(
      vms.map((v) => v.region),
      [...REGIONS],
    );
    // Each emulator holds only its own runtime's VM.
    for (const [i, t] of runtimes.entries()) {
      const state = (await t.emulator('GET', '/_emulator/state')).body;
      const locations = state.resources
        .filter((r: { type: string }) => r.type === 'Microsoft.Compute/virtualMachines')
        .map((r: { location: string }) => r.location);
      assert.deepEqual(locations, [REGIONS[i]]);
    }

    await ingest(a, 'twin', 'only in A');
    await ingest(b, 'twin', 'only in B');
    for (const [t, mine] of [
      [a, 'only in A'],
      [b, 'only in B'],
    ] as const) {
      const q = await t.api('GET', '/api/vms/twin/journal?unit=twin.service');
      assert.equal(q.status, 200, JSON.stringify(q.body));
      assert.deepEqual(
        q.body.items.map((e: { message: string }) => e.message),
        [mine],
      );
    }

    // One queued event for one VM in each event log.
    for (const t of runtimes) {
      const events = await t.api('GET', '/api/events?limit=100');
      assert.equal(events.status, 200);
      const queued = events.body.filter((e: { type: string }) => e.type === 'vmjournal.vm.queued');
      assert.equal(queued.length, 1);
    }
  });

  test('deleting in one leaves the other', async () => {
    const [a, b] = runtimes as [VmTestRuntime, VmTestRuntime];
    assert.equal((await a.api('DELETE', '/api/vms/twin')).status, 202);
    await a.waitForStatus('twin', 'deleted');
    assert.deepEqual((await a.emulator('GET', '/_emulator/state')).body.resourceGroups, []);
    assert.equal((await b.api('GET', '/api/vms/twin')).body.status, 'running');
  });
});
