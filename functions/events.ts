// Lifecycle events (API.md "Events"): CloudEvents 1.0 batches, the retained range, one event by id
// (410 once retention removed it), a resumable SSE watch, and the daily retention timer.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

import { gone, notFound, validationFailed } from '../lib/errors';
import { isEventId } from '../lib/events/ids';
import { eventRange, getEvent, latestEvents, listEventsAfter, purgeEvents } from '../lib/events/store';
import { watchEvents } from '../lib/events/watch';
import { disconnectSignal, watchDisconnects } from '../lib/http/disconnect';
import { withProblems } from '../lib/http/problem';
import { parseLimit, rejectUnknownQuery } from '../lib/http/query';
import { SSE_HEADERS, sseStream } from '../lib/http/sse';
import { getConfig } from '../lib/legacy-services';
import { services } from './services';

watchDisconnects(services);

function eventsQuery(q: URLSearchParams) {
  const errors: { field: string; message: string }[] = [];
  const after = q.get('after') ?? undefined;
  if (after !== undefined && !isEventId(after)) errors.push({ field: 'query.after', message: 'an event id' });
  const limit = parseLimit(q, errors);
  const watch = q.get('watch');
  if (watch !== null && watch !== 'true' && watch !== 'false') {
    errors.push({ field: 'query.watch', message: 'true or false' });
  }
  if (errors.length > 0) throw validationFailed(errors);
  return { after, limit, watch: watch === 'true' };
}

/** GET /api/events[?after=&limit=] and ?watch=true */
export async function listEventsRoute(req: HttpRequest, ctx: InvocationContext): Promise<HttpResponseInit> {
  rejectUnknownQuery(req.query, ['after', 'limit', 'watch']);
  const q = eventsQuery(req.query);
  if (q.watch) {
    const lastEventId = req.headers.get('last-event-id') ?? undefined;
    if (lastEventId !== undefined && !isEventId(lastEventId)) {
      throw validationFailed([{ field: 'header.Last-Event-ID', message: 'an event id' }]);
    }
    const after = lastEventId ?? q.after;
    const abortSignal = disconnectSignal(services, ctx.invocationId);
    return {
      status: 200,
      headers: { ...SSE_HEADERS },
      body: sseStream(services, (w) => watchEvents(w, after ? { after } : {}), {
        ...(abortSignal ? { abortSignal } : {}),
        logError: (m) => ctx.error(m),
      }),
    };
  }
  const events = q.after ? await listEventsAfter(q.after, q.limit) : await latestEvents(q.limit);
  const last = events.at(-1)?.id ?? q.after;
  const headers: Record<string, string> = {
    'content-type': 'application/cloudevents-batch+json; charset=utf-8',
  };
  if (last) headers.link = `</api/events?after=${last}&limit=${q.limit}>; rel="next"`;
  return { status: 200, headers, body: JSON.stringify(events) };
}

/** GET /api/events/range */
export async function eventRangeRoute(req: HttpRequest): Promise<HttpResponseInit> {
  rejectUnknownQuery(req.query, []);
  const range = await eventRange();
  return range ? { status: 200, jsonBody: range } : { status: 204 };
}

/** GET /api/events/{id} */
export async function getEventRoute(req: HttpRequest): Promise<HttpResponseInit> {
  const id = req.params.id ?? '';
  if (!isEventId(id)) throw validationFailed([{ field: 'path.id', message: 'an event id' }]);
  rejectUnknownQuery(req.query, []);
  const e = await getEvent(id);
  if (e === 'gone') throw gone(`Event ${id} was removed by retention.`);
  if (!e) throw notFound(`No event ${id}.`);
  return {
    status: 200,
    headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    body: JSON.stringify(e),
  };
}

/** Daily: events older than EVENTS_RETENTION_DAYS go (their ids then answer 410). */
export async function eventsRetention(_timer: unknown, context: InvocationContext): Promise<void> {
  const days = getConfig().EVENTS_RETENTION_DAYS;
  const removed = await purgeEvents(Date.now() - days * 86_400_000);
  if (removed > 0) context.log(`Events retention: removed ${removed} events older than ${days} days.`);
}

app.http('listEvents', {
  methods: ['GET'],
  route: 'events',
  authLevel: 'function',
  handler: withProblems(listEventsRoute),
});
app.http('eventRange', {
  methods: ['GET'],
  route: 'events/range',
  authLevel: 'function',
  handler: withProblems(eventRangeRoute),
});
app.http('getEvent', {
  methods: ['GET'],
  route: 'events/{id}',
  authLevel: 'function',
  handler: withProblems(getEventRoute),
});
app.timer('eventsRetention', { schedule: '0 17 3 * * *', handler: eventsRetention });
