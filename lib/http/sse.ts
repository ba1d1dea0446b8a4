// A Server-Sent Events response body (https://html.spec.whatwg.org/multipage/server-sent-events.html)
// shared by the journal tail and the lifecycle-events watch. The producer gets a writer with `send`,
// heartbeats are comments, and the stream ends itself before `maxDurationMs` (Azure's front end
// cuts HTTP responses at 230 s; the client reconnects with Last-Event-ID). A client abort closes it.
// An instance serves at most MAX_SSE_STREAMS at once: one more is a 429 with Retry-After (each open
// stream keeps reading storage, so without a ceiling a crowd of tails would starve the instance).
import { AppError } from '../errors';
import type { Services } from '../services';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseWriter {
  send(e: SseEvent): void;
  comment(text: string): void;
  /** Aborted when the client disconnects or the max duration is reached: stop producing. */
  readonly signal: AbortSignal;
}

export interface SseStreamOptions {
  /** Ends the stream after this long (default 200 s). */
  maxDurationMs?: number;
  /** Comment heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** Reconnection delay advertised to the client (`retry:`), ms. */
  retryMs?: number;
  /** The request's abort signal (client disconnect). */
  abortSignal?: AbortSignal;
  /** Where a producer's failure is logged (the client gets a generic `error` event). */
  logError?: (message: string) => void;
}

/** Concurrent SSE streams per instance (docs/api.md: 429 with Retry-After above it). */
export const MAX_SSE_STREAMS = 100;
/** Seconds a refused client is told to wait: streams end within 200 s, most much sooner. */
export const SSE_RETRY_AFTER_S = 5;
const STREAMS = Symbol('sse streams');
const streamsOf = (services: Services) => services.state(STREAMS, () => ({ open: 0 }));

/** Streams open in this instance. */
export const openSseStreams = (services: Services): number => streamsOf(services).open;

/** Throws the 429 when this instance already serves MAX_SSE_STREAMS streams. */
export function checkSseCapacity(services: Services): void {
  if (streamsOf(services).open >= MAX_SSE_STREAMS)
    throw new AppError(
      'TooManyStreams',
      429,
      `This instance already serves ${MAX_SSE_STREAMS} live streams; retry in ${SSE_RETRY_AFTER_S} s.`,
      undefined,
      { 'Retry-After': String(SSE_RETRY_AFTER_S) },
    );
}

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
});

const field = (name: string, value: string) =>
  value
    .split(/\r\n|\r|\n/)
    .map((line) => `${name}: ${line}\n`)
    .join('');

/** Formats one event (multi-line data becomes several `data:` lines; ids cannot hold newlines). */
export function formatSseEvent(e: SseEvent): string {
  let s = '';
  if (e.event) s += `event: ${e.event.replace(/[\r\n]/g, '')}\n`;
  if (e.id !== undefined) s += `id: ${e.id.replace(/[\r\n\0]/g, '')}\n`;
  return s + field('data', e.data) + '\n';
}

/** A ReadableStream body driven by `produce`; the stream closes when produce returns or the signal fires.
 * Counts against MAX_SSE_STREAMS from here until it closes (throws the 429 when full). */
export function sseStream(
  services: Services,
  produce: (w: SseWriter) => Promise<void>,
  opts: SseStreamOptions = {},
): ReadableStream<Uint8Array> {
  checkSseCapacity(services);
  const streams = streamsOf(services);
  streams.open++;
  const encoder = new TextEncoder();
  const stop = new AbortController();
  let timers: NodeJS.Timeout[] = [];
  let closed = false;
  let counted = true;
  const release = () => {
    if (counted) streams.open--;
    counted = false;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
        release();
        stop.abort();
        timers.forEach(clearTimeout);
        timers = [];
        try {
          controller.close();
        } catch {
          /* already closed by a cancel */
        }
      };
      const write = (s: string) => {
        if (!closed) controller.enqueue(encoder.encode(s));
      };
      if (opts.abortSignal?.aborted) return close();
      opts.abortSignal?.addEventListener('abort', close, { once: true });
      timers.push(setTimeout(close, opts.maxDurationMs ?? 200_000));
      const hb = setInterval(() => write(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000);
      timers.push(hb);
      write(`retry: ${opts.retryMs ?? 1000}\n\n`);
      const writer: SseWriter = {
        send: (e) => write(formatSseEvent(e)),
        comment: (t) => write(`: ${t.replace(/[\r\n]/g, ' ')}\n\n`),
        signal: stop.signal,
      };
      produce(writer).then(close, (e: unknown) => {
        // The detail (storage errors name accounts and tables) goes to the log, not to the client.
        const err = e instanceof Error ? e : new Error(String(e));
        opts.logError?.(`SSE stream failed: ${err.stack ?? err.message}`);
        write(
          formatSseEvent({
            event: 'error',
            data: JSON.stringify({ detail: 'The stream failed; reconnect to resume from the last id.' }),
          }),
        );
        close();
      });
    },
    cancel() {
      closed = true;
      release();
      stop.abort();
      timers.forEach(clearTimeout);
    },
  });
}
