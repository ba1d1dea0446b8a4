// Journal routes: ingestion (ingest token), query, live tail, units, boots, and the retention timer.
// Thin: parse and check input, call lib/journal, shape the response.
import {
  app,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
  type Timer,
} from '@azure/functions';

import { payloadTooLarge, unauthorized, validationFailed } from '../lib/errors';
import { discardBody } from '../lib/http/body';
import { disconnectSignal, watchDisconnects } from '../lib/http/disconnect';
import { withProblems } from '../lib/http/problem';
import { rejectUnknownQuery } from '../lib/http/query';
import { checkSseCapacity, SSE_HEADERS, sseStream } from '../lib/http/sse';
import { authenticateIngestToken } from '../lib/ingest-token';
import { followJournal } from '../lib/journal/follow';
import { bootsPage, parseBootsPage, parseUnitsPage, unitsPage } from '../lib/journal/index-pages';
import { readIndex } from '../lib/journal/indexes';
import { formatFromContentType, ingestBody, MAX_BODY_BYTES } from '../lib/journal/ingest';
import { toApiEntry } from '../lib/journal/model';
import { encodeCursor, parseJournalQuery } from '../lib/journal/params';
import { queryJournal } from '../lib/journal/query';
import { dropExpiredBuckets } from '../lib/journal/retention';
import { formatShort } from '../lib/journal/short';
import { requireLiveVm } from '../lib/vms/exists';

watchDisconnects();

const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function vmName(req: HttpRequest): string {
  const name = req.params.name ?? '';
  if (!VM_NAME.test(name))
    throw validationFailed([
      { field: 'path.name', message: 'letters, digits, . _ - (1–64, starting with a letter or digit)' },
    ]);
  return name;
}

/** The caller's token must be the VM's; returns the rotated token to hand to it, if there is one. */
async function requireToken(vm: string, token: string | undefined): Promise<string | undefined> {
  const verified = token ? await authenticateIngestToken(vm, token) : { ok: false as const };
  if (!verified.ok) throw unauthorized('Missing or invalid ingest token for this VM.');
  return verified.nextToken;
}

/** After a rotation, the agent learns its next token from a successful ingest response (only it sees it). */
export const NEXT_TOKEN_HEADER = 'Next-Ingest-Token';

