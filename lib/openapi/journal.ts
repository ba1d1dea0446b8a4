import { VM_NAME_PATTERN, VM_NAME_RULE } from '../vms/names';
import { type OpenApiFragment, problemResponse } from './types';

/** The `{name}` path parameter of the journal routes: the VM name rule (a name that cannot be a VM's
 * is a 400 naming `path.name`). */
export const vmNameParam = {
  name: 'name',
  in: 'path',
  required: true,
  description: `VM name: ${VM_NAME_RULE}`,
  schema: { type: 'string', pattern: VM_NAME_PATTERN.source },
};
const vmName = vmNameParam;
const q = (
  name: string,
  description: string,
  schema: Record<string, unknown> = { type: 'string' },
  extra = {},
) => ({
  name,
  in: 'query',
  description,
  schema,
  ...extra,
});
/** /units and /boots: keyset pages (a cursor resumes after the last item of the previous page). */
const indexPaging = [
  q('limit', 'Page size', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }),
  q('cursor', 'Opaque cursor from nextLink'),
];
const ingestResult = {
  type: 'object',
  required: ['accepted', 'duplicates', 'expired', 'lastCursor'],
  properties: {
    accepted: { type: 'integer', description: 'Entries newly stored' },
    duplicates: { type: 'integer', description: 'Entries already stored (ignored)' },
    expired: {
      type: 'integer',
      description: 'Entries outside the retained window (older than retention or > 1 day ahead): not stored',
    },
    lastCursor: { type: ['string', 'null'] },
  },
};
const ingestBodies = {
  'application/x-ndjson': { schema: { type: 'string', description: '`journalctl -o json` lines' } },
  'application/json': {
    schema: { description: 'One entry object, lines of objects, or an array of objects' },
  },
  'application/vnd.fdo.journal': {
    schema: { type: 'string', format: 'binary', description: 'Journal Export Format' },
  },
};
const listOf = (ref: string) => ({
  type: 'object',
  required: ['items', 'nextLink'],
  properties: {
    items: { type: 'array', items: { $ref: `#/components/schemas/${ref}` } },
    nextLink: { type: ['string', 'null'] },
  },
});

