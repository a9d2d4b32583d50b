import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetRolePolicyCommand, GetUserPolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { AwsProvider } from '../../../activities/cloud/aws';
import { ErrorCode } from '../../../domain/errors';
import type { CloudPrincipal, LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem, Policy } from '../../../domain/policy/schema';
import { testServices } from '../../support/launch/services';
import { rejectsWith } from '../../support/checks/assertions';
import {
  APP_ROLE,
  CI_USER,
  freshAwsProviderContext,
  entitlementGrant,
  operatorClients,
  SYSTEM_ID,
  useDummyAwsCredentials,
} from '../../support/fakes/aws-fixtures';

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const { iam } = operatorClients(motoUrl);

let policy: Policy;
let system: AuthorizationSystem;
let provider: AwsProvider;

beforeEach(async () => {
  ({ policy, system, provider } = await freshAwsProviderContext(motoUrl, {
    'bob@example.com': { [SYSTEM_ID]: { awsIamRole: APP_ROLE } },
    'carol@example.com': { [SYSTEM_ID]: { awsIamUser: CI_USER } },
    'dave@example.com': { [SYSTEM_ID]: { awsIamRole: 'no-such-role' } },
  }));
});
afterEach(() => provider.close());

const EXPIRES = '2030-01-01T12:00:00.000Z';
const ROLE: CloudPrincipal = { kind: 'aws-iam-role', roleName: APP_ROLE };

function leaseFor(principal: CloudPrincipal, leaseId = 'req-inline-1', expiresAt = EXPIRES): LeaseSpec {
  return { leaseId, systemId: SYSTEM_ID, grant: entitlementGrant(policy, 'payments-logs'), principal, expiresAt };
}

/** The document exactly as written in the brief: AWS itself stops honouring it at expiry. */
function expectedDocument(expiresAt: string): unknown {
  const until = { DateLessThan: { 'aws:CurrentTime': expiresAt } };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'LeastLease',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: ['arn:aws:s3:::payments-logs', 'arn:aws:s3:::payments-logs/*'],
        Condition: until,
      },
      { Sid: 'LeastLease2', Effect: 'Allow', Action: ['logs:FilterLogEvents'], Resource: ['*'], Condition: until },
    ],
  };
}

/** What `aws iam get-role-policy` shows, decoded; undefined when IAM says NoSuchEntity. */
async function rolePolicy(policyName: string): Promise<unknown> {
  try {
    const found = await iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: policyName }));
    return JSON.parse(decodeURIComponent(found.PolicyDocument!));
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return undefined;
    throw error;
  }
}

async function leasePoliciesOnRole(): Promise<string[]> {
  const listed = await iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
  return (listed.PolicyNames ?? []).filter((name) => name.startsWith('least-')).sort();
}

