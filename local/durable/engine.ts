// The orchestration engine: one in-memory actor per live instance with a mailbox of pending messages.
// An episode takes everything in the mailbox, appends it to history, replays the orchestrator through
// the host, checks the returned actions against history (non-determinism), records the new ones,
// persists the episode in one commit, and only then starts the work it scheduled (activities, timers,
// sub-orchestrations). Messages that arrive while an episode runs are batched into the next one, so a
// fan-in of many activity results costs a few episodes, not one each. Nothing polls, unless the engine
// models the Azure Storage provider's queue polling (queue-polling.ts): then client messages and fired
// timers wait for the control queue's next modelled poll.
import { randomUUID } from 'node:crypto';

import { conflict, notFound } from '../../lib/errors';
import type { HostApi } from '../host/types';
import {
  type Action,
  ActionType,
  flattenActions,
  isScheduling,
  matches,
  nonDeterminismMessage,
  type OrchestratorState,
  processedInputText,
  unsupportedAction,
} from './actions';
import { ActivityRunner } from './activities';
import { Episode } from './episode';
import { ExecutionState } from './execution-state';
import {
  event,
  EventType,
  type FailureDetails,
  type HistoryEvent,
  parseJsonText,
  toJsonText,
} from './history';
import type { QueuePollingModel } from './queue-polling';
import { replay } from './replay';
import { retryDelayMs, retryExpired, toRetryPolicy } from './retry';
import {
  type DurableStore,
  type InboxMessage,
  type InstanceRecord,
  isTerminal,
  type RuntimeStatus,
  type StoredInboxMessage,
} from './store';
import { TimerService } from './timers';
import { WorkQueue } from './work-queue';

const MAX_INBOX_PER_EPISODE = 90;
const RUNNING_STATES: readonly RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];

type Message =
  { kind: 'start' } | { kind: 'event'; event: HistoryEvent } | { kind: 'inbox'; stored: StoredInboxMessage };

/** The client messages an episode took: events to deliver, raised events (with their rows), a terminate. */
interface ClientMessages {
  events: HistoryEvent[];
  raised: { stored: StoredInboxMessage; e: HistoryEvent }[];
  terminate?: { reason?: string };
}

/** What replaying the orchestrator gave: its state and actions, or why the execution fails. */
interface Replayed {
  state: OrchestratorState | undefined;
  actions: Action[];
  failure: { message: string; details?: FailureDetails; stack?: string } | undefined;
}

interface Instance {
  record: InstanceRecord;
  /** Last persisted copy of the record (to skip writes that change nothing). */
  persisted: string;
  history: HistoryEvent[];
  state: ExecutionState;
  mailbox: Message[];
  busy: boolean;
  /** Messages held while the instance is suspended (they do not wake it up). */
  held: Message[];
  /** Inbox rows consumed by an execution that continued as new, deleted with the next commit. */
  carriedInbox: string[];
  /** Parent link when this instance is a sub-orchestration started by this engine. */
  parent?: { instanceId: string; name: string; taskId: number };
  /** The starter's traceparent, until the ExecutionStarted event holds it (not kept across restarts). */
  traceparent?: string;
}

export interface EngineOptions {
  host: HostApi;
  store: DurableStore;
  maxConcurrentActivities: number;
  maxConcurrentOrchestrations: number;
  /** When set, messages to orchestrations go through this model of the control queue's polling. */
  controlQueuePolling?: QueuePollingModel;
}

export interface StartOptions {
  instanceId?: string;
  /** JSON text of the input (absent: no input). */
  input?: string;
  version?: string;
  /** W3C traceparent of the caller: the ExecutionStarted event's ParentTraceContext. */
  traceparent?: string | string[] | undefined;
}

export class DurableEngine {
  private readonly live = new Map<string, Instance>();
  private readonly starting = new Set<string>();
  /** child instance id -> the parent task waiting for it */
  private readonly watchers = new Map<string, { parentId: string; taskId: number }>();
  private readonly completionWaiters = new Map<string, (() => void)[]>();
  private readonly episodes: WorkQueue;
  private readonly activities: ActivityRunner;
  private readonly timers = new TimerService();
  private disposed = false;

