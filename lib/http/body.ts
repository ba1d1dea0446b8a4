import type { HttpRequest } from '@azure/functions';

/** The request body as the stream of chunks it is (the Functions library types it as a web
 * ReadableStream, which is async-iterable in Node); empty when the request has none. */
export const bodyOf = (req: HttpRequest): AsyncIterable<Uint8Array> =>
  (req.body as unknown as AsyncIterable<Uint8Array> | null) ?? (async function* () {})();

/**
 * Reads and drops what is left of a request body before an early answer (a 413 on a declared length).
 * The Functions library's HTTP proxy closes a connection whose request body was left unread as soon as
 * the response is sent; the host, still sending the body, then gets EPIPE before it has read the answer
 * and sends a 500 instead. The host caps a body at 100 MB, which bounds this read.
 */
export async function discardBody(req: HttpRequest): Promise<void> {
  for await (const _ of bodyOf(req)); // dropped
}
