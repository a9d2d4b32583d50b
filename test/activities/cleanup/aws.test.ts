import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { CreateAccountAssignmentCommand, ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import {
  CreateGroupCommand as CreateDirectoryGroupCommand,
  CreateGroupMembershipCommand,
} from '@aws-sdk/client-identitystore';
import {
  applyAws,
  AWS_GUARD_POLICY_DOCUMENT,
  createAwsCleanup,
  normaliseAwsPolicyDocument,
  restoreAws,
  sameAwsPolicyDocument,
  snapshotAws,
  verifyAws,
  type AwsManagedPolicySnapshot,
  type AwsObjectSnapshot,
} from '../../../activities/cleanup/aws';
import { createAwsBroker, type AwsBroker, type AwsSession } from '../../../activities/cloud/aws';
import { asAwsSystem, type AwsSystem } from '../../../activities/cloud/aws/errors';
import {
  AWS_GUARD_POLICY_NAME,
  type CleanupChangeKind,
  type CleanupItem,
  type CleanupObjectKind,
} from '../../../domain/cleanup/model';
import { ErrorCode } from '../../../domain/errors';
import { testServices } from '../../support/launch/services';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ACCOUNT_ID,
  APP_ROLE,
  awsSystem,
  CI_USER,
  freshAwsAccount,
  operatorClients,
  rewriteJson,
  startMotoFront,
  SYSTEM_ID,
  useDummyAwsCredentials,
  type AwsAccount,
} from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const { iam, ssoAdmin, identityStore } = operatorClients(motoUrl);

