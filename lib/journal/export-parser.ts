// Streaming parser for the Journal Export Format (systemd.io/JOURNAL_EXPORT_FORMATS):
//   text field    NAME=value\n
//   binary field  NAME\n<u64 little-endian length><bytes>\n
//   a blank line ends an entry.
// Memory is bounded by one entry (LIMITS.maxEntryBytes): bytes are consumed as they arrive.
// An entry not closed by its blank line at the end of the body is truncated: a 400, never a silent drop.
import { entryTooLarge, invalidEntry, showName } from './errors';
import { classifyBytes, type FieldValue, isValidFieldName, LIMITS, type RawEntry } from './fields';

const NL = 0x0a;
const EQ = 0x3d;

export async function* parseExportFormat(source: AsyncIterable<Uint8Array>): AsyncGenerator<RawEntry> {
  const it = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let index = 0;
  let entry: RawEntry = new Map();
  let entryBytes = 0;
  let fields = 0;

  /** Reads more input; false at the end of the body. */
  const more = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) return false;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), chunk]) : chunk;
    pos = 0;
    return true;
  };
  /** Ensures n bytes are available at pos; false if the body ends first. */
  const need = async (n: number): Promise<boolean> => {
    while (buf.length - pos < n) if (!(await more())) return false;
    return true;
  };
  const add = (name: string, value: FieldValue, size: number) => {
    entryBytes += name.length + size;
    if (entryBytes > LIMITS.maxEntryBytes)
      throw entryTooLarge(index, name, `entry exceeds ${LIMITS.maxEntryBytes} bytes`);
    if (++fields > LIMITS.maxFieldsPerEntry)
      throw entryTooLarge(index, name, `entry has more than ${LIMITS.maxFieldsPerEntry} fields`);
    const values = entry.get(name);
    if (values) values.push(value);
    else entry.set(name, [value]);
  };
  const fieldName = (raw: Buffer): string => {
    const name = raw.toString('latin1');
    if (!isValidFieldName(name)) throw invalidEntry(index, undefined, `invalid field name ${showName(name)}`);
    return name;
  };

  for (;;) {
    let nl = buf.indexOf(NL, pos);
    while (nl < 0) {
      if (buf.length - pos > LIMITS.maxFieldBytes + LIMITS.maxFieldNameLength + 1)
        throw entryTooLarge(index, undefined, `a line exceeds ${LIMITS.maxFieldBytes} bytes`);
      const offsetInLine = buf.length - pos;
      if (!(await more())) {
        if (buf.length > pos) throw invalidEntry(index, undefined, 'truncated: the body ends inside a field');
        if (entry.size > 0)
          throw invalidEntry(index, undefined, 'truncated: the entry has no closing blank line');
        return;
      }
      nl = buf.indexOf(NL, pos + offsetInLine);
    }
    if (nl === pos) {
      // Blank line: end of entry (extra blank lines between entries are tolerated).
      pos = nl + 1;
      if (entry.size > 0) {
        yield entry;
        entry = new Map();
        entryBytes = 0;
        fields = 0;
        index++;
      }
      continue;
    }
    const eq = buf.indexOf(EQ, pos);
    if (eq >= 0 && eq < nl) {
      const name = fieldName(buf.subarray(pos, eq));
      const raw = Buffer.from(buf.subarray(eq + 1, nl));
      if (raw.length > LIMITS.maxFieldBytes)
        throw entryTooLarge(index, name, `field exceeds ${LIMITS.maxFieldBytes} bytes`);
      add(name, classifyBytes(raw), raw.length);
      pos = nl + 1;
      continue;
    }
    // Binary field: NAME\n, 64-bit little-endian length, the bytes, then a newline.
    const name = fieldName(buf.subarray(pos, nl));
    pos = nl + 1;
    if (!(await need(8))) throw invalidEntry(index, name, 'truncated: the body ends inside a binary length');
    const length = buf.readBigUInt64LE(pos);
    if (length > BigInt(LIMITS.maxFieldBytes))
      throw entryTooLarge(index, name, `binary length ${length} exceeds ${LIMITS.maxFieldBytes} bytes`);
    const n = Number(length);
    pos += 8;
    if (!(await need(n + 1)))
      throw invalidEntry(index, name, `truncated: binary length ${n} runs past the body`);
    if (buf[pos + n] !== NL)
      throw invalidEntry(index, name, `bad binary length ${n}: no newline after the data`);
    const raw = Buffer.from(buf.subarray(pos, pos + n));
    add(name, classifyBytes(raw), n);
    pos += n + 1;
  }
}
