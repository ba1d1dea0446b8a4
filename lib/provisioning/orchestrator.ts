// The VM orchestrations and their activities. Two orchestrators: `provision` (the create: network,
// NIC, VM, addresses, cleanup on failure) and `operation`, which runs any other row of the operations
// table (lib/vms/operations.ts): its ARM step, then the record's new status. Orchestrators only yield:
// every side effect is a short activity, time comes from currentUtcDateTime, and long ARM operations
// are monitored with durable timers between one-poll activities (the monitor pattern), waiting what
// ARM's Retry-After asks. Transient ARM failures throw in the activity and are retried by
// RetryOptions; permanent ones come back as values, fail the VM and (create) remove what was created.
// Progress is an immutable value (progress.ts); the custom status shows only what a write made true.
import type { InvocationContext } from '@azure/functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import * as df from 'durable-functions';

import { renderCloudInit } from '../agent/cloud-init';
import { deleteIngestToken, dropIssuedToken, issueIngestToken } from '../ingest-token';
import { deleteJournal } from '../journal/forget';
import type { Services } from '../services';
import { forgetLiveVm } from '../vms/exists';
import { ingestUrl } from '../vms/names';
import { operation, vmActionOf, type VmCommandKind } from '../vms/operations';
import { applyProgress, type ProgressUpdate } from '../vms/progress';
import type { ArmErrorInfo, VmSpec } from '../vms/record';
import type { VmStatus } from '../vms/status';
import { armErrorInfo } from './arm-errors';
import { type LroKind, type LroStatus, type LroTarget, pollOnce } from './lro';
import {
  applyAll,
  customStatusOf,
  initialProgress,
  type Progress,
  type ProgressAction,
  reduce,
  type WriteExtra,
  writeOf,
  written,
} from './progress';
import * as arm from './steps';

export const ORCH_PROVISION = 'vmProvision';
/** Every other operation (the names of both are kept for instances started before they merged). */
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

/** A permanent failure: the error goes into the record. */
class OperationFailed extends Error {
  override name = 'OperationFailed';
  constructor(readonly info: ArmErrorInfo) {
    super(`${info.code}: ${info.message}`);
  }
}

/**
 * One orchestration's view of its progress: `committed` is what the record holds (and the custom
 * status shows); a proposed next value becomes it only once a write made it true.
 */
class Run {
  committed: Progress = initialProgress;

  constructor(
    readonly context: OrchestrationContext,
    readonly input: VmOrchestrationInput,
  ) {}

  at(): string {
    return this.context.df.currentUtcDateTime.toISOString();
  }

  /** `committed` with `actions` applied (not adopted). */
  next(...actions: ((at: string) => ProgressAction)[]): Progress {
    const at = this.at();
    return applyAll(
      this.committed,
      actions.map((a) => a(at)),
    );
  }

  write(p: Progress, extra: WriteExtra = {}): ProgressUpdate {
    const { spec, seq } = this.input;
    return writeOf(p, { name: spec.name, seq, instanceId: this.context.df.instanceId, at: this.at() }, extra);
  }

  /** Adopts `p`: its changes happened. `write` carried its events unless `recorded` is false. */
  commit(p: Progress, write?: ProgressUpdate, recorded = true): void {
    this.committed = write && recorded ? written(p, write) : p;
    this.context.df.setCustomStatus(customStatusOf(this.committed, this.input.kind, this.input.seq));
  }

  /** Writes `p` with an activity of its own, then adopts it. */
  *record(p: Progress, extra: WriteExtra = {}): Generator<Task, void, unknown> {
    const w = this.write(p, extra);
    yield this.context.df.callActivityWithRetry(ACT_PROGRESS, storageRetry, w);
    this.commit(p, w);
  }
}

const start =
  (...names: string[]) =>
  (at: string): ProgressAction => ({ type: 'start', names, at });
const end =
  (name: string, status: 'succeeded' | 'failed' = 'succeeded') =>
  (at: string): ProgressAction => ({ type: 'end', name, status, at });
const event =
  (kind: ProgressUpdate['events'] extends (infer E)[] | undefined ? E : never) => (): ProgressAction => ({
    type: 'event',
    event: kind,
  });
const idle = (): ProgressAction => ({ type: 'idle' });

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
function* beginRecorded(run: Run, steps: BeginStep[]): Generator<Task, Begun, unknown> {
  const next = run.next(start(...steps));
  const w = run.write(next);
  const begun = (yield begin(run.context, steps, run.input.spec, w)) as Begun;
  run.commit(next, w, begun.recorded !== false);
  return begun;
}

