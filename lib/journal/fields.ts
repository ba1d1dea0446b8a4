// Journal field values and the limits every parser enforces. A value is text when journalctl would
// print it as a JSON string (valid UTF-8, no control characters but tab and newline); otherwise it
// is binary and kept as bytes (base64 in the API), exactly as `journalctl -o json` distinguishes them.

/** One value of a field: text, raw bytes, or null (journalctl -o json writes null for values it elided). */
export type FieldValue = string | Buffer | null;

/** Every field of one entry in arrival order; repeated fields keep all their values. */
export type RawEntry = Map<string, FieldValue[]>;

/** Limits shared by both parsers (documented in lib/journal/README.md and the OpenAPI). */
export const LIMITS = Object.freeze({
  /** Largest single field value (bytes). Entries up to 1 MiB are stored intact; this leaves room for framing. */
  maxFieldBytes: 2 * 1024 * 1024,
  /** Largest entry, all fields together (bytes, as received). */
  maxEntryBytes: 4 * 1024 * 1024,
  /** Most fields in one entry. */
  maxFieldsPerEntry: 1024,
  /** Field names as journald allows them. */
  maxFieldNameLength: 64,
});

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
