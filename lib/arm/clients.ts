// The app's ARM clients, built once from settings. On Azure: management.azure.com and the managed
// identity. Locally: AZURE_ARM_ENDPOINT + AZURE_ARM_CA_FILE (the emulator's CA, given to the shared https
// agent) + AZURE_ARM_STATIC_TOKEN. The SDKs are imported lazily: they are heavy and most
// invocations never touch ARM.
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';

import type { ComputeManagementClient } from '@azure/arm-compute';
import type { NetworkManagementClient } from '@azure/arm-network';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/core-auth';

import { getConfig } from '../config';
import { azureCredential } from '../credential';

export interface ArmClients {
  resources: ResourceManagementClient;
  network: NetworkManagementClient;
  compute: ComputeManagementClient;
}

/** A credential that always returns the same token (the local emulator accepts any bearer token). */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: (): Promise<AccessToken> =>
      Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000, tokenType: 'Bearer' }),
  };
}

let clients: Promise<ArmClients> | undefined;

export function armClients(): Promise<ArmClients> {
  clients ??= buildClients().catch((e: unknown) => {
    clients = undefined; // a transient failure (CA file not written yet) must not stick
    throw e;
  });
  return clients;
}

/** For tests that change settings between cases. */
export function resetArmClientsForTests(): void {
  clients = undefined;
}

async function buildClients(): Promise<ArmClients> {
  const config = getConfig();
  const credential = config.AZURE_ARM_STATIC_TOKEN
    ? staticTokenCredential(config.AZURE_ARM_STATIC_TOKEN)
    : await azureCredential();
  const ca = config.AZURE_ARM_CA_FILE ? await readFile(config.AZURE_ARM_CA_FILE, 'utf8') : undefined;
  const options = {
    endpoint: config.AZURE_ARM_ENDPOINT.replace(/\/+$/, ''),
    // One keep-alive pool for the three clients (they all talk to one host): a burst of activities then
    // reuses connections instead of paying a TLS handshake each. No socket limit: a held LRO poll must
    // not queue the others behind it.
    // One TLS context for every connection: given only `ca`, Node builds a context per connection.
    agent: new Agent({ keepAlive: true, ...(ca ? { secureContext: createSecureContext({ ca }) } : {}) }),
  };
  const [{ ResourceManagementClient }, { NetworkManagementClient }, { ComputeManagementClient }] =
    await Promise.all([
      import('@azure/arm-resources'),
      import('@azure/arm-network'),
      import('@azure/arm-compute'),
    ]);
  const sub = config.AZURE_SUBSCRIPTION_ID;
  return {
    resources: new ResourceManagementClient(credential, sub, options),
    network: new NetworkManagementClient(credential, sub, options),
    compute: new ComputeManagementClient(credential, sub, options),
  };
}
