// Lifecycle events in Table Storage (`events`, one partition: lifecycle events are few). Each event is
// written twice in one entity-group transaction: `a-<id>` (ascending: list after an id, get by id) and
// `d-<inverted id>` (descending: the latest page, the latest id). An optional dedupe row `k-<key>` in
// the same transaction makes a retried activity append its event once. Retention deletes old rows and
// remembers the highest purged id (`m-purged`), so a purged id answers 410 and an unknown one 404.
// What an app instance keeps between appends (the commit queue, the id minter, in-process listeners)
// lives in its Services' state: two apps in one process are two instances.
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { CloudEvent } from 'cloudevents';

import type { Services } from '../services';
import { eventIdAt, EventIdMinter, invertEventId } from './ids';
import { EVENT_SOURCE, EVENT_TYPES, type EventKind } from './types';

export const EVENTS_TABLE = 'events';
const PK = 'ev';
const PURGED_ROW = 'm-purged';

/** A CloudEvents 1.0 event in the JSON format (structured mode). */
export interface StoredEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: unknown;
}

interface EventRow {
  partitionKey: string;
  rowKey: string;
  id: string;
  event: string;
}

const statusCode = (e: unknown) => (e as { statusCode?: number }).statusCode;
const table = (services: Services): Promise<TableClient> => services.table(EVENTS_TABLE);

type Listener = (e: StoredEvent) => void;

/** An instance's appends waiting for the transaction in flight; they go together in the next one. */
interface Instance {
  ids: EventIdMinter;
  waiting: Waiting[];
  committing: boolean;
  listeners: Set<Listener>;
}

const INSTANCE = Symbol('events.instance');
const instance = (services: Services): Instance =>
  services.state(INSTANCE, () => ({
    ids: new EventIdMinter(),
    waiting: [],
    committing: false,
    listeners: new Set(),
  }));

/** In-instance notification of appended events (watchers in other instances poll). */
export function onEventAppended(services: Services, l: Listener): () => void {
  const { listeners } = instance(services);
  listeners.add(l);
  return () => listeners.delete(l);
}

export interface AppendOptions {
  /** Appends at most once per key (retried activities); later appends with the key return undefined. */
  dedupeKey?: string;
  /** Event time (default now). */
  time?: string;
}

/** Builds, validates (cloudevents) and stores one event; returns it, or undefined for a duplicate. */
export async function appendEvent(
  services: Services,
  kind: EventKind,
  subject: string,
  data: unknown,
  opts: AppendOptions = {},
): Promise<StoredEvent | undefined> {
  const [stored] = await appendEvents(services, [{ kind, subject, data, opts }]);
  return stored;
}

export interface EventToAppend {
  kind: EventKind;
  subject: string;
  data: unknown;
  opts?: AppendOptions;
}

/** At most 33 events (3 rows each) fit the 100 operations of one entity-group transaction. */
const EVENTS_PER_TRANSACTION = 33;

interface Waiting {
  items: readonly EventToAppend[];
  done: (stored: (StoredEvent | undefined)[]) => void;
  fail: (e: unknown) => void;
}

/**
 * Appends several events in order, in one transaction when they fit (one round trip, all or none).
 * Returns each stored event, or undefined for a duplicate.
 *
 * This instance commits its events one transaction at a time, minting the ids as each transaction is
 * formed: ids then become visible in increasing order, so a reader that has seen an id never finds a
 * smaller one from this instance later (the watch relies on it). Appends that arrive while a
 * transaction is in flight are committed together in the next one (group commit).
 */
export function appendEvents(
  services: Services,
  items: readonly EventToAppend[],
): Promise<(StoredEvent | undefined)[]> {
  if (items.length === 0) return Promise.resolve([]);
  return new Promise((done, fail) => {
    instance(services).waiting.push({ items, done, fail });
    void commitWaiting(services);
  });
}

