// VM orchestrations (provision, delete, power) and their activities. Orchestrators only yield: every
// side effect is a short activity, time comes from currentUtcDateTime, and long ARM operations are
// monitored with durable timers between one-poll activities (the monitor pattern), waiting what ARM's
// Retry-After asks. Transient ARM failures throw in the activity and are retried by RetryOptions;
// permanent ones come back as values, fail the VM and remove what was created.
import type { InvocationContext } from '@azure/functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import * as df from 'durable-functions';

import { renderCloudInit } from '../lib/agent/cloud-init';
import { deleteIngestToken, dropIssuedToken, issueIngestToken } from '../lib/ingest-token';
import { deleteJournal } from '../lib/journal/forget';
import { getConfig } from '../lib/legacy-services';
import { armErrorInfo } from '../lib/provisioning/arm-errors';
import { type LroKind, type LroStatus, type LroTarget, pollOnce } from '../lib/provisioning/lro';
import * as arm from '../lib/provisioning/steps';
import { forgetLiveVm } from '../lib/vms/exists';
import { applyProgress, type ProgressEvent, type ProgressUpdate } from '../lib/vms/progress';
import type { ArmErrorInfo, Provisioning, ProvisioningStep, VmSpec } from '../lib/vms/record';
import { type PowerCommand, TRANSITIONS, type VmCommandKind, type VmStatus } from '../lib/vms/status';
import { services } from './services';

export const ORCH_PROVISION = 'vmProvision';
export const ORCH_DELETE = 'vmDelete';
export const ORCH_POWER = 'vmPower';

export const ACT_PROGRESS = 'vmRecordProgress';
export const ACT_BEGIN = 'vmArmBegin';
export const ACT_POLL = 'vmArmPoll';
export const ACT_ADDRESSES = 'vmArmAddresses';
export const ACT_READ_ADDRESSES = 'vmArmReadAddresses';
export const ACT_FORGET_TOKEN = 'vmForgetIngestToken';
export const ACT_FORGET_JOURNAL = 'vmForgetJournal';

/** The orchestration input (from the queued command and the record it was accepted on). */
export interface VmOrchestrationInput {
  kind: VmCommandKind;
  seq: number;
  requestId: string;
  spec: VmSpec;
}

export const orchestratorFor = (kind: VmCommandKind): string =>
  kind === 'create' ? ORCH_PROVISION : kind === 'delete' ? ORCH_DELETE : ORCH_POWER;

type BeginStep = LroKind;

interface BeginInput {
  /** Operations started together (each is one ARM request; a transient failure retries them all). */
  steps: BeginStep[];
  spec: VmSpec;
  /** Create the resource group first (ARM creates it at once; the steps go into it). */
  inNewGroup?: true;
  /** A record write that rides along (see withProgress); not made if the group could not be created. */
  progress?: ProgressUpdate;
}

/** What an ARM activity that carried a record write returns: `recorded: false` if the write failed. */
type WithRecord<T> = T & { recorded?: false };

/** The begin activity's result: one status per step (none if the resource group failed). */
type Begun = WithRecord<{ operations: LroStatus[]; group?: LroStatus }>;

// Transient ARM errors are mostly retried inside the SDK already (honouring Retry-After); these
// attempts cover what outlasts that: a throttled subscription, a regional hiccup, a restarting host.
const armRetry = new df.RetryOptions(2000, 6);
armRetry.backoffCoefficient = 2;
armRetry.maxRetryIntervalInMilliseconds = 60_000;
const storageRetry = new df.RetryOptions(1000, 8);
storageRetry.backoffCoefficient = 2;
storageRetry.maxRetryIntervalInMilliseconds = 30_000;

/** Give up on an operation that ARM has not finished after this long (then the VM is failed). */
const OPERATION_DEADLINE_MS = 45 * 60_000;
/** Poll for the public IP at least this often (ARM gives no Retry-After for a GET). */
const ADDRESS_POLL_MS = 1000;

const POWER_ARM_OPERATION: Record<PowerCommand, 'start' | 'powerOff' | 'restart' | 'deallocate'> = {
  start: 'start',
  stop: 'powerOff',
  restart: 'restart',
  deallocate: 'deallocate',
};

/** A permanent failure: the error goes into the record. */
class OperationFailed extends Error {
  override name = 'OperationFailed';
  constructor(readonly info: ArmErrorInfo) {
    super(`${info.code}: ${info.message}`);
  }
}

