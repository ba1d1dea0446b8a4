// The VM operations, one row each: which statuses a command is accepted from and which it moves the
// VM through, the HTTP route that asks for it, what the OpenAPI document says of it, the ARM operation
// it runs and the RBAC actions that needs. The status machine (status.ts), the routes (functions/vms.ts),
// the orchestrations (lib/provisioning/orchestrator.ts), the OpenAPI text (lib/openapi/vms.ts) and the
// role check (test/infra/role-coverage) all read this table: a new power operation is a new row.

/** Statuses a VM rests in between operations (an operation is accepted only from one of these). */
export const STABLE_STATUSES = ['running', 'stopped', 'deallocated', 'deleted', 'failed'] as const;
export type StableStatus = (typeof STABLE_STATUSES)[number];

/** A `virtualMachines` action of the compute SDK (a POST …/virtualMachines/{vm}/<action>, an LRO). */
export type VmAction = 'start' | 'powerOff' | 'restart' | 'deallocate' | 'redeploy';

interface OperationRow {
  /** Statuses the command is accepted from (409 otherwise). */
  from: readonly StableStatus[];
  /** Status recorded when the command is accepted, until the orchestration ends. */
  pending: string;
  /** Status once the orchestration succeeds. */
  done: StableStatus;
  http: {
    method: 'POST' | 'DELETE';
    /** Functions route (below /api). */
    route: string;
    /** Function name and OpenAPI operationId. */
    functionName: string;
    summary: string;
  };
  /** The VM action a power operation runs (one ARM step named after it). */
  vmAction?: VmAction;
  /**
   * ARM actions the operation performs, as the provisioning role must grant them (the linked access
   * checks and cascade deletes ARM makes on the way are added by test/infra/role-coverage).
   */
  rbac: readonly string[];
}

const vmAction = (action: VmAction) => `Microsoft.Compute/virtualMachines/${action}/action`;
const operationStatus = ['Microsoft.Compute/locations/operations/read'];

export const VM_OPERATIONS = {
  create: {
    // A new record, or a name whose VM was deleted.
    from: ['deleted'],
    pending: 'queued',
    done: 'running',
    http: { method: 'POST', route: 'vms', functionName: 'createVm', summary: 'Provision a VM' },
    rbac: [
      'Microsoft.Compute/skus/read',
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      'Microsoft.Network/virtualNetworks/write',
      'Microsoft.Network/networkSecurityGroups/write',
      'Microsoft.Network/publicIPAddresses/write',
      'Microsoft.Network/networkInterfaces/write',
      'Microsoft.Network/locations/operations/read',
      'Microsoft.Compute/virtualMachines/write',
      ...operationStatus,
      'Microsoft.Network/publicIPAddresses/read',
      'Microsoft.Network/networkInterfaces/read',
    ],
  },
  delete: {
    from: ['running', 'stopped', 'deallocated', 'failed'],
    pending: 'deleting',
    done: 'deleted',
    http: {
      method: 'DELETE',
      route: 'vms/{name}',
      functionName: 'deleteVm',
      summary: 'Delete the VM and everything created for it (its resource group)',
    },
    rbac: [
      'Microsoft.Resources/subscriptions/resourceGroups/delete',
      'Microsoft.Resources/subscriptions/operationresults/read',
    ],
  },
  start: {
    from: ['stopped', 'deallocated'],
    pending: 'starting',
    done: 'running',
    http: {
      method: 'POST',
      route: 'vms/{name}/start',
      functionName: 'startVm',
      summary: 'Start a stopped or deallocated VM',
    },
    vmAction: 'start',
    rbac: [vmAction('start'), ...operationStatus],
  },
  stop: {
    from: ['running'],
    pending: 'stopping',
    done: 'stopped',
    http: {
      method: 'POST',
      route: 'vms/{name}/stop',
      functionName: 'stopVm',
      summary: 'Power off (still billed)',
    },
    vmAction: 'powerOff',
    rbac: [vmAction('powerOff'), ...operationStatus],
  },
  restart: {
    from: ['running'],
    pending: 'restarting',
    done: 'running',
    http: { method: 'POST', route: 'vms/{name}/restart', functionName: 'restartVm', summary: 'Restart' },
    vmAction: 'restart',
    rbac: [vmAction('restart'), ...operationStatus],
  },
  deallocate: {
    from: ['running', 'stopped'],
    pending: 'deallocating',
    done: 'deallocated',
    http: {
      method: 'POST',
      route: 'vms/{name}/deallocate',
      functionName: 'deallocateVm',
      summary: 'Stop and release the compute',
    },
    vmAction: 'deallocate',
    rbac: [vmAction('deallocate'), ...operationStatus],
  },
  redeploy: {
    // Azure shuts the VM down, moves it to another host and powers it on (its addresses stay).
    from: ['running', 'stopped'],
    pending: 'redeploying',
    done: 'running',
    http: {
      method: 'POST',
      route: 'vms/{name}/redeploy',
      functionName: 'redeployVm',
      summary: 'Move the VM to another Azure host and power it on (for a VM its host cannot serve)',
    },
    vmAction: 'redeploy',
    rbac: [vmAction('redeploy'), ...operationStatus],
  },
} as const satisfies Record<string, OperationRow>;

export type VmCommandKind = keyof typeof VM_OPERATIONS;
export const VM_COMMANDS = Object.keys(VM_OPERATIONS) as [VmCommandKind, ...VmCommandKind[]];

/** A status an operation puts the VM in while it runs. */
export type PendingStatus = (typeof VM_OPERATIONS)[VmCommandKind]['pending'];

export type PowerCommand = {
  [K in VmCommandKind]: (typeof VM_OPERATIONS)[K] extends { vmAction: VmAction } ? K : never;
}[VmCommandKind];

export const POWER_COMMANDS = VM_COMMANDS.filter((k) => 'vmAction' in VM_OPERATIONS[k]) as PowerCommand[];

export const operation = (kind: VmCommandKind): OperationRow => VM_OPERATIONS[kind];

/** The VM action a power command runs. */
export const vmActionOf = (kind: PowerCommand): VmAction => VM_OPERATIONS[kind].vmAction;

/** What the orphan sweep (orphans.ts) needs besides: it lists the groups and deletes orphans. */
export const SWEEP_RBAC: readonly string[] = [
  'Microsoft.Resources/subscriptions/resourceGroups/read',
  'Microsoft.Resources/subscriptions/resourceGroups/delete',
];

/** Every ARM action the app performs (the provisioning role must grant each). */
export const OPERATION_RBAC_ACTIONS: readonly string[] = [
  ...new Set([...VM_COMMANDS.flatMap((k) => [...operation(k).rbac]), ...SWEEP_RBAC]),
].sort();
