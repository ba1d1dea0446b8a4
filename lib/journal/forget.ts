// Deleting a VM deletes its journal (docs/api.md: DELETE removes "everything created for it"), so a new VM
// that reuses the name starts empty. The VM's rows are the partitions `vm|…` of every bucket table
// (its unit copies, whole-VM view, overflow rows and index rows): one range query per table lists their
// keys, and entity-group transactions of ≤ 100 deletes per partition remove them. Safe to repeat (the
// delete orchestration retries it): rows already gone are skipped.
import type { TableClient, TransactionAction } from '@azure/data-tables';

import type { Services } from '../services';
import { bucketReader, existingBuckets } from './buckets';
import { forgetIndexes } from './indexes';
import { escapeKeyPart } from './keys';
import { runLimited } from './table-store';

const statusCode = (e: unknown) => (e as { statusCode?: number }).statusCode;

/** Deletes every journal row of the VM; returns how many were deleted. */
export async function deleteJournal(services: Services, vm: string): Promise<number> {
  const prefix = escapeKeyPart(vm);
  // `|` (0x7C) separates the VM from the rest of the key and `}` (0x7D) sorts right after it.
  const filter = `PartitionKey ge '${prefix}|' and PartitionKey lt '${prefix}}'`;
  let deleted = 0;
  for (const bucket of await existingBuckets(services, { fresh: true })) {
    const table = await bucketReader(services, bucket);
    deleted += await deleteMatching(table, filter);
  }
  forgetIndexes(services, vm);
  return deleted;
}

async function deleteMatching(table: TableClient, filter: string): Promise<number> {
  let deleted = 0;
  try {
    const pages = table
      .listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      const byPartition = new Map<string, string[]>();
      for (const e of page) {
        const list = byPartition.get(e.partitionKey!) ?? [];
        list.push(e.rowKey!);
        byPartition.set(e.partitionKey!, list);
      }
      const batches: { pk: string; keys: string[] }[] = [];
      for (const [pk, keys] of byPartition)
        for (let i = 0; i < keys.length; i += 100) batches.push({ pk, keys: keys.slice(i, i + 100) });
      await runLimited(batches, async ({ pk, keys }) => {
        const n = await deleteBatch(table, pk, keys); // not `deleted += await …`: batches run at once
        deleted += n;
      });
    }
  } catch (e) {
    if (statusCode(e) !== 404) throw e; // the table was dropped by retention meanwhile
  }
  return deleted;
}

async function deleteBatch(table: TableClient, pk: string, keys: string[]): Promise<number> {
  try {
    await table.submitTransaction(
      keys.map((rowKey): TransactionAction => ['delete', { partitionKey: pk, rowKey }]),
    );
    return keys.length;
  } catch (e) {
    if (statusCode(e) !== 404) throw e;
  }
  // One of them is gone already (a repeat after a partial run): one by one, skipping the missing.
  let n = 0;
  for (const rowKey of keys) {
    try {
      await table.deleteEntity(pk, rowKey);
      n++;
    } catch (e) {
      if (statusCode(e) !== 404) throw e;
    }
  }
  return n;
}
