// Client disconnects for streaming responses. The Functions library gives a handler no signal when its
// client goes away, and keeps pulling a streamed body after the socket is gone
// (azure-functions-nodejs-library#294), so an abandoned live tail would go on reading storage until its
// maximum duration. With `enableHttpStream` the host forwards each request to the library's HTTP proxy in
// this process, tagged with `x-ms-invocation-id`: Node's `http.server.request.start` diagnostics channel
// shows us that request, and its response closing before it finished means the client is gone.
// The open requests are the app's (Services state); invocation ids are unique, so two apps in one
// process each find their own.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Services } from '../services';

const INVOCATION_HEADER = 'x-ms-invocation-id';
const DISCONNECTS = Symbol('http disconnects');

interface Watch {
  open: Map<string, AbortController>;
  watching: boolean;
}
const watchOf = (services: Services): Watch =>
  services.state(DISCONNECTS, () => ({ open: new Map(), watching: false }));

/** Starts watching (idempotent); call at app load, before the first request arrives. */
export function watchDisconnects(services: Services): void {
  const watch = watchOf(services);
  if (watch.watching) return;
  watch.watching = true;
  subscribe('http.server.request.start', (message: unknown) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const id = request.headers[INVOCATION_HEADER];
    if (typeof id !== 'string') return;
    const controller = new AbortController();
    watch.open.set(id, controller);
    response.once('close', () => {
      if (watch.open.get(id) === controller) watch.open.delete(id);
      if (!response.writableFinished) controller.abort();
    });
  });
}

/** Aborted when the client of this invocation disconnects; undefined when the request did not come
 * through the library's proxy (streaming disabled). */
export function disconnectSignal(services: Services, invocationId: string): AbortSignal | undefined {
  return watchOf(services).open.get(invocationId)?.signal;
}

/** Requests whose response is still open (for tests: bounded by the requests in flight). */
export const openRequestCount = (services: Services): number => watchOf(services).open.size;
