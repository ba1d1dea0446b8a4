// Journal Export Format (systemd.io/JOURNAL_EXPORT_FORMATS): what systemd-journal-remote reads.
// Text fields as NAME=value lines; values with a newline or non-UTF-8 bytes in the binary form
// (NAME, newline, little-endian 64-bit length, the bytes, newline). An empty line ends an entry.

export type FieldValue = string | Buffer;
export type JournalFields = Record<string, FieldValue>;

const NAME = /^[A-Z0-9_]{1,64}$/;

export function exportEntry(fields: JournalFields): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (!NAME.test(name)) throw new Error(`invalid journal field name ${JSON.stringify(name)}`);
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const text = typeof value === 'string' && !value.includes('\n');
    if (text) {
      parts.push(Buffer.from(`${name}=`), bytes, Buffer.from('\n'));
    } else {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(bytes.length));
      parts.push(Buffer.from(`${name}\n`), len, bytes, Buffer.from('\n'));
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}
