// ARM long-running operations as resumable state: `begin*` sends the request and returns the SDK
// poller's serialized state (no waiting); `pollOnce` restores the poller from that state, sends one
// poll, and reports done / not yet (with ARM's Retry-After) / failed. The orchestrator keeps the state
// in its history and waits with durable timers between polls, so no activity blocks for minutes.
// Two SDK generations are in play: arm-network/arm-resources (core-lro 2: beginX + resumeFrom) and
// arm-compute (core-lro 3: PollerLike + restorePoller).
import type { OperationState, PollerLike } from '@azure/core-lro';

import { armClients } from '../arm/clients';
import type { ArmErrorInfo } from '../vms/record';
import { armErrorInfo, isTransientArmError, TransientArmError } from './arm-errors';

export type LroKind =
  | 'resourceGroup'
  | 'virtualNetwork'
  | 'networkSecurityGroup'
  | 'publicIp'
  | 'networkInterface'
  | 'virtualMachine'
  | 'start'
  | 'powerOff'
  | 'restart'
  | 'deallocate'
  | 'deleteResourceGroup';

/** What an activity hands back to the orchestrator (JSON). */
/** The resource an operation works on (core-lro 2 rebuilds the final GET's path from it). */
export interface LroTarget {
  resourceGroup: string;
  name: string;
}

export type LroStatus =
  | {
      status: 'running';
      kind: LroKind;
      target: LroTarget;
      state: string;
      retryAfterMs: number;
      /** When to poll next (epoch ms): Retry-After counted from the response that carried it (absent
       * in histories recorded before it existed). */
      retryAt?: number;
    }
  | { status: 'succeeded'; kind: LroKind }
  | { status: 'failed'; kind: LroKind; error: ArmErrorInfo };

export const DEFAULT_POLL_MS = 2000;

interface RetryAfterCapture {
  onResponse: (r: { headers: { get(name: string): string | undefined } }) => void;
  ms(): number;
  /** Epoch ms to poll again: the wait counts from the response, not from when the orchestrator runs. */
  at(): number;
}

/** Remembers the last Retry-After ARM sent (seconds or an HTTP date) and when it arrived. */
function retryAfterCapture(): RetryAfterCapture {
  let ms: number | undefined;
  let receivedAt: number | undefined;
  const wait = () => (ms === undefined || !Number.isFinite(ms) ? DEFAULT_POLL_MS : Math.min(ms, 60_000));
  return {
    onResponse(r) {
      const v = r.headers.get('retry-after');
      if (v === undefined || v === '') return;
      const secs = Number(v);
      receivedAt = Date.now();
      ms = Number.isFinite(secs) ? secs * 1000 : Math.max(0, Date.parse(v) - receivedAt);
    },
    ms: wait,
    at: () => (receivedAt ?? Date.now()) + wait(),
  };
}

function running(kind: LroKind, target: LroTarget, state: string, retry: RetryAfterCapture): LroStatus {
  return { status: 'running', kind, target, state, retryAfterMs: retry.ms(), retryAt: retry.at() };
}

/** Runs an ARM call: transient failures become TransientArmError (retried by the orchestrator). */
export async function armCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isTransientArmError(e)) {
      const info = armErrorInfo(e);
      throw new TransientArmError(info.code, info.message);
    }
    throw e;
  }
}

/** Failed LRO or permanent ARM error → a failed status; transient → thrown. */
function failure(kind: LroKind, e: unknown): LroStatus {
  if (isTransientArmError(e)) {
    const info = armErrorInfo(e);
    throw new TransientArmError(info.code, info.message);
  }
  return { status: 'failed', kind, error: armErrorInfo(e) };
}

// core-lro 2 pollers (network, resources).
interface V2Poller {
  isDone(): boolean;
  toString(): string;
  getOperationState(): { status: string; error?: Error };
}

// A PollerLike is a thenable: never return it from an async function (that would await it to the end).
interface V3Box {
  poller: PollerLike<OperationState<unknown>, unknown>;
}

type ResumeV2 = (state: string, onResponse: RetryAfterCapture['onResponse']) => Promise<V2Poller>;
type ResumeV3 = (state: string, onResponse: RetryAfterCapture['onResponse']) => Promise<V3Box>;

