// The SSE body (lib/http/sse.ts) on its own: a producer's failure reaches the client as a generic
// `error` event (storage errors name accounts, tables and keys) and the log gets the detail; the
// per-instance stream count goes back down however a stream ends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createParser, type EventSourceMessage } from 'eventsource-parser';

import { MAX_SSE_STREAMS, openSseStreams, sseStream } from '../../lib/http/sse';
import { createServices } from '../../lib/services';

/** The streams' app (only its state is used: no storage). */
const services = createServices({});

async function readAll(body: ReadableStream<Uint8Array>): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>)
    parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}

describe('SSE stream', () => {
  it('a failure sends a generic error event and logs the detail', async () => {
    const logged: string[] = [];
    const body = sseStream(
      services,
      (w) => {
        w.send({ id: '1', data: 'first' });
        return Promise.reject(new Error('TableNotFound journal20240101 AccountName=secretaccount'));
      },
      { logError: (m) => logged.push(m) },
    );
    const events = await readAll(body);
    assert.deepEqual(
      events.map((e) => e.event ?? 'message'),
      ['message', 'error'],
    );
    const error = events[1]!;
    assert.doesNotMatch(error.data, /secretaccount|journal20240101|TableNotFound/);
    assert.match(JSON.parse(error.data).detail as string, /reconnect/);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /secretaccount/);
  });

  it(`at most ${MAX_SSE_STREAMS} streams at once; ending, failing or cancelling frees a slot`, async () => {
    const base = openSseStreams(services);
    const stops: (() => void)[] = [];
    const bodies: ReadableStream<Uint8Array>[] = [];
    for (let i = base; i < MAX_SSE_STREAMS; i++)
      bodies.push(
        sseStream(
          services,
          (w) => new Promise<void>((r) => (stops.push(r), w.signal.addEventListener('abort', () => r()))),
        ),
      );
    assert.equal(openSseStreams(services), MAX_SSE_STREAMS);
    assert.throws(
      () => sseStream(services, () => Promise.resolve()),
      (e: { status?: number; headers?: Record<string, string> }) =>
        e.status === 429 && /^\d+$/.test(e.headers?.['Retry-After'] ?? ''),
    );
    await bodies.pop()!.cancel(); // a client that went away
    assert.equal(openSseStreams(services), MAX_SSE_STREAMS - 1);
    stops.shift()!(); // a producer that finished
    await new Promise((r) => setImmediate(r));
    assert.equal(openSseStreams(services), MAX_SSE_STREAMS - 2);
    const failing = sseStream(services, () => Promise.reject(new Error('boom')), {
      logError: () => undefined,
    });
    await readAll(failing);
    assert.equal(openSseStreams(services), MAX_SSE_STREAMS - 2);
    await Promise.all(bodies.map((b) => b.cancel()));
    assert.equal(openSseStreams(services), base);
  });

  it('counts the streams of each app apart (two Services in one process)', async () => {
    const other = createServices({});
    const stop = new AbortController();
    const body = sseStream(
      other,
      () => new Promise<void>((r) => stop.signal.addEventListener('abort', () => r())),
    );
    assert.equal(openSseStreams(other), 1);
    assert.equal(openSseStreams(createServices({})), 0);
    stop.abort();
    await readAll(body);
    assert.equal(openSseStreams(other), 0);
  });
});
