// The ARM steps and resumable LRO polling against the ARM emulator, with the real SDK clients built by
// lib/arm/clients.ts from settings (no Functions host, no Durable): begin returns at once, pollOnce
// resumes from the serialized state, failures carry ARM's error code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type LroStatus, pollOnce } from '../../lib/provisioning/lro';
import * as steps from '../../lib/provisioning/steps';
import { createServices, type Services } from '../../lib/services';
import type { VmSpec } from '../../lib/vms/record';
import { type Harness, LOC, sshPublicKey, startHarness, SUB } from '../arm/helpers';

let h: Harness;
let services: Services;

before(async () => {
  // Over a second: the SDK's first poll does not see the end, so pollOnce resumes and finishes.
  h = await startHarness({ lroMs: 1200, publicIpDelayMs: 100 });
  services = createServices({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    AZURE_SUBSCRIPTION_ID: SUB,
    AZURE_ARM_ENDPOINT: h.arm.endpoint,
    AZURE_ARM_CA_FILE: h.arm.caFile,
    AZURE_ARM_STATIC_TOKEN: 'test-token',
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
    VM_SSH_SOURCE_CIDR: '203.0.113.0/24',
  });
});

after(async () => {
  await h.dispose();
});

const spec = (name: string): VmSpec => ({
  name,
  size: 'small',
  vmSize: 'Standard_B2s',
  cpu: 2,
  memoryGiB: 4,
  diskGiB: 30,
  region: LOC,
  image: 'Canonical:ubuntu-24_04-lts:server:latest',
  sshPublicKey: sshPublicKey(),
  adminUsername: steps.ADMIN_USERNAME,
  resourceGroup: `rg-${name}`,
});

async function settle(first: LroStatus): Promise<LroStatus & { polls: number }> {
  let s = first;
  let polls = 0;
  while (s.status === 'running') {
    await new Promise((r) => setTimeout(r, s.status === 'running' ? s.retryAfterMs : 0));
    s = await pollOnce(services, s.kind, s.target, s.state);
    polls++;
  }
  return { ...s, polls };
}

describe('ARM steps', () => {
  test('create, power off, start, redeploy, delete', async () => {
    const s = spec('probe1');
    await steps.ensureResourceGroup(services, s);
    const net = await Promise.all([
      steps.beginVirtualNetwork(services, s),
      steps.beginNetworkSecurityGroup(services, s),
      steps.beginPublicIp(services, s),
    ]);
    for (const r of await Promise.all(net.map(settle))) assert.equal(r.status, 'succeeded');
    assert.equal((await settle(await steps.beginNetworkInterface(services, s))).status, 'succeeded');
    const vmBegin = await steps.beginVirtualMachine(
      services,
      s,
      Buffer.from('#cloud-config\n').toString('base64'),
    );
    assert.equal(vmBegin.status, 'running');
    const vm = await settle(vmBegin);
    assert.equal(vm.status, 'succeeded', JSON.stringify(vm));
    const ips = await steps.readAddresses(services, s);
    assert.match(String(ips.privateIp), /^10\.0\.0\.\d+$/);
    const off = await settle(await steps.beginVmAction(services, s, 'powerOff'));
    assert.equal(off.status, 'succeeded');
    assert.equal((await settle(await steps.beginVmAction(services, s, 'start'))).status, 'succeeded');
    // Redeploy powers the VM back on on its new host, whatever its power state was.
    assert.equal((await settle(await steps.beginVmAction(services, s, 'powerOff'))).status, 'succeeded');
    assert.equal((await settle(await steps.beginVmAction(services, s, 'redeploy'))).status, 'succeeded');
    const { compute } = await services.arm();
    const view = await compute.virtualMachines.instanceView(s.resourceGroup, s.name);
    assert.ok(
      view.statuses?.some((x) => x.code === 'PowerState/running'),
      JSON.stringify(view.statuses),
    );
    const del = await settle(await steps.beginDeleteResourceGroup(services, s));
    assert.equal(del.status, 'succeeded');
    assert.equal(
      (await steps.beginDeleteResourceGroup(services, s)).status,
      'succeeded',
      'deleting a gone group is done',
    );
  });

  test('a begin sends its one request: no immediate poll, no poll in the background', async () => {
    const s = spec('probe3');
    await steps.ensureResourceGroup(services, s);
    let before = (await operations()).length;
    const network = await Promise.all(
      [steps.beginVirtualNetwork, steps.beginNetworkSecurityGroup, steps.beginPublicIp].map((b) =>
        b(services, s),
      ),
    );
    // core-lro 2 polls once inside a begin: answered in-process, ARM sees only the PUTs.
    assert.deepEqual(
      (await operations())
        .slice(before)
        .map((o) => o.split(' ')[0])
        .sort(),
      ['PUT', 'PUT', 'PUT'],
    );
    for (const r of network) assert.equal(r.status, 'running');
    for (const r of await Promise.all(network.map(settle))) {
      assert.equal(r.status, 'succeeded');
      assert.equal(r.polls, 1);
    }
    assert.equal((await settle(await steps.beginNetworkInterface(services, s))).status, 'succeeded');
    for (const begin of [
      () => steps.beginVirtualMachine(services, s, ''),
      () => steps.beginVmAction(services, s, 'restart'),
    ]) {
      const begun = await begin();
      assert.equal(begun.status, 'running');
      before = (await operations()).length;
      // Longer than the LRO: a poller left running would have polled and fetched the VM by now.
      await new Promise((r) => setTimeout(r, 1800));
      assert.deepEqual((await operations()).slice(before), []);
      const done = await settle(begun);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.polls, 1);
    }
  });

  test('AllocationFailed ends the VM operation as failed with the ARM code', async () => {
    const s = spec('probe2');
    await steps.ensureResourceGroup(services, s);
    for (const b of [steps.beginVirtualNetwork, steps.beginNetworkSecurityGroup, steps.beginPublicIp])
      assert.equal((await settle(await b(services, s))).status, 'succeeded');
    assert.equal((await settle(await steps.beginNetworkInterface(services, s))).status, 'succeeded');
    const r = await settle(
      await (async () => {
        await setFaults([
          { kind: 'allocationFailed', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 },
        ]);
        return steps.beginVirtualMachine(services, s, '');
      })(),
    );
    assert.equal(r.status, 'failed');
    assert.equal(r.status === 'failed' && r.error.code, 'AllocationFailed');
  });
});

/** ARM's record of the requests it served (method and path), without linked access checks. */
async function operations(): Promise<string[]> {
  const body = (await emulator('GET', '/_emulator/operations')) as {
    value: { method: string; path: string; linked?: boolean }[];
  };
  return body.value.filter((o) => !o.linked).map((o) => `${o.method} ${o.path}`);
}

const setFaults = (rules: unknown[]) => emulator('PUT', '/_emulator/faults', rules);

async function emulator(method: string, path: string, body?: unknown): Promise<unknown> {
  const { request } = await import('node:https');
  return new Promise((ok, fail) => {
    const req = request(
      `${h.arm.endpoint}${path}`,
      { method, ca: h.arm.caPem, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          res.statusCode! < 300
            ? ok(text ? JSON.parse(text) : undefined)
            : fail(new Error(`${method} ${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
