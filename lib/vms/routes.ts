// VM route handlers (docs/api.md "Virtual machines"): validate input, call the VM service, shape the
// response. Long operations answer 202 with Location (the record to poll) and the record. Made from
// the app's Services; functions/vms.ts registers them with the routes of the operations table.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { conflict, notFound } from '../errors';
import { rejectUnknownQuery } from '../http/query';
import { beginTokenRotation } from '../ingest-token';
import type { Services } from '../services';
import { MAX_CREATE_BODY_BYTES, parseCreateRequest } from './create-request';
import { parseListParams, pathName, readBodyText } from './http';
import { ingestUrl, uploadUrl } from './names';
import type { VmCommandKind } from './operations';
import { toApiVm, type VmRecord } from './record';
import { createVm, getVmOr404, requestCommand } from './service';
import { listVms } from './store';

type Handler = (req: HttpRequest) => Promise<HttpResponseInit>;

const vmPath = (name: string) => `/api/vms/${name}`;

function accepted(req: HttpRequest, record: VmRecord): HttpResponseInit {
  return {
    status: 202,
    headers: { location: new URL(vmPath(record.name), req.url).toString() },
    jsonBody: toApiVm(record),
  };
}

/** POST /api/vms */
export const createVmRoute =
  (services: Services): Handler =>
  async (req) => {
    rejectUnknownQuery(req.query, []);
    const config = services.config;
    const text = await readBodyText(req, MAX_CREATE_BODY_BYTES);
    const parsed = parseCreateRequest(text, {
      region: config.VM_DEFAULT_REGION,
      ...(config.VM_DEFAULT_SSH_PUBLIC_KEY ? { sshPublicKey: config.VM_DEFAULT_SSH_PUBLIC_KEY } : {}),
    });
    return accepted(req, await createVm(services, parsed));
  };

/** GET /api/vms */
export const listVmsRoute =
  (services: Services): Handler =>
  async (req) => {
    rejectUnknownQuery(req.query, ['limit', 'status', 'cursor']);
    const params = parseListParams(req.query);
    const page = await listVms(services, params);
    let nextLink: string | null = null;
    if (page.next) {
      const q = new URLSearchParams({ limit: String(params.limit) });
      if (params.status) q.set('status', params.status.join(','));
      q.set('cursor', page.next);
      nextLink = `/api/vms?${q.toString()}`;
    }
    return { status: 200, jsonBody: { items: page.items.map(toApiVm), nextLink } };
  };

/** GET /api/vms/{name} */
export const getVmRoute =
  (services: Services): Handler =>
  async (req) => {
    const name = pathName(req);
    rejectUnknownQuery(req.query, []);
    return { status: 200, jsonBody: toApiVm(await getVmOr404(services, name)) };
  };

/** DELETE /api/vms/{name} and POST /api/vms/{name}/<power command>: the operations table's routes. */
export const commandRoute =
  (services: Services, command: Exclude<VmCommandKind, 'create'>): Handler =>
  async (req) => {
    const name = pathName(req);
    rejectUnknownQuery(req.query, []);
    return accepted(req, await requestCommand(services, name, command));
  };

/**
 * POST /api/vms/{name}/ingest-token: a new token, shown once. The VM's agent learns it from its next
 * ingest response and switches; the previous token works until then (at most until previousValidUntil).
 */
export const rotateIngestTokenRoute =
  (services: Services): Handler =>
  async (req) => {
    const name = pathName(req);
    rejectUnknownQuery(req.query, []);
    const vm = await getVmOr404(services, name);
    if (vm.status === 'deleted' || vm.status === 'deleting') throw notFound(`No VM named '${name}'.`);
    if (vm.status === 'failed')
      throw conflict(`The VM '${name}' failed to provision; it has no ingest token.`);
    const { token, previousValidUntil } = await beginTokenRotation(services, name);
    const base = services.config.PUBLIC_BASE_URL;
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: {
        token,
        ingestUrl: ingestUrl(base, name),
        uploadUrl: uploadUrl(base, name, token),
        previousValidUntil,
      },
    };
  };