  constructor(private readonly opts: EngineOptions) {
    this.episodes = new WorkQueue(opts.maxConcurrentOrchestrations);
    this.activities = new ActivityRunner(opts.host, opts.maxConcurrentActivities, (n) =>
      this.isFunction(n, 'activityTrigger'),
    );
  }

  get store(): DurableStore {
    return this.opts.store;
  }

  /** The model of the control queue's polling, when the engine models it (benchmarks report it). */
  get queuePolling(): QueuePollingModel | undefined {
    return this.opts.controlQueuePolling;
  }

  isFunction(name: string, triggerType: string): boolean {
    return this.registeredName(name, triggerType) !== undefined;
  }

  private registeredName(name: string, triggerType: string): string | undefined {
    const lower = name.toLowerCase();
    return this.opts.host
      .registrations()
      .find((r) => r.trigger.type === triggerType && r.name.toLowerCase() === lower)?.name;
  }

  // ---- client operations -----------------------------------------------------------------------------

  async startNew(functionName: string, o: StartOptions = {}): Promise<string> {
    const name = this.registeredName(functionName, 'orchestrationTrigger');
    if (!name) {
      throw Object.assign(
        new Error(
          `The function '${functionName}' doesn't exist, is disabled, or is not an orchestrator function.`,
        ),
        { code: 'OrchestratorNotFound', status: 400 },
      );
    }
    const instanceId = o.instanceId ?? randomUUID().replace(/-/g, '');
    await this.create(instanceId, name, o.input, o.version, undefined, o.traceparent);
    return instanceId;
  }

  private async create(
    instanceId: string,
    name: string,
    input: string | undefined,
    version: string | undefined,
    parent?: Instance['parent'],
    traceparent?: string | string[],
  ): Promise<void> {
    if (this.starting.has(instanceId))
      throw conflict(`An Orchestration instance with the status Pending already exists.`);
    this.starting.add(instanceId);
    try {
      const now = new Date();
      const record: InstanceRecord = {
        instanceId,
        name,
        runtimeStatus: 'Pending',
        executionId: randomUUID().replace(/-/g, ''),
        createdTime: now,
        lastUpdatedTime: now,
      };
      if (input !== undefined) record.input = input;
      if (version !== undefined) record.version = version;
      if (parent) record.parentInstanceId = parent.instanceId;
      // A new id (the common case) costs one insert; an id in use is read, and replaced if it has ended.
      let current = this.live.get(instanceId)?.record;
      if (current || !(await this.store.insertInstance(record))) {
        current ??= await this.store.getInstance(instanceId);
        if (current && RUNNING_STATES.includes(current.runtimeStatus)) {
          throw conflict(
            `An Orchestration instance with the status ${current.runtimeStatus} already exists.`,
          );
        }
        await this.store.putInstance(record);
      }
      const inst = this.instance(record, []);
      inst.parent = parent;
      if (typeof traceparent === 'string') inst.traceparent = traceparent;
      inst.mailbox.push({ kind: 'start' });
      this.live.set(instanceId, inst);
      if (current) this.background(this.store.deleteOldExecutions(instanceId, record.executionId));
      this.toControlQueue('client', () => this.schedule(inst));
    } finally {
      this.starting.delete(instanceId);
    }
  }

