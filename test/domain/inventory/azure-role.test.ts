import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { azureAccessLevels, expandAzureRole, type AzureActionCatalogue } from '../../../domain/inventory/azure-role';

const catalogue: AzureActionCatalogue = {
  cloud: 'azure',
  version: 'test',
  actions: [
    'Microsoft.Compute/virtualMachines/read',
    'Microsoft.Compute/virtualMachines/write',
    'Microsoft.Compute/disks/read',
    'Microsoft.Network/virtualNetworks/read',
    'Microsoft.Authorization/roleAssignments/write',
  ]
    .map((action) => ({ action, accessLevels: azureAccessLevels(action), dataAction: false }))
    .concat([
      { action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', accessLevels: ['Write'], dataAction: true },
    ]),
};

const expand = (permissions: unknown) => expandAzureRole(catalogue, 'doc', { permissions });

describe('expandAzureRole', () => {
  test('a wildcard in the middle matches every resource type of the provider, case-insensitively', () => {
    const { actions } = expand([{ actions: ['microsoft.compute/*/READ'] }]);
    assert.deepEqual(
      actions.map((a) => a.action),
      ['Microsoft.Compute/disks/read', 'Microsoft.Compute/virtualMachines/read'],
    );
  });

  test('notActions subtract within the block; another block may grant them back', () => {
    const one = expand([{ actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Compute/*'] }]);
    assert.deepEqual(
      one.actions.map((a) => a.action),
      ['Microsoft.Network/virtualNetworks/read'],
    );
    const two = expand([
      { actions: ['*'], notActions: ['Microsoft.Compute/*'] },
      { actions: ['Microsoft.Compute/disks/read'] },
    ]);
    assert.ok(two.actions.some((a) => a.action === 'Microsoft.Compute/disks/read'));
    assert.ok(two.actions.every((a) => a.effect === 'allow'));
  });

  test('`*` in actions never reaches data actions; dataActions do', () => {
    assert.ok(!expand([{ actions: ['*'] }]).actions.some((a) => a.action.includes('getSecret')));
    const data = expand([{ dataActions: ['*'], notDataActions: [] }]);
    assert.deepEqual(
      data.actions.map((a) => a.action),
      ['Microsoft.KeyVault/vaults/secrets/getSecret/action'],
    );
  });

  test('an unknown operation is kept and reported; a pattern that matches nothing is reported', () => {
    const { actions, skipped } = expand([{ actions: ['Microsoft.New/things/read', 'Microsoft.Nothing/*'] }]);
    assert.deepEqual(
      actions.map((a) => [a.action, a.accessLevels]),
      [['Microsoft.New/things/read', ['Read']]],
    );
    assert.deepEqual(
      skipped.map((s) => s.reason),
      ['azure.operation.unknown', 'azure.pattern.unmatched'],
    );
  });

  test('a definition of the wrong shape grants nothing and says why', () => {
    for (const bad of [null, 'x', { permissions: 'all' }, { permissions: [{ actions: [1] }] }]) {
      const { actions, skipped } = expandAzureRole(catalogue, 'doc', bad);
      assert.equal(actions.length, 0);
      assert.equal(skipped[0]?.reason, 'azure.role-definition.invalid');
    }
  });

  test('access levels follow the suffix, Authorization writes are permissions management', () => {
    assert.deepEqual(azureAccessLevels('Microsoft.Authorization/roleAssignments/delete'), ['Permissions management']);
    assert.deepEqual(azureAccessLevels('Microsoft.Authorization/roleAssignments/read'), ['Read']);
    assert.deepEqual(azureAccessLevels('Microsoft.Storage/storageAccounts/listKeys/action'), ['Write']);
    assert.deepEqual(azureAccessLevels('Microsoft.Resources/tags/write'), ['Tagging']);
  });
});
