// The web console: the handler is in lib/ui/handler.ts.
import { app } from '@azure/functions';

import { uiHandler } from '../lib/ui/handler';
import { services } from './services';

app.http('ui', {
  methods: ['GET'],
  route: 'ui/{*path}',
  authLevel: 'anonymous',
  handler: uiHandler(services),
});
