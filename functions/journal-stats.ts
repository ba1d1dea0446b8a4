// GET /api/vms/{name}/journal/stats: journal volume per minute or hour, by priority or unit, read from
// the counters ingestion keeps beside the index (lib/journal/stats.ts), never from the entries.
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { validationFailed } from '../lib/errors';
import { withProblems } from '../lib/http/problem';
import { parseStatsQuery, readStats } from '../lib/journal/stats';

const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function getJournalStats(req: HttpRequest): Promise<HttpResponseInit> {
  const vm = req.params.name ?? '';
  if (!VM_NAME.test(vm))
    throw validationFailed([
      { field: 'path.name', message: 'letters, digits, . _ - (1–64, starting with a letter or digit)' },
    ]);
  const q = parseStatsQuery(req.query);
  return { status: 200, jsonBody: await readStats(vm, q) };
}

app.http('getJournalStats', {
  methods: ['GET'],
  route: 'vms/{name}/journal/stats',
  authLevel: 'function',
  handler: withProblems(getJournalStats),
});
