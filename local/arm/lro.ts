// Long-running operations as ARM runs them: the first response is 201/202 with Azure-AsyncOperation
// (status resource), Location (result resource, for DELETE and POST actions) and Retry-After; the work
// completes after `lroMs`. A poll arriving a second or less before completion is held until it completes,
// and Retry-After is the whole seconds after which a poll lands there: a client that honours it finishes
// any operation in one poll, seen as it completes, while demo-length ones are polled at the pace Azure sets.
import { randomUUID } from 'node:crypto';

import { supportedApiVersions } from './apiVersions';
import type { ArmErrorBody } from './errors';
import type { Task } from './tasks';

export type Provider = 'Microsoft.Compute' | 'Microsoft.Network' | 'Microsoft.Resources';
export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface Operation {
  id: string;
  provider: Provider;
  subscriptionId: string;
  location: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  error?: ArmErrorBody;
  completesAt: number;
  /** What completing does, as data, so that an operation in flight survives a restart. */
  task: Task;
  done: Promise<void>;
}

/** An operation as persisted (no promise). */
export type OperationData = Omit<Operation, 'done'>;

/** Applies a task when its operation completes; an error body makes the operation fail. */
export type TaskRunner = (task: Task, opId: string) => Promise<ArmErrorBody | void>;

export interface StartOperation {
  provider: Provider;
  subscriptionId: string;
  location: string;
  durationMs?: number;
  task: Task;
}

const HOLD_POLL_UNDER_MS = 1000;
/** Finished operations are kept (and persisted) this long for late pollers, as ARM keeps them a while. */
const KEEP_FINISHED_MS = 24 * 3600_000;

export class Operations {
  private readonly ops = new Map<string, Operation>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly lroMs: number,
    private readonly run: TaskRunner,
    private readonly onError: (e: unknown) => void,
    /** Called after each operation completes (to persist the change). */
    private readonly onSettled: () => void = () => undefined,
  ) {}

  start(s: StartOperation): Operation {
    const durationMs = s.durationMs ?? this.lroMs;
    return this.schedule({
      id: randomUUID(),
      provider: s.provider,
      subscriptionId: s.subscriptionId,
      location: s.location,
      status: 'InProgress',
      startTime: new Date().toISOString(),
      completesAt: Date.now() + durationMs,
      task: s.task,
    });
  }

  /** Takes back persisted operations: finished ones answer polls, running ones resume their remaining time. */
  restore(list: OperationData[]): void {
    for (const data of list) {
      if (data.status === 'InProgress') this.schedule(data);
      else this.ops.set(data.id, { ...data, done: Promise.resolve() });
    }
  }

  /** Persistable copies, dropping operations finished long ago. */
  toData(now = Date.now()): OperationData[] {
    const out: OperationData[] = [];
    for (const [id, op] of this.ops) {
      if (op.endTime && now - Date.parse(op.endTime) > KEEP_FINISHED_MS) {
        this.ops.delete(id);
        continue;
      }
      const { done: _done, ...data } = op;
      out.push(data);
    }
    return out;
  }

  private schedule(data: OperationData): Operation {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const op: Operation = { ...data, done };
    this.ops.set(op.id, op);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void (async () => {
          try {
            const error = await this.run(op.task, op.id);
            op.status = error ? 'Failed' : 'Succeeded';
            if (error) op.error = error;
          } catch (e) {
            op.status = 'Failed';
            op.error = {
              code: 'InternalServerError',
              message: 'The emulator failed to complete the operation.',
            };
            this.onError(e);
          } finally {
            op.endTime = new Date().toISOString();
            resolve();
            this.onSettled();
          }
        })();
      },
      Math.max(0, op.completesAt - Date.now()),
    );
    this.timers.add(timer);
    return op;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  /** Waits for an operation that is about to complete, so that one poll sees the result. */
  async settle(op: Operation): Promise<void> {
    if (op.status === 'InProgress' && op.completesAt - Date.now() <= HOLD_POLL_UNDER_MS) await op.done;
  }

  /** The whole seconds after which a poll lands within the hold window (at most 1 s before the end). */
  retryAfterSeconds(op: Operation): number {
    return Math.max(0, Math.ceil((op.completesAt - Date.now()) / 1000) - 1);
  }

  /** Headers of the first response: `kind` put → Azure-AsyncOperation only; delete/action → both. */
  headers(endpoint: string, op: Operation, kind: 'put' | 'delete' | 'action'): Record<string, string> {
    const h: Record<string, string> = { 'Retry-After': String(this.retryAfterSeconds(op)) };
    const asyncUrl = this.asyncOperationUrl(endpoint, op);
    if (asyncUrl) h['Azure-AsyncOperation'] = asyncUrl;
    if (kind !== 'put') h['Location'] = this.locationUrl(endpoint, op);
    return h;
  }

  asyncOperationUrl(endpoint: string, op: Operation): string | undefined {
    const base = `${endpoint}/subscriptions/${op.subscriptionId}/providers/${op.provider}/locations/${op.location}`;
    const v = supportedApiVersions(op.provider)[0];
    if (op.provider === 'Microsoft.Compute')
      return `${base}/operations/${op.id}?p=${randomUUID()}&api-version=${v}`;
    if (op.provider === 'Microsoft.Network') return `${base}/operations/${op.id}?api-version=${v}`;
    return undefined; // resource group deletion is polled through Location only
  }

  locationUrl(endpoint: string, op: Operation): string {
    const v = supportedApiVersions(op.provider)[0];
    const sub = `${endpoint}/subscriptions/${op.subscriptionId}`;
    if (op.provider === 'Microsoft.Compute') {
      return `${sub}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${randomUUID()}&monitor=true&api-version=${v}`;
    }
    if (op.provider === 'Microsoft.Network') {
      return `${sub}/providers/Microsoft.Network/locations/${op.location}/operationResults/${op.id}?api-version=${v}`;
    }
    return `${sub}/operationresults/${op.id}?api-version=${v}`;
  }

  /** The status resource (Azure-AsyncOperation) body. */
  statusBody(op: Operation): Record<string, unknown> {
    return {
      name: op.id,
      status: op.status,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      ...(op.error ? { error: op.error } : {}),
    };
  }

  reset(): void {
    this.dispose();
    this.ops.clear();
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
