import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { LEAD, startStack, type Stack } from '../support/stacks/stack';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import {
  actionsIn,
  awsPolicyDocument,
  createRole,
  inlinePolicyDocument,
  putInlinePolicy,
  startCleanupRun,
  waitForCleanupPhase,
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import type { GrantPath, Identity } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { CleanupRunState } from '../../domain/cleanup/run';
import { stagedPolicyName } from '../../activities/cleanup/aws';
import { cleanupRestore } from '../../workflows/cleanup';

/**
 * Staged removal on the time-skipping server against moto: after the notice period the unused actions
 * are first denied to the policy's holders by a guard (the policy itself unchanged), so a mistake costs
 * a denied call; after the staging period the policy loses them and the guard goes. An owner who
 * restores during staging gets the guard taken away and the policy is never changed.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();
const STAYS = 'staged-stays';
const RESTORED = 'staged-restored';
const POLICY = 'orders-data';
const DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::orders/*' }],
};

let stack: Stack;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD] };
      system.cleanup = { mode: 'enforce', notice: '7d', staging: '5d' };
    },
  });
  const catalogue = await loadAwsCatalogue();
  const identities: Identity[] = [];
  const paths: GrantPath[] = [];
  const documents = [];
  for (const role of [STAYS, RESTORED]) {
    await createRole(stack.aws.iam, role);
    await putInlinePolicy(stack.aws.iam, role, POLICY, DOC);
    const identity: Identity = {
      ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, role, 'aws-iam-role', 'workload'),
      createdAt: iso(400),
      lastActivityAt: iso(1),
    };
    identities.push(identity);
    const documentId = `sha256:${role}`;
    documents.push(awsPolicyDocument(catalogue, `${role}/${POLICY}`, DOC, { id: documentId }));
    paths.push(grantPath(identity, documentId, { kind: 'inline-policy', via: POLICY, scope: ACCOUNT_ID }));
  }
  const snapshot = {
    runId: 'staged-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities,
    documents,
    paths,
    usage: identities.map((i) => ({ ...usedOn(i, 's3:GetObject', iso(3).slice(0, 10)), count: 4 })),
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
  await writeSnapshotPair(stack.store, snapshot, { runId: 'staged-old', window: { from: iso(120), to: iso(30) } });
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
});

async function inline(role: string): Promise<string[]> {
  const names = (await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
  return names.sort();
}

async function actions(role: string): Promise<string[]> {
  return actionsIn(await inlinePolicyDocument(stack.aws.iam, role, POLICY));
}

describe('staged removal', () => {
  it('denies first, removes after the staging period, and a restore while staged changes nothing', async () => {
    const runId = await startCleanupRun(stack, { systemId: SYSTEM_ID });
    const planned = await waitForCleanupPhase(stack, runId, 'noticing');
    assert.equal(planned.items.length, 2, JSON.stringify(planned.items.map((i) => i.itemId)));
    await stack.env.sleep(8 * DAY); // the notice period passes; nobody answered (enforce mode)
    const staged = await waitForCleanupPhase(stack, runId, 'staging');
    assert.ok(
      staged.items.every((i) => i.outcome === 'staged'),
      JSON.stringify(staged.items),
    );
    const item = (role: string) => staged.items.find((i) => i.identities.includes(role))!;
    for (const role of [STAYS, RESTORED]) {
      assert.deepEqual(await actions(role), ['s3:GetObject', 's3:PutObject'], 'the policy is not changed yet');
      assert.deepEqual(await inline(role), [POLICY, stagedPolicyName(item(role))].sort(), 'the deny guard is on');
    }
    const restored = await stack.env.client.workflow.execute(cleanupRestore, {
      workflowId: `cleanup-restore-${runId}-staged`,
      taskQueue: stack.taskQueue,
      args: [{ runId, by: LEAD, itemIds: [item(RESTORED).itemId] }],
    });
    assert.deepEqual(
      restored.items.map((i) => i.status),
      ['restored'],
    );
    assert.deepEqual(await inline(RESTORED), [POLICY], 'restoring while staged takes the deny away');

    const final = (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;
    const outcome = (role: string) => final.items.find((i) => i.itemId === item(role).itemId)?.outcome;
    assert.equal(outcome(STAYS), 'removed');
    assert.equal(outcome(RESTORED), 'restored');
    assert.deepEqual(await actions(STAYS), ['s3:GetObject'], 'after staging the unused action is removed');
    assert.deepEqual(await inline(STAYS), [POLICY], 'and the deny guard is gone');
    assert.deepEqual(await actions(RESTORED), ['s3:GetObject', 's3:PutObject'], 'the restored one is never changed');
    const audit = (await stack.store.auditFor(undefined, 500)).map((row) => row.action);
    assert.equal(audit.filter((a) => a === 'cleanup.staged').length, 2);
    assert.equal(audit.filter((a) => a === 'cleanup.applied').length, 1);
  });
});
