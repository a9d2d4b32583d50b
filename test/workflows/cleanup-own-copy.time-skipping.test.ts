import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GetPolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { LEAD, startStack, type Stack } from '../support/stacks/stack';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import {
  actionsIn,
  attachManagedPolicy,
  awsPolicyDocument,
  createManagedPolicy,
  createRole,
  managedPolicyDocument,
  startCleanupRun,
  waitForCleanupPhase,
  waitForCleanupState,
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { ownCopyName } from '../../activities/cleanup/aws-copy';
import type { Identity, UsageDay } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { CleanupItemBrief, CleanupRunState } from '../../domain/cleanup/run';
import { cleanupRestore } from '../../workflows/cleanup';
import { cleanupDecideUpdate } from '../../workflows/cleanup-messages';

/**
 * An own copy of a shared policy in a run on the time-skipping server, against moto: enforce mode
 * removes what nobody used from the shared policy on silence, but gives a holder its own narrowed copy
 * only when an owner clicks Remove; the silent holder's copy is only reported. Restore takes it back.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();
const READER = 'orders-reader';
const WRITER = 'orders-writer';
const BOTH = 'orders-admin';
const SHARED = 'orders-table';
const SHARED_DOC = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteTable'], Resource: '*' },
  ],
};
const arn = (type: 'role' | 'policy', name: string): string => `arn:aws:iam::${ACCOUNT_ID}:${type}/${name}`;
const COPY_ARN = arn('policy', ownCopyName(SHARED, READER));

let stack: Stack;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD] };
      system.cleanup = { mode: 'enforce', notice: '7d' };
    },
  });
  const catalogue = await loadAwsCatalogue();
  await createManagedPolicy(stack.aws.iam, SHARED, SHARED_DOC);
  const shared = awsPolicyDocument(catalogue, arn('policy', SHARED), SHARED_DOC, { id: `sha256:${SHARED}` });
  const identities: Identity[] = [];
  const usage: UsageDay[] = [];
  const uses: Record<string, string[]> = {
    [READER]: ['dynamodb:GetItem'],
    [WRITER]: ['dynamodb:PutItem'],
    [BOTH]: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  };
  for (const [role, actions] of Object.entries(uses)) {
    await createRole(stack.aws.iam, role);
    await attachManagedPolicy(stack.aws.iam, role, arn('policy', SHARED));
    const identity: Identity = {
      ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, role, 'aws-iam-role', 'workload'),
      createdAt: iso(400),
      lastActivityAt: iso(1),
    };
    identities.push(identity);
    usage.push(...actions.map((action) => ({ ...usedOn(identity, action, iso(3).slice(0, 10)), count: 5 })));
  }
  const snapshot = {
    runId: 'own-copy-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities,
    documents: [shared],
    paths: identities.map((i) =>
      grantPath(i, shared.document.id, { kind: 'managed-policy', via: arn('policy', SHARED), scope: ACCOUNT_ID }),
    ),
    usage,
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
  await writeSnapshotPair(stack.store, snapshot, { runId: 'own-copy-old', window: { from: iso(120), to: iso(30) } });
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
});

async function attached(role: string): Promise<string[]> {
  const listed = await stack.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (listed.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort();
}

async function exists(policyArn: string): Promise<boolean> {
  try {
    await stack.aws.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'NoSuchEntityException') return false;
    throw error;
  }
}

describe('an own copy in an enforce-mode run', () => {
  it('is applied on an explicit Remove only; silence leaves the other holder on the shared policy', async () => {
    const runId = await startCleanupRun(stack, { systemId: SYSTEM_ID });
    const planned = await waitForCleanupPhase(stack, runId, 'noticing');
    const copyOf = (role: string): CleanupItemBrief => {
      const found = planned.items.find((i) => i.change === 'own-copy' && i.identities.includes(role));
      assert.ok(found, `no own copy for ${role} in ${JSON.stringify(planned.items.map((i) => i.itemId))}`);
      return found;
    };
    assert.deepEqual(planned.items.map((i) => i.change).sort(), ['narrow-policy', 'own-copy', 'own-copy']);
    assert.equal(copyOf(READER).explicitOnly, true);
    assert.equal(
      copyOf(READER).itemId,
      `own-copy:aws-policy-attachment:${arn('role', READER)}|${arn('policy', SHARED)}`,
    );
    assert.ok(
      stack.cleanupMessages.some((m) => m.runId === runId && m.to === LEAD && m.kind === 'cleanup.announce'),
      'the owner is told',
    );

    // the reader's owner asks for its copy; the writer's copy gets no answer
    await stack.env.client.workflow.getHandle(runId).executeUpdate(cleanupDecideUpdate, {
      args: [{ itemId: copyOf(READER).itemId, kind: 'remove', decider: LEAD }],
    });
    await waitForCleanupState(
      stack,
      runId,
      (state) => Boolean(state.items.find((i) => i.itemId === copyOf(READER).itemId)?.outcome),
      'the reader’s copy applied',
      20_000,
    );
    assert.deepEqual(await attached(READER), [COPY_ARN], 'the reader has its copy instead of the shared policy');
    assert.deepEqual(actionsIn(await managedPolicyDocument(stack.aws.iam, COPY_ARN)), ['dynamodb:GetItem']);

    await stack.env.sleep(8 * DAY); // the notice period passes: enforce mode acts on silence
    const final = (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;
    const outcome = (itemId: string) => final.items.find((i) => i.itemId === itemId)?.outcome;
    assert.equal(outcome(copyOf(READER).itemId), 'removed');
    assert.equal(outcome(copyOf(WRITER).itemId), 'reported', 'an own copy is never made on silence');
    assert.equal(outcome(planned.items.find((i) => i.change === 'narrow-policy')!.itemId), 'removed');
    assert.deepEqual(await attached(WRITER), [arn('policy', SHARED)]);
    assert.equal(await exists(arn('policy', ownCopyName(SHARED, WRITER))), false);
    assert.deepEqual(actionsIn(await managedPolicyDocument(stack.aws.iam, arn('policy', SHARED))), [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    const audit = (await stack.store.auditFor(undefined, 500)).filter(
      (row) => row.action === 'cleanup.applied' && (row.detail as { change?: string }).change === 'own-copy',
    );
    assert.equal(audit.length, 1, 'the copy is audited once');
    assert.equal(audit[0]!.actor, LEAD);

    const restored = await stack.env.client.workflow.execute(cleanupRestore, {
      workflowId: `cleanup-restore-${runId}-copy`,
      taskQueue: stack.taskQueue,
      args: [{ runId, by: LEAD, itemIds: [copyOf(READER).itemId] }],
    });
    assert.deepEqual(
      restored.items.map((i) => i.status),
      ['restored'],
    );
    assert.deepEqual(await attached(READER), [arn('policy', SHARED)]);
    assert.equal(await exists(COPY_ARN), false, 'the copy is deleted');
  });
});
