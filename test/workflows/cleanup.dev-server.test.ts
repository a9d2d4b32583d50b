import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListPolicyVersionsCommand } from '@aws-sdk/client-iam';
import { Context } from '@temporalio/activity';
import { createAwsCleanup, type AwsCleanup } from '../../activities/cleanup/aws';
import type { CleanupExecutor } from '../../activities/cleanup/port';
import { canonicalJson } from '../../activities/inventory/documents';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import type { ActionCatalogue, GrantPath, Identity, UsageDay } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import type { CleanupRunState } from '../../domain/cleanup/run';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import {
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
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import { ADMIN, LEAD, startStack, type Stack } from '../support/stacks/stack';

/**
 * The cleanup workflow on the real Temporal dev server, in real time, against moto: a worker that dies
 * in the middle of applying a batch (after one change reached IAM, before Least recorded it) is replaced
 * and the new one finishes the batch without applying anything twice; a policy someone edits between the
 * plan and the apply is re-planned, never overwritten. The notice period is a few seconds.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();
const day = (daysAgo: number): string => iso(daysAgo).slice(0, 10);
const NOTICE_SECONDS = 8;

const BATCH_ROLE = 'cleanup-batch-worker';
const BATCH_POLICIES = ['batch-queue-1', 'batch-queue-2', 'batch-queue-3', 'batch-queue-4', 'batch-queue-5'];
const EDITOR_ROLE = 'cleanup-report-writer';
const INLINE = 'reports-data';
const INLINE_DOC = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::reports-data/*',
    },
  ],
};
/** What someone else makes of the inline policy while the run waits out its notice. */
const EDITED_DOC = {
  Version: '2012-10-17',
  Statement: [
    ...INLINE_DOC.Statement,
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::reports-data' },
  ],
};
const batchDocument = (name: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:PurgeQueue', 'sqs:DeleteQueue'],
      Resource: `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:${name}`,
    },
  ],
});
const arn = (type: 'role' | 'policy', name: string): string => `arn:aws:iam::${ACCOUNT_ID}:${type}/${name}`;

/**
 * The AWS executor as production wires it, with a switch that kills the worker at the worst moment of one
 * item: its change is in IAM, its outcome and audit row are not written. The activity then waits for the
 * worker's shutdown, which cancels it: its attempt fails and the server hands the batch to the next worker.
 */
class KillSwitch {
  private armedFor: string | undefined;
  private fire!: () => void;
  readonly tripped = new Promise<void>((resolve) => (this.fire = resolve));
  readonly executor: CleanupExecutor;

  constructor(readonly inner: AwsCleanup) {
    this.executor = {
      snapshot: (system, item) => inner.snapshot(system, item),
      verify: (system, item) => inner.verify(system, item),
      restore: (system, item, snapshot) => inner.restore(system, item, snapshot),
      apply: async (system, item, planned) => {
        const result = await inner.apply(system, item, planned);
        if (item.itemId === this.armedFor) {
          this.armedFor = undefined;
          this.fire();
          await Context.current().cancelled; // rejects with the worker's shutdown
        }
        return result;
      },
    };
  }

  armFor(itemId: string): void {
    this.armedFor = itemId;
  }
}

let stack: Stack;
let catalogue: ActionCatalogue;
let killSwitch: KillSwitch;

before(async () => {
  killSwitch = new KillSwitch(createAwsCleanup());
  stack = await startStack('dev', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD] };
      system.cleanup = {
        mode: 'enforce',
        notice: `${NOTICE_SECONDS}s`,
        owners: { channel: { platform: 'log', channel: 'cleanup' } },
      };
    },
    cleanupExecutors: () => ({ aws: killSwitch.executor }),
  });
  catalogue = await loadAwsCatalogue();
  await createCloudObjects();
  // the same grants seen a month earlier: past the grace period
  await writeSnapshotPair(stack.store, inventory(), {
    runId: 'cleanup-dev-old',
    window: { from: iso(120), to: iso(30) },
  });
});

after(async () => {
  await stack?.close();
  killSwitch?.inner.close();
});

async function createCloudObjects(): Promise<void> {
  const { iam } = stack.aws;
  for (const role of [BATCH_ROLE, EDITOR_ROLE]) await createRole(iam, role);
  for (const name of BATCH_POLICIES) {
    await createManagedPolicy(iam, name, batchDocument(name));
    await attachManagedPolicy(iam, BATCH_ROLE, arn('policy', name));
  }
  await putInlinePolicy(iam, EDITOR_ROLE, INLINE, INLINE_DOC);
}

const document = (name: string, body: unknown) => awsPolicyDocument(catalogue, name, body);

function inventory() {
  const role = (name: string): Identity => ({
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, name, 'aws-iam-role', 'workload'),
    createdAt: iso(400),
    lastActivityAt: iso(1),
  });
  const batch = role(BATCH_ROLE);
  const editor = role(EDITOR_ROLE);
  const managed = BATCH_POLICIES.map((name) => document(arn('policy', name), batchDocument(name)));
  const inline = document(`${EDITOR_ROLE}/${INLINE}`, INLINE_DOC);
  const path = (who: Identity, kind: GrantPath['kind'], documentId: string, via: string): GrantPath =>
    grantPath(who, documentId, { kind, via, scope: ACCOUNT_ID });
  const used = (who: Identity, action: string): UsageDay => ({ ...usedOn(who, action, day(3)), count: 12 });
  return {
    runId: 'cleanup-dev-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities: [batch, editor],
    documents: [...managed, inline],
    paths: [
      ...BATCH_POLICIES.map((name, k) => path(batch, 'managed-policy', managed[k]!.document.id, arn('policy', name))),
      path(editor, 'inline-policy', inline.document.id, INLINE),
    ],
    usage: [used(batch, 'sqs:SendMessage'), used(editor, 's3:GetObject')],
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
}

