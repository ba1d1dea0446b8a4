// Storage clients for the app's own tables and queues: a connection string locally (Azurite), the
// managed identity on Azure. SDKs are imported lazily to keep cold start small.
import type { TableClient } from '@azure/data-tables';
import type { QueueClient } from '@azure/storage-queue';

import { getConfig } from './config';
import { azureCredential } from './credential';

const tables = new Map<string, Promise<TableClient>>();
const queues = new Map<string, Promise<QueueClient>>();

function serviceUri(kind: 'table' | 'queue'): string {
  const c = getConfig();
  const explicit =
    kind === 'table' ? c.AzureWebJobsStorage__tableServiceUri : c.AzureWebJobsStorage__queueServiceUri;
  if (explicit) return explicit;
  return `https://${c.AzureWebJobsStorage__accountName}.${kind}.core.windows.net`;
}

/** A client for one table, created on first use (the table too). Cached per name. */
export function tableClient(name: string): Promise<TableClient> {
  let client = tables.get(name);
  if (!client) {
    client = (async () => {
      const { TableClient } = await import('@azure/data-tables');
      const cs = getConfig().AzureWebJobsStorage;
      const t = cs
        ? TableClient.fromConnectionString(cs, name, { allowInsecureConnection: cs.includes('http://') })
        : new TableClient(serviceUri('table'), name, await azureCredential());
      await t.createTable();
      return t;
    })();
    client.catch(() => tables.delete(name));
    tables.set(name, client);
  }
  return client;
}

/** A client for one queue, created on first use (the queue too). Cached per name. */
export function queueClient(name: string): Promise<QueueClient> {
  let client = queues.get(name);
  if (!client) {
    client = (async () => {
      const { QueueClient } = await import('@azure/storage-queue');
      const cs = getConfig().AzureWebJobsStorage;
      const q = cs
        ? new QueueClient(cs, name)
        : new QueueClient(`${serviceUri('queue')}/${name}`, await azureCredential());
      await q.createIfNotExists();
      return q;
    })();
    client.catch(() => queues.delete(name));
    queues.set(name, client);
  }
  return client;
}

/** Forget cached clients (tests that switch storage accounts). */
export function resetStorageClientsForTests(): void {
  tables.clear();
  queues.clear();
}
