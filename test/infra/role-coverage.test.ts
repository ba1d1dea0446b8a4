// The custom provisioning role must grant exactly the ARM actions the app performs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { OPERATION_RBAC_ACTIONS, VM_COMMANDS, VM_OPERATIONS } from '../../lib/vms/operations';
import {
  actionsFromOperations,
  checkRoleCoverage,
  loadRoleActions,
  loadUsedActions,
  usedActionsFixturePath,
  withImpliedActions,
} from './role-coverage';

const actionShape =
  /^Microsoft\.(Resources|Network|Compute)\/[A-Za-z]+(\/[A-Za-z]+)*\/(read|write|delete|action)$/;

describe('provisioning role coverage', () => {
  test('the role grants exactly the actions the app performs', () => {
    assert.deepEqual(checkRoleCoverage(loadRoleActions(), loadUsedActions()), { missing: [], unused: [] });
  });

  test('the role has only well-formed resource-group, network and compute actions, no wildcards', () => {
    const actions = loadRoleActions();
    assert.ok(actions.length > 0);
    for (const a of actions) assert.match(a, actionShape);
    assert.equal(new Set(actions.map((a) => a.toLowerCase())).size, actions.length, 'duplicate actions');
    for (const needed of [
      'Microsoft.Network/virtualNetworks/subnets/join/action',
      'Microsoft.Compute/virtualMachines/write',
      'Microsoft.Resources/subscriptions/resourceGroups/delete',
    ]) {
      assert.ok(actions.includes(needed), needed);
    }
  });

  test('the fixture is a plain sorted JSON array of distinct strings', () => {
    const used = loadUsedActions();
    assert.deepEqual(used, [...new Set(used)].sort());
    assert.equal(readFileSync(usedActionsFixturePath, 'utf8'), `${JSON.stringify(used, null, 2)}\n`);
  });

  test('reports missing and unused actions, case-insensitively', () => {
    const result = checkRoleCoverage(
      [
        'Microsoft.Compute/virtualMachines/read',
        'Microsoft.Compute/virtualMachines/delete',
        'Microsoft.Compute/skus/read',
      ],
      [
        'microsoft.compute/virtualmachines/READ',
        'Microsoft.Compute/virtualMachines/write',
        'Microsoft.Compute/skus/read',
      ],
    );
    assert.deepEqual(result, {
      missing: ['Microsoft.Compute/virtualMachines/write'],
      unused: ['Microsoft.Compute/virtualMachines/delete'],
    });
  });

  test('a role missing an action the app needs fails, and so does one granting an extra action', () => {
    const used = loadUsedActions();
    const lacking = loadRoleActions().filter(
      (a) => a !== 'Microsoft.Network/virtualNetworks/subnets/join/action',
    );
    assert.deepEqual(checkRoleCoverage(lacking, used).missing, [
      'Microsoft.Network/virtualNetworks/subnets/join/action',
    ]);
    const extra = [...loadRoleActions(), 'Microsoft.Compute/virtualMachines/runCommand/action'];
    assert.deepEqual(checkRoleCoverage(extra, used).unused, [
      'Microsoft.Compute/virtualMachines/runCommand/action',
    ]);
  });

  test('the role grants every ARM action the operations table lists, each operation has its own', () => {
    assert.deepEqual(checkRoleCoverage(loadRoleActions(), [...OPERATION_RBAC_ACTIONS]).missing, []);
    for (const kind of VM_COMMANDS) {
      const op = VM_OPERATIONS[kind];
      assert.ok(op.rbac.length > 0, kind);
      if ('vmAction' in op)
        assert.ok(
          (op.rbac as readonly string[]).includes(`Microsoft.Compute/virtualMachines/${op.vmAction}/action`),
          `${kind} lists its VM action`,
        );
    }
    // And the emulator's record of what the app did (the fixture) contains no action the table lacks
    // but the implied ones (linked access checks, cascade deletes).
    const implied = new Set(withImpliedActions([...OPERATION_RBAC_ACTIONS]).map((a) => a.toLowerCase()));
    assert.deepEqual(
      loadUsedActions().filter((a) => !implied.has(a.toLowerCase())),
      [],
    );
  });

  test('wildcard role actions are refused', () => {
    assert.throws(() => checkRoleCoverage(['Microsoft.Compute/*'], []), /wildcard/);
  });

  test('implied actions: linked access checks and resource group cascade delete', () => {
    const performed = [
      'Microsoft.Resources/subscriptions/resourceGroups/write',
      'Microsoft.Resources/subscriptions/resourceGroups/delete',
      'Microsoft.Network/networkInterfaces/write',
      'Microsoft.Network/virtualNetworks/write',
      'Microsoft.Compute/virtualMachines/write',
    ];
    assert.deepEqual(withImpliedActions(performed), [
      'Microsoft.Compute/disks/delete',
      'Microsoft.Compute/virtualMachines/delete',
      'Microsoft.Compute/virtualMachines/write',
      'Microsoft.Network/networkInterfaces/delete',
      'Microsoft.Network/networkInterfaces/join/action',
      'Microsoft.Network/networkInterfaces/write',
      'Microsoft.Network/networkSecurityGroups/join/action',
      'Microsoft.Network/publicIPAddresses/join/action',
      'Microsoft.Network/virtualNetworks/delete',
      'Microsoft.Network/virtualNetworks/subnets/join/action',
      'Microsoft.Network/virtualNetworks/write',
      'Microsoft.Resources/subscriptions/resourceGroups/delete',
      'Microsoft.Resources/subscriptions/resourceGroups/write',
    ]);
    // Idempotent on the fixture: the fixture already lists what ARM checks implicitly.
    assert.deepEqual(withImpliedActions(loadUsedActions()), loadUsedActions());
  });

  test('actionsFromOperations dedupes an emulator record', () => {
    const ops = [
      { rbacAction: 'Microsoft.Compute/skus/read' },
      { rbacAction: 'Microsoft.Compute/skus/read' },
      { rbacAction: undefined },
      { rbacAction: 'Microsoft.Compute/locations/operations/read' },
    ];
    assert.deepEqual(actionsFromOperations(ops), [
      'Microsoft.Compute/locations/operations/read',
      'Microsoft.Compute/skus/read',
    ]);
  });
});
