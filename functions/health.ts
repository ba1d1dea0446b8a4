import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { withProblems } from '../lib/http/problem';
import { rejectUnknownQuery } from '../lib/http/query';
import { openApiDocument } from '../lib/openapi';
import { version } from '../lib/version';

export async function health(req: HttpRequest): Promise<HttpResponseInit> {
  rejectUnknownQuery(req.query, []);
  return Promise.resolve({ status: 200, jsonBody: { status: 'ok', version } });
}

export async function openApi(req: HttpRequest): Promise<HttpResponseInit> {
  rejectUnknownQuery(req.query, []);
  return Promise.resolve({ status: 200, jsonBody: openApiDocument() });
}

app.http('health', {
  methods: ['GET'],
  route: 'health',
  authLevel: 'anonymous',
  handler: withProblems(health),
});
app.http('openapi', {
  methods: ['GET'],
  route: 'openapi.json',
  authLevel: 'anonymous',
  handler: withProblems(openApi),
});