describe('AWS IAM inline-policy leases', () => {
  test('grant puts a policy named after the lease that expires itself at aws:CurrentTime; revoke deletes it', async () => {
    const lease = leaseFor(ROLE);

    const receipt = await provider.grant(system, lease);

    assert.deepEqual(await rolePolicy('least-req-inline-1'), expectedDocument(EXPIRES));
    assert.equal(receipt.created, true);
    assert.equal(receipt.key, `aws-iam-inline:role:${APP_ROLE}:least-req-inline-1`);
    assert.match(receipt.access.summary, new RegExp(`role ${APP_ROLE}.*s3:GetObject.*until ${EXPIRES}`));

    await provider.revoke(system, lease);

    assert.equal(await rolePolicy('least-req-inline-1'), undefined);
    assert.deepEqual(
      (await iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }))).PolicyNames,
      ['baseline-logs'],
      'the role keeps the policies Least did not write',
    );
  });

  test('a retried grant writes one policy and reports it was already there; a retried revoke is fine', async () => {
    const lease = leaseFor(ROLE);

    const first = await provider.grant(system, lease);
    const second = await provider.grant(system, lease);

    assert.deepEqual([first.created, second.created], [true, false]);
    assert.deepEqual(await leasePoliciesOnRole(), ['least-req-inline-1']);

    await provider.revoke(system, lease);
    await provider.revoke(system, lease);
    assert.deepEqual(await leasePoliciesOnRole(), []);
  });

  test('two leases on one role are two policies, and revoking one keeps the other', async () => {
    await provider.grant(system, leaseFor(ROLE, 'req-a'));
    await provider.grant(system, leaseFor(ROLE, 'req-b'));

    await provider.revoke(system, leaseFor(ROLE, 'req-a'));

    assert.deepEqual(await leasePoliciesOnRole(), ['least-req-b']);
  });

  test('extend moves the expiry in the policy document', async () => {
    const later = '2030-01-01T16:00:00.000Z';
    await provider.grant(system, leaseFor(ROLE));

    await provider.extend(system, leaseFor(ROLE, 'req-inline-1', later));

    assert.deepEqual(await rolePolicy('least-req-inline-1'), expectedDocument(later));
  });

  test('an IAM user gets the same policy as a user policy', async () => {
    const lease = leaseFor({ kind: 'aws-iam-user', userName: CI_USER }, 'req-user');

    const receipt = await provider.grant(system, lease);
    const stored = await iam.send(new GetUserPolicyCommand({ UserName: CI_USER, PolicyName: 'least-req-user' }));

    assert.deepEqual(JSON.parse(decodeURIComponent(stored.PolicyDocument!)), expectedDocument(EXPIRES));
    assert.equal(receipt.key, `aws-iam-inline:user:${CI_USER}:least-req-user`);
    await provider.revoke(system, lease);
    await assert.rejects(iam.send(new GetUserPolicyCommand({ UserName: CI_USER, PolicyName: 'least-req-user' })), {
      name: 'NoSuchEntityException',
    });
  });

  test('check reports the policy while it exists and NoSuchEntity after revoke', async () => {
    const lease = leaseFor(ROLE);
    await provider.grant(system, lease);

    const during = await provider.check(system, lease);
    await provider.revoke(system, lease);
    const after = await provider.check(system, lease);

    assert.equal(during.present, true);
    assert.match(during.detail, /aws:CurrentTime/);
    assert.equal(after.present, false);
    assert.match(after.detail, /NoSuchEntity/);
  });

  test('a role that does not exist fails with CLOUD.PRINCIPAL_UNKNOWN', async () => {
    await rejectsWith(
      provider.grant(system, leaseFor({ kind: 'aws-iam-role', roleName: 'no-such-role' })),
      ErrorCode.CloudPrincipalUnknown,
      /no-such-role/,
    );
  });
});

describe('AWS IAM principals', () => {
  const grant = (): LeaseSpec['grant'] => entitlementGrant(policy, 'payments-logs');

  test('a mapped role or user is the principal', async () => {
    assert.deepEqual(await provider.resolvePrincipal(system, 'Bob@Example.com', grant(), policy), ROLE);
    assert.deepEqual(await provider.resolvePrincipal(system, 'carol@example.com', grant(), policy), {
      kind: 'aws-iam-user',
      userName: CI_USER,
    });
  });

  test('a person without a mapping fails with CLOUD.PRINCIPAL_UNKNOWN and is told to ask for one under principals:', async () => {
    await rejectsWith(
      provider.resolvePrincipal(system, 'ada@example.com', grant(), policy),
      ErrorCode.CloudPrincipalUnknown,
      /ask an admin.*`principals:`/i,
    );
  });

  test('a mapping to a role the account does not have fails with CLOUD.PRINCIPAL_UNKNOWN', async () => {
    await rejectsWith(
      provider.resolvePrincipal(system, 'dave@example.com', grant(), policy),
      ErrorCode.CloudPrincipalUnknown,
      /no-such-role/,
    );
  });
});