async function resumeFor(kind: LroKind, t: LroTarget): Promise<{ v2?: ResumeV2; v3?: ResumeV3 }> {
  const { network, resources, compute } = await armClients();
  const none = {} as never;
  const v2 = (
    f: (o: { resumeFrom: string; onResponse: RetryAfterCapture['onResponse'] }) => Promise<V2Poller>,
  ) => ({
    v2: (state: string, onResponse: RetryAfterCapture['onResponse']) => f({ resumeFrom: state, onResponse }),
  });
  switch (kind) {
    case 'virtualNetwork':
      return v2((o) => network.virtualNetworks.beginCreateOrUpdate(t.resourceGroup, t.name, none, o));
    case 'networkSecurityGroup':
      return v2((o) => network.networkSecurityGroups.beginCreateOrUpdate(t.resourceGroup, t.name, none, o));
    case 'publicIp':
      return v2((o) => network.publicIPAddresses.beginCreateOrUpdate(t.resourceGroup, t.name, none, o));
    case 'networkInterface':
      return v2((o) => network.networkInterfaces.beginCreateOrUpdate(t.resourceGroup, t.name, none, o));
    case 'deleteResourceGroup':
      return v2((o) => resources.resourceGroups.beginDelete(t.resourceGroup, o));
    case 'resourceGroup':
      throw new Error('creating a resource group is not a long-running operation');
    default: {
      const { restorePoller } = await import('@azure/arm-compute');
      const vms = compute.virtualMachines;
      const source = {
        virtualMachine: vms.createOrUpdate,
        start: vms.start,
        powerOff: vms.powerOff,
        restart: vms.restart,
        deallocate: vms.deallocate,
      }[kind];
      return {
        v3: (state, onResponse) =>
          Promise.resolve({
            poller: restorePoller<never, unknown>(compute, state, source as never, { onResponse }),
          }),
      };
    }
  }
}

function fromV2(kind: LroKind, target: LroTarget, p: V2Poller, retry: RetryAfterCapture): LroStatus {
  const s = p.getOperationState();
  if (s.status === 'failed' || s.status === 'canceled') return failure(kind, s.error ?? new Error(s.status));
  if (p.isDone()) return { status: 'succeeded', kind };
  return running(kind, target, p.toString(), retry);
}

async function fromV3(
  kind: LroKind,
  target: LroTarget,
  box: V3Box,
  retry: RetryAfterCapture,
): Promise<LroStatus> {
  const s = box.poller.operationState;
  if (s?.status === 'failed' || s?.status === 'canceled')
    return failure(kind, s.error ?? new Error(s.status));
  if (box.poller.isDone) return { status: 'succeeded', kind };
  return running(kind, target, await box.poller.serialize(), retry);
}

/** Starts a core-lro 2 operation (the SDK sends the request and one immediate poll). */
export async function beginV2(
  kind: LroKind,
  target: LroTarget,
  start: (o: { onResponse: RetryAfterCapture['onResponse'] }) => Promise<V2Poller>,
): Promise<LroStatus> {
  const retry = retryAfterCapture();
  try {
    return fromV2(kind, target, await start({ onResponse: retry.onResponse }), retry);
  } catch (e) {
    return failure(kind, e);
  }
}

/** Starts a core-lro 3 operation (only the initial request is sent). */
export async function beginV3(
  kind: LroKind,
  target: LroTarget,
  start: (o: { onResponse: RetryAfterCapture['onResponse'] }) => V3Box['poller'],
): Promise<LroStatus> {
  const retry = retryAfterCapture();
  try {
    const box: V3Box = { poller: start({ onResponse: retry.onResponse }) };
    box.poller.catch(() => undefined); // the thenable's rejection is read through operationState
    await box.poller.submitted();
    return await fromV3(kind, target, box, retry);
  } catch (e) {
    return failure(kind, e);
  }
}

/** One poll of a running operation. */
export async function pollOnce(kind: LroKind, target: LroTarget, state: string): Promise<LroStatus> {
  const retry = retryAfterCapture();
  const resume = await resumeFor(kind, target);
  try {
    if (resume.v2) return fromV2(kind, target, await resume.v2(state, retry.onResponse), retry);
    const box = await resume.v3!(state, retry.onResponse);
    box.poller.catch(() => undefined);
    await box.poller.poll();
    return await fromV3(kind, target, box, retry);
  } catch (e) {
    return failure(kind, e);
  }
}
