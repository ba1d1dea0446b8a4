// An operation's progress as an immutable value: its steps, the step in progress, the error, and the
// lifecycle events not yet written. Orchestrators change it only through `reduce` (pure: the same
// history gives the same value on every replay) and keep two values apart: the progress the record
// holds (what the custom status shows) and a proposed next one that an activity writes. The proposal is
// adopted only when the activity says it wrote it, so nothing claims a step that has not happened, and
// an event leaves `pending` only when a write that carried it succeeded (a failed or merged write loses
// none: the next write carries it again; its dedupe key keeps a retried write from appending it twice).
import type { ProgressEvent, ProgressUpdate } from '../vms/progress';
import type { ArmErrorInfo, Provisioning, ProvisioningStep } from '../vms/record';

export interface Progress {
  readonly step: string | null;
  readonly steps: readonly Readonly<ProvisioningStep>[];
  readonly error?: ArmErrorInfo;
  /** Events of changes already made, not yet written (in order). */
  readonly pending: readonly ProgressEvent[];
}

export type ProgressAction =
  /** Steps begun together (in parallel): the current step is their names joined with '+'. */
  | { type: 'start'; names: readonly string[]; at: string }
  /** A running step ended; a succeeded step emits `stepCompleted`. A step not running: no change. */
  | { type: 'end'; name: string; status: 'succeeded' | 'failed'; at: string }
  /** Every running step ended as failed (the operation is giving up). */
  | { type: 'abandon'; at: string }
  | { type: 'event'; event: ProgressEvent }
  /** No step in progress any more (the operation has ended). */
  | { type: 'idle' }
  | { type: 'fail'; error: ArmErrorInfo };

export const initialProgress: Progress = { step: null, steps: [], pending: [] };

function endStep(p: Progress, name: string, status: 'succeeded' | 'failed', at: string): Progress {
  const i = p.steps.findIndex((s) => s.name === name && s.status === 'running');
  if (i < 0) return p;
  const ended: ProvisioningStep = { ...p.steps[i]!, status, endedAt: at };
  const steps = p.steps.map((s, k) => (k === i ? ended : s));
  const pending =
    status === 'succeeded'
      ? [...p.pending, { kind: 'stepCompleted' as const, key: `step/${name}`, data: { ...ended } }]
      : p.pending;
  return { ...p, steps, pending };
}

export function reduce(p: Progress, a: ProgressAction): Progress {
  switch (a.type) {
    case 'start':
      return {
        ...p,
        steps: [
          ...p.steps,
          ...a.names.map((name) => ({ name, status: 'running' as const, startedAt: a.at })),
        ],
        step: a.names.join('+'),
      };
    case 'end':
      return endStep(p, a.name, a.status, a.at);
    case 'abandon':
      return p.steps
        .filter((s) => s.status === 'running')
        .reduce((q, s) => endStep(q, s.name, 'failed', a.at), p);
    case 'event':
      return { ...p, pending: [...p.pending, a.event] };
    case 'idle':
      return { ...p, step: null };
    case 'fail':
      return { ...p, error: a.error };
  }
}

/** The actions applied in order. */
export const applyAll = (p: Progress, actions: readonly ProgressAction[]): Progress =>
  actions.reduce(reduce, p);

/** What the record keeps of it. */
export function provisioningOf(p: Progress): Provisioning {
  return {
    step: p.step,
    steps: p.steps.map((s) => ({ ...s })),
    ...(p.error ? { error: p.error } : {}),
  };
}

/** Who writes, and when (orchestration time). */
export interface WriteContext {
  name: string;
  seq: number;
  instanceId: string;
  at: string;
}

export type WriteExtra = Partial<Pick<ProgressUpdate, 'status' | 'publicIp' | 'privateIp'>>;

/** The record write that makes `p` the record's progress, with every pending event. */
export function writeOf(p: Progress, ctx: WriteContext, extra: WriteExtra = {}): ProgressUpdate {
  return {
    name: ctx.name,
    seq: ctx.seq,
    instanceId: ctx.instanceId,
    at: ctx.at,
    provisioning: provisioningOf(p),
    events: p.pending.map((e) => ({ ...e })),
    ...extra,
  };
}

/**
 * `p` after `write` succeeded: the events it carried are written (by key: events added to `p` since the
 * write was made stay pending).
 */
export function written(p: Progress, write: ProgressUpdate): Progress {
  const done = new Set((write.events ?? []).map((e) => e.key));
  return { ...p, pending: p.pending.filter((e) => !done.has(e.key)) };
}

/** The orchestration's custom status: the record's progress, never a proposal not yet written. */
export function customStatusOf(p: Progress, operation: string, seq: number) {
  return { operation, seq, ...provisioningOf(p) };
}
