import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import type { AwsProvider } from '../../../activities/cloud/aws';
import { ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { testServices } from '../../support/launch/services';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ACCOUNT_ID,
  freshAwsProviderContext,
  operatorClients,
  PORTAL_URL,
  policyFor,
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

/** What an operator sees in the console: the users holding a permission set on the account. */
async function assignedUsers(permissionSetArn: string): Promise<string[]> {
  const listed = await operator.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: permissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((assignment) => `${assignment.PrincipalType}:${assignment.PrincipalId}`);
}

function leaseFor(
  userId: string,
  permissionSetArn = account.readOnlyPermissionSetArn,
  leaseId = 'req-ic-1',
): LeaseSpec {
  return {
    leaseId,
    systemId: SYSTEM_ID,
    grant: { kind: 'aws-identity-center', permissionSetArn },
    principal: { kind: 'aws-identity-store-user', userId, display: 'ada@example.com' },
    expiresAt: '2030-01-01T12:00:00.000Z',
  };
}

describe('AWS Identity Center leases', () => {
  test('grant assigns the permission set to the user on the account; revoke removes it', async () => {
    const lease = leaseFor(account.ada.userId);

    const receipt = await provider.grant(system, lease);

    assert.deepEqual(await assignedUsers(account.readOnlyPermissionSetArn), [`USER:${account.ada.userId}`]);
    assert.equal(receipt.created, true);
    assert.equal(
      receipt.key,
      `aws-identity-center:${ACCOUNT_ID}:${account.readOnlyPermissionSetArn}:${account.ada.userId}`,
    );
    assert.equal(receipt.access.url, PORTAL_URL);
    assert.match(receipt.access.summary, new RegExp(`access portal.*account ${ACCOUNT_ID} \\(Production\\).*ReadOnly`));

    await provider.revoke(system, lease);

    assert.deepEqual(await assignedUsers(account.readOnlyPermissionSetArn), []);
  });

  test('a retried grant leaves one assignment and reports it was already there; a retried revoke is fine', async () => {
    const lease = leaseFor(account.ada.userId);

    const first = await provider.grant(system, lease);
    const second = await provider.grant(system, lease);

    assert.deepEqual([first.created, second.created], [true, false]);
    assert.equal(second.key, first.key);
    assert.deepEqual(await assignedUsers(account.readOnlyPermissionSetArn), [`USER:${account.ada.userId}`]);

    await provider.revoke(system, lease);
    await provider.revoke(system, lease);
    assert.deepEqual(await assignedUsers(account.readOnlyPermissionSetArn), []);
  });

  test('revoke leaves other users of the same permission set alone', async () => {
    await provider.grant(system, leaseFor(account.ada.userId, account.readOnlyPermissionSetArn, 'req-ada'));
    await provider.grant(system, leaseFor(account.grace.userId, account.readOnlyPermissionSetArn, 'req-grace'));

    await provider.revoke(system, leaseFor(account.ada.userId, account.readOnlyPermissionSetArn, 'req-ada'));

    assert.deepEqual(await assignedUsers(account.readOnlyPermissionSetArn), [`USER:${account.grace.userId}`]);
  });

  test('check reports the assignment while it exists and its absence after revoke', async () => {
    const lease = leaseFor(account.ada.userId);
    assert.equal((await provider.check(system, lease)).present, false);

    await provider.grant(system, lease);
    const during = await provider.check(system, lease);
    await provider.revoke(system, lease);
    const after = await provider.check(system, lease);

    assert.equal(during.present, true);
    assert.match(during.detail, new RegExp(`lists USER ${account.ada.userId}`));
    assert.equal(after.present, false);
    assert.match(after.detail, /none for USER/);
  });

  test('an unknown permission set fails with CLOUD.PERMISSION_SET_UNKNOWN naming it, and assigns nothing', async () => {
    const missing = `${account.instanceArn}/ps-0000000000000000`;

    await rejectsWith(
      provider.grant(system, leaseFor(account.ada.userId, missing)),
      ErrorCode.CloudPermissionSetUnknown,
      new RegExp(missing),
    );

    assert.deepEqual(await assignedUsers(missing), []);
  });

  test('extend changes nothing, since Identity Center has no expiry to move', async () => {
    const lease = leaseFor(account.ada.userId);
    await provider.grant(system, lease);

    await provider.extend(system, { ...lease, expiresAt: '2030-01-02T12:00:00.000Z' });

    assert.deepEqual(await assignedUsers(account.readOnlyPermissionSetArn), [`USER:${account.ada.userId}`]);
  });
});

describe('AWS Identity Center principals', () => {
  const grant = (): LeaseSpec['grant'] => ({
    kind: 'aws-identity-center',
    permissionSetArn: account.readOnlyPermissionSetArn,
  });

  test('a person is found in the Identity Store by e-mail', async () => {
    const principal = await provider.resolvePrincipal(system, 'ADA@example.com', grant(), policy);

    assert.deepEqual(principal, {
      kind: 'aws-identity-store-user',
      userId: account.ada.userId,
      display: 'ada@example.com',
    });
  });

  test('a person whose directory e-mail differs is found by user name', async () => {
    const principal = await provider.resolvePrincipal(system, 'grace@example.com', grant(), policy);

    assert.equal(principal.kind === 'aws-identity-store-user' && principal.userId, account.grace.userId);
  });

  test('an explicit mapping wins over the e-mail lookup', async () => {
    const mapped = policyFor(account, motoUrl, {
      'ada@example.com': { [SYSTEM_ID]: { awsIdentityStoreUserId: account.grace.userId } },
    });

    const principal = await provider.resolvePrincipal(
      mapped.authorizationSystems[0]!,
      'ada@example.com',
      grant(),
      mapped,
    );

    assert.equal(principal.kind === 'aws-identity-store-user' && principal.userId, account.grace.userId);
  });

  test('an unknown e-mail fails with CLOUD.PRINCIPAL_UNKNOWN and says how to add a mapping', async () => {
    await rejectsWith(
      provider.resolvePrincipal(system, 'nobody@example.com', grant(), policy),
      ErrorCode.CloudPrincipalUnknown,
      /principals:/,
    );
  });

  test('a mapping to a user the directory does not have fails with CLOUD.PRINCIPAL_UNKNOWN', async () => {
    const mapped = policyFor(account, motoUrl, {
      'ada@example.com': { [SYSTEM_ID]: { awsIdentityStoreUserId: 'no-such-user' } },
    });

    await rejectsWith(
      provider.resolvePrincipal(mapped.authorizationSystems[0]!, 'ada@example.com', grant(), mapped),
      ErrorCode.CloudPrincipalUnknown,
      /no-such-user/,
    );
  });
});
