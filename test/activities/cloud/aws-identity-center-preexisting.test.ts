import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccountAssignmentCommand, ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { createAwsProvider, type AssignmentClaims } from '../../../activities/cloud/aws';
import { ErrorCode } from '../../../domain/errors';
import type { LeaseSpec } from '../../../domain/lease';
import { rejectsWith } from '../../support/checks/assertions';
import { ACCOUNT_ID, createDirectoryUser, SYSTEM_ID } from '../../support/fakes/aws-fixtures';
import { reconcile } from '../../../workflows/reconcile';
import { LEAD, startStack, submitRequest, type Stack } from '../../support/stacks/stack';

/**
 * An administrator gave someone a permission set in the console; later that person asks Least for the
 * same one. Least must not take over, time-limit or delete an assignment it did not make.
 */

let stack: Stack;
let claims: AssignmentClaims;

before(async () => {
  stack = await startStack('dev');
  // The claims the worker keeps in PostgreSQL (app/runtime.ts wires the same).
  claims = stack.store.cloudClaims;
});
after(async () => {
  await stack.close();
});

async function assignedUsers(): Promise<string[]> {
  const listed = await stack.aws.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: stack.account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: stack.account.readOnlyPermissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((assignment) => assignment.PrincipalId!);
}

async function assignOutsideLeast(userId: string): Promise<void> {
  await stack.aws.ssoAdmin.send(
    new CreateAccountAssignmentCommand({
      InstanceArn: stack.account.instanceArn,
      TargetId: ACCOUNT_ID,
      TargetType: 'AWS_ACCOUNT',
      PermissionSetArn: stack.account.readOnlyPermissionSetArn,
      PrincipalType: 'USER',
      PrincipalId: userId,
    }),
  );
}

function leaseFor(userId: string, leaseId: string): LeaseSpec {
  return {
    leaseId,
    systemId: SYSTEM_ID,
    grant: { kind: 'aws-identity-center', permissionSetArn: stack.account.readOnlyPermissionSetArn },
    principal: { kind: 'aws-identity-store-user', userId, display: 'grace' },
    expiresAt: '2030-01-01T12:00:00.000Z',
  };
}

describe('an Identity Center assignment made outside Least', () => {
  test('a request for it fails with CLOUD.ALREADY_HELD, and the assignment outlives the request', async () => {
    const ada = stack.account.ada.userId;
    await assignOutsideLeast(ada);
    const worker = await stack.startWorker();
    try {
      const id = await submitRequest(stack, { entitlementId: 'prod-read-only', duration: '1h' });
      assert.ok((await stack.access.decide(id, LEAD, 'approve')).ok);

      const failed = await stack.waitForStatus(id, 'failed');
      assert.equal(failed.failure?.code, ErrorCode.CloudAlreadyHeld);
      assert.match(failed.failure?.message ?? '', /already holds .* outside Least/);
      // The workflow takes back whatever a failed grant may have left: that clean-up has run by now.
      await stack.env.client.workflow.getHandle(id).result();
      assert.ok((await assignedUsers()).includes(ada), 'the administrator’s assignment is still there');
    } finally {
      await worker.stop();
    }
  });

  test('the provider refuses it, and neither revoke nor check treats it as the lease’s', async () => {
    const grace = stack.account.grace.userId;
    await assignOutsideLeast(grace);
    const provider = createAwsProvider({ claims });
    const system = stack.policy.authorizationSystems[0]!;
    const lease = leaseFor(grace, 'r-preexist01');
    try {
      await rejectsWith(provider.grant(system, lease), ErrorCode.CloudAlreadyHeld, /outside Least/);
      await provider.revoke(system, lease);
      assert.equal((await provider.check(system, lease)).present, false);
      assert.ok((await assignedUsers()).includes(grace));
    } finally {
      provider.close();
    }
  });

  test('what Least made is still its own after a restart: a new provider on the same store revokes it', async () => {
    const grace = stack.account.grace.userId;
    const system = stack.policy.authorizationSystems[0]!;
    const lease = {
      ...leaseFor(grace, 'r-ours000001'),
      grant: { kind: 'aws-identity-center' as const, permissionSetArn: stack.account.adminPermissionSetArn },
    };
    const before = createAwsProvider({ claims });
    assert.equal((await before.grant(system, lease)).created, true);
    before.close();

    const after = createAwsProvider({ claims });
    try {
      assert.equal((await after.grant(system, lease)).created, false, 'a retried grant finds its own assignment');
      await after.revoke(system, lease);
      assert.equal((await after.check(system, lease)).present, false);
    } finally {
      after.close();
    }
  });

  test('reconciliation removes an assignment Least made and no lease holds, and only reports one made after it', async () => {
    const lin = await createDirectoryUser(
      stack.aws.identityStore,
      stack.account.identityStoreId,
      'lin.ochre',
      'lin@example.com',
    );
    const system = stack.policy.authorizationSystems[0]!;
    // A lease whose revocation was lost (a restored backup, say): Least's assignment with no live lease.
    const provider = createAwsProvider({ claims });
    try {
      assert.equal((await provider.grant(system, leaseFor(lin, 'r-orphan0001'))).created, true);
    } finally {
      provider.close();
    }
    const worker = await stack.startWorker();
    const sweep = () =>
      stack.env.client.workflow.execute(reconcile, {
        taskQueue: stack.taskQueue,
        workflowId: `reconcile-preexisting-${Date.now()}`,
      });
    try {
      const first = await sweep();
      assert.ok(
        first.removed.some((removed) => removed.key.endsWith(lin)),
        'Least’s orphan is removed',
      );
      assert.ok(!(await assignedUsers()).includes(lin));

      // An administrator now gives Lin the same permission set in the console.
      await assignOutsideLeast(lin);
      const second = await sweep();
      assert.ok(
        second.outOfBand.some((reported) => reported.key.endsWith(lin)),
        'reported as made outside Least',
      );
      assert.ok(!second.removed.some((removed) => removed.key.endsWith(lin)));
      assert.ok((await assignedUsers()).includes(lin), 'the administrator’s assignment stays');
    } finally {
      await worker.stop();
    }
  });
});