/** Steps and custom status, timed with the orchestration clock (deterministic across replays). */
class Progress {
  readonly steps: ProvisioningStep[] = [];
  step: string | null = null;
  error: ArmErrorInfo | undefined;
  private pendingEvents: ProgressEvent[] = [];

  constructor(
    private readonly context: OrchestrationContext,
    private readonly input: VmOrchestrationInput,
  ) {}

  private now(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  get provisioning(): Provisioning {
    return {
      step: this.step,
      steps: this.steps.map((s) => ({ ...s })),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  start(...names: string[]): void {
    for (const name of names) this.steps.push({ name, status: 'running', startedAt: this.now() });
    this.step = names.join('+');
    this.publish();
  }

  end(name: string, status: 'succeeded' | 'failed'): void {
    const s = this.steps.find((x) => x.name === name && x.status === 'running');
    if (!s) return;
    s.status = status;
    s.endedAt = this.now();
    if (status === 'succeeded') this.event('stepCompleted', `step/${name}`, { ...s });
    this.publish();
  }

  event(kind: ProgressEvent['kind'], key: string, data?: unknown): void {
    this.pendingEvents.push({ kind, key, ...(data !== undefined ? { data } : {}) });
  }

  publish(): void {
    this.context.df.setCustomStatus({
      operation: this.input.kind,
      seq: this.input.seq,
      ...this.provisioning,
    });
  }

  /** The record's progress and the events queued since the last write, as a record write. */
  take(extra: Partial<Pick<ProgressUpdate, 'status' | 'publicIp' | 'privateIp'>> = {}): ProgressUpdate {
    const events = this.pendingEvents;
    this.pendingEvents = [];
    return {
      name: this.input.spec.name,
      seq: this.input.seq,
      instanceId: this.context.df.instanceId,
      at: this.now(),
      provisioning: this.provisioning,
      events,
      ...extra,
    };
  }

  /**
   * After an ARM activity that carried `update`: if its record write failed, its events go out with the
   * next write (each write carries the whole progress, so nothing else is lost).
   */
  settleWrite(update: ProgressUpdate, result: { recorded?: false }): void {
    if (result.recorded === false) this.pendingEvents = [...(update.events ?? []), ...this.pendingEvents];
  }

  /** The write that `change` would lead to, without making the change (for an activity to apply later). */
  preview(
    change: () => void,
    extra: Partial<Pick<ProgressUpdate, 'status' | 'publicIp' | 'privateIp'>> = {},
  ): ProgressUpdate {
    const saved = { steps: this.steps.map((s) => ({ ...s })), step: this.step, events: this.pendingEvents };
    this.pendingEvents = [...saved.events];
    change();
    const update = this.take(extra);
    this.steps.splice(0, this.steps.length, ...saved.steps);
    this.step = saved.step;
    this.pendingEvents = saved.events;
    return update;
  }

  /** Takes on the progress an activity wrote from a preview (its events went out with it). */
  adopt(written: ProgressUpdate): void {
    const p = written.provisioning!;
    this.steps.splice(0, this.steps.length, ...p.steps.map((s) => ({ ...s })));
    this.step = p.step;
    this.pendingEvents = [];
    this.publish();
  }

  /** An activity that writes the record's progress (and any events queued since the last write). */
  record(extra: Partial<Pick<ProgressUpdate, 'status' | 'publicIp' | 'privateIp'>> = {}): Task {
    return this.context.df.callActivityWithRetry(ACT_PROGRESS, storageRetry, this.take(extra));
  }
}

function deadline(context: OrchestrationContext): number {
  return context.df.currentUtcDateTime.getTime() + OPERATION_DEADLINE_MS;
}

const begin = (
  context: OrchestrationContext,
  steps: BeginStep[],
  spec: VmSpec,
  progress?: ProgressUpdate,
  inNewGroup?: true,
): Task =>
  context.df.callActivityWithRetry(ACT_BEGIN, armRetry, {
    steps,
    spec,
    ...(progress ? { progress } : {}),
    ...(inNewGroup ? { inNewGroup } : {}),
  } satisfies BeginInput);

/** Starts `steps` with one activity that also records them as started; returns what it began. */
function* beginRecorded(
  context: OrchestrationContext,
  progress: Progress,
  steps: BeginStep[],
  spec: VmSpec,
): Generator<Task, Begun, unknown> {
  progress.start(...steps);
  const write = progress.take();
  const begun = (yield begin(context, steps, spec, write)) as Begun;
  progress.settleWrite(write, begun);
  return begun;
}

/** Runs `steps` to their end: begun and recorded, monitored, then ended (OperationFailed if one failed). */
function* runSteps(
  context: OrchestrationContext,
  progress: Progress,
  steps: BeginStep[],
  spec: VmSpec,
  until: number,
): Generator<Task, void, unknown> {
  const begun = yield* beginRecorded(context, progress, steps, spec);
  settle(progress, steps, (yield* awaitOperations(context, begun.operations, until)).operations);
}

interface OperationsEnded {
  operations: LroStatus[];
  /** When the poll that saw the operations succeed also read the addresses: its input and result. */
  addresses?: { input: AddressesInput; result: AddressesResult };
}

/** Monitor: waits (durable timer, ARM's Retry-After) and polls until every operation has ended. */
function* awaitOperations(
  context: OrchestrationContext,
  first: LroStatus[],
  until: number,
  /** Addresses to read (and writes to make) in the poll round that sees every operation succeed. */
  addressesWhenDone?: () => AddressesInput,
): Generator<Task, OperationsEnded, unknown> {
  const current = [...first];
  for (;;) {
    const running = current.flatMap((s, i) => (s.status === 'running' ? [{ s, i }] : []));
    if (running.length === 0) return { operations: current };
    const now = context.df.currentUtcDateTime.getTime();
    if (now >= until) {
      throw new OperationFailed({
        code: 'OperationTimedOut',
        message: 'ARM did not finish the operation in time.',
      });
    }
    // Retry-After counts from ARM's response (retryAt), not from this replay's later clock. The step
    // waits for all its operations: poll when the last of them said to (one round, not one per answer).
    const next = Math.max(
      ...running.map(({ s }) => (s.status === 'running' ? (s.retryAt ?? now + s.retryAfterMs) : now)),
    );
    if (next > now) yield context.df.createTimer(new Date(Math.min(next, until)));
    // One activity polls every running operation of the step (one episode for their results).
    const addresses = addressesWhenDone?.();
    const polled = (yield context.df.callActivityWithRetry(ACT_POLL, armRetry, {
      operations: running.map(({ s }) =>
        s.status === 'running' ? { kind: s.kind, target: s.target, state: s.state } : undefined,
      ),
      ...(addresses ? { addresses } : {}),
    } satisfies PollInput)) as Polled;
    running.forEach(({ i }, k) => (current[i] = polled.operations[k]!));
    if (addresses && polled.addresses)
      return { operations: current, addresses: { input: addresses, result: polled.addresses } };
  }
}

/** Ends each step with its operation's outcome; throws OperationFailed for the first failure. */
function settle(progress: Progress, names: string[], results: LroStatus[]): void {
  let failed: ArmErrorInfo | undefined;
  results.forEach((r, k) => {
    progress.end(names[k]!, r.status === 'succeeded' ? 'succeeded' : 'failed');
    if (r.status === 'failed' && !failed) failed = { ...r.error, step: names[k]! };
  });
  if (failed) throw new OperationFailed(failed);
}

/** Turns anything an orchestrator catches into the error recorded on the VM. */
function failureInfo(e: unknown, progress: Progress): ArmErrorInfo {
  if (e instanceof OperationFailed) return e.info;
  const info = armErrorInfo(e);
  return {
    code: 'OperationFailed',
    message: info.message,
    ...(progress.step ? { step: progress.step } : {}),
  };
}

/** Deletes the VM's resource group and waits until ARM has removed it. */
function* deleteGroup(
  context: OrchestrationContext,
  spec: VmSpec,
  until: number,
): Generator<Task, LroStatus, unknown> {
  const begun = (yield begin(context, ['deleteResourceGroup'], spec)) as Begun;
  const [done] = (yield* awaitOperations(context, begun.operations, until)).operations;
  return done!;
}

export const provisionVm: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<VmOrchestrationInput>();
  const { spec } = input;
  const progress = new Progress(context, input);
  const until = deadline(context);
  try {
    // Each step's record write rides along with the step's ARM activity (one activity and one episode
    // per step instead of two: under a burst of creates, episodes are what the runtime spends its time on).
    // The resource group is created at once (no LRO), so the activity that begins the network creates
    // it first: the write it carries (group done, network started) is made only if the group was created.
    progress.start('resourceGroup');
    progress.event('provisioning', 'provisioning');
    const network: BeginStep[] = ['virtualNetwork', 'networkSecurityGroup', 'publicIp'];
    const netWrite = progress.preview(
      () => {
        progress.end('resourceGroup', 'succeeded');
        progress.start(...network); // in parallel: they do not depend on each other
      },
      { status: 'provisioning' },
    );
    const started = (yield begin(context, network, spec, netWrite, true)) as Begun;
    if (started.group?.status === 'failed') settle(progress, ['resourceGroup'], [started.group]);
    progress.adopt(netWrite);
    progress.settleWrite(netWrite, started);
    settle(progress, network, (yield* awaitOperations(context, started.operations, until)).operations);

    yield* runSteps(context, progress, ['networkInterface'], spec, until);

    // The VM, then its addresses. A Standard static address is allocated with the IP resource, but may
    // show up a little later. Usually both are there at the first read, made by the poll that sees the
    // VM done (or by an activity of its own when the begin found it done): that activity then records
    // the VM step, the addresses and `running` (`finish`); otherwise it records the address step as
    // started (`progress`) and the addresses are polled.
    const vm = yield* beginRecorded(context, progress, ['virtualMachine'], spec);
    const finished = (ip?: arm.Addresses) => {
      progress.end('publicIpAddress', 'succeeded');
      progress.step = null;
      progress.event('ipAssigned', 'ip', ip); // the activity fills in the addresses it read
      progress.event('running', 'running');
    };
    // The writes of an addresses read made after `change`: address step started, or `running`.
    const addressesAfter = (change: () => void): AddressesInput => ({
      spec,
      progress: progress.preview(change),
      finish: progress.preview(() => (change(), finished()), { status: 'running' }),
    });
    const startAddresses = () => progress.start('publicIpAddress');
    const vmAwaited = yield* awaitOperations(context, vm.operations, until, () =>
      addressesAfter(() => (progress.end('virtualMachine', 'succeeded'), startAddresses())),
    );
    let read = vmAwaited.addresses;
    if (!read) {
      settle(progress, ['virtualMachine'], vmAwaited.operations);
      const input = addressesAfter(startAddresses);
      read = {
        input,
        result: (yield context.df.callActivityWithRetry(ACT_ADDRESSES, armRetry, input)) as AddressesResult,
      };
    }
    progress.adopt(read.result.finished ? read.input.finish : read.input.progress);
    if (read.result.finished) return { status: 'running' };
    let addresses: arm.Addresses = read.result;
    while (!addresses.publicIp || !addresses.privateIp) {
      const now = context.df.currentUtcDateTime.getTime();
      if (now >= until)
        throw new OperationFailed({
          code: 'OperationTimedOut',
          message: 'No public IP address was assigned in time.',
          step: 'publicIpAddress',
        });
      yield context.df.createTimer(new Date(now + ADDRESS_POLL_MS));
      addresses = (yield context.df.callActivityWithRetry(
        ACT_READ_ADDRESSES,
        armRetry,
        spec,
      )) as arm.Addresses;
    }
    finished({ publicIp: addresses.publicIp, privateIp: addresses.privateIp });
    progress.publish();
    yield progress.record({
      status: 'running',
      publicIp: addresses.publicIp,
      privateIp: addresses.privateIp,
    });
    return { status: 'running' };
  } catch (e) {
    return yield* failAndCleanUp(context, input, progress, failureInfo(e, progress));
  }
};

/** A failed delete or power operation: the error on the record, a `failed` event, status `failed`. */
function* recordFailure(progress: Progress, e: unknown): Generator<Task, { status: 'failed' }, unknown> {
  progress.error = failureInfo(e, progress);
  progress.event('failed', 'failed');
  progress.publish();
  yield progress.record({ status: 'failed' });
  return { status: 'failed' };
}

/** A failed create: record the error, delete everything created (the group), then mark `failed`. */
function* failAndCleanUp(
  context: OrchestrationContext,
  input: VmOrchestrationInput,
  progress: Progress,
  error: ArmErrorInfo,
): Generator<Task, { status: VmStatus }, unknown> {
  for (const s of progress.steps) if (s.status === 'running') progress.end(s.name, 'failed');
  progress.error = error;
  if (!context.df.isReplaying)
    context.warn(`VM ${input.spec.name}: ${error.code} at ${error.step ?? '?'}; cleaning up`);
  progress.start('cleanup');
  yield progress.record({ status: 'provisioning' }); // still `queued` if the resource group failed
  let cleaned: LroStatus;
  try {
    cleaned = yield* deleteGroup(context, input.spec, deadline(context));
  } catch (e) {
    cleaned = { status: 'failed', kind: 'deleteResourceGroup', error: armErrorInfo(e) };
  }
  // A failed VM ships nothing: its ingest token goes, even if the group could not be removed.
  try {
    yield context.df.callActivityWithRetry(ACT_FORGET_TOKEN, storageRetry, input.spec.name);
  } catch (e) {
    if (!context.df.isReplaying)
      context.warn(`VM ${input.spec.name}: removing its ingest token failed: ${(e as Error).message}`);
  }
  progress.end('cleanup', cleaned.status === 'succeeded' ? 'succeeded' : 'failed');
  if (cleaned.status === 'failed') {
    progress.error = {
      ...error,
      message: `${error.message} (cleanup failed: ${cleaned.error.code}: ${cleaned.error.message})`,
    };
  }
  progress.step = null;
  progress.event('failed', 'failed');
  progress.publish();
  yield progress.record({ status: 'failed', publicIp: null, privateIp: null });
  return { status: 'failed' };
}

export const deleteVm: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<VmOrchestrationInput>();
  const progress = new Progress(context, input);
  try {
    progress.start('deleteResourceGroup');
    yield progress.record();
    const done = yield* deleteGroup(context, input.spec, deadline(context));
    settle(progress, ['deleteResourceGroup'], [done]);
    yield context.df.callActivityWithRetry(ACT_FORGET_TOKEN, storageRetry, input.spec.name);
    yield context.df.callActivityWithRetry(ACT_FORGET_JOURNAL, storageRetry, input.spec.name);
    progress.step = null;
    progress.event('deleted', 'deleted');
    progress.publish();
    yield progress.record({ status: 'deleted', publicIp: null, privateIp: null });
    return { status: 'deleted' };
  } catch (e) {
    return yield* recordFailure(progress, e);
  }
};

export const powerVm: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<VmOrchestrationInput>();
  const command = input.kind as PowerCommand;
  const op = POWER_ARM_OPERATION[command];
  const progress = new Progress(context, input);
  try {
    yield* runSteps(context, progress, [op], input.spec, deadline(context));
    const status = TRANSITIONS[command].done;
    progress.step = null;
    progress.event('powerChanged', 'power', { command, status });
    if (status === 'running') progress.event('running', 'running');
    progress.publish();
    yield progress.record({ status });
    return { status };
  } catch (e) {
    return yield* recordFailure(progress, e);
  }
};

