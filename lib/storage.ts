// Storage clients for the app's own tables and queues: a connection string locally (Azurite), the
// managed identity on Azure. Services (lib/services.ts) makes them once per app; SDKs are imported
// lazily to keep cold start small.
import type { TokenCredential } from '@azure/core-auth';
import type { TableClient, TableServiceClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';

import type { Config } from './config';

type CredentialOf = () => Promise<TokenCredential>;

function serviceUri(c: Config, kind: 'table' | 'queue'): string {
  const explicit =
    kind === 'table' ? c.AzureWebJobsStorage__tableServiceUri : c.AzureWebJobsStorage__queueServiceUri;
  if (explicit) return explicit;
  return `https://${c.AzureWebJobsStorage__accountName}.${kind}.core.windows.net`;
}

const insecure = (cs: string) => ({ allowInsecureConnection: cs.includes('http://') });

/** A client for one table; `create` also creates the table (a request of its own, made once). */
export async function openTable(
  c: Config,
  credential: CredentialOf,
  name: string,
  create: boolean,
): Promise<TableClient> {
  const { TableClient } = await import('@azure/data-tables');
  const cs = c.AzureWebJobsStorage;
  const t = cs
    ? TableClient.fromConnectionString(cs, name, insecure(cs))
    : new TableClient(serviceUri(c, 'table'), name, await credential());
  if (create) await t.createTable();
  return t;
}

export async function openTableService(c: Config, credential: CredentialOf): Promise<TableServiceClient> {
  const { TableServiceClient } = await import('@azure/data-tables');
  const cs = c.AzureWebJobsStorage;
  return cs
    ? TableServiceClient.fromConnectionString(cs, insecure(cs))
    : new TableServiceClient(serviceUri(c, 'table'), await credential());
}

/** A client for one queue, the queue created. */
export async function openQueue(c: Config, credential: CredentialOf, name: string): Promise<QueueClient> {
  const { QueueClient } = await import('@azure/storage-queue');
  const cs = c.AzureWebJobsStorage;
  const q = cs
    ? new QueueClient(cs, name)
    : new QueueClient(`${serviceUri(c, 'queue')}/${name}`, await credential());
  await q.createIfNotExists();
  return q;
}