const startRun = (identity: string): Promise<string> =>
  startCleanupRun(stack, { systemId: SYSTEM_ID, requestedBy: ADMIN, identityId: arn('role', identity) });

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every version of a managed policy, and the default one's document. */
async function versionsOf(policyArn: string) {
  const { iam } = stack.aws;
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions ?? [];
  return { count: versions.length, document: await managedPolicyDocument(iam, policyArn) };
}

async function auditOf(runId: string, action: string) {
  return (await stack.store.auditFor(undefined, 500)).filter(
    (row) => row.action === action && (row.detail as { runId?: string }).runId === runId,
  );
}

describe('cleanup on the dev server', () => {
  it('a worker killed mid-apply is replaced, and every item is applied exactly once', async () => {
    const first = await stack.startWorker();
    const runId = await startRun(BATCH_ROLE);
    const planned = await waitForCleanupPhase(stack, runId, 'noticing');
    const itemIds = planned.items.map((i) => i.itemId).sort();
    assert.equal(itemIds.length, BATCH_POLICIES.length, JSON.stringify(itemIds));
    assert.ok(planned.items.every((i) => i.change === 'narrow-policy' && i.actions === 2));
    // the third item of the batch: two are applied and recorded before the worker dies
    const victim = itemIds[2]!;
    killSwitch.armFor(victim);

    await within((NOTICE_SECONDS + 20) * 1000, 'the apply of the third item', killSwitch.tripped);
    await first.stop();
    const atKill = await stack.store.cleanup.items(runId);
    const outcomes = Object.fromEntries(atKill.map((i) => [i.itemId, i.outcome ?? 'none']));
    assert.deepEqual(
      itemIds.map((id) => outcomes[id]),
      ['removed', 'removed', 'none', 'none', 'none'],
      'killed in the middle of the batch',
    );
    const victimPolicy = atKill.find((i) => i.itemId === victim)!.object.key;
    assert.equal((await versionsOf(victimPolicy)).count, 2, "the victim's change reached IAM before the kill");

    const second = await stack.startWorker();
    try {
      const final = (await within(
        60_000,
        'the run to finish on the new worker',
        stack.env.client.workflow.getHandle(runId).result(),
      )) as CleanupRunState;
      for (const item of final.items) assert.equal(item.outcome, 'removed', `${item.itemId}: ${item.outcomeDetail}`);
      const resumed = final.items.find((i) => i.itemId === victim)!;
      assert.match(
        resumed.outcomeDetail ?? '',
        /^Already done/,
        'the new worker found the change made, and wrote nothing',
      );
      for (const name of BATCH_POLICIES) {
        const { count, document: current } = await versionsOf(arn('policy', name));
        assert.equal(count, 2, `${name}: the original and one narrowed version, not two`);
        assert.deepEqual(actionsIn(current), ['sqs:SendMessage']);
      }
      const applied = await auditOf(runId, 'cleanup.applied');
      assert.deepEqual(
        applied.map((row) => (row.detail as { itemId: string }).itemId).sort(),
        itemIds,
        'one cleanup.applied per item',
      );
      // the batch ran twice: the dead worker's attempt and the new worker's
      const history = await stack.env.client.workflow.getHandle(runId).fetchHistory();
      const attempts = (history.events ?? [])
        .map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 0)
        .filter((attempt) => attempt > 0);
      assert.ok(Math.max(...attempts) >= 2, `activity attempts ${JSON.stringify(attempts)}`);
    } finally {
      await second.stop();
    }
  });

  it('a policy edited between the plan and the apply is re-planned, not overwritten', async () => {
    const worker = await stack.startWorker();
    try {
      const runId = await startRun(EDITOR_ROLE);
      const planned = await waitForCleanupPhase(stack, runId, 'noticing');
      assert.equal(planned.items.length, 1, JSON.stringify(planned.items.map((i) => i.itemId)));
      const item = planned.items[0]!;
      assert.equal(item.change, 'narrow-policy');
      assert.equal(item.object.key, `${arn('role', EDITOR_ROLE)}#${INLINE}`);
      // someone else edits the policy while the owners are being told
      await putInlinePolicy(stack.aws.iam, EDITOR_ROLE, INLINE, EDITED_DOC);

      const final = (await within(
        (NOTICE_SECONDS + 30) * 1000,
        'the run to finish',
        stack.env.client.workflow.getHandle(runId).result(),
      )) as CleanupRunState;
      const outcome = final.items.find((i) => i.itemId === item.itemId)!;
      assert.equal(outcome.outcome, 'replanned', outcome.outcomeDetail);
      assert.match(outcome.outcomeDetail ?? '', /s3:ListBucket/, 'the report names the change');
      assert.equal(
        canonicalJson(await inlinePolicyDocument(stack.aws.iam, EDITOR_ROLE, INLINE)),
        canonicalJson(EDITED_DOC),
        'the edit survives',
      );
      assert.equal((await auditOf(runId, 'cleanup.replanned')).length, 1);
      assert.deepEqual(await auditOf(runId, 'cleanup.applied'), []);
    } finally {
      await worker.stop();
    }
  });
});
