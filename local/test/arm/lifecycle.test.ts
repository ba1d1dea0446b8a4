// Full VM lifecycle with the real SDK clients against the in-process emulator.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { GuestInfo } from '../../arm';
import { createNetwork, type Harness, LOC, startHarness, vmParameters } from './helpers';

let h: Harness;
const boots: GuestInfo[] = [];
let stops = 0;

before(async () => {
  h = await startHarness({
    onGuestBoot: (g) => {
      boots.push(g);
      return { stop: () => Promise.resolve(void stops++) };
    },
  });
});
after(() => h.dispose());

const powerOf = async (rg: string, vm: string) =>
  (await h.compute.virtualMachines.instanceView(rg, vm)).statuses?.find((s) =>
    s.code?.startsWith('PowerState/'),
  )?.code;

test('create network and VM, power operations, cascade delete leaves nothing', async () => {
  const rg = 'vmj-life';
  const n = await createNetwork(h, rg);
  assert.equal(n.vnet.provisioningState, 'Succeeded');
  assert.equal(n.nic.ipConfigurations?.[0]?.privateIPAddress, '10.0.0.4');
  assert.match((await h.network.publicIPAddresses.get(rg, 'vm1-ip')).ipAddress ?? '', /^198\.1[89]\./);

  const customData = '#cloud-config\nwrite_files: []\n';
  const poller = await h.compute.virtualMachines.createOrUpdate(
    rg,
    'vm1',
    vmParameters(n.nic.id!, { customData: Buffer.from(customData).toString('base64') }),
  );
  assert.equal(poller.provisioningState, 'Succeeded');
  assert.equal(poller.osProfile?.customData, undefined, 'customData is write-only');
  assert.equal(await powerOf(rg, 'vm1'), 'PowerState/running');
  const withView = await h.compute.virtualMachines.get(rg, 'vm1', { expand: 'instanceView' });
  assert.ok(withView.instanceView?.statuses?.some((s) => s.code === 'ProvisioningState/succeeded'));

  assert.equal(boots.length, 1);
  assert.equal(boots[0]!.customData, customData);
  assert.equal(boots[0]!.privateIp, '10.0.0.4');
  assert.match(boots[0]!.publicIp ?? '', /^198\./);
  assert.equal(boots[0]!.adminUsername, 'azureuser');

  const nic = await h.network.networkInterfaces.get(rg, 'vm1-nic');
  assert.equal(nic.virtualMachine?.id?.toLowerCase(), withView.id?.toLowerCase());

  await h.compute.virtualMachines.powerOff(rg, 'vm1');
  assert.equal(await powerOf(rg, 'vm1'), 'PowerState/stopped');
  assert.equal(stops, 1);
  await h.compute.virtualMachines.deallocate(rg, 'vm1');
  assert.equal(await powerOf(rg, 'vm1'), 'PowerState/deallocated');
  await h.compute.virtualMachines.start(rg, 'vm1');
  assert.equal(await powerOf(rg, 'vm1'), 'PowerState/running');
  assert.equal(boots.length, 2);
  await h.compute.virtualMachines.restart(rg, 'vm1');
  assert.equal(await powerOf(rg, 'vm1'), 'PowerState/running');
  assert.equal(boots.length, 3);
  assert.equal(new Set(boots.map((b) => b.bootId)).size, 3, 'each boot has a new boot id');

  const listed = [];
  for await (const r of h.resources.resources.listByResourceGroup(rg)) listed.push(r.type);
  assert.deepEqual(listed.sort(), [
    'Microsoft.Compute/disks',
    'Microsoft.Compute/virtualMachines',
    'Microsoft.Network/networkInterfaces',
    'Microsoft.Network/networkSecurityGroups',
    'Microsoft.Network/publicIPAddresses',
    'Microsoft.Network/virtualNetworks',
  ]);

  // Subscription-wide lists, as `az vm list` uses them.
  const vms = [];
  for await (const v of h.compute.virtualMachines.listAll()) vms.push(v.name);
  assert.deepEqual(vms, ['vm1']);
  const nics = [];
  for await (const x of h.network.networkInterfaces.listAll()) nics.push(x.name);
  assert.deepEqual(nics, ['vm1-nic']);

  await h.resources.resourceGroups.beginDeleteAndWait(rg);
  assert.equal((await h.resources.resourceGroups.checkExistence(rg)).body, false);
  assert.equal(stops, 3, 'power off, restart and the cascade delete each stop the guest once');
  const state = (await (await fetchAdmin('/_emulator/state')).json()) as {
    resources: unknown[];
    guests: unknown[];
  };
  assert.deepEqual(state.resources, []);
  assert.deepEqual(state.guests, []);
});

