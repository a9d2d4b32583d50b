import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddUserToGroupCommand,
  CreateLoginProfileCommand,
  AttachRolePolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  AttachCustomerManagedPolicyReferenceToPermissionSetCommand,
  CreateAccountAssignmentCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
} from '@aws-sdk/client-sso-admin';
import {
  CreateGroupCommand as CreateDirectoryGroupCommand,
  CreateGroupMembershipCommand,
} from '@aws-sdk/client-identitystore';
import {
  contentId,
  createAwsCollector,
  ssoGroupId,
  ssoUserId,
  type AwsCollector,
} from '../../../activities/inventory/aws';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  APP_ROLE,
  CI_USER,
  freshAwsAccount,
  jsonError,
  operatorClients,
  startMotoFront,
  useDummyAwsCredentials,
  type AwsAccount,
} from '../../support/fakes/aws-fixtures';
import { generateAwsInventory } from '../../support/generators/aws-inventory';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { rejectsWith } from '../../support/checks/assertions';
import { ErrorCode } from '../../../domain/errors';
import { runStep } from '../../support/checks/collector-run';
import { inventorySystem } from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const { iam, ssoAdmin, identityStore } = operatorClients(motoUrl);
const WINDOW = { from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };
const arn = (kind: 'role' | 'user' | 'group', name: string, path = '/') =>
  `arn:aws:iam::${ACCOUNT_ID}:${kind}${path}${name}`;

let account: AwsAccount;
let policy: Policy;
let system: AuthorizationSystem;
let collector: AwsCollector;
const sink = new RecordingSink();
let keyId: string;

before(async () => {
  account = await freshAwsAccount(motoUrl);
  ({ policy, system } = inventorySystem(account, motoUrl, { accessAdvisor: false }));
  await generateAwsInventory(iam, { accountId: ACCOUNT_ID, roles: 6, users: 4, groups: 2, seed: 7 });
  // one of each grant path, named so the assertions can find them
  const shared = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'audit-read',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
      }),
    }),
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'auditor',
      Path: '/security/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
        ],
      }),
      Tags: [{ Key: 'Owner', Value: 'security@example.com' }],
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'auditor', PolicyArn: shared.Policy!.Arn! }));
  await iam.send(
    new PutRolePermissionsBoundaryCommand({ RoleName: 'auditor', PermissionsBoundary: shared.Policy!.Arn! }),
  );
  await iam.send(new CreateLoginProfileCommand({ UserName: CI_USER, Password: 'Correct-Horse-Battery-9' }));
  await iam.send(new CreateGroupCommand({ GroupName: 'auditors' }));
  await iam.send(new AddUserToGroupCommand({ GroupName: 'auditors', UserName: CI_USER }));
  await iam.send(
    new PutUserPolicyCommand({
      UserName: CI_USER,
      PolicyName: 'broken',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'nosuchservice:Do', Resource: '*' }],
      }),
    }),
  );
  keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: CI_USER }))).AccessKey!.AccessKeyId!;
  await iam.send(new UpdateAccessKeyCommand({ UserName: CI_USER, AccessKeyId: keyId, Status: 'Inactive' }));

  // Identity Center: ReadOnly to ada directly, Admin to a group grace is in
  await ssoAdmin.send(
    new PutInlinePolicyToPermissionSetCommand({
      InstanceArn: account.instanceArn,
      PermissionSetArn: account.readOnlyPermissionSetArn,
      InlinePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
      }),
    }),
  );
  await ssoAdmin.send(
    new AttachCustomerManagedPolicyReferenceToPermissionSetCommand({
      InstanceArn: account.instanceArn,
      PermissionSetArn: account.adminPermissionSetArn,
      CustomerManagedPolicyReference: { Name: 'audit-read', Path: '/' },
    }),
  );
  const group = await identityStore.send(
    new CreateDirectoryGroupCommand({ IdentityStoreId: account.identityStoreId, DisplayName: 'Admins' }),
  );
  await identityStore.send(
    new CreateGroupMembershipCommand({
      IdentityStoreId: account.identityStoreId,
      GroupId: group.GroupId!,
      MemberId: { UserId: account.grace.userId },
    }),
  );
  const assign = (permissionSetArn: string, type: 'USER' | 'GROUP', principalId: string) =>
    ssoAdmin.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: account.instanceArn,
        PermissionSetArn: permissionSetArn,
        TargetId: ACCOUNT_ID,
        TargetType: 'AWS_ACCOUNT',
        PrincipalType: type,
        PrincipalId: principalId,
      }),
    );
  await assign(account.readOnlyPermissionSetArn, 'USER', account.ada.userId);
  await assign(account.adminPermissionSetArn, 'GROUP', group.GroupId!);
  // AWS provisions a set to an account with its first assignment there; moto waits to be asked
  await ssoAdmin.send(
    new ProvisionPermissionSetCommand({
      InstanceArn: account.instanceArn,
      PermissionSetArn: account.adminPermissionSetArn,
      TargetType: 'AWS_ACCOUNT',
      TargetId: ACCOUNT_ID,
    }),
  );

  collector = createAwsCollector({ reportPolling: { delayMs: 20 } });
  for (const step of ['authorization', 'identity-center', 'credentials'])
    await runStep(collector, system, step, { window: WINDOW, policy, sink });
});
after(() => collector.close());