export const journalFragment: OpenApiFragment = {
  tags: [{ name: 'journal', description: 'Ingest, query and live-tail a VM systemd journal' }],
  paths: {
    '/vms/{name}/journal': {
      post: {
        tags: ['journal'],
        operationId: 'ingestJournal',
        summary:
          'Ingest journal entries (all or nothing; body ≤ 8 MiB after gzip; long values cut, never refused)',
        description:
          'With `stream=true` the body is one long request (chunked; with gzip, any number of concatenated ' +
          'gzip members, e.g. one per batch) and entries are stored as they arrive (at the latest ~25 ms ' +
          'after the body pauses), with no body limit (entry and field limits stay). The 200 comes when the ' +
          'body ends; on a bad entry the entries before it are stored and the 400 says how many ' +
          '(`errors[].field` `stored`) and the last stored cursor. Clients resend from their last ' +
          'acknowledged cursor; entries already stored count as duplicates. Limits (lib/journal/README.md): ' +
          'a value is stored up to 2 MiB and an entry up to 4 MiB (values of ≤ 1 KiB always kept), 2,048 ' +
          'fields; above that values are cut and named in the field `_VMJ_TRUNCATED` (`NAME ORIGINAL_BYTES`), ' +
          "dropped fields counted in `_VMJ_DROPPED_FIELDS`; unit names cut to 512 characters; a VM's " +
          'units beyond 1,000 a day are stored under the unit `_overflow`. Only what is not a journal entry ' +
          '(no cursor, broken framing) is a 400. stream=true: stored every 2,000 entries or 8 MiB; ≤ 1 GiB ' +
          'decompressed (413) at ≤ 64 MiB/s per request; ends with a 408 after 200 s (the answer names ' +
          'the stored count and last cursor).',
        security: [{ ingestToken: [] }],
        parameters: [
          vmName,
          q(
            'stream',
            'true: store as the body arrives (long chunked request); default false (all or nothing)',
            {
              enum: ['true', 'false'],
            },
          ),
          { name: 'Content-Encoding', in: 'header', schema: { enum: ['gzip', 'identity'] } },
        ],
        requestBody: { required: true, content: ingestBodies },
        responses: {
          '200': {
            description: 'Stored durably',
            headers: {
              'Next-Ingest-Token': {
                description:
                  "After a rotation (POST /vms/{name}/ingest-token), only to a caller that used the VM's current " +
                  'token: the new token. Use it from the next request; its first use ends the old token.',
                schema: { type: 'string' },
              },
            },
            content: { 'application/json': { schema: ingestResult } },
          },
          '400': problemResponse(
            'A bad entry: `errors[].field` names it, e.g. `entries[3].__CURSOR`; nothing stored (stream=true: the entries before it are stored)',
          ),
          '401': problemResponse('Missing or invalid ingest token for this VM'),
          '408': problemResponse(
            'stream=true: the request reached its 200 s bound (the entries before are stored)',
          ),
          '413': problemResponse(
            'Body above 8 MiB (stream=true: above 1 GiB), or a JSON entry above 32 MiB of text',
          ),
          '415': problemResponse('Unsupported Content-Type'),
        },
      },
      get: {
        tags: ['journal'],
        operationId: 'queryJournal',
        summary: 'Query entries like journalctl, or live-tail them with follow=true (Server-Sent Events)',
        parameters: [
          vmName,
          q('unit', 'Unit (repeatable)', { type: 'array', items: { type: 'string' } }, { explode: true }),
          q('boot', '`all` (default), `current`, `0`, `-1`…, or a boot id'),
          q('priority', '0–7 or emerg…debug: that level and more severe'),
          q('since', 'ISO 8601, now, today, yesterday, or relative like -15m'),
          q('until', 'As since'),
          q('grep', 'Case-insensitive substring of MESSAGE'),
          q('limit', 'Page size (default 100; for follow, the initial backlog, default 10)', {
            type: 'integer',
            minimum: 1,
            maximum: 1000,
          }),
          q('order', 'asc (default) or desc', { enum: ['asc', 'desc'] }),
          q('cursor', 'Opaque paging cursor from nextLink'),
          q('format', 'json (default), ndjson, or short (= journalctl -o short)', {
            enum: ['json', 'ndjson', 'short'],
          }),
          q(
            'follow',
            'Live tail as text/event-stream; ends within 200 s, reconnect with Last-Event-ID. At most 100 live streams (tails and event watches) per instance: above that 429 with Retry-After. Entries are sent in arrival order: one newer than everything sent so far whatever its age, one up to 10 s late after newer ones, one dated in the future when it arrives (it does not hold back later real ones); a reconnect may repeat entries of the last 10 s (same id). On a failure the stream sends `event: error` with a generic detail; reconnect.',
            { enum: ['true', 'false'] },
          ),
          q('after', 'Offset to resume after (as Last-Event-ID)'),
          { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'Entries (or an SSE stream: `id: <offset>`, `data: <entry JSON>`)',
            content: {
              'application/json': { schema: listOf('JournalEntry') },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/plain': { schema: { type: 'string' } },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          '400': problemResponse('Invalid or unknown query parameter'),
          '404': problemResponse('No such VM (never created, or deleted with its journal)'),
          '429': problemResponse(
            'follow=true: this instance serves its maximum of live streams; see Retry-After',
          ),
        },
      },
    },
    '/ingest/{name}/{token}/upload': {
      post: {
        tags: ['journal'],
        operationId: 'ingestUpload',
        summary: 'Ingestion for stock systemd-journal-upload (export format, chunked; stored as it streams)',
        security: [],
        parameters: [vmName, { name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: { 'application/vnd.fdo.journal': ingestBodies['application/vnd.fdo.journal'] },
        },
        responses: {
          '202': {
            description: 'Stored (text/plain, like systemd-journal-remote)',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          '400': problemResponse('A bad entry; entries before it are stored and the detail says how many'),
          '401': problemResponse('Invalid ingest token for this VM'),
          '408': problemResponse(
            "The request reached its 200 s bound (before Azure's 230 s front-end limit): the entries before " +
              'are stored (count and last cursor in `errors[].field` `stored`); the uploader fails this ' +
              'upload, keeps its saved cursor and resends from it (duplicates are ignored)',
          ),
          '413': problemResponse('Above 1 GiB decompressed in one request (the entries before are stored)'),
        },
      },
    },
    '/vms/{name}/units': {
      get: {
        tags: ['journal'],
        operationId: 'listJournalUnits',
        summary: 'Units seen, with entry counts and first/last time; in name order, paged',
        parameters: [vmName, ...indexPaging],
        responses: {
          '200': { description: 'Units', content: { 'application/json': { schema: listOf('JournalUnit') } } },
          '400': problemResponse('Bad limit or cursor'),
          '404': problemResponse('No such VM'),
        },
      },
    },
    '/vms/{name}/boots': {
      get: {
        tags: ['journal'],
        operationId: 'listJournalBoots',
        summary: 'Boots seen, like journalctl --list-boots; paged',
        parameters: [vmName, ...indexPaging],
        responses: {
          '200': {
            description: 'Boots, oldest first',
            content: { 'application/json': { schema: listOf('JournalBoot') } },
          },
          '400': problemResponse('Bad limit or cursor'),
          '404': problemResponse('No such VM'),
        },
      },
    },
  },
  schemas: {
    JournalEntry: {
      type: 'object',
      required: ['offset', 'cursor', 'time', 'realtimeUsec', 'bootId', 'unit', 'fields', 'binaryFields'],
      properties: {
        offset: { type: 'string', description: 'Stable, sortable position (SSE id, after=)' },
        cursor: { type: 'string' },
        time: { type: 'string', format: 'date-time' },
        realtimeUsec: { type: 'integer' },
        bootId: { type: 'string' },
        unit: { type: 'string' },
        priority: { type: ['integer', 'null'] },
        identifier: { type: ['string', 'null'] },
        pid: { type: ['integer', 'null'] },
        hostname: { type: ['string', 'null'] },
        message: { type: ['string', 'null'] },
        fields: {
          type: 'object',
          description: 'Every original field; binary values base64; repeated fields as arrays',
        },
        binaryFields: { type: 'array', items: { type: 'string' } },
      },
    },
    JournalUnit: {
      type: 'object',
      properties: {
        unit: { type: 'string' },
        count: { type: 'integer' },
        first: { type: 'string' },
        last: { type: 'string' },
      },
    },
    JournalBoot: {
      type: 'object',
      properties: {
        index: { type: 'integer' },
        bootId: { type: 'string' },
        first: { type: 'string' },
        last: { type: 'string' },
        count: { type: 'integer' },
      },
    },
  },
};