test('VM delete honours deleteOption for disk, NIC and public IP', async () => {
  const rg = 'vmj-delete';
  const n = await createNetwork(h, rg, 'vm2');
  await h.compute.virtualMachines.createOrUpdate(rg, 'vm2', vmParameters(n.nic.id!, { computerName: 'vm2' }));
  await h.compute.virtualMachines.delete(rg, 'vm2');
  const left = [];
  for await (const r of h.resources.resources.listByResourceGroup(rg)) left.push(r.type);
  assert.deepEqual(left.sort(), [
    'Microsoft.Network/networkSecurityGroups',
    'Microsoft.Network/virtualNetworks',
  ]);
  await h.network.virtualNetworks.beginDeleteAndWait(rg, 'vm2-vnet');
  await h.network.networkSecurityGroups.beginDeleteAndWait(rg, 'vm2-nsg');
  await h.resources.resourceGroups.beginDeleteAndWait(rg);
});

test('resource SKUs for a region carry vCPUs, MemoryGB and restrictions', async () => {
  const skus = [];
  for await (const s of h.compute.resourceSkus.list({ filter: `location eq '${LOC}'` })) skus.push(s);
  const b2s = skus.find((s) => s.name === 'Standard_B2s');
  assert.equal(b2s?.capabilities?.find((c) => c.name === 'vCPUs')?.value, '2');
  assert.equal(b2s?.capabilities?.find((c) => c.name === 'MemoryGB')?.value, '4');
  assert.deepEqual(b2s?.locations, [LOC]);
  const restricted = skus.find((s) => s.restrictions?.length);
  assert.equal(restricted?.restrictions?.[0]?.reasonCode, 'NotAvailableForSubscription');
});

test('the operation record names the RBAC action of every call, join actions included', () => {
  const ops = h.arm.operations();
  const actions = new Set(ops.map((o) => o.rbacAction));
  for (const a of [
    'Microsoft.Resources/subscriptions/resourceGroups/write',
    'Microsoft.Resources/subscriptions/resourceGroups/delete',
    'Microsoft.Resources/subscriptions/operationresults/read',
    'Microsoft.Network/virtualNetworks/write',
    'Microsoft.Network/virtualNetworks/subnets/join/action',
    'Microsoft.Network/networkSecurityGroups/join/action',
    'Microsoft.Network/publicIPAddresses/join/action',
    'Microsoft.Network/networkInterfaces/join/action',
    'Microsoft.Compute/virtualMachines/write',
    'Microsoft.Compute/virtualMachines/start/action',
    'Microsoft.Compute/virtualMachines/powerOff/action',
    'Microsoft.Compute/virtualMachines/deallocate/action',
    'Microsoft.Compute/virtualMachines/restart/action',
    'Microsoft.Compute/virtualMachines/instanceView/read',
    'Microsoft.Compute/virtualMachines/delete',
    'Microsoft.Compute/disks/delete',
    'Microsoft.Compute/locations/operations/read',
    'Microsoft.Compute/skus/read',
  ]) {
    assert.ok(actions.has(a), `missing ${a}`);
  }
  const vmPut = ops.find(
    (o) => o.method === 'PUT' && o.rbacAction === 'Microsoft.Compute/virtualMachines/write',
  );
  assert.deepEqual(
    { apiVersion: vmPut?.apiVersion, resourceType: vmPut?.resourceType, status: vmPut?.status },
    { apiVersion: '2026-03-01', resourceType: 'Microsoft.Compute/virtualMachines', status: 201 },
  );
  assert.ok(ops.every((o) => o.rbacAction !== null));
});

function fetchAdmin(path: string, init?: { method?: string; body?: string }) {
  return adminRequest(h, path, init);
}

export async function adminRequest(
  harness: Harness,
  path: string,
  init: { method?: string; body?: string } = {},
) {
  const { request } = await import('node:https');
  return new Promise<{ status: number; json(): Promise<unknown> }>((resolve, reject) => {
    const req = request(
      `${harness.arm.endpoint}${path}`,
      {
        method: init.method ?? 'GET',
        ca: harness.arm.caPem,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            json: () => Promise.resolve(text ? JSON.parse(text) : undefined),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
