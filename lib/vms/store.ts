// VM records in Table Storage (`vms`): one entity per VM (PartitionKey 'vm', RowKey = name) holding
// the record as JSON plus `status` as a column for filtering. Every change is a read-modify-write with
// the entity's ETag (If-Match), retried on 412, so concurrent writers never lose each other's updates.
// The record and ETag this process last read or wrote are kept, so that the common case (nobody else
// wrote since) is one conditional write instead of a read and a write; a stale copy only costs a 412.
import type { TableClient, TableEntityResult } from '@azure/data-tables';

import { AppError, badRequest, conflict, validationFailed } from '../errors';
import type { Services } from '../services';
import { isVmName } from './names';
import type { VmRecord } from './record';
import { VM_STATUSES, type VmStatus } from './status';

export const VMS_TABLE = 'vms';
const PK = 'vm';
const MAX_ETAG_RETRIES = 20;
const MAX_KNOWN = 1000;

interface VmEntity {
  partitionKey: string;
  rowKey: string;
  status: string;
  record: string;
}

const statusCode = (e: unknown) => (e as { statusCode?: number }).statusCode;

const table = (services: Services): Promise<TableClient> => services.table(VMS_TABLE);

const toEntity = (r: VmRecord): VmEntity => ({
  partitionKey: PK,
  rowKey: r.name,
  status: r.status,
  record: JSON.stringify(r),
});

const fromEntity = (e: { record?: unknown }): VmRecord => JSON.parse(String(e.record)) as VmRecord;

export interface StoredVm {
  record: VmRecord;
  etag: string;
}

/** Last record and ETag seen per VM, per app (its Services: one storage account). */
const LAST_KNOWN = Symbol('vms.lastKnown');
const lastKnown = (services: Services) => services.state(LAST_KNOWN, () => new Map<string, StoredVm>());

function remember(services: Services, record: VmRecord, etag: string | undefined): void {
  const known = lastKnown(services);
  known.delete(record.name);
  if (etag === undefined) return;
  known.set(record.name, { record: structuredClone(record), etag });
  if (known.size > MAX_KNOWN) known.delete(known.keys().next().value!);
}

export async function getVm(services: Services, name: string): Promise<StoredVm | undefined> {
  const t = await table(services);
  try {
    const e: TableEntityResult<VmEntity> = await t.getEntity<VmEntity>(PK, name);
    const stored = { record: fromEntity(e), etag: e.etag };
    remember(services, stored.record, stored.etag);
    return stored;
  } catch (err) {
    if (statusCode(err) === 404) {
      lastKnown(services).delete(name);
      return undefined;
    }
    throw err;
  }
}

/**
 * Stores a new record. A name is taken unless its VM was deleted (then the new record replaces the old
 * one, guarded by its ETag). 409 otherwise, also when a concurrent request wins the race.
 */
