// VM names and the Azure names derived from them. A VM name is an RFC 1123 label in lowercase (as a
// Kubernetes name): it is a valid Azure Linux VM name and Linux host name as is, and since ARM compares
// names case-insensitively, one spelling per VM avoids two records for one resource group.
import { createHash } from 'node:crypto';

export const VM_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const VM_NAME_RULE =
  'lowercase letters, digits and hyphens, 1–63 characters, starting and ending with a letter or digit';

export const isVmName = (s: string): boolean => VM_NAME_PATTERN.test(s);

const RG_MAX = 90;

/**
 * The VM's resource group: `<prefix><name>`, shortened with a hash suffix when longer than ARM's 90
 * characters, so that two VM names never share a group.
 */
export function resourceGroupName(vmName: string, prefix: string): string {
  const full = `${prefix}${vmName}`;
  if (full.length <= RG_MAX) return full;
  const hash = createHash('sha256').update(vmName).digest('hex').slice(0, 8);
  return `${prefix}${vmName.slice(0, RG_MAX - prefix.length - 9)}-${hash}`;
}

/** The names of the resources created in the VM's group (fixed: the group is the VM's own). */
export function resourceNames(vmName: string) {
  return {
    virtualNetwork: `${vmName}-vnet`,
    subnet: 'default',
    networkSecurityGroup: `${vmName}-nsg`,
    publicIp: `${vmName}-ip`,
    networkInterface: `${vmName}-nic`,
    virtualMachine: vmName,
    osDisk: `${vmName}-osdisk`,
  };
}

/** Durable instance id for one command on one VM: `vm-<name>-<seq>` (seq increases per command). */
export const instanceIdFor = (vmName: string, seq: number): string => `vm-${vmName}-${seq}`;