const isGzip = (req: HttpRequest) => {
  const enc = (req.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return false;
  if (enc === 'gzip' || enc === 'x-gzip') return true;
  throw validationFailed([{ field: 'header.Content-Encoding', message: 'only gzip is accepted' }]);
};

const bodyOf = (req: HttpRequest): AsyncIterable<Uint8Array> =>
  (req.body as unknown as AsyncIterable<Uint8Array> | null) ?? (async function* () {})();

/**
 * POST /api/vms/{name}/journal: the agent's batches (JSON lines, JSON array or export format), all or
 * nothing; with stream=true, one long (chunked) request stored as it arrives, without a body limit.
 */
export async function ingestJournal(req: HttpRequest): Promise<HttpResponseInit> {
  const vm = vmName(req);
  rejectUnknownQuery(req.query, ['stream']);
  const stream = req.query.get('stream') ?? 'false';
  if (stream !== 'true' && stream !== 'false')
    throw validationFailed([{ field: 'query.stream', message: 'true or false' }]);
  const auth = req.headers.get('authorization') ?? '';
  const nextToken = await requireToken(vm, /^Bearer\s+(\S+)$/i.exec(auth)?.[1]);
  const length = Number(req.headers.get('content-length') ?? '0');
  if (stream === 'false' && length > MAX_BODY_BYTES) {
    await discardBody(req);
    throw payloadTooLarge(`The body exceeds ${MAX_BODY_BYTES} bytes; send smaller batches.`);
  }
  const r = await ingestBody(vm, bodyOf(req), {
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
}

/**
 * POST /api/ingest/{name}/{token}/upload: stock systemd-journal-upload (export format, chunked). The
 * uploader cannot learn a rotated token: after a rotation its URL must be updated by the operator.
 */
export async function ingestUpload(req: HttpRequest): Promise<HttpResponseInit> {
  const vm = vmName(req);
  rejectUnknownQuery(req.query, []);
  await requireToken(vm, req.params.token);
  const type = req.headers.get('content-type');
  const r = await ingestBody(vm, bodyOf(req), {
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
}

/** GET /api/vms/{name}/journal: query, or a live tail with follow=true. */
export async function getJournal(req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> {
  const vm = vmName(req);
  const parsed = await parseJournalQuery(vm, req.query, { lastEventId: req.headers.get('last-event-id') });
  await requireLiveVm(vm);
  if (parsed.follow) {
    checkSseCapacity();
    const abortSignal = disconnectSignal(ctx.invocationId);
    const body = sseStream(
      (w) =>
        followJournal(vm, parsed.query, w, parsed.limitGiven ? { initialLimit: parsed.query.limit } : {}),
      { ...(abortSignal ? { abortSignal } : {}), logError: (m) => ctx.error(m) },
    );
    return { status: 200, headers: { ...SSE_HEADERS }, body };
  }
  const r = await queryJournal(vm, parsed.query);
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
}

const nextLinkOf = (vm: string, list: 'units' | 'boots', limit: number, next: string | undefined) =>
  next
    ? `/api/vms/${encodeURIComponent(vm)}/${list}?${new URLSearchParams({ limit: String(limit), cursor: next }).toString()}`
    : null;

/** GET /api/vms/{name}/units: in name order, paged (`limit`, `cursor`). */
export async function getUnits(req: HttpRequest): Promise<HttpResponseInit> {
  const vm = vmName(req);
  rejectUnknownQuery(req.query, ['limit', 'cursor']);
  const params = parseUnitsPage(req.query);
  await requireLiveVm(vm);
  const page = unitsPage(await readIndex(vm), params);
  const items = page.items.map((u) => ({
    unit: u.unit,
    count: u.count,
    first: new Date(u.firstUsec / 1000).toISOString(),
    last: new Date(u.lastUsec / 1000).toISOString(),
  }));
  return { status: 200, jsonBody: { items, nextLink: nextLinkOf(vm, 'units', params.limit, page.next) } };
}

/** GET /api/vms/{name}/boots: like journalctl --list-boots (oldest first; index 0 is the newest), paged. */
export async function getBoots(req: HttpRequest): Promise<HttpResponseInit> {
  const vm = vmName(req);
  rejectUnknownQuery(req.query, ['limit', 'cursor']);
  const params = parseBootsPage(req.query);
  await requireLiveVm(vm);
  const page = bootsPage(await readIndex(vm), params);
  const items = page.items.map((b) => ({
    index: b.index,
    bootId: b.bootId,
    first: new Date(b.firstUsec / 1000).toISOString(),
    last: new Date(b.lastUsec / 1000).toISOString(),
    count: b.count,
  }));
  return { status: 200, jsonBody: { items, nextLink: nextLinkOf(vm, 'boots', params.limit, page.next) } };
}

export async function journalRetention(_timer: Timer, ctx: InvocationContext): Promise<void> {
  const dropped = await dropExpiredBuckets();
  if (dropped.length)
    ctx.log(`journal retention dropped ${dropped.length} day table(s): ${dropped.join(', ')}`);
}

app.http('journalIngest', {
  methods: ['POST'],
  route: 'vms/{name}/journal',
  authLevel: 'anonymous',
  handler: withProblems(ingestJournal),
});
app.http('journalUpload', {
  methods: ['POST'],
  route: 'ingest/{name}/{token}/upload',
  authLevel: 'anonymous',
  handler: withProblems(ingestUpload),
});
app.http('journalQuery', {
  methods: ['GET'],
  route: 'vms/{name}/journal',
  authLevel: 'function',
  handler: withProblems(getJournal),
});
app.http('journalUnits', {
  methods: ['GET'],
  route: 'vms/{name}/units',
  authLevel: 'function',
  handler: withProblems(getUnits),
});
app.http('journalBoots', {
  methods: ['GET'],
  route: 'vms/{name}/boots',
  authLevel: 'function',
  handler: withProblems(getBoots),
});
app.timer('journalRetention', { schedule: '0 15 0 * * *', handler: journalRetention });
