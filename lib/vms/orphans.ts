// The orphan sweep: resource groups the app created (tag `vm-journal` = VM name, name = prefix + VM
// name) that no live VM record accounts for are deleted, one lifecycle event each. A group is an orphan
// when its VM has no record, or the VM is `deleted` / `failed` and
// has been so for longer than the grace period (so a delete or a failure still being handled, or
// looked at, is left alone). Groups with the tag but another prefix belong to another deployment sharing
// the subscription and are never touched.
import type { InvocationContext } from '@azure/functions';

import { appendEvent } from '../events/store';
import { armErrorInfo } from '../provisioning/arm-errors';
import { armCall } from '../provisioning/lro';
import type { Services } from '../services';
import { resourceGroupName, VM_TAG } from './names';
import { getVm } from './store';

/** How long a `deleted` or `failed` VM's group is left before the sweep deletes it. */
export const ORPHAN_GRACE_MS = 60 * 60_000;

export type OrphanReason = 'no-record' | 'deleted' | 'failed';

export interface SweptGroup {
  resourceGroup: string;
  vm: string;
  reason: OrphanReason;
}

async function orphanReason(
  services: Services,
  vm: string,
  now: number,
  graceMs: number,
): Promise<OrphanReason | undefined> {
  const stored = await getVm(services, vm);
  if (!stored) return 'no-record';
  const r = stored.record;
  if ((r.status === 'deleted' || r.status === 'failed') && now - Date.parse(r.updatedAt) >= graceMs) {
    return r.status;
  }
  return undefined;
}

/** Finds and deletes orphaned groups (the deletes are started, not awaited); returns what it deleted. */
export async function sweepOrphans(
  services: Services,
  opts: { now?: number; graceMs?: number } = {},
): Promise<SweptGroup[]> {
  const now = opts.now ?? services.clock.now();
  const graceMs = opts.graceMs ?? ORPHAN_GRACE_MS;
  const prefix = services.config.VM_RESOURCE_GROUP_PREFIX;
  const { resources } = await services.arm();
  const groups = await armCall(async () => {
    const out: { name: string; vm: string; state?: string }[] = [];
    for await (const g of resources.resourceGroups.list({ filter: `tagName eq '${VM_TAG}'` })) {
      const vm = Object.entries(g.tags ?? {}).find(([k]) => k.toLowerCase() === VM_TAG)?.[1];
      if (g.name && vm) out.push({ name: g.name, vm, state: g.properties?.provisioningState });
    }
    return out;
  });
  const swept: SweptGroup[] = [];
  for (const g of groups) {
    if (g.state === 'Deleting' || g.name.toLowerCase() !== resourceGroupName(g.vm, prefix).toLowerCase()) {
      continue;
    }
    const reason = await orphanReason(services, g.vm, now, graceMs);
    if (!reason) continue;
    try {
      await armCall(() => resources.resourceGroups.beginDelete(g.name));
    } catch (e) {
      const code = armErrorInfo(e).code;
      if (code === 'ResourceGroupNotFound' || code === 'ResourceGroupBeingDeleted') continue;
      throw e;
    }
    await appendEvent(services, 'orphanDeleted', g.vm, { resourceGroup: g.name, reason });
    swept.push({ resourceGroup: g.name, vm: g.vm, reason });
  }
  return swept;
}

/** The timer's handler: sweeps and logs each group it deletes. */
export const orphanSweepHandler =
  (services: Services) =>
  async (_timer: unknown, context: InvocationContext): Promise<void> => {
    const swept = await sweepOrphans(services);
    for (const s of swept) {
      context.log(`Orphan sweep: deleting resource group ${s.resourceGroup} of VM ${s.vm} (${s.reason}).`);
    }
  };
