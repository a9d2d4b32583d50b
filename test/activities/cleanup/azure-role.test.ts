import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type AzureCleanup, createAzureCleanup } from '../../../activities/cleanup/azure';
import type { CleanupItem } from '../../../domain/cleanup/model';
import { ErrorCode } from '../../../domain/errors';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ADA,
  AZURE_SYSTEM_ID,
  azurePolicy,
  azureSystemOf,
  CONTRIBUTOR_ROLE,
  FAKE_SUBSCRIPTION_ID,
  FakeArm,
  GRACE,
  seedSubscription,
  staticCredential,
} from '../../support/fakes/fake-arm';

/**
 * Narrowing an Azure custom role through the real AuthorizationManagementClient against the ARM fake:
 * the role definition is snapshotted, put again with the narrowed permissions (everything else as it
 * was), read back, and restored from the snapshot; a role edited by someone else is not overwritten.
 */

const SUBSCRIPTION = `/subscriptions/${FAKE_SUBSCRIPTION_ID}`;
const APP_OPERATOR = '0a0a0a0a-0000-4000-8000-000000000001';
const roleId = (guid: string): string => `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const ROLE_DEFINITIONS = /\/providers\/Microsoft\.Authorization\/roleDefinitions\/[^/]+$/;

const BEFORE = [
  {
    actions: [
      'Microsoft.Web/sites/read',
      'Microsoft.Web/sites/write',
      'Microsoft.Web/sites/*/action',
      'Microsoft.KeyVault/vaults/delete',
    ],
    notActions: ['Microsoft.Web/sites/restart/action'],
    dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
    notDataActions: [],
  },
];
const AFTER = [{ ...BEFORE[0]!, actions: ['Microsoft.Web/sites/read', 'Microsoft.Web/sites/write'] }];

let fake: FakeArm;
let system: AuthorizationSystem;
let cleanup: AzureCleanup;

before(async () => {
  fake = await FakeArm.start();
});
after(() => fake.stop());

beforeEach(() => {
  fake.reset();
  seedSubscription(fake);
  fake.addCustomRole({
    name: APP_OPERATOR,
    roleName: 'App Operator',
    description: 'Runs the payments web apps',
    permissions: BEFORE,
    assignableScopes: [SUBSCRIPTION],
  });
  system = azureSystemOf(azurePolicy(fake));
  cleanup = createAzureCleanup({
    credential: staticCredential(),
    retry: { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    consistency: { delaysMs: [5, 5, 5] },
  });
});
afterEach(() => cleanup.close());

function roleItem(guid = APP_OPERATOR): CleanupItem {
  const id = roleId(guid);
  return {
    itemId: `narrow-policy:azure-role-definition:${id}`,
    systemId: AZURE_SYSTEM_ID,
    change: 'narrow-policy',
    object: { kind: 'azure-role-definition', key: id, name: 'App Operator' },
    identities: [
      { id: ADA.objectId, name: ADA.upn, kind: 'azure-user' },
      { id: GRACE.objectId, name: GRACE.upn, kind: 'azure-user' },
    ],
    removeActions: [
      'Microsoft.KeyVault/vaults/delete',
      'Microsoft.Web/sites/start/action',
      'Microsoft.Web/sites/stop/action',
    ],
    before: BEFORE,
    after: AFTER,
    reason: '3 operations never used in the 90-day window by any of its 2 holders',
    actions: 3,
    owners: [],
  };
}

/** The role as ARM holds it, without the time it was last written. */
function live(guid = APP_OPERATOR) {
  const { updatedOn: _updatedOn, ...role } = fake.customRole(guid)!;
  return role;
}

describe('Azure cleanup: narrow a custom role', () => {
  test('snapshot, narrow, verify, repeat, restore: the role comes back equal to its snapshot', async () => {
    const item = roleItem();
    const original = live();

    const snapshot = await cleanup.snapshot(system, item);
    assert.deepEqual(snapshot, {
      kind: 'azure-role-definition',
      exists: true,
      id: roleId(APP_OPERATOR),
      roleName: 'App Operator',
      roleType: 'CustomRole',
      description: 'Runs the payments web apps',
      assignableScopes: [SUBSCRIPTION],
      document: BEFORE,
    });

    const applied = await cleanup.apply(system, item, snapshot);
    assert.equal(applied.status, 'applied', applied.detail);
    assert.equal(
      applied.detail,
      `Narrowed custom role App Operator (${roleId(APP_OPERATOR)}): Microsoft.Web/sites/*/action, ` +
        'Microsoft.KeyVault/vaults/delete taken out of actions (3 operations no longer granted).',
    );
    assert.deepEqual(live(), { ...original, permissions: AFTER }, 'only the actions changed');
    const verified = await cleanup.verify(system, item);
    assert.equal(verified.ok, true, verified.detail);

    const again = await cleanup.apply(system, item, snapshot);
    assert.equal(again.status, 'already', again.detail);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 1, 'the retry wrote nothing');

    const restored = await cleanup.restore(system, item, snapshot);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.deepEqual(live(), original);
    assert.deepEqual(await cleanup.snapshot(system, item), snapshot);
    assert.equal((await cleanup.verify(system, item)).ok, false);

    const twice = await cleanup.restore(system, item, snapshot);
    assert.equal(twice.status, 'already', twice.detail);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 2, 'the second restore wrote nothing');
  });

  test('verify reads again while ARM still serves the role from before the write', async () => {
    const item = roleItem();
    const snapshot = await cleanup.snapshot(system, item);
    fake.lagReads(2);
    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'applied');
    const verified = await cleanup.verify(system, item);
    assert.equal(verified.ok, true, verified.detail);
  });

  test('a role edited between the snapshot and apply is a conflict naming the edit, and nothing is written', async () => {
    const item = roleItem();
    const snapshot = await cleanup.snapshot(system, item);
    fake.editCustomRole(APP_OPERATOR, (role) => role.permissions[0]!.actions.push('Microsoft.Web/sites/delete'));

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(
      result.detail,
      /changed since the snapshot: Microsoft\.Web\/sites\/delete added to actions\. Nothing was changed; it needs a new plan/,
    );
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 0);
    assert.ok(live().permissions[0]!.actions.includes('Microsoft.Web/sites/delete'));
  });

  test('a role made assignable beyond the subscription since the snapshot is not narrowed', async () => {
    const item = roleItem();
    const snapshot = await cleanup.snapshot(system, item);
    fake.editCustomRole(APP_OPERATOR, (role) =>
      role.assignableScopes.push('/providers/Microsoft.Management/managementGroups/corp'),
    );

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /assignable beyond subscription .*managementGroups\/corp/);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 0);
  });

  test('restoring over a later change is refused, naming it', async () => {
    const item = roleItem();
    const snapshot = await cleanup.snapshot(system, item);
    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'applied');
    fake.editCustomRole(APP_OPERATOR, (role) => {
      role.permissions[0]!.actions = ['Microsoft.Web/sites/read'];
    });

    const result = await cleanup.restore(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.equal(
      result.detail,
      `Custom role App Operator (${roleId(APP_OPERATOR)}) changed after the cleanup: ` +
        'Microsoft.Web/sites/write taken out of actions. Nothing was put back.',
    );
    assert.deepEqual(live().permissions[0]!.actions, ['Microsoft.Web/sites/read']);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 1, 'only the narrowing was written');
  });

  test('a role deleted before the snapshot is gone; deleted after it, restore says so and makes nothing', async () => {
    const gone = roleItem('0a0a0a0a-0000-4000-8000-0000000000ff');
    const snapshot = await cleanup.snapshot(system, gone);
    assert.deepEqual(snapshot, { kind: 'azure-role-definition', exists: false, id: gone.object.key });
    assert.equal((await cleanup.apply(system, gone, snapshot)).status, 'gone');

    const item = roleItem();
    const taken = await cleanup.snapshot(system, item);
    await cleanup.apply(system, item, taken);
    fake.reset();
    seedSubscription(fake);
    const restored = await cleanup.restore(system, item, taken);
    assert.equal(restored.status, 'gone');
    assert.match(restored.detail, /no longer exists; Least does not make a deleted role again/);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 0);
  });

  test('a role whose permissions carry a condition the client cannot write back is not written', async () => {
    fake.editCustomRole(APP_OPERATOR, (role) => {
      role.permissions[0]!.condition = "@Resource[Microsoft.Web/sites:name] StringStartsWith 'pay-'";
      role.permissions[0]!.conditionVersion = '2.0';
    });
    const item = roleItem();
    const snapshot = await cleanup.snapshot(system, item);
    assert.deepEqual((snapshot as { unwritable?: string[] }).unwritable, ['condition', 'conditionVersion']);

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /has condition, conditionVersion in its permissions, which Least cannot write back/);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 0);
  });

  test('a built-in role is never written, and a role outside the subscription is refused', async () => {
    const builtIn = roleItem(CONTRIBUTOR_ROLE);
    const snapshot = await cleanup.snapshot(system, builtIn);
    const result = await cleanup.apply(system, builtIn, snapshot);
    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /is not a custom role: Least never edits a built-in role/);
    assert.equal(fake.callsTo('PUT', ROLE_DEFINITIONS).length, 0);

    const elsewhere: CleanupItem = {
      ...roleItem(),
      object: {
        kind: 'azure-role-definition',
        key: `/subscriptions/99999999-0000-4000-8000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${APP_OPERATOR}`,
        name: 'App Operator',
      },
    };
    await rejectsWith(cleanup.snapshot(system, elsewhere), ErrorCode.CloudTargetUnknown, /outside subscription/);
  });
});
