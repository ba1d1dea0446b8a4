// The API client: JSON requests with the function key, problem+json answers as ApiError, failed
// connections as NetworkError naming the URL, and Server-Sent Event streams that reconnect with
// Last-Event-ID after a dropped connection or a server-ended stream, so nothing is missed or repeated.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

import type { Connection } from './config';
import { ApiError, type FieldProblem, NetworkError } from './errors';

export interface SseOptions {
  /** Resume after this id (sent as Last-Event-ID). */
  lastEventId?: string;
  signal: AbortSignal;
  /** Called when the stream dropped and a reconnect is under way (for a notice on a TTY). */
  onReconnect?: (reason: string) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class ApiClient {
  constructor(private readonly conn: Pick<Connection, 'url' | 'key'>) {}

  url(path: string): string {
    return `${this.conn.url}${path}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.conn.key ? { 'x-functions-key': this.conn.key } : {}), ...extra };
  }

  /** Sends a request; a non-2xx answer becomes an ApiError, no answer a NetworkError. */
  async request(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const url = this.url(path);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: this.headers({
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        }),
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new NetworkError(url, e);
    }
    if (!res.ok) throw await problemOf(res);
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body === undefined ? {} : { body });
    return (await res.json()) as T;
  }

  /** Follows `nextLink`s from a paged list until `enough` says stop or the pages end. */
  async *pages<T>(path: string): AsyncGenerator<T[]> {
    let next: string | null = path;
    while (next) {
      const page: { items: T[]; nextLink?: string | null } = await this.json('GET', next);
      yield page.items;
      next = page.nextLink ?? null;
    }
  }

  /**
   * The events of an SSE stream, forever: when the server ends the stream or the connection drops, it
   * reconnects (1 s, then up to 5 s apart) with the last id seen. Ends when the signal aborts; an API
   * error (4xx/5xx) ends it with that error.
   */
  async *sse(path: string, opts: SseOptions): AsyncGenerator<EventSourceMessage> {
    let lastId = opts.lastEventId;
    let retryMs = 1000;
    let failures = 0;
    while (!opts.signal.aborted) {
      const queue: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (e) => queue.push(e),
        onRetry: (ms) => (retryMs = Math.min(Math.max(ms, 100), 5000)),
      });
      let reason = 'the server ended the stream';
      try {
        const res = await this.request('GET', path, {
          headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
          signal: opts.signal,
        });
        failures = 0;
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          while (queue.length) {
            const e = queue.shift()!;
            if (e.id) lastId = e.id;
            yield e;
          }
        }
      } catch (e) {
        if (opts.signal.aborted) return;
        if (e instanceof ApiError) throw e;
        failures += 1;
        reason = e instanceof Error ? e.message : String(e);
      }
      if (opts.signal.aborted) return;
      opts.onReconnect?.(reason);
      await sleep(failures === 0 ? retryMs : Math.min(retryMs * failures, 5000), opts.signal);
    }
  }
}

async function problemOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  const type = res.headers.get('content-type') ?? '';
  if (/json/.test(type)) {
    try {
      const p = JSON.parse(text) as { title?: string; detail?: string; errors?: FieldProblem[] };
      return new ApiError(
        res.status,
        p.title ?? (res.statusText || `HTTP ${res.status}`),
        p.detail,
        Array.isArray(p.errors) ? p.errors : [],
      );
    } catch {
      /* not JSON after all: fall through */
    }
  }
  return new ApiError(
    res.status,
    res.statusText || `HTTP ${res.status}`,
    text.trim().slice(0, 300) || undefined,
  );
}
