// Compares the custom provisioning role with the ARM actions the app really needs, both ways: an
// action the app needs but the role lacks fails on Azure with AuthorizationFailed; an action the role
// grants but nothing uses is privilege nobody asked for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RoleCoverage {
  /** Needed by the app, not granted by the role. */
  missing: string[];
  /** Granted by the role, not needed by the app. */
  unused: string[];
}

// ARM compares actions case-insensitively. The role uses no wildcards, and the checker refuses them
// rather than guess their reach: a wildcard is exactly what a least-privilege role must not grant.
const normalise = (action: string) => action.trim().toLowerCase();

/** Role actions versus used actions; both lists are compared as case-insensitive sets. */
export function checkRoleCoverage(roleActions: string[], usedActions: string[]): RoleCoverage {
  const wild = roleActions.filter((a) => a.includes('*'));
  if (wild.length > 0) throw new Error(`wildcard role actions are not allowed: ${wild.join(', ')}`);
  const granted = new Set(roleActions.map(normalise));
  const used = new Set(usedActions.map(normalise));
  const unique = (list: string[]) => [...new Map(list.map((a) => [normalise(a), a.trim()])).values()].sort();
  return {
    missing: unique(usedActions.filter((a) => !granted.has(normalise(a)))),
    unused: unique(roleActions.filter((a) => !used.has(normalise(a)))),
  };
}

/**
 * Actions ARM authorizes without a request of their own, for the requests this app makes:
 * - linked access checks: a NIC that references a subnet, NSG and public IP needs their `join/action`;
 *   a VM that references a NIC needs the NIC's `join/action`;
 * - a resource group delete also needs `delete` on every resource inside it (ARM deletes them one by
 *   one as the caller), including the VM's implicitly created managed OS disk.
 * An emulator record of the requests can be passed through this before `checkRoleCoverage`.
 */
export function withImpliedActions(performed: string[]): string[] {
  const has = new Set(performed.map(normalise));
  const out = new Set(performed.map((a) => a.trim()));
  const add = (when: string, ...then: string[]) => {
    if (has.has(normalise(when))) for (const a of then) out.add(a);
  };
  add(
    'Microsoft.Network/networkInterfaces/write',
    'Microsoft.Network/virtualNetworks/subnets/join/action',
    'Microsoft.Network/networkSecurityGroups/join/action',
    'Microsoft.Network/publicIPAddresses/join/action',
  );
  add('Microsoft.Compute/virtualMachines/write', 'Microsoft.Network/networkInterfaces/join/action');
  if (has.has(normalise('Microsoft.Resources/subscriptions/resourceGroups/delete'))) {
    for (const a of [...out]) {
      const m = /^(Microsoft\.(?:Compute|Network)\/[A-Za-z]+)\/write$/.exec(a);
      if (m) out.add(`${m[1]}/delete`);
    }
    if (has.has(normalise('Microsoft.Compute/virtualMachines/write')))
      out.add('Microsoft.Compute/disks/delete');
  }
  return [...new Map([...out].map((a) => [normalise(a), a])).values()].sort();
}

/** The distinct `rbacAction`s of an ARM emulator's operation record, sorted. */
export function actionsFromOperations(operations: Iterable<{ rbacAction?: string | null }>): string[] {
  const seen = new Map<string, string>();
  for (const op of operations) if (op.rbacAction) seen.set(normalise(op.rbacAction), op.rbacAction);
  return [...seen.values()].sort();
}

export const repoRoot = join(__dirname, '..', '..');
export const roleJsonPath = join(repoRoot, 'infra', 'bicep', 'provisioning-role.json');
export const usedActionsFixturePath = join(repoRoot, 'test', 'fixtures', 'arm-actions.json');

/** The actions of the deployed custom role (infra/bicep/provisioning-role.json, loaded by the Bicep). */
export function loadRoleActions(path = roleJsonPath): string[] {
  const role = JSON.parse(readFileSync(path, 'utf8')) as { actions?: unknown };
  if (!Array.isArray(role.actions) || !role.actions.every((a) => typeof a === 'string')) {
    throw new Error(`${path}: "actions" must be an array of strings`);
  }
  return role.actions;
}

/** The ARM actions the app performs (test/fixtures/arm-actions.json: a sorted JSON array of strings). */
export function loadUsedActions(path = usedActionsFixturePath): string[] {
  const used = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(used) || !used.every((a) => typeof a === 'string')) {
    throw new Error(`${path} must be a JSON array of strings`);
  }
  return used;
}
