import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccountAssignmentCommand, PutInlinePolicyToPermissionSetCommand } from '@aws-sdk/client-sso-admin';
import { ACCOUNT_ID, APP_ROLE, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { ssoUserId } from '../../activities/inventory/aws/identity-center';
import { ADMIN, startStack, type Stack } from '../support/stacks/stack';
import { collect } from '../../workflows/collect';

/**
 * `collect` with the worker wired as in production: the real AWS collector, through the broker role, on
 * moto. Access Advisor is off: moto does not implement it (its own tests use an HTTP fake).
 */

let stack: Stack;

before(async () => {
  stack = await startStack('dev', {
    policy: (input) => {
      const system = input.authorizationSystems[0]!;
      assert.equal(system.cloud, 'aws');
      if (system.cloud === 'aws') system.inventory = { accessAdvisor: false };
    },
  });
  // an Identity Center assignment: ada holds the read-only permission set, whose inline policy reads S3
  const { ssoAdmin } = stack.aws;
  const ref = { InstanceArn: stack.account.instanceArn, PermissionSetArn: stack.account.readOnlyPermissionSetArn };
  await ssoAdmin.send(
    new PutInlinePolicyToPermissionSetCommand({
      ...ref,
      InlinePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' }],
      }),
    }),
  );
  await ssoAdmin.send(
    new CreateAccountAssignmentCommand({
      ...ref,
      TargetId: ACCOUNT_ID,
      TargetType: 'AWS_ACCOUNT',
      PrincipalType: 'USER',
      PrincipalId: stack.account.ada.userId,
    }),
  );
  await stack.startWorker();
});

after(async () => {
  await stack?.close();
});

describe('collect with the AWS collector', () => {
  it('fills a snapshot of the moto account that becomes current', async () => {
    const run = await stack.env.client.workflow.execute(collect, {
      workflowId: `collect-${SYSTEM_ID}-aws-test`,
      taskQueue: stack.taskQueue,
      args: [{ systemId: SYSTEM_ID }],
    });

    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.match(run.catalogues.aws ?? '', /iam-data/);
    assert.ok((run.counts.identities ?? 0) > 0, JSON.stringify(run.counts));
    assert.equal((await stack.store.inventory.currentRun(SYSTEM_ID))?.runId, run.runId);
    const view = await stack.store.inventory.identityView(SYSTEM_ID, APP_ROLE);
    assert.equal(view?.identity.kind, 'aws-iam-role');
    assert.equal(view?.run.runId, run.runId);

    // an assignment reaches PostgreSQL, and the user holds what the permission set grants
    const ada = await stack.store.inventory.identityView(SYSTEM_ID, ssoUserId('aws', stack.account.ada.userId));
    assert.equal(ada?.identity.kind, 'aws-sso-user');
    assert.deepEqual(
      ada?.paths.map((p) => [p.kind, p.via]),
      [
        ['permission-set', stack.account.readOnlyPermissionSetArn],
        ['inline-policy', 'ReadOnly inline policy'],
      ],
    );
    assert.deepEqual(
      ada?.granted.map((g) => g.action),
      ['s3:GetObject', 's3:ListBucket'],
    );

    // assessed as the collection's last step: the broker role holds IAM writes (risky permissions)
    const summary = await stack.store.findings.summary(SYSTEM_ID);
    assert.equal(summary?.runId, run.runId);
    assert.equal(summary?.identities, run.counts.identities);
    const overview = await stack.findings.overview(ADMIN, SYSTEM_ID);
    assert.ok(overview.ok && overview.systems[0]?.findings?.counts['risky-permissions']);
    const broker = await stack.findings.identity(ADMIN, 'least-broker', SYSTEM_ID);
    assert.ok(broker.ok, JSON.stringify(broker));
    assert.ok(broker.assessment.findings.some((f) => f.kind === 'risky-permissions'));
  });
});
