// lib/arm/clients.ts: the app's factory reaches the emulator with nothing but endpoint, CA file and token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { armClients, resetLegacyServices } from '../../lib/legacy-services';
import { type Harness, LOC, startHarness, SUB } from './helpers';

let h: Harness;
const saved = { ...process.env };

before(async () => {
  h = await startHarness();
  Object.assign(process.env, {
    AZURE_SUBSCRIPTION_ID: SUB,
    AZURE_ARM_ENDPOINT: h.arm.endpoint,
    AZURE_ARM_CA_FILE: h.arm.caFile,
    AZURE_ARM_STATIC_TOKEN: 'local',
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
  });
  resetLegacyServices();
});
after(async () => {
  process.env = saved;
  resetLegacyServices();
  await h.dispose();
});

test('armClients() talks to the emulator through endpoint, CA file and static token', async () => {
  const { resources, compute, network } = await armClients();
  assert.equal(await armClients().then((c) => c.resources), resources, 'built once');
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