const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
const USER_ARN = `arn:aws:iam::${ACCOUNT_ID}:user/${CI_USER}`;
/** A role under a path: its name is the last segment of the ARN. */
const REPORTING_ROLE = 'reporting';
const REPORTING_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/teams/payments/${REPORTING_ROLE}`;

const document = (actions: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Data', Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::payments-data/*' }],
});
const WIDE = document(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
const NARROW = document(['s3:GetObject']);

let account: AwsAccount;
let system: AwsSystem;
let broker: AwsBroker;
let session: AwsSession;

beforeEach(async () => {
  account = await freshAwsAccount(motoUrl);
  system = asAwsSystem(awsSystem(account, motoUrl));
  broker = createAwsBroker();
  session = await broker.session(system, 'cleanup-run-1');
});
afterEach(() => broker.close());

function itemFor(
  change: CleanupChangeKind,
  kind: CleanupObjectKind,
  key: string,
  extra: Partial<CleanupItem> = {},
): CleanupItem {
  return {
    itemId: `${change}:${kind}:${key}`,
    systemId: SYSTEM_ID,
    change,
    object: { kind, key, name: key },
    identities: [],
    reason: 'no use of the removed access in 90 days',
    owners: ['owner@example.com'],
    ...extra,
  };
}

/* ---------- what an operator sees in IAM, read without the code under test ---------- */

const decoded = (text: string | undefined): unknown =>
  text === undefined ? undefined : JSON.parse(decodeURIComponent(text));

async function rolePolicy(roleName: string, policyName: string): Promise<unknown> {
  try {
    return decoded(
      (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))).PolicyDocument,
    );
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return undefined;
    throw error;
  }
}

/** The default document and every version's document, oldest first (ids differ after a restore). */
async function managedPolicy(policyArn: string): Promise<{ defaultDocument: unknown; documents: unknown[] }> {
  const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy!;
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions ?? [];
  const documents: unknown[] = [];
  for (const version of versions.sort((a, b) => Number(a.VersionId!.slice(1)) - Number(b.VersionId!.slice(1)))) {
    const read = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: version.VersionId }));
    documents.push(decoded(read.PolicyVersion!.Document));
  }
  const current = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy.DefaultVersionId }),
  );
  return { defaultDocument: decoded(current.PolicyVersion!.Document), documents };
}

async function attachedToRole(roleName: string): Promise<string[]> {
  const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (listed.AttachedPolicies ?? []).map((policy) => policy.PolicyArn!).sort();
}

async function keyStatuses(userName: string): Promise<Record<string, string>> {
  const listed = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
  return Object.fromEntries((listed.AccessKeyMetadata ?? []).map((key) => [key.AccessKeyId!, key.Status!]));
}

async function hasLoginProfile(userName: string): Promise<boolean> {
  try {
    await iam.send(new GetLoginProfileCommand({ UserName: userName }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return false;
    throw error;
  }
}

async function assignments(permissionSetArn: string): Promise<string[]> {
  const listed = await ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: permissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((a) => `${a.PrincipalType}:${a.PrincipalId}`).sort();
}

/* ---------- fixtures ---------- */

async function assign(permissionSetArn: string, principalType: 'USER' | 'GROUP', principalId: string): Promise<void> {
  await ssoAdmin.send(
    new CreateAccountAssignmentCommand({
      InstanceArn: account.instanceArn,
      TargetType: 'AWS_ACCOUNT',
      TargetId: ACCOUNT_ID,
      PermissionSetArn: permissionSetArn,
      PrincipalType: principalType,
      PrincipalId: principalId,
    }),
  );
}

/** A directory group with these users in it, as the Identity Store holds it; its id. */
async function directoryGroup(name: string, userIds: string[]): Promise<string> {
  const IdentityStoreId = account.identityStoreId;
  const { GroupId } = await identityStore.send(new CreateDirectoryGroupCommand({ IdentityStoreId, DisplayName: name }));
  for (const UserId of userIds)
    await identityStore.send(new CreateGroupMembershipCommand({ IdentityStoreId, GroupId, MemberId: { UserId } }));
  return GroupId!;
}

/** The cleanup item the planner makes for a group's unused assignment: its members are the identities. */
function groupAssignmentItem(groupId: string, permissionSetArn: string): CleanupItem {
  return itemFor(
    'delete-assignment',
    'aws-sso-assignment',
    `arn:aws:identitystore:::group/${groupId}|${permissionSetArn}|${ACCOUNT_ID}`,
    {
      identities: [
        { id: `arn:aws:identitystore:::user/${account.ada.userId}`, name: 'ada.lovelace', kind: 'aws-sso-user' },
        { id: `arn:aws:identitystore:::user/${account.grace.userId}`, name: 'grace@example.com', kind: 'aws-sso-user' },
      ],
    },
  );
}

async function putRoleData(roleName = APP_ROLE, policy: unknown = WIDE): Promise<void> {
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'payments-data',
      PolicyDocument: JSON.stringify(policy),
    }),
  );
}

async function createManagedPolicy(versions: unknown[]): Promise<string> {
  const created = await iam.send(
    new CreatePolicyCommand({ PolicyName: 'shared-data', PolicyDocument: JSON.stringify(versions[0]) }),
  );
  const policyArn = created.Policy!.Arn!;
  for (const body of versions.slice(1)) {
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: JSON.stringify(body),
        SetAsDefault: true,
      }),
    );
  }
  await iam.send(new AttachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: policyArn }));
  return policyArn;
}

async function createReportingRole(): Promise<void> {
  await iam.send(
    new CreateRoleCommand({
      RoleName: REPORTING_ROLE,
      Path: '/teams/payments/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
}

/**
 * snapshot → apply → verify → apply again (a no-op) → restore → restore again (a no-op), checking what an
 * operator sees at each step: changed after apply, unchanged by the repeats, equal to before after restore.
 */
async function roundTrip<T>(
  item: CleanupItem,
  observe: () => Promise<T>,
): Promise<{ planned: AwsObjectSnapshot; changed: T }> {
  const before = await observe();
  const planned = await snapshotAws(session, system, item);
  assert.deepEqual(JSON.parse(JSON.stringify(planned)), planned, 'the snapshot is JSON-safe');

  const applied = await applyAws(session, system, item, planned);
  assert.equal(applied.applied, true, applied.detail);
  assert.equal(applied.conflict, undefined);
  const changed = await observe();
  assert.notDeepEqual(changed, before, 'apply changed the object in IAM');

  const verified = await verifyAws(session, system, item);
  assert.equal(verified.ok, true, verified.detail);

  const again = await applyAws(session, system, item, planned);
  assert.deepEqual([again.applied, again.conflict], [false, undefined], again.detail);
  assert.match(again.detail, /^Already done/);
  assert.deepEqual(await observe(), changed, 'a repeated apply changes nothing more');

  const restored = await restoreAws(session, system, planned, item);
  assert.equal(restored.restored, true, restored.detail);
  assert.equal(restored.conflict, undefined);
  assert.deepEqual(await observe(), before, 'restore put back what the snapshot holds');
  if (planned.kind !== 'aws-managed-policy' && planned.kind !== 'aws-console-password') {
    assert.deepEqual(await snapshotAws(session, system, item), planned, 'a new snapshot equals the old one');
  }

  const restoredAgain = await restoreAws(session, system, planned, item);
  assert.deepEqual([restoredAgain.restored, restoredAgain.conflict], [false, undefined], restoredAgain.detail);
  assert.deepEqual(await observe(), before, 'a repeated restore changes nothing more');
  return { planned, changed };
}

describe('normalising AWS policy documents', () => {
  test("IAM's URL-encoded text and the same document as an object, with one-element lists, compare equal", () => {
    const fromIam = encodeURIComponent(
      JSON.stringify({
        Statement: { Resource: ['*'], Action: ['s3:PutObject', 's3:GetObject'], Effect: 'Allow' },
        Version: '2012-10-17',
      }),
    );
    const written = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' }],
    };

    assert.equal(sameAwsPolicyDocument(fromIam, written), true);
    assert.deepEqual(normaliseAwsPolicyDocument(fromIam), {
      Statement: [{ Action: ['s3:GetObject', 's3:PutObject'], Effect: 'Allow', Resource: ['*'] }],
      Version: '2012-10-17',
    });
    assert.equal(sameAwsPolicyDocument(written, document(['s3:GetObject'])), false);
    assert.equal(normaliseAwsPolicyDocument(null), null);
    const plus = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a+b/*' }],
    };
    assert.deepEqual(normaliseAwsPolicyDocument(JSON.stringify(plus)), normaliseAwsPolicyDocument(plus));
  });
});

describe('AWS cleanup: snapshot, apply, verify, restore on moto', () => {
  test('narrowing an inline role policy puts the right-sized document, and restore puts the old one back', async () => {
    await putRoleData();
    const item = itemFor('narrow-policy', 'aws-inline-policy', `${ROLE_ARN}#payments-data`, {
      before: WIDE,
      after: NARROW,
      removeActions: ['s3:DeleteObject', 's3:PutObject'],
    });

    const { planned } = await roundTrip(item, () => rolePolicy(APP_ROLE, 'payments-data'));

    assert.deepEqual(planned, {
      kind: 'aws-inline-policy',
      principal: { type: 'role', name: APP_ROLE, arn: ROLE_ARN },
      policyName: 'payments-data',
      principalExists: true,
      document: WIDE,
    });
    assert.deepEqual(await rolePolicy(APP_ROLE, 'baseline-logs'), {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
    });
  });

  test('an inline policy with nothing left (after null) is deleted, and restored; a path in the ARN names the role', async () => {
    await createReportingRole();
    await putRoleData(REPORTING_ROLE);
    const item = itemFor('narrow-policy', 'aws-inline-policy', `${REPORTING_ARN}#payments-data`, {
      before: WIDE,
      after: null,
    });

    const { planned } = await roundTrip(item, () => rolePolicy(REPORTING_ROLE, 'payments-data'));

    assert.deepEqual(planned.kind === 'aws-inline-policy' && planned.principal, {
      type: 'role',
      name: REPORTING_ROLE,
      arn: REPORTING_ARN,
    });
  });

  test("a group's inline policy is narrowed with PutGroupPolicy and restored", async () => {
    await iam.send(new CreateGroupCommand({ GroupName: 'analysts' }));
    await iam.send(
      new PutGroupPolicyCommand({
        GroupName: 'analysts',
        PolicyName: 'payments-data',
        PolicyDocument: JSON.stringify(WIDE),
      }),
    );
    const item = itemFor(
      'narrow-policy',
      'aws-inline-policy',
      `arn:aws:iam::${ACCOUNT_ID}:group/analysts#payments-data`,
      {
        after: NARROW,
      },
    );

    await roundTrip(item, async () =>
      decoded(
        (await iam.send(new GetGroupPolicyCommand({ GroupName: 'analysts', PolicyName: 'payments-data' })))
          .PolicyDocument,
      ),
    );
  });

  test('narrowing a customer-managed policy makes a new default version; restore makes the old one default again', async () => {
    const policyArn = await createManagedPolicy([WIDE]);
    const item = itemFor('narrow-policy', 'aws-managed-policy', policyArn, { after: NARROW });

    const { planned } = await roundTrip(item, () => managedPolicy(policyArn));

    assert.deepEqual(planned, {
      kind: 'aws-managed-policy',
      policyArn,
      exists: true,
      defaultVersionId: 'v1',
      document: WIDE,
      versions: [{ versionId: 'v1', document: WIDE, isDefault: true }],
    });
    assert.deepEqual(await attachedToRole(APP_ROLE), [policyArn], 'the attachment is untouched');
  });

  test('at the five-version limit apply prunes the oldest non-default version, and restore brings every document back', async () => {
    const history = [
      document(['s3:ListBucket']),
      document(['s3:GetObject', 's3:ListBucket']),
      NARROW,
      document(['s3:PutObject']),
      WIDE,
    ];
    const policyArn = await createManagedPolicy(history);
    const item = itemFor('narrow-policy', 'aws-managed-policy', `${policyArn}`, {
      after: document(['s3:GetObject', 's3:PutObject']),
    });
    const planned = (await snapshotAws(session, system, item)) as AwsManagedPolicySnapshot;
    assert.deepEqual(
      planned.versions.map((version) => [version.versionId, version.isDefault]),
      [
        ['v1', false],
        ['v2', false],
        ['v3', false],
        ['v4', false],
        ['v5', true],
      ],
    );

    const applied = await applyAws(session, system, item, planned);

    assert.equal(applied.applied, true, applied.detail);
    assert.match(applied.detail, /Pruned version v1/);
    const narrowed = await managedPolicy(policyArn);
    assert.deepEqual(narrowed.defaultDocument, item.after);
    assert.deepEqual(narrowed.documents, [...history.slice(1), item.after]);
    assert.equal((await verifyAws(session, system, item)).ok, true);

    const restored = await restoreAws(session, system, planned, item);

    assert.equal(restored.restored, true, restored.detail);
    const back = await managedPolicy(policyArn);
    assert.deepEqual(back.defaultDocument, WIDE);
    // the pruned document comes back as a new (newest) version; ids differ, documents do not
    assert.deepEqual(
      back.documents.map((body) => JSON.stringify(body)).sort(),
      history.map((body) => JSON.stringify(body)).sort(),
    );
    assert.deepEqual((await restoreAws(session, system, planned, item)).restored, false);
  });

  test('a worker killed after pruning but before the new version resumes without pruning again', async () => {
    const history = [
      document(['s3:ListBucket']),
      NARROW,
      document(['s3:PutObject']),
      document(['s3:DeleteObject']),
      WIDE,
    ];
    const policyArn = await createManagedPolicy(history);
    const item = itemFor('narrow-policy', 'aws-managed-policy', policyArn, { after: NARROW });
    const planned = await snapshotAws(session, system, item);
    // what the killed attempt did before it died
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: 'v1' }));

    const resumed = await applyAws(session, system, item, planned);

    assert.equal(resumed.applied, true, resumed.detail);
    assert.doesNotMatch(resumed.detail, /Pruned/);
    assert.deepEqual((await managedPolicy(policyArn)).documents, [...history.slice(1), NARROW]);
    assert.equal((await restoreAws(session, system, planned, item)).restored, true);
    assert.deepEqual((await managedPolicy(policyArn)).defaultDocument, WIDE);
  });

  test('detaching a managed policy from a role, and attaching it again on restore', async () => {
    const policyArn = await createManagedPolicy([WIDE]);
    const item = itemFor('detach-policy', 'aws-policy-attachment', `${ROLE_ARN}|${policyArn}`);

    const { planned } = await roundTrip(item, () => attachedToRole(APP_ROLE));

    assert.deepEqual(planned.kind === 'aws-policy-attachment' && [planned.attached, planned.principal.name], [
      true,
      APP_ROLE,
    ]);
  });

  test("deleting a user's Identity Center assignment, and assigning it again on restore", async () => {
    const permissionSetArn = account.readOnlyPermissionSetArn;
    for (const userId of [account.ada.userId, account.grace.userId]) await assign(permissionSetArn, 'USER', userId);
    const principal = `arn:aws:identitystore:::user/${account.ada.userId}`;
    const item = itemFor('delete-assignment', 'aws-sso-assignment', `${principal}|${permissionSetArn}|${ACCOUNT_ID}`);

    await roundTrip(item, () => assignments(permissionSetArn));

    assert.deepEqual(
      await assignments(permissionSetArn),
      [`USER:${account.ada.userId}`, `USER:${account.grace.userId}`].sort(),
    );
  });

  test("deleting an Identity Center group's assignment, and assigning the group again on restore", async () => {
    const permissionSetArn = account.readOnlyPermissionSetArn;
    const groupId = await directoryGroup('payments-oncall', [account.ada.userId, account.grace.userId]);
    await assign(permissionSetArn, 'GROUP', groupId);
    // Ada's own assignment of the same permission set is another object: it stays
    await assign(permissionSetArn, 'USER', account.ada.userId);
    const item = groupAssignmentItem(groupId, permissionSetArn);

    const { planned, changed } = await roundTrip(item, () => assignments(permissionSetArn));

    assert.deepEqual(planned, {
      kind: 'aws-sso-assignment',
      principalType: 'GROUP',
      principalId: groupId,
      permissionSetArn,
      accountId: ACCOUNT_ID,
      present: true,
    });
    assert.deepEqual(changed, [`USER:${account.ada.userId}`], "the group's assignment was gone from Identity Center");
    assert.deepEqual(await assignments(permissionSetArn), [`GROUP:${groupId}`, `USER:${account.ada.userId}`].sort());
  });

  test("a group's assignment is deleted and made again with PrincipalType GROUP, waiting for AWS each time", async () => {
    const permissionSetArn = account.readOnlyPermissionSetArn;
    const groupId = await directoryGroup('payments-oncall', [account.ada.userId]);
    await assign(permissionSetArn, 'GROUP', groupId);
    const item = groupAssignmentItem(groupId, permissionSetArn);
    // moto finishes every assignment request at once; AWS answers IN_PROGRESS first and is asked again
    const front = await startMotoFront(motoUrl);
    front.intercept('DeleteAccountAssignment', async ({ forward }) =>
      rewriteJson(forward(), (body) => void (body.AccountAssignmentDeletionStatus.Status = 'IN_PROGRESS')),
    );
    front.intercept('CreateAccountAssignment', async ({ forward }) =>
      rewriteJson(forward(), (body) => void (body.AccountAssignmentCreationStatus.Status = 'IN_PROGRESS')),
    );
    const frontBroker = createAwsBroker();
    try {
      const viaFront = asAwsSystem(awsSystem(account, front.url));
      const executor = createAwsCleanup({ broker: frontBroker });
      const planned = await executor.snapshot(viaFront, item);

      assert.equal((await executor.apply(viaFront, item, planned)).status, 'applied');
      assert.deepEqual(await assignments(permissionSetArn), []);
      assert.equal((await executor.verify(viaFront, item)).ok, true);
      assert.equal((await executor.apply(viaFront, item, planned)).status, 'already');
      assert.equal((await executor.restore(viaFront, item, planned)).status, 'restored');
      assert.deepEqual(await assignments(permissionSetArn), [`GROUP:${groupId}`]);

      const sent = (operation: string) =>
        front.calls
          .filter((call) => call.operation === operation)
          .map((call) => [call.params.PrincipalType, call.params.PrincipalId]);
      assert.deepEqual(sent('DeleteAccountAssignment'), [['GROUP', groupId]]);
      assert.deepEqual(sent('CreateAccountAssignment'), [['GROUP', groupId]]);
      const polled = (operation: string) => front.calls.filter((call) => call.operation === operation).length;
      assert.equal(polled('DescribeAccountAssignmentDeletionStatus'), 1);
      assert.equal(polled('DescribeAccountAssignmentCreationStatus'), 1);
    } finally {
      frontBroker.close();
      await front.close();
    }
  });

  test('an Identity Center assignment on another account than the system is refused, naming both', async () => {
    const key = `arn:aws:identitystore:::group/g-123|${account.readOnlyPermissionSetArn}|210987654321`;

    await rejectsWith(
      snapshotAws(session, system, itemFor('delete-assignment', 'aws-sso-assignment', key)),
      ErrorCode.CloudTargetUnknown,
      new RegExp(`on account 210987654321, not on account ${ACCOUNT_ID}`),
    );
  });

  test('deactivating an access key named by its id alone, and activating it again on restore', async () => {
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: CI_USER }))).AccessKey!.AccessKeyId!;
    const other = (await iam.send(new CreateAccessKeyCommand({ UserName: CI_USER }))).AccessKey!.AccessKeyId!;
    const item = itemFor('deactivate-key', 'aws-access-key', key);

    const { planned } = await roundTrip(item, () => keyStatuses(CI_USER));

    assert.deepEqual(planned, { kind: 'aws-access-key', accessKeyId: key, userName: CI_USER, status: 'Active' });
    assert.equal((await keyStatuses(CI_USER))[other], 'Active');
  });

  test("an access key named with its user's ARN is deactivated the same way", async () => {
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: CI_USER }))).AccessKey!.AccessKeyId!;

    await roundTrip(itemFor('deactivate-key', 'aws-access-key', `${USER_ARN}#${key}`), () => keyStatuses(CI_USER));
  });

  test('removing a console password, and restoring it as a new login profile that must be reset, never showing it', async () => {
    await iam.send(new CreateLoginProfileCommand({ UserName: CI_USER, Password: 'Initial-Passw0rd!' }));
    // a front shows what Least sent: moto ignores PasswordResetRequired on CreateLoginProfile
    const front = await startMotoFront(motoUrl);
    const frontBroker = createAwsBroker();
    try {
      const viaFront = asAwsSystem(awsSystem(account, front.url));
      const frontSession = await frontBroker.session(viaFront, 'cleanup-run-1');
      const item = itemFor('remove-password', 'aws-console-password', `${USER_ARN}#console-password`, {
        explicitOnly: true,
      });
      const planned = await snapshotAws(frontSession, viaFront, item);
      assert.deepEqual(planned, {
        kind: 'aws-console-password',
        principal: { type: 'user', name: CI_USER, arn: USER_ARN },
        principalExists: true,
        loginProfile: true,
        passwordResetRequired: false,
      });

      assert.equal((await applyAws(frontSession, viaFront, item, planned)).applied, true);
      assert.equal(await hasLoginProfile(CI_USER), false);
      assert.equal((await verifyAws(frontSession, viaFront, item)).ok, true);
      assert.equal((await applyAws(frontSession, viaFront, item, planned)).applied, false);

      const restored = await restoreAws(frontSession, viaFront, planned, item);

      assert.equal(restored.restored, true, restored.detail);
      assert.equal(await hasLoginProfile(CI_USER), true);
      assert.match(restored.detail, /must be reset/);
      const created = front.calls.filter((call) => call.operation === 'CreateLoginProfile');
      assert.equal(created.length, 1);
      assert.equal(created[0]!.params.PasswordResetRequired, 'true');
      const password = String(created[0]!.params.Password);
      assert.ok(password.length >= 32 && /[A-Z]/.test(password) && /[a-z]/.test(password) && /\d/.test(password));
      assert.equal(JSON.stringify(restored).includes(password), false, 'the password is in no result');
      assert.equal((await restoreAws(frontSession, viaFront, planned, item)).restored, false);
    } finally {
      frontBroker.close();
      await front.close();
    }
  });

  test("an inactive role gets Least's deny-all guard, and restore removes it", async () => {
    const item = itemFor('guard-principal', 'aws-principal', ROLE_ARN);

    const { planned } = await roundTrip(item, async () => ({
      policies: (await iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }))).PolicyNames?.sort(),
      guard: await rolePolicy(APP_ROLE, AWS_GUARD_POLICY_NAME),
    }));

    assert.deepEqual(planned.kind === 'aws-principal' && planned.guard, null);
  });

  test('an inactive user gets the guard too; what it holds is a deny of everything', async () => {
    const item = itemFor('guard-principal', 'aws-principal', USER_ARN);
    const planned = await snapshotAws(session, system, item);

    await applyAws(session, system, item, planned);

    const guard = decoded(
      (await iam.send(new GetUserPolicyCommand({ UserName: CI_USER, PolicyName: AWS_GUARD_POLICY_NAME })))
        .PolicyDocument,
    );
    assert.deepEqual(guard, {
      Version: '2012-10-17',
      Statement: [{ Sid: 'LeastInactiveGuard', Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    assert.deepEqual(guard, AWS_GUARD_POLICY_DOCUMENT);
  });

  test('a group is never guarded: its members may be active', async () => {
    await rejectsWith(
      snapshotAws(
        session,
        system,
        itemFor('guard-principal', 'aws-principal', `arn:aws:iam::${ACCOUNT_ID}:group/analysts`),
      ),
      ErrorCode.CloudTargetUnknown,
      /group analysts/,
    );
  });

  test('a change that does not fit the object is refused as malformed', async () => {
    const policyArn = await createManagedPolicy([WIDE]);
    const item = itemFor('deactivate-key', 'aws-managed-policy', policyArn);
    const planned = await snapshotAws(session, system, item);

    await rejectsWith(applyAws(session, system, item, planned), ErrorCode.InputMalformed, /deactivate-key/);
  });
});

describe('AWS cleanup: changes made by someone else', () => {
  test('an inline policy edited between plan and apply is a conflict naming the edit, and is not overwritten', async () => {
    await putRoleData();
    const item = itemFor('narrow-policy', 'aws-inline-policy', `${ROLE_ARN}#payments-data`, { after: NARROW });
    const planned = await snapshotAws(session, system, item);
    const edited = document(['s3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectAcl']);
    await putRoleData(APP_ROLE, edited);

    const result = await applyAws(session, system, item, planned);

    assert.equal(result.applied, false);
    assert.match(
      result.conflict ?? '',
      /inline policy payments-data of IAM role payments-operator was edited: now also Allow s3:PutObjectAcl/,
    );
    assert.deepEqual(await rolePolicy(APP_ROLE, 'payments-data'), edited);
  });

  test('a customer-managed policy given a new default version between plan and apply is a conflict', async () => {
    const policyArn = await createManagedPolicy([WIDE]);
    const item = itemFor('narrow-policy', 'aws-managed-policy', policyArn, { after: NARROW });
    const planned = await snapshotAws(session, system, item);
    const edited = document(['s3:GetObject', 's3:ListBucket']);
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: JSON.stringify(edited),
        SetAsDefault: true,
      }),
    );

    const result = await applyAws(session, system, item, planned);

    assert.equal(result.applied, false);
    assert.match(
      result.conflict ?? '',
      /another default version \(v2\).*now also Allow s3:ListBucket.*no longer Allow s3:DeleteObject/,
    );
    assert.deepEqual((await managedPolicy(policyArn)).defaultDocument, edited);
  });

  test('restore over a later edit is refused, naming it, and leaves the edit in place', async () => {
    await putRoleData();
    const item = itemFor('narrow-policy', 'aws-inline-policy', `${ROLE_ARN}#payments-data`, { after: NARROW });
    const planned = await snapshotAws(session, system, item);
    await applyAws(session, system, item, planned);
    const later = document(['s3:GetObject', 's3:GetObjectVersion']);
    await putRoleData(APP_ROLE, later);

    const result = await restoreAws(session, system, planned, item);

    assert.equal(result.restored, false);
    assert.match(result.conflict ?? '', /was edited: now also Allow s3:GetObjectVersion/);
    assert.deepEqual(await rolePolicy(APP_ROLE, 'payments-data'), later);
  });

  test('restore of a managed policy someone narrowed further is refused', async () => {
    const policyArn = await createManagedPolicy([WIDE]);
    const item = itemFor('narrow-policy', 'aws-managed-policy', policyArn, { after: NARROW });
    const planned = await snapshotAws(session, system, item);
    await applyAws(session, system, item, planned);
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: JSON.stringify(document(['s3:ListBucket'])),
        SetAsDefault: true,
      }),
    );

    const result = await restoreAws(session, system, planned, item);

    assert.equal(result.restored, false);
    assert.match(result.conflict ?? '', /another default version \(v3\)/);
    assert.deepEqual((await managedPolicy(policyArn)).defaultDocument, document(['s3:ListBucket']));
  });

  test('an access key deactivated by its owner before apply is already done, not a conflict', async () => {
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: CI_USER }))).AccessKey!.AccessKeyId!;
    const item = itemFor('deactivate-key', 'aws-access-key', key);
    const planned = await snapshotAws(session, system, item);
    await iam.send(new UpdateAccessKeyCommand({ UserName: CI_USER, AccessKeyId: key, Status: 'Inactive' }));

    const result = await applyAws(session, system, item, planned);

    assert.deepEqual([result.applied, result.conflict], [false, undefined]);
    assert.match(result.detail, /Already done: access key .* is Inactive/);
  });

  test('a role deleted between plan and apply gives a clear answer: nothing to change, nothing to restore', async () => {
    await createReportingRole();
    await putRoleData(REPORTING_ROLE);
    const policyArn = await createManagedPolicy([WIDE]);
    await iam.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: policyArn }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: REPORTING_ROLE, PolicyArn: policyArn }));
    const items = [
      itemFor('narrow-policy', 'aws-inline-policy', `${REPORTING_ARN}#payments-data`, { after: NARROW }),
      itemFor('detach-policy', 'aws-policy-attachment', `${REPORTING_ARN}|${policyArn}`),
      itemFor('guard-principal', 'aws-principal', REPORTING_ARN),
    ];
    const planned = await Promise.all(items.map((item) => snapshotAws(session, system, item)));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: REPORTING_ROLE, PolicyName: 'payments-data' }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: REPORTING_ROLE, PolicyArn: policyArn }));
    await iam.send(new DeleteRoleCommand({ RoleName: REPORTING_ROLE }));

    for (const [index, item] of items.entries()) {
      const applied = await applyAws(session, system, item, planned[index]!);
      assert.deepEqual([applied.applied, applied.gone], [false, true], applied.detail);
      assert.match(applied.conflict ?? '', /IAM role reporting no longer exists/);
      const verified = await verifyAws(session, system, item);
      assert.equal(verified.ok, true, verified.detail);
      const restored = await restoreAws(session, system, planned[index]!, item);
      assert.deepEqual([restored.restored, restored.gone], [false, true], restored.detail);
      assert.match(restored.conflict ?? '', /IAM role reporting no longer exists/);
    }
  });
});

