// The actions an orchestrator returns (durable-functions `IAction`s, as JSON), flattened in the order the
// SDK assigns sequence numbers to them, and the checks that make replay deterministic.
import { EventType, type HistoryEvent, type RetryPolicy } from './history';

export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface Action {
  actionType: ActionType;
  functionName?: string;
  /** Activity and continue-as-new inputs: a string is JSON text already (`Utils.processInput`). */
  input?: unknown;
  retryOptions?: RetryPolicy;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
}

/** The orchestrator state durable-functions returns (`OrchestratorState`). */
export interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: unknown;
}

/** Leaf actions in sequence-number order (depth-first through Task.all / Task.any). */
export function flattenActions(state: OrchestratorState): Action[] {
  const out: Action[] = [];
  const visit = (a: Action) => {
    if (a.actionType === ActionType.WhenAll || a.actionType === ActionType.WhenAny) {
      for (const c of a.compoundActions ?? []) visit(c);
    } else out.push(a);
  };
  for (const group of state.actions ?? []) for (const a of group ?? []) visit(a);
  return out;
}

/** Actions that take a sequence number and leave a scheduling event in history. */
export function isScheduling(a: Action): boolean {
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
    case ActionType.CreateTimer:
      return true;
    default:
      return false;
  }
}

export function unsupportedAction(a: Action): string | undefined {
  switch (a.actionType) {
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
    case ActionType.LockEntities:
    case ActionType.ReleaseEntities:
      return `${ActionType[a.actionType]} (durable entities are not supported by the local durable engine)`;
    case ActionType.CallHttp:
      return 'CallHttp (durable HTTP calls are not supported by the local durable engine; call HTTP from an activity)';
    default:
      return undefined;
  }
}

/** The JSON text of an activity / continue-as-new input, as the extension stores it. */
export function processedInputText(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return typeof input === 'string' ? input : JSON.stringify(input);
}

function describeEvent(e: HistoryEvent): string {
  switch (e.EventType) {
    case EventType.TaskScheduled:
      return `an activity task named '${e.Name}'`;
    case EventType.SubOrchestrationInstanceCreated:
      return `a sub-orchestration named '${e.Name}'`;
    case EventType.TimerCreated:
      return 'a durable timer';
    default:
      return `an event of type ${EventType[e.EventType]}`;
  }
}

export function describeAction(a: Action): string {
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return `an activity task named '${a.functionName}'`;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return `a sub-orchestration named '${a.functionName}'`;
    case ActionType.CreateTimer:
      return 'a durable timer';
    default:
      return `a ${ActionType[a.actionType]} action`;
  }
}

/** Does a replayed action match the scheduling event history recorded for it? */
export function matches(a: Action, e: HistoryEvent): boolean {
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return e.EventType === EventType.TaskScheduled && e.Name === a.functionName;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return e.EventType === EventType.SubOrchestrationInstanceCreated && e.Name === a.functionName;
    case ActionType.CreateTimer:
      return e.EventType === EventType.TimerCreated;
    default:
      return false;
  }
}

export function nonDeterminismMessage(
  seq: number,
  recorded: HistoryEvent | undefined,
  replayed: Action | undefined,
) {
  const prefix = 'Non-Deterministic workflow detected: ';
  const suffix =
    ' Was a change made to the orchestrator code after this instance had already started running?';
  if (recorded && replayed) {
    return (
      `${prefix}A previous execution of this orchestration scheduled ${describeEvent(recorded)} with sequence ID ` +
      `${seq}, but the current replay execution scheduled ${describeAction(replayed)} instead.${suffix}`
    );
  }
  if (recorded) {
    return (
      `${prefix}A previous execution of this orchestration scheduled ${describeEvent(recorded)} with sequence ID ` +
      `${seq}, but the current replay execution hasn't (yet?) scheduled this task.${suffix}`
    );
  }
  return `${prefix}The replay execution scheduled ${describeAction(replayed!)} that history does not contain.${suffix}`;
}