async function commitWaiting(services: Services): Promise<void> {
  const inst = instance(services);
  if (inst.committing) return;
  inst.committing = true;
  const { waiting } = inst;
  try {
    while (waiting.length > 0) {
      // The appends that fit one transaction; one larger than that goes on its own, in several.
      const group = [waiting.shift()!];
      let count = group[0]!.items.length;
      while (waiting.length > 0 && count + waiting[0]!.items.length <= EVENTS_PER_TRANSACTION) {
        count += waiting[0]!.items.length;
        group.push(waiting.shift()!);
      }
      await commitGroup(services, group);
    }
  } finally {
    inst.committing = false;
  }
}

async function commitGroup(services: Services, group: Waiting[]): Promise<void> {
  if (group.length === 1) {
    const [w] = group as [Waiting];
    await commitOwn(services, w.items).then(w.done, w.fail);
    return;
  }
  const built: { w: Waiting; events: Built[] }[] = [];
  for (const w of group) {
    try {
      built.push({ w, events: w.items.map((i) => buildEvent(services, i)) });
    } catch (e) {
      w.fail(e); // an invalid event fails its own append only
    }
  }
  if (built.length === 0) return;
  try {
    await submit(
      services,
      built.flatMap((b) => b.events),
    );
  } catch (e) {
    // A taken dedupe key fails the whole transaction: each append then commits on its own.
    if (statusCode(e) !== 409) {
      for (const b of built) b.w.fail(e);
      return;
    }
    for (const b of built) await commitOwn(services, b.w.items).then(b.w.done, b.w.fail);
    return;
  }
  for (const b of built) b.w.done(b.events.map((x) => x.event));
}

/** One append's events: in one transaction when they fit; one at a time when a dedupe key is taken. */
async function commitOwn(
  services: Services,
  items: readonly EventToAppend[],
): Promise<(StoredEvent | undefined)[]> {
  if (items.length > EVENTS_PER_TRANSACTION) {
    const out: (StoredEvent | undefined)[] = [];
    for (let i = 0; i < items.length; i += EVENTS_PER_TRANSACTION)
      out.push(...(await commitOwn(services, items.slice(i, i + EVENTS_PER_TRANSACTION))));
    return out;
  }
  const built = items.map((i) => buildEvent(services, i));
  try {
    await submit(services, built);
  } catch (e) {
    const deduped = items.some((i) => i.opts?.dedupeKey);
    if (!deduped || statusCode(e) !== 409) throw e;
    if (items.length === 1) return [undefined];
    const out: (StoredEvent | undefined)[] = [];
    for (const i of items) out.push(...(await commitOwn(services, [i])));
    return out;
  }
  return built.map((b) => b.event);
}

async function submit(services: Services, built: readonly Built[]): Promise<void> {
  await (await table(services)).submitTransaction(built.flatMap((b) => b.actions));
  const { listeners } = instance(services);
  for (const b of built) for (const l of listeners) l(b.event);
}

interface Built {
  event: StoredEvent;
  actions: TransactionAction[];
}

function buildEvent(services: Services, i: EventToAppend): Built {
  const opts = i.opts ?? {};
  const now = services.clock.now();
  const id = instance(services).ids.next(now);
  // Validated once, here (the constructor would validate too, and validate() throws the same errors).
  const ce = new CloudEvent<unknown>(
    {
      specversion: '1.0',
      id,
      source: EVENT_SOURCE,
      type: EVENT_TYPES[i.kind],
      subject: i.subject,
      time: opts.time ?? new Date(now).toISOString(),
      datacontenttype: 'application/json',
      data: i.data,
    },
    false,
  );
  ce.validate();
  const text = JSON.stringify(ce);
  const event = JSON.parse(text) as StoredEvent;
  const actions: TransactionAction[] = [
    ['create', { partitionKey: PK, rowKey: `a-${id}`, id, event: text }],
    ['create', { partitionKey: PK, rowKey: `d-${invertEventId(id)}`, id, event: text }],
  ];
  if (opts.dedupeKey) {
    actions.push(['create', { partitionKey: PK, rowKey: `k-${dedupeKeyRow(opts.dedupeKey)}`, id }]);
  }
  return { event, actions };
}

// Table keys forbid / \ # ? and control characters.
const dedupeKeyRow = (key: string) => Buffer.from(key).toString('base64url');

