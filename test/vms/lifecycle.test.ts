// The whole path: HTTP → command queue → orchestration → ARM emulator → tables, for one VM's life
// (create, power operations, delete) and a create that ARM refuses; then the least-privilege role is
// checked against the ARM calls the emulator recorded for all of it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { QueueClient } from '@azure/storage-queue';

import { enqueueCommand } from '../../lib/vms/commands';
import { getVm } from '../../lib/vms/store';
import { eventually } from '../helpers/runtime';
import {
  actionsFromOperations,
  checkRoleCoverage,
  loadRoleActions,
  loadUsedActions,
  usedActionsFixturePath,
  withImpliedActions,
} from '../infra/role-coverage';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

let t: VmTestRuntime;
const key = sshPublicKey();

before(async () => {
  t = await startVmRuntime({ env: { VM_SSH_SOURCE_CIDR: '203.0.113.0/24' } });
});
after(async () => {
  await t?.dispose();
});

describe('VM lifecycle through the real path', () => {
  test('create → running with public and private IP; get and list', async () => {
    const created = await t.api('POST', '/api/vms', { name: 'web1', size: 'small', sshPublicKey: key });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.status, 'queued');
    assert.equal(created.headers.get('location'), t.url('/api/vms/web1'));
    assert.equal(created.body.vmSize, 'Standard_B2ls_v2');
    assert.equal(created.body.publicIp, null);

    const dup = await t.api('POST', '/api/vms', { name: 'web1', sshPublicKey: key });
    assert.equal(dup.status, 409);
    assert.match(dup.headers.get('content-type') ?? '', /problem\+json/);

    const vm = await t.waitForStatus('web1', 'running');
    assert.match(vm.publicIp, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(vm.privateIp, /^10\.0\.0\.\d+$/);
    const names = vm.provisioning.steps.map((s: { name: string }) => s.name);
    for (const n of [
      'resourceGroup',
      'virtualNetwork',
      'networkSecurityGroup',
      'publicIp',
      'networkInterface',
      'virtualMachine',
      'publicIpAddress',
    ])
      assert.ok(names.includes(n), `step ${n} in ${names.join(',')}`);
    assert.ok(
      vm.provisioning.steps.every(
        (s: { status: string; endedAt?: string }) => s.status === 'succeeded' && s.endedAt,
      ),
    );

    const list = await t.api('GET', '/api/vms?status=running');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.items.map((v: { name: string }) => v.name),
      ['web1'],
    );
    assert.equal((await t.api('GET', '/api/vms?status=stopped')).body.items.length, 0);

    // What ARM got: SSH only from the configured CIDR, no password, customData with the agent.
    const state = (await t.emulator('GET', '/_emulator/state')).body;
    const nsg = state.resources.find(
      (r: { type: string }) => r.type === 'Microsoft.Network/networkSecurityGroups',
    );
    const rules = nsg.properties.securityRules;
    assert.equal(rules.length, 1);
    assert.equal(rules[0].properties.sourceAddressPrefix, '203.0.113.0/24');
    assert.equal(rules[0].properties.destinationPortRange, '22');
    const armVm = state.resources.find(
      (r: { type: string }) => r.type === 'Microsoft.Compute/virtualMachines',
    );
    assert.equal(armVm.properties.osProfile.linuxConfiguration.disablePasswordAuthentication, true);
    assert.match(String(armVm.internal.customData), /^#cloud-config/);
    assert.match(String(armVm.internal.customData), /\/api\/vms\/web1\/journal/);
  });

  test('a redelivered command does nothing twice (while pending, and after the VM is running)', async () => {
    const writesFor = async (name: string) =>
      (
        (await t.emulator('GET', '/_emulator/operations')).body.value as {
          method: string;
          path: string;
          linked?: boolean; // the checks a write implies (joins), recorded as extra entries
        }[]
      ).filter((o) => !o.linked && o.method !== 'GET' && o.path.includes(`-${name}`)).length;
    assert.equal((await t.api('POST', '/api/vms', { name: 'redo1', sshPublicKey: key })).status, 202);
    const pending = (await getVm(t.services, 'redo1'))!.record;
    const command = {
      v: 1 as const,
      name: 'redo1',
      kind: 'create' as const,
      seq: pending.seq,
      requestId: pending.requestId,
    };
    await enqueueCommand(t.services, command); // delivered again while the first is being handled
    const running = await t.waitForStatus('redo1', 'running');
    const writes = await writesFor('redo1');
    assert.equal(writes, 6, 'one PUT per resource');

    await enqueueCommand(t.services, command); // and again once it is done
    const queue = new QueueClient(t.rt.storageConnectionString, 'vm-commands');
    await eventually(async () => (await queue.getProperties()).approximateMessagesCount === 0);
    await new Promise((r) => setTimeout(r, 300)); // a (wrong) second orchestration would have started
    assert.equal(await writesFor('redo1'), writes);
    const after = (await t.api('GET', '/api/vms/redo1')).body;
    assert.equal(after.status, 'running');
    assert.equal(after.updatedAt, running.updatedAt);

    assert.equal((await t.api('DELETE', '/api/vms/redo1')).status, 202);
    await t.waitForStatus('redo1', 'deleted');
  });

  test('stop, start, restart, deallocate; a transition the status forbids is 409', async () => {
    const stop = await t.api('POST', '/api/vms/web1/stop');
    assert.equal(stop.status, 202);
    assert.equal(stop.body.status, 'stopping');
    assert.equal((await t.api('POST', '/api/vms/web1/restart')).status, 409, 'restart while stopping');
    await t.waitForStatus('web1', 'stopped');
    assert.equal((await t.api('POST', '/api/vms/web1/stop')).status, 409, 'stop a stopped VM');
    assert.equal((await t.api('POST', '/api/vms/web1/start')).status, 202);
    await t.waitForStatus('web1', 'running');
    assert.equal((await t.api('POST', '/api/vms/web1/restart')).status, 202);
    await t.waitForStatus('web1', 'running');
    assert.equal((await t.api('POST', '/api/vms/web1/deallocate')).status, 202);
    await t.waitForStatus('web1', 'deallocated');
    assert.equal((await t.api('POST', '/api/vms/web1/restart')).status, 409, 'restart a deallocated VM');
    const refused = await t.api('POST', '/api/vms/web1/redeploy');
    assert.equal(refused.status, 409, 'redeploy a deallocated VM');
    assert.match(refused.body.detail, /allowed from: running, stopped/);
    assert.equal((await t.api('POST', '/api/vms/web1/start')).status, 202);
    const vm = await t.waitForStatus('web1', 'running');
    assert.ok(vm.publicIp);
    assert.equal((await t.api('POST', '/api/vms/nope/start')).status, 404);
  });

  test('redeploy: the VM moves to another host and runs again with its addresses; events say so', async () => {
    const before = (await t.api('GET', '/api/vms/web1')).body;
    assert.equal(before.status, 'running');
    const redeploy = await t.api('POST', '/api/vms/web1/redeploy');
    assert.equal(redeploy.status, 202, JSON.stringify(redeploy.body));
    assert.equal(redeploy.body.status, 'redeploying');
    assert.equal(redeploy.body.operation.name, 'redeploy');
    assert.equal((await t.api('POST', '/api/vms/web1/stop')).status, 409, 'stop while redeploying');
    const vm = await t.waitForStatus('web1', 'running');
    assert.equal(vm.operation.name, 'redeploy');
    assert.deepEqual(
      vm.provisioning.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [['redeploy', 'succeeded']],
    );
    assert.equal(vm.publicIp, before.publicIp);
    assert.equal(vm.privateIp, before.privateIp);
    const ops = (await t.emulator('GET', '/_emulator/operations')).body.value as { rbacAction?: string }[];
    assert.ok(
      ops.some((o) => o.rbacAction === 'Microsoft.Compute/virtualMachines/redeploy/action'),
      'ARM was asked to redeploy',
    );
    const events = (await t.api('GET', '/api/events?limit=1000')).body as {
      type: string;
      subject: string;
      data: { command?: string; status?: string };
    }[];
    const mine = events.filter((e) => e.subject === 'web1');
    const power = mine.filter((e) => e.data.command === 'redeploy');
    assert.equal(power.length, 1, JSON.stringify(mine.map((e) => e.type)));
    assert.equal(power[0]!.data.status, 'running');
  });

  test('delete removes the VM and everything created for it', async () => {
    const del = await t.api('DELETE', '/api/vms/web1');
    assert.equal(del.status, 202);
    assert.equal(del.body.status, 'deleting');
    const vm = await t.waitForStatus('web1', 'deleted');
    assert.equal(vm.publicIp, null);
    const state = (await t.emulator('GET', '/_emulator/state')).body;
    assert.deepEqual(state.resourceGroups, []);
    assert.deepEqual(state.resources, []);
    assert.equal((await t.api('DELETE', '/api/vms/web1')).status, 404);
  });

  test('AllocationFailed → failed with the ARM error, and nothing left in ARM', async () => {
    await t.emulator('PUT', '/_emulator/faults', [
      { kind: 'allocationFailed', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 },
    ]);
    assert.equal(
      (await t.api('POST', '/api/vms', { name: 'big1', size: 'large', sshPublicKey: key })).status,
      202,
    );
    const vm = await t.waitForStatus('big1', 'failed');
    assert.equal(vm.provisioning.error.code, 'AllocationFailed');
    assert.equal(vm.provisioning.error.step, 'virtualMachine');
    const state = (await t.emulator('GET', '/_emulator/state')).body;
    assert.deepEqual(state.resourceGroups, []);
    assert.deepEqual(state.resources, []);
    // A failed VM can be deleted (nothing left to remove) and its name reused.
    assert.equal((await t.api('DELETE', '/api/vms/big1')).status, 202);
    await t.waitForStatus('big1', 'deleted');
  });

  test('a refused resource group or network resource → failed at that step, nothing left in ARM', async () => {
    for (const [name, resourceType, step] of [
      ['quota1', 'Microsoft.Resources/resourceGroups', 'resourceGroup'],
      ['quota2', 'Microsoft.Network/publicIPAddresses', 'publicIp'],
    ] as const) {
      await t.emulator('PUT', '/_emulator/faults', [{ kind: 'quotaExceeded', resourceType, count: 1 }]);
      assert.equal((await t.api('POST', '/api/vms', { name, sshPublicKey: key })).status, 202);
      const vm = await t.waitForStatus(name, 'failed');
      assert.equal(vm.provisioning.error.code, 'QuotaExceeded');
      assert.equal(vm.provisioning.error.step, step);
      const steps = Object.fromEntries(
        (vm.provisioning.steps as { name: string; status: string }[]).map((x) => [x.name, x.status]),
      );
      assert.equal(steps[step], 'failed');
      assert.equal(steps.cleanup, 'succeeded');
      if (step === 'resourceGroup') assert.equal(steps.virtualNetwork, undefined, 'nothing begun');
      const state = (await t.emulator('GET', '/_emulator/state')).body;
      assert.deepEqual(state.resourceGroups, []);
      assert.deepEqual(state.resources, []);
    }
  });

  test('the provisioning role grants exactly the ARM actions used', async () => {
    // The orphan sweep timer is part of what the app does with the role.
    await t.rt.host.invoke({ functionName: 'orphanSweep', triggerData: { json: '{"IsPastDue":false}' } });
    const ops = (await t.emulator('GET', '/_emulator/operations')).body.value;
    const used = withImpliedActions(actionsFromOperations(ops));
    const coverage = checkRoleCoverage(loadRoleActions(), used);
    if (process.env.UPDATE_FIXTURES)
      writeFileSync(usedActionsFixturePath, `${JSON.stringify(used, null, 2)}\n`);
    assert.deepEqual(coverage, { missing: [], unused: [] });
    assert.deepEqual(loadUsedActions(), used);
  });
});