// Activities: each is one short piece of I/O.

/**
 * Runs an ARM activity's work, then the record write it carries. ARM first: the next step waits for
 * the operation ARM runs, never for the record, so under a burst the request goes out before the
 * bookkeeping. A thrown ARM error retries the activity; a failed record write must not (it would send
 * the ARM requests again for nothing), so it only comes back as `recorded: false`.
 */
async function withProgress<T extends object>(
  work: Promise<T>,
  progress: ProgressUpdate | undefined,
  context: InvocationContext,
): Promise<WithRecord<T>> {
  const result = await work;
  if (!progress) return result;
  try {
    await applyProgress(progress);
    return result;
  } catch (e) {
    context.warn(`Recording the progress of ${progress.name} failed: ${(e as Error).message}`);
    return { ...result, recorded: false };
  }
}

async function beginActivity(input: unknown, context: InvocationContext): Promise<Begun> {
  const { steps, spec, progress, inNewGroup } = input as BeginInput;
  if (inNewGroup) {
    const group = await createResourceGroup(spec);
    if (group.status === 'failed') return { operations: [], group }; // nothing begun, nothing recorded
  }
  const operations = Promise.all(steps.map((step) => beginOperation(step, spec, progress?.seq)));
  return withProgress(
    operations.then((o) => ({ operations: o })),
    progress,
    context,
  );
}

