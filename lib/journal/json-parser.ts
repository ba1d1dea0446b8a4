// Streaming parser for `journalctl -o json` output: one object per line (NDJSON, also concatenated
// objects) or one JSON array of objects. A small byte scanner finds where each top-level object ends
// (tracking strings and nesting), so only one entry is held at a time; JSON.parse does the rest.
// Values: string (text), number (its decimal text), null (elided by journalctl), an array of byte
// numbers (binary), or an array of those (a repeated field), exactly what journalctl writes.
import { entryTooLarge, invalidEntry, showName } from './errors';
import { classifyBytes, type FieldValue, isValidFieldName, LIMITS, type RawEntry } from './fields';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** JSON text of one entry may be ~4× its bytes (binary as number arrays). */
const MAX_ENTRY_TEXT = LIMITS.maxEntryBytes * 4;

export async function* parseJsonEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<RawEntry> {
  let mode: 'unknown' | 'lines' | 'array' = 'unknown';
  let arrayClosed = false;
  let needComma = false;
  let index = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];
  let partBytes = 0;

  const bad = (message: string) => invalidEntry(index, undefined, message);

  for await (const input of source) {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input);
    let start = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
          continue;
        }
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (--depth === 0) {
            parts.push(chunk.subarray(start, i + 1));
            const text = Buffer.concat(parts).toString('utf8');
            parts = [];
            partBytes = 0;
            start = -1;
            yield toEntry(text, index);
            index++;
            needComma = mode === 'array';
          }
        }
        continue;
      }
      // Between entries.
      if (WS.has(c)) continue;
      if (mode === 'unknown') {
        mode = c === 0x5b ? 'array' : 'lines';
        if (mode === 'array') continue;
      }
      if (arrayClosed) throw bad('unexpected data after the closing ]');
      if (mode === 'array') {
        if (c === 0x5d) {
          arrayClosed = true;
          continue;
        }
        if (needComma) {
          if (c !== 0x2c) throw bad('expected , or ] between array elements');
          needComma = false;
          continue;
        }
      }
      if (c !== 0x7b) throw bad('each entry must be a JSON object');
      depth = 1;
      start = i;
    }
    if (depth > 0) {
      const piece = chunk.subarray(start);
      partBytes += piece.length;
      if (partBytes > MAX_ENTRY_TEXT)
        throw entryTooLarge(index, undefined, `entry exceeds ${MAX_ENTRY_TEXT} bytes of JSON`);
      parts.push(Buffer.from(piece));
    }
  }
  if (depth > 0) throw bad('truncated: the body ends inside an entry');
  if (mode === 'array' && !arrayClosed) throw bad('truncated: the JSON array is not closed');
}

function toEntry(text: string, index: number): RawEntry {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw invalidEntry(index, undefined, `invalid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw invalidEntry(index, undefined, 'each entry must be a JSON object');
  const entry: RawEntry = new Map();
  let bytes = 0;
  let count = 0;
  for (const [name, value] of Object.entries(obj as Record<string, unknown>)) {
    if (!isValidFieldName(name)) throw invalidEntry(index, undefined, `invalid field name ${showName(name)}`);
    const values = fieldValues(value, index, name);
    for (const v of values) {
      const size = v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
      if (size > LIMITS.maxFieldBytes)
        throw entryTooLarge(index, name, `field exceeds ${LIMITS.maxFieldBytes} bytes`);
      bytes += size;
    }
    count += values.length;
    if (bytes > LIMITS.maxEntryBytes)
      throw entryTooLarge(index, name, `entry exceeds ${LIMITS.maxEntryBytes} bytes`);
    if (count > LIMITS.maxFieldsPerEntry)
      throw entryTooLarge(index, name, `entry has more than ${LIMITS.maxFieldsPerEntry} fields`);
    entry.set(name, values);
  }
  return entry;
}

function fieldValues(value: unknown, index: number, name: string): FieldValue[] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'number')) return [bytesOf(value, index, name)];
    if (value.length === 0) return [Buffer.alloc(0)];
    return value.map((v) => {
      const single = scalar(v, index, name);
      if (single === undefined)
        throw invalidEntry(index, name, 'repeated values must be strings, numbers, byte arrays or null');
      return single;
    });
  }
  const single = scalar(value, index, name);
  if (single === undefined)
    throw invalidEntry(index, name, 'must be a string, number, byte array, array of values or null');
  return [single];
}

function scalar(v: unknown, index: number, name: string): FieldValue | undefined {
  if (typeof v === 'string') return v;
  if (v === null) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalidEntry(index, name, 'number out of range');
    return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  }
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return bytesOf(v, index, name);
  return undefined;
}

function bytesOf(arr: number[], index: number, name: string): Buffer | string {
  for (const b of arr)
    if (!Number.isInteger(b) || b < 0 || b > 255)
      throw invalidEntry(index, name, 'byte arrays hold integers 0–255');
  // journalctl writes a byte array for values that are not printable text; keep them as bytes unless
  // they are in fact text (some clients send every value as bytes).
  return classifyBytes(Buffer.from(arr));
}
