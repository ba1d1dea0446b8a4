// Fault injection, seen through the real SDK clients and their retry policies.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, beforeEach, test } from 'node:test';

import type { RestError } from '@azure/core-rest-pipeline';

import type { FaultRule } from '../../arm';
import { createNetwork, type Harness, LOC, rgId, startHarness, vmParameters } from './helpers';

let h: Harness;
let nicId: string;
const RG = 'vmj-faults';

// Short SDK retry delays keep the 5xx/reset cases fast; 429 waits what Retry-After says.
before(async () => {
  h = await startHarness({}, undefined, { retryOptions: { retryDelayInMs: 20, maxRetryDelayInMs: 100 } });
  nicId = (await createNetwork(h, RG)).nic.id!;
});
after(() => h.dispose());
beforeEach(() => admin('DELETE', '/_emulator/faults'));

function admin(method: string, path: string, body?: unknown) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${h.arm.endpoint}${path}`, { method, ca: h.arm.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const setFaults = async (rules: FaultRule[]) =>
  assert.equal((await admin('PUT', '/_emulator/faults', rules)).status, 200);
const statuses = (type: string, since: number) =>
  h.arm
    .operations()
    .slice(since)
    .filter((o) => o.resourceType === type && o.method === 'PUT' && !o.linked)
    .map((o) => o.status);
/** VM parameters whose NIC survives VM deletion (the helpers' default deletes it with the VM). */
function keepNic(name: string) {
  const p = vmParameters(nicId, { computerName: name });
  p.networkProfile.networkInterfaces[0]!.deleteOption = 'Detach' as never;
  return p as never;
}
const nsg = (name: string) =>
  h.network.networkSecurityGroups.beginCreateOrUpdateAndWait(RG, name, { location: LOC });

test('429 with Retry-After: the SDK waits as told, then succeeds', async () => {
  await setFaults([
    {
      kind: 'throttle',
      resourceType: 'Microsoft.Network/networkSecurityGroups',
      count: 1,
      retryAfterSeconds: 1,
    },
  ]);
  const since = h.arm.operations().length;
  const t0 = Date.now();
  await nsg('nsg-429');
  assert.ok(Date.now() - t0 >= 950, `retried after ${Date.now() - t0} ms`);
  assert.deepEqual(statuses('Microsoft.Network/networkSecurityGroups', since), [429, 201]);
});

test('500 and connection reset are retried by the SDK', async () => {
  await setFaults([
    { kind: 'serverError', resourceType: 'Microsoft.Network/networkSecurityGroups', count: 2 },
    { kind: 'connectionReset', resourceType: 'Microsoft.Network/networkSecurityGroups', count: 1 },
  ]);
  const since = h.arm.operations().length;
  await nsg('nsg-5xx');
  assert.deepEqual(statuses('Microsoft.Network/networkSecurityGroups', since), [500, 500, 0, 201]);
});

test('AllocationFailed: accepted, then the operation fails and the VM is Failed', async () => {
  await setFaults([
    { kind: 'allocationFailed', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 },
  ]);
  await assert.rejects(
    h.compute.virtualMachines.createOrUpdate(RG, 'vm-alloc', keepNic('vm-alloc')),
    (e: RestError) => /AllocationFailed/.test(`${e.code} ${e.message}`),
  );
  const vm = await h.compute.virtualMachines.get(RG, 'vm-alloc');
  assert.equal(vm.provisioningState, 'Failed');
  // The fault is spent: deleting and creating again works.
  await h.compute.virtualMachines.delete(RG, 'vm-alloc');
  const ok = await h.compute.virtualMachines.createOrUpdate(RG, 'vm-alloc', keepNic('vm-alloc'));
  assert.equal(ok.provisioningState, 'Succeeded');
  await h.compute.virtualMachines.delete(RG, 'vm-alloc');
});

test('QuotaExceeded is a synchronous 409', async () => {
  await setFaults([{ kind: 'quotaExceeded', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 }]);
  await assert.rejects(
    h.compute.virtualMachines.createOrUpdate(RG, 'vm-quota', keepNic('vm-quota')),
    (e: RestError) => e.statusCode === 409 && e.code === 'QuotaExceeded',
  );
  await assert.rejects(h.compute.virtualMachines.get(RG, 'vm-quota'), (e: RestError) => e.statusCode === 404);
});

test('rate-based rules fire with their probability; reads are untouched by write rules', async () => {
  await setFaults([{ kind: 'serverError', rate: 1, count: 1 }]);
  const since = h.arm.operations().length;
  await h.network.networkSecurityGroups.get(RG, 'nsg-429');
  await nsg('nsg-rate');
  assert.deepEqual(statuses('Microsoft.Network/networkSecurityGroups', since), [500, 201]);
  const listed = JSON.parse((await admin('GET', '/_emulator/faults')).body) as {
    rules: Array<{ fired: number }>;
  };
  assert.equal(listed.rules[0]?.fired, 1);
});

test('fault rules are validated, naming the bad field', async () => {
  const bad = await admin('PUT', '/_emulator/faults', [{ kind: 'meteor', count: 1 }]);
  assert.equal(bad.status, 400);
  assert.match(bad.body, /kind/);
  const neither = await admin('PUT', '/_emulator/faults', [{ kind: 'throttle' }]);
  assert.equal(neither.status, 400);
  const notJson = await admin('PUT', '/_emulator/faults', undefined);
  assert.equal(notJson.status, 400);
});

test('per-principal token buckets: 250 reads burst, then 429 SubscriptionRequestsThrottled', async (t) => {
  const th = await startHarness({ throttle: true });
  t.after(() => th.dispose());
  const get = (token: string) =>
    new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
      const req = request(
        `${th.arm.endpoint}${rgId('none')}?api-version=2025-04-01`,
        { method: 'HEAD', ca: th.arm.caPem, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  // Sequential requests also refill the bucket (25/s), so the first 429 comes a little after 250.
  let ok = 0;
  let throttled: { status: number; retryAfter?: string } | undefined;
  while (!throttled && ok < 400) {
    const r = await get('principal-a');
    if (r.status === 429) throttled = r;
    else ok++;
  }
  assert.ok(ok >= 250 && ok < 400, `${ok} reads before the first 429`);
  assert.ok(Number(throttled?.retryAfter) >= 1);
  assert.equal((await get('principal-b')).status, 404, 'another principal has its own bucket');
});
