// OpenAPI for the lifecycle events (docs/api.md "Events").
import { EVENT_TYPES } from '../events/types';
import { type OpenApiFragment, problemResponse } from './types';

const eventRef = { $ref: '#/components/schemas/CloudEvent' };
const idPattern = '^\\d{13}-\\d{6}-[0-9a-f]{6}$';

export const eventsFragment: OpenApiFragment = {
  tags: [{ name: 'events', description: 'VM lifecycle events (CloudEvents 1.0)' }],
  paths: {
    '/events': {
      get: {
        tags: ['events'],
        operationId: 'listEvents',
        summary: 'Events oldest first after an id (default: the latest page); with watch=true an SSE stream',
        description:
          'Ids increase with time but are not consecutive. The `Link: rel="next"` header gives the next page. With `watch=true` new events stream as Server-Sent Events (`id:` = event id, `data:` = the event); reconnect with `Last-Event-ID` (or `after`) to resume. At most 100 live streams (event watches and journal tails) per instance: above that 429 with Retry-After. Each instance of the app makes its events visible in id order; with several instances, an event can appear a moment after one with a larger id: the watch looks back 5 s for such events and sends them late, and a client paging with `after` should re-read the last few seconds.',
        parameters: [
          { name: 'after', in: 'query', schema: { type: 'string', pattern: idPattern } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          { name: 'watch', in: 'query', schema: { type: 'boolean', default: false } },
          { name: 'Last-Event-ID', in: 'header', schema: { type: 'string', pattern: idPattern } },
        ],
        responses: {
          '200': {
            description: 'A batch, or the stream',
            content: {
              'application/cloudevents-batch+json': { schema: { type: 'array', items: eventRef } },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          '400': problemResponse('Bad query parameter'),
          '429': problemResponse(
            'watch=true: this instance serves its maximum of live streams; see Retry-After',
          ),
        },
      },
    },
    '/events/range': {
      get: {
        tags: ['events'],
        operationId: 'getEventRange',
        summary: 'The earliest and latest ids still retained',
        responses: {
          '200': {
            description: 'The range',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['earliest', 'latest'],
                  properties: { earliest: { type: 'string' }, latest: { type: 'string' } },
                },
              },
            },
          },
          '204': { description: 'No events' },
        },
      },
    },
    '/events/{id}': {
      get: {
        tags: ['events'],
        operationId: 'getEvent',
        summary: 'One event',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: idPattern } },
        ],
        responses: {
          '200': {
            description: 'The event',
            content: { 'application/cloudevents+json': { schema: eventRef } },
          },
          '400': problemResponse('Not an event id'),
          '404': problemResponse('No such event'),
          '410': problemResponse('Removed by retention'),
        },
      },
    },
  },
  schemas: {
    CloudEvent: {
      type: 'object',
      description: 'CloudEvents 1.0 (JSON format); subject = VM name; data = the VM record or the step',
      required: ['specversion', 'id', 'source', 'type', 'subject', 'time'],
      properties: {
        specversion: { const: '1.0' },
        id: { type: 'string' },
        source: { type: 'string' },
        type: { enum: Object.values(EVENT_TYPES) },
        subject: { type: 'string' },
        time: { type: 'string', format: 'date-time' },
        datacontenttype: { const: 'application/json' },
        data: {},
      },
    },
  },
};
