// The management API from the page: the function key (kept in sessionStorage, sent in the
// x-functions-key header, never in a URL), problem+json errors, and SSE over fetch streaming (EventSource
// cannot send headers) that resumes after a dropped connection with Last-Event-ID.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

const KEY = 'vmj.functionKey';
export const getKey = (): string => sessionStorage.getItem(KEY) ?? '';
export const setKey = (key: string): void => sessionStorage.setItem(KEY, key);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = getKey();
  return { ...(key ? { 'x-functions-key': key } : {}), ...extra };
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method: init.method ?? 'GET',
    headers: headers(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  if (!res.ok) {
    let detail = `${res.status} ${res.statusText}`;
    try {
      const p = JSON.parse(text) as { detail?: string; errors?: { field: string; message: string }[] };
      detail = [p.detail, ...(p.errors ?? []).map((e) => `${e.field}: ${e.message}`)]
        .filter(Boolean)
        .join(' — ');
    } catch {
      /* not a problem document */
    }
    if (res.status === 401) detail = 'The function key is missing or wrong (Function key, top right).';
    throw new ApiError(res.status, detail);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface StreamHandlers {
  onEvent(e: EventSourceMessage): void;
  /** 'open' when connected, 'retrying' while reconnecting. */
  onState?(state: 'open' | 'retrying'): void;
  onError?(e: Error): void;
}

/** Follows an SSE route until `signal` aborts, reconnecting (1 s, or the server's retry) from the last id. */
export async function stream(path: string, signal: AbortSignal, h: StreamHandlers): Promise<void> {
  let lastId: string | undefined;
  let retryMs = 1000;
  while (!signal.aborted) {
    try {
      const res = await fetch(`/api${path}`, {
        signal,
        headers: headers({ accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) }),
      });
      if (!res.ok || !res.body) {
        if (res.status >= 400 && res.status < 500)
          throw new ApiError(res.status, `live stream refused (${res.status})`);
        throw new Error(`live stream: ${res.status}`);
      }
      h.onState?.('open');
      const parser = createParser({
        onEvent: (e) => {
          if (e.id) lastId = e.id;
          h.onEvent(e);
        },
        onRetry: (ms) => (retryMs = ms),
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof ApiError) {
        h.onError?.(e);
        return;
      }
    }
    if (signal.aborted) return;
    h.onState?.('retrying');
    await new Promise((r) => setTimeout(r, retryMs));
  }
}
