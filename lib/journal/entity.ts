// How a journal record becomes Table entities, and back.
// Columns: c = cursor, b = boot id, u = unit, p = priority (absent when the entry has none), and the
// fields as one JSON document ({NAME: text | {"b": base64} | null | [repeated…]}) split into string
// properties f0, f1… of at most 30,000 UTF-16 units each (a property holds ≤ 64 KiB).
// Large values: when the JSON is longer than INLINE_CHUNKS chunks, the entity keeps only its columns
// and `ov` = the number of overflow rows; the chunks go to rows `<offset>-<k>` in the partition
// `vm|unit|+`, OVERFLOW_CHUNKS per row (≤ ~840 KB, under the 1 MiB entity limit). Both copies of the
// entry (unit and whole-VM partitions) point at the same overflow rows. 1 MiB messages fit in 3 rows.
import { createHash } from 'node:crypto';

import type { TableEntity, TableEntityResult } from '@azure/data-tables';

import type { JournalRecord } from './entry';
import type { FieldValue, RawEntry } from './fields';

export const CHUNK_CHARS = 30_000;
export const INLINE_CHUNKS = 4;
export const OVERFLOW_CHUNKS = 14;

type StoredValue = string | { b: string } | null;
type StoredFields = Record<string, StoredValue | StoredValue[]>;

export interface EntryColumns {
  c: string;
  b: string;
  u: string;
  p?: number;
  ov?: number;
  [chunk: `f${number}`]: string;
}

const store = (v: FieldValue): StoredValue =>
  v === null || typeof v === 'string' ? v : { b: v.toString('base64') };

export function fieldsToJson(fields: RawEntry): string {
  const out: StoredFields = {};
  for (const [name, values] of fields)
    out[name] = values.length === 1 ? store(values[0]!) : values.map(store);
  return JSON.stringify(out);
}

/** Splits a string into chunks without cutting a surrogate pair. */
export function chunkString(s: string, size = CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let i = 0;
  while (i < s.length) {
    let end = Math.min(s.length, i + size);
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
    chunks.push(s.slice(i, end));
    i = end;
  }
  return chunks.length ? chunks : [''];
}

export function chunkProps(chunks: string[]): Record<string, string> {
  const props: Record<string, string> = {};
  chunks.forEach((c, i) => (props[`f${i}`] = c));
  return props;
}

export function encodeJson(json: string): { inline?: string[]; overflow?: string[][] } {
  const chunks = chunkString(json);
  if (chunks.length <= INLINE_CHUNKS) return { inline: chunks };
  const overflow: string[][] = [];
  for (let i = 0; i < chunks.length; i += OVERFLOW_CHUNKS)
    overflow.push(chunks.slice(i, i + OVERFLOW_CHUNKS));
  return { overflow };
}

/** Reassembles the fields JSON from an entity's chunks (or its overflow rows' chunks). */
export function joinChunks(entities: Iterable<Record<string, unknown>>): string {
  let s = '';
  for (const e of entities) for (let i = 0; typeof e[`f${i}`] === 'string'; i++) s += e[`f${i}`] as string;
  return s;
}

export interface StoredEntry {
  offset: string;
  cursor: string;
  bootId: string;
  unit: string;
  priority?: number;
  /** Field values: text as is, binary as base64 (names listed in binaryFields), repeated as arrays. */
  fields: Record<string, string | null | (string | null)[]>;
  binaryFields: string[];
}

export function decodeEntity(e: TableEntityResult<Record<string, unknown>>, json: string): StoredEntry {
  return decodeStored(e, JSON.parse(json) as StoredFields);
}

function decodeStored(e: TableEntityResult<Record<string, unknown>>, stored: StoredFields): StoredEntry {
  const fields: StoredEntry['fields'] = {};
  const binary = new Set<string>();
  const plain = (name: string, v: StoredValue): string | null => {
    if (v !== null && typeof v === 'object') {
      binary.add(name);
      return v.b;
    }
    return v;
  };
  for (const [name, v] of Object.entries(stored))
    fields[name] = Array.isArray(v) ? v.map((x) => plain(name, x)) : plain(name, v);
  return {
    offset: e.rowKey!,
    cursor: e.c as string,
    bootId: e.b as string,
    unit: e.u as string,
    ...(typeof e.p === 'number' ? { priority: e.p } : {}),
    fields,
    binaryFields: [...binary],
  };
}