async function beginOperation(step: BeginStep, spec: VmSpec, seq: number | undefined): Promise<LroStatus> {
  switch (step) {
    case 'virtualNetwork':
      return arm.beginVirtualNetwork(spec);
    case 'networkSecurityGroup':
      return arm.beginNetworkSecurityGroup(spec);
    case 'publicIp':
      return arm.beginPublicIp(spec);
    case 'networkInterface':
      return arm.beginNetworkInterface(spec);
    case 'virtualMachine': {
      // One token per create operation (keyed by its seq): a retried begin, say after ARM accepted the
      // PUT but its answer was lost, sends byte-identical customData, which ARM cannot change.
      if (seq === undefined) throw new Error('the virtualMachine step is begun with its progress write');
      const token = await issueIngestToken(services, spec.name, seq);
      const base = getConfig().PUBLIC_BASE_URL.replace(/\/+$/, '');
      const cloudInit = renderCloudInit({
        vmName: spec.name,
        ingestUrl: `${base}/api/vms/${spec.name}/journal`,
        token,
      });
      return arm.beginVirtualMachine(spec, Buffer.from(cloudInit, 'utf8').toString('base64'));
    }
    case 'deleteResourceGroup':
      return arm.beginDeleteResourceGroup(spec);
    case 'resourceGroup':
      throw new Error('the resource group is created before the steps that go into it (inNewGroup)');
    default:
      return arm.beginPowerOperation(spec, step);
  }
}

