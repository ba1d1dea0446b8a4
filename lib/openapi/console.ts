// The journal volume statistics (charts) and the web console's page.
import { STATS_MAX_UNITS } from '../journal/stats';
import { vmNameParam } from './journal';
import { type OpenApiFragment, problemResponse } from './types';

const time = 'ISO 8601, now, today, yesterday or relative (-15m, -2h, -1d)';

export const consoleFragment: OpenApiFragment = {
  tags: [{ name: 'console', description: 'Web console and the statistics behind its charts' }],
  paths: {
    '/vms/{name}/journal/stats': {
      get: {
        tags: ['journal', 'console'],
        operationId: 'getJournalStats',
        summary: 'Entries per minute or hour, by priority or by unit',
        description:
          'Read from counters that ingestion keeps beside the unit index (one row per VM and hour, written in ' +
          'the same transaction), never from the entries: a 24 h range costs at most 2 storage requests. ' +
          `Per hour, at most ${STATS_MAX_UNITS} units are counted by name; entries of further units count ` +
          'under `(other)`. Entries re-sent (duplicates) are not counted again. The range may span at most ' +
          '24 h with bucket=1m and 31 days with bucket=1h (else 400 naming `query.since`).',
        parameters: [
          vmNameParam,
          { name: 'since', in: 'query', description: `${time}; default -1h`, schema: { type: 'string' } },
          { name: 'until', in: 'query', description: `${time}; default now`, schema: { type: 'string' } },
          { name: 'bucket', in: 'query', schema: { enum: ['1m', '1h'], default: '1m' } },
          { name: 'by', in: 'query', schema: { enum: ['priority', 'unit'], default: 'priority' } },
        ],
        responses: {
          '200': {
            description: 'One count per bucket and series',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/JournalStats' } } },
          },
          '400': problemResponse('Invalid parameter (named in errors[].field)'),
        },
      },
    },
    '/ui/{path}': {
      get: {
        tags: ['console'],
        operationId: 'webConsole',
        summary: 'The web console (HTML at /api/ui/, hashed assets under /api/ui/assets/)',
        description:
          'Anonymous: the page holds no data and asks for the function key, which it keeps in sessionStorage ' +
          'and sends in the x-functions-key header. The page is served with no-cache, assets with a one-year ' +
          'immutable cache; every response has a strict Content-Security-Policy (no inline script, ' +
          "connect-src 'self', frame-ancestors 'none') and X-Content-Type-Options: nosniff.",
        security: [],
        parameters: [
          {
            name: 'path',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: 'empty, index.html or assets/<file>',
          },
        ],
        responses: {
          '200': {
            description: 'The page or an asset',
            content: { 'text/html': {}, 'text/javascript': {}, 'text/css': {} },
          },
          '308': { description: '/api/ui redirects to /api/ui/' },
          '404': problemResponse('No such console file'),
        },
      },
    },
  },
  schemas: {
    JournalStats: {
      type: 'object',
      required: ['bucket', 'by', 'since', 'until', 'times', 'series', 'total'],
      properties: {
        bucket: { enum: ['1m', '1h'] },
        by: { enum: ['priority', 'unit'] },
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
        times: {
          type: 'array',
          items: { type: 'string', format: 'date-time' },
          description: 'Start of each bucket, oldest first',
        },
        series: {
          type: 'array',
          description:
            'Largest total first. Keys: priority 0–7 (`-` for entries without PRIORITY) or unit name',
          items: {
            type: 'object',
            required: ['key', 'total', 'counts'],
            properties: {
              key: { type: 'string' },
              total: { type: 'integer' },
              counts: {
                type: 'array',
                items: { type: 'integer' },
                description: 'One count per entry of times',
              },
            },
          },
        },
        total: { type: 'integer' },
      },
    },
  },
};
