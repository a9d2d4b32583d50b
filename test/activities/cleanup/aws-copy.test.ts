import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  applyOwnCopy,
  ownCopyName,
  restoreOwnCopy,
  snapshotOwnCopy,
  verifyOwnCopy,
  type AwsOwnCopySnapshot,
} from '../../../activities/cleanup/aws-copy';
import { createAwsCleanup } from '../../../activities/cleanup/aws';
import { createAwsBroker, type AwsBroker, type AwsSession } from '../../../activities/cloud/aws';
import { asAwsSystem, type AwsSystem } from '../../../activities/cloud/aws/errors';
import type { CleanupItem } from '../../../domain/cleanup/model';
import { ErrorCode } from '../../../domain/errors';
import { testServices } from '../../support/launch/services';
import { rejectsWith } from '../../support/checks/assertions';
import {
  ACCOUNT_ID,
  APP_ROLE,
  awsSystem,
  freshAwsAccount,
  operatorClients,
  SYSTEM_ID,
  useDummyAwsCredentials,
} from '../../support/fakes/aws-fixtures';

/**
 * An own copy of a shared customer-managed policy on moto, through the real IAM client: the holder gets a
 * copy narrowed to what it used, attached before the shared policy is detached; restore attaches the
 * shared policy again and deletes the copy; edits by someone else in between are never gone over.
 */

useDummyAwsCredentials();
const motoUrl = testServices().motoUrl;
const { iam } = operatorClients(motoUrl);

const OTHER_ROLE = 'payments-writer';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
const POLICY_ARN = `arn:aws:iam::${ACCOUNT_ID}:policy/teams/payments/shared-data`;
const COPY_NAME = `shared-data-least-${APP_ROLE}`;
const COPY_ARN = `arn:aws:iam::${ACCOUNT_ID}:policy/teams/payments/${COPY_NAME}`;

const document = (actions: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Data', Effect: 'Allow', Action: actions, Resource: 'arn:aws:s3:::payments-data/*' }],
});
const SHARED = document(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
const COPY = document(['s3:GetObject']);

let system: AwsSystem;
let broker: AwsBroker;
let session: AwsSession;

beforeEach(async () => {
  const account = await freshAwsAccount(motoUrl);
  system = asAwsSystem(awsSystem(account, motoUrl));
  broker = createAwsBroker();
  session = await broker.session(system, 'cleanup-run-1');
  await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'shared-data',
      Path: '/teams/payments/',
      PolicyDocument: JSON.stringify(SHARED),
    }),
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: OTHER_ROLE,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  for (const role of [APP_ROLE, OTHER_ROLE])
    await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: POLICY_ARN }));
});
afterEach(() => broker.close());

const item: CleanupItem = {
  itemId: `own-copy:aws-policy-attachment:${ROLE_ARN}|${POLICY_ARN}`,
  systemId: SYSTEM_ID,
  change: 'own-copy',
  object: { kind: 'aws-policy-attachment', key: `${ROLE_ARN}|${POLICY_ARN}`, name: `shared-data on ${APP_ROLE}` },
  identities: [{ id: ROLE_ARN, name: APP_ROLE, kind: 'aws-iam-role' }],
  removeActions: ['s3:DeleteObject', 's3:PutObject'],
  before: SHARED,
  after: COPY,
  actions: 2,
  reason: 'its own copy of shared-data keeps 1 of its 3 actions',
  explicitOnly: true,
  owners: ['owner@example.com'],
};

/* ---------- what an operator sees in IAM, read without the code under test ---------- */

async function attached(role: string): Promise<string[]> {
  const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (listed.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort();
}

/** The policy's path, description and default document; undefined when it does not exist. */
async function policy(arn: string): Promise<{ path: string; description: string; document: unknown } | undefined> {
  try {
    const found = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: found.DefaultVersionId }));
    return {
      path: found.Path!,
      description: found.Description ?? '',
      document: JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!)),
    };
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return undefined;
    throw error;
  }
}

async function applied(planned: AwsOwnCopySnapshot): Promise<void> {
  const result = await applyOwnCopy(session, system, item, planned);
  assert.equal(result.status, 'applied', result.detail);
}

