// The journal's HTTP handlers, each made from the app's Services: ingestion (ingest token), query,
// live tail, units, boots, stats, and the retention timer. Thin: parse and check input, call
// lib/journal, shape the response. functions/journal*.ts register them.
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';

import { payloadTooLarge, unauthorized, validationFailed } from '../errors';
import { bodyOf, discardBody } from '../http/body';
import { disconnectSignal } from '../http/disconnect';
import { rejectUnknownQuery } from '../http/query';
import { checkSseCapacity, SSE_HEADERS, sseStream } from '../http/sse';
import { authenticateIngestToken } from '../ingest-token';
import type { Services } from '../services';
import { requireLiveVm } from '../vms/exists';
import { pathName } from '../vms/http';
import { followJournal } from './follow';
import { bootsPage, parseBootsPage, parseUnitsPage, unitsPage } from './index-pages';
import { readIndex } from './indexes';
import { formatFromContentType, ingestBody, MAX_BODY_BYTES } from './ingest';
import { toApiEntry } from './model';
import { encodeCursor, parseJournalQuery } from './params';
import { queryJournal } from './query';
import { dropExpiredBuckets } from './retention';
import { formatShort } from './short';
import { parseStatsQuery, readStats } from './stats';

type Handler = (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;

/** After a rotation, the agent learns its next token from a successful ingest response (only it sees it). */
export const NEXT_TOKEN_HEADER = 'Next-Ingest-Token';

/** The caller's token must be the VM's; returns the rotated token to hand to it, if there is one. */
async function requireToken(
  services: Services,
  vm: string,
  token: string | undefined,
): Promise<string | undefined> {
  const verified = token ? await authenticateIngestToken(services, vm, token) : { ok: false as const };
  if (!verified.ok) throw unauthorized('Missing or invalid ingest token for this VM.');
  return verified.nextToken;
}

const isGzip = (req: HttpRequest) => {
  const enc = (req.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return false;
  if (enc === 'gzip' || enc === 'x-gzip') return true;
  throw validationFailed([{ field: 'header.Content-Encoding', message: 'only gzip is accepted' }]);
};

/**
 * POST /api/vms/{name}/journal: the agent's batches (JSON lines, JSON array or export format), all or
 * nothing; with stream=true, one long (chunked) request stored as it arrives, without a body limit.
 */
export const ingestHandler =
  (services: Services): Handler =>
  async (req) => {
    const vm = pathName(req);
    rejectUnknownQuery(req.query, ['stream']);
    const stream = req.query.get('stream') ?? 'false';
    if (stream !== 'true' && stream !== 'false')
      throw validationFailed([{ field: 'query.stream', message: 'true or false' }]);
    const auth = req.headers.get('authorization') ?? '';
    const nextToken = await requireToken(services, vm, /^Bearer\s+(\S+)$/i.exec(auth)?.[1]);
    const length = Number(req.headers.get('content-length') ?? '0');
    if (stream === 'false' && length > MAX_BODY_BYTES) {
      await discardBody(req);
      throw payloadTooLarge(`The body exceeds ${MAX_BODY_BYTES} bytes; send smaller batches.`);
    }
    const r = await ingestBody(services, vm, bodyOf(req), {
      format: formatFromContentType(req.headers.get('content-type')),
      gzip: isGzip(req),
      ...(stream === 'true' ? { mode: 'streaming' } : { mode: 'atomic', maxBodyBytes: MAX_BODY_BYTES }),
    });
    return {
      status: 200,
      ...(nextToken ? { headers: { [NEXT_TOKEN_HEADER]: nextToken, 'cache-control': 'no-store' } } : {}),
      jsonBody: {
        accepted: r.accepted,
        duplicates: r.duplicates,
        expired: r.expired,
        lastCursor: r.lastCursor,
      },
    };
  };

/**
 * POST /api/ingest/{name}/{token}/upload: stock systemd-journal-upload (export format, chunked). The
 * uploader cannot learn a rotated token: after a rotation its URL must be updated by the operator.
 */
export const uploadHandler =
  (services: Services): Handler =>
  async (req) => {
    const vm = pathName(req);
    rejectUnknownQuery(req.query, []);
    await requireToken(services, vm, req.params.token);
    const type = req.headers.get('content-type');
    const r = await ingestBody(services, vm, bodyOf(req), {
      format: type ? formatFromContentType(type) : 'export',
      gzip: isGzip(req),
      mode: 'streaming',
    });
    // systemd-journal-remote answers 202 with a short text; the uploader only checks for 2xx.
    return {
      status: 202,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: `OK. accepted=${r.accepted} duplicates=${r.duplicates} expired=${r.expired}\n`,
    };
  };

/** GET /api/vms/{name}/journal: query, or a live tail with follow=true. */
export const queryHandler =
  (services: Services): Handler =>
  async (req, ctx) => {
    const vm = pathName(req);
    const parsed = await parseJournalQuery(services, vm, req.query, {
      lastEventId: req.headers.get('last-event-id'),
    });
    await requireLiveVm(services, vm);
    if (parsed.follow) {
      checkSseCapacity(services);
      const abortSignal = disconnectSignal(services, ctx.invocationId);
      const body = sseStream(
        services,
        (w) =>
          followJournal(
            services,
            vm,
            parsed.query,
            w,
            parsed.limitGiven ? { initialLimit: parsed.query.limit } : {},
          ),
        { ...(abortSignal ? { abortSignal } : {}), logError: (m) => ctx.error(m) },
      );
      return { status: 200, headers: { ...SSE_HEADERS }, body };
    }
    const r = await queryJournal(services, vm, parsed.query);
    const last = r.items.at(-1);
    let nextLink: string | null = null;
    if (r.more && last) {
      const params = new URLSearchParams(req.query);
      params.delete('cursor');
      params.delete('code');
      params.append('cursor', encodeCursor({ o: last.offset, d: parsed.query.order }));
      nextLink = `/api/vms/${encodeURIComponent(vm)}/journal?${params.toString()}`;
    }
    const headers: Record<string, string> = nextLink ? { link: `<${nextLink}>; rel="next"` } : {};
    if (parsed.format === 'short')
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        body: formatShort(r.items),
      };
    const items = r.items.map(toApiEntry);
    if (parsed.format === 'ndjson')
      return {
        status: 200,
        headers: { ...headers, 'content-type': 'application/x-ndjson' },
        body: items.map((i) => JSON.stringify(i) + '\n').join(''),
      };
    return { status: 200, headers, jsonBody: { items, nextLink } };
  };

const nextLinkOf = (vm: string, list: 'units' | 'boots', limit: number, next: string | undefined) =>
  next
    ? `/api/vms/${encodeURIComponent(vm)}/${list}?${new URLSearchParams({ limit: String(limit), cursor: next }).toString()}`
    : null;

/** GET /api/vms/{name}/units: in name order, paged (`limit`, `cursor`). */
export const unitsHandler =
  (services: Services): Handler =>
  async (req) => {
    const vm = pathName(req);
    rejectUnknownQuery(req.query, ['limit', 'cursor']);
    const params = parseUnitsPage(req.query);
    await requireLiveVm(services, vm);
    const page = unitsPage(await readIndex(services, vm), params);
    const items = page.items.map((u) => ({
      unit: u.unit,
      count: u.count,
      first: new Date(u.firstUsec / 1000).toISOString(),
      last: new Date(u.lastUsec / 1000).toISOString(),
    }));
    return { status: 200, jsonBody: { items, nextLink: nextLinkOf(vm, 'units', params.limit, page.next) } };
  };

/** GET /api/vms/{name}/boots: like journalctl --list-boots (oldest first; index 0 is the newest), paged. */
export const bootsHandler =
  (services: Services): Handler =>
  async (req) => {
    const vm = pathName(req);
    rejectUnknownQuery(req.query, ['limit', 'cursor']);
    const params = parseBootsPage(req.query);
    await requireLiveVm(services, vm);
    const page = bootsPage(await readIndex(services, vm), params);
    const items = page.items.map((b) => ({
      index: b.index,
      bootId: b.bootId,
      first: new Date(b.firstUsec / 1000).toISOString(),
      last: new Date(b.lastUsec / 1000).toISOString(),
      count: b.count,
    }));
    return { status: 200, jsonBody: { items, nextLink: nextLinkOf(vm, 'boots', params.limit, page.next) } };
  };

/** GET /api/vms/{name}/journal/stats: journal volume per minute or hour, by priority or unit, read from
 * the counters ingestion keeps beside the index (stats.ts), never from the entries. */
export const statsHandler =
  (services: Services): Handler =>
  async (req) => {
    const vm = pathName(req);
    const q = parseStatsQuery(req.query, services.clock.now());
    return { status: 200, jsonBody: await readStats(services, vm, q) };
  };

/** The daily timer: drops the day tables older than the retention. */
export const retentionHandler =
  (services: Services) =>
  async (_timer: Timer, ctx: InvocationContext): Promise<void> => {
    const dropped = await dropExpiredBuckets(services);
    if (dropped.length)
      ctx.log(`journal retention dropped ${dropped.length} day table(s): ${dropped.join(', ')}`);
  };
