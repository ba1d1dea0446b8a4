// Liveness and the OpenAPI document: the handlers are in lib/health.ts.
import { app } from '@azure/functions';

import { healthHandler, openApiHandler } from '../lib/health';
import { services } from './services';

app.http('health', {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
  handler: healthHandler(services),
});
app.http('openapi', {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: 'anonymous',
  handler: openApiHandler(services),
});
