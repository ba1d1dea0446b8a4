// Streaming parser for `journalctl -o json` output: one object per line (NDJSON, also concatenated
// objects) or one JSON array of objects. A small byte scanner finds where each top-level object ends
// (tracking strings and nesting), so only one entry is held at a time; JSON.parse does the rest.
// Values: string (text), number (its decimal text), null (elided by journalctl), an array of byte
// numbers (binary), or an array of those (a repeated field), exactly what journalctl writes.
// Long values (fields.ts LIMITS): the scanner keeps at most STRING_TEXT_MAX bytes of a string (and
// KEEP_TEXT once the entry's text passes MAX_ENTRY_TEXT), skipping the rest as it arrives; the entry
// then cuts values to what it stores and names them in _VMJ_TRUNCATED. A byte array (binary value) is
// cut the same way: the scanner keeps its first LIMITS.maxFieldBytes numbers (KEEP_TEXT once the entry's
// text passes MAX_ENTRY_TEXT) and counts the rest as it skips them, checking each is 0–255. Only an
// entry whose text stays above HARD_ENTRY_TEXT after that (tens of thousands of fields, which journald
// does not produce) is refused (413).
import { entryTooLarge, invalidEntry, showName } from './errors';
import {
  classifyBytes,
  EntryBuilder,
  type FieldValue,
  isValidFieldName,
  LIMITS,
  type RawEntry,
} from './fields';

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
/** JSON text of one entry may be ~4× its bytes (binary as number arrays). */
const MAX_ENTRY_TEXT = LIMITS.maxEntryBytes * 4;
const HARD_ENTRY_TEXT = MAX_ENTRY_TEXT * 2;
const STRING_TEXT_MAX = LIMITS.maxFieldBytes * 2;
const KEEP_TEXT = LIMITS.keepBytes;

/** A value the scanner cut: its kept start and its size in the body (a string's JSON-escaped bytes,
 * a byte array's count of numbers). */
class Cut<T = string | number[]> {
  constructor(
    readonly value: T,
    readonly size: number,
  ) {}
}

const BAD_BYTE = 'byte arrays hold integers 0–255';

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
  // String cutting: whether the next string at depth 1 is a key; the current string's size and
  // whether it is a value; \uXXXX digits still to come; whether its rest is being skipped; and the
  // original sizes of this entry's cut values by their ordinal among its string values.
  let expectKey = false;
  let strBytes = 0;
  let strIsValue = false;
  let hexLeft = 0;
  let dropping = false;
  let valueOrdinal = 0;
  let cuts = new Map<number, number>();
  // Byte-array cutting: the depth of the innermost open array while it may be a byte array (-1 once it
  // holds a string, object or array), its commas so far, and whether its rest is being skipped (with
  // the skipped number's value and digits); cut arrays' sizes by their ordinal among arrays in closing
  // order (the order JSON.parse's reviver sees them). The current key (for error messages).
  let leafDepth = -1;
  let leafCommas = 0;
  let droppingArray = false;
  let byteValue = 0;
  let byteDigits = 0;
  let byteEnded = false;
  let arrayOrdinal = 0;
  let arrayCuts = new Map<number, number>();
  const key = Buffer.alloc(LIMITS.maxFieldNameLength + 1);
  let keyLength = 0;

  const bad = (message: string) => invalidEntry(index, undefined, message);
  const keyName = () => {
    const raw = key.toString('latin1', 0, keyLength);
    return isValidFieldName(raw) ? raw : showName(raw);
  };

  for await (const input of source) {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input);
    let start = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (depth > 0) {
        if (droppingArray) {
          // Skipping the rest of a long byte array: only integers 0–255, commas and whitespace.
          if (c >= 0x30 && c <= 0x39) {
            if (byteEnded) throw invalidEntry(index, keyName(), BAD_BYTE);
            byteValue = byteValue * 10 + (c - 0x30);
            if (++byteDigits > 3 || byteValue > 255) throw invalidEntry(index, keyName(), BAD_BYTE);
            continue;
          }
          if (WS.has(c)) {
            byteEnded = byteDigits > 0;
            continue;
          }
          if ((c !== 0x2c && c !== 0x5d) || byteDigits === 0) throw invalidEntry(index, keyName(), BAD_BYTE);
          leafCommas++;
          byteValue = 0;
          byteDigits = 0;
          byteEnded = false;
          if (c === 0x2c) continue;
          // The closing ]: the array had one number more than its commas.
          droppingArray = false;
          arrayCuts.set(arrayOrdinal + 1, leafCommas);
          start = i;
        }
        if (inString) {
          strBytes++;
          if (!strIsValue && c !== 0x22 && keyLength <= LIMITS.maxFieldNameLength) key[keyLength++] = c;
          if (!dropping && strIsValue && !escaped && hexLeft === 0 && (c & 0xc0) !== 0x80) {
            const textSoFar = partBytes + (i - start);
            if (strBytes > (textSoFar > MAX_ENTRY_TEXT ? KEEP_TEXT : STRING_TEXT_MAX) && c !== 0x22) {
              // Keep what came so far; skip the rest of this string as it arrives.
              parts.push(Buffer.from(chunk.subarray(start, i)));
              partBytes += i - start;
              dropping = true;
            }
          }
          if (hexLeft > 0) hexLeft--;
          else if (escaped) {
            escaped = false;
            if (c === 0x75) hexLeft = 4;
          } else if (c === 0x5c) escaped = true;
          else if (c === 0x22) {
            inString = false;
            if (dropping) {
              dropping = false;
              cuts.set(valueOrdinal, strBytes - 1);
              start = i; // the closing quote
            }
          }
          continue;
        }
        if (c === 0x22) {
          inString = true;
          strBytes = 0;
          strIsValue = depth > 1 || !expectKey;
          if (strIsValue) valueOrdinal++;
          else keyLength = 0;
          if (depth === leafDepth) leafDepth = -1;
        } else if (c === 0x2c) {
          if (depth === 1) expectKey = true;
          else if (depth === leafDepth && ++leafCommas >= KEEP_TEXT) {
            const textSoFar = partBytes + (i - start);
            if (leafCommas >= (textSoFar > MAX_ENTRY_TEXT ? KEEP_TEXT : LIMITS.maxFieldBytes)) {
              // As many numbers as may be kept came before this comma: skip the rest as it arrives.
              parts.push(Buffer.from(chunk.subarray(start, i)));
              partBytes += i - start;
              droppingArray = true;
            }
          }
        } else if (depth === 1 && c === 0x3a) expectKey = false;
        else if (c === 0x5b) {
          leafDepth = ++depth;
          leafCommas = 0;
        } else if (c === 0x7b) {
          depth++;
          leafDepth = -1;
        } else if (c === 0x7d || c === 0x5d) {
          if (c === 0x5d) arrayOrdinal++;
          leafDepth = -1;
          if (--depth === 0) {
            parts.push(chunk.subarray(start, i + 1));
            const text = Buffer.concat(parts).toString('utf8');
            const cut = cuts;
            const arrayCut = arrayCuts;
            parts = [];
            partBytes = 0;
            start = -1;
            cuts = new Map();
            arrayCuts = new Map();
            valueOrdinal = 0;
            arrayOrdinal = 0;
            yield toEntry(text, index, cut, arrayCut);
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
      expectKey = true;
      start = i;
    }
    if (depth > 0 && !dropping && !droppingArray) {
      const piece = chunk.subarray(start);
      partBytes += piece.length;
      if (partBytes > HARD_ENTRY_TEXT)
        throw entryTooLarge(index, undefined, `entry exceeds ${HARD_ENTRY_TEXT} bytes of JSON`);
      parts.push(Buffer.from(piece));
    }
  }
  if (depth > 0) throw bad('truncated: the body ends inside an entry');
  if (mode === 'array' && !arrayClosed) throw bad('truncated: the JSON array is not closed');
}

