// History events in the shape durable-functions v3 reads them (the Durable extension's out-of-process
// protocol: PascalCase fields, numeric EventType, ISO Timestamp). The engine keeps, persists and replays
// exactly these objects; a few extra fields starting with `_` are the engine's own bookkeeping (the SDK
// ignores unknown fields) and are stripped from what the status API shows.

export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/** FailureDetails as durable-functions reads them (`taskFailedErrorFromWireDto`). */
export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
  InnerFailure?: FailureDetails;
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetails;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  Version?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: { Name: string; OrchestrationInstance: { InstanceId: string }; TaskScheduleId: number };
  /** ExecutionStarted: the W3C trace context of the client that started the instance. */
  ParentTraceContext?: { TraceParent: string };
  OrchestrationStatus?: string;
  /** Engine bookkeeping: the root EventId of a retry chain this event belongs to. */
  _retryOf?: number;
  /** Engine bookkeeping: retry options of a *WithRetry root event. */
  _retry?: RetryPolicy;
  /** Engine bookkeeping: a timer the orchestrator cancelled before it was armed. */
  _canceled?: boolean;
}

export interface RetryPolicy {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export function event(type: EventType, fields: Partial<HistoryEvent> = {}, now = new Date()): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: now.toISOString(), ...fields };
}

/** Serialises a value the way the extension stores payloads (JSON text; undefined stays absent). */
export function toJsonText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

export function parseJsonText(text: string | undefined): unknown {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * History as the status API shows it (`showHistory=true`), following the extension: orchestrator
 * episode markers dropped, scheduling events folded into their completions (FunctionName,
 * ScheduledTime), payloads only with `showHistoryOutput=true`.
 */
export function historyForStatus(history: readonly HistoryEvent[], showOutput: boolean): unknown[] {
  const scheduled = new Map<number, HistoryEvent>();
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    const type = EventType[e.EventType];
    switch (e.EventType) {
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        continue;
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(e.EventId, e);
        continue;
      case EventType.TimerCreated:
        continue;
      case EventType.ExecutionStarted:
        out.push({
          EventType: type,
          Timestamp: e.Timestamp,
          FunctionName: e.Name,
          ...(showOutput ? { Input: parseJsonText(e.Input) } : {}),
        });
        continue;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = scheduled.get(e.TaskScheduledId ?? -1);
        const row: Record<string, unknown> = {
          EventType: type,
          EventId: e.EventId,
          FunctionName: s?.Name,
          ScheduledTime: s?.Timestamp,
          Timestamp: e.Timestamp,
        };
        if (s?.InstanceId) row.InstanceId = s.InstanceId;
        if (showOutput && e.Result !== undefined) row.Result = parseJsonText(e.Result);
        if (e.Reason !== undefined) row.Reason = e.Reason;
        if (showOutput && e.Details !== undefined) row.Details = e.Details;
        if (e.FailureDetails) row.FailureDetails = e.FailureDetails;
        out.push(row);
        continue;
      }
      case EventType.TimerFired:
        out.push({ EventType: type, TimerId: e.TimerId, FireAt: e.FireAt, Timestamp: e.Timestamp });
        continue;
      case EventType.EventRaised:
        out.push({
          EventType: type,
          Name: e.Name,
          Timestamp: e.Timestamp,
          ...(showOutput ? { Input: parseJsonText(e.Input) } : {}),
        });
        continue;
      case EventType.ExecutionCompleted:
      case EventType.ExecutionFailed:
      case EventType.ExecutionTerminated:
        out.push({
          EventType: type,
          OrchestrationStatus: e.OrchestrationStatus,
          Timestamp: e.Timestamp,
          ...(showOutput && e.Result !== undefined ? { Result: parseJsonText(e.Result) } : {}),
          ...(e.FailureDetails ? { FailureDetails: e.FailureDetails } : {}),
        });
        continue;
      default:
        out.push({ EventType: type, Timestamp: e.Timestamp, ...(e.Reason ? { Reason: e.Reason } : {}) });
    }
  }
  return out;
}
