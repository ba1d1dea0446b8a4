// A subscription where Microsoft.Compute / Microsoft.Network are not registered: the app does not
// register them (its role has no register/action; the deploy does it), it says which one is missing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { ResourceManagementClient } from '@azure/arm-resources';

import { staticTokenCredential } from '../../lib/arm/clients';
import { LOCAL_SUBSCRIPTION_ID } from '../../local/runtime';
import { eventually } from '../helpers/runtime';
import { sshPublicKey, startVmRuntime, type VmTestRuntime } from './helpers';

const key = sshPublicKey();
const started: VmTestRuntime[] = [];
after(async () => {
  await Promise.all(started.map((t) => t.dispose()));
});

describe('unregistered resource providers', () => {
  test('Microsoft.Compute unregistered: the create answers 503 problem+json naming it, records nothing', async () => {
    const t = await startVmRuntime({ arm: { unregisteredProviders: ['Microsoft.Compute'] } });
    started.push(t);
    try {
      const r = await t.api('POST', '/api/vms', { name: 'fresh1', sshPublicKey: key });
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(r.body.detail, /Microsoft\.Compute/);
      assert.match(r.body.detail, /az provider register/);
      assert.equal((await t.api('GET', '/api/vms/fresh1')).status, 404);
    } finally {
      started.pop();
      await t.dispose();
    }
  });

  test('Microsoft.Network unregistered: the VM fails with MissingSubscriptionRegistration naming it; after registering, a new VM runs', async () => {
    const t = await startVmRuntime({ arm: { unregisteredProviders: ['Microsoft.Network'] } });
    started.push(t);
    const r = await t.api('POST', '/api/vms', { name: 'fresh2', sshPublicKey: key });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const vm = await t.waitForStatus('fresh2', 'failed');
    assert.equal(vm.provisioning.error.code, 'MissingSubscriptionRegistration');
    assert.match(vm.provisioning.error.message, /Microsoft\.Network/);

    // What `az provider register --namespace Microsoft.Network` does (the deploy's hook).
    const arm = t.rt.arm!;
    const resources = new ResourceManagementClient(staticTokenCredential('t'), LOCAL_SUBSCRIPTION_ID, {
      endpoint: arm.endpoint,
      tlsOptions: { ca: arm.caPem },
    });
    await resources.providers.register('Microsoft.Network');
    await eventually(async () =>
      (await resources.providers.get('Microsoft.Network')).registrationState === 'Registered'
        ? true
        : undefined,
    );
    assert.equal((await t.api('POST', '/api/vms', { name: 'fresh3', sshPublicKey: key })).status, 202);
    await t.waitForStatus('fresh3', 'running');
  });
});
