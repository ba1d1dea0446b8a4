// Journal field values and the limits every parser enforces. A value is text when journalctl would
// print it as a JSON string (valid UTF-8, no control characters but tab and newline); otherwise it
// is binary and kept as bytes (base64 in the API), exactly as `journalctl -o json` distinguishes them.

/** One value of a field: text, raw bytes, or null (journalctl -o json writes null for values it elided). */
export type FieldValue = string | Buffer | null;

/** Every field of one entry in arrival order; repeated fields keep all their values. */
export type RawEntry = Map<string, FieldValue[]>;

/** What is stored of an entry (documented in lib/journal/README.md and the OpenAPI). Nothing journald can
 * produce is refused for its size: journald takes fields up to 768 MiB (DATA_SIZE_MAX) and 1,024 client
 * fields plus its own trusted ones, so above these limits a value is cut and the entry names it in
 * TRUNCATED_FIELD; only what is not a journal entry at all (no cursor, broken framing) is refused. */
export const LIMITS = Object.freeze({
  /** Most bytes stored of one field value; a longer value keeps its first bytes (at a UTF-8 boundary). */
  maxFieldBytes: 2 * 1024 * 1024,
  /** Most bytes stored of one entry (names and values); once reached, later values are cut to what is
   * left, except values of at most keepBytes, which are always kept whole. */
  maxEntryBytes: 4 * 1024 * 1024,
  keepBytes: 1024,
  /** Most fields stored of one entry; later ones are dropped and counted in DROPPED_FIELDS. */
  maxFieldsPerEntry: 2048,
  /** Field names as journald allows them. */
  maxFieldNameLength: 64,
});

/** Added to an entry whose values were cut: one value `NAME ORIGINAL_BYTES` per cut value. */
export const TRUNCATED_FIELD = '_VMJ_TRUNCATED';
/** Added to an entry that had more than LIMITS.maxFieldsPerEntry fields: how many were dropped. */
export const DROPPED_FIELDS = '_VMJ_DROPPED_FIELDS';

const FIELD_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** journald's field-name rule: upper-case letters, digits and underscores, not starting with a digit. */
export function isValidFieldName(name: string): boolean {
  return name.length > 0 && name.length <= LIMITS.maxFieldNameLength && FIELD_NAME.test(name);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes as text if journalctl would print them as a string, else returns the bytes. */
export function classifyBytes(bytes: Buffer): string | Buffer {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return bytes;
  }
  return isPrintableText(text) ? text : bytes;
}

/** utf8_is_printable_newline(): no C0 controls except tab and newline, no DEL or C1 controls. */
export function isPrintableText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** The first value of a field as text, or undefined when absent, binary or null. */
export function textOf(entry: RawEntry, name: string): string | undefined {
  const v = entry.get(name)?.[0];
  return typeof v === 'string' ? v : undefined;
}

/** Size of an entry as received, for the per-entry limit. */
export function valueBytes(v: FieldValue): number {
  if (v === null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Cuts a value to at most `max` bytes (text at a UTF-8 character boundary). */
export function cutValue(v: string | Buffer, max: number): string | Buffer {
  if (Buffer.isBuffer(v)) return v.length <= max ? v : Buffer.from(v.subarray(0, max));
  if (v.length <= max / 3) return v; // at most 3 UTF-8 bytes per UTF-16 unit
  const bytes = Buffer.from(v, 'utf8');
  if (bytes.length <= max) return v;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/** Collects the fields of one entry, applying LIMITS: values are cut and fields dropped, never refused. */
export class EntryBuilder {
  readonly entry: RawEntry = new Map();
  private bytes = 0;
  private fields = 0;
  private dropped = 0;
  private cut: string[] = [];

  /** The most bytes the next value may keep (the parsers read no more than this of a long value). */
  room(): number {
    return Math.max(LIMITS.keepBytes, Math.min(LIMITS.maxFieldBytes, LIMITS.maxEntryBytes - this.bytes));
  }

  /** Adds a value; `originalBytes` is its size as sent when the parser already cut it. */
  add(name: string, value: FieldValue, originalBytes = valueBytes(value)): void {
    if (this.fields >= LIMITS.maxFieldsPerEntry) {
      this.dropped++;
      return;
    }
    this.fields++;
    const room = this.room();
    const kept = value === null || originalBytes <= room ? value : cutValue(value, room);
    const size = valueBytes(kept);
    if (size < originalBytes) this.cut.push(`${name} ${originalBytes}`);
    this.bytes += name.length + size;
    const values = this.entry.get(name);
    if (values) values.push(kept);
    else this.entry.set(name, [kept]);
  }

  /** The entry, with the markers of what was cut or dropped. */
  finish(): RawEntry {
    if (this.cut.length) this.entry.set(TRUNCATED_FIELD, this.cut);
    if (this.dropped) this.entry.set(DROPPED_FIELDS, [String(this.dropped)]);
    return this.entry;
  }
}

/** Bytes of an entry's names and values (what pending memory holds of it, roughly). */
export function entryBytes(entry: RawEntry): number {
  let n = 0;
  for (const [name, values] of entry) for (const v of values) n += name.length + valueBytes(v);
  return n;
}
