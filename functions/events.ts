// Lifecycle events: the handlers are in lib/events/http.ts; here only their names, routes and schedule.
import { app } from '@azure/functions';

import {
  eventRangeHandler,
  eventsRetentionHandler,
  getEventHandler,
  listEventsHandler,
} from '../lib/events/http';
import { services } from './services';

app.http('listEvents', {
  methods: ['GET'],
  route: 'events',
  authLevel: 'function',
  handler: listEventsHandler(services),
});
app.http('eventRange', {
  methods: ['GET'],
  route: 'events/range',
  authLevel: 'function',
  handler: eventRangeHandler(services),
});
app.http('getEvent', {
  methods: ['GET'],
  route: 'events/{id}',
  authLevel: 'function',
  handler: getEventHandler(services),
});
app.timer('eventsRetention', { schedule: '0 17 3 * * *', handler: eventsRetentionHandler(services) });
