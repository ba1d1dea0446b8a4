// Writes journal records to Table Storage: entity-group transactions of ≤ 100 operations per
// partition, no read before write. Every row is `create`d (never upserted), in this order:
//  1. overflow rows of large entries;
//  2. the unit copy `vm|unit`: this copy decides what is new (accepted vs duplicates);
//  3. the whole-VM view `vm|`: packs of ≤ 50 entries of the request (entity.ts, "packed").
// A batch that fails with EntityAlreadyExists is a retry (or a half-written earlier try): one range
// query (RowKeys only) over that batch finds which rows exist, and only the missing ones are created.
// Rows are deterministic functions of the entry (a pack's RowKey hashes its entries' offsets), so
// "exists" means "identical": nothing to repair. A re-send grouped differently (another request split)
// writes packs overlapping earlier ones; readers drop the repeated offsets.
// Why create and not upsert: same cost on Azure (one transaction either way), but Azurite looks an
// upserted row up twice in its partition (insertOrUpdate → find, then insert → find again), and each
// lookup scans the partition (LokiJS indexes only PartitionKey): upsert writes ran 2.5-3× slower
// there (lib/journal/README.md, "Azurite").
// The caller answers only after every transaction succeeded (at-least-once from the agent, exactly
// once in storage).
import type { TableClient, TransactionAction } from '@azure/data-tables';

import { AppError } from '../errors';
import type { Services } from '../services';
import { bucketOf, bucketTable, noteBucket, retainedRange } from './buckets';
import { chunkProps, encodeJson, type EntryEntity, fieldsToJson, packRecords } from './entity';
import type { JournalRecord } from './entry';
import { overflowPartition, unitPartition, vmPartition } from './keys';

const MAX_BATCH_OPS = 100;
const MAX_CONFLICT_ROUNDS = 8;
/** A transaction body is limited to 4 MiB. Ops are sized by the bytes the SDK sends: each entity is
 * JSON.stringify'd into its own part (so a `"` or `\\` already escaped in our fields JSON counts 2 bytes
 * more, a control character up to 6), plus the part's boundary, request line and headers. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024 - 256 * 1024;
const PART_FRAMING_BYTES = 1024;

/** Bytes an entity takes in a transaction body (see MAX_BATCH_BYTES). */
export const sentBytes = (entity: EntryEntity) =>
  PART_FRAMING_BYTES + Buffer.byteLength(JSON.stringify(entity));
const CONCURRENCY = 8;

export interface WriteResult {
  accepted: number;
  duplicates: number;
  /** Entries outside the retained window (older than retention, or more than a day ahead): not stored. */
  expired: number;
  /** Newly stored records (for the unit and boot indexes and live tails). */
  stored: JournalRecord[];
  /** Every record written, new or already there (not expired, once each): the indexes see them all. */
  written: JournalRecord[];
  /** Table transactions issued (the benchmark reports them). */
  transactions: number;
}

interface Op {
  entity: EntryEntity;
  bytes: number;
}

export async function writeRecords(
  services: Services,
  vm: string,
  records: JournalRecord[],
  nowMs = services.clock.now(),
): Promise<WriteResult> {
  const result: WriteResult = {
    accepted: 0,
    duplicates: 0,
    expired: 0,
    stored: [],
    written: [],
    transactions: 0,
  };
  const { oldest, newest } = retainedRange(services, nowMs);
  const seen = new Set<string>();
  const byBucket = new Map<string, JournalRecord[]>();
  for (const r of records) {
    if (seen.has(r.offset)) {
      result.duplicates++;
      continue;
    }
    seen.add(r.offset);
    const bucket = bucketOf(r.realtimeUsec);
    if (bucket < oldest || bucket > newest) {
      result.expired++;
      continue;
    }
    let list = byBucket.get(bucket);
    if (!list) byBucket.set(bucket, (list = []));
    list.push(r);
    result.written.push(r);
  }
  for (const [bucket, list] of byBucket) {
    const table = await services.table(bucketTable(bucket));
    noteBucket(services, bucket);
    await writeBucket(table, vm, list, result);
  }
  return result;
}

