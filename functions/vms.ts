// VM routes: the list and read routes, the ingest-token rotation, and one route per row of the
// operations table (lib/vms/operations.ts); the handlers are in lib/vms/routes.ts.
import { app } from '@azure/functions';

import { withProblems } from '../lib/http/problem';
import { VM_COMMANDS, VM_OPERATIONS } from '../lib/vms/operations';
import * as routes from '../lib/vms/routes';
import { services } from './services';

for (const kind of VM_COMMANDS) {
  const { http } = VM_OPERATIONS[kind];
  app.http(http.functionName, {
    methods: [http.method],
    route: http.route,
    authLevel: 'function',
    handler: withProblems(
      kind === 'create' ? routes.createVmRoute(services) : routes.commandRoute(services, kind),
    ),
  });
}
app.http('listVms', {
  methods: ['GET'],
  route: 'vms',
  authLevel: 'function',
  handler: withProblems(routes.listVmsRoute(services)),
});
app.http('getVm', {
  methods: ['GET'],
  route: 'vms/{name}',
  authLevel: 'function',
  handler: withProblems(routes.getVmRoute(services)),
});
app.http('rotateIngestToken', {
  methods: ['POST'],
  route: 'vms/{name}/ingest-token',
  authLevel: 'function',
  handler: withProblems(routes.rotateIngestTokenRoute(services)),
});
