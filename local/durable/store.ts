// Persistence in Azure Table storage (Azurite locally), in the Azure Storage provider's spirit: an
// `<hub>Instances` table (one row per instance, for status and queries) and an `<hub>History` table
// partitioned by instance id (events, a sentinel row, and an inbox of pending client messages).
//
// Crash safety: an episode's events may need several entity-group transactions (at most 100 operations
// each), so rows are written first and the sentinel, which records how many events of which execution
// are valid, last, together with the deletion of the inbox messages the episode consumed. Rows past the
// sentinel's count are leftovers of a torn write and are ignored (then overwritten).
import { odata, RestError, TableClient, type TransactionAction } from '@azure/data-tables';

import type { HistoryEvent } from './history';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const RUNTIME_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Canceled', 'Terminated'];

export function isTerminal(s: RuntimeStatus): boolean {
  return TERMINAL_STATUSES.includes(s);
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  executionId: string;
  /** JSON text (absent when the instance has no input / output / custom status). */
  input?: string;
  output?: string;
  customStatus?: string;
  createdTime: Date;
  lastUpdatedTime: Date;
  version?: string;
  parentInstanceId?: string;
}

export type InboxMessage =
  | { kind: 'raise'; name: string; input?: string }
  | { kind: 'terminate'; reason?: string }
  | { kind: 'suspend'; reason?: string }
  | { kind: 'resume'; reason?: string };

export interface StoredInboxMessage {
  rowKey: string;
  message: InboxMessage;
  time: Date;
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
}

const SENTINEL = '~sentinel';
const INBOX = '~inbox.';
const CHUNK = 30_000; // characters per string property (Table strings are at most 64 KiB)
const MAX_CHUNKS = 15; // ~900 KB per entity, under the 1 MiB entity limit
const MAX_BATCH_BYTES = 3_500_000; // under the 4 MiB transaction limit

