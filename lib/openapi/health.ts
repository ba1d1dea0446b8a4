import { type OpenApiFragment, problemResponse } from './types';

export const healthFragment: OpenApiFragment = {
  tags: [{ name: 'meta', description: 'Health and API description' }],
  paths: {
    '/health': {
      get: {
        tags: ['meta'],
        operationId: 'getHealth',
        summary: 'Liveness check (anonymous)',
        security: [],
        responses: {
          '200': {
            description: 'The app is up',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['status', 'version'],
                  properties: { status: { const: 'ok' }, version: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['meta'],
        operationId: 'getOpenApi',
        summary: 'This OpenAPI 3.1 document',
        security: [],
        responses: {
          '200': {
            description: 'OpenAPI document',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          '400': problemResponse('Unknown query parameter'),
        },
      },
    },
  },
};