/** Runs `steps` to their end: begun and recorded, monitored, then ended (OperationFailed if one failed). */
function* runSteps(run: Run, steps: BeginStep[], until: number): Generator<Task, void, unknown> {
  const begun = yield* beginRecorded(run, steps);
  settle(run, steps, (yield* awaitOperations(run.context, begun.operations, until)).operations);
}

interface OperationsEnded {
  operations: LroStatus[];
  /** When the poll that saw the operations succeed also read the addresses: its result. */
  addresses?: AddressesResult;
}

/** Monitor: waits (durable timer, ARM's Retry-After) and polls until every operation has ended. */
function* awaitOperations(
  context: OrchestrationContext,
  first: LroStatus[],
  until: number,
  /**
   * Addresses to read (and writes to make) in the poll round that sees every operation succeed, made
   * for each round at its time (pure: nothing is adopted until the round's answer says so).
   */
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
    if (polled.addresses) return { operations: current, addresses: polled.addresses };
  }
}

/** Ends each step with its operation's outcome; throws OperationFailed for the first failure. */
function settle(run: Run, names: string[], results: LroStatus[]): void {
  run.commit(
    run.next(...results.map((r, k) => end(names[k]!, r.status === 'succeeded' ? 'succeeded' : 'failed'))),
  );
  const k = results.findIndex((r) => r.status === 'failed');
  const failed = results[k];
  if (failed?.status === 'failed') throw new OperationFailed({ ...failed.error, step: names[k]! });
}

