import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { createAwsProvider, type AwsProvider } from '../../../activities/cloud/aws';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { testServices } from '../../support/launch/services';
import {
  ACCOUNT_ID,
  freshAwsAccount,
  jsonError,
  operatorClients,
  policyFor,
  rewriteJson,
  startMotoFront,
  SYSTEM_ID,
  useDummyAwsCredentials,
  type AwsAccount,
  type MotoFront,
} from '../../support/fakes/aws-fixtures';

/**
 * Identity Center applies assignments asynchronously. moto answers SUCCEEDED at once, so the front
 * turns its answers into the IN_PROGRESS / FAILED sequences AWS produces, while moto keeps the state.
 */

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const operator = operatorClients(motoUrl);

let account: AwsAccount;
let front: MotoFront;
let system: AuthorizationSystem;
let provider: AwsProvider;
let slept: number[];

beforeEach(async () => {
  account = await freshAwsAccount(motoUrl);
  front = await startMotoFront(motoUrl);
  system = policyFor(account, front.url).authorizationSystems[0]!;
  slept = [];
  provider = createAwsProvider({
    polling: { firstDelayMs: 10, maxDelayMs: 40, timeoutMs: 200, sleep: async (ms) => void slept.push(ms) },
  });
});
afterEach(async () => {
  provider.close();
  await front.close();
});

function lease(): LeaseSpec {
  return {
    leaseId: 'req-async',
    systemId: SYSTEM_ID,
    grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
    principal: { kind: 'aws-identity-store-user', userId: account.ada.userId, display: 'ada@example.com' },
    expiresAt: '2030-01-01T12:00:00.000Z',
  };
}

async function assignedUsers(): Promise<string[]> {
  const listed = await operator.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: account.readOnlyPermissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((assignment) => assignment.PrincipalId!);
}

const calls = (operation: string) => front.calls.filter((call) => call.operation === operation).length;

/** The create request is accepted but still IN_PROGRESS, as AWS answers it. */
function createStartsInProgress(): void {
  front.intercept('CreateAccountAssignment', async ({ forward }) =>
    rewriteJson(forward(), (body) => void (body.AccountAssignmentCreationStatus.Status = 'IN_PROGRESS')),
  );
}

describe('Identity Center request status', () => {
  test('grant waits for an IN_PROGRESS request, with growing delays, until it succeeds', async () => {
    createStartsInProgress();
    front.intercept('DescribeAccountAssignmentCreationStatus', async ({ count, forward }) =>
      rewriteJson(forward(), (body) => {
        if (count < 3) body.AccountAssignmentCreationStatus.Status = 'IN_PROGRESS';
      }),
    );

    const receipt = await provider.grant(system, lease());

    assert.equal(receipt.created, true);
    assert.deepEqual(slept, [10, 20, 40]);
    assert.equal(calls('DescribeAccountAssignmentCreationStatus'), 3);
    assert.deepEqual(await assignedUsers(), [account.ada.userId]);
  });

  test('a FAILED request throws the reason as a DomainError and leaves no assignment behind', async () => {
    const reason = 'Received a 404 status error: the permission set could not be provisioned to the account';
    createStartsInProgress();
    front.intercept('DescribeAccountAssignmentCreationStatus', async ({ forward }) =>
      rewriteJson(forward(), (body) => {
        body.AccountAssignmentCreationStatus.Status = 'FAILED';
        body.AccountAssignmentCreationStatus.FailureReason = reason;
      }),
    );

    const error = await provider.grant(system, lease()).catch((thrown: unknown) => thrown);

    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.code, ErrorCode.CloudPermissionSetUnknown);
    assert.ok(error.message.includes(reason), error.message);
    // moto did make the assignment before "failing": the grant must have cleaned it up
    assert.equal(calls('DeleteAccountAssignment'), 1);
    assert.deepEqual(await assignedUsers(), []);
  });

  test('a request stuck IN_PROGRESS fails retryably after the bounded wait, and the retry finds the assignment', async () => {
    createStartsInProgress();
    front.intercept('DescribeAccountAssignmentCreationStatus', async ({ forward }) =>
      rewriteJson(forward(), (body) => void (body.AccountAssignmentCreationStatus.Status = 'IN_PROGRESS')),
    );

    const error = await provider.grant(system, lease()).catch((thrown: unknown) => thrown);

    assert.ok(
      error instanceof Error && !(error instanceof DomainError),
      `expected a plain, retryable error, got ${String(error)}`,
    );
    assert.match(error.message, /IN_PROGRESS/);
    assert.equal(
      slept.reduce((sum, ms) => sum + ms, 0),
      200,
      `waited ${slept.join('+')} ms`,
    );

    front.stopIntercepting();
    const retried = await provider.grant(system, lease());
    assert.equal(retried.created, false);
    assert.equal(calls('CreateAccountAssignment'), 1);
    assert.deepEqual(await assignedUsers(), [account.ada.userId]);
  });

  test('revoke waits for an IN_PROGRESS deletion until the assignment is gone', async () => {
    await provider.grant(system, lease());
    front.intercept('DeleteAccountAssignment', async ({ forward }) =>
      rewriteJson(forward(), (body) => void (body.AccountAssignmentDeletionStatus.Status = 'IN_PROGRESS')),
    );

    await provider.revoke(system, lease());

    assert.equal(calls('DescribeAccountAssignmentDeletionStatus'), 1);
    assert.deepEqual(await assignedUsers(), []);
  });

  test('a throttled create is retried by the SDK and makes one assignment', async () => {
    front.intercept('CreateAccountAssignment', async ({ count, forward }) =>
      count === 1 ? jsonError('ThrottlingException', 'Rate exceeded') : forward(),
    );

    const receipt = await provider.grant(system, lease());

    assert.equal(receipt.created, true);
    assert.equal(calls('CreateAccountAssignment'), 2);
    assert.deepEqual(await assignedUsers(), [account.ada.userId]);
  });
});
