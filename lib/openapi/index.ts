// The OpenAPI 3.1 document served at /api/openapi.json, assembled from one fragment per feature.
import { version } from '../version';
import { consoleFragment } from './console';
import { eventsFragment } from './events';
import { healthFragment } from './health';
import { journalFragment } from './journal';
import type { OpenApiFragment } from './types';
import { vmsFragment } from './vms';

const fragments: OpenApiFragment[] = [
  healthFragment,
  vmsFragment,
  eventsFragment,
  journalFragment,
  consoleFragment,
];

export function openApiDocument(serverUrl = '/api'): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details',
      required: ['type', 'title', 'status', 'detail'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        code: { type: 'string' },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['field', 'message'],
            properties: { field: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  };
  const tags: { name: string; description: string }[] = [];
  for (const f of fragments) {
    Object.assign(paths, f.paths);
    Object.assign(schemas, f.schemas ?? {});
    tags.push(...(f.tags ?? []));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'vm-journal',
      version,
      description: 'Provision Linux VMs on Azure and query or live-tail their systemd journals.',
    },
    servers: [{ url: serverUrl }],
    security: [{ functionKey: [] }, { functionKeyQuery: [] }],
    tags,
    paths,
    components: {
      schemas,
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
        ingestToken: { type: 'http', scheme: 'bearer', description: 'Per-VM ingest token' },
      },
    },
  };
}
