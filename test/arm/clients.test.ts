// lib/arm/clients.ts: the app's factory reaches the emulator with nothing but endpoint, CA file and token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createServices, type Services } from '../../lib/services';
import { type Harness, LOC, startHarness, SUB } from './helpers';

let h: Harness;
let services: Services;

before(async () => {
  h = await startHarness();
  services = createServices({
    AZURE_SUBSCRIPTION_ID: SUB,
    AZURE_ARM_ENDPOINT: h.arm.endpoint,
    AZURE_ARM_CA_FILE: h.arm.caFile,
    AZURE_ARM_STATIC_TOKEN: 'local',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
  });
});
after(async () => {
  await h.dispose();
});

test('services.arm() talks to the emulator through endpoint, CA file and static token', async () => {
  const { resources, compute, network } = await services.arm();
  assert.equal(await services.arm().then((c) => c.resources), resources, 'built once');
  await resources.resourceGroups.createOrUpdate('vmj-clients', { location: LOC });
  const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait('vmj-clients', 'vn', {
    location: LOC,
    addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
  });
  assert.equal(vnet.provisioningState, 'Succeeded');
  let count = 0;
  for await (const _ of compute.resourceSkus.list({ filter: `location eq '${LOC}'` })) count++;
  assert.ok(count > 5);
});