function toEntry(
  text: string,
  index: number,
  cuts: Map<number, number>,
  arrayCuts: Map<number, number>,
): RawEntry {
  let obj: unknown;
  try {
    let ordinal = 0;
    let arrayOrdinal = 0;
    // The values the scanner cut are found by their ordinal among string values (document order) or
    // among arrays (closing order, which is the order the reviver sees them in).
    obj =
      cuts.size || arrayCuts.size
        ? JSON.parse(text, (_k, v: unknown) => {
            if (Array.isArray(v)) {
              const size = arrayCuts.get(++arrayOrdinal);
              return size === undefined ? v : new Cut(v as number[], size);
            }
            if (typeof v !== 'string') return v;
            const size = cuts.get(++ordinal);
            return size === undefined ? v : new Cut(v, size);
          })
        : JSON.parse(text);
  } catch (e) {
    throw invalidEntry(index, undefined, `invalid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || obj instanceof Cut)
    throw invalidEntry(index, undefined, 'each entry must be a JSON object');
  const entry = new EntryBuilder();
  for (const [name, value] of Object.entries(obj as Record<string, unknown>)) {
    if (!isValidFieldName(name)) throw invalidEntry(index, undefined, `invalid field name ${showName(name)}`);
    for (const v of fieldValues(value, index, name))
      if (v instanceof Cut) entry.add(name, v.value, v.size);
      else entry.add(name, v);
  }
  return entry.finish();
}

type Kept = FieldValue | Cut<string | Buffer>;

function fieldValues(value: unknown, index: number, name: string): Kept[] {
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

function scalar(v: unknown, index: number, name: string): Kept | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Cut) {
    const cut = v as Cut;
    if (typeof cut.value === 'string') return new Cut(cut.value, cut.size);
    if (!cut.value.every((b) => typeof b === 'number')) throw invalidEntry(index, name, BAD_BYTE);
    return new Cut(bytesOf(cut.value, index, name), cut.size);
  }
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
    if (!Number.isInteger(b) || b < 0 || b > 255) throw invalidEntry(index, name, BAD_BYTE);
  // journalctl writes a byte array for values that are not printable text; keep them as bytes unless
  // they are in fact text (some clients send every value as bytes).
  return classifyBytes(Buffer.from(arr));
}
