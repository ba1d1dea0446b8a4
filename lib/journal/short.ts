// `journalctl -o short` output, byte for byte (systemd 252 output_short() with its defaults: full
// width, no colour, no --all): `MMM DD HH:MM:SS host ident[pid]: message` in the server's time zone,
// tabs expanded and ANSI sequences stripped, continuation lines indented under the message, non-text
// messages as `[N B blob data]`, entries without MESSAGE skipped, and `-- Boot <id> --` between boots.
import type { StoredEntry } from './entity';
import { isPrintableText } from './fields';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Formats entries; `previousBootId` carries the boot separator state across pages of a stream. */
export function formatShort(entries: StoredEntry[], state: { previousBootId?: string } = {}): string {
  let out = '';
  for (const e of entries) {
    const line = formatShortEntry(e);
    if (line === undefined) continue;
    if (state.previousBootId !== undefined && state.previousBootId !== e.bootId)
      out += `-- Boot ${e.bootId} --\n`;
    state.previousBootId = e.bootId;
    out += line;
  }
  return out;
}

function bytesOf(e: StoredEntry, name: string): Buffer | undefined {
  const v = e.fields[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first !== 'string') return undefined;
  return e.binaryFields.includes(name) ? Buffer.from(first, 'base64') : Buffer.from(first, 'utf8');
}

/** A field as journalctl's shall_print_field(): printed only if it is printable text. */
function printable(e: StoredEntry, name: string): string | undefined {
  const b = bytesOf(e, name);
  if (!b) return undefined;
  try {
    const s = utf8.decode(b);
    return isPrintableText(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

export function formatShortEntry(e: StoredEntry): string | undefined {
  const message = bytesOf(e, 'MESSAGE');
  if (!message) return undefined;
  // _SOURCE_REALTIME_TIMESTAMP wins over the receive time when it is valid, as in journalctl.
  const src = printable(e, '_SOURCE_REALTIME_TIMESTAMP');
  const srcUsec = src && /^\d{1,16}$/.test(src) ? Number(src) : 0;
  const usec = srcUsec > 0 && srcUsec < 2 ** 53 ? srcUsec : Number(e.offset.slice(0, 16));
  const d = new Date(Math.floor(usec / 1000));
  let head = `${MONTHS[d.getMonth()]} ${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  const host = printable(e, '_HOSTNAME');
  if (host) head += ` ${host}`;
  const ident = printable(e, 'SYSLOG_IDENTIFIER') ?? printable(e, '_COMM');
  head += ident ? ` ${ident}` : ' unknown';
  const pid = printable(e, '_PID') ?? printable(e, 'SYSLOG_PID');
  if (pid) head += `[${pid}]`;
  head += ': ';

  let text: string | undefined;
  try {
    text = stripTabAnsi(utf8.decode(message));
  } catch {
    text = undefined;
  }
  if (text === undefined || !isPrintableText(text))
    return `${head}[${formatBytes(message.length)} blob data]\n`;
  const indent = ' '.repeat(Buffer.byteLength(head));
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  if (lines.length === 0) return `${head}\n`;
  return lines.map((l, i) => (i === 0 ? head : indent) + l + '\n').join('');
}

/** strip_tab_ansi(): tabs become 8 spaces, CSI `ESC [ … m` sequences are removed. */
function stripTabAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\t/g, '        ').replace(/\x1b\[[0-9;:]*m/g, '');
}

/** format_bytes(): 1024-based with one decimal, `B` below 1 KiB. */
export function formatBytes(n: number): string {
  const units = ['E', 'P', 'T', 'G', 'M', 'K'];
  for (let i = 0; i < units.length; i++) {
    const factor = 1024 ** (units.length - i);
    if (n >= factor) {
      const whole = Math.floor(n / factor);
      const tenth = Math.floor(((n % factor) * 10) / factor);
      return tenth > 0 ? `${whole}.${tenth}${units[i]}` : `${whole}${units[i]}`;
    }
  }
  return `${n}B`;
}
