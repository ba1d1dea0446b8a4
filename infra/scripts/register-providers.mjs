// Registers the resource providers vm-journal creates VMs with (Microsoft.Compute, Microsoft.Network)
// in the VM subscription, and waits until they are Registered. A fresh subscription may have them
// unregistered, and then every VM create fails with MissingSubscriptionRegistration; the app's own
// role has no register/action (least privilege), so the deployer does it once. Run by azd as the
// preprovision hook (azure.yaml), or by hand: `node infra/scripts/register-providers.mjs`.
//
// Subscription: VM_SUBSCRIPTION_ID, else AZURE_SUBSCRIPTION_ID. Credential: DefaultAzureCredential (an
// `azd auth login` or `az login` session). AZURE_ARM_ENDPOINT / AZURE_ARM_CA_FILE /
// AZURE_ARM_STATIC_TOKEN point it at the local ARM emulator instead (tests).
import { readFileSync } from 'node:fs';

import { ResourceManagementClient } from '@azure/arm-resources';

export const NAMESPACES = ['Microsoft.Compute', 'Microsoft.Network'];

async function credential() {
  const token = process.env.AZURE_ARM_STATIC_TOKEN;
  if (token)
    return { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

export async function registerProviders({ pollMs = 2_000, timeoutMs = 10 * 60_000, log = console.log } = {}) {
  const subscription = process.env.VM_SUBSCRIPTION_ID || process.env.AZURE_SUBSCRIPTION_ID;
  if (!subscription) throw new Error('Set VM_SUBSCRIPTION_ID or AZURE_SUBSCRIPTION_ID.');
  const endpoint = process.env.AZURE_ARM_ENDPOINT;
  const ca = process.env.AZURE_ARM_CA_FILE;
  const client = new ResourceManagementClient(await credential(), subscription, {
    ...(endpoint ? { endpoint } : {}),
    ...(ca ? { tlsOptions: { ca: readFileSync(ca, 'utf8') } } : {}),
  });
  for (const ns of NAMESPACES) {
    let state = (await client.providers.get(ns)).registrationState;
    if (state === 'Registered') {
      log(`${ns}: Registered`);
      continue;
    }
    log(`${ns}: ${state ?? 'unknown'}, registering in subscription ${subscription}…`);
    await client.providers.register(ns);
    const deadline = Date.now() + timeoutMs;
    while (state !== 'Registered') {
      if (Date.now() > deadline)
        throw new Error(`${ns} is still ${state ?? 'unknown'} after ${timeoutMs / 1000} s.`);
      await new Promise((ok) => setTimeout(ok, pollMs));
      state = (await client.providers.get(ns)).registrationState;
    }
    log(`${ns}: Registered`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  registerProviders().catch((e) => {
    console.error(`Registering resource providers failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
