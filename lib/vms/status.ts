// The VM status state machine. A command is accepted only from the statuses listed for it (409
// otherwise); while a command runs the VM sits in its transitional status, so at most one
// orchestration works on a VM at any time.

export const VM_STATUSES = [
  'queued',
  'provisioning',
  'running',
  'starting',
  'stopping',
  'stopped',
  'restarting',
  'deallocating',
  'deallocated',
  'deleting',
  'deleted',
  'failed',
] as const;
export type VmStatus = (typeof VM_STATUSES)[number];

export const VM_COMMANDS = ['create', 'delete', 'start', 'stop', 'restart', 'deallocate'] as const;
export type VmCommandKind = (typeof VM_COMMANDS)[number];
export type PowerCommand = 'start' | 'stop' | 'restart' | 'deallocate';

interface Transition {
  /** Statuses the command is accepted from. */
  from: readonly VmStatus[];
  /** Status recorded when the command is accepted. */
  pending: VmStatus;
  /** Status once the orchestration succeeds. */
  done: VmStatus;
}

export const TRANSITIONS: Readonly<Record<VmCommandKind, Transition>> = {
  // A new record, or a name whose VM was deleted.
  create: { from: ['deleted'], pending: 'queued', done: 'running' },
  delete: { from: ['running', 'stopped', 'deallocated', 'failed'], pending: 'deleting', done: 'deleted' },
  start: { from: ['stopped', 'deallocated'], pending: 'starting', done: 'running' },
  stop: { from: ['running'], pending: 'stopping', done: 'stopped' },
  restart: { from: ['running'], pending: 'restarting', done: 'running' },
  deallocate: { from: ['running', 'stopped'], pending: 'deallocating', done: 'deallocated' },
};

export const canApply = (command: VmCommandKind, status: VmStatus): boolean =>
  TRANSITIONS[command].from.includes(status);

/** Statuses in which an orchestration is (or is about to be) working on the VM. */
export const isTransitional = (s: VmStatus): boolean =>
  ['queued', 'provisioning', 'starting', 'stopping', 'restarting', 'deallocating', 'deleting'].includes(s);
