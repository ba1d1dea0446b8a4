// The create/update and delete flows that every resource type shares: store the new state at once
// (provisioningState Updating/Creating), answer 200/201 or 202 with the LRO headers, and apply the end
// state when the operation completes, unless the resource was deleted meanwhile.
import type { ArmResponse, HandlerContext, World } from '../context';
import { type ArmErrorBody, conflict } from '../errors';
import type { Provider } from '../lro';
import type { Json, ResourceRecord } from '../state';

export function props(r: ResourceRecord): Json {
  return r.body.properties as Json;
}

export function ensureGroupWritable(ctx: HandlerContext): void {
  const g = ctx.world.state.group(ctx.subscriptionId, ctx.resourceGroup);
  if (g?.provisioningState === 'Deleting') {
    throw conflict(
      'ResourceGroupBeingDeleted',
      `The resource group '${g.name}' is in deprovisioning state and cannot perform this operation.`,
    );
  }
}

export interface PutFlow {
  provider: Provider;
  record: ResourceRecord;
  created: boolean;
  /** VM specifics applied when the operation completes (boot the guest, or fail with this error). */
  vm?: { boot: boolean; failure?: ArmErrorBody };
  /** provisioningState while the operation runs (network: Updating; compute: Creating/Updating). */
  runningState: string;
  present: (r: ResourceRecord) => Json;
  durationMs?: number;
}

export function startPut(ctx: HandlerContext, f: PutFlow): ArmResponse {
  const { state, ops } = ctx.world;
  const r = f.record;
  props(r).provisioningState = f.runningState;
  r.busy = f.created ? 'create' : 'update';
  state.put(r);
  const op = ops.start({
    provider: f.provider,
    subscriptionId: r.subscriptionId,
    location: r.location,
    durationMs: f.durationMs,
    task: { kind: 'put', id: state.idOf(r), ...(f.vm ? { vm: f.vm } : {}) },
  });
  r.op = op.id;
  return {
    status: f.created ? 201 : 200,
    body: f.present(r),
    headers: ops.headers(ctx.world.endpoint(), op, 'put'),
  };
}

/** The resource an operation works on, unless it was deleted (or replaced) meanwhile. */
export function operationTarget(world: World, id: string, opId: string): ResourceRecord | undefined {
  const r = world.state.get(id);
  return r?.op === opId ? r : undefined;
}

export async function completePut(
  world: World,
  id: string,
  opId: string,
  onComplete?: (r: ResourceRecord) => Promise<ArmErrorBody | void>,
): Promise<ArmErrorBody | void> {
  const r = operationTarget(world, id, opId);
  if (!r) return;
  r.busy = undefined;
  r.op = undefined;
  const error = await onComplete?.(r);
  props(r).provisioningState = error ? 'Failed' : 'Succeeded';
  return error;
}

export function startDelete(ctx: HandlerContext, provider: Provider, r: ResourceRecord): ArmResponse {
  const { state, ops } = ctx.world;
  props(r).provisioningState = 'Deleting';
  r.busy = 'delete';
  const op = ops.start({
    provider,
    subscriptionId: r.subscriptionId,
    location: r.location,
    task: { kind: 'delete', id: state.idOf(r) },
  });
  r.op = op.id;
  return { status: 202, headers: ops.headers(ctx.world.endpoint(), op, 'delete') };
}

export function completeDelete(world: World, id: string, opId: string): void {
  if (operationTarget(world, id, opId)) world.state.delete(id);
}
