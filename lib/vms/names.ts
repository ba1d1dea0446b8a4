// VM names and the Azure names derived from them. A VM name is an RFC 1123 label in lowercase (as a
// Kubernetes name): it is a valid Azure Linux VM name and Linux host name as is, and since ARM compares
// names case-insensitively, one spelling per VM avoids two records for one resource group.
import { createHash } from 'node:crypto';

export const VM_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const VM_NAME_RULE =
  'lowercase letters, digits and hyphens, 1–63 characters, starting and ending with a letter or digit';

export const isVmName = (s: string): boolean => VM_NAME_PATTERN.test(s);

/** The tag on every resource the app creates; its value is the VM name (the orphan sweep finds groups by it). */
export const VM_TAG = 'vm-journal';

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

/**
 * ARM's per-type name rules for what the app creates (Microsoft's "Naming rules and restrictions for
 * Azure resources"): network names are alphanumerics, `_`, `.`, `-`, starting alphanumeric and ending
 * alphanumeric or `_`; disks alphanumerics, `_`, `-`; a Linux VM / host name at most 64 characters.
 */
const NETWORK_CHARS = /^[A-Za-z0-9](?:[\w.-]*\w)?$/;
export const NAME_RULES = {
  virtualNetwork: { min: 2, max: 64, chars: NETWORK_CHARS },
  subnet: { min: 1, max: 80, chars: NETWORK_CHARS },
  networkSecurityGroup: { min: 1, max: 80, chars: NETWORK_CHARS },
  publicIp: { min: 1, max: 80, chars: NETWORK_CHARS },
  networkInterface: { min: 1, max: 80, chars: NETWORK_CHARS },
  virtualMachine: { min: 1, max: 64, chars: /^[^_\W][\w.-]*(?<![-.])$/ },
  osDisk: { min: 1, max: 80, chars: /^[\w-]+$/ },
  computerName: { min: 1, max: 64, chars: /^(?!\d+$)[A-Za-z0-9][A-Za-z0-9.-]*(?<![-.])$/ },
} as const;
export type DerivedName = keyof typeof NAME_RULES;

/** `<vmName>-<suffix>`, or when longer than `max`, the VM name cut short plus a hash of it. */
function derived(vmName: string, suffix: string, max: number): string {
  const full = `${vmName}-${suffix}`;
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(vmName).digest('hex').slice(0, 8);
  return `${vmName.slice(0, max - suffix.length - 10)}-${hash}-${suffix}`;
}

/** The names of the resources created in the VM's group (fixed: the group is the VM's own). */
export function resourceNames(vmName: string): Record<DerivedName, string> {
  return {
    virtualNetwork: derived(vmName, 'vnet', NAME_RULES.virtualNetwork.max),
    subnet: 'default',
    networkSecurityGroup: derived(vmName, 'nsg', NAME_RULES.networkSecurityGroup.max),
    publicIp: derived(vmName, 'ip', NAME_RULES.publicIp.max),
    networkInterface: derived(vmName, 'nic', NAME_RULES.networkInterface.max),
    virtualMachine: vmName,
    osDisk: derived(vmName, 'osdisk', NAME_RULES.osDisk.max),
    computerName: vmName,
  };
}

/** Each derived name that breaks its type's rule, as a message (empty when all are valid). */
export function derivedNameProblems(vmName: string): string[] {
  const names = resourceNames(vmName);
  return (Object.keys(NAME_RULES) as DerivedName[]).flatMap((k) => {
    const rule = NAME_RULES[k];
    const n = names[k];
    return n.length < rule.min || n.length > rule.max || !rule.chars.test(n)
      ? [`gives the ${k} name '${n}', which Azure refuses (${rule.min}–${rule.max} characters)`]
      : [];
  });
}

/** Durable instance id for one command on one VM: `vm-<name>-<seq>` (seq increases per command). */
export const instanceIdFor = (vmName: string, seq: number): string => `vm-${vmName}-${seq}`;

/** Where a VM's agent ships its journal, from the app's public base URL (PUBLIC_BASE_URL). */
export const ingestUrl = (publicBaseUrl: string, vmName: string): string =>
  `${publicBaseUrl.replace(/\/+$/, '')}/api/vms/${vmName}/journal`;

/** The stock uploader's URL (systemd-journal-upload cannot send a header: the token is in the path). */
export const uploadUrl = (publicBaseUrl: string, vmName: string, token: string): string =>
  `${publicBaseUrl.replace(/\/+$/, '')}/api/ingest/${vmName}/${token}`;