export type EntryEntity = TableEntity<Record<string, unknown>>;

// The whole-VM view (partition `vm|`) is stored packed: one row per run of ≤ PACK_ENTRIES entries of
// one request, consecutive in offset order and within one PACK_SLOT_USEC slot, as a JSON array of
// {o offset, c, b, u, p?, f fields | r: 1} split into f0… like an entry's fields. Why: a row per entry
// made the VM partition as large as all the VM's units together, and Azurite's insert scans the
// partition it writes (lib/journal/README.md, "Azurite"); on Azure a VM-view transaction carries up to
// 100 packs (≤ 3 MiB) instead of 100 entries. RowKey = `<last offset>.<hash of the pack's offsets>`: a pack is
// found by a RowKey range query up to the end of the slot its upper bound falls in (a pack never spans
// slots), and a re-sent pack maps to the same key. Entries whose fields JSON is longer than
// PACK_INLINE_MAX are referenced (`r`): the reader fetches the unit copy (and its overflow rows).
export const PACK_ENTRIES = 50;
export const PACK_SLOT_USEC = 60_000_000;
const PACK_CHARS = INLINE_CHUNKS * CHUNK_CHARS;
const PACK_INLINE_MAX = 8_000;

export interface PackRow {
  rowKey: string;
  count: number;
  chunks: string[];
}

interface PackItem {
  o: string;
  c: string;
  b: string;
  u: string;
  p?: number;
  f?: StoredFields;
  r?: 1;
}

/** Packs records (any order) whose fields JSON is given; the rows come out in RowKey order. */
export function packRecords(records: { record: JournalRecord; json: string }[]): PackRow[] {
  const sorted = [...records].sort((x, y) =>
    x.record.offset < y.record.offset ? -1 : x.record.offset > y.record.offset ? 1 : 0,
  );
  const rows: PackRow[] = [];
  let items: string[] = [];
  let offsets: string[] = [];
  let chars = 0;
  let slot = -1;
  const flush = () => {
    if (!items.length) return;
    const hash = createHash('sha256').update(offsets.join(',')).digest('hex').slice(0, 16);
    rows.push({
      rowKey: `${offsets.at(-1)!}.${hash}`,
      count: items.length,
      chunks: chunkString(`[${items.join(',')}]`),
    });
    items = [];
    offsets = [];
    chars = 0;
  };
  for (const { record: r, json } of sorted) {
    const head: Omit<PackItem, 'f' | 'r'> = { o: r.offset, c: r.cursor, b: r.bootId, u: r.unit };
    if (r.priority !== undefined) head.p = r.priority;
    const open = JSON.stringify(head).slice(0, -1);
    const item = json.length <= PACK_INLINE_MAX ? `${open},"f":${json}}` : `${open},"r":1}`;
    const s = Math.floor(r.realtimeUsec / PACK_SLOT_USEC);
    if (s !== slot || items.length >= PACK_ENTRIES || chars + item.length > PACK_CHARS) flush();
    slot = s;
    items.push(item);
    offsets.push(r.offset);
    chars += item.length + 1;
  }
  flush();
  return rows;
}

/** Whether a row of the VM partition is a pack (else an entry row written before packing). */
export const isPack = (row: Record<string, unknown>) => typeof row.k === 'number';

/** The entries of a pack row as entry-like rows: `decodeRow` reads them like unit-copy rows; a
 * referenced entry has `ref` set and no fields. */
export function unpackRow(
  row: TableEntityResult<Record<string, unknown>>,
): TableEntityResult<Record<string, unknown>>[] {
  const items = JSON.parse(joinChunks([row])) as PackItem[];
  return items.map((it) => ({
    etag: row.etag,
    rowKey: it.o,
    c: it.c,
    b: it.b,
    u: it.u,
    ...(it.p !== undefined ? { p: it.p } : {}),
    ...(it.r ? { ref: 1 } : { [PACKED_FIELDS]: it.f }),
  }));
}

/** Where an unpacked row keeps its parsed fields (not a Table property name). */
const PACKED_FIELDS = '$fields';

/** Decodes an unpacked row whose fields are inline (see unpackRow); undefined for any other row. */
export function decodeUnpacked(row: TableEntityResult<Record<string, unknown>>): StoredEntry | undefined {
  const f = row[PACKED_FIELDS] as StoredFields | undefined;
  return f ? decodeStored(row, f) : undefined;
}
