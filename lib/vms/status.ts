// The VM status state machine, read off the operations table (operations.ts). A command is accepted
// only from the statuses listed for it (409 otherwise); while a command runs the VM sits in its
// transitional status, so at most one orchestration works on a VM at any time.
import {
  operation,
  type PendingStatus,
  STABLE_STATUSES,
  type StableStatus,
  VM_COMMANDS,
  VM_OPERATIONS,
  type VmCommandKind,
} from './operations';

export { POWER_COMMANDS, type PowerCommand, VM_COMMANDS, type VmCommandKind } from './operations';

/** A create moves on from `queued` to `provisioning` once its orchestration has begun. */
const PROVISIONING = 'provisioning';

export type VmStatus = StableStatus | PendingStatus | typeof PROVISIONING;

const TRANSITIONAL: readonly VmStatus[] = [
  ...new Set<VmStatus>([...VM_COMMANDS.map((k) => VM_OPERATIONS[k].pending), PROVISIONING]),
];

export const VM_STATUSES: readonly VmStatus[] = [
  VM_OPERATIONS.create.pending,
  PROVISIONING,
  ...TRANSITIONAL.filter((s) => s !== VM_OPERATIONS.create.pending && s !== PROVISIONING),
  ...STABLE_STATUSES,
];

export interface Transition {
  /** Statuses the command is accepted from. */
  from: readonly VmStatus[];
  /** Status recorded when the command is accepted. */
  pending: VmStatus;
  /** Status once the orchestration succeeds. */
  done: VmStatus;
}

export const transition = (command: VmCommandKind): Transition => {
  const o = operation(command);
  return { from: o.from, pending: o.pending as VmStatus, done: o.done };
};

export const canApply = (command: VmCommandKind, status: VmStatus): boolean =>
  transition(command).from.includes(status);

/** Statuses in which an orchestration is (or is about to be) working on the VM. */
export const isTransitional = (s: VmStatus): boolean => TRANSITIONAL.includes(s);