  /** The freshest record: the live one, else the stored one. */
  async getRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.live.get(instanceId)?.record ?? (await this.store.getInstance(instanceId));
  }

  liveRecord(instanceId: string): InstanceRecord | undefined {
    return this.live.get(instanceId)?.record;
  }

  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    const inst = this.live.get(record.instanceId);
    if (inst && inst.record.executionId === record.executionId) return inst.history;
    return this.store.loadHistory(record.instanceId, record.executionId);
  }

  /**
   * Queues a client message (raise event, terminate, suspend, resume) durably. Returns false when the
   * instance is in a terminal state (the API answers 410), throws NotFound when it does not exist.
   */
  async send(instanceId: string, message: InboxMessage): Promise<boolean> {
    const record = await this.getRecord(instanceId);
    if (!record) throw notFound(`No instance with ID '${instanceId}' found.`);
    const inst = this.live.get(instanceId);
    if (isTerminal(record.runtimeStatus) || !inst) return false;
    const stored = await this.store.addInbox(instanceId, message);
    this.toControlQueue('client', () => {
      inst.mailbox.push({ kind: 'inbox', stored });
      this.schedule(inst);
    });
    return true;
  }

  async purge(instanceId: string): Promise<boolean> {
    if (this.live.has(instanceId)) throw conflict('Only orchestrations in a terminal state can be purged.');
    return this.store.purge(instanceId);
  }

  /** Resolves once the instance is in a terminal state (or no longer live). */
  waitForCompletion(instanceId: string): Promise<void> {
    if (!this.live.has(instanceId)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.completionWaiters.get(instanceId) ?? [];
      list.push(resolve);
      this.completionWaiters.set(instanceId, list);
    });
  }

  // ---- start-up: resume unfinished instances from storage --------------------------------------------

  async resumeAll(): Promise<number> {
    const loaded: Instance[] = [];
    for await (const record of this.store.allInstances({ runtimeStatus: [...RUNNING_STATES] })) {
      const history = await this.store.loadHistory(record.instanceId, record.executionId);
      const inst = this.instance(record, history);
      if (inst.state.terminal) {
        // The episode that ended it was committed but the record update was lost.
        this.finishRecord(inst, inst.state.terminal);
        await this.store.putInstance(inst.record);
        continue;
      }
      if (!inst.state.started) inst.mailbox.push({ kind: 'start' });
      else if (record.runtimeStatus === 'Pending') record.runtimeStatus = 'Running';
      for (const stored of await this.store.listInbox(record.instanceId))
        inst.mailbox.push({ kind: 'inbox', stored });
      this.live.set(record.instanceId, inst);
      loaded.push(inst);
    }
    // Register every parent's watchers before anything runs, so no child completion is missed.
    for (const inst of loaded) {
      for (const [taskId, ev] of inst.state.pendingSubOrchestrations) {
        this.watchers.set(ev.InstanceId!, { parentId: inst.record.instanceId, taskId });
      }
    }
    for (const inst of loaded) {
      this.dispatchPending(inst);
      this.schedule(inst);
    }
    return loaded.length;
  }

  private dispatchPending(inst: Instance): void {
    for (const ev of inst.state.pendingTasks.values()) this.dispatch(inst, ev);
    for (const ev of inst.state.pendingTimers.values()) this.dispatch(inst, ev);
    for (const ev of inst.state.pendingSubOrchestrations.values()) this.dispatch(inst, ev);
  }

  // ---- episodes ----------------------------------------------------------------------------------------

  private instance(record: InstanceRecord, history: HistoryEvent[]): Instance {
    return {
      record,
      persisted: JSON.stringify(record),
      history,
      state: ExecutionState.from(history),
      mailbox: [],
      busy: false,
      held: [],
      carriedInbox: [],
    };
  }

  private schedule(inst: Instance): void {
    if (inst.busy || inst.mailbox.length === 0 || this.disposed) return;
    inst.busy = true;
    const run = this.episodes
      .run(() => this.episode(inst))
      .catch((e: unknown) => this.recover(inst, e))
      .finally(() => {
        inst.busy = false;
        if (this.live.get(inst.record.instanceId) === inst) this.schedule(inst);
      });
    this.background(run);
  }

  private background(p: Promise<unknown>): void {
    p.catch((e: unknown) => this.log('error', `durable: ${e instanceof Error ? e.stack : String(e)}`));
  }

  /** A failed commit (storage unavailable): drop the in-memory copy and reload from storage shortly. */
  private async recover(inst: Instance, e: unknown): Promise<void> {
    const id = inst.record.instanceId;
    this.log(
      'error',
      `durable: episode of ${id} failed, reloading from storage: ${e instanceof Error ? e.stack : String(e)}`,
    );
    if (this.live.get(id) !== inst) return;
    this.live.delete(id);
    this.timers.cancelPrefix(`${id}|`);
    await new Promise((r) => setTimeout(r, 500));
    if (this.disposed) return;
    const record = await this.store.getInstance(id);
    if (!record || isTerminal(record.runtimeStatus)) return;
    const fresh = this.instance(record, await this.store.loadHistory(id, record.executionId));
    fresh.parent = inst.parent;
    if (!fresh.state.started) fresh.mailbox.push({ kind: 'start' });
    for (const stored of await this.store.listInbox(id)) fresh.mailbox.push({ kind: 'inbox', stored });
    this.live.set(id, fresh);
    this.dispatchPending(fresh);
    this.schedule(fresh);
  }

  /**
   * One episode: take the mailbox, append what it brings to history, replay the orchestrator, record the
   * actions it returned, commit, then start the work it scheduled.
   */
  private async episode(inst: Instance): Promise<void> {
    if (this.live.get(inst.record.instanceId) !== inst) return;
    const ep = new Episode(inst, new Date());
    const taken = this.takeMailbox(inst);
    this.beginEpisode(inst, ep, taken);
    const client = this.readClientMessages(inst, ep, taken);
    if (client.terminate) return this.terminate(inst, ep, client);
    if (inst.state.suspended || !inst.state.started) return this.hold(inst, ep, client);
    ep.consumed.push(...client.raised.map((r) => r.stored.rowKey));
    this.appendEvents(inst, ep, client.events);
    const replayed = await this.replayEpisode(inst, ep);
    this.applyActions(inst, ep, replayed);
    if (this.endEpisode(inst, ep, replayed) === 'continuedAsNew') return;
    await this.commit(inst, ep, ep.toDispatch);
  }

  /** Client messages (at most what one commit can delete) and runtime events; the rest waits. */
  private takeMailbox(inst: Instance): Message[] {
    const taken: Message[] = [];
    const kept: Message[] = [];
    let inboxCount = 0;
    for (const m of [...inst.held.splice(0), ...inst.mailbox.splice(0)]) {
      if (m.kind === 'inbox' && ++inboxCount > MAX_INBOX_PER_EPISODE) kept.push(m);
      else taken.push(m);
    }
    inst.mailbox.push(...kept);
    return taken;
  }

  /** OrchestratorStarted, and ExecutionStarted when this episode starts the execution. */
  private beginEpisode(inst: Instance, ep: Episode, taken: Message[]): void {
    const { record } = inst;
    ep.append(event(EventType.OrchestratorStarted, {}, ep.now));
    if (!taken.some((m) => m.kind === 'start') || inst.state.started) return;
    ep.append(
      event(
        EventType.ExecutionStarted,
        {
          Name: record.name,
          OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
          ...(record.input !== undefined ? { Input: record.input } : {}),
          ...(record.version !== undefined ? { Version: record.version } : {}),
          ...(inst.parent
            ? {
                ParentInstance: {
                  Name: inst.parent.name,
                  OrchestrationInstance: { InstanceId: inst.parent.instanceId },
                  TaskScheduleId: inst.parent.taskId,
                },
              }
            : {}),
          ...(inst.traceparent ? { ParentTraceContext: { TraceParent: inst.traceparent } } : {}),
        },
        ep.now,
      ),
    );
  }

  /**
   * Client messages first, in arrival order: suspend and resume are appended at once, a terminate is
   * noted, raised events become ordinary events (their rows are deleted only once they are delivered).
   */
  private readClientMessages(inst: Instance, ep: Episode, taken: Message[]): ClientMessages {
    const read: ClientMessages = { events: [], raised: [] };
    for (const m of taken) {
      if (m.kind === 'event') read.events.push(m.event);
      if (m.kind !== 'inbox') continue;
      const msg = m.stored.message;
      if (msg.kind === 'raise') {
        const e = event(
          EventType.EventRaised,
          { Name: msg.name, ...(msg.input !== undefined ? { Input: msg.input } : {}) },
          ep.now,
        );
        read.raised.push({ stored: m.stored, e });
        read.events.push(e);
        continue;
      }
      ep.consumed.push(m.stored.rowKey);
      if (msg.kind === 'terminate') read.terminate ??= { reason: msg.reason };
      else if (msg.kind === 'suspend' && !inst.state.suspended) {
        ep.append(event(EventType.ExecutionSuspended, { Reason: msg.reason }, ep.now));
      } else if (msg.kind === 'resume' && inst.state.suspended) {
        ep.append(event(EventType.ExecutionResumed, { Reason: msg.reason }, ep.now));
      }
    }
    return read;
  }

  private async terminate(inst: Instance, ep: Episode, client: ClientMessages): Promise<void> {
    ep.consumed.push(...client.raised.map((r) => r.stored.rowKey));
    const output = toJsonText(client.terminate?.reason ?? '');
    ep.append(
      event(
        EventType.ExecutionTerminated,
        { Input: output, Result: output, OrchestrationStatus: 'Terminated' },
        ep.now,
      ),
    );
    await this.commit(inst, ep, []);
  }

  /**
   * Suspended (or not started): everything else waits, raised events still in the inbox (durable),
   * runtime events in memory (activities and timers re-derive theirs from history after a restart).
   */
  private async hold(inst: Instance, ep: Episode, client: ClientMessages): Promise<void> {
    const raisedEvents = new Set(client.raised.map((r) => r.e));
    inst.held.push(
      ...client.raised.map((r): Message => ({ kind: 'inbox', stored: r.stored })),
      ...client.events.filter((e) => !raisedEvents.has(e)).map((e): Message => ({ kind: 'event', event: e })),
    );
    if (ep.newEvents.length > 1 || ep.consumed.length > 0) {
      await this.commit(inst, ep, []);
    } else {
      inst.history.splice(ep.startLength);
      inst.state = ExecutionState.from(inst.history);
    }
  }

  /**
   * Runtime and raised events; retry bookkeeping that takes sequence numbers goes first, in the order
   * durable-functions numbers it.
   */
  private appendEvents(inst: Instance, ep: Episode, events: HistoryEvent[]): void {
    const { now } = ep;
    const internal = events.filter((e) => this.allocatesRetryStep(inst, e));
    const others = events.filter((e) => !internal.includes(e));
    for (const e of internal) {
      ep.append(e);
      if (e.EventType === EventType.TimerFired) {
        const chain = inst.state.chainFor(e.TimerId)!;
        const type =
          chain.kind === 'activity' ? EventType.TaskScheduled : EventType.SubOrchestrationInstanceCreated;
        const attempt = ep.allocate(type, {
          Name: chain.scheduled.Name,
          ...(chain.scheduled.Input !== undefined ? { Input: chain.scheduled.Input } : {}),
          ...(chain.scheduled.InstanceId !== undefined ? { InstanceId: chain.scheduled.InstanceId } : {}),
          _retryOf: chain.rootId,
        });
        if (retryExpired(chain.policy, chain.firstAttemptAt, now.getTime())) {
          // retryTimeout elapsed: the attempt fails at once with the last error instead of running.
          ep.toDispatch.splice(ep.toDispatch.indexOf(attempt), 1);
          const last = chain.lastFailure!;
          inst.mailbox.push({
            kind: 'event',
            event: { ...last, TaskScheduledId: attempt.EventId, Timestamp: now.toISOString() },
          });
        }
      } else {
        const chain = inst.state.chainFor(e.TaskScheduledId)!;
        const delay = retryExpired(chain.policy, chain.firstAttemptAt, now.getTime())
          ? 0
          : retryDelayMs(chain.policy, chain.failures);
        ep.allocate(EventType.TimerCreated, {
          FireAt: new Date(now.getTime() + delay).toISOString(),
          _retryOf: chain.rootId,
        });
      }
    }
    for (const e of others) ep.append(e);
  }

  /** Replays the orchestrator over the history; its actions, checked against history, or its failure. */
  private async replayEpisode(inst: Instance, ep: Episode): Promise<Replayed> {
    const { record } = inst;
    const outcome = await replay(this.opts.host, {
      functionName: record.name,
      instanceId: record.instanceId,
      parentInstanceId: record.parentInstanceId,
      input: parseJsonText(inst.state.started?.Input),
      history: inst.history,
      newEventsFrom: ep.startLength,
    });
    let failure: Replayed['failure'];
    const state = outcome.state;
    if (outcome.kind === 'failed') {
      failure = { message: outcome.message, stack: outcome.stack };
      if (outcome.state?.failureDetails) failure.details = outcome.state.failureDetails as FailureDetails;
    }
    const actions = state ? flattenActions(state) : [];
    if (!failure) failure = this.checkActions(inst, actions);
    if (state && state.customStatus !== undefined) record.customStatus = toJsonText(state.customStatus);
    return { state, actions, failure };
  }

  /** Cancels the timers the orchestrator cancelled and records the new scheduling actions. */
  private applyActions(inst: Instance, ep: Episode, { state, actions, failure }: Replayed): void {
    if (failure || !state) return;
    const scheduling = actions.filter(isScheduling);
    const roots = inst.state.roots.length;
    for (let i = 0; i < roots; i++) {
      const a = scheduling[i]!;
      if (a.actionType === ActionType.CreateTimer && a.isCanceled) {
        this.timers.cancel(`${inst.record.instanceId}|${inst.state.roots[i]!.EventId}`);
      }
    }
    for (const a of scheduling.slice(roots)) this.schedule_(inst, a, ep);
  }

  /** OrchestratorCompleted, and the execution's end: failed, completed, or continued as new. */
  private endEpisode(
    inst: Instance,
    ep: Episode,
    { state, actions, failure }: Replayed,
  ): 'continuedAsNew' | undefined {
    ep.append(event(EventType.OrchestratorCompleted, {}, ep.now));
    if (failure) {
      const output = toJsonText(`Orchestrator function '${inst.record.name}' failed: ${failure.message}`);
      ep.append(
        event(
          EventType.ExecutionFailed,
          {
            OrchestrationStatus: 'Failed',
            Result: output,
            Reason: failure.message,
            Details: failure.stack,
            FailureDetails: failure.details ?? {
              ErrorType: 'OrchestrationFailure',
              ErrorMessage: failure.message,
            },
          },
          ep.now,
        ),
      );
      ep.toDispatch.length = 0;
    } else if (state?.isDone) {
      const cont = actions.find((a) => a.actionType === ActionType.ContinueAsNew);
      if (cont) {
        inst.carriedInbox.push(...ep.consumed);
        this.continueAsNew(inst, processedInputText(cont.input), ep.now);
        return 'continuedAsNew';
      }
      ep.append(
        event(
          EventType.ExecutionCompleted,
          { OrchestrationStatus: 'Completed', Result: toJsonText(state.output) },
          ep.now,
        ),
      );
    }
    return undefined;
  }

  /** Does this event, when durable-functions replays it, take a sequence number for a retry step? */
  private allocatesRetryStep(inst: Instance, e: HistoryEvent): boolean {
    if (e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed) {
      const chain = inst.state.chainFor(e.TaskScheduledId);
      return !!chain && chain.currentId === e.TaskScheduledId;
    }
    if (e.EventType === EventType.TimerFired) {
      const chain = inst.state.chainFor(e.TimerId);
      return !!chain && chain.timerId === e.TimerId && chain.failures < chain.policy.maxNumberOfAttempts;
    }
    return false;
  }

  /** Unsupported actions and replays that diverge from history fail the instance. */
  private checkActions(inst: Instance, actions: Action[]): { message: string } | undefined {
    for (const a of actions) {
      const why = unsupportedAction(a);
      if (why) return { message: `The orchestrator used ${why}.` };
    }
    const scheduling = actions.filter(isScheduling);
    const roots = inst.state.roots;
    for (let i = 0; i < roots.length; i++) {
      const recorded = roots[i]!;
      const replayed = scheduling[i];
      if (!replayed || !matches(replayed, recorded)) {
        return { message: nonDeterminismMessage(recorded.EventId, recorded, replayed) };
      }
    }
    return undefined;
  }

  /** Records a new scheduling action (its sequence number is the next one). */
  private schedule_(inst: Instance, a: Action, ep: Episode): void {
    const retry =
      a.actionType === ActionType.CallActivityWithRetry ||
      a.actionType === ActionType.CallSubOrchestratorWithRetry
        ? { _retry: toRetryPolicy(a.retryOptions) }
        : {};
    switch (a.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry: {
        const input = processedInputText(a.input);
        ep.allocate(EventType.TaskScheduled, {
          Name: a.functionName,
          ...(input !== undefined ? { Input: input } : {}),
          ...retry,
        });
        break;
      }
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const seq = inst.state.nextSeq;
        const input = toJsonText(a.input);
        ep.allocate(EventType.SubOrchestrationInstanceCreated, {
          Name: a.functionName,
          InstanceId: a.instanceId || `${inst.record.instanceId}:${seq.toString(16).padStart(4, '0')}`,
          ...(input !== undefined ? { Input: input } : {}),
          ...(a.version ? { Version: a.version } : {}),
          ...retry,
        });
        break;
      }
      case ActionType.CreateTimer: {
        const e = ep.allocate(EventType.TimerCreated, {
          FireAt: new Date(a.fireAt ?? Date.now()).toISOString(),
        });
        if (a.isCanceled) e._canceled = true;
        break;
      }
      default:
        break;
    }
  }

  private continueAsNew(inst: Instance, input: string | undefined, now: Date): void {
    const { record } = inst;
    this.timers.cancelPrefix(`${record.instanceId}|`);
    record.executionId = randomUUID().replace(/-/g, '');
    if (input === undefined) delete record.input;
    else record.input = input;
    record.runtimeStatus = 'Running';
    record.lastUpdatedTime = now;
    inst.history = [];
    inst.state = new ExecutionState();
    // The new execution's first episode commits it; until then storage still holds the old one, which
    // replays to the same continue-as-new after a crash.
    inst.mailbox.unshift({ kind: 'start' });
    this.background(this.store.deleteOldExecutions(record.instanceId, record.executionId));
  }

  /** Persists the episode in one commit, then starts the work it scheduled (`toDispatch`). */
  private async commit(inst: Instance, ep: Episode, toDispatch: HistoryEvent[]): Promise<void> {
    const { record } = inst;
    const { startLength, newEvents, consumed, now } = ep;
    const terminal = inst.state.terminal;
    if (terminal) this.finishRecord(inst, terminal);
    else record.runtimeStatus = inst.state.suspended ? 'Suspended' : 'Running';
    record.lastUpdatedTime = now;

    const deletes = [...inst.carriedInbox, ...consumed];
    await this.store.appendHistory(record.instanceId, record.executionId, startLength, newEvents, deletes);
    inst.carriedInbox = [];
    const snapshot = JSON.stringify({ ...record, lastUpdatedTime: undefined });
    const changed = snapshot !== inst.persisted || terminal;
    // The history is committed: the scheduled work can start now. The instance row (status, custom
    // status) is written afterwards, still within the episode so that its writes stay in order; a lost
    // row write is repaired from history at start-up. A terminal row is written before anyone is told.
    if (!terminal) for (const e of toDispatch) this.dispatch(inst, e);
    if (changed) {
      try {
        await this.store.putInstance(record);
        inst.persisted = snapshot;
      } catch (e) {
        // Work is already under way: a failed row write must not reload the instance (that would start
        // it twice). The row is written again by the next episode.
        if (terminal) throw e;
        this.log('warning', `durable: status row of ${record.instanceId} not written: ${String(e)}`);
      }
    }

    if (terminal) {
      this.live.delete(record.instanceId);
      this.timers.cancelPrefix(`${record.instanceId}|`);
      this.notifyParent(record, terminal);
      const waiters = this.completionWaiters.get(record.instanceId) ?? [];
      this.completionWaiters.delete(record.instanceId);
      for (const w of waiters) w();
    }
  }

  private finishRecord(inst: Instance, terminal: HistoryEvent): void {
    const { record } = inst;
    record.runtimeStatus =
      terminal.EventType === EventType.ExecutionCompleted
        ? 'Completed'
        : terminal.EventType === EventType.ExecutionFailed
          ? 'Failed'
          : 'Terminated';
    if (terminal.Result !== undefined) record.output = terminal.Result;
    else delete record.output;
  }

  // ---- side effects ------------------------------------------------------------------------------------

  /**
   * Where a message to an orchestration goes through the control queue. With queue polling modelled, a
   * message this engine sends (`worker`: activity results, sub-orchestration outcomes) wakes the poller
   * as on Azure; a client's (another instance on Flex Consumption) and a timer's wait for its next poll.
   */
  private toControlQueue(from: 'worker' | 'client' | 'timer', deliver: () => void): void {
    const q = this.opts.controlQueuePolling;
    if (!q) deliver();
    else if (from === 'worker') q.wake(deliver);
    else q.add(deliver);
  }

  private deliver(
    instanceId: string,
    executionId: string,
    e: HistoryEvent,
    from: 'worker' | 'timer' = 'worker',
  ): void {
    this.toControlQueue(from, () => this.deliverNow(instanceId, executionId, e));
  }

  private deliverNow(instanceId: string, executionId: string, e: HistoryEvent): void {
    const inst = this.live.get(instanceId);
    if (!inst || inst.record.executionId !== executionId) return;
    inst.mailbox.push({ kind: 'event', event: e });
    this.schedule(inst);
  }

  private dispatch(inst: Instance, e: HistoryEvent): void {
    const { instanceId, executionId } = inst.record;
    switch (e.EventType) {
      case EventType.TaskScheduled:
        this.background(
          this.activities
            .run(e, inst.state.started?.ParentTraceContext?.TraceParent)
            .then((done) => this.deliver(instanceId, executionId, done)),
        );
        break;
      case EventType.TimerCreated:
        if (e._canceled) break;
        this.timers.arm(`${instanceId}|${e.EventId}`, new Date(e.FireAt!), () =>
          this.deliver(
            instanceId,
            executionId,
            event(EventType.TimerFired, { TimerId: e.EventId, FireAt: e.FireAt }),
            'timer',
          ),
        );
        break;
      case EventType.SubOrchestrationInstanceCreated:
        this.background(this.startChild(inst, e));
        break;
      default:
        break;
    }
  }

  private async startChild(parent: Instance, e: HistoryEvent): Promise<void> {
    const { instanceId: parentId, executionId } = parent.record;
    const childId = e.InstanceId!;
    const fail = (message: string) =>
      this.deliver(
        parentId,
        executionId,
        event(EventType.SubOrchestrationInstanceFailed, {
          TaskScheduledId: e.EventId,
          Reason: message,
          FailureDetails: { ErrorType: 'SubOrchestrationFailed', ErrorMessage: message },
        }),
      );
    const name = this.registeredName(e.Name ?? '', 'orchestrationTrigger');
    if (!name)
      return fail(`The function '${e.Name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    this.watchers.set(childId, { parentId, taskId: e.EventId });
    const existing = await this.getRecord(childId);
    if (
      existing &&
      existing.parentInstanceId === parentId &&
      existing.createdTime.getTime() >= Date.parse(e.Timestamp)
    ) {
      // Created before a restart: it is running (and will report) or has already finished.
      if (isTerminal(existing.runtimeStatus)) this.notifyParent(existing, undefined);
      return;
    }
    try {
      await this.create(childId, name, e.Input, e.Version, {
        instanceId: parentId,
        name: parent.record.name,
        taskId: e.EventId,
      });
    } catch (err) {
      this.watchers.delete(childId);
      fail(err instanceof Error ? err.message : String(err));
    }
  }

  private notifyParent(child: InstanceRecord, terminal: HistoryEvent | undefined): void {
    const w = this.watchers.get(child.instanceId);
    if (!w) return;
    const parent = this.live.get(w.parentId);
    if (!parent) return;
    this.watchers.delete(child.instanceId);
    let e: HistoryEvent;
    if (child.runtimeStatus === 'Completed') {
      e = event(EventType.SubOrchestrationInstanceCompleted, {
        TaskScheduledId: w.taskId,
        Result: child.output ?? 'null',
      });
    } else {
      const message =
        child.runtimeStatus === 'Terminated'
          ? `Sub-orchestration '${child.instanceId}' was terminated: ${String(parseJsonText(child.output))}`
          : String(terminal?.Reason ?? parseJsonText(child.output));
      e = event(EventType.SubOrchestrationInstanceFailed, {
        TaskScheduledId: w.taskId,
        Reason: message,
        Details: terminal?.Details,
        FailureDetails: terminal?.FailureDetails ?? {
          ErrorType: 'SubOrchestrationFailed',
          ErrorMessage: message,
        },
      });
    }
    this.deliver(parent.record.instanceId, parent.record.executionId, e);
  }

  private log(level: 'error' | 'warning' | 'information', message: string): void {
    this.opts.host.log(level, message);
  }

  /** Waits for in-flight work (tests and benchmarks), then stops timers. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.timers.dispose();
    this.opts.controlQueuePolling?.dispose();
    await this.episodes.idle();
  }
}