/** The resource group, created at once; transient errors throw (the activity is retried). */
async function createResourceGroup(spec: VmSpec): Promise<LroStatus> {
  try {
    await arm.ensureResourceGroup(spec);
    return { status: 'succeeded', kind: 'resourceGroup' };
  } catch (e) {
    if ((e as Error).name === 'TransientArmError') throw e;
    return { status: 'failed', kind: 'resourceGroup', error: armErrorInfo(e) };
  }
}

interface AddressesInput {
  spec: VmSpec;
  /** Written when an address is still missing. */
  progress: ProgressUpdate;
  /** Written, with the addresses, when both are known. */
  finish: ProgressUpdate;
}

type AddressesResult = arm.Addresses & { finished: boolean };

/** Reads the addresses and records either the step as started or, when both are known, `running`. */
async function addressesActivity(input: unknown): Promise<AddressesResult> {
  const { spec, progress, finish } = input as AddressesInput;
  // ARM has created the VM: its PUT is never sent again, so the issued token need not be kept.
  const [a] = await Promise.all([arm.readAddresses(spec), dropIssuedToken(services, spec.name)]);
  if (!a.publicIp || !a.privateIp) {
    await applyProgress(progress);
    return { ...a, finished: false };
  }
  const ip = { publicIp: a.publicIp, privateIp: a.privateIp };
  await applyProgress({
    ...finish,
    ...ip,
    events: (finish.events ?? []).map((e) => (e.kind === 'ipAssigned' ? { ...e, data: ip } : e)),
  });
  return { ...a, finished: true };
}

