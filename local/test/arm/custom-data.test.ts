// customData is fixed at creation, as on Azure: a re-PUT may repeat it or leave it out, never change it
// (409 PropertyChangeNotAllowed, ARM's own message). And the responseLost fault: ARM carries out a PUT
// whose answer never reaches the caller, the case where a retried create must send the same body.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';

import { ComputeManagementClient } from '@azure/arm-compute';
import type { RestError } from '@azure/core-rest-pipeline';

import {
  createNetwork,
  type Harness,
  sdkOptions,
  startHarness,
  staticTokenCredential,
  vmParameters,
} from './helpers';

let h: Harness;
let nicId: string;
const RG = 'vmj-customdata';
const boots: string[] = [];
const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  h = await startHarness({
    onGuestBoot: (g) => {
      boots.push(g.vmName);
      return { stop: async () => {} };
    },
  });
  nicId = (await createNetwork(h, RG)).nic.id!;
});
after(() => h.dispose());

function keepNic(customData?: string) {
  const p = vmParameters(nicId, { computerName: 'vm-cd', customData: customData ?? b64('#cloud-config\n') });
  p.networkProfile.networkInterfaces[0]!.deleteOption = 'Detach' as never;
  if (customData === undefined) delete (p.osProfile as { customData?: string }).customData;
  return p as never;
}

test('a re-PUT with other customData is refused with PropertyChangeNotAllowed; the same or none is accepted', async () => {
  const first = b64('#cloud-config\nwrite_files: [{path: /etc/a, content: one}]\n');
  await h.compute.virtualMachines.createOrUpdate(RG, 'vm-cd', keepNic(first));
  const same = await h.compute.virtualMachines.createOrUpdate(RG, 'vm-cd', keepNic(first));
  assert.equal(same.provisioningState, 'Succeeded');
  const without = await h.compute.virtualMachines.createOrUpdate(RG, 'vm-cd', keepNic());
  assert.equal(without.provisioningState, 'Succeeded');
  await assert.rejects(
    h.compute.virtualMachines.createOrUpdate(
      RG,
      'vm-cd',
      keepNic(b64('#cloud-config\nwrite_files: [{path: /etc/a, content: two}]\n')),
    ),
    (e: RestError) =>
      e.statusCode === 409 &&
      e.code === 'PropertyChangeNotAllowed' &&
      e.message === "Changing property 'customData' is not allowed.",
  );
  assert.deepEqual(boots, ['vm-cd'], 'a re-PUT does not boot the guest again');
  await h.compute.virtualMachines.delete(RG, 'vm-cd');
});

test('responseLost: the PUT is carried out, the caller sees the connection drop', async () => {
  const noRetry = new ComputeManagementClient(
    staticTokenCredential('local-test-token'),
    '00000000-0000-4000-8000-000000000001',
    sdkOptions(h.arm, { retryOptions: { maxRetries: 0 } }),
  );
  const put = (rules: unknown) =>
    new Promise<void>((resolve, reject) => {
      const req = request(`${h.arm.endpoint}/_emulator/faults`, { method: 'PUT', ca: h.arm.caPem }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify(rules));
    });
  await put([{ kind: 'responseLost', resourceType: 'Microsoft.Compute/virtualMachines', count: 1 }]);
  await assert.rejects(
    noRetry.virtualMachines.beginCreateOrUpdate(RG, 'vm-lost', keepNic(b64('#cloud-config\n'))),
    (e: RestError) => e.statusCode === undefined,
  );
  const vm = await h.compute.virtualMachines.get(RG, 'vm-lost');
  assert.ok(['Creating', 'Succeeded'].includes(vm.provisioningState!), vm.provisioningState);
  const records = h.arm
    .operations()
    .filter((o) => o.method === 'PUT' && !o.linked && /vm-lost$/.test(o.path));
  assert.deepEqual(
    records.map((o) => o.status),
    [201],
    'the emulator accepted the PUT it did not answer',
  );
});
