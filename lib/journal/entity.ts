// How a journal record becomes Table entities, and back.
// Columns: c = cursor, b = boot id, u = unit, p = priority (absent when the entry has none), and the
// fields as one JSON document ({NAME: text | {"b": base64} | null | [repeated…]}) split into string
// properties f0, f1… of at most 30,000 UTF-16 units each (a property holds ≤ 64 KiB).
// Large values: when the JSON is longer than INLINE_CHUNKS chunks, the entity keeps only its columns
// and `ov` = the number of overflow rows; the chunks go to rows `<offset>-<k>` in the partition
// `vm|unit|+`, OVERFLOW_CHUNKS per row (≤ ~840 KB, under the 1 MiB entity limit). Both copies of the
// entry (unit and whole-VM partitions) point at the same overflow rows. 1 MiB messages fit in 3 rows.
import type { TableEntity, TableEntityResult } from '@azure/data-tables';

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

/** The entity columns and, for large entries, the overflow rows' chunk groups. */
export function encodeFields(fields: RawEntry): { inline?: string[]; overflow?: string[][] } {
  const chunks = chunkString(fieldsToJson(fields));
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
  const stored = JSON.parse(json) as StoredFields;
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
