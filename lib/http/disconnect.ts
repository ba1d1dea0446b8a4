// Client disconnects for streaming responses. The Functions library gives a handler no signal when its
// client goes away, and keeps pulling a streamed body after the socket is gone
// (azure-functions-nodejs-library#294), so an abandoned live tail would go on reading storage until its
// maximum duration. With `enableHttpStream` the host forwards each request to the library's HTTP proxy in
// this process, tagged with `x-ms-invocation-id`: Node's `http.server.request.start` diagnostics channel
// shows us that request, and its response closing before it finished means the client is gone.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

const INVOCATION_HEADER = 'x-ms-invocation-id';
const open = new Map<string, AbortController>();
let watching = false;

function onRequestStart(message: unknown): void {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  const id = request.headers[INVOCATION_HEADER];
  if (typeof id !== 'string') return;
  const controller = new AbortController();
  open.set(id, controller);
  response.once('close', () => {
    if (open.get(id) === controller) open.delete(id);
    if (!response.writableFinished) controller.abort();
  });
}

/** Starts watching (idempotent); call at module load, before the first request arrives. */
export function watchDisconnects(): void {
  if (watching) return;
  watching = true;
  subscribe('http.server.request.start', onRequestStart);
}

/** Aborted when the client of this invocation disconnects; undefined when the request did not come
 * through the library's proxy (streaming disabled). */
export function disconnectSignal(invocationId: string): AbortSignal | undefined {
  return open.get(invocationId)?.signal;
}

/** Requests whose response is still open (for tests: bounded by the requests in flight). */
export const openRequestCount = (): number => open.size;
