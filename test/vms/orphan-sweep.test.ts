// The orphan sweep against the local runtime: groups planted in the emulator, the timer function run
// through the host, then the sweep with no grace period for the failed VM.
// Response bodies are JSON checked by assertions; `any` keeps the test readable.
/* eslint-disable @typescript-eslint/no-explicit-any */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ResourceManagementClient } from '@azure/arm-resources';

import { staticTokenCredential } from '../../lib/arm/clients';
import { sweepOrphans } from '../../lib/vms/orphans';
import { LOCAL_SUBSCRIPTION_ID } from '../../local/runtime';
import { checkRoleCoverage, loadRoleActions, withImpliedActions } from '../infra/role-coverage';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

let t: VmTestRuntime;
let resources: ResourceManagementClient;
const key = sshPublicKey();

before(async () => {
  t = await startVmRuntime();
  const arm = t.rt.arm!;
  resources = new ResourceManagementClient(staticTokenCredential('t'), LOCAL_SUBSCRIPTION_ID, {
    endpoint: arm.endpoint,
    tlsOptions: { ca: arm.caPem },
  });
});
after(async () => {
  await t?.dispose();
});

const plant = (name: string, tags?: Record<string, string>) =>
  resources.resourceGroups.createOrUpdate(name, { location: 'westeurope', ...(tags ? { tags } : {}) });

async function groups(): Promise<string[]> {
  const out: string[] = [];
  for await (const g of resources.resourceGroups.list())
    if (g.properties?.provisioningState !== 'Deleting') out.push(g.name!);
  return out.sort();
}

const sweepEvents = async () =>
  ((await t.api('GET', '/api/events?limit=1000')).body as any[]).filter(
    (e) => e.type === 'vmjournal.vm.orphan.deleted',
  );

test('the timer deletes groups without a VM record, keeps live, recent-failed, foreign and untagged ones', async () => {
  assert.equal((await t.api('POST', '/api/vms', { name: 'live1', sshPublicKey: key })).status, 202);
  await t.waitForStatus('live1', 'running');
  await t.emulator('PUT', '/_emulator/faults', [
    { kind: 'allocationFailed', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 },
  ]);
  assert.equal((await t.api('POST', '/api/vms', { name: 'fail1', sshPublicKey: key })).status, 202);
  await t.waitForStatus('fail1', 'failed');

  await plant('vmj-ghost', { 'vm-journal': 'ghost' }); // no record
  await plant('vmj-fail1', { 'vm-journal': 'fail1' }); // left after a failure, within the grace period
  await plant('other-ghost2', { 'vm-journal': 'ghost2' }); // another deployment's prefix
  await plant('vmj-untagged'); // not the app's

  await t.rt.host.invoke({ functionName: 'orphanSweep', triggerData: { json: '{"IsPastDue":false}' } });
  assert.deepEqual(await groups(), ['other-ghost2', 'vmj-fail1', 'vmj-live1', 'vmj-untagged']);
  const events = await sweepEvents();
  assert.deepEqual(events.map((e) => [e.subject, e.data.resourceGroup, e.data.reason]).sort(), [
    ['ghost', 'vmj-ghost', 'no-record'],
  ]);
  assert.equal((await t.api('GET', '/api/vms/live1')).body.status, 'running');
});

test('a failed VM group is deleted once the grace period is over; a second sweep finds nothing', async () => {
  const swept = await sweepOrphans(t.services, { graceMs: 0 });
  assert.deepEqual(swept, [{ resourceGroup: 'vmj-fail1', vm: 'fail1', reason: 'failed' }]);
  assert.deepEqual(await groups(), ['other-ghost2', 'vmj-live1', 'vmj-untagged']);
  assert.deepEqual(await sweepOrphans(t.services, { graceMs: 0 }), []);
  assert.equal((await sweepEvents()).length, 2);
});

test('the sweep needs only actions the provisioning role grants', async () => {
  const ops = (await t.emulator('GET', '/_emulator/operations')).body.value as { rbacAction: string }[];
  const used = withImpliedActions(ops.map((o) => o.rbacAction).filter(Boolean));
  assert.ok(used.includes('Microsoft.Resources/subscriptions/resourceGroups/read'));
  assert.deepEqual(checkRoleCoverage(loadRoleActions(), used).missing, []);
});
