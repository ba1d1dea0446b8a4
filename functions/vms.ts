// VM routes (API.md "Virtual machines"): thin handlers that validate input, call lib/vms and shape
// the response. Long operations answer 202 with Location (the record to poll) and the record.
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { conflict, notFound } from '../lib/errors';
import { withProblems } from '../lib/http/problem';
import { rejectUnknownQuery } from '../lib/http/query';
import { beginTokenRotation } from '../lib/ingest-token';
import { getConfig } from '../lib/legacy-services';
import { MAX_CREATE_BODY_BYTES, parseCreateRequest } from '../lib/vms/create-request';
import { parseListParams, pathName, readBodyText } from '../lib/vms/http';
import { toApiVm, type VmRecord } from '../lib/vms/record';
import { createVm, getVmOr404, requestCommand } from '../lib/vms/service';
import type { PowerCommand } from '../lib/vms/status';
import { listVms } from '../lib/vms/store';
import { services } from './services';

const vmPath = (name: string) => `/api/vms/${name}`;

function accepted(req: HttpRequest, record: VmRecord): HttpResponseInit {
  return {
    status: 202,
    headers: { location: new URL(vmPath(record.name), req.url).toString() },
    jsonBody: toApiVm(record),
  };
}

/** POST /api/vms */
export async function createVmRoute(req: HttpRequest): Promise<HttpResponseInit> {
  rejectUnknownQuery(req.query, []);
  const config = getConfig();
  const text = await readBodyText(req, MAX_CREATE_BODY_BYTES);
  const parsed = parseCreateRequest(text, {
    region: config.VM_DEFAULT_REGION,
    ...(config.VM_DEFAULT_SSH_PUBLIC_KEY ? { sshPublicKey: config.VM_DEFAULT_SSH_PUBLIC_KEY } : {}),
  });
  return accepted(req, await createVm(parsed));
}

/** GET /api/vms */
export async function listVmsRoute(req: HttpRequest): Promise<HttpResponseInit> {
  rejectUnknownQuery(req.query, ['limit', 'status', 'cursor']);
  const params = parseListParams(req.query);
  const page = await listVms(params);
  let nextLink: string | null = null;
  if (page.next) {
    const q = new URLSearchParams({ limit: String(params.limit) });
    if (params.status) q.set('status', params.status.join(','));
    q.set('cursor', page.next);
    nextLink = `/api/vms?${q.toString()}`;
  }
  return { status: 200, jsonBody: { items: page.items.map(toApiVm), nextLink } };
}

/** GET /api/vms/{name} */
export async function getVmRoute(req: HttpRequest): Promise<HttpResponseInit> {
  const name = pathName(req);
  rejectUnknownQuery(req.query, []);
  return { status: 200, jsonBody: toApiVm(await getVmOr404(name)) };
}

/** DELETE /api/vms/{name} */
export async function deleteVmRoute(req: HttpRequest): Promise<HttpResponseInit> {
  const name = pathName(req);
  rejectUnknownQuery(req.query, []);
  return accepted(req, await requestCommand(name, 'delete'));
}

/** POST /api/vms/{name}/start|stop|restart|deallocate */
export const powerRoute =
  (command: PowerCommand) =>
  async (req: HttpRequest): Promise<HttpResponseInit> => {
    const name = pathName(req);
    rejectUnknownQuery(req.query, []);
    return accepted(req, await requestCommand(name, command));
  };

/**
 * POST /api/vms/{name}/ingest-token: a new token, shown once. The VM's agent learns it from its next
 * ingest response and switches; the previous token works until then (at most until previousValidUntil).
 */
export async function rotateIngestTokenRoute(req: HttpRequest): Promise<HttpResponseInit> {
  const name = pathName(req);
  rejectUnknownQuery(req.query, []);
  const vm = await getVmOr404(name);
  if (vm.status === 'deleted' || vm.status === 'deleting') throw notFound(`No VM named '${name}'.`);
  if (vm.status === 'failed') throw conflict(`The VM '${name}' failed to provision; it has no ingest token.`);
  const { token, previousValidUntil } = await beginTokenRotation(services, name);
  const base = getConfig().PUBLIC_BASE_URL.replace(/\/+$/, '');
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    jsonBody: {
      token,
      ingestUrl: `${base}${vmPath(name)}/journal`,
      uploadUrl: `${base}/api/ingest/${name}/${token}`,
      previousValidUntil,
    },
  };
}

app.http('createVm', {
  methods: ['POST'],
  route: 'vms',
  authLevel: 'function',
  handler: withProblems(createVmRoute),
});
app.http('listVms', {
  methods: ['GET'],
  route: 'vms',
  authLevel: 'function',
  handler: withProblems(listVmsRoute),
});
app.http('getVm', {
  methods: ['GET'],
  route: 'vms/{name}',
  authLevel: 'function',
  handler: withProblems(getVmRoute),
});
app.http('deleteVm', {
  methods: ['DELETE'],
  route: 'vms/{name}',
  authLevel: 'function',
  handler: withProblems(deleteVmRoute),
});
for (const command of ['start', 'stop', 'restart', 'deallocate'] as const) {
  app.http(`${command}Vm`, {
    methods: ['POST'],
    route: `vms/{name}/${command}`,
    authLevel: 'function',
    handler: withProblems(powerRoute(command)),
  });
}
app.http('rotateIngestToken', {
  methods: ['POST'],
  route: 'vms/{name}/ingest-token',
  authLevel: 'function',
  handler: withProblems(rotateIngestTokenRoute),
});