export async function insertVm(
  services: Services,
  name: string,
  build: (previous: VmRecord | undefined) => VmRecord,
): Promise<VmRecord> {
  const t = await table(services);
  // A new name is the common case: try to create first, and read only when the name is taken.
  const fresh = build(undefined);
  try {
    remember(services, fresh, (await t.createEntity(toEntity(fresh))).etag);
    return fresh;
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
  const existing = await getVm(services, name);
  if (existing && existing.record.status !== 'deleted') {
    throw conflict(`A VM named '${name}' already exists (status ${existing.record.status}).`);
  }
  const record = build(existing?.record);
  try {
    const written = existing
      ? await t.updateEntity(toEntity(record), 'Replace', { etag: existing.etag })
      : await t.createEntity(toEntity(record));
    remember(services, record, written.etag);
  } catch (err) {
    if (statusCode(err) === 409 || statusCode(err) === 412) {
      throw conflict(`A VM named '${name}' already exists.`);
    }
    throw err;
  }
  return record;
}

/** Thrown by an update function to leave the record as it is. */
export class NoChange extends Error {
  override name = 'NoChange';
}

/**
 * Read-modify-write with the ETag: `change` gets the current record and returns the new one (or throws,
 * e.g. a 409 for a transition the status forbids). Retried from a fresh read when another writer won.
 * Returns undefined when there is no such VM or `change` threw NoChange.
 */
export async function updateVm(
  services: Services,
  name: string,
  change: (current: VmRecord) => VmRecord,
): Promise<VmRecord | undefined> {
  const t = await table(services);
  // A remembered copy is only trusted once its conditional write succeeds: anything it decides (no
  // change, an error) is decided again on a fresh read.
  let stored: StoredVm | undefined = lastKnown(services).get(name);
  let fresh = false;
  for (let attempt = 0; attempt < MAX_ETAG_RETRIES; attempt++) {
    if (!stored) {
      stored = await getVm(services, name);
      fresh = true;
      if (!stored) return undefined;
    }
    let next: VmRecord;
    try {
      next = change(structuredClone(stored.record));
    } catch (e) {
      if (!fresh) {
        stored = undefined;
        continue;
      }
      if ((e as Error).name === 'NoChange') return stored.record;
      throw e;
    }
    try {
      const written = await t.updateEntity(toEntity(next), 'Replace', { etag: stored.etag });
      remember(services, next, written.etag);
      return next;
    } catch (err) {
      const code = statusCode(err);
      if (code !== 412 && (fresh || code !== 404)) throw err;
      lastKnown(services).delete(name);
      stored = undefined;
    }
  }
  // Not the caller's fault and not final: tell it when to come back (a 409 would say "your request
  // conflicts with the VM's state", which it does not).
  throw new AppError(
    'Busy',
    503,
    `The VM '${name}' is being changed by many requests at once; try again in a second.`,
    undefined,
    { 'Retry-After': '1' },
  );
}

export interface ListVmsOptions {
  status?: VmStatus[];
  limit: number;
  cursor?: string;
}

// The cursor is the last name of the page (keyset paging), not the service's continuation token: a
// token is opaque to us, and one a client made up (valid base64, bad inside) failed in the SDK or the
// service as a 500. A name is checked like any other input.
const encodeCursor = (after: string) => Buffer.from(JSON.stringify({ a: after })).toString('base64url');

function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown } | null;
    if (v && typeof v.a === 'string' && isVmName(v.a)) return v.a;
  } catch {
    /* reported below */
  }
  throw validationFailed([{ field: 'query.cursor', message: 'not a cursor this API returned' }]);
}

/** One page of records in name order; `next` is an opaque cursor for the following page. */
export async function listVms(
  services: Services,
  o: ListVmsOptions,
): Promise<{ items: VmRecord[]; next?: string }> {
  const statuses = o.status ?? [];
  for (const s of statuses) if (!VM_STATUSES.includes(s)) throw badRequest(`Unknown status ${s}`);
  const after = o.cursor ? decodeCursor(o.cursor) : undefined;
  const t = await table(services);
  const filter = [`PartitionKey eq '${PK}'`];
  if (after) filter.push(`RowKey gt '${after.replaceAll("'", "''")}'`);
  if (statuses.length > 0) filter.push(`(${statuses.map((s) => `status eq '${s}'`).join(' or ')})`);
  const query = { queryOptions: { filter: filter.join(' and ') } };
  const items: VmRecord[] = [];
  let token: string | undefined;
  // A filtered query may return short (even empty) pages with a continuation: keep reading, each time
  // at most what is missing, until the page is full or the table is exhausted.
  do {
    const pages = t
      .listEntities<VmEntity>(query)
      .byPage({ maxPageSize: o.limit - items.length, ...(token ? { continuationToken: token } : {}) });
    const next: IteratorResult<VmEntity[] & { continuationToken?: string }> = await pages.next();
    const page = next.done ? undefined : next.value;
    if (!page) break;
    for (const e of page) items.push(fromEntity(e));
    token = page.continuationToken;
  } while (items.length < o.limit && token);
  const last = items.at(-1);
  return { items, ...(token && last ? { next: encodeCursor(last.name) } : {}) };
}
