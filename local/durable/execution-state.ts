// What an execution's history implies, rebuilt event by event (on load, and as the engine appends):
// the next sequence number, the scheduling events that came straight from orchestrator actions (to check
// replays against), the work still outstanding, and the state of each retry chain.
import { EventType, type HistoryEvent, type RetryPolicy } from './history';

export interface RetryChain {
  rootId: number;
  kind: 'activity' | 'suborchestration';
  policy: RetryPolicy;
  /** Milliseconds since the epoch of the first attempt. */
  firstAttemptAt: number;
  failures: number;
  /** EventId of the attempt in flight, or of the last attempt. */
  currentId: number;
  /** The retry timer being waited on. */
  timerId?: number;
  lastFailure?: HistoryEvent;
  /** The template of every attempt (name, input, instance id). */
  scheduled: HistoryEvent;
}

export class ExecutionState {
  nextSeq = 0;
  readonly roots: HistoryEvent[] = [];
  readonly pendingTasks = new Map<number, HistoryEvent>();
  readonly pendingTimers = new Map<number, HistoryEvent>();
  readonly pendingSubOrchestrations = new Map<number, HistoryEvent>();
  readonly retries = new Map<number, RetryChain>();
  /** Retry chain by the EventId of an attempt or retry timer. */
  private readonly chainOf = new Map<number, RetryChain>();
  started?: HistoryEvent;
  terminal?: HistoryEvent;
  suspended = false;

  static from(history: readonly HistoryEvent[]): ExecutionState {
    const s = new ExecutionState();
    for (const e of history) s.apply(e);
    return s;
  }

  chainFor(eventId: number | undefined): RetryChain | undefined {
    return eventId === undefined ? undefined : this.chainOf.get(eventId);
  }

  apply(e: HistoryEvent): void {
    switch (e.EventType) {
      case EventType.ExecutionStarted:
        this.started = e;
        break;
      case EventType.ExecutionCompleted:
      case EventType.ExecutionFailed:
      case EventType.ExecutionTerminated:
        this.terminal = e;
        break;
      case EventType.ExecutionSuspended:
        this.suspended = true;
        break;
      case EventType.ExecutionResumed:
        this.suspended = false;
        break;
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        this.scheduled(e);
        break;
      case EventType.TimerCreated:
        this.nextSeq = Math.max(this.nextSeq, e.EventId + 1);
        this.pendingTimers.set(e.EventId, e);
        if (e._retryOf !== undefined) {
          const chain = this.retries.get(e._retryOf);
          if (chain) {
            chain.timerId = e.EventId;
            this.chainOf.set(e.EventId, chain);
          }
        } else this.roots.push(e);
        break;
      case EventType.TimerFired: {
        this.pendingTimers.delete(e.TimerId ?? -1);
        const chain = this.chainFor(e.TimerId);
        if (chain && chain.timerId === e.TimerId) {
          chain.timerId = undefined;
          if (chain.failures >= chain.policy.maxNumberOfAttempts) this.retries.delete(chain.rootId);
        }
        break;
      }
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
        this.pendingTasks.delete(e.TaskScheduledId ?? -1);
        this.completed(e);
        break;
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
        this.pendingSubOrchestrations.delete(e.TaskScheduledId ?? -1);
        this.completed(e);
        break;
      default:
        break;
    }
  }

  private scheduled(e: HistoryEvent): void {
    this.nextSeq = Math.max(this.nextSeq, e.EventId + 1);
    const pending =
      e.EventType === EventType.TaskScheduled ? this.pendingTasks : this.pendingSubOrchestrations;
    pending.set(e.EventId, e);
    if (e._retryOf !== undefined) {
      const chain = this.retries.get(e._retryOf);
      if (chain) {
        chain.currentId = e.EventId;
        this.chainOf.set(e.EventId, chain);
      }
      return;
    }
    this.roots.push(e);
    if (e._retry) {
      const chain: RetryChain = {
        rootId: e.EventId,
        kind: e.EventType === EventType.TaskScheduled ? 'activity' : 'suborchestration',
        policy: e._retry,
        firstAttemptAt: Date.parse(e.Timestamp),
        failures: 0,
        currentId: e.EventId,
        scheduled: e,
      };
      this.retries.set(e.EventId, chain);
      this.chainOf.set(e.EventId, chain);
    }
  }

  private completed(e: HistoryEvent): void {
    const chain = this.chainFor(e.TaskScheduledId);
    if (!chain || chain.currentId !== e.TaskScheduledId) return;
    const failed =
      e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed;
    if (failed) {
      chain.failures++;
      chain.lastFailure = e;
    } else this.retries.delete(chain.rootId);
  }
}