const parseRows = (rows: Iterable<EventRow>) => [...rows].map((r) => JSON.parse(r.event) as StoredEvent);

async function query(services: Services, filter: string, limit: number): Promise<EventRow[]> {
  const t = await table(services);
  const out: EventRow[] = [];
  const pages = t.listEntities<EventRow>({ queryOptions: { filter } }).byPage({ maxPageSize: limit });
  for await (const page of pages) {
    for (const r of page) {
      out.push(r);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

const rowRange = (from: string, to: string, inclusive = false) =>
  `PartitionKey eq '${PK}' and RowKey ${inclusive ? 'ge' : 'gt'} '${from}' and RowKey lt '${to}'`;

/** Events after `after` (exclusive), oldest first. */
export async function listEventsAfter(
  services: Services,
  after: string,
  limit: number,
): Promise<StoredEvent[]> {
  return parseRows(await query(services, rowRange(`a-${after}`, 'a.'), limit));
}

/** Events with ids in (`after`, `before`), oldest first. */
export async function listEventsBetween(
  services: Services,
  after: string,
  before: string,
  limit: number,
): Promise<StoredEvent[]> {
  return parseRows(await query(services, rowRange(`a-${after}`, `a-${before}`), limit));
}

/** The newest `limit` events, oldest first. */
export async function latestEvents(services: Services, limit: number): Promise<StoredEvent[]> {
  return parseRows(await query(services, rowRange('d-', 'd.'), limit)).reverse();
}

/** The earliest and latest ids still retained, or undefined when there are none. */
export async function eventRange(
  services: Services,
): Promise<{ earliest: string; latest: string } | undefined> {
  const [first] = await query(services, rowRange('a-', 'a.'), 1);
  const [last] = await query(services, rowRange('d-', 'd.'), 1);
  return first && last ? { earliest: first.id, latest: last.id } : undefined;
}

async function purgedBefore(t: TableClient): Promise<string | undefined> {
  try {
    return (await t.getEntity<{ before: string }>(PK, PURGED_ROW)).before;
  } catch (e) {
    if (statusCode(e) === 404) return undefined;
    throw e;
  }
}

/** One event; 'gone' when retention removed it; undefined when it never existed. */
export async function getEvent(services: Services, id: string): Promise<StoredEvent | 'gone' | undefined> {
  const t = await table(services);
  try {
    const row = await t.getEntity<EventRow>(PK, `a-${id}`);
    return JSON.parse(row.event) as StoredEvent;
  } catch (e) {
    if (statusCode(e) !== 404) throw e;
  }
  const before = await purgedBefore(t);
  return before !== undefined && id < before ? 'gone' : undefined;
}

/**
 * Deletes events older than `cutoffMs` (and dedupe rows of that age), recording the cut-off first so
 * that readers see 410 for anything below it even while the deletion is under way.
 */
export async function purgeEvents(services: Services, cutoffMs: number): Promise<number> {
  const t = await table(services);
  const cutoff = eventIdAt(cutoffMs);
  const previous = await purgedBefore(t);
  if (previous === undefined || cutoff > previous) {
    await t.upsertEntity({ partitionKey: PK, rowKey: PURGED_ROW, before: cutoff }, 'Replace');
  }
  let deleted = 0;
  for (;;) {
    const old = await query(services, rowRange('a-', `a-${cutoff}`), 50);
    if (old.length === 0) break;
    await t.submitTransaction(
      old.flatMap((r): TransactionAction[] => [
        ['delete', { partitionKey: PK, rowKey: r.rowKey }],
        ['delete', { partitionKey: PK, rowKey: `d-${invertEventId(r.id)}` }],
      ]),
    );
    deleted += old.length;
  }
  for (;;) {
    const keys = await query(services, `${rowRange('k-', 'k.', true)} and id lt '${cutoff}'`, 100);
    if (keys.length === 0) break;
    await t.submitTransaction(
      keys.map((k): TransactionAction => ['delete', { partitionKey: PK, rowKey: k.rowKey }]),
    );
  }
  return deleted;
}
