// Runs activity functions through the host, at most maxConcurrentActivityFunctions at a time, and turns
// their outcome into the completion event the orchestrator replays (TaskCompleted / TaskFailed).
import type { HostApi, RpcTypedData } from '../host/types';
import { event, EventType, type FailureDetails, type HistoryEvent } from './history';
import { readTyped } from './replay';
import { WorkQueue } from './work-queue';

export class ActivityRunner {
  private readonly queue: WorkQueue;

  constructor(
    private readonly host: HostApi,
    maxConcurrent: number,
    private readonly isActivity: (name: string) => boolean,
  ) {
    this.queue = new WorkQueue(maxConcurrent);
  }

  /** Runs the activity a TaskScheduled event names and resolves with its completion event. */
  /** `traceParent`: the orchestration's parent trace context, given to the activity as the host does. */
  run(scheduled: HistoryEvent, traceParent?: string): Promise<HistoryEvent> {
    return this.queue.run(() => this.execute(scheduled, traceParent));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private async execute(scheduled: HistoryEvent, traceParent?: string): Promise<HistoryEvent> {
    const name = scheduled.Name ?? '';
    const taskId = scheduled.EventId;
    if (!this.isActivity(name)) {
      const message = `The function '${name}' doesn't exist, is disabled, or is not an activity function.`;
      return failed(taskId, name, { ErrorType: 'FunctionFailedException', ErrorMessage: message });
    }
    const triggerData: RpcTypedData = scheduled.Input === undefined ? {} : { json: scheduled.Input };
    try {
      const result = await this.host.invoke({
        functionName: name,
        triggerData,
        ...(traceParent ? { traceContext: { traceParent } } : {}),
      });
      return event(EventType.TaskCompleted, {
        TaskScheduledId: taskId,
        Result: resultText(result.returnValue),
      });
    } catch (thrown) {
      return failed(taskId, name, failureDetails(thrown));
    }
  }
}

function resultText(data: RpcTypedData | undefined): string {
  if (data?.json !== undefined) return data.json;
  const value = readTyped(data);
  return value === undefined ? 'null' : JSON.stringify(value);
}

function failed(taskId: number, name: string, details: FailureDetails): HistoryEvent {
  return event(EventType.TaskFailed, {
    TaskScheduledId: taskId,
    Reason: `Activity function '${name}' failed: ${details.ErrorMessage}`,
    Details: details.StackTrace,
    FailureDetails: details,
  });
}

/**
 * FailureDetails of a thrown error. When the app registered an exception properties provider,
 * durable-functions has already replaced the message with the serialised details (wrapActivityHandler).
 */
export function failureDetails(thrown: unknown): FailureDetails {
  const err =
    thrown instanceof Error
      ? thrown
      : new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
  const serialized = parseSerializedDetails(err.message);
  if (serialized) return serialized;
  const details: FailureDetails = { ErrorType: err.name || 'Error', ErrorMessage: err.message };
  if (err.stack) details.StackTrace = err.stack;
  return details;
}

function parseSerializedDetails(message: string): FailureDetails | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const p = JSON.parse(message) as Record<string, unknown>;
    if (typeof p.errorType !== 'string' || typeof p.errorMessage !== 'string') return undefined;
    const d: FailureDetails = { ErrorType: p.errorType, ErrorMessage: p.errorMessage };
    if (typeof p.stackTrace === 'string') d.StackTrace = p.stackTrace;
    if (typeof p.isNonRetriable === 'boolean') d.IsNonRetriable = p.isNonRetriable;
    if (p.properties && typeof p.properties === 'object')
      d.Properties = p.properties as Record<string, unknown>;
    return d;
  } catch {
    return undefined;
  }
}
