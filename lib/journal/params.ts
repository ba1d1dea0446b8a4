// Query parameters of GET /api/vms/{name}/journal, parsed and checked (every bad one named), and the
// opaque paging cursor. Boot references (`current`, `0`, `-1`…, an id) resolve through the boot index.
import { type FieldError, validationFailed } from '../errors';
import { rejectUnknownQuery } from '../http/query';
import type { Services } from '../services';
import { readIndex } from './indexes';
import { isOffset } from './keys';
import type { JournalQuery } from './query';

export const JOURNAL_QUERY_PARAMS = [
  'unit',
  'boot',
  'priority',
  'since',
  'until',
  'grep',
  'limit',
  'order',
  'cursor',
  'format',
  'follow',
  'after',
] as const;

export type JournalFormat = 'json' | 'ndjson' | 'short';

export interface ParsedJournalQuery {
  query: JournalQuery;
  format: JournalFormat;
  follow: boolean;
  /** Set when `limit` was given explicitly. */
  limitGiven: boolean;
}

const PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const UNIT_USEC: Record<string, number> = { s: 1e6, m: 60e6, h: 3600e6, d: 86400e6, w: 604800e6 };

/** ISO 8601, `now`, `today`, `yesterday`, or relative `-15m` / `+1h` (s, m, h, d, w). In µs. */
export function parseTime(value: string, nowMs: number): number | undefined {
  const v = value.trim();
  if (v === 'now') return nowMs * 1000;
  if (v === 'today' || v === 'yesterday') {
    const d = new Date(nowMs);
    d.setHours(0, 0, 0, 0);
    return (d.getTime() - (v === 'yesterday' ? 86_400_000 : 0)) * 1000;
  }
  const rel = /^([+-])(\d{1,9})(s|m|h|d|w)$/.exec(v);
  if (rel) return nowMs * 1000 + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT_USEC[rel[3]!]!;
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return undefined;
  const ms = Date.parse(v.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms * 1000;
}

export function encodeCursor(c: { o: string; d: 'asc' | 'desc' }): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(s: string): { o: string; d: 'asc' | 'desc' } | undefined {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { o?: unknown; d?: unknown };
    if (typeof c.o === 'string' && isOffset(c.o) && (c.d === 'asc' || c.d === 'desc'))
      return { o: c.o, d: c.d };
  } catch {
    /* reported below */
  }
  return undefined;
}

export async function parseJournalQuery(
  services: Services,
  vm: string,
  params: URLSearchParams,
  headers: { lastEventId?: string | null },
  nowMs = services.clock.now(),
): Promise<ParsedJournalQuery> {
  rejectUnknownQuery(params, JOURNAL_QUERY_PARAMS);
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field: `query.${field}`, message });
  const single = (name: string): string | undefined => {
    const all = params.getAll(name);
    if (all.length > 1) bad(name, 'give it once');
    return all[0];
  };

  const units = params.getAll('unit');
  units.forEach((u) => (u.length === 0 || u.length > 512) && bad('unit', 'must be 1–512 characters'));
  if (units.length > 20) bad('unit', 'at most 20 units');

  const format = (single('format') ?? 'json') as JournalFormat;
  if (!['json', 'ndjson', 'short'].includes(format)) bad('format', 'must be json, ndjson or short');
  const followRaw = single('follow');
  if (followRaw !== undefined && !['true', 'false'].includes(followRaw))
    bad('follow', 'must be true or false');
  const follow = followRaw === 'true';

  const order = single('order') ?? 'asc';
  if (order !== 'asc' && order !== 'desc') bad('order', 'must be asc or desc');
  if (follow && order === 'desc') bad('order', 'a live tail is in ascending order');

  const limitRaw = single('limit');
  const limit = limitRaw === undefined ? 100 : Number(limitRaw);
  if (!/^\d{1,4}$/.test(limitRaw ?? '100') || limit < 1 || limit > 1000)
    bad('limit', 'must be an integer 1–1000');

  let priority: number | undefined;
  const p = single('priority');
  if (p !== undefined) {
    const i = /^[0-7]$/.test(p) ? Number(p) : PRIORITIES.indexOf(p.toLowerCase());
    if (i < 0) bad('priority', `must be 0–7 or one of ${PRIORITIES.join(', ')}`);
    else priority = i;
  }

  const time = (name: 'since' | 'until') => {
    const v = single(name);
    if (v === undefined) return undefined;
    const t = parseTime(v, nowMs);
    if (t === undefined)
      bad(
        name,
        'must be ISO 8601 (2024-05-01T12:00:00Z), now, today, yesterday or relative (-15m, -2h, -1d)',
      );
    return t;
  };
  let sinceUsec = time('since');
  let untilUsec = time('until');

  const grep = single('grep');
  if (grep !== undefined && (grep.length === 0 || grep.length > 256)) bad('grep', 'must be 1–256 characters');

  let after = single('after') ?? headers.lastEventId ?? undefined;
  if (after !== undefined && !isOffset(after))
    bad(params.has('after') ? 'after' : 'Last-Event-ID', 'not an offset returned by this API');
  let before: string | undefined;
  const cursorRaw = single('cursor');
  if (cursorRaw !== undefined) {
    const c = decodeCursor(cursorRaw);
    if (!c || c.d !== order) bad('cursor', 'not a cursor from a nextLink of this query');
    else if (c.d === 'asc') after = c.o;
    else before = c.o;
  }

  const boot = single('boot') ?? 'all';
  let bootId: string | undefined;
  if (errors.length === 0 && boot !== 'all') {
    const boots = (await readIndex(services, vm, nowMs)).boots;
    let found;
    if (boot === 'current' || /^(0|-\d{1,4})$/.test(boot)) {
      const back = boot === 'current' ? 0 : -Number(boot);
      found = boots[boots.length - 1 - back];
      if (!found) bad('boot', `no boot ${boot} (${boots.length} known)`);
    } else if (/^[0-9a-fA-F]{32}$/.test(boot)) {
      found = boots.find((b) => b.bootId === boot.toLowerCase());
      bootId = boot.toLowerCase();
    } else bad('boot', 'must be all, current, 0, -1, -2… or a 32-digit boot id');
    if (found) {
      bootId = found.bootId;
      // The boot's time span narrows the RowKey range the query reads.
      sinceUsec = Math.max(sinceUsec ?? 0, found.firstUsec);
      untilUsec = Math.min(untilUsec ?? Number.MAX_SAFE_INTEGER, found.lastUsec);
    }
  }
  if (errors.length > 0) throw validationFailed(errors);

  return {
    query: {
      ...(units.length ? { units } : {}),
      ...(bootId ? { bootId } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(sinceUsec !== undefined ? { sinceUsec } : {}),
      ...(untilUsec !== undefined && untilUsec !== Number.MAX_SAFE_INTEGER ? { untilUsec } : {}),
      ...(grep ? { grep } : {}),
      limit,
      order: order as 'asc' | 'desc',
      ...(after ? { after } : {}),
      ...(before ? { before } : {}),
    },
    format,
    follow,
    limitGiven: limitRaw !== undefined,
  };
}
