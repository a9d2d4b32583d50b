import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, queryError, startMotoFront, SYSTEM_ID, type MotoFront } from '../support/fakes/aws-fixtures';
import { testServices } from '../support/launch/services';
import { LEAD, startStack, type Stack } from '../support/stacks/stack';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import {
  actionsIn,
  awsPolicyDocument,
  createRole,
  inlinePolicyDocument,
  putInlinePolicy,
  startCleanupRun,
  waitForCleanupState,
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { AWS_STAGED_POLICY_PREFIX } from '../../domain/cleanup/model';
import type { CleanupRunState } from '../../domain/cleanup/run';
import type { PolicyInput } from '../../domain/policy/schema';
import { stagedPolicyName } from '../../activities/cleanup/aws';

/**
 * Staged removal while IAM throttles. "Rate exceeded" on the staged deny is not IAM refusing the deny (as
 * its size limits are): the stage activity fails and Temporal retries it, and the item is staged, not
 * removed at once as an item that cannot be staged is. moto never throttles, so a front on moto answers
 * the deny's PutRolePolicy with Throttling until the SDK's own retries of one activity attempt are spent.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();
const ROLE = 'staged-throttled';
const POLICY = 'orders-data';
const DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::orders/*' }],
};
/** The broker's clients make five attempts (activities/cloud/aws/broker.ts): all five are throttled. */
const THROTTLED = 5;

let front: MotoFront;
let stack: Stack;
let stopWorker: () => Promise<void>;

before(async () => {
  front = await startMotoFront(testServices().motoUrl);
  let throttled = 0;
  front.intercept('PutRolePolicy', async ({ params, forward }) => {
    if (!String(params.PolicyName).startsWith(AWS_STAGED_POLICY_PREFIX) || throttled >= THROTTLED) return forward();
    throttled += 1;
    return queryError('Throttling', 'Rate exceeded');
  });
  stack = await startStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.endpoint = front.url;
      system.owners = { users: [LEAD] };
      system.cleanup = { mode: 'enforce', notice: '7d', staging: '5d' };
    },
  });
  const catalogue = await loadAwsCatalogue();
  await createRole(stack.aws.iam, ROLE);
  await putInlinePolicy(stack.aws.iam, ROLE, POLICY, DOC);
  const identity = {
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, ROLE, 'aws-iam-role', 'workload'),
    createdAt: iso(400),
    lastActivityAt: iso(1),
  };
  const documentId = `sha256:${ROLE}`;
  await writeSnapshotPair(
    stack.store,
    {
      runId: 'throttled-now',
      systemId: SYSTEM_ID,
      window: { from: iso(90), to: iso(0) },
      identities: [identity],
      documents: [awsPolicyDocument(catalogue, `${ROLE}/${POLICY}`, DOC, { id: documentId })],
      paths: [grantPath(identity, documentId, { kind: 'inline-policy', via: POLICY, scope: ACCOUNT_ID })],
      usage: [{ ...usedOn(identity, 's3:GetObject', iso(3).slice(0, 10)), count: 4 }],
      coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
    },
    { runId: 'throttled-old', window: { from: iso(120), to: iso(30) } },
  );
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
  await front?.close();
});

async function inline(): Promise<string[]> {
  const names = (await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames ?? [];
  return names.sort();
}

describe('staged removal while IAM throttles', () => {
  it('retries the staged deny and stages the item, rather than removing at once', async () => {
    const runId = await startCleanupRun(stack, { systemId: SYSTEM_ID });
    const planned = await waitForCleanupState(stack, runId, (s) => s.phase === 'noticing', 'the notice period');
    assert.equal(planned.items.length, 1, JSON.stringify(planned.items.map((i) => i.itemId)));
    await stack.env.sleep(8 * DAY); // the notice period passes; nobody answered (enforce mode)

    const acted = await waitForCleanupState(
      stack,
      runId,
      (s) => s.items.every((i) => i.outcome !== undefined),
      'an outcome for the item',
      120_000,
    );

    assert.equal(acted.items[0]!.outcome, 'staged', acted.items[0]!.outcomeDetail);
    const staged = front.calls.filter(
      (call) => call.operation === 'PutRolePolicy' && call.params.PolicyName === stagedPolicyName(planned.items[0]!),
    );
    assert.equal(staged.length, THROTTLED + 1, 'every throttled attempt was retried, the last one by Temporal');
    assert.deepEqual(actionsIn(await inlinePolicyDocument(stack.aws.iam, ROLE, POLICY)), [
      's3:GetObject',
      's3:PutObject',
    ]);
    assert.deepEqual(await inline(), [POLICY, stagedPolicyName(planned.items[0]!)].sort(), 'the deny guard is on');

    // the staging period passes: only now is the unused action removed, and the deny taken off
    await stack.env.sleep(6 * DAY);
    const final = (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;
    assert.equal(final.items[0]!.outcome, 'removed');
    assert.deepEqual(actionsIn(await inlinePolicyDocument(stack.aws.iam, ROLE, POLICY)), ['s3:GetObject']);
    assert.deepEqual(await inline(), [POLICY]);
  });
});
