// GET /api/vms/{name}/journal/stats (lib/journal/http.ts statsHandler).
import { app } from '@azure/functions';

import { withProblems } from '../lib/http/problem';
import { statsHandler } from '../lib/journal/http';
import { services } from './services';

app.http('getJournalStats', {
  methods: ['GET'],
  route: 'vms/{name}/journal/stats',
  authLevel: 'function',
  handler: withProblems(statsHandler(services)),
});
