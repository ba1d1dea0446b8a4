// The Azure credential: the user-assigned managed identity on Azure (AZURE_CLIENT_ID), the developer's
// login elsewhere. Imported lazily: @azure/identity is heavy and most invocations never need it.
import type { TokenCredential } from '@azure/core-auth';

import type { Config } from './config';

export async function newAzureCredential(config: Config): Promise<TokenCredential> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  const clientId = config.AZURE_CLIENT_ID;
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}
