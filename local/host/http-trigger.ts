// HTTP triggers: route matching under the route prefix, methods, keys, and the invocation. With
// `app.setup({ enableHttpStream: true })` the request and response bodies stream through the
// library's own HTTP proxy, exactly as the Azure host forwards them; otherwise they travel as RPC data.
import { randomUUID } from 'node:crypto';
import { Agent, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { type FunctionKeys, isAuthorized } from './keys';
import type { LogSink } from './logger';
import { type CompiledRoute, compileRoute, matchRoute } from './routes';
import type { FunctionInfo, HostPlugin, InvokeRequest, InvokeResult, RpcTypedData } from './types';

const MAX_BUFFERED_BODY = 100 * 1024 * 1024; // the host's default maxRequestBodySize

/**
 * Connections to the library's proxy that carried a request body are not reused: the proxy never
 * drains a body its function answered without reading, and a connection with one left in it stalls
 * the next invocation until the proxy's keep-alive timeout resets it.
 */
const carriedBody = new WeakSet<Duplex>();
const proxyAgent = new (class extends Agent {
  override keepSocketAlive(socket: Duplex): boolean {
    // Node's returns a boolean (false destroys the socket); @types/node says void.
    return !carriedBody.has(socket) && (super.keepSocketAlive(socket) as boolean | undefined) !== false;
  }
})({ keepAlive: true });

interface HttpRoute {
  reg: FunctionInfo;
  route: CompiledRoute;
  methods: Set<string> | undefined;
}

export interface HttpDispatcherOptions {
  registrations: readonly FunctionInfo[];
  routePrefix: string;
  keys: FunctionKeys;
  plugins: readonly HostPlugin[];
  /** The library's HTTP proxy (`HttpUri` capability) when streaming is enabled. */
  proxyUrl: string | undefined;
  invoke(req: InvokeRequest): Promise<InvokeResult>;
  log: LogSink;
}

export class HttpDispatcher {
  readonly #routes: HttpRoute[];
  constructor(private readonly opts: HttpDispatcherOptions) {
    this.#routes = opts.registrations
      .filter((r) => r.trigger.type.toLowerCase() === 'httptrigger')
      .map((reg) => {
        const template = typeof reg.trigger.route === 'string' ? reg.trigger.route : reg.name;
        const methods = Array.isArray(reg.trigger.methods)
          ? new Set((reg.trigger.methods as string[]).map((m) => m.toUpperCase()))
          : undefined;
        return { reg, route: compileRoute(template), methods };
      })
      .sort((a, b) => b.route.precedence - a.route.precedence);
  }

  /** Route templates, for the start-up banner. */
  describe(): { name: string; methods: string[]; path: string }[] {
    return this.#routes.map((r) => ({
      name: r.reg.name,
      methods: r.methods ? [...r.methods] : ['*'],
      path: `/${[this.opts.routePrefix, r.route.template].filter(Boolean).join('/')}`,
    }));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const prefix = this.opts.routePrefix ? `/${this.opts.routePrefix}` : '';
    const path = url.pathname;
    if (prefix === '' || path === prefix || path.startsWith(`${prefix}/`)) {
      const rest = path.slice(prefix.length);
      const matches = this.#routes
        .map((r) => ({ r, params: matchRoute(r.route, rest) }))
        .filter((m) => m.params !== undefined);
      const method = (req.method ?? 'GET').toUpperCase();
      const hit = matches.find((m) => !m.r.methods || m.r.methods.has(method));
      if (hit) {
        if (!isAuthorized(hit.r.reg.trigger.authLevel, this.opts.keys, req, url)) return end(res, 401);
        return this.#invoke(hit.r.reg, hit.params!, req, res, url);
      }
      if (matches.length > 0) {
        const allow = new Set(matches.flatMap((m) => [...(m.r.methods ?? [])]));
        res.setHeader('Allow', [...allow].join(', '));
        return end(res, 405);
      }
    }
    for (const plugin of this.opts.plugins) {
      if (plugin.handleHttp && (await plugin.handleHttp(req, res, url))) return;
    }
    end(res, 404);
  }

  async #invoke(
    reg: FunctionInfo,
    params: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const query = Object.fromEntries(url.searchParams);
    const triggerMetadata: Record<string, RpcTypedData> = {
      Headers: { json: JSON.stringify(headers) },
      Query: { json: JSON.stringify(query) },
    };
    for (const [k, v] of Object.entries(params)) triggerMetadata[k] = { string: v };
    const invocationId = randomUUID();
    if (this.opts.proxyUrl) return this.#invokeStreaming(reg, invocationId, triggerMetadata, req, res, url);

    const body = await readBody(req);
    if (body === undefined) return end(res, 413);
    const triggerData: RpcTypedData = {
      http: { method: req.method, url: url.toString(), headers, query, params, body: { bytes: body } },
    };
    try {
      const result = await this.opts.invoke({
        functionName: reg.name,
        triggerData,
        triggerMetadata,
        invocationId,
      });
      const http = (result.returnValue as { http?: RpcHttpResponse } | undefined)?.http;
      if (!http) return end(res, 204);
      res.statusCode = Number(http.statusCode ?? 200);
      for (const [k, v] of Object.entries(http.headers ?? {})) res.setHeader(k, v);
      const out =
        http.body?.bytes ?? (http.body?.string !== undefined ? Buffer.from(http.body.string) : undefined);
      res.end(out ? Buffer.from(out) : undefined);
    } catch (e) {
      this.#failed(reg, invocationId, e, res);
    }
  }

  #invokeStreaming(
    reg: FunctionInfo,
    invocationId: string,
    triggerMetadata: Record<string, RpcTypedData>,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    const proxy = new URL(this.opts.proxyUrl!);
    return new Promise<void>((resolve) => {
      let responded = false;
      const forward = httpRequest(
        {
          host: '127.0.0.1',
          port: proxy.port,
          agent: proxyAgent,
          method: req.method,
          path: `${url.pathname}${url.search}`,
          headers: {
            ...req.headers,
            'x-ms-invocation-id': invocationId,
            'x-forwarded-host': req.headers.host ?? url.host,
            'x-forwarded-proto': 'http',
          },
        },
        (proxyRes) => {
          responded = true;
          const headers = { ...proxyRes.headers };
          delete headers['x-ms-invocation-id'];
          res.writeHead(proxyRes.statusCode ?? 200, headers);
          proxyRes.pipe(res);
          proxyRes.on('end', resolve);
          proxyRes.on('error', () => res.destroy());
        },
      );
      if (hasBody(req)) forward.once('socket', (s) => carriedBody.add(s));
      forward.on('error', () => {
        if (res.writableFinished) return resolve(); // dropped below, after the response
        if (!res.headersSent) end(res, 500);
        else res.destroy();
        resolve();
      });
      res.on('finish', () => {
        // Answered before the whole body arrived (a 401, 413 …): the function will not read the rest.
        if (!forward.writableFinished) {
          req.unpipe(forward);
          forward.destroy();
        }
        if (!req.complete) drain(req);
      });
      res.on('close', () => {
        if (!res.writableFinished) forward.destroy();
        resolve();
      });
      req.pipe(forward);

      this.opts
        .invoke({ functionName: reg.name, triggerData: { http: {} }, triggerMetadata, invocationId })
        .then((result) => {
          if (!responded && (result.handlerResult === undefined || result.handlerResult === null)) {
            // The handler returned nothing, so the library sends nothing through the proxy.
            forward.destroy();
            end(res, 204);
            resolve();
          }
        })
        .catch((e: unknown) => {
          forward.destroy();
          if (!responded) this.#failed(reg, invocationId, e, res);
          else res.destroy();
          resolve();
        });
    });
  }

  #failed(reg: FunctionInfo, invocationId: string, e: unknown, res: ServerResponse) {
    const err = e instanceof Error ? e : new Error(String(e));
    this.opts.log({
      time: new Date(),
      level: 'error',
      category: 'system',
      functionName: reg.name,
      invocationId,
      message: `Executed '${reg.name}' (Failed): ${err.stack ?? err.message}`,
    });
    // Like the Azure host: a bare 500, no stack trace in the body.
    if (!res.headersSent) end(res, 500);
    else res.destroy();
  }
}

interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  body?: { bytes?: Uint8Array; string?: string };
}

const DRAIN_TIMEOUT_MS = 5_000; // Kestrel's, not configurable there either

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;

/**
 * Like Kestrel after a response to a request whose body is still arriving: read and discard the rest
 * so the keep-alive connection can carry the next request, and close it if that takes over 5 s.
 * Left unread, the body blocks the connection, and a client that has sent it all (loopback buffers
 * hold megabytes) sends its next request there and gets a reset at the keep-alive timeout.
 */
function drain(req: IncomingMessage): void {
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_TIMEOUT_MS);
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function end(res: ServerResponse, status: number): void {
  if (res.headersSent) return void res.end();
  res.statusCode = status;
  res.setHeader('content-length', '0');
  res.end();
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BUFFERED_BODY) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
