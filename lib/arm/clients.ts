// The app's ARM clients, built once per app (lib/services.ts) from settings. On Azure: management.azure.com and the managed
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
import { createHttpHeaders, type PipelinePolicy } from '@azure/core-rest-pipeline';

import type { Config } from '../config';
import { armTelemetryPolicy } from '../telemetry/arm-policy';

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

/** The three clients, built by Services on first use. */
export async function buildArmClients(
  config: Config,
  azureCredential: () => Promise<TokenCredential>,
): Promise<ArmClients> {
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
  const built = {
    resources: new ResourceManagementClient(credential, sub, options),
    network: new NetworkManagementClient(credential, sub, options),
    compute: new ComputeManagementClient(credential, sub, options),
  };
  // Inside the deserialization policy, so that a poll it answers is parsed like ARM's.
  for (const c of [built.resources, built.network])
    c.pipeline.addPolicy(noImmediatePollPolicy, { afterPhase: 'Deserialize' });
  // After the retry policies: one span per attempt, every 429 counted.
  for (const c of Object.values(built)) c.pipeline.addPolicy(armTelemetryPolicy, { afterPhase: 'Retry' });
  return built;
}

/** Marks the requests of a begin (core-lro 2) whose immediate poll is answered without asking ARM. */
export const BEGIN_WITHOUT_POLL_HEADER = 'x-vmj-begin-without-poll';

/**
 * core-lro 2 begins (network, resource group delete) poll once right after ARM accepted the operation,
 * although ARM's Retry-After says not to: the orchestrator polls on that schedule. This policy answers
 * that poll "InProgress" itself, saving one ARM read (they count against the subscription's read
 * limits) and a round trip per operation started. The marker header never leaves the process.
 */
const noImmediatePollPolicy: PipelinePolicy = {
  name: 'vmjNoImmediatePoll',
  sendRequest(request, next) {
    if (!request.headers.has(BEGIN_WITHOUT_POLL_HEADER)) return next(request);
    request.headers.delete(BEGIN_WITHOUT_POLL_HEADER);
    if (request.method !== 'GET') return next(request);
    // 202 and "InProgress" both ways: running whichever way core-lro reads the poll (operation status
    // body, Location status code, or the resource's provisioningState).
    return Promise.resolve({
      request,
      status: 202,
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      bodyAsText: '{"status":"InProgress","properties":{"provisioningState":"InProgress"}}',
    });
  },
};
