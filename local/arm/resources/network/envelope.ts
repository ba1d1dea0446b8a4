// What every Microsoft.Network resource type shares: the PUT envelope (name rule, group writable, not
// busy, location, then id/name/type/location/tags/etag and provisioningState/resourceGuid around the
// type's own properties, then the LRO), references to other network resources, and the NIC IP
// configurations that back-references are derived from.
import { randomUUID } from 'node:crypto';

import type { ArmResponse, HandlerContext } from '../../context';
import { ArmError, invalidResourceReference } from '../../errors';
import { type Json, resourceId, type ResourceRecord } from '../../state';
import { checkNetworkName, etag, location, parseId, tags } from '../common';
import { ensureGroupWritable, props, startPut } from '../lifecycle';

export const VNET = 'Microsoft.Network/virtualNetworks';
export const SUBNET = 'Microsoft.Network/virtualNetworks/subnets';
export const NSG = 'Microsoft.Network/networkSecurityGroups';
export const PIP = 'Microsoft.Network/publicIPAddresses';
export const NIC = 'Microsoft.Network/networkInterfaces';
export const VM = 'Microsoft.Compute/virtualMachines';

export function newRecord(
  ctx: HandlerContext,
  type: string,
  name: string,
  loc: string,
  body: Json,
): ResourceRecord {
  return {
    subscriptionId: ctx.subscriptionId,
    resourceGroup: ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup)!.name,
    type,
    name,
    location: loc,
    body,
    internal: {},
  };
}

export function checkNotBusy(r: ResourceRecord, id: string): void {
  if (r.busy) {
    throw new ArmError(
      409,
      'AnotherOperationInProgress',
      `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${id}.`,
    );
  }
}

/** What a resource type adds to the envelope of its PUT. */
export interface NetworkPut {
  type: string;
  /** Name length limits when they differ from the network default (1–80). */
  nameLimits?: { min: number; max: number };
  /**
   * Validates the request body (after the envelope's own checks) and returns the type's properties,
   * which follow provisioningState and resourceGuid, and any top-level members it adds after tags.
   */
  build(id: string, loc: string): { properties: Json; topLevel?: Json };
  /** Runs on the stored record before the operation starts (e.g. schedule a public IP's address). */
  stored?(record: ResourceRecord): void;
  present: (r: ResourceRecord) => Json;
}

/** A network resource's create/update: the checks and shape all of them share around `spec`. */
export function putNetworkResource(
  ctx: HandlerContext,
  name: string,
  existing: ResourceRecord | undefined,
  spec: NetworkPut,
): ArmResponse {
  checkNetworkName(name, spec.nameLimits);
  ensureGroupWritable(ctx);
  const id = resourceId(ctx.subscriptionId, existing?.resourceGroup ?? ctx.resourceGroup, spec.type, name);
  if (existing) checkNotBusy(existing, id);
  const loc = location(ctx.body, spec.type);
  const own = spec.build(id, loc);
  const record = existing ?? newRecord(ctx, spec.type, name, loc, {});
  record.body = {
    id,
    name,
    type: spec.type,
    location: loc,
    ...(tags(ctx.body) ? { tags: tags(ctx.body) } : {}),
    ...own.topLevel,
    etag: etag(),
    properties: {
      provisioningState: 'Updating',
      resourceGuid: (existing && props(existing).resourceGuid) ?? randomUUID(),
      ...own.properties,
    },
  };
  spec.stored?.(record);
  return startPut(ctx, {
    provider: 'Microsoft.Network',
    record,
    created: !existing,
    runningState: 'Updating',
    present: spec.present,
  });
}

/** A reference must point at an existing resource in Succeeded state. */
export function resolveRef(
  ctx: HandlerContext,
  refIdText: string,
  referencedBy: string,
  wantType: string,
): ResourceRecord {
  const p = parseId(refIdText);
  const notFound = () =>
    invalidResourceReference(
      `Resource ${refIdText} referenced by resource ${referencedBy} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    );
  if (!p || p.type.toLowerCase() !== wantType.toLowerCase()) throw notFound();
  const r = ctx.world.state.find(p.subscriptionId, p.resourceGroup, p.type, p.name);
  if (!r || r.busy === 'delete') throw notFound();
  if (props(r).provisioningState !== 'Succeeded') {
    throw new ArmError(
      400,
      'ReferencedResourceNotProvisioned',
      `Cannot proceed with operation because resource ${ctx.world.state.idOf(r)} used by resource ${referencedBy} is not in Succeeded state. Resource is in ${String(props(r).provisioningState)} state and the last operation that updated/is updating the resource is Put${r.type.split('/')[1]}Operation.`,
    );
  }
  return r;
}

/** Every NIC IP configuration in the world, with its NIC. */
export function allIpConfigs(ctx: HandlerContext): Array<{ nic: ResourceRecord; ipc: Json; id: string }> {
  return ctx.world.state
    .ofType(NIC)
    .flatMap((nic) =>
      ((props(nic).ipConfigurations as Json[]) ?? []).map((ipc) => ({ nic, ipc, id: String(ipc.id) })),
    );
}

export const ipcSubnetId = (ipc: Json) =>
  ((ipc.properties as Json).subnet as Json | undefined)?.id as string | undefined;
export const ipcPublicIpId = (ipc: Json) =>
  ((ipc.properties as Json).publicIPAddress as Json | undefined)?.id as string | undefined;
