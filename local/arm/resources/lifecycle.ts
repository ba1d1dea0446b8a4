// The create/update and delete flows that every resource type shares: store the new state at once
// (provisioningState Updating/Creating), answer 200/201 or 202 with the LRO headers, and apply the end
// state when the operation completes, unless the resource was deleted meanwhile.
import type { ArmResponse, HandlerContext } from '../context';
import { anotherOperationInProgress, type ArmErrorBody, conflict } from '../errors';
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
  /** Runs when the operation completes; may return an error body to fail it. */
  onComplete?: (r: ResourceRecord) => ArmErrorBody | void | Promise<ArmErrorBody | void>;
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
    complete: async () => {
      if (state.get(state.idOf(r)) !== r) return; // deleted meanwhile
      r.busy = undefined;
      const error = await f.onComplete?.(r);
      props(r).provisioningState = error ? 'Failed' : 'Succeeded';
      return error;
    },
  });
  return {
    status: f.created ? 201 : 200,
    body: f.present(r),
    headers: ops.headers(ctx.world.endpoint(), op, 'put'),
  };
}

export function startDelete(
  ctx: HandlerContext,
  provider: Provider,
  r: ResourceRecord,
  onComplete?: (r: ResourceRecord) => void | Promise<void>,
): ArmResponse {
  const { state, ops } = ctx.world;
  props(r).provisioningState = 'Deleting';
  r.busy = 'delete';
  const op = ops.start({
    provider,
    subscriptionId: r.subscriptionId,
    location: r.location,
    complete: async () => {
      if (state.get(state.idOf(r)) !== r) return;
      await onComplete?.(r);
      state.delete(state.idOf(r));
    },
  });
  return { status: 202, headers: ops.headers(ctx.world.endpoint(), op, 'delete') };
}

export function ensureNotBusy(r: ResourceRecord, id: string): void {
  if (r.busy === 'delete' || r.busy) throw anotherOperationInProgress(id);
}