describe('AWS cleanup behind the workflow port', () => {
  test('each step answers with the status the workflow acts on: applied, already, conflict, gone, restored', async () => {
    const executor = createAwsCleanup({ broker });
    await putRoleData();
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: CI_USER }))).AccessKey!.AccessKeyId!;
    const narrow = itemFor('narrow-policy', 'aws-inline-policy', `${ROLE_ARN}#payments-data`, { after: NARROW });
    const deactivate = itemFor('deactivate-key', 'aws-access-key', `${USER_ARN}#${key}`);
    const guard = itemFor('guard-principal', 'aws-principal', ROLE_ARN);
    const narrowPlanned = await executor.snapshot(system, narrow);
    const keyPlanned = await executor.snapshot(system, deactivate);
    const guardPlanned = await executor.snapshot(system, guard);

    const statuses = [
      (await executor.apply(system, narrow, narrowPlanned)).status,
      (await executor.apply(system, narrow, narrowPlanned)).status,
      (await executor.verify(system, narrow)).ok,
      (await executor.restore(system, narrow, narrowPlanned)).status,
      (await executor.restore(system, narrow, narrowPlanned)).status,
    ];
    await executor.apply(system, deactivate, keyPlanned);
    await iam.send(new UpdateAccessKeyCommand({ UserName: CI_USER, AccessKeyId: key, Status: 'Active' }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: 'baseline-logs' }));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: 'payments-data' }));
    await iam.send(new DeleteRoleCommand({ RoleName: APP_ROLE }));

    assert.deepEqual(statuses, ['applied', 'already', true, 'restored', 'already']);
    assert.equal((await executor.restore(system, deactivate, keyPlanned)).status, 'already', 'reactivated by hand');
    assert.equal((await executor.apply(system, guard, guardPlanned)).status, 'gone');
    await rejectsWith(
      executor.apply(system, guard, keyPlanned),
      ErrorCode.InputMalformed,
      /not an aws-principal snapshot/,
    );
  });

  test('an edit between plan and apply is a conflict through the port too', async () => {
    const executor = createAwsCleanup({ broker });
    await putRoleData();
    const narrow = itemFor('narrow-policy', 'aws-inline-policy', `${ROLE_ARN}#payments-data`, { after: NARROW });
    const planned = await executor.snapshot(system, narrow);
    await putRoleData(APP_ROLE, document(['s3:GetObject', 's3:PutObject']));

    const result = await executor.apply(system, narrow, planned);

    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /no longer Allow s3:DeleteObject/);
  });
});
