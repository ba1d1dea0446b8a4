// The HTTPS front: bearer-token check, api-version check, throttling, fault injection, body parsing,
// dispatch, ARM error bodies and headers, the operation record, and the /_emulator admin endpoints.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { z } from 'zod';

import { sendJson as send } from '../http-json';
import { checkApiVersion } from './apiVersions';
import type { ArmResponse, HandlerContext, World } from './context';
import { ArmError } from './errors';
import type { Records } from './records';
import { VM } from './resources/compute';
import { type Route, route } from './router';
import type { Json } from './state';
import { limitKindOf, type Throttle } from './throttle';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ServerDeps {
  world: World;
  records: Records;
  throttle: Throttle | undefined;
  resetState(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is drained, not cut off, so that the client reads the 413 rather than a reset.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_BODY_BYTES) {
    throw new ArmError(
      413,
      'RequestEntityTooLarge',
      'The request content size exceeds the maximum allowed size of 4 MB.',
    );
  }
  return Buffer.concat(chunks);
}

function parseJsonObject(buf: Buffer): Json {
  if (buf.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${(e as Error).message.slice(0, 200)}'.`,
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid: a JSON object is expected.',
    );
  }
  return v as Json;
}

/** The caller's principal: the token's oid claim when it is a JWT, else a hash of the token. */
function principalOf(token: string): string {
  const part = token.split('.')[1];
  if (part) {
    try {
      const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { oid?: unknown };
      if (typeof claims.oid === 'string') return claims.oid;
    } catch {
      // not a JWT: fall through
    }
  }
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

export function createHandler(deps: ServerDeps) {
  const { world, records } = deps;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const requestId = randomUUID();
    const baseHeaders: Record<string, string> = {
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': String(req.headers['x-ms-correlation-request-id'] ?? requestId),
      ...(req.headers['x-ms-client-request-id']
        ? { 'x-ms-client-request-id': String(req.headers['x-ms-client-request-id']) }
        : {}),
    };
    if (url.pathname.startsWith('/_emulator/') || url.pathname === '/_emulator') {
      await admin(deps, method, url, req, res).catch((e: unknown) => {
        if (e instanceof ArmError) send(res, e.status, e.toBody());
        else {
          world.onError(e);
          send(res, 500, {
            error: { code: 'InternalServerError', message: 'Emulator admin request failed.' },
          });
        }
      });
      return;
    }

    const apiVersion = url.searchParams.get('api-version');
    let r: Route | undefined;
    const linked: string[] = [];
    const record = (status: number) =>
      records.add(
        {
          method,
          path: url.pathname,
          apiVersion,
          resourceType: r?.resourceType ?? null,
          rbacAction: r?.rbacAction ?? null,
          status,
        },
        status < 400 ? linked : [],
      );
    let loseResponse = false;
    const reply = async (a: ArmResponse) => {
      // What the caller is told is on disk first, as ARM answers after its write is durable; concurrent
      // requests share one file write.
      if (method !== 'GET' && method !== 'HEAD') world.changed();
      await world.persist().catch((e: unknown) => world.onError(e));
      record(a.status);
      if (loseResponse)
        req.socket.destroy(); // done, but the caller never hears of it
      else send(res, a.status, a.body, { ...baseHeaders, ...a.headers });
    };
    try {
      const auth = req.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
      if (!token) {
        throw new ArmError(
          401,
          'InvalidAuthenticationToken',
          auth
            ? 'The access token is invalid.'
            : 'The request does not contain a valid Authorization header with a Bearer token.',
          undefined,
          {
            'WWW-Authenticate':
              'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
          },
        );
      }
      r = route(method, url.pathname);
      if (r.apiNamespace) checkApiVersion(apiVersion, r.apiNamespace, r.apiType);
      if (r.apiNamespace) world.providers.check(r.subscriptionId, r.apiNamespace);

      if (deps.throttle) {
        const kind = limitKindOf(method);
        const t = deps.throttle.take(principalOf(token), r.subscriptionId, kind);
        if ('retryAfter' in t) {
          throw new ArmError(
            429,
            'SubscriptionRequestsThrottled',
            `Number of '${kind.replace(/s$/, '')}' requests for subscription '${r.subscriptionId}' actor '${principalOf(token)}' exceeded. Please try again after '${t.retryAfter}' seconds after the last request issued.`,
            undefined,
            { 'Retry-After': String(t.retryAfter) },
          );
        }
        baseHeaders[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(t.remaining);
      }

      const isVm = r.resourceType.toLowerCase() === VM.toLowerCase();
      const fault = world.faults.take(
        { method, resourceType: r.resourceType },
        (k) =>
          k === 'throttle' ||
          k === 'serverError' ||
          k === 'connectionReset' ||
          k === 'responseLost' ||
          (k === 'quotaExceeded' && !isVm),
      );
      loseResponse = fault?.kind === 'responseLost';
      if (fault?.kind === 'connectionReset') {
        record(0);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'throttle') {
        throw new ArmError(
          429,
          'TooManyRequests',
          'The request is being throttled as the limit has been reached for operation type. Retry after the time in the Retry-After header.',
          undefined,
          {
            'Retry-After': String(fault.retryAfterSeconds),
          },
        );
      }
      if (fault?.kind === 'serverError') {
        throw new ArmError(
          fault.status,
          'InternalServerError',
          'An internal execution error occurred. Please retry later.',
        );
      }
      if (fault?.kind === 'quotaExceeded') {
        throw new ArmError(
          409,
          'QuotaExceeded',
          `Operation could not be completed as it results in exceeding the approved quota for ${r.resourceType} in this region.`,
        );
      }

      const raw = await readBody(req);
      const body = method === 'PUT' || method === 'PATCH' || method === 'POST' ? parseJsonObject(raw) : {};
      const ctx: HandlerContext = {
        world,
        method,
        url,
        subscriptionId: r.subscriptionId,
        resourceGroup: r.resourceGroup,
        body,
        link: (action) => linked.push(action),
      };
      await reply(await r.handle(ctx));
    } catch (e) {
      if (e instanceof ArmError) {
        await reply({
          status: e.status,
          body: method === 'HEAD' ? undefined : e.toBody(),
          headers: e.headers,
        });
      } else {
        world.onError(e);
        await reply({
          status: 500,
          body: {
            error: { code: 'InternalServerError', message: 'The emulator failed to handle the request.' },
          },
        });
      }
    }
  };
}

const faultsBody = z.union([z.array(z.unknown()), z.object({ rules: z.array(z.unknown()) }).strict()]);

async function admin(
  deps: ServerDeps,
  method: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { world, records } = deps;
  const what = url.pathname.replace(/^\/_emulator\/?/, '').replace(/\/$/, '');
  if (what === 'state' && method === 'GET') {
    return send(res, 200, {
      ...world.state.snapshot(),
      guests: world.guests.list(),
      guestEvents: world.guests.history,
    });
  }
  if (what === 'state' && method === 'DELETE') {
    await deps.resetState();
    return send(res, 204, undefined);
  }
  if (what === 'operations' && method === 'GET') return send(res, 200, { value: records.all() });
  if (what === 'operations' && method === 'DELETE') {
    records.clear();
    return send(res, 204, undefined);
  }
  if (what === 'faults' && method === 'GET') return send(res, 200, { rules: world.faults.list() });
  if (what === 'faults' && method === 'DELETE') {
    world.faults.clear();
    return send(res, 204, undefined);
  }
  if (what === 'faults' && method === 'PUT') {
    const parsed = faultsBody.safeParse(parseJsonObjectOrArray(await readBody(req)));
    if (!parsed.success) {
      throw new ArmError(400, 'InvalidFaultRules', 'Give an array of fault rules, or {"rules": [...]}.');
    }
    const rules = Array.isArray(parsed.data) ? parsed.data : parsed.data.rules;
    try {
      world.faults.set(rules);
    } catch (e) {
      if (e instanceof z.ZodError) {
        const first = e.issues[0];
        throw new ArmError(
          400,
          'InvalidFaultRules',
          `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`,
          first?.path.join('.'),
        );
      }
      throw e;
    }
    return send(res, 200, { rules: world.faults.list() });
  }
  throw new ArmError(404, 'NotFound', `No emulator admin endpoint ${method} ${url.pathname}.`);
}

function parseJsonObjectOrArray(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new ArmError(400, 'InvalidRequestContent', 'The request body is not valid JSON.');
  }
}
