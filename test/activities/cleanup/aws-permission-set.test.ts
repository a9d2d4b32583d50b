import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeletePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
} from '@aws-sdk/client-sso-admin';
import {
  applyPermissionSetPolicy,
  restorePermissionSetPolicy,
  snapshotPermissionSetPolicy,
  verifyPermissionSetPolicy,
  type AwsPermissionSetPolicySnapshot,
} from '../../../activities/cleanup/aws-permission-set';
import { createAwsCleanup } from '../../../activities/cleanup/aws';
import { driftFromPlan } from '../../../activities/cleanup/index';
import { createAwsBroker, type AwsBroker, type AwsSession } from '../../../activities/cloud/aws';
import { asAwsSystem, type AwsSystem } from '../../../activities/cloud/aws/errors';
import type { AssignmentPolling } from '../../../activities/cloud/aws/identity-center';
import type { CleanupItem } from '../../../domain/cleanup/model';
import { DomainError } from '../../../domain/errors';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  awsSystem,
  freshAwsAccount,
  operatorClients,
  startMotoFront,
  SYSTEM_ID,
  useDummyAwsCredentials,
  type AwsAccount,
  type MotoFront,
} from '../../support/fakes/aws-fixtures';
import { fakeProvisioning, type ProvisioningFake } from '../../support/fakes/fake-sso-provisioning';

/**
 * Narrowing a permission set's inline policy (issue 13, shared objects) on moto through the real SDK.
 * moto keeps the set and its inline policy; provisioning to the accounts (asynchronous in AWS, and
 * partly missing in moto) is answered by an HTTP fake in front of it (fake-sso-provisioning.ts).
 */

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const { ssoAdmin } = operatorClients(motoUrl);

