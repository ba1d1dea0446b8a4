// One replay episode through the app's registered orchestrator: the host invokes it with the binding data
// the Durable extension sends (history, input, instance id, schema version), and durable-functions
// answers with its OrchestratorState, either as the return value or, when the orchestrator threw, inside
// the error message after `$OutOfProcData$:` (OrchestrationFailureError).
import type { HostApi, RpcTypedData } from '../host/types';
import type { OrchestratorState } from './actions';
import type { HistoryEvent } from './history';

/** The out-of-process replay schema this engine speaks: V2 (nested Task.all/any actions, no long timers). */
export const UPPER_SCHEMA_VERSION = 1;
export const SCHEMA_NAME = 'V2';

export interface ReplayRequest {
  functionName: string;
  instanceId: string;
  parentInstanceId?: string;
  input: unknown;
  /** Events of earlier episodes (replayed) followed by the new ones. */
  history: readonly HistoryEvent[];
  newEventsFrom: number;
}

export type ReplayOutcome =
  | { kind: 'state'; state: OrchestratorState }
  | { kind: 'failed'; state?: OrchestratorState; message: string; stack?: string };

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

export async function replay(host: HostApi, req: ReplayRequest): Promise<ReplayOutcome> {
  const history = req.history.map((e, i) => (i < req.newEventsFrom ? { ...e, IsPlayed: true } : e));
  const binding = {
    history,
    input: req.input,
    instanceId: req.instanceId,
    isReplaying: req.newEventsFrom > 0,
    parentInstanceId: req.parentInstanceId,
    upperSchemaVersion: UPPER_SCHEMA_VERSION,
  };
  let returnValue: RpcTypedData | undefined;
  try {
    const result = await host.invoke({
      functionName: req.functionName,
      triggerData: { json: JSON.stringify(binding) },
    });
    returnValue = result.returnValue;
  } catch (thrown) {
    return failure(thrown);
  }
  const state = readTyped(returnValue) as OrchestratorState | undefined;
  if (!state || typeof state !== 'object' || !Array.isArray(state.actions)) {
    return {
      kind: 'failed',
      message: `Orchestrator function '${req.functionName}' returned no orchestrator state.`,
    };
  }
  return { kind: 'state', state };
}

function failure(thrown: unknown): ReplayOutcome {
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  const at = err.message.indexOf(OUT_OF_PROC_LABEL);
  if (at >= 0) {
    const message = err.message.slice(0, at);
    try {
      const state = JSON.parse(err.message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorState;
      return { kind: 'failed', state, message: state.error ?? message, stack: err.stack };
    } catch {
      return { kind: 'failed', message, stack: err.stack };
    }
  }
  return { kind: 'failed', message: err.message, stack: err.stack };
}

/** Decodes worker typed data into a JS value. */
export function readTyped(data: RpcTypedData | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined) return JSON.parse(data.json);
  if (data.string !== undefined) return data.string;
  if (data.int !== undefined) return Number(data.int);
  if (data.double !== undefined) return Number(data.double);
  if (data.bytes !== undefined) return Buffer.from(data.bytes).toString('base64');
  if (data.collectionString) return data.collectionString.string;
  return undefined;
}
