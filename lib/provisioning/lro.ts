// ARM long-running operations as resumable state: `begin*` sends the request through the SDK and
// returns its poller's serialized state (no waiting); `pollOnce` sends one GET of the operation URL that
// state names and reports done / not yet (with ARM's Retry-After) / failed. The orchestrator keeps the
// state in its history and waits with durable timers between polls, so no activity blocks for minutes.
// Two SDK generations start operations: arm-network/arm-resources (core-lro 2) and arm-compute
// (core-lro 3); both serialize the same `{ state: { config: { metadata.mode, operationLocation } } }`.
import type { OperationState, PollerLike } from '@azure/core-lro';
import { createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

import { BEGIN_WITHOUT_POLL_HEADER } from '../arm/clients';
import type { Services } from '../services';
import type { VmAction } from '../vms/operations';
import type { ArmErrorInfo } from '../vms/record';
import { armErrorInfo, isTransientArmError, TransientArmError } from './arm-errors';

export type LroKind =
  | 'resourceGroup'
  | 'virtualNetwork'
  | 'networkSecurityGroup'
  | 'publicIp'
  | 'networkInterface'
  | 'virtualMachine'
  | VmAction
  | 'deleteResourceGroup';

/** The resource an operation works on (core-lro 2 rebuilds the final GET's path from it). */
export interface LroTarget {
  resourceGroup: string;
  name: string;
}

/** What an activity hands back to the orchestrator (JSON). */
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

interface BeginOptions {
  onResponse: RetryAfterCapture['onResponse'];
  requestOptions: { customHeaders: Record<string, string> };
}

/**
 * Starts a core-lro 2 operation: the SDK sends the request, then polls once at once; that poll is
 * answered "InProgress" without asking ARM (see BEGIN_WITHOUT_POLL_HEADER), and the orchestrator polls
 * when ARM's Retry-After says.
 */
export async function beginV2(
  kind: LroKind,
  target: LroTarget,
  start: (o: BeginOptions) => Promise<V2Poller>,
): Promise<LroStatus> {
  const retry = retryAfterCapture();
  const requestOptions = { customHeaders: { [BEGIN_WITHOUT_POLL_HEADER]: '1' } };
  try {
    return fromV2(kind, target, await start({ onResponse: retry.onResponse, requestOptions }), retry);
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
    // Never `then`/`catch` the poller: that starts its poll loop, which would go on polling ARM (and
    // then GET the resource) in the background after the activity returned. A failed initial request
    // rejects submitted().
    const box: V3Box = { poller: start({ onResponse: retry.onResponse }) };
    await box.poller.submitted();
    return await fromV3(kind, target, box, retry);
  } catch (e) {
    return failure(kind, e);
  }
}

/** What a begin serialized: where ARM reports the operation's progress, and how. */
interface PollConfig {
  mode?: string;
  operationLocation?: string;
}

function pollConfig(state: string): PollConfig {
  const parsed = JSON.parse(state) as {
    state?: { config?: { metadata?: { mode?: string }; operationLocation?: string } };
  };
  const config = parsed.state?.config;
  return { mode: config?.metadata?.mode, operationLocation: config?.operationLocation };
}

interface ArmOperationBody {
  status?: string;
  error?: { code?: string; message?: string };
}

/**
 * One poll of a running operation: one GET of the URL ARM gave for it (Azure-AsyncOperation, or
 * Location for a resource group's delete), through the SDK client's pipeline (credential, ARM's
 * retry and throttling policies). The poller state the SDK serialized at the start names that URL;
 * restoring the SDK poller instead would send the same poll plus, once done, a GET of the whole
 * resource, which nothing here reads.
 */
export async function pollOnce(
  services: Services,
  kind: LroKind,
  target: LroTarget,
  state: string,
): Promise<LroStatus> {
  const { mode, operationLocation } = pollConfig(state);
  if (!operationLocation) throw new Error(`no operation URL in the saved state of ${kind} ${target.name}`);
  const { network } = await services.arm();
  const retry = retryAfterCapture();
  let res: PipelineResponse;
  try {
    res = await network.sendRequest(createPipelineRequest({ url: operationLocation, method: 'GET' }));
  } catch (e) {
    return failure(kind, e);
  }
  retry.onResponse(res);
  let body: ArmOperationBody = {};
  try {
    body = res.bodyAsText ? (JSON.parse(res.bodyAsText) as ArmOperationBody) : {};
  } catch {
    /* a status without a JSON body (Location polling) */
  }
  const err = (fallback: string) => ({
    statusCode: res.status,
    code: body.error?.code ?? fallback,
    message: body.error?.message ?? `ARM answered ${res.status} to the poll of ${kind} ${target.name}`,
  });
  if (res.status >= 400) return failure(kind, err(`HttpStatus${res.status}`));
  if (mode === 'ResourceLocation' || mode === 'Location') {
    // Location polling: 202 while running, 200/204 once done.
    return res.status === 202 ? running(kind, target, state, retry) : { status: 'succeeded', kind };
  }
  switch ((body.status ?? '').toLowerCase()) {
    case 'succeeded':
      return { status: 'succeeded', kind };
    case 'failed':
    case 'canceled':
    case 'cancelled':
      return failure(kind, { ...err(body.status!), statusCode: undefined });
    default:
      return running(kind, target, state, retry);
  }
}
