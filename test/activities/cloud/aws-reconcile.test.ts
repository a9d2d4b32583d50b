import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CreateAccountAssignmentCommand, ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import type { AwsProvider } from '../../../activities/cloud/aws';
import type { LeaseSpec, ObservedGrant } from '../../../domain/lease';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  APP_ROLE,
  CI_USER,
  freshAwsProviderContext,
  entitlementGrant,
  operatorClients,
  SYSTEM_ID,
  useDummyAwsCredentials,
  type AwsAccount,
} from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const operator = operatorClients(motoUrl);

let account: AwsAccount;
let policy: Policy;
let system: AuthorizationSystem;
let provider: AwsProvider;

beforeEach(async () => {
  ({ account, policy, system, provider } = await freshAwsProviderContext(motoUrl));
});
afterEach(() => provider.close());

const EXPIRES = '2030-01-01T12:00:00.000Z';

function leases(): { ada: LeaseSpec; role: LeaseSpec; user: LeaseSpec } {
  const inline = entitlementGrant(policy, 'payments-logs');
  return {
    ada: {
      leaseId: 'req-ic',
      systemId: SYSTEM_ID,
      grant: entitlementGrant(policy, 'prod-read-only'),
      principal: { kind: 'aws-identity-store-user', userId: account.ada.userId, display: 'ada@example.com' },
      expiresAt: EXPIRES,
    },
    role: {
      leaseId: 'req-role',
      systemId: SYSTEM_ID,
      grant: inline,
      principal: { kind: 'aws-iam-role', roleName: APP_ROLE },
      expiresAt: EXPIRES,
    },
    user: {
      leaseId: 'req-user',
      systemId: SYSTEM_ID,
      grant: inline,
      principal: { kind: 'aws-iam-user', userName: CI_USER },
      expiresAt: EXPIRES,
    },
  };
}

/** Someone assigns a permission set in the console, without Least. */
async function assignOutOfBand(permissionSetArn: string, userId: string): Promise<void> {
  await operator.ssoAdmin.send(
    new CreateAccountAssignmentCommand({
      InstanceArn: account.instanceArn,
      TargetType: 'AWS_ACCOUNT',
      TargetId: ACCOUNT_ID,
      PermissionSetArn: permissionSetArn,
      PrincipalType: 'USER',
      PrincipalId: userId,
    }),
  );
}

const byKey = (observed: ObservedGrant[]) => new Map(observed.map((grant) => [grant.key, grant]));

describe('AWS listObserved', () => {
  test('finds Least inline policies and the assignments of managed permission sets, with keys and lease ids', async () => {
    const { ada, role, user } = leases();
    for (const lease of [ada, role, user]) await provider.grant(system, lease);
    await assignOutOfBand(account.readOnlyPermissionSetArn, account.grace.userId);
    await assignOutOfBand(account.adminPermissionSetArn, account.grace.userId);

    const observed = byKey(await provider.listObserved(system, policy));

    const readOnly = account.readOnlyPermissionSetArn;
    assert.deepEqual(
      [...observed.keys()].sort(),
      [
        `aws-iam-inline:role:${APP_ROLE}:least-req-role`,
        `aws-iam-inline:user:${CI_USER}:least-req-user`,
        `aws-identity-center:${ACCOUNT_ID}:${readOnly}:${account.ada.userId}`,
        `aws-identity-center:${ACCOUNT_ID}:${readOnly}:${account.grace.userId}`,
      ].sort(),
    );
    const inlineRole = observed.get(`aws-iam-inline:role:${APP_ROLE}:least-req-role`)!;
    assert.equal(inlineRole.leaseId, 'req-role');
    assert.deepEqual(inlineRole.lease, role, 'the spec read back from AWS is the one granted');
    assert.deepEqual(observed.get(`aws-iam-inline:user:${CI_USER}:least-req-user`)!.lease, user);
    const adaAssignment = observed.get(`aws-identity-center:${ACCOUNT_ID}:${readOnly}:${account.ada.userId}`)!;
    // AWS keeps no lease id on an assignment: Least's claim, written before it made it, names the lease
    assert.equal(adaAssignment.leaseId, 'req-ic');
    assert.equal(adaAssignment.madeByLeast, true);
    const graceAssignment = observed.get(`aws-identity-center:${ACCOUNT_ID}:${readOnly}:${account.grace.userId}`)!;
    assert.equal(graceAssignment.leaseId, undefined);
    assert.equal(graceAssignment.madeByLeast, false, 'made in the console: Least did not make it');
    assert.deepEqual(adaAssignment.principal, {
      kind: 'aws-identity-store-user',
      userId: account.ada.userId,
      display: 'ada.lovelace',
    });
    for (const grant of observed.values()) assert.equal(grant.systemId, SYSTEM_ID);
  });

  test('what it observes is enough to remove it, and only Least-managed grants go', async () => {
    const { ada, role, user } = leases();
    for (const lease of [ada, role, user]) await provider.grant(system, lease);
    await assignOutOfBand(account.readOnlyPermissionSetArn, account.grace.userId);
    await assignOutOfBand(account.adminPermissionSetArn, account.grace.userId);

    for (const grant of await provider.listObserved(system, policy)) {
      assert.ok(grant.lease, `no lease to revoke ${grant.key}`);
      await provider.revoke(system, grant.lease);
    }

    // Least's own are gone; the one made in the console is not Least's to remove, whatever it grants
    assert.deepEqual(
      (await provider.listObserved(system, policy)).map((grant) => grant.key),
      [`aws-identity-center:${ACCOUNT_ID}:${account.readOnlyPermissionSetArn}:${account.grace.userId}`],
    );
    assert.deepEqual((await operator.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }))).PolicyNames, [
      'baseline-logs',
    ]);
    const admin = await operator.ssoAdmin.send(
      new ListAccountAssignmentsCommand({
        InstanceArn: account.instanceArn,
        AccountId: ACCOUNT_ID,
        PermissionSetArn: account.adminPermissionSetArn,
      }),
    );
    assert.deepEqual(
      admin.AccountAssignments?.map((assignment) => assignment.PrincipalId),
      [account.grace.userId],
      'permission sets no entitlement names are not Least’s to judge',
    );
  });

  test('an account without Least grants observes nothing', async () => {
    assert.deepEqual(await provider.listObserved(system, policy), []);
  });
});