async function writeBucket(table: TableClient, vm: string, records: JournalRecord[], result: WriteResult) {
  const overflow = new Map<string, Op[]>();
  const packed: { record: JournalRecord; json: string }[] = [];
  const unitOps = new Map<string, { op: Op; record: JournalRecord }[]>();
  for (const r of records) {
    const json = fieldsToJson(r.fields);
    packed.push({ record: r, json });
    const enc = encodeJson(json);
    const columns: Record<string, unknown> = { c: r.cursor, b: r.bootId, u: r.unit };
    if (r.priority !== undefined) columns.p = r.priority;
    if (enc.inline) Object.assign(columns, chunkProps(enc.inline));
    else {
      const rows = enc.overflow!;
      columns.ov = rows.length;
      const pk = overflowPartition(vm, r.unit);
      let list = overflow.get(pk);
      if (!list) overflow.set(pk, (list = []));
      rows.forEach((chunks, k) => {
        const entity = { partitionKey: pk, rowKey: `${r.offset}-${k}`, ...chunkProps(chunks) };
        list.push({ entity, bytes: sentBytes(entity) });
      });
    }
    const pk = unitPartition(vm, r.unit);
    let list = unitOps.get(pk);
    if (!list) unitOps.set(pk, (list = []));
    const entity = { partitionKey: pk, rowKey: r.offset, ...columns };
    list.push({ op: { entity, bytes: sentBytes(entity) }, record: r });
  }

  const vmOps: Op[] = packRecords(packed).map((p) => {
    const entity = { partitionKey: vmPartition(vm), rowKey: p.rowKey, k: p.count, ...chunkProps(p.chunks) };
    return { entity, bytes: sentBytes(entity) };
  });

  // Overflow rows first (the unit copy points at them), then the unit copy, then the VM view (whose
  // packs may reference unit-copy rows, so those exist before any reader can see the reference).
  const overflowOps = [...overflow.values()].flatMap((list) => batches(list, (o) => o));
  await runLimited(overflowOps, async (batch) => void (await createOrResolve(table, batch, result)));

  const creates = [...unitOps.values()].flatMap((ops) => batches(ops, (x) => x.op));
  await runLimited(creates, async (batch) => {
    const created = await createOrResolve(
      table,
      batch.map((x) => x.op),
      result,
    );
    const stored = batch.filter((x) => created.has(x.op));
    result.accepted += stored.length;
    result.duplicates += batch.length - stored.length;
    result.stored.push(...stored.map((x) => x.record));
  });

  // Every record of the request is packed, new or not: a retry after a try that died between the
  // unit copy and here (its entries now duplicates) still writes the VM view.
  await runLimited(
    batches(vmOps, (o) => o),
    async (batch) => void (await createOrResolve(table, batch, result)),
  );
}

/** Creates a batch; on a conflict, finds the existing rows with one query and creates the rest. */
async function createOrResolve(table: TableClient, batch: Op[], result: WriteResult): Promise<Set<Op>> {
  let pending = batch;
  for (let attempt = 0; pending.length > 0; attempt++) {
    try {
      await submit(
        table,
        pending.map((o) => ['create', o.entity] as TransactionAction),
        result,
      );
      return new Set(pending);
    } catch (e) {
      if (!isConflict(e)) throw e;
      // Each round removes the rows found to exist, so only writers racing on the same rows again and
      // again get here: not a server fault, and a retry a moment later converges.
      if (attempt >= MAX_CONFLICT_ROUNDS)
        throw new AppError('Busy', 503, 'Concurrent writes of the same entries; retry.', undefined, {
          'Retry-After': '1',
        });
    }
    const pk = pending[0]!.entity.partitionKey;
    const keys = pending.map((o) => o.entity.rowKey).sort();
    const filter = `PartitionKey eq '${esc(pk)}' and RowKey ge '${esc(keys[0]!)}' and RowKey le '${esc(keys.at(-1)!)}'`;
    const existing = new Set<string>();
    for await (const e of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      existing.add(e.rowKey!);
    pending = pending.filter((o) => !existing.has(o.entity.rowKey));
  }
  return new Set();
}

async function submit(table: TableClient, actions: TransactionAction[], result: WriteResult): Promise<void> {
  result.transactions++;
  if (actions.length === 1) {
    // A single operation needs no transaction envelope.
    await table.createEntity(actions[0]![1]);
    return;
  }
  await table.submitTransaction(actions);
}

function isConflict(e: unknown): boolean {
  const err = e as { statusCode?: number; code?: string; message?: string };
  return (
    err.statusCode === 409 ||
    err.code === 'EntityAlreadyExists' ||
    /EntityAlreadyExists/.test(err.message ?? '')
  );
}

/** OData string literal escaping. */
export const esc = (s: string) => s.replaceAll("'", "''");

/** Splits ops into batches of ≤ 100 operations and ≤ MAX_BATCH_BYTES (in order). */
function batches<T>(items: T[], opOf: (t: T) => Op): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const b = opOf(it).bytes;
    if (cur.length > 0 && (cur.length >= MAX_BATCH_OPS || bytes + b > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

export async function runLimited<T>(
  items: T[],
  fn: (t: T) => Promise<void>,
  limit = CONCURRENCY,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
