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
  FAKE_ARM_TOKEN,
  FAKE_SUBSCRIPTION_ID,
  FakeArm,
  GRACE,
  PAYMENTS_SCOPE,
  READER_ROLE,
  seedSubscription,
  staticCredential,
} from '../../support/fakes/fake-arm';

const SUBSCRIPTION = `/subscriptions/${FAKE_SUBSCRIPTION_ID}`;
const roleId = (guid: string): string => `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const assignmentId = (scope: string, name: string): string =>
  `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
const ASSIGNMENTS = /\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/;
const STORAGE_CONDITION =
  "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'invoices'))";

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
  system = azureSystemOf(azurePolicy(fake));
  cleanup = createAzureCleanup({
    credential: staticCredential(),
    retry: { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    consistency: { delaysMs: [5, 5, 5] },
  });
});
afterEach(() => cleanup.close());

function assignmentItem(id: string): CleanupItem {
  return {
    itemId: `delete-assignment:azure-role-assignment:${id}`,
    systemId: AZURE_SYSTEM_ID,
    change: 'delete-assignment',
    object: { kind: 'azure-role-assignment', key: id, name: 'Reader on rg-payments' },
    identities: [{ id: ADA.objectId, name: ADA.upn, kind: 'azure-user' }],
    reason: 'unused since 2026-05-01 (90-day window)',
    owners: [],
  };
}

function principalItem(objectId: string, name: string): CleanupItem {
  return {
    itemId: `remove-assignments:azure-principal:${objectId}`,
    systemId: AZURE_SYSTEM_ID,
    change: 'remove-assignments',
    object: { kind: 'azure-principal', key: objectId, name },
    identities: [{ id: objectId, name, kind: 'azure-user' }],
    reason: 'no activity in 90 days',
    owners: [],
  };
}

