import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { LEAD, startStack, type Stack } from '../support/stacks/stack';
import { cloudTrailCoverage, writeSnapshot } from '../support/checks/findings-snapshot';
import { expandAwsPolicy } from '../../domain/inventory/aws-policy';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import type { GrantPath, Identity } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { CleanupRunState } from '../../domain/cleanup/run';
import { stagedPolicyName } from '../../activities/cleanup/aws';
import { cleanup, cleanupRestore } from '../../workflows/cleanup';
import { cleanupStatusQuery, manualCleanupRunId } from '../../workflows/cleanup-messages';

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
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  const identities: Identity[] = [];
  const paths: GrantPath[] = [];
  const documents = [];
  for (const role of [STAYS, RESTORED]) {
    await stack.aws.iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    await stack.aws.iam.send(
      new PutRolePolicyCommand({ RoleName: role, PolicyName: POLICY, PolicyDocument: JSON.stringify(DOC) }),
    );
    const id = `arn:aws:iam::${ACCOUNT_ID}:role/${role}`;
    identities.push({
      systemId: SYSTEM_ID,
      id,
      kind: 'aws-iam-role',
      name: role,
      nature: 'workload',
      tags: {},
      createdAt: iso(400),
      lastActivityAt: iso(1),
    });
    const documentId = `sha256:${role}`;
    documents.push({
      document: {
        id: documentId,
        cloud: 'aws' as const,
        kind: 'aws-policy' as const,
        name: `${role}/${POLICY}`,
        managedByCloud: false,
        body: DOC,
      },
      actions: expandAwsPolicy(catalogue, documentId, DOC).actions,
    });
    paths.push({
      systemId: SYSTEM_ID,
      identityId: id,
      kind: 'inline-policy',
      documentId,
      via: POLICY,
      scope: ACCOUNT_ID,
      conditional: false,
    });
  }
  const snapshot = {
    runId: 'staged-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities,
    documents,
    paths,
    usage: identities.map((i) => ({
      systemId: SYSTEM_ID,
      identityId: i.id,
      action: 's3:GetObject',
      day: iso(3).slice(0, 10),
      count: 4,
      denied: 0,
    })),
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
  await writeSnapshot(stack.store, { ...snapshot, runId: 'staged-old', window: { from: iso(120), to: iso(30) } });
  await writeSnapshot(stack.store, snapshot);
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
  const found = await stack.aws.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: POLICY }));
  const doc = JSON.parse(decodeURIComponent(found.PolicyDocument!)) as { Statement: { Action: string | string[] }[] };
  return doc.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

async function waitFor(
  runId: string,
  test: (state: CleanupRunState) => boolean,
  what: string,
): Promise<CleanupRunState> {
  const handle = stack.env.client.workflow.getHandle(runId);
  const deadline = Date.now() + 30_000;
  let last: CleanupRunState | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(cleanupStatusQuery).catch(() => undefined);
    if (last && test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`cleanup ${runId}: ${what} never happened; last phase ${last?.phase ?? 'none'}`);
}

describe('staged removal', () => {
  it('denies first, removes after the staging period, and a restore while staged changes nothing', async () => {
    const runId = manualCleanupRunId(SYSTEM_ID, new Date());
    await stack.env.client.workflow.start(cleanup, {
      workflowId: runId,
      taskQueue: stack.taskQueue,
      args: [{ systemId: SYSTEM_ID, trigger: 'manual' }],
    });
    const planned = await waitFor(runId, (s) => s.phase === 'noticing', 'the notice period');
    assert.equal(planned.items.length, 2, JSON.stringify(planned.items.map((i) => i.itemId)));
    await stack.env.sleep(8 * DAY); // the notice period passes; nobody answered (enforce mode)
    const staged = await waitFor(runId, (s) => s.phase === 'staging', 'staging');
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
