// Extra outputs the app may declare: Storage queue and table outputs, written after the handler returns,
// as the host does with the output data the worker sends back.
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';

import { type AppSettings, resolveSetting, storageConnection } from './settings';
import type { RpcBinding, RpcTypedData } from './types';

function decodeTypedData(data: RpcTypedData): unknown {
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.string !== undefined) return data.string;
  if (data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.int !== undefined) return data.int;
  if (data.double !== undefined) return data.double;
  if (data.collectionString) return data.collectionString.string;
  return undefined;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

export async function writeOutput(
  binding: RpcBinding,
  data: RpcTypedData,
  messageEncoding: 'base64' | 'none',
  settings: AppSettings,
) {
  const value = decodeTypedData(data);
  if (value === undefined || value === null) return;
  switch (binding.type.toLowerCase()) {
    case 'queue': {
      const queueName = resolveSetting(String(binding.queueName), settings).toLowerCase();
      const client = new QueueClient(storageConnection(binding.connection, settings), queueName);
      await client.createIfNotExists();
      for (const item of asList(value)) {
        const text = Buffer.isBuffer(item)
          ? item.toString('utf8')
          : typeof item === 'string'
            ? item
            : JSON.stringify(item);
        await client.sendMessage(
          messageEncoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text,
        );
      }
      return;
    }
    case 'table': {
      const tableName = resolveSetting(String(binding.tableName), settings);
      const client = TableClient.fromConnectionString(
        storageConnection(binding.connection, settings),
        tableName,
        {
          allowInsecureConnection: true,
        },
      );
      await client.createTable();
      for (const item of asList(value)) {
        const e = { ...(item as Record<string, unknown>) };
        const partitionKey = e.partitionKey ?? e.PartitionKey ?? binding.partitionKey;
        const rowKey = e.rowKey ?? e.RowKey ?? binding.rowKey;
        delete e.PartitionKey;
        delete e.RowKey;
        if (typeof partitionKey !== 'string' || typeof rowKey !== 'string') {
          throw new Error(
            `Table output "${binding.name}": every entity needs a string PartitionKey and RowKey.`,
          );
        }
        await client.createEntity({ ...e, partitionKey, rowKey });
      }
      return;
    }
    default:
      throw new Error(`The local host does not support output bindings of type "${binding.type}".`);
  }
}
