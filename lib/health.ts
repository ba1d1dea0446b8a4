// GET /api/health and GET /api/openapi.json: anonymous, no storage (functions/health.ts registers them).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { withProblems } from './http/problem';
import { rejectUnknownQuery } from './http/query';
import { openApiDocument } from './openapi';
import type { Services } from './services';
import { version } from './version';

type HttpHandler = (req: HttpRequest, ctx: InvocationContext) => Promise<HttpResponseInit>;

/** Made from the Services like every handler, though it needs none of them: liveness must not touch
 * storage. */
export const healthHandler = (_services: Services): HttpHandler =>
  withProblems((req) => {
    rejectUnknownQuery(req.query, []);
    return Promise.resolve({ status: 200, jsonBody: { status: 'ok', version } });
  });

export const openApiHandler = (_services: Services): HttpHandler =>
  withProblems((req) => {
    rejectUnknownQuery(req.query, []);
    return Promise.resolve({ status: 200, jsonBody: openApiDocument() });
  });
