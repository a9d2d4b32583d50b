import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { ACCOUNT_ID, REGION } from '../support/fakes/aws-fixtures';
import { LEAD, startStack, submitRequest, type Stack } from '../support/stacks/stack';

/**
 * A worker without AWS credentials: an approved request must fail at once with a code that says so,
 * not retry for minutes on "Could not load credentials from any providers".
 */
const WITHOUT_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/least-credentials',
  AWS_CONFIG_FILE: '/nonexistent/least-config',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
} as const;

let stack: Stack;
const saved: Record<string, string | undefined> = {};

before(async () => {
  stack = await startStack('dev');
  for (const [key, value] of Object.entries(WITHOUT_CREDENTIALS)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await stack.startWorker();
});
after(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await stack.close();
});

describe('a worker with no AWS credentials', () => {
  it('fails an approved request at once with CLOUD.CREDENTIALS_UNAVAILABLE and grants nothing', async () => {
    const id = await submitRequest(stack, { duration: '1h', reason: 'no credentials here' });
    await stack.waitForStatus(id, 'pending');
    const approvedAt = Date.now();
    assert.ok((await stack.access.decide(id, LEAD, 'approve')).ok);
    // Activity retries would take minutes; a non-retryable failure lands in seconds.
    const failed = await stack.waitForStatus(id, 'failed', 15_000);
    assert.ok(Date.now() - approvedAt < 15_000);
    assert.equal(failed.failure?.code, 'CLOUD.CREDENTIALS_UNAVAILABLE', JSON.stringify(failed.failure));
    assert.match(failed.failure?.message ?? '', /no AWS credentials/);
    assert.match(failed.failure?.message ?? '', /AWS_ACCESS_KEY_ID/);
    // the operator looks with credentials of their own; the worker has none
    const operator = new SSOAdminClient({
      endpoint: stack.motoUrl,
      region: REGION,
      credentials: { accessKeyId: 'operator', secretAccessKey: 'operator' },
    });
    const assignments = await operator.send(
      new ListAccountAssignmentsCommand({
        InstanceArn: stack.account.instanceArn,
        AccountId: ACCOUNT_ID,
        PermissionSetArn: stack.account.readOnlyPermissionSetArn,
      }),
    );
    assert.equal(assignments.AccountAssignments?.length ?? 0, 0);
  });
});