describe('an own copy of a shared policy on moto', () => {
  test('snapshot → apply → verify → apply again → restore → restore again', async () => {
    const before = await attached(APP_ROLE);
    const planned = await snapshotOwnCopy(session, system, item);
    assert.deepEqual(planned, {
      kind: 'aws-own-copy',
      holder: { type: 'role', name: APP_ROLE, arn: ROLE_ARN },
      holderExists: true,
      policyArn: POLICY_ARN,
      document: SHARED,
      attached: true,
      copyArn: COPY_ARN,
      copy: null,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(planned)), planned, 'the snapshot is JSON-safe');

    const result = await applyOwnCopy(session, system, { ...item, runId: 'cleanup-run-7' } as CleanupItem, planned);
    assert.equal(result.status, 'applied', result.detail);
    assert.deepEqual(await attached(APP_ROLE), [...before.filter((arn) => arn !== POLICY_ARN), COPY_ARN].sort());
    const copy = await policy(COPY_ARN);
    assert.deepEqual(copy?.document, COPY, 'the copy holds what the holder used');
    assert.equal(copy?.path, '/teams/payments/', 'beside the shared policy');
    assert.match(copy?.description ?? '', new RegExp(`copy of ${POLICY_ARN}.*cleanup run cleanup-run-7`));
    assert.deepEqual(await attached(OTHER_ROLE), [POLICY_ARN], 'the other holder keeps the shared policy');
    assert.deepEqual((await policy(POLICY_ARN))?.document, SHARED, 'the shared policy is not changed');

    const verified = await verifyOwnCopy(session, system, item);
    assert.equal(verified.ok, true, verified.detail);
    const again = await applyOwnCopy(session, system, item, planned);
    assert.equal(again.status, 'already', again.detail);
    assert.deepEqual(await attached(APP_ROLE), [...before.filter((arn) => arn !== POLICY_ARN), COPY_ARN].sort());

    const restored = await restoreOwnCopy(session, system, item, planned);
    assert.equal(restored.status, 'restored', restored.detail);
    assert.deepEqual(await attached(APP_ROLE), before);
    assert.equal(await policy(COPY_ARN), undefined, 'the copy is deleted');
    assert.deepEqual(await snapshotOwnCopy(session, system, item), planned, 'a new snapshot equals the old one');
    const restoredAgain = await restoreOwnCopy(session, system, item, planned);
    assert.equal(restoredAgain.status, 'already', restoredAgain.detail);
  });

  test('a shared policy edited between plan and apply is re-planned: nothing is written', async () => {
    const planned = await snapshotOwnCopy(session, system, item);
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: POLICY_ARN,
        PolicyDocument: JSON.stringify(document(['s3:GetObject', 's3:PutObject', 's3:ListBucket'])),
        SetAsDefault: true,
      }),
    );
    const result = await applyOwnCopy(session, system, item, planned);
    assert.equal(result.status, 'conflict');
    assert.match(
      result.detail,
      /another default document: now also Allow s3:ListBucket; no longer Allow s3:DeleteObject/,
    );
    assert.ok((await attached(APP_ROLE)).includes(POLICY_ARN));
    assert.equal(await policy(COPY_ARN), undefined);
  });

  test('a policy of the copy’s name with another document is not taken over', async () => {
    const planned = await snapshotOwnCopy(session, system, item);
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: COPY_NAME,
        Path: '/teams/payments/',
        PolicyDocument: JSON.stringify(document(['s3:*'])),
      }),
    );
    const result = await applyOwnCopy(session, system, item, planned);
    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /exists with another document/);
    assert.deepEqual(await attached(APP_ROLE), [POLICY_ARN]);
  });

  test('restore refuses a copy edited since, naming the edit, and changes nothing', async () => {
    const planned = await snapshotOwnCopy(session, system, item);
    await applied(planned);
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: COPY_ARN,
        PolicyDocument: JSON.stringify(document(['s3:GetObject', 's3:ListBucket'])),
        SetAsDefault: true,
      }),
    );
    const result = await restoreOwnCopy(session, system, item, planned);
    assert.equal(result.status, 'conflict');
    assert.match(result.detail, new RegExp(`the copy ${COPY_ARN} was edited: now also Allow s3:ListBucket`));
    assert.deepEqual(await attached(APP_ROLE), [COPY_ARN]);
    assert.ok(await policy(COPY_ARN), 'the edited copy stays');
  });

  test("restore refuses when the holder's attachments changed since: the copy was detached", async () => {
    const planned = await snapshotOwnCopy(session, system, item);
    await applied(planned);
    await iam.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: COPY_ARN }));
    const result = await restoreOwnCopy(session, system, item, planned);
    assert.equal(result.status, 'conflict');
    assert.match(result.detail, new RegExp(`the copy ${COPY_ARN} was detached from IAM role ${APP_ROLE}`));
    assert.deepEqual(await attached(APP_ROLE), [], 'the shared policy is not attached over their change');
  });

  test('restore refuses to delete a copy someone attached to another identity', async () => {
    const planned = await snapshotOwnCopy(session, system, item);
    await applied(planned);
    await iam.send(new AttachRolePolicyCommand({ RoleName: OTHER_ROLE, PolicyArn: COPY_ARN }));
    const result = await restoreOwnCopy(session, system, item, planned);
    assert.equal(result.status, 'conflict');
    assert.match(result.detail, /also attached to 1 other identity/);
    assert.deepEqual(await attached(OTHER_ROLE), [COPY_ARN, POLICY_ARN].sort());
  });

  test('the executor of the cleanup port dispatches own copies here', async () => {
    const executor = createAwsCleanup({ broker });
    const planned = await executor.snapshot(system, item);
    assert.equal((planned as AwsOwnCopySnapshot).kind, 'aws-own-copy');
    assert.equal((await executor.apply(system, item, planned)).status, 'applied');
    assert.equal((await executor.verify(system, item)).ok, true);
    assert.equal((await executor.restore(system, item, planned)).status, 'restored');
    assert.deepEqual(await attached(APP_ROLE), [POLICY_ARN]);
  });

  test('copy names stay within IAM’s 128 characters, deterministically; a group gets no copy', async () => {
    assert.equal(ownCopyName('shared-data', 'app'), 'shared-data-least-app');
    const long = ownCopyName('p'.repeat(100), 'r'.repeat(60));
    assert.equal(long.length, 128);
    assert.equal(long, ownCopyName('p'.repeat(100), 'r'.repeat(60)));
    assert.notEqual(long, ownCopyName('p'.repeat(100), `${'r'.repeat(59)}s`));
    const group = `arn:aws:iam::${ACCOUNT_ID}:group/devs`;
    await rejectsWith(
      snapshotOwnCopy(session, system, { ...item, object: { ...item.object, key: `${group}|${POLICY_ARN}` } }),
      ErrorCode.CloudTargetUnknown,
    );
  });
});
