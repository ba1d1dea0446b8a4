// A fresh subscription: Microsoft.Compute and Microsoft.Network unregistered until registered.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { RestError } from '@azure/core-rest-pipeline';

import { type Harness, LOC, startHarness } from './helpers';

let h: Harness;
before(async () => {
  h = await startHarness({ unregisteredProviders: ['Microsoft.Compute', 'Microsoft.Network'] });
});
after(() => h.dispose());

async function refusal(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RestError, String(e));
    return e;
  }
  assert.fail('expected MissingSubscriptionRegistration');
}

test('requests to an unregistered provider fail with MissingSubscriptionRegistration naming it', async () => {
  await h.resources.resourceGroups.createOrUpdate('vmj-fresh', { location: LOC });
  const net = await refusal(
    h.network.virtualNetworks.beginCreateOrUpdateAndWait('vmj-fresh', 'v-vnet', {
      location: LOC,
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
    }),
  );
  assert.equal(net.statusCode, 409);
  assert.equal(net.code, 'MissingSubscriptionRegistration');
  assert.match(net.message, /namespace 'Microsoft\.Network'/);
  const skus = await refusal(
    (async () => {
      for await (const s of h.compute.resourceSkus.list()) void s;
    })(),
  );
  assert.equal(skus.code, 'MissingSubscriptionRegistration');
  assert.equal(skus.statusCode, 409);
  const vms = await refusal(
    (async () => {
      for await (const v of h.compute.virtualMachines.listAll()) void v;
    })(),
  );
  assert.equal(vms.code, 'MissingSubscriptionRegistration');
});

test('GET provider shows NotRegistered; register → Registering → Registered, then requests pass', async () => {
  assert.equal((await h.resources.providers.get('Microsoft.Network')).registrationState, 'NotRegistered');
  const r = await h.resources.providers.register('Microsoft.Network');
  assert.equal(r.registrationState, 'Registering');
  let state: string | undefined = r.registrationState;
  for (let i = 0; i < 100 && state !== 'Registered'; i++) {
    await new Promise((ok) => setTimeout(ok, 20));
    state = (await h.resources.providers.get('Microsoft.Network')).registrationState;
  }
  assert.equal(state, 'Registered');
  const vnet = await h.network.virtualNetworks.beginCreateOrUpdateAndWait('vmj-fresh', 'v-vnet', {
    location: LOC,
    addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
  });
  assert.equal(vnet.provisioningState, 'Succeeded');
  assert.equal((await h.resources.providers.get('Microsoft.Compute')).registrationState, 'NotRegistered');
  const registered = h.arm.operations().filter((o) => o.rbacAction === 'Microsoft.Network/register/action');
  assert.equal(registered.length, 1);
});

test('an unknown namespace is refused', async () => {
  const e = await refusal(h.resources.providers.get('Microsoft.Nope'));
  assert.equal(e.statusCode, 404);
});