/** Someone removes an assignment in the portal. */
async function deleteInPortal(id: string): Promise<void> {
  const response = await fetch(`${fake.url}${id}?api-version=2022-04-01`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${FAKE_ARM_TOKEN}` },
  });
  assert.ok(response.ok, `portal delete answered ${response.status}`);
}

/** Ada's Reader on the payments group, with a condition and a description. */
function seedAdaReader(): { id: string; name: string } {
  const { name } = fake.addRoleAssignment({
    scope: PAYMENTS_SCOPE,
    roleDefinitionId: roleId(READER_ROLE),
    principalId: ADA.objectId,
    description: 'Payments readers',
    condition: STORAGE_CONDITION,
    conditionVersion: '2.0',
  });
  return { id: assignmentId(PAYMENTS_SCOPE, name), name };
}

const live = (scope = PAYMENTS_SCOPE) =>
  fake
    .roleAssignmentsAt(scope)
    .map(({ name, roleDefinitionId, principalId, principalType, description, condition, conditionVersion }) => ({
      name,
      roleDefinitionId,
      principalId,
      principalType,
      description,
      condition,
      conditionVersion,
    }));

describe('Azure cleanup: delete one role assignment', () => {
  test('snapshot, delete, verify, repeat, restore: the assignment comes back under its name, equal by value', async () => {
    const { id, name } = seedAdaReader();
    const item = assignmentItem(id);
    const before = live();

    const snapshot = await cleanup.snapshot(system, item);
    assert.deepEqual(snapshot, {
      kind: 'azure-role-assignment',
      exists: true,
      assignment: {
        id,
        name,
        scope: PAYMENTS_SCOPE,
        roleDefinitionId: roleId(READER_ROLE),
        principalId: ADA.objectId,
        principalType: 'User',
        condition: STORAGE_CONDITION,
        conditionVersion: '2.0',
        description: 'Payments readers',
      },
    });

    const applied = await cleanup.apply(system, item, snapshot);
    assert.equal(applied.status, 'applied', applied.detail);
    assert.match(
      applied.detail,
      new RegExp(`Deleted role assignment ${name} \\(role ${READER_ROLE} for ${ADA.objectId}`),
    );
    assert.deepEqual(live(), []);
    assert.deepEqual(await cleanup.verify(system, item), {
      ok: true,
      detail: `Azure has no role assignment ${name} at ${PAYMENTS_SCOPE}.`,
    });

    const again = await cleanup.apply(system, item, snapshot);
    assert.equal(again.status, 'already', again.detail);
    assert.equal(fake.callsTo('DELETE', ASSIGNMENTS).length, 1, 'the retry deleted nothing');

    const restored = await cleanup.restore(system, item, snapshot);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.deepEqual(live(), before);
    assert.deepEqual(await cleanup.snapshot(system, item), snapshot);
    assert.equal((await cleanup.verify(system, item)).ok, false);

    const twice = await cleanup.restore(system, item, snapshot);
    assert.equal(twice.status, 'already', twice.detail);
    assert.equal(fake.callsTo('PUT', ASSIGNMENTS).length, 1, 'the second restore made nothing');
  });

  test('a condition edited between plan and apply is a conflict, and nothing is deleted', async () => {
    const { id } = seedAdaReader();
    const item = assignmentItem(id);
    const snapshot = await cleanup.snapshot(system, item);
    fake.roleAssignmentsAt(PAYMENTS_SCOPE)[0]!.condition = `${STORAGE_CONDITION} OR true`;

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /changed since the snapshot: its condition is now .* Nothing was removed/);
    assert.equal(fake.roleAssignmentsAt(PAYMENTS_SCOPE).length, 1);
    assert.equal(fake.callsTo('DELETE', ASSIGNMENTS).length, 0);
  });

  test('restoring over a later change is refused, naming it: the name now holds another role', async () => {
    const { id, name } = seedAdaReader();
    const item = assignmentItem(id);
    const snapshot = await cleanup.snapshot(system, item);
    assert.equal((await cleanup.apply(system, item, snapshot)).status, 'applied');
    fake.addRoleAssignment({
      name,
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(CONTRIBUTOR_ROLE),
      principalId: ADA.objectId,
    });

    const result = await cleanup.restore(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, new RegExp(`its role is now ${CONTRIBUTOR_ROLE}, not ${READER_ROLE}`));
    assert.deepEqual(
      live().map((assignment) => assignment.roleDefinitionId),
      [roleId(CONTRIBUTOR_ROLE)],
    );
    assert.equal(fake.callsTo('PUT', ASSIGNMENTS).length, 0);
  });

  test('restoring when the same role was given again under another name is refused, and no second one is made', async () => {
    const { id } = seedAdaReader();
    const item = assignmentItem(id);
    const snapshot = await cleanup.snapshot(system, item);
    await cleanup.apply(system, item, snapshot);
    const other = fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(READER_ROLE),
      principalId: ADA.objectId,
    });

    const result = await cleanup.restore(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /given role .* again since, under another role assignment/);
    assert.deepEqual(
      live().map((assignment) => assignment.name),
      [other.name],
    );
  });

  test('an assignment removed before the snapshot is gone: apply changes nothing and restore has nothing to do', async () => {
    const { id } = seedAdaReader();
    const item = assignmentItem(id);
    await deleteInPortal(id);

    const snapshot = await cleanup.snapshot(system, item);
    assert.deepEqual(snapshot, { kind: 'azure-role-assignment', exists: false, id });
    const result = await cleanup.apply(system, item, snapshot);
    assert.equal(result.status, 'gone');
    assert.match(result.detail, /was not there when the snapshot was taken/);
    assert.equal((await cleanup.verify(system, item)).ok, true);
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'already');
    assert.deepEqual(live(), []);
  });

  test('an assignment removed by someone after the snapshot ends where the change wanted: already, no crash', async () => {
    const { id } = seedAdaReader();
    const item = assignmentItem(id);
    const snapshot = await cleanup.snapshot(system, item);
    await deleteInPortal(id);

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'already');
    assert.match(result.detail, /no longer in Azure/);
  });

  test('an assignment outside the subscription is refused as not the system’s to change', async () => {
    const id = assignmentId(
      '/providers/Microsoft.Management/managementGroups/corp',
      'c0ffee00-0000-4000-8000-000000000001',
    );
    await rejectsWith(
      cleanup.snapshot(system, assignmentItem(id)),
      ErrorCode.CloudTargetUnknown,
      /outside subscription/,
    );
  });
});

describe('Azure cleanup: remove every role assignment of an inactive principal', () => {
  /** Ada holds Reader on the payments group (with a condition) and Contributor on the subscription; Grace holds Reader. */
  function seedPrincipals(): void {
    seedAdaReader();
    fake.addRoleAssignment({
      scope: SUBSCRIPTION,
      roleDefinitionId: roleId(CONTRIBUTOR_ROLE),
      principalId: ADA.objectId,
      description: 'Platform contributors',
    });
    fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(READER_ROLE),
      principalId: GRACE.objectId,
    });
  }

  test('snapshot, remove, verify, repeat, restore: every assignment comes back equal by value, others untouched', async () => {
    seedPrincipals();
    const item = principalItem(ADA.objectId, ADA.upn);
    const before = { payments: live(), subscription: live(SUBSCRIPTION) };

    const snapshot = (await cleanup.snapshot(system, item)) as { assignments: { principalId: string }[] };
    assert.equal(snapshot.assignments.length, 2);
    assert.ok(snapshot.assignments.every((assignment) => assignment.principalId === ADA.objectId));

    const applied = await cleanup.apply(system, item, snapshot);
    assert.equal(applied.status, 'applied', applied.detail);
    assert.match(applied.detail, new RegExp(`Deleted 2 role assignment\\(s\\) of ${ADA.upn} \\(${ADA.objectId}\\)`));
    assert.deepEqual(
      live().map((assignment) => assignment.principalId),
      [GRACE.objectId],
    );
    assert.deepEqual(live(SUBSCRIPTION), []);
    const verified = await cleanup.verify(system, item);
    assert.equal(verified.ok, true, verified.detail);

    const again = await cleanup.apply(system, item, snapshot);
    assert.equal(again.status, 'already', again.detail);
    assert.equal(fake.callsTo('DELETE', ASSIGNMENTS).length, 2);

    const restored = await cleanup.restore(system, item, snapshot);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.deepEqual(new Set(live()), new Set(before.payments));
    assert.deepEqual(live(SUBSCRIPTION), before.subscription);
    assert.deepEqual(await cleanup.snapshot(system, item), snapshot);
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'already');
  });

  test('a new assignment between plan and apply is a conflict naming it, and nothing is deleted', async () => {
    seedPrincipals();
    const item = principalItem(ADA.objectId, ADA.upn);
    const snapshot = await cleanup.snapshot(system, item);
    const added = fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(CONTRIBUTOR_ROLE),
      principalId: ADA.objectId,
    });

    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, new RegExp(`role assignment ${added.name} \\(role ${CONTRIBUTOR_ROLE} .*\\) appeared`));
    assert.equal(fake.callsTo('DELETE', ASSIGNMENTS).length, 0);
    assert.equal(live().length, 3);
  });

  test('restoring after the principal was given a new assignment is refused, naming it', async () => {
    seedPrincipals();
    const item = principalItem(ADA.objectId, ADA.upn);
    const snapshot = await cleanup.snapshot(system, item);
    await cleanup.apply(system, item, snapshot);
    const added = fake.addRoleAssignment({
      scope: PAYMENTS_SCOPE,
      roleDefinitionId: roleId(CONTRIBUTOR_ROLE),
      principalId: ADA.objectId,
    });

    const result = await cleanup.restore(system, item, snapshot);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, new RegExp(`role assignment ${added.name} .* was made since. Nothing was put back`));
    assert.equal(fake.callsTo('PUT', ASSIGNMENTS).length, 0);
  });

  test('a principal that lost every assignment before the snapshot is gone', async () => {
    seedPrincipals();
    const item = principalItem(GRACE.objectId, GRACE.upn);
    for (const { name } of fake.roleAssignmentsAt(PAYMENTS_SCOPE).filter((a) => a.principalId === GRACE.objectId)) {
      await deleteInPortal(assignmentId(PAYMENTS_SCOPE, name));
    }

    const snapshot = await cleanup.snapshot(system, item);
    const result = await cleanup.apply(system, item, snapshot);

    assert.equal(result.status, 'gone');
    assert.match(result.detail, /had no role assignments in subscription/);
    assert.equal((await cleanup.restore(system, item, snapshot)).status, 'already');
  });
});