/** Thrown when a payload cannot be stored in a table row. */
export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
  readonly code = 'DurablePayloadTooLarge';
}

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function packText(entity: Record<string, unknown>, prefix: string, text: string | undefined): void {
  if (text === undefined) return;
  const n = Math.max(1, Math.ceil(text.length / CHUNK));
  if (n > MAX_CHUNKS) {
    throw new PayloadTooLargeError(
      `A ${prefix} payload of ${text.length} characters is larger than a table row holds.`,
    );
  }
  entity[`${prefix}Chunks`] = n;
  for (let i = 0; i < n; i++) entity[`${prefix}${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}

function unpackText(entity: Record<string, unknown>, prefix: string): string | undefined {
  const n = entity[`${prefix}Chunks`];
  if (typeof n !== 'number') return undefined;
  let text = '';
  for (let i = 0; i < n; i++) {
    const part = entity[`${prefix}${i}`];
    text += typeof part === 'string' ? part : '';
  }
  return text;
}

function entityBytes(e: Record<string, unknown>): number {
  let n = 200;
  for (const v of Object.values(e)) n += typeof v === 'string' ? v.length * 2 : 16;
  return n;
}

function historyRowKey(executionId: string, index: number): string {
  return `${executionId}.${index.toString().padStart(8, '0')}`;
}

function is404(e: unknown): boolean {
  return e instanceof RestError && e.statusCode === 404;
}

export function tableNames(hubName: string): { instances: string; history: string } {
  return { instances: `${hubName}Instances`, history: `${hubName}History` };
}

/** Task hub names follow the extension's rules (letters and digits, 3-45 characters, a letter first). */
export function validateHubName(hubName: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName)) {
    throw new Error(
      `host.json extensions.durableTask.hubName "${hubName}" is invalid: use 3-45 letters and digits, starting with a letter.`,
    );
  }
  return hubName;
}

export class DurableStore {
  private inboxCounter = 0;

  private constructor(
    private readonly instances: TableClient,
    private readonly history: TableClient,
  ) {}

  static async open(connectionString: string, hubName: string): Promise<DurableStore> {
    const names = tableNames(validateHubName(hubName));
    const opts = { allowInsecureConnection: true };
    const store = new DurableStore(
      TableClient.fromConnectionString(connectionString, names.instances, opts),
      TableClient.fromConnectionString(connectionString, names.history, opts),
    );
    await Promise.all([store.instances.createTable(), store.history.createTable()]);
    return store;
  }

  // ---- instances -------------------------------------------------------------------------------------

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      const e = await this.instances.getEntity<Record<string, unknown>>(instanceId, '');
      return toRecord(e);
    } catch (err) {
      if (is404(err)) return undefined;
      throw err;
    }
  }

  async putInstance(rec: InstanceRecord): Promise<void> {
    await this.instances.upsertEntity(fromRecord(rec), 'Replace');
  }

  /** Writes the row of a new instance; false (nothing written) when the instance id has a row already. */
  async insertInstance(rec: InstanceRecord): Promise<boolean> {
    try {
      await this.instances.createEntity(fromRecord(rec));
      return true;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 409) return false;
      throw err;
    }
  }

  /** One page of instances matching the query; `continuationToken` is the table's own. */
  async queryInstances(
    q: InstanceQuery,
    pageSize: number,
    continuationToken?: string,
  ): Promise<{ items: InstanceRecord[]; continuationToken?: string }> {
    const pager = this.instances
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: instanceFilter(q) } })
      .byPage({ maxPageSize: pageSize, continuationToken });
    const { value } = await pager.next();
    if (!value) return { items: [] };
    const page = value as Record<string, unknown>[] & { continuationToken?: string };
    return { items: page.map(toRecord), continuationToken: page.continuationToken };
  }

  async *allInstances(q: InstanceQuery): AsyncGenerator<InstanceRecord> {
    for await (const e of this.instances.listEntities<Record<string, unknown>>({
      queryOptions: { filter: instanceFilter(q) },
    })) {
      yield toRecord(e);
    }
  }

  // ---- history ---------------------------------------------------------------------------------------

  /** The valid history of an execution (empty when the sentinel belongs to another execution). */
  async loadHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]> {
    let count: number;
    try {
      const s = await this.history.getEntity<Record<string, unknown>>(instanceId, SENTINEL);
      if (s.ExecutionId !== executionId) return [];
      count = Number(s.HistoryLength ?? 0);
    } catch (err) {
      if (is404(err)) return [];
      throw err;
    }
    const from = historyRowKey(executionId, 0);
    const to = historyRowKey(executionId, count);
    const events: HistoryEvent[] = [];
    const filter = odata`PartitionKey eq ${instanceId} and RowKey ge ${from} and RowKey lt ${to}`;
    for await (const e of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const text = unpackText(e, 'E');
      if (text !== undefined) events.push(JSON.parse(text) as HistoryEvent);
    }
    if (events.length !== count) {
      throw new Error(`History of ${instanceId} is damaged: ${events.length} of ${count} events found.`);
    }
    return events;
  }

  /**
   * Appends `events` at `startIndex` of an execution's history and commits the episode: the sentinel
   * (new length) and the deletion of consumed inbox rows go in the last transaction.
   */
  async appendHistory(
    instanceId: string,
    executionId: string,
    startIndex: number,
    events: readonly HistoryEvent[],
    consumedInbox: readonly string[] = [],
  ): Promise<void> {
    const rows: TransactionAction[] = events.map((ev, i) => {
      const entity: Entity = { partitionKey: instanceId, rowKey: historyRowKey(executionId, startIndex + i) };
      packText(entity, 'E', JSON.stringify(ev));
      return ['upsert', entity, 'Replace'];
    });
    const commit: TransactionAction[] = [
      [
        'upsert',
        {
          partitionKey: instanceId,
          rowKey: SENTINEL,
          ExecutionId: executionId,
          HistoryLength: startIndex + events.length,
          CheckpointCompletedTimestamp: new Date(),
        },
        'Replace',
      ],
      ...consumedInbox.map((rowKey): TransactionAction => ['delete', { partitionKey: instanceId, rowKey }]),
    ];
    const batches: TransactionAction[][] = [];
    let current: TransactionAction[] = [];
    let bytes = 0;
    for (const row of rows) {
      const size = entityBytes(row[1]);
      if (current.length >= 100 || bytes + size > MAX_BATCH_BYTES) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(row);
      bytes += size;
    }
    if (current.length + commit.length > 100 || bytes + 1000 > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
    }
    current.push(...commit);
    batches.push(current);
    for (const batch of batches) if (batch.length > 0) await this.history.submitTransaction(batch);
  }

  // ---- inbox (client messages, durable before the client gets its 202) ------------------------------

  async addInbox(instanceId: string, message: InboxMessage): Promise<StoredInboxMessage> {
    const time = new Date();
    const rowKey = `${INBOX}${time.getTime().toString().padStart(15, '0')}.${(this.inboxCounter++ % 1e6)
      .toString()
      .padStart(6, '0')}`;
    const entity: Entity = { partitionKey: instanceId, rowKey };
    packText(entity, 'M', JSON.stringify(message));
    await this.history.createEntity(entity);
    return { rowKey, message, time };
  }

  async listInbox(instanceId: string): Promise<StoredInboxMessage[]> {
    const filter = odata`PartitionKey eq ${instanceId} and RowKey ge ${INBOX} and RowKey lt ${'~inbox/'}`;
    const out: StoredInboxMessage[] = [];
    for await (const e of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const text = unpackText(e, 'M');
      if (text === undefined) continue;
      out.push({
        rowKey: e.rowKey!,
        message: JSON.parse(text) as InboxMessage,
        time: new Date(e.timestamp ?? 0),
      });
    }
    return out;
  }

  /** Removes the rows of executions other than `keepExecutionId` (after continue-as-new or restart). */
  async deleteOldExecutions(instanceId: string, keepExecutionId: string): Promise<void> {
    const filter = odata`PartitionKey eq ${instanceId}`;
    const stale: TransactionAction[] = [];
    for await (const e of this.history.listEntities<Record<string, unknown>>({
      queryOptions: { filter, select: ['RowKey'] },
    })) {
      const rk = e.rowKey!;
      if (rk.startsWith('~') || rk.startsWith(`${keepExecutionId}.`)) continue;
      stale.push(['delete', { partitionKey: instanceId, rowKey: rk }]);
    }
    for (let i = 0; i < stale.length; i += 100) await this.history.submitTransaction(stale.slice(i, i + 100));
  }

  /** Deletes an instance and all its history. True when it existed. */
  async purge(instanceId: string): Promise<boolean> {
    const filter = odata`PartitionKey eq ${instanceId}`;
    const rows: TransactionAction[] = [];
    for await (const e of this.history.listEntities<Record<string, unknown>>({
      queryOptions: { filter, select: ['RowKey'] },
    })) {
      rows.push(['delete', { partitionKey: instanceId, rowKey: e.rowKey! }]);
    }
    for (let i = 0; i < rows.length; i += 100) await this.history.submitTransaction(rows.slice(i, i + 100));
    try {
      await this.instances.deleteEntity(instanceId, '');
      return true;
    } catch (err) {
      if (is404(err)) return false;
      throw err;
    }
  }
}

function instanceFilter(q: InstanceQuery): string {
  const parts: string[] = [];
  if (q.runtimeStatus && q.runtimeStatus.length > 0) {
    parts.push(`(${q.runtimeStatus.map((s) => odata`RuntimeStatus eq ${s}`).join(' or ')})`);
  }
  if (q.createdTimeFrom) parts.push(odata`CreatedTime ge ${q.createdTimeFrom}`);
  if (q.createdTimeTo) parts.push(odata`CreatedTime le ${q.createdTimeTo}`);
  if (q.instanceIdPrefix) {
    parts.push(
      odata`PartitionKey ge ${q.instanceIdPrefix} and PartitionKey lt ${q.instanceIdPrefix + '\uffff'}`,
    );
  }
  return parts.join(' and ');
}

function fromRecord(r: InstanceRecord): Entity {
  const e: Entity = {
    partitionKey: r.instanceId,
    rowKey: '',
    Name: r.name,
    RuntimeStatus: r.runtimeStatus,
    ExecutionId: r.executionId,
    CreatedTime: r.createdTime,
    LastUpdatedTime: r.lastUpdatedTime,
  };
  if (r.version !== undefined) e.Version = r.version;
  if (r.parentInstanceId !== undefined) e.ParentInstanceId = r.parentInstanceId;
  packText(e, 'Input', r.input);
  packText(e, 'Output', r.output);
  packText(e, 'CustomStatus', r.customStatus);
  return e;
}

function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

function toRecord(e: Record<string, unknown>): InstanceRecord {
  const rec: InstanceRecord = {
    instanceId: String(e.partitionKey),
    name: String(e.Name),
    runtimeStatus: String(e.RuntimeStatus) as RuntimeStatus,
    executionId: String(e.ExecutionId),
    createdTime: toDate(e.CreatedTime),
    lastUpdatedTime: toDate(e.LastUpdatedTime),
  };
  const input = unpackText(e, 'Input');
  const output = unpackText(e, 'Output');
  const customStatus = unpackText(e, 'CustomStatus');
  if (input !== undefined) rec.input = input;
  if (output !== undefined) rec.output = output;
  if (customStatus !== undefined) rec.customStatus = customStatus;
  if (typeof e.Version === 'string') rec.version = e.Version;
  if (typeof e.ParentInstanceId === 'string') rec.parentInstanceId = e.ParentInstanceId;
  return rec;
}
