// The VM operations behind the HTTP routes: record the request (with its status transition) and put
// a command on the queue. Nothing here waits for ARM beyond the SKU lookup of a create.
import { randomUUID } from 'node:crypto';

import { conflict, notFound } from '../errors';
import { appendEvent } from '../events/store';
import { ADMIN_USERNAME } from '../provisioning/steps';
import type { Services } from '../services';
import { enqueueCommand } from './commands';
import type { ParsedCreate } from './create-request';
import { resourceGroupName } from './names';
import { toApiVm, type VmRecord } from './record';
import { resolveSize } from './resolve-size';
import { canApply, transition, type VmCommandKind } from './status';
import { getVm, insertVm, updateVm } from './store';

async function enqueueOrFail(services: Services, record: VmRecord): Promise<void> {
  try {
    await enqueueCommand(services, {
      v: 1,
      name: record.name,
      kind: record.operation as VmCommandKind,
      seq: record.seq,
      requestId: record.requestId,
    });
  } catch (e) {
    // The record says the command is pending: without a message nothing would ever move it on.
    await updateVm(services, record.name, (r) => {
      if (r.seq !== record.seq) return r;
      r.status = 'failed';
      r.provisioning.error = {
        code: 'EnqueueFailed',
        message: 'The command could not be queued; try again.',
      };
      return r;
    }).catch(() => undefined);
    throw e;
  }
}

/** POST /api/vms: validates the size against the region, records the VM `queued`, queues `create`. */
export async function createVm(
  services: Services,
  req: ParsedCreate,
  requestId = randomUUID(),
): Promise<VmRecord> {
  const size = await resolveSize(services, req);
  const now = new Date(services.clock.now()).toISOString();
  const record = await insertVm(services, req.name, (previous) => ({
    name: req.name,
    size: req.size,
    vmSize: size.vmSize,
    cpu: size.cpu,
    memoryGiB: size.memoryGiB,
    diskGiB: req.diskGiB,
    region: req.region,
    image: req.image,
    sshPublicKey: req.sshPublicKey,
    adminUsername: ADMIN_USERNAME,
    resourceGroup: resourceGroupName(req.name, services.config.VM_RESOURCE_GROUP_PREFIX),
    status: 'queued',
    publicIp: null,
    privateIp: null,
    createdAt: now,
    updatedAt: now,
    provisioning: { step: null, steps: [] },
    seq: (previous?.seq ?? 0) + 1,
    requestId,
    operation: 'create',
  }));
  await appendEvent(services, 'queued', record.name, toApiVm(record), { dedupeKey: `${requestId}/queued` });
  await enqueueOrFail(services, record);
  return record;
}

/** DELETE and the power routes: the transition the status allows (409 otherwise), then the command. */
export async function requestCommand(
  services: Services,
  name: string,
  kind: Exclude<VmCommandKind, 'create'>,
  requestId = randomUUID(),
): Promise<VmRecord> {
  const t = transition(kind);
  const record = await updateVm(services, name, (r) => {
    if (r.status === 'deleted') throw notFound(`No VM named '${name}' (it was deleted).`);
    if (!canApply(kind, r.status)) {
      throw conflict(
        `Cannot ${kind} the VM '${name}' while it is ${r.status}; allowed from: ${t.from.join(', ')}.`,
      );
    }
    r.status = t.pending;
    r.seq += 1;
    r.requestId = requestId;
    r.operation = kind;
    r.updatedAt = new Date(services.clock.now()).toISOString();
    r.provisioning = { step: null, steps: [] };
    return r;
  });
  if (!record) throw notFound(`No VM named '${name}'.`);
  await enqueueOrFail(services, record);
  return record;
}

/** The record, or 404 (a deleted VM's record is kept, and shown, until its name is reused). */
export async function getVmOr404(services: Services, name: string): Promise<VmRecord> {
  const stored = await getVm(services, name);
  if (!stored) throw notFound(`No VM named '${name}'.`);
  return stored.record;
}
