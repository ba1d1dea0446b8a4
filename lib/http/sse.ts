// A Server-Sent Events response body (https://html.spec.whatwg.org/multipage/server-sent-events.html)
// shared by the journal tail and the lifecycle-events watch. The producer gets a writer with `send`,
// heartbeats are comments, and the stream ends itself before `maxDurationMs` (Azure's front end
// cuts HTTP responses at 230 s; the client reconnects with Last-Event-ID). A client abort closes it.

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

/** A ReadableStream body driven by `produce`; the stream closes when produce returns or the signal fires. */
export function sseStream(
  produce: (w: SseWriter) => Promise<void>,
  opts: SseStreamOptions = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  let timers: NodeJS.Timeout[] = [];
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const close = () => {
        if (closed) return;
        closed = true;
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
        write(
          formatSseEvent({
            event: 'error',
            data: JSON.stringify({ detail: (e as Error)?.message ?? 'error' }),
          }),
        );
        close();
      });
    },
    cancel() {
      closed = true;
      stop.abort();
      timers.forEach(clearTimeout);
    },
  });
}