/** Turns anything an orchestrator catches into the error recorded on the VM. */
function failureInfo(e: unknown, p: Progress): ArmErrorInfo {
  if (e instanceof OperationFailed) return e.info;
  const info = armErrorInfo(e);
  return { code: 'OperationFailed', message: info.message, ...(p.step ? { step: p.step } : {}) };
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

/** The end of a create: the address step done, `ipAssigned` (the activity fills in the addresses), `running`. */
const FINISHED = [
  end('publicIpAddress'),
  idle,
  event({ kind: 'ipAssigned', key: 'ip' }),
  event({ kind: 'running', key: 'running' }),
];

export const provisionVm: OrchestrationHandler = function* (context: OrchestrationContext) {
  const run = new Run(context, context.df.getInput<VmOrchestrationInput>());
  const { spec } = run.input;
  const until = deadline(context);
  try {
    // Each step's record write rides along with the step's ARM activity (one activity and one episode
    // per step instead of two: under a burst of creates, episodes are what the runtime spends its time on).
    // The resource group is created at once (no LRO), so the activity that begins the network creates
    // it first: the write it carries (group done, network started) is made only if the group was created.
    const network: BeginStep[] = ['virtualNetwork', 'networkSecurityGroup', 'publicIp'];
    const groupStarted = run.next(
      start('resourceGroup'),
      event({ kind: 'provisioning', key: 'provisioning' }),
    );
    // The network's resources in parallel: they do not depend on each other.
    const netStarted = applyAll(
      groupStarted,
      [end('resourceGroup'), start(...network)].map((a) => a(run.at())),
    );
    const netWrite = run.write(netStarted, { status: 'provisioning' });
    const started = (yield begin(context, network, spec, netWrite, true)) as Begun;
    if (started.group?.status === 'failed') {
      run.commit(groupStarted);
      settle(run, ['resourceGroup'], [started.group]);
    }
    run.commit(netStarted, netWrite, started.recorded !== false);
    settle(run, network, (yield* awaitOperations(context, started.operations, until)).operations);

    yield* runSteps(run, ['networkInterface'], until);

    // The VM, then its addresses. A Standard static address is allocated with the IP resource, but may
    // show up a little later. Usually both are there at the first read, made by the poll that sees the
    // VM done (or by an activity of its own when the begin found it done): that activity then records
    // the VM step, the addresses and `running` (`finish`); otherwise it records the address step as
    // started (`progress`) and the addresses are polled. Until then the VM step is running.
    const vm = yield* beginRecorded(run, ['virtualMachine']);
    const plan = (from: Progress) => {
      const progress = reduce(from, start('publicIpAddress')(run.at()));
      const finish = applyAll(
        progress,
        FINISHED.map((a) => a(run.at())),
      );
      const input: AddressesInput = {
        spec,
        progress: run.write(progress),
        finish: run.write(finish, { status: 'running' }),
      };
      return { progress, finish, input };
    };
    // Each poll carries the writes the VM's end would lead to (proposed, not adopted).
    let polledPlan: ReturnType<typeof plan> | undefined;
    const awaited = yield* awaitOperations(context, vm.operations, until, () => {
      polledPlan = plan(reduce(run.committed, end('virtualMachine')(run.at())));
      return polledPlan.input;
    });
    let read = awaited.addresses;
    if (!read || !polledPlan) {
      settle(run, ['virtualMachine'], awaited.operations);
      polledPlan = plan(run.committed);
      read = (yield context.df.callActivityWithRetry(
        ACT_ADDRESSES,
        armRetry,
        polledPlan.input,
      )) as AddressesResult;
    }
    if (read.finished) {
      run.commit(polledPlan.finish, polledPlan.input.finish);
      return { status: 'running' };
    }
    run.commit(polledPlan.progress, polledPlan.input.progress);
    let addresses: arm.Addresses = read;
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
    const ip = { publicIp: addresses.publicIp, privateIp: addresses.privateIp };
    const done = run.next(
      end('publicIpAddress'),
      idle,
      event({ kind: 'ipAssigned', key: 'ip', data: ip }),
      event({ kind: 'running', key: 'running' }),
    );
    yield* run.record(done, { status: 'running', ...ip });
    return { status: 'running' };
  } catch (e) {
    return yield* failAndCleanUp(run, failureInfo(e, run.committed));
  }
};

/** A failed delete or power operation: the error on the record, a `failed` event, status `failed`. */
function* recordFailure(run: Run, e: unknown): Generator<Task, { status: 'failed' }, unknown> {
  const error = failureInfo(e, run.committed);
  yield* run.record(
    run.next(() => ({ type: 'fail', error }), event({ kind: 'failed', key: 'failed' })),
    {
      status: 'failed',
    },
  );
  return { status: 'failed' };
}

/** A failed create: record the error, delete everything created (the group), then mark `failed`. */
function* failAndCleanUp(run: Run, error: ArmErrorInfo): Generator<Task, { status: VmStatus }, unknown> {
  const { context, input } = run;
  if (!context.df.isReplaying)
    context.warn(`VM ${input.spec.name}: ${error.code} at ${error.step ?? '?'}; cleaning up`);
  const abandon = (at: string): ProgressAction => ({ type: 'abandon', at });
  yield* run.record(
    run.next(abandon, () => ({ type: 'fail', error }), start('cleanup')),
    {
      status: 'provisioning', // still `queued` if the resource group failed
    },
  );
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
  const final: ArmErrorInfo =
    cleaned.status === 'failed'
      ? {
          ...error,
          message: `${error.message} (cleanup failed: ${cleaned.error.code}: ${cleaned.error.message})`,
        }
      : error;
  yield* run.record(
    run.next(
      end('cleanup', cleaned.status === 'succeeded' ? 'succeeded' : 'failed'),
      () => ({ type: 'fail', error: final }),
      idle,
      event({ kind: 'failed', key: 'failed' }),
    ),
    { status: 'failed', publicIp: null, privateIp: null },
  );
  return { status: 'failed' };
}

/** The ARM step an operation other than create runs. */
const stepOf = (kind: Exclude<VmCommandKind, 'create'>): BeginStep =>
  kind === 'delete' ? 'deleteResourceGroup' : vmActionOf(kind);

/**
 * Any operation of the table but create: its ARM step (begun, monitored, ended), then for a delete the
 * VM's token and journal are forgotten, and the record takes the operation's `done` status.
 */
export const runOperation: OrchestrationHandler = function* (context: OrchestrationContext) {
  const run = new Run(context, context.df.getInput<VmOrchestrationInput>());
  const kind = run.input.kind as Exclude<VmCommandKind, 'create'>;
  const status = operation(kind).done;
  try {
    yield* runSteps(run, [stepOf(kind)], deadline(context));
    if (kind === 'delete') {
      yield context.df.callActivityWithRetry(ACT_FORGET_TOKEN, storageRetry, run.input.spec.name);
      yield context.df.callActivityWithRetry(ACT_FORGET_JOURNAL, storageRetry, run.input.spec.name);
      yield* run.record(run.next(idle, event({ kind: 'deleted', key: 'deleted' })), {
        status,
        publicIp: null,
        privateIp: null,
      });
      return { status };
    }
    const events = [event({ kind: 'powerChanged', key: 'power', data: { command: kind, status } })];
    if (status === 'running') events.push(event({ kind: 'running', key: 'running' }));
    yield* run.record(run.next(idle, ...events), { status });
    return { status };
  } catch (e) {
    return yield* recordFailure(run, e);
  }
};

// Activities: each is one short piece of I/O.

/**
 * Runs an ARM activity's work, then the record write it carries. ARM first: the next step waits for
 * the operation ARM runs, never for the record, so under a burst the request goes out before the
 * bookkeeping. A thrown ARM error retries the activity; a failed record write must not (it would send
 * the ARM requests again for nothing), so it only comes back as `recorded: false` (its events stay
 * pending in the orchestration and go with the next write).
 */
async function withProgress<T extends object>(
  services: Services,
  work: Promise<T>,
  progress: ProgressUpdate | undefined,
  context: InvocationContext,
): Promise<WithRecord<T>> {
  const result = await work;
  if (!progress) return result;
  try {
    await applyProgress(services, progress);
    return result;
  } catch (e) {
    context.warn(`Recording the progress of ${progress.name} failed: ${(e as Error).message}`);
    return { ...result, recorded: false };
  }
}

export const beginActivity =
  (services: Services) =>
  async (input: unknown, context: InvocationContext): Promise<Begun> => {
    const { steps, spec, progress, inNewGroup } = input as BeginInput;
    if (inNewGroup) {
      const group = await createResourceGroup(services, spec);
      if (group.status === 'failed') return { operations: [], group }; // nothing begun, nothing recorded
    }
    const operations = Promise.all(steps.map((step) => beginOperation(services, step, spec, progress?.seq)));
    return withProgress(
      services,
      operations.then((o) => ({ operations: o })),
      progress,
      context,
    );
  };

async function beginOperation(
  services: Services,
  step: BeginStep,
  spec: VmSpec,
  seq: number | undefined,
): Promise<LroStatus> {
  switch (step) {
    case 'virtualNetwork':
      return arm.beginVirtualNetwork(services, spec);
    case 'networkSecurityGroup':
      return arm.beginNetworkSecurityGroup(services, spec);
    case 'publicIp':
      return arm.beginPublicIp(services, spec);
    case 'networkInterface':
      return arm.beginNetworkInterface(services, spec);
    case 'virtualMachine': {
      // One token per create operation (keyed by its seq): a retried begin, say after ARM accepted the
      // PUT but its answer was lost, sends byte-identical customData, which ARM cannot change.
      if (seq === undefined) throw new Error('the virtualMachine step is begun with its progress write');
      const token = await issueIngestToken(services, spec.name, seq);
      const cloudInit = renderCloudInit({
        vmName: spec.name,
        ingestUrl: ingestUrl(services.config.PUBLIC_BASE_URL, spec.name),
        token,
      });
      return arm.beginVirtualMachine(services, spec, Buffer.from(cloudInit, 'utf8').toString('base64'));
    }
    case 'deleteResourceGroup':
      return arm.beginDeleteResourceGroup(services, spec);
    case 'resourceGroup':
      throw new Error('the resource group is created before the steps that go into it (inNewGroup)');
    default:
      return arm.beginVmAction(services, spec, step);
  }
}

/** The resource group, created at once; transient errors throw (the activity is retried). */
async function createResourceGroup(services: Services, spec: VmSpec): Promise<LroStatus> {
  try {
    await arm.ensureResourceGroup(services, spec);
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
export const addressesActivity =
  (services: Services) =>
  async (input: unknown): Promise<AddressesResult> => {
    const { spec, progress, finish } = input as AddressesInput;
    // ARM has created the VM: its PUT is never sent again, so the issued token need not be kept.
    const [a] = await Promise.all([arm.readAddresses(services, spec), dropIssuedToken(services, spec.name)]);
    if (!a.publicIp || !a.privateIp) {
      await applyProgress(services, progress);
      return { ...a, finished: false };
    }
    const ip = { publicIp: a.publicIp, privateIp: a.privateIp };
    await applyProgress(services, {
      ...finish,
      ...ip,
      events: (finish.events ?? []).map((e) => (e.kind === 'ipAssigned' ? { ...e, data: ip } : e)),
    });
    return { ...a, finished: true };
  };

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
export const pollActivity =
  (services: Services) =>
  async (input: unknown): Promise<Polled> => {
    const { operations, addresses } = input as PollInput;
    const polled = await Promise.all(
      operations.map((p) =>
        p ? pollOnce(services, p.kind, p.target, p.state) : Promise.reject(new Error('nothing to poll')),
      ),
    );
    if (!addresses || polled.some((p) => p.status !== 'succeeded')) return { operations: polled };
    return { operations: polled, addresses: await addressesActivity(services)(addresses) };
  };

export const recordProgressActivity = (services: Services) => async (input: unknown) =>
  void (await applyProgress(services, input as ProgressUpdate));

export const readAddressesActivity = (services: Services) => (input: unknown) =>
  arm.readAddresses(services, input as VmSpec);

export const forgetTokenActivity = (services: Services) => (input: unknown) =>
  deleteIngestToken(services, String(input));

export const forgetJournalActivity = (services: Services) => async (input: unknown) => {
  forgetLiveVm(services, String(input));
  return deleteJournal(services, String(input));
};
