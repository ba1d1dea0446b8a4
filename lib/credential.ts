// The Azure credential: the user-assigned managed identity on Azure (AZURE_CLIENT_ID), the developer's
// login elsewhere. Imported lazily: @azure/identity is heavy and most invocations never need it.
import type { TokenCredential } from '@azure/core-auth';

import { getConfig } from './config';

let credential: Promise<TokenCredential> | undefined;

export function azureCredential(): Promise<TokenCredential> {
  credential ??= (async () => {
    const { DefaultAzureCredential } = await import('@azure/identity');
    const clientId = getConfig().AZURE_CLIENT_ID;
    return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  })();
  return credential;
}