describe('AWS inventory: who can do what', () => {
  test('steps follow the system: Identity Center when configured, no usage steps when none is set', () => {
    assert.deepEqual(collector.steps(system), ['authorization', 'identity-center', 'credentials']);
  });

  test('roles keep path, tags, owner and trust policy; the role last used is their last activity', () => {
    const auditor = sink.identitiesById.get(
      arn('role', 'auditor', '/security/'.slice(0, -1) + '/').replace('role//', 'role/'),
    );
    assert.ok(auditor, 'the auditor role is listed');
    assert.equal(auditor.kind, 'aws-iam-role');
    assert.equal(auditor.path, '/security/');
    assert.equal(auditor.owner, 'security@example.com');
    assert.equal(auditor.nature, 'workload');
    assert.deepEqual((auditor.trustPolicy as { Statement: { Principal: unknown }[] }).Statement[0]!.Principal, {
      AWS: 'arn:aws:iam::999999999999:root',
    });
    assert.ok(sink.identitiesById.get(arn('role', APP_ROLE)));
    assert.equal([...sink.identitiesById.values()].filter((i) => i.kind === 'aws-iam-role').length, 6 + 3);
  });

  test('a managed policy is one document, by content, whatever holds it; paths say how', () => {
    const auditorArn = `arn:aws:iam::${ACCOUNT_ID}:role/security/auditor`;
    const body = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
    };
    const id = contentId(body);
    const held = sink.pathsOf(auditorArn);
    assert.deepEqual(held.map((p) => [p.kind, p.documentId, p.via]).sort(), [
      ['managed-policy', id, `arn:aws:iam::${ACCOUNT_ID}:policy/audit-read`],
      ['permissions-boundary', id, `arn:aws:iam::${ACCOUNT_ID}:policy/audit-read`],
    ]);
    const document = sink.documentsById.get(id)!;
    assert.equal(document.document.managedByCloud, false);
    assert.deepEqual(
      document.actions.map((a) => a.action),
      ['cloudtrail:LookupEvents'],
    );
    // the generator's shared policies are held by many roles and stored once each
    const sharedIds = new Set(
      sink.paths
        .filter((p) => p.kind === 'managed-policy' && p.via?.endsWith(':policy/app-read-data'))
        .map((p) => p.documentId),
    );
    assert.ok(sharedIds.size <= 1);
  });

  test('users: inline policies, group membership by group ARN, keys as credentials with status', () => {
    const userArn = arn('user', CI_USER);
    const kinds = sink.pathsOf(userArn).map((p) => `${p.kind} ${p.via ?? ''}`);
    assert.ok(kinds.includes(`group-membership ${arn('group', 'auditors')}`), kinds.join('; '));
    assert.ok(kinds.includes('inline-policy broken'));
    const key = sink.identitiesById.get(keyId)!;
    assert.equal(key.kind, 'aws-access-key');
    assert.equal(key.parentId, userArn);
    assert.equal(key.disabled, true);
    assert.ok(key.createdAt);
    assert.equal(key.lastActivityAt, undefined, 'a key never used has no last activity');
    assert.equal([...sink.identitiesById.values()].filter((i) => i.kind === 'aws-access-key').length >= 1, true);
    // a console password (credential report) is a credential of its own, never used yet
    const password = sink.identitiesById.get(`${userArn}#console-password`);
    assert.equal(password?.kind, 'aws-console-password');
    assert.equal(password?.parentId, userArn);
    assert.equal(password?.lastActivityAt, undefined);
  });

  test('an action no catalogue knows is reported skipped, and the rest of the page goes on', () => {
    const unknown = sink.skippedItems.filter((s) => s.reason === 'action.unknown');
    assert.ok(unknown.length >= 1, JSON.stringify(sink.skippedItems));
    assert.ok(sink.identitiesById.size > 15);
  });

  test('Identity Center: permission sets hold their documents; users hold them directly or through groups', () => {
    const readOnly = sink.pathsOf(account.readOnlyPermissionSetArn);
    assert.deepEqual(
      readOnly.map((p) => p.kind),
      ['inline-policy'],
    );
    assert.ok(sink.documentsById.get(readOnly[0]!.documentId!)!.actions.some((a) => a.action === 's3:GetObject'));
    const admin = sink.pathsOf(account.adminPermissionSetArn);
    assert.deepEqual(
      admin.map((p) => [p.kind, p.via]),
      [['managed-policy', `arn:aws:iam::${ACCOUNT_ID}:policy/audit-read`]],
    );
    const ada = ssoUserId('aws', account.ada.userId);
    const grace = ssoUserId('aws', account.grace.userId);
    assert.equal(sink.identitiesById.get(ada)?.kind, 'aws-sso-user');
    assert.deepEqual(
      sink.pathsOf(ada).map((p) => [p.kind, p.via, p.scope]),
      [['permission-set', account.readOnlyPermissionSetArn, ACCOUNT_ID]],
    );
    // grace holds Admin through her group's assignment, not as her own: the cleanup tells the two apart
    const graceHolds = sink.pathsOf(grace).map((p) => `${p.kind} ${p.via}`);
    assert.equal(graceHolds.length, 1, graceHolds.join('; '));
    assert.match(graceHolds[0]!, /^group-membership arn:aws:identitystore:::group\//);
    const groupId = graceHolds[0]!.slice('group-membership '.length);
    assert.deepEqual(
      sink.pathsOf(groupId).map((p) => [p.kind, p.via, p.scope]),
      [['permission-set', account.adminPermissionSetArn, ACCOUNT_ID]],
    );
    assert.ok([...sink.identitiesById.keys()].some((id) => id.startsWith(ssoGroupId('aws', ''))));
  });

  test('Identity Center: each permission set records the accounts it is provisioned to', () => {
    assert.deepEqual(sink.identitiesById.get(account.adminPermissionSetArn)?.provisionedAccounts, [ACCOUNT_ID]);
    assert.deepEqual(sink.identitiesById.get(account.readOnlyPermissionSetArn)?.provisionedAccounts, []);
  });

  test('Identity Center: provisioned accounts are read page by page; a reader that may not ask leaves them unknown', async () => {
    const front = await startMotoFront(motoUrl);
    const other = createAwsCollector();
    try {
      const { system: viaFront } = inventorySystem(account, front.url, { accessAdvisor: false });
      // moto knows one account and no pages: AWS lists every account, a page at a time
      front.intercept('ListAccountsForProvisionedPermissionSet', async ({ params }) => ({
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(
          params.NextToken === 'page-2'
            ? { AccountIds: ['210987654321'] }
            : { AccountIds: ['999988887777', ACCOUNT_ID], NextToken: 'page-2' },
        ),
      }));
      const paged = new RecordingSink();
      await runStep(other, viaFront, 'identity-center', { window: WINDOW, policy, sink: paged });
      assert.deepEqual(paged.identitiesById.get(account.adminPermissionSetArn)?.provisionedAccounts, [
        ACCOUNT_ID,
        '210987654321',
        '999988887777',
      ]);

      front.intercept('ListAccountsForProvisionedPermissionSet', async () =>
        jsonError('AccessDeniedException', 'not authorized to perform sso:ListAccountsForProvisionedPermissionSet'),
      );
      const denied = new RecordingSink();
      await runStep(other, viaFront, 'identity-center', { window: WINDOW, policy, sink: denied });
      const set = denied.identitiesById.get(account.adminPermissionSetArn);
      assert.ok(set, 'the permission set is still listed');
      assert.equal(set.provisionedAccounts, undefined);
      assert.ok(
        denied.skippedItems.some(
          (s) => s.reason === 'aws.permission-set.accounts.unread' && s.item === account.adminPermissionSetArn,
        ),
        JSON.stringify(denied.skippedItems),
      );
    } finally {
      other.close();
      await front.close();
    }
  });

  test('paging: a repeated page writes nothing new (moto ignores MaxItems, so GAAD is one page there)', async () => {
    const again = new RecordingSink();
    const result = await runStep(collector, system, 'authorization', { window: WINDOW, policy, sink: again });
    assert.equal(result.pages, 1);
    for (const id of again.documentsById.keys()) assert.ok(sink.documentsById.has(id), 'same content, same id');
    const iamKinds = (s: RecordingSink) =>
      [...s.identitiesById.values()].filter((i) => i.kind.startsWith('aws-iam-')).length;
    assert.equal(iamKinds(again), iamKinds(sink));
    const identityCenter = await runStep(createAwsCollector(), system, 'identity-center', {
      window: WINDOW,
      policy,
      sink: new RecordingSink(),
    });
    assert.ok(identityCenter.pages >= 3, 'permission sets, users and groups are pages of their own');
  });

  test("IAM is read in the system's own account: a broker elsewhere needs the account's reader role", async () => {
    const elsewhere = {
      ...system,
      brokerRoleArn: 'arn:aws:iam::210987654321:role/least-broker',
    } as AuthorizationSystem;
    const other = createAwsCollector();
    try {
      await rejectsWith(
        other.collectPage(elsewhere, 'authorization', undefined, {
          runId: 'run-elsewhere',
          window: WINDOW,
          policy,
          sink: new RecordingSink(),
          now: () => new Date(),
          heartbeat: () => undefined,
        }),
        ErrorCode.InventoryNotConfigured,
        /accountReaderRoleArn/,
      );
      // With the account's own reader role the same page reads this account's IAM.
      const withReader = {
        ...elsewhere,
        inventory: {
          ...(elsewhere as { inventory: object }).inventory,
          accountReaderRoleArn: (system as { brokerRoleArn: string }).brokerRoleArn,
        },
      } as AuthorizationSystem;
      const read = new RecordingSink();
      await runStep(other, withReader, 'authorization', { window: WINDOW, policy, sink: read });
      assert.ok(read.identitiesById.get(arn('role', APP_ROLE)), 'the account reader role reads its own IAM');
    } finally {
      other.close();
    }
  });
});
