// Lifecycle events over HTTP (docs/api.md "Events"): CloudEvents 1.0 batches, the retained range, one event
// by id (410 once retention removed it), a resumable SSE watch, and the daily retention timer. Each
// handler is made from the app's Services (functions/events.ts registers them).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { gone, notFound, validationFailed } from '../errors';
import { disconnectSignal } from '../http/disconnect';
import { withProblems } from '../http/problem';
import { parseLimit, rejectUnknownQuery } from '../http/query';
import { SSE_HEADERS, sseStream } from '../http/sse';
import type { Services } from '../services';
import { isEventId } from './ids';
import { eventRange, getEvent, latestEvents, listEventsAfter, purgeEvents } from './store';
import { watchEvents } from './watch';

type HttpHandler = (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;

const DAY_MS = 86_400_000;

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
export const listEventsHandler = (services: Services): HttpHandler =>
  withProblems(async (req, ctx) => {
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
        body: sseStream(services, (w) => watchEvents(services, w, after ? { after } : {}), {
          ...(abortSignal ? { abortSignal } : {}),
          logError: (m) => ctx.error(m),
        }),
      };
    }
    const events = q.after
      ? await listEventsAfter(services, q.after, q.limit)
      : await latestEvents(services, q.limit);
    const last = events.at(-1)?.id ?? q.after;
    const headers: Record<string, string> = {
      'content-type': 'application/cloudevents-batch+json; charset=utf-8',
    };
    if (last) headers.link = `</api/events?after=${last}&limit=${q.limit}>; rel="next"`;
    return { status: 200, headers, body: JSON.stringify(events) };
  });

/** GET /api/events/range */
export const eventRangeHandler = (services: Services): HttpHandler =>
  withProblems(async (req) => {
    rejectUnknownQuery(req.query, []);
    const range = await eventRange(services);
    return range ? { status: 200, jsonBody: range } : { status: 204 };
  });

/** GET /api/events/{id} */
export const getEventHandler = (services: Services): HttpHandler =>
  withProblems(async (req) => {
    const id = req.params.id ?? '';
    if (!isEventId(id)) throw validationFailed([{ field: 'path.id', message: 'an event id' }]);
    rejectUnknownQuery(req.query, []);
    const e = await getEvent(services, id);
    if (e === 'gone') throw gone(`Event ${id} was removed by retention.`);
    if (!e) throw notFound(`No event ${id}.`);
    return {
      status: 200,
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(e),
    };
  });

/** Daily: events older than EVENTS_RETENTION_DAYS go (their ids then answer 410). */
export const eventsRetentionHandler =
  (services: Services) =>
  async (_timer: unknown, context: InvocationContext): Promise<void> => {
    const days = services.config.EVENTS_RETENTION_DAYS;
    const removed = await purgeEvents(services, services.clock.now() - days * DAY_MS);
    if (removed > 0) context.log(`Events retention: removed ${removed} events older than ${days} days.`);
  };
