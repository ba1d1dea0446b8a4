// Lifecycle event types (CloudEvents `type`), subject = VM name.
export const EVENT_TYPES = {
  queued: 'vmjournal.vm.queued',
  provisioning: 'vmjournal.vm.provisioning',
  stepCompleted: 'vmjournal.vm.step.completed',
  ipAssigned: 'vmjournal.vm.ip.assigned',
  running: 'vmjournal.vm.running',
  powerChanged: 'vmjournal.vm.power.changed',
  failed: 'vmjournal.vm.failed',
  deleted: 'vmjournal.vm.deleted',
  /** The orphan sweep deleted a resource group no live VM accounts for (data: resourceGroup, reason). */
  orphanDeleted: 'vmjournal.vm.orphan.deleted',
} as const;

export type EventKind = keyof typeof EVENT_TYPES;
export type EventType = (typeof EVENT_TYPES)[EventKind];

export const EVENT_SOURCE = '/vm-journal/vms';
