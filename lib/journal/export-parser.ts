// Streaming parser for the Journal Export Format (systemd.io/JOURNAL_EXPORT_FORMATS):
//   text field    NAME=value\n
//   binary field  NAME\n<u64 little-endian length><bytes>\n
//   a blank line ends an entry.
// Memory is bounded by one stored entry (fields.ts LIMITS): a value longer than what the entry may
// still keep is read up to that and the rest is skipped as it arrives (the entry names it in
// _VMJ_TRUNCATED). Input is appended to one buffer that grows by doubling and is compacted in place,
// so a long line costs linear time (re-concatenating the line on every chunk was quadratic).
// An entry not closed by its blank line at the end of the body is truncated: a 400, never a silent drop.
import { invalidEntry, showName } from './errors';
import { classifyBytes, EntryBuilder, isValidFieldName, LIMITS, type RawEntry } from './fields';

const NL = 0x0a;
const EQ = 0x3d;
/** journald's DATA_SIZE_MAX: a longer binary field is not from a journal (broken framing). */
export const JOURNALD_DATA_SIZE_MAX = 768 * 1024 * 1024;

export async function* parseExportFormat(source: AsyncIterable<Uint8Array>): AsyncGenerator<RawEntry> {
  const it = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let end = 0;
  let index = 0;
  let entry = new EntryBuilder();

  /** Reads more input into buf[end…]; false at the end of the body. */
  const more = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) return false;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    if (pos === end) {
      // Nothing pending: read from the chunk itself (no copy).
      buf = chunk;
      pos = 0;
      end = chunk.length;
      return true;
    }
    const pending = end - pos;
    if (end + chunk.length > buf.length) {
      const target =
        pending + chunk.length <= buf.length / 2
          ? buf
          : Buffer.allocUnsafe(Math.max(2 * buf.length, pending + chunk.length));
      buf.copy(target, 0, pos, end);
      buf = target;
      pos = 0;
      end = pending;
    }
    chunk.copy(buf, end);
    end += chunk.length;
    return true;
  };
  /** Ensures n bytes are available at pos; false if the body ends first. */
  const need = async (n: number): Promise<boolean> => {
    while (end - pos < n) if (!(await more())) return false;
    return true;
  };
  /** Skips n bytes without keeping them; false if the body ends first. */
  const skip = async (n: number): Promise<boolean> => {
    for (;;) {
      const step = Math.min(n, end - pos);
      pos += step;
      n -= step;
      if (n === 0) return true;
      if (!(await more())) return false;
    }
  };
  const fieldName = (raw: Buffer): string => {
    const name = raw.toString('latin1');
    if (!isValidFieldName(name)) throw invalidEntry(index, undefined, `invalid field name ${showName(name)}`);
    return name;
  };
  /** The first `room` bytes of a value, not ending inside a UTF-8 character. */
  const keep = (from: number, room: number): Buffer => {
    let k = room;
    while (k > 0 && (buf[from + k]! & 0xc0) === 0x80) k--;
    return Buffer.from(buf.subarray(from, from + k));
  };

  for (;;) {
    let nl = buf.subarray(0, end).indexOf(NL, pos);
    while (nl < 0) {
      const head = buf.subarray(pos, Math.min(end, pos + LIMITS.maxFieldNameLength + 1));
      const eq = head.indexOf(EQ) < 0 ? -1 : pos + head.indexOf(EQ);
      if (eq < 0 && end - pos > LIMITS.maxFieldNameLength + 1)
        throw invalidEntry(index, undefined, `invalid field name ${showName(head.toString('latin1'))}`);
      if (eq >= 0 && end - eq - 1 > entry.room()) {
        // A text value longer than the entry may keep: keep its start, skip the rest of the line.
        const name = fieldName(buf.subarray(pos, eq));
        const kept = keep(eq + 1, entry.room());
        let size = end - eq - 1;
        pos = end;
        for (;;) {
          if (!(await more())) throw invalidEntry(index, name, 'truncated: the body ends inside a field');
          const at = buf.subarray(0, end).indexOf(NL, pos);
          if (at >= 0) {
            size += at - pos;
            pos = at + 1;
            break;
          }
          size += end - pos;
          pos = end;
        }
        entry.add(name, classifyBytes(kept), size);
        break;
      }
      const searched = end - pos; // no newline in the line so far
      if (!(await more())) {
        if (end > pos) throw invalidEntry(index, undefined, 'truncated: the body ends inside a field');
        if (entry.entry.size > 0)
          throw invalidEntry(index, undefined, 'truncated: the entry has no closing blank line');
        return;
      }
      nl = buf.subarray(0, end).indexOf(NL, pos + searched);
    }
    if (nl < 0) continue; // a long text value was consumed above
    if (nl === pos) {
      // Blank line: end of entry (extra blank lines between entries are tolerated).
      pos = nl + 1;
      if (entry.entry.size > 0) {
        yield entry.finish();
        entry = new EntryBuilder();
        index++;
      }
      continue;
    }
    const eq = buf.subarray(0, nl).indexOf(EQ, pos);
    if (eq >= 0) {
      const name = fieldName(buf.subarray(pos, eq));
      const size = nl - eq - 1;
      const raw = size > entry.room() ? keep(eq + 1, entry.room()) : Buffer.from(buf.subarray(eq + 1, nl));
      entry.add(name, classifyBytes(raw), size);
      pos = nl + 1;
      continue;
    }
    // Binary field: NAME\n, 64-bit little-endian length, the bytes, then a newline.
    const name = fieldName(buf.subarray(pos, nl));
    pos = nl + 1;
    if (!(await need(8))) throw invalidEntry(index, name, 'truncated: the body ends inside a binary length');
    const length = buf.readBigUInt64LE(pos);
    if (length > BigInt(JOURNALD_DATA_SIZE_MAX))
      throw invalidEntry(
        index,
        name,
        `binary length ${length} is above journald's ${JOURNALD_DATA_SIZE_MAX} bytes`,
      );
    const n = Number(length);
    pos += 8;
    const room = entry.room();
    let raw: Buffer;
    if (n <= room) {
      if (!(await need(n + 1)))
        throw invalidEntry(index, name, `truncated: binary length ${n} runs past the body`);
      raw = Buffer.from(buf.subarray(pos, pos + n));
      pos += n;
    } else {
      if (!(await need(room)))
        throw invalidEntry(index, name, `truncated: binary length ${n} runs past the body`);
      raw = keep(pos, room);
      if (!(await skip(n)) || !(await need(1)))
        throw invalidEntry(index, name, `truncated: binary length ${n} runs past the body`);
    }
    if (buf[pos] !== NL) throw invalidEntry(index, name, `bad binary length ${n}: no newline after the data`);
    entry.add(name, classifyBytes(raw), n);
    pos += 1;
  }
}