interface PollInput {
  operations: ({ kind: LroKind; target: LroTarget; state: string } | undefined)[];
  /** Read the addresses (see addressesActivity) if every operation polled has succeeded. */
  addresses?: AddressesInput;
}

interface Polled {
  operations: LroStatus[];
  addresses?: AddressesResult;
}

/** Polls every running operation of a step at once; a transient failure retries the round (reads). */
async function pollActivity(input: unknown): Promise<Polled> {
  const { operations, addresses } = input as PollInput;
  const polled = await Promise.all(
    operations.map((p) =>
      p ? pollOnce(p.kind, p.target, p.state) : Promise.reject(new Error('nothing to poll')),
    ),
  );
  if (!addresses || polled.some((p) => p.status !== 'succeeded')) return { operations: polled };
  return { operations: polled, addresses: await addressesActivity(addresses) };
}

df.app.orchestration(ORCH_PROVISION, provisionVm);
df.app.orchestration(ORCH_DELETE, deleteVm);
df.app.orchestration(ORCH_POWER, powerVm);
df.app.activity(ACT_PROGRESS, {
  handler: async (input: unknown) => void (await applyProgress(input as ProgressUpdate)),
});
df.app.activity(ACT_BEGIN, { handler: beginActivity });
df.app.activity(ACT_POLL, { handler: pollActivity });
df.app.activity(ACT_ADDRESSES, { handler: addressesActivity });
df.app.activity(ACT_READ_ADDRESSES, { handler: (input: unknown) => arm.readAddresses(input as VmSpec) });
df.app.activity(ACT_FORGET_TOKEN, {
  handler: (input: unknown) => deleteIngestToken(services, String(input)),
});
df.app.activity(ACT_FORGET_JOURNAL, {
  handler: async (input: unknown) => {
    forgetLiveVm(String(input));
    return deleteJournal(services, String(input));
  },
});
