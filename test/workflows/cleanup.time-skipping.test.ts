import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { ADMIN, LEAD, REQUESTER, startStack, type Stack } from '../support/stacks/stack';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import {
  accessKeyIdentity,
  actionsIn,
  attachManagedPolicy,
  awsPolicyDocument,
  createManagedPolicy,
  createRole,
  inlinePolicyDocument,
  managedPolicyDocument,
  putInlinePolicy,
  startCleanupRun,
  waitForCleanupPhase,
  waitForCleanupState,
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import { canonicalJson } from '../../activities/inventory/documents';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import type { ActionCatalogue, GrantPath, Identity, UsageDay } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { CleanupRunState } from '../../domain/cleanup/run';
import { cleanupRestore } from '../../workflows/cleanup';
import { cleanupDecideUpdate } from '../../workflows/cleanup-messages';

/**
 * The 90-day cleanup on the time-skipping server, against moto through the real SDK: plan from the
 * inventory, announce, owners' answers (Remove now, Keep, Snooze; a stranger refused), the notice period
 * skipped, removal of unused actions from an inline and from a shared customer-managed policy, a key
 * kept active by a snooze, an inactive role's guard, each verified in moto; then Restore puts back
 * exactly what the snapshots hold.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const day = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString().slice(0, 10);
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();

const OPERATOR = 'cleanup-operator';
const REPORTER = 'cleanup-reporter';
const IDLE = 'cleanup-idle-batch';
const KEY_USER = 'cleanup-old-ci';
const INLINE = 'payments-data';
const SHARED = 'shared-dynamo';
const UNUSED_SQS = 'unused-sqs';
const STRANGER = 'mallory@example.com';

const INLINE_DOC = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::payments-data/*',
    },
  ],
};
const SHARED_DOC = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteTable'], Resource: '*' },
  ],
};
const SQS_DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] };
const IDLE_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
};

let stack: Stack;
let stopWorker: () => Promise<void>;
let catalogue: ActionCatalogue;
const arn = (type: 'role' | 'user' | 'policy', name: string): string => `arn:aws:iam::${ACCOUNT_ID}:${type}/${name}`;

before(async () => {
  stack = await startStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD] };
      system.cleanup = {
        mode: 'enforce',
        notice: '7d',
        owners: { mapping: { 'cleanup-operator': REQUESTER }, channel: { platform: 'log', channel: 'cleanup' } },
      };
    },
  });
  catalogue = await loadAwsCatalogue();
  await createCloudObjects();
  await writeSnapshotPair(stack.store, inventory(), { runId: 'cleanup-old', window: { from: iso(120), to: iso(30) } });
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
});

async function createCloudObjects(): Promise<void> {
  const { iam } = stack.aws;
  for (const role of [OPERATOR, REPORTER, IDLE]) await createRole(iam, role);
  await putInlinePolicy(iam, OPERATOR, INLINE, INLINE_DOC);
  await putInlinePolicy(iam, IDLE, 'idle-logs', IDLE_DOC);
  await createManagedPolicy(iam, SHARED, SHARED_DOC);
  await createManagedPolicy(iam, UNUSED_SQS, SQS_DOC);
  for (const role of [OPERATOR, REPORTER]) await attachManagedPolicy(iam, role, arn('policy', SHARED));
  await attachManagedPolicy(iam, REPORTER, arn('policy', UNUSED_SQS));
  await iam.send(new CreateUserCommand({ UserName: KEY_USER }));
  keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: KEY_USER }))).AccessKey!.AccessKeyId!;
}
let keyId = '';

const document = (name: string, body: unknown) =>
  awsPolicyDocument(catalogue, name, body, { id: `sha256:${name}-${canonicalJson(body).length}` });

function inventory() {
  const identity = (name: string, kind: Identity['kind'], extra: Partial<Identity> = {}): Identity => ({
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, name, kind, 'workload'),
    createdAt: iso(400),
    ...extra,
  });
  const operator = identity(OPERATOR, 'aws-iam-role', { lastActivityAt: iso(2) });
  const reporter = identity(REPORTER, 'aws-iam-role', { lastActivityAt: iso(3) });
  const idle = identity(IDLE, 'aws-iam-role');
  const user = identity(KEY_USER, 'aws-iam-user', { nature: 'human' });
  const key = accessKeyIdentity(user, keyId, iso(400));
  const docs = {
    inline: document(`${OPERATOR}/${INLINE}`, INLINE_DOC),
    shared: document(arn('policy', SHARED), SHARED_DOC),
    sqs: document(arn('policy', UNUSED_SQS), SQS_DOC),
    idle: document(`${IDLE}/idle-logs`, IDLE_DOC),
  };
  const path = (who: Identity, kind: GrantPath['kind'], documentId: string, via: string): GrantPath =>
    grantPath(who, documentId, { kind, via, scope: ACCOUNT_ID });
  const used = (who: Identity, action: string, daysAgo: number): UsageDay => ({
    ...usedOn(who, action, day(daysAgo)),
    count: 3,
  });
  return {
    runId: 'cleanup-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities: [operator, reporter, idle, user, key],
    documents: Object.values(docs),
    paths: [
      path(operator, 'inline-policy', docs.inline.document.id, INLINE),
      path(operator, 'managed-policy', docs.shared.document.id, arn('policy', SHARED)),
      path(reporter, 'managed-policy', docs.shared.document.id, arn('policy', SHARED)),
      path(reporter, 'managed-policy', docs.sqs.document.id, arn('policy', UNUSED_SQS)),
      path(idle, 'inline-policy', docs.idle.document.id, 'idle-logs'),
    ],
    usage: [
      used(operator, 's3:GetObject', 5),
      used(operator, 'dynamodb:GetItem', 10),
      used(reporter, 'dynamodb:PutItem', 20),
    ],
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
}

const startRun = (): Promise<string> => startCleanupRun(stack, { systemId: SYSTEM_ID, requestedBy: ADMIN });
const inlineDocument = (role: string, name: string): Promise<unknown> =>
  inlinePolicyDocument(stack.aws.iam, role, name);
const defaultDocument = (policyArn: string): Promise<unknown> => managedPolicyDocument(stack.aws.iam, policyArn);

describe('cleanup on moto', () => {
  let runId: string;
  let planned: CleanupRunState;
  const item = (change: string, name: string) => {
    const found = planned.items.find((i) => i.change === change && i.object.name.includes(name));
    assert.ok(found, `no ${change} of ${name} in ${JSON.stringify(planned.items.map((i) => i.itemId))}`);
    return found;
  };

  it('plans from the inventory and tells the owners and the channel', async () => {
    runId = await startRun();
    planned = await waitForCleanupPhase(stack, runId, 'noticing');
    const inline = item('narrow-policy', INLINE);
    assert.equal(inline.actions, 2, 'PutObject and DeleteObject go; GetObject was used');
    assert.deepEqual(inline.owners, [REQUESTER]);
    const shared = item('narrow-policy', SHARED);
    assert.equal(shared.actions, 1, 'only DeleteTable is unused by both holders');
    item('detach-policy', UNUSED_SQS);
    item('deactivate-key', keyId);
    item('guard-principal', IDLE);
    const stored = await stack.store.cleanup.items(runId, { itemIds: [shared.itemId] });
    assert.deepEqual(stored[0]!.removeActions, ['dynamodb:DeleteTable']);
    const told = stack.cleanupMessages.filter((m) => m.runId === runId);
    assert.ok(
      told.some((m) => m.to === REQUESTER && m.kind === 'cleanup.announce'),
      'the mapped owner is told',
    );
    assert.ok(
      told.some((m) => m.to === LEAD && m.kind === 'cleanup.announce'),
      "the system's owner is told",
    );
    assert.ok(
      told.some((m) => m.to === 'log:cleanup' && m.kind === 'cleanup.summary'),
      'the channel gets a summary',
    );
    // nothing changed yet: the notice period has just begun
    assert.deepEqual(actionsIn(await inlineDocument(OPERATOR, INLINE)), [
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
  });

  it('refuses a stranger, and takes the owners’ answers', async () => {
    const handle = stack.env.client.workflow.getHandle(runId);
    const inline = item('narrow-policy', INLINE);
    await assert.rejects(
      handle.executeUpdate(cleanupDecideUpdate, {
        args: [{ itemId: inline.itemId, kind: 'remove', decider: STRANGER }],
      }),
      (error: unknown) =>
        error instanceof WorkflowUpdateFailedError && /owners/.test(String((error.cause as Error)?.message)),
    );
    await assert.rejects(
      handle.executeUpdate(cleanupDecideUpdate, {
        args: [{ itemId: item('detach-policy', UNUSED_SQS).itemId, kind: 'keep', decider: LEAD }],
      }),
      (error: unknown) => error instanceof WorkflowUpdateFailedError,
      'Keep needs a reason',
    );
    await handle.executeUpdate(cleanupDecideUpdate, {
      args: [
        { itemId: item('detach-policy', UNUSED_SQS).itemId, kind: 'keep', decider: LEAD, reason: 'quarter-end jobs' },
      ],
    });
    await handle.executeUpdate(cleanupDecideUpdate, {
      args: [{ itemId: item('deactivate-key', keyId).itemId, kind: 'snooze', days: 30, decider: LEAD }],
    });
    // Remove now: applied at once, before the notice period ends
    await handle.executeUpdate(cleanupDecideUpdate, {
      args: [{ itemId: inline.itemId, kind: 'remove', decider: REQUESTER }],
    });
    await waitForCleanupState(
      stack,
      runId,
      (state) => Boolean(state.items.find((i) => i.itemId === inline.itemId)?.outcome),
      `an outcome for ${inline.itemId}`,
      20_000,
    );
    assert.deepEqual(actionsIn(await inlineDocument(OPERATOR, INLINE)), ['s3:GetObject']);
    const refused = (await stack.store.auditFor(undefined, 200)).filter(
      (row) => row.action === 'cleanup.remove_requested',
    );
    assert.equal(refused.length, 1, 'the Remove is audited once');
  });

  it('after the notice period removes what nobody kept (enforce mode), verified in moto', async () => {
    const final = (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;
    const outcome = (change: string, name: string) =>
      final.items.find((i) => i.itemId === item(change, name).itemId)?.outcome;
    assert.equal(outcome('narrow-policy', INLINE), 'removed');
    assert.equal(outcome('narrow-policy', SHARED), 'removed');
    assert.equal(outcome('detach-policy', UNUSED_SQS), 'kept');
    assert.equal(outcome('deactivate-key', keyId), 'snoozed');
    assert.equal(outcome('guard-principal', IDLE), 'removed');
    assert.deepEqual(actionsIn(await defaultDocument(arn('policy', SHARED))), ['dynamodb:GetItem', 'dynamodb:PutItem']);
    const attached = await stack.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: REPORTER }));
    assert.ok(
      attached.AttachedPolicies!.some((p) => p.PolicyName === UNUSED_SQS),
      'kept: still attached',
    );
    const keys = await stack.aws.iam.send(new ListAccessKeysCommand({ UserName: KEY_USER }));
    assert.equal(keys.AccessKeyMetadata![0]!.Status, 'Active', 'snoozed: still active');
    const idle = await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: IDLE }));
    assert.deepEqual(idle.PolicyNames!.sort(), ['LeastInactiveGuard', 'idle-logs']);
    const run = await stack.store.cleanup.run(runId);
    assert.equal(run?.status, 'finished');
    assert.ok(stack.cleanupMessages.some((m) => m.runId === runId && m.kind === 'cleanup.report'));
  });

  it('restores the whole run to what the snapshots hold', async () => {
    const result = await stack.env.client.workflow.execute(cleanupRestore, {
      workflowId: `cleanup-restore-${runId}-all`,
      taskQueue: stack.taskQueue,
      args: [{ runId, by: LEAD, reason: 'test restore' }],
    });
    const restored = result.items.filter((i) => i.status === 'restored').length;
    assert.equal(restored, 3, JSON.stringify(result.items));
    assert.deepEqual(await inlineDocument(OPERATOR, INLINE), INLINE_DOC);
    assert.deepEqual(actionsIn(await defaultDocument(arn('policy', SHARED))), actionsIn(SHARED_DOC));
    const idle = await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: IDLE }));
    assert.deepEqual(idle.PolicyNames, ['idle-logs']);
    const items = await stack.store.cleanup.items(runId);
    assert.equal(items.filter((i) => i.outcome === 'restored').length, 3);
    const audit = (await stack.store.auditFor(undefined, 500)).filter((row) => row.action === 'cleanup.restored');
    assert.equal(audit.length, 3);
  });

  it('remembers a Keep: the next plan holds the kept change back', async () => {
    const next = await startRun();
    const state = await waitForCleanupPhase(stack, next, 'noticing');
    assert.ok(!state.items.some((i) => i.change === 'detach-policy'), 'the kept detach is not planned again');
    const holds = await stack.store.cleanup.holds(next);
    assert.ok(
      holds.some((h) => h.reason === 'kept'),
      JSON.stringify(holds),
    );
    await stack.env.client.workflow.getHandle(next).terminate('test over');
  });
});
