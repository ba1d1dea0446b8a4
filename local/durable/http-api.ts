// The Durable extension's HTTP API (`/runtime/webhooks/durabletask/...`), which is also what
// durable-functions v3 calls through `rpcBaseUrl`: start, status, list/query, raise event, terminate,
// suspend/resume, purge. Status codes follow the extension's HttpApiHandler; errors are problem+json.
import type { IncomingMessage, ServerResponse } from 'node:http';

import { problem } from '../../lib/http/problem';
import { sendJson } from '../http-json';
import { managementUrls, WEBHOOK_PATH } from './client-data';
import type { DurableEngine } from './engine';
import { historyForStatus, parseJsonText } from './history';
import {
  type InboxMessage,
  type InstanceQuery,
  type InstanceRecord,
  isTerminal,
  PayloadTooLargeError,
  RUNTIME_STATUSES,
  type RuntimeStatus,
  TERMINAL_STATUSES,
} from './store';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_PAYLOAD_CHARS = 400_000;
const MAX_PAGE = 1000;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const bad = (field: string, message: string) =>
  new ApiError(400, 'ValidationFailed', `${field}: ${message}`, field);

export interface ApiContext {
  engine: DurableEngine;
  hubName: string;
  hostBaseUrl: string;
  log: (message: string) => void;
}

/** Handles the request when it is under the durabletask webhook path; false otherwise. */
export async function handleDurableHttp(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (url.pathname !== WEBHOOK_PATH && !url.pathname.startsWith(`${WEBHOOK_PATH}/`)) return false;
  try {
    await route(ctx, req, res, url);
  } catch (thrown) {
    const e = toApiError(thrown);
    if (e.status >= 500)
      ctx.log(
        `durable API ${req.method} ${url.pathname} failed: ${thrown instanceof Error ? thrown.stack : String(thrown)}`,
      );
    sendJson(
      res,
      e.status,
      problem(e.status, e.message, {
        instance: url.pathname,
        code: e.code,
        ...(e.field ? { errors: [{ field: e.field, message: e.message }] } : {}),
      }),
      { 'content-type': 'application/problem+json' },
    );
  }
  return true;
}

function toApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  if (thrown instanceof PayloadTooLargeError) return new ApiError(413, thrown.code, thrown.message);
  const e = thrown as { status?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ApiError(e.status, typeof e.code === 'string' ? e.code : 'BadRequest', String(e.message));
  }
  return new ApiError(500, 'InternalError', 'The durable engine failed to handle the request.');
}

function segments(url: URL): string[] {
  const rest = url.pathname.slice(WEBHOOK_PATH.length).split('/').filter(Boolean);
  try {
    return rest.map((s) => decodeURIComponent(s));
  } catch {
    throw bad('path', 'is not valid percent-encoding');
  }
}

