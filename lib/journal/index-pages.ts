// Paging of GET /units and /boots (docs/api.md: `limit` default 100, max 1000; `cursor` from nextLink).
// Keyset cursors: units in name order resume after a name, boots in time order after (first, bootId),
// so a page is stable while entries arrive. The cursor is opaque to clients and checked on the way in.
import { type FieldError, validationFailed } from '../errors';
import { parseLimit } from '../http/query';
import type { BootSummary, UnitSummary, VmIndex } from './indexes';

interface UnitCursor {
  u: string;
}
interface BootCursor {
  t: number;
  b: string;
}

const encode = (c: UnitCursor | BootCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decode(raw: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(raw)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface IndexPageParams {
  limit: number;
  cursor?: string;
}

function pageParams(q: URLSearchParams, check: (c: Record<string, unknown>) => boolean): IndexPageParams {
  const errors: FieldError[] = [];
  for (const name of ['limit', 'cursor'])
    if (q.getAll(name).length > 1) errors.push({ field: `query.${name}`, message: 'give it once' });
  const limit = parseLimit(q, errors);
  const cursor = q.get('cursor') ?? undefined;
  if (cursor !== undefined) {
    const c = decode(cursor);
    if (!c || !check(c))
      errors.push({ field: 'query.cursor', message: 'not a cursor from a nextLink of this list' });
  }
  if (errors.length) throw validationFailed(errors);
  return { limit, ...(cursor !== undefined ? { cursor } : {}) };
}

const isUnitCursor = (c: Record<string, unknown>) => typeof c.u === 'string' && c.u.length > 0;
const isBootCursor = (c: Record<string, unknown>) =>
  typeof c.t === 'number' &&
  Number.isSafeInteger(c.t) &&
  typeof c.b === 'string' &&
  /^[0-9a-f]{1,64}$/.test(c.b);

export const parseUnitsPage = (q: URLSearchParams) => pageParams(q, isUnitCursor);
export const parseBootsPage = (q: URLSearchParams) => pageParams(q, isBootCursor);

export interface Page<T> {
  items: T[];
  /** Cursor of the next page, when there is one. */
  next?: string;
}

/** Units in name order after the cursor's name. */
export function unitsPage(index: VmIndex, p: IndexPageParams): Page<UnitSummary> {
  const after = p.cursor ? (decode(p.cursor) as unknown as UnitCursor).u : undefined;
  const rest = after === undefined ? index.units : index.units.filter((u) => u.unit > after);
  const items = rest.slice(0, p.limit);
  return rest.length > p.limit ? { items, next: encode({ u: items.at(-1)!.unit }) } : { items };
}

const bootOrder = (a: { firstUsec: number; bootId: string }, b: { firstUsec: number; bootId: string }) =>
  a.firstUsec - b.firstUsec || (a.bootId < b.bootId ? -1 : a.bootId > b.bootId ? 1 : 0);

/** Boots oldest first after the cursor's boot, each with its journalctl index (0 = newest). */
export function bootsPage(index: VmIndex, p: IndexPageParams): Page<BootSummary & { index: number }> {
  const all = [...index.boots].sort(bootOrder);
  const c = p.cursor ? (decode(p.cursor) as unknown as BootCursor) : undefined;
  const start = c ? all.findIndex((b) => bootOrder(b, { firstUsec: c.t, bootId: c.b }) > 0) : 0;
  const from = start < 0 ? all.length : start;
  const items = all.slice(from, from + p.limit).map((b, i) => ({ ...b, index: from + i - (all.length - 1) }));
  const last = items.at(-1);
  return from + p.limit < all.length && last
    ? { items, next: encode({ t: last.firstUsec, b: last.bootId }) }
    : { items };
}
