// Journal entries (as the API returns them) in journalctl's output modes. `short` reuses the server's
// formatter (lib/journal/short.ts), so `vmj logs -o short` is byte for byte the API's `format=short`
// and journalctl's; the other short modes only change the timestamp, as journalctl does.
import type { StoredEntry } from '../lib/journal/entity';
import type { ApiEntry } from '../lib/journal/model';
import { formatShortEntry } from '../lib/journal/short';
import type { Colors } from './output';

export type { ApiEntry };

export const OUTPUT_MODES = ['short', 'short-iso', 'short-precise', 'cat', 'json', 'json-pretty'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const SHORT_STAMP_LENGTH = 'Jan 01 00:00:00'.length;

const stored = (e: ApiEntry): StoredEntry => ({
  offset: e.offset,
  cursor: e.cursor,
  bootId: e.bootId,
  unit: e.unit,
  ...(e.priority === null ? {} : { priority: e.priority }),
  fields: e.fields,
  binaryFields: e.binaryFields,
});

function firstText(e: ApiEntry, name: string): string | undefined {
  const v = e.fields[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first !== 'string') return undefined;
  return e.binaryFields.includes(name) ? Buffer.from(first, 'base64').toString('utf8') : first;
}

/** The time journalctl shows: _SOURCE_REALTIME_TIMESTAMP when valid, else the receive time (µs). */
function shownUsec(e: ApiEntry): number {
  const src = firstText(e, '_SOURCE_REALTIME_TIMESTAMP');
  const usec = src && /^\d{1,16}$/.test(src) ? Number(src) : 0;
  return usec > 0 && usec < 2 ** 53 ? usec : e.realtimeUsec;
}

function stamp(mode: 'short-iso' | 'short-precise', usec: number): string {
  const d = new Date(Math.floor(usec / 1000));
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (mode === 'short-precise')
    return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${hms}.${pad(usec % 1_000_000, 6)}`;
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${hms}${zone}`;
}

/** journalctl -o json: every field; binary values as arrays of bytes. */
export function journalJson(e: ApiEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { __CURSOR: e.cursor, __REALTIME_TIMESTAMP: String(e.realtimeUsec) };
  const binary = new Set(e.binaryFields);
  const bytes = (v: string | null) => (v === null ? null : [...Buffer.from(v, 'base64')]);
  for (const [name, v] of Object.entries(e.fields)) {
    if (!binary.has(name)) out[name] = v;
    else out[name] = Array.isArray(v) ? v.map(bytes) : bytes(v);
  }
  return out;
}

/** Formats a stream of entries; keeps the boot-separator state across pages and reconnects. */
export class JournalFormatter {
  private previousBootId: string | undefined;

  constructor(
    private readonly mode: OutputMode,
    private readonly c?: Colors,
  ) {}

  format(e: ApiEntry): string {
    switch (this.mode) {
      case 'json':
        return JSON.stringify(journalJson(e)) + '\n';
      case 'json-pretty':
        return JSON.stringify(journalJson(e), null, '\t') + '\n';
      case 'cat': {
        const m = e.fields.MESSAGE;
        if (m === undefined || m === null) return '';
        return (firstText(e, 'MESSAGE') ?? '') + '\n';
      }
      default:
        return this.short(e);
    }
  }

  private short(e: ApiEntry): string {
    let line = formatShortEntry(stored(e));
    if (line === undefined) return '';
    // As formatShort(): a separator when the boot changes between printed entries.
    const sep =
      this.previousBootId !== undefined && this.previousBootId !== e.bootId ? `-- Boot ${e.bootId} --\n` : '';
    this.previousBootId = e.bootId;
    if (this.mode === 'short-iso' || this.mode === 'short-precise') {
      const s = stamp(this.mode, shownUsec(e));
      const extra = ' '.repeat(s.length - SHORT_STAMP_LENGTH);
      const lines = line.split('\n');
      line = lines
        .map((l, i) => (i === 0 ? s + l.slice(SHORT_STAMP_LENGTH) : l === '' ? l : extra + l))
        .join('\n');
    }
    return sep + this.highlight(line, e.priority);
  }

  /** journalctl's colours on a TTY: err and worse red, warning yellow, notice bold. */
  private highlight(text: string, priority: number | null): string {
    const c = this.c;
    if (!c?.isColorSupported || priority === null || priority > 5) return text;
    const paint = priority <= 3 ? (s: string) => c.bold(c.red(s)) : priority === 4 ? c.yellow : c.bold;
    return text
      .split('\n')
      .map((l) => (l ? paint(l) : l))
      .join('\n');
  }
}
