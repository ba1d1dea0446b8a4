// A VM record as the API shows it, and the provisioning steps kept on it.
import type { VmStatus } from './status';

export type StepStatus = 'running' | 'succeeded' | 'failed';

export interface ProvisioningStep {
  name: string;
  status: StepStatus;
  startedAt: string;
  endedAt?: string;
}

export interface ArmErrorInfo {
  code: string;
  message: string;
  /** The ARM call that failed (step name). */
  step?: string;
}

export interface Provisioning {
  /** The step in progress (or the last one). */
  step: string | null;
  steps: ProvisioningStep[];
  error?: ArmErrorInfo;
}

export interface VmSpec {
  name: string;
  size: string | null;
  vmSize: string;
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
  region: string;
  image: string;
  sshPublicKey: string;
  adminUsername: string;
  resourceGroup: string;
}

export interface VmRecord extends VmSpec {
  status: VmStatus;
  publicIp: string | null;
  privateIp: string | null;
  createdAt: string;
  updatedAt: string;
  provisioning: Provisioning;
  /** Number of the last accepted command (orchestration instance ids derive from it). */
  seq: number;
  /** Request id of the last accepted command. */
  requestId: string;
  /** The last accepted command. */
  operation: string;
}

/** The VM's desired configuration (what an orchestration needs), without status and bookkeeping. */
export function specOf(r: VmRecord): VmSpec {
  return {
    name: r.name,
    size: r.size,
    vmSize: r.vmSize,
    cpu: r.cpu,
    memoryGiB: r.memoryGiB,
    diskGiB: r.diskGiB,
    region: r.region,
    image: r.image,
    sshPublicKey: r.sshPublicKey,
    adminUsername: r.adminUsername,
    resourceGroup: r.resourceGroup,
  };
}

/** The record as the API returns it (the SSH key is the caller's own; internal counters are omitted). */
export function toApiVm(r: VmRecord): Record<string, unknown> {
  return {
    name: r.name,
    status: r.status,
    size: r.size,
    vmSize: r.vmSize,
    cpu: r.cpu,
    memoryGiB: r.memoryGiB,
    diskGiB: r.diskGiB,
    region: r.region,
    image: r.image,
    adminUsername: r.adminUsername,
    resourceGroup: r.resourceGroup,
    publicIp: r.publicIp,
    privateIp: r.privateIp,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    operation: { name: r.operation, requestId: r.requestId },
    provisioning: r.provisioning,
  };
}