const document = (actions: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Data', Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::payments-data/*' }],
});
const WIDE = document(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
const NARROW = document(['s3:GetObject']);
const OTHER_ACCOUNT = '210987654321';

let account: AwsAccount;
let front: MotoFront;
let provisioning: ProvisioningFake;
let system: AwsSystem;
let broker: AwsBroker;
let session: AwsSession;
let slept: number[];
let polling: AssignmentPolling;
let permissionSetArn: string;

beforeEach(async () => {
  account = await freshAwsAccount(motoUrl);
  permissionSetArn = account.readOnlyPermissionSetArn;
  await putInline(WIDE);
  front = await startMotoFront(motoUrl);
  provisioning = fakeProvisioning(front);
  provisioning.provision(permissionSetArn, [ACCOUNT_ID]);
  system = asAwsSystem(awsSystem(account, front.url));
  broker = createAwsBroker();
  session = await broker.session(system, 'cleanup-run-1');
  slept = [];
  polling = { firstDelayMs: 10, maxDelayMs: 40, timeoutMs: 200, sleep: async (ms) => void slept.push(ms) };
});
afterEach(async () => {
  broker.close();
  await front.close();
});

/* ---------- what an operator sees in Identity Center, read from moto without the code under test ---------- */

async function inline(): Promise<unknown> {
  const text = (
    await ssoAdmin.send(
      new GetInlinePolicyForPermissionSetCommand({
        InstanceArn: account.instanceArn,
        PermissionSetArn: permissionSetArn,
      }),
    )
  ).InlinePolicy;
  return text ? JSON.parse(text) : null;
}

async function putInline(body: unknown): Promise<void> {
  await ssoAdmin.send(
    new PutInlinePolicyToPermissionSetCommand({
      InstanceArn: account.instanceArn,
      PermissionSetArn: permissionSetArn,
      InlinePolicy: JSON.stringify(body),
    }),
  );
}

/** The item the planner makes for the set (domain/cleanup/plan.ts): `before` as the inventory read it. */
function narrowItem(after: unknown = NARROW): CleanupItem {
  return {
    itemId: `narrow-policy:aws-permission-set-policy:${permissionSetArn}`,
    systemId: SYSTEM_ID,
    change: 'narrow-policy',
    object: { kind: 'aws-permission-set-policy', key: permissionSetArn, name: 'permission set ReadOnly' },
    identities: [
      { id: `arn:aws:identitystore:::user/${account.ada.userId}`, name: 'ada.lovelace', kind: 'aws-sso-user' },
      { id: `arn:aws:identitystore:::user/${account.grace.userId}`, name: 'grace@example.com', kind: 'aws-sso-user' },
    ],
    removeActions: ['s3:DeleteObject', 's3:PutObject'],
    before: WIDE,
    after,
    actions: 2,
    reason: '2 actions never used in the 90-day window by any of its 2 holders',
    owners: ['ada@example.com'],
  };
}

const provisioned = () => provisioning.requests.map((r) => r.targetType);
const calls = (operation: string) => front.calls.filter((call) => call.operation === operation).length;

describe("AWS cleanup: a permission set's inline policy on moto", () => {
  test('snapshot → apply (put, then provision to every account and wait) → verify → repeat → restore equals the snapshot', async () => {
    const item = narrowItem();
    const planned = await snapshotPermissionSetPolicy(session, system, item);
    assert.deepEqual(planned, {
      kind: 'aws-permission-set-policy',
      permissionSetArn,
      exists: true,
      document: WIDE,
      accounts: [ACCOUNT_ID],
      outdated: [],
    });
    assert.deepEqual(planned.document, item.before, "the snapshot's document is the plan's before: no false drift");

    const applied = await applyPermissionSetPolicy(session, system, item, planned, polling);
    assert.equal(applied.status, 'applied', applied.detail);
    assert.deepEqual(await inline(), NARROW);
    assert.deepEqual(provisioned(), ['ALL_PROVISIONED_ACCOUNTS'], 'provisioned once, to every account it is in');
    assert.equal(calls('DescribePermissionSetProvisioningStatus'), 1, 'waited for the IN_PROGRESS request');
    assert.deepEqual(slept, [10]);
    assert.deepEqual(provisioning.outdated(permissionSetArn), []);

    const verified = await verifyPermissionSetPolicy(session, system, item);
    assert.equal(verified.ok, true, verified.detail);

    const again = await applyPermissionSetPolicy(session, system, item, planned, polling);
    assert.equal(again.status, 'already', again.detail);
    assert.equal(calls('PutInlinePolicyToPermissionSet'), 1);
    assert.equal(provisioning.requests.length, 1, 'a repeated apply provisions nothing more');

    const restored = await restorePermissionSetPolicy(session, system, planned, item, polling);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.deepEqual(await inline(), WIDE);
    assert.deepEqual(provisioned(), ['ALL_PROVISIONED_ACCOUNTS', 'ALL_PROVISIONED_ACCOUNTS']);
    assert.deepEqual(
      await snapshotPermissionSetPolicy(session, system, item),
      planned,
      'a new snapshot equals the old',
    );

    const restoredAgain = await restorePermissionSetPolicy(session, system, planned, item, polling);
    assert.equal(restoredAgain.status, 'already', restoredAgain.detail);
    assert.equal(provisioning.requests.length, 2);
  });

  test('an inline policy left with nothing is deleted, and put back by restore', async () => {
    const item = narrowItem(null);
    const planned = await snapshotPermissionSetPolicy(session, system, item);

    assert.equal((await applyPermissionSetPolicy(session, system, item, planned, polling)).status, 'applied');
    assert.equal(await inline(), null);
    assert.equal(calls('DeleteInlinePolicyFromPermissionSet'), 1);
    assert.equal((await verifyPermissionSetPolicy(session, system, item)).ok, true);

    assert.equal((await restorePermissionSetPolicy(session, system, planned, item, polling)).status, 'restored');
    assert.deepEqual(await inline(), WIDE);
  });

  test('a provisioning that FAILS is retryable, and the retry provisions without putting the policy twice', async () => {
    const item = narrowItem();
    const planned = await snapshotPermissionSetPolicy(session, system, item);
    provisioning.failNext('the role in account 123456789012 could not be updated');

    const failed = await applyPermissionSetPolicy(session, system, item, planned, polling).catch((e: unknown) => e);

    assert.ok(
      failed instanceof Error && !(failed instanceof DomainError),
      `a plain, retryable error: ${String(failed)}`,
    );
    assert.match(failed.message, /could not be updated/);
    assert.deepEqual(await inline(), NARROW, 'Identity Center holds the narrowed policy');
    const unfinished = await verifyPermissionSetPolicy(session, system, item);
    assert.deepEqual([unfinished.ok, /Not provisioned yet to 123456789012/.test(unfinished.detail)], [false, true]);

    const retried = await applyPermissionSetPolicy(session, system, item, planned, polling);

    assert.equal(retried.status, 'applied', retried.detail);
    assert.equal(calls('PutInlinePolicyToPermissionSet'), 1, 'put once');
    assert.equal(provisioning.requests.length, 2);
    assert.equal((await verifyPermissionSetPolicy(session, system, item)).ok, true);
  });

  test('a provisioning still IN_PROGRESS after the bounded wait is retryable, and named', async () => {
    const slow = fakeProvisioning(front, { pollsUntilDone: 100 });
    slow.provision(permissionSetArn, [ACCOUNT_ID]);
    const item = narrowItem();
    const planned = await snapshotPermissionSetPolicy(session, system, item);

    const stuck = await applyPermissionSetPolicy(session, system, item, planned, polling).catch((e: unknown) => e);

    assert.ok(stuck instanceof Error && !(stuck instanceof DomainError), String(stuck));
    assert.match(stuck.message, /ProvisionPermissionSet .*IN_PROGRESS/);
    assert.equal(
      slept.reduce((sum, ms) => sum + ms, 0),
      200,
    );
  });
});

describe("AWS cleanup: a permission set's inline policy changed by someone else", () => {
  test('edited after the inventory was read: re-planned at the snapshot, before anything is announced', async () => {
    const item = narrowItem();
    assert.equal(driftFromPlan(item, await snapshotPermissionSetPolicy(session, system, item)), undefined);
    await putInline(document(['s3:GetObject', 's3:PutObject']));

    const drift = driftFromPlan(item, await snapshotPermissionSetPolicy(session, system, item));

    assert.equal(drift, 'the policy document changed since the inventory was collected');
  });

  test("a member's assignment a snapshot from before groups were told apart shows as its own is re-planned, not announced", async () => {
    const executor = createAwsCleanup({ broker });
    // ada never had an assignment of her own: an old inventory wrote her group's on her
    const key = `arn:aws:identitystore:::user/${account.ada.userId}|${permissionSetArn}|${ACCOUNT_ID}`;
    const { removeActions: _r, before: _b, after: _a, ...rest } = narrowItem();
    const item: CleanupItem = {
      ...rest,
      itemId: `delete-assignment:aws-sso-assignment:${key}`,
      change: 'delete-assignment',
      object: { kind: 'aws-sso-assignment', key, name: `ReadOnly on ${ACCOUNT_ID} for ada.lovelace` },
    };

    assert.equal(
      driftFromPlan(item, await executor.snapshot(system, item)),
      'the Identity Center assignment no longer exists',
    );
  });

  test('edited between plan and apply: a conflict naming the edit, nothing overwritten or provisioned', async () => {
    const item = narrowItem();
    const planned = await snapshotPermissionSetPolicy(session, system, item);
    const edited = document(['s3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectAcl']);
    await putInline(edited);

    const result = await applyPermissionSetPolicy(session, system, item, planned, polling);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /was edited: now also Allow s3:PutObjectAcl.*re-planned rather than overwritten/);
    assert.deepEqual(await inline(), edited);
    assert.equal(provisioning.requests.length, 0);
  });

  test('provisioned to another account since the plan: a conflict, nothing narrowed there', async () => {
    const item = narrowItem();
    const planned = await snapshotPermissionSetPolicy(session, system, item);
    provisioning.provision(permissionSetArn, [OTHER_ACCOUNT]);

    const result = await applyPermissionSetPolicy(session, system, item, planned, polling);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, new RegExp(`provisioned to ${OTHER_ACCOUNT} as well, whose use Least does not see`));
    assert.deepEqual(await inline(), WIDE);
  });

  test('restore over a later edit is refused, naming it, and leaves the edit in place', async () => {
    const item = narrowItem();
    const planned = await snapshotPermissionSetPolicy(session, system, item);
    await applyPermissionSetPolicy(session, system, item, planned, polling);
    const later = document(['s3:GetObject', 's3:GetObjectVersion']);
    await putInline(later);

    const result = await restorePermissionSetPolicy(session, system, planned, item, polling);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /was edited: now also Allow s3:GetObjectVersion.*a person must decide/);
    assert.deepEqual(await inline(), later);
  });

  test('a permission set deleted since the plan: nothing to change, nothing to restore', async () => {
    const item = narrowItem();
    const planned: AwsPermissionSetPolicySnapshot = await snapshotPermissionSetPolicy(session, system, item);
    await ssoAdmin.send(
      new DeletePermissionSetCommand({ InstanceArn: account.instanceArn, PermissionSetArn: permissionSetArn }),
    );

    assert.equal((await applyPermissionSetPolicy(session, system, item, planned, polling)).status, 'gone');
    assert.equal((await verifyPermissionSetPolicy(session, system, item)).ok, true);
    assert.equal((await restorePermissionSetPolicy(session, system, planned, item, polling)).status, 'gone');
  });
});

describe("AWS cleanup behind the workflow port: a permission set's inline policy", () => {
  test('each step answers the status the workflow acts on; staging is refused, so it is removed at once', async () => {
    const executor = createAwsCleanup({ broker });
    const immediate = fakeProvisioning(front, { pollsUntilDone: 0 });
    immediate.provision(permissionSetArn, [ACCOUNT_ID]);
    const item = narrowItem();
    const planned = await executor.snapshot(system, item);

    const statuses = [
      (await executor.stage!(system, item)).status,
      (await executor.apply(system, item, planned)).status,
      (await executor.apply(system, item, planned)).status,
      (await executor.verify(system, item)).ok,
      (await executor.restore(system, item, planned)).status,
      (await executor.restore(system, item, planned)).status,
    ];

    assert.deepEqual(statuses, ['unsupported', 'applied', 'already', true, 'restored', 'already']);
    assert.deepEqual(await inline(), WIDE);
    await putInline(document(['s3:GetObject', 's3:PutObject']));
    const conflict = await executor.apply(system, item, planned);
    assert.equal(conflict.status, 'conflict');
    assert.match(conflict.detail, /no longer Allow s3:DeleteObject/);
  });
});
