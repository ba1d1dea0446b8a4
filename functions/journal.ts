// Journal routes: ingestion (ingest token), query, live tail, units, boots, and the retention timer.
// The handlers are lib/journal/http.ts's, made from the app's Services.
import { app } from '@azure/functions';

import { withProblems } from '../lib/http/problem';
import {
  bootsHandler,
  ingestHandler,
  queryHandler,
  retentionHandler,
  unitsHandler,
  uploadHandler,
} from '../lib/journal/http';
import { services } from './services';

app.http('journalIngest', {
  methods: ['POST'],
  route: 'vms/{name}/journal',
  authLevel: 'anonymous',
  handler: withProblems(ingestHandler(services)),
});
app.http('journalUpload', {
  methods: ['POST'],
  route: 'ingest/{name}/{token}/upload',
  authLevel: 'anonymous',
  handler: withProblems(uploadHandler(services)),
});
app.http('journalQuery', {
  methods: ['GET'],
  route: 'vms/{name}/journal',
  authLevel: 'function',
  handler: withProblems(queryHandler(services)),
});
app.http('journalUnits', {
  methods: ['GET'],
  route: 'vms/{name}/units',
  authLevel: 'function',
  handler: withProblems(unitsHandler(services)),
});
app.http('journalBoots', {
  methods: ['GET'],
  route: 'vms/{name}/boots',
  authLevel: 'function',
  handler: withProblems(bootsHandler(services)),
});
app.timer('journalRetention', { schedule: '0 15 0 * * *', handler: retentionHandler(services) });