async function route(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const [controller, a, b, c, ...extra] = segments(url);
  const method = req.method ?? 'GET';
  const notFound = () =>
    new ApiError(404, 'NotFound', `No durable API route matches ${method} ${url.pathname}.`);
  const methodNotAllowed = () =>
    new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}.`);
  if (extra.length > 0) throw notFound();

  if (controller === 'orchestrators') {
    if (!a || c !== undefined) throw notFound();
    if (method !== 'POST') throw methodNotAllowed();
    return start(ctx, req, res, url, a, b);
  }
  if (controller === 'entities') {
    throw new ApiError(
      501,
      'NotImplemented',
      'Durable entities are not supported by the local durable engine.',
    );
  }
  if (controller !== 'instances') throw notFound();

  if (a === undefined) {
    if (method === 'GET') return list(ctx, req, res, url);
    if (method === 'DELETE') return purgeByFilter(ctx, res, url);
    throw methodNotAllowed();
  }
  const instanceId = validInstanceId(a);
  if (b === undefined) {
    if (method === 'GET') return status(ctx, res, url, instanceId);
    if (method === 'DELETE') return purgeOne(ctx, res, instanceId);
    throw methodNotAllowed();
  }
  if (method !== 'POST') throw methodNotAllowed();
  const op = b.toLowerCase();
  if (op === 'raiseevent') {
    if (!c) throw bad('eventName', 'is required');
    return raise(ctx, req, res, instanceId, c);
  }
  if (c !== undefined) throw notFound();
  const reason = url.searchParams.get('reason') ?? undefined;
  if (op === 'terminate') return control(ctx, res, instanceId, { kind: 'terminate', reason });
  if (op === 'suspend') return control(ctx, res, instanceId, { kind: 'suspend', reason });
  if (op === 'resume') return control(ctx, res, instanceId, { kind: 'resume', reason });
  if (op === 'rewind' || op === 'restart') {
    throw new ApiError(
      501,
      'NotImplemented',
      `The ${op} operation is not supported by the local durable engine.`,
    );
  }
  throw notFound();
}

// ---- helpers ------------------------------------------------------------------------------------------

/** Reads the body; an oversized one is drained (not kept) so the connection stays usable, then refused. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, 'PayloadTooLarge', `The body is larger than ${MAX_BODY_BYTES} bytes.`));
      } else resolve(new TextDecoder('utf-8').decode(Buffer.concat(chunks)));
    });
  });
}

/** Parses a JSON body; returns its normalised JSON text, or undefined for an empty body. */
function jsonText(body: string, field: string): string | undefined {
  if (body.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw bad(field, 'is not valid JSON');
  }
  const text = JSON.stringify(value);
  if (text.length > MAX_PAYLOAD_CHARS) {
    throw new ApiError(
      413,
      'PayloadTooLarge',
      `${field}: larger than ${MAX_PAYLOAD_CHARS} characters of JSON.`,
    );
  }
  return text;
}

// Instance ids become Table keys (no / \ # ? or control characters); '@' starts entity ids.
export function validInstanceId(id: string): string {
  if (id.length === 0 || id.length > 256) throw bad('instanceId', 'must be 1 to 256 characters');
  if (
    /[/\\#?]/.test(id) ||
    [...id].some((ch) => ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f))
  ) {
    throw bad('instanceId', 'must not contain / \\ # ? or control characters');
  }
  if (id.startsWith('@')) throw bad('instanceId', "must not start with '@' (reserved for entities)");
  return id;
}

function boolParam(url: URL, name: string, fallback: boolean): boolean {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return fallback;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw bad(name, 'must be true or false');
}

function dateParam(url: URL, name: string): Date | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw bad(name, 'must be an ISO 8601 date-time');
  return d;
}

function statusesParam(url: URL): RuntimeStatus[] | undefined {
  const values = url.searchParams
    .getAll('runtimeStatus')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (values.length === 0) return undefined;
  return values.map((v) => {
    const match = RUNTIME_STATUSES.find((s) => s.toLowerCase() === v.toLowerCase());
    if (!match)
      throw bad('runtimeStatus', `'${v.slice(0, 40)}' is not one of ${RUNTIME_STATUSES.join(', ')}`);
    return match;
  });
}

function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function statusPayload(r: InstanceRecord, showInput: boolean): Record<string, unknown> {
  return {
    name: r.name,
    instanceId: r.instanceId,
    runtimeStatus: r.runtimeStatus,
    input: showInput && r.input !== undefined ? parseJsonText(r.input) : null,
    customStatus: r.customStatus !== undefined ? parseJsonText(r.customStatus) : null,
    output: r.output !== undefined ? parseJsonText(r.output) : null,
    createdTime: formatTime(r.createdTime),
    lastUpdatedTime: formatTime(r.lastUpdatedTime),
  };
}

function checkStatusBody(ctx: ApiContext, origin: string, instanceId: string) {
  const links = managementUrls(origin || ctx.hostBaseUrl, ctx.hubName, instanceId);
  return {
    id: instanceId,
    statusQueryGetUri: links.statusQueryGetUri!,
    sendEventPostUri: links.sendEventPostUri!,
    terminatePostUri: links.terminatePostUri!,
    purgeHistoryDeleteUri: links.purgeHistoryDeleteUri!,
    restartPostUri: links.restartPostUri!,
    suspendPostUri: links.suspendPostUri!,
    resumePostUri: links.resumePostUri!,
  };
}

// ---- handlers -----------------------------------------------------------------------------------------

async function start(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  functionName: string,
  rawId: string | undefined,
): Promise<void> {
  const instanceId = rawId === undefined || rawId === '' ? undefined : validInstanceId(rawId);
  const input = jsonText(await readBody(req), 'input');
  const version = url.searchParams.get('version') ?? undefined;
  let id: string;
  try {
    const traceparent = req.headers.traceparent; // durable-functions sends its caller's span
    id = await ctx.engine.startNew(functionName, { instanceId, input, version, traceparent });
  } catch (e) {
    if ((e as { code?: string }).code === 'OrchestratorNotFound') {
      throw bad('functionName', (e as Error).message);
    }
    throw e;
  }
  const timeoutS = Number(url.searchParams.get('timeout') ?? NaN);
  if (Number.isFinite(timeoutS) && timeoutS > 0) {
    await Promise.race([
      ctx.engine.waitForCompletion(id),
      new Promise((r) => setTimeout(r, timeoutS * 1000).unref()),
    ]);
    const record = await ctx.engine.getRecord(id);
    if (record?.runtimeStatus === 'Completed') return sendJson(res, 200, parseJsonText(record.output));
    if (record && isTerminal(record.runtimeStatus)) return sendJson(res, 200, statusPayload(record, true));
  }
  const body = checkStatusBody(ctx, url.origin, id);
  sendJson(res, 202, body, { location: body.statusQueryGetUri, 'retry-after': '10' });
}

async function status(ctx: ApiContext, res: ServerResponse, url: URL, instanceId: string): Promise<void> {
  const showHistory = boolParam(url, 'showHistory', false);
  const showHistoryOutput = boolParam(url, 'showHistoryOutput', false);
  const showInput = boolParam(url, 'showInput', true);
  const serverErrorOnFailure = boolParam(url, 'returnInternalServerErrorOnFailure', false);
  const record = await ctx.engine.getRecord(instanceId);
  if (!record) {
    sendJson(
      res,
      404,
      problem(404, `No instance with ID '${instanceId}' found.`, {
        code: 'NotFound',
        instance: url.pathname,
      }),
      {
        'content-type': 'application/problem+json',
      },
    );
    return;
  }
  const body = statusPayload(record, showInput);
  if (showHistory) {
    const history = historyForStatus(await ctx.engine.getHistory(record), showHistoryOutput);
    body.historyEvents = history;
    body.history = history; // durable-functions' DurableOrchestrationStatus reads `history`
  }
  const running = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'].includes(record.runtimeStatus);
  if (running) return sendJson(res, 202, body, { location: url.href, 'retry-after': '5' });
  if (record.runtimeStatus === 'Failed' && serverErrorOnFailure) return sendJson(res, 500, body);
  sendJson(res, 200, body);
}

async function list(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const query: InstanceQuery = {
    runtimeStatus: statusesParam(url),
    createdTimeFrom: dateParam(url, 'createdTimeFrom'),
    createdTimeTo: dateParam(url, 'createdTimeTo'),
    instanceIdPrefix: url.searchParams.get('instanceIdPrefix') || undefined,
  };
  const showInput = boolParam(url, 'showInput', true);
  const topRaw = url.searchParams.get('top');
  const top = topRaw === null || topRaw === '' ? 100 : Number(topRaw);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE)
    throw bad('top', `must be an integer from 1 to ${MAX_PAGE}`);
  const tokenHeader = req.headers['x-ms-continuation-token'];
  const token = typeof tokenHeader === 'string' && tokenHeader !== '' ? tokenHeader : undefined;
  let page;
  try {
    page = await ctx.engine.store.queryInstances(query, top, token);
  } catch (e) {
    if (token) throw bad('x-ms-continuation-token', 'is not a continuation token this API issued');
    throw e;
  }
  const items = page.items.map((r) => statusPayload(ctx.engine.liveRecord(r.instanceId) ?? r, showInput));
  sendJson(
    res,
    200,
    items,
    page.continuationToken ? { 'x-ms-continuation-token': page.continuationToken } : {},
  );
}

async function purgeOne(ctx: ApiContext, res: ServerResponse, instanceId: string): Promise<void> {
  const record = await ctx.engine.getRecord(instanceId);
  if (!record) return sendJson(res, 404, { instancesDeleted: 0 });
  if (!isTerminal(record.runtimeStatus)) {
    throw new ApiError(
      412,
      'PreconditionFailed',
      `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${record.runtimeStatus}`,
    );
  }
  const deleted = await ctx.engine.purge(instanceId);
  sendJson(res, deleted ? 200 : 404, { instancesDeleted: deleted ? 1 : 0 });
}

async function purgeByFilter(ctx: ApiContext, res: ServerResponse, url: URL): Promise<void> {
  const from = dateParam(url, 'createdTimeFrom');
  if (!from) throw bad('createdTimeFrom', 'is required');
  const to = dateParam(url, 'createdTimeTo') ?? new Date();
  const statuses = (statusesParam(url) ?? [...TERMINAL_STATUSES]).filter((s) => isTerminal(s));
  let deleted = 0;
  if (statuses.length > 0) {
    const ids: string[] = [];
    for await (const r of ctx.engine.store.allInstances({
      createdTimeFrom: from,
      createdTimeTo: to,
      runtimeStatus: statuses,
    })) {
      if (!ctx.engine.liveRecord(r.instanceId)) ids.push(r.instanceId);
    }
    for (const id of ids) if (await ctx.engine.purge(id)) deleted++;
  }
  sendJson(res, deleted === 0 ? 404 : 200, { instancesDeleted: deleted });
}

async function raise(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  instanceId: string,
  eventName: string,
): Promise<void> {
  const record = await ctx.engine.getRecord(instanceId);
  if (!record) throw new ApiError(404, 'NotFound', `No instance with ID '${instanceId}' found.`);
  if (isTerminal(record.runtimeStatus)) return sendJson(res, 410, undefined);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw bad('content-type', 'only application/json request content is supported');
  const input = jsonText(await readBody(req), 'eventData');
  const accepted = await ctx.engine.send(instanceId, { kind: 'raise', name: eventName, input });
  sendJson(res, accepted ? 202 : 410, undefined);
}

async function control(
  ctx: ApiContext,
  res: ServerResponse,
  instanceId: string,
  message: InboxMessage,
): Promise<void> {
  if ('reason' in message && message.reason && message.reason.length > 10_000) {
    throw bad('reason', 'must be at most 10000 characters');
  }
  const record = await ctx.engine.getRecord(instanceId);
  if (!record) throw new ApiError(404, 'NotFound', `No instance with ID '${instanceId}' found.`);
  if (isTerminal(record.runtimeStatus)) return sendJson(res, 410, undefined);
  const accepted = await ctx.engine.send(instanceId, message);
  sendJson(res, accepted ? 202 : 410, undefined);
}
