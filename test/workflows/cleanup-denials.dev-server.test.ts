import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, APP_ROLE, REGION, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import { assumedRoleActor, ensureBucket, writeTrailFile, type TrailEvent } from '../support/generators/cloudtrail';
import { buttonsIn, SlackUser, startSlackStack, textOf, type SlackStack } from '../support/stacks/slack-stack';
import { LEAD } from '../support/stacks/stack';
import { collect } from '../../workflows/collect';
import { CleanupAction, parseCleanupButtonValue } from '../../bot/render/cleanup';
import { AuditAction } from '../../domain/audit';
import type { CleanupItem } from '../../domain/cleanup/model';
import type { PolicyInput } from '../../domain/policy/schema';

/**
 * The denied-call watch end to end on the dev server: a cleanup removed s3:PutObject from the app role;
 * the role's calls to it are then denied, as generated CloudTrail files in moto S3 record. The next
 * collection reads them and the owner is told in Slack, once, with the item's Restore button; nothing
 * is restored without a click, and a later collection holding the same days tells nothing new. A staged
 * item's deny refuses calls before anything is removed: those are told the same way.
 */

const BUCKET = 'org-trail';
const DAY = 86_400_000;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${APP_ROLE}`;
const CLEANUP_RUN = 'cleanup-aws-prod-denials';
const STAGED_RUN = 'cleanup-aws-prod-staged';

let slack: SlackStack;
let s3: S3Client;

before(async () => {
  slack = await startSlackStack('dev', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.inventory = { cloudTrail: { bucket: BUCKET, regions: [REGION] }, accessAdvisor: false };
    },
  });
  s3 = new S3Client({ endpoint: slack.stack.motoUrl, region: REGION, forcePathStyle: true });
  await ensureBucket(s3, BUCKET);
  await slack.startWorker();
});

after(async () => {
  s3?.destroy();
  await slack?.close();
});

const ITEM: CleanupItem = {
  itemId: `narrow-policy:aws-inline-policy:${ROLE_ARN}#app-writes`,
  systemId: SYSTEM_ID,
  change: 'narrow-policy',
  object: { kind: 'aws-inline-policy', key: `${ROLE_ARN}#app-writes`, name: 'app-writes' },
  identities: [{ id: ROLE_ARN, name: APP_ROLE, kind: 'aws-iam-role' }],
  removeActions: ['s3:PutObject'],
  reason: 'no use of s3:PutObject in 90 days',
  owners: [LEAD],
};

/** Another policy of the role, whose unused s3:DeleteObject is denied by a staged removal, not yet removed. */
const STAGED_ITEM: CleanupItem = {
  ...ITEM,
  itemId: `narrow-policy:aws-inline-policy:${ROLE_ARN}#app-deletes`,
  object: { kind: 'aws-inline-policy', key: `${ROLE_ARN}#app-deletes`, name: 'app-deletes' },
  removeActions: ['s3:DeleteObject'],
  reason: 'no use of s3:DeleteObject in 90 days',
};

/** A cleanup run that removed (or staged) its item `removedAt`: recorded as the cleanup workflow records it. */
async function removedByCleanup(
  removedAt: Date,
  { runId = CLEANUP_RUN, item = ITEM, outcome = 'removed' as 'removed' | 'staged' } = {},
): Promise<void> {
  const { store, db } = slack.stack;
  await store.cleanup.saveRun(
    runId,
    {
      systemId: SYSTEM_ID,
      cloud: 'aws',
      mode: 'enforce',
      collectionRunId: 'collect-before-cleanup',
      window: { from: new Date(removedAt.getTime() - 97 * DAY).toISOString(), to: removedAt.toISOString() },
      plannedAt: new Date(removedAt.getTime() - 7 * DAY).toISOString(),
      items: [item],
      holds: [],
      counts: { identities: 1, items: 1, actions: 1, holds: 0 },
    },
    { trigger: 'schedule' },
  );
  const detail =
    outcome === 'removed'
      ? `policy put again without ${item.removeActions!.join(', ')}`
      : `${item.removeActions!.length} action(s) denied to IAM role ${APP_ROLE}`;
  await store.cleanup.setOutcome(runId, item.itemId, outcome, detail);
  // the removal happened days ago; the store stamps outcomes with the database's clock
  await db.pool.query('UPDATE cleanup_items SET outcome_at = $3 WHERE run_id = $1 AND item_id = $2', [
    runId,
    item.itemId,
    removedAt.toISOString(),
  ]);
}

const role = assumedRoleActor(ACCOUNT_ID, APP_ROLE, 'i-0app');
const someoneElse = assumedRoleActor(ACCOUNT_ID, 'other-role', 'i-0other');
const call = (time: number, actor: TrailEvent['actor'], eventName: string, errorCode?: string): TrailEvent => ({
  time: new Date(time),
  actor,
  eventSource: 's3.amazonaws.com',
  eventName,
  region: REGION,
  category: 'Data',
  ...(errorCode ? { errorCode } : {}),
});

async function collectOnce(name: string) {
  return slack.stack.env.client.workflow.execute(collect, {
    workflowId: `collect-${SYSTEM_ID}-${name}`,
    taskQueue: slack.stack.taskQueue,
    args: [{ systemId: SYSTEM_ID }],
  });
}

async function deniedAudits(): Promise<{ detail: Record<string, unknown> }[]> {
  const result = await slack.stack.db.pool.query<{ detail: Record<string, unknown> }>(
    'SELECT detail FROM audit_log WHERE action = $1 ORDER BY seq',
    [AuditAction.CleanupDeniedCallsSeen],
  );
  return result.rows;
}

const dms = (runId = CLEANUP_RUN) =>
  slack.fake.messagesIn(slack.fake.dmChannel(SlackUser.lead)).filter((m) => JSON.stringify(m.blocks).includes(runId));

describe('the denied-call watch', () => {
  it('tells the owner once, with Restore, of calls denied after the removal; restores nothing', async () => {
    const now = Date.now();
    await removedByCleanup(new Date(now - 3 * DAY));
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);
    const location = { bucket: BUCKET, accountId: ACCOUNT_ID };
    // before the removal: denied for another reason, not Least's business
    await writeTrailFile(s3, location, REGION, [call(now - 5 * DAY, role, 'PutObject', 'AccessDenied')]);
    await writeTrailFile(s3, location, REGION, [
      call(now - 2 * DAY, role, 'PutObject', 'AccessDenied'),
      call(now - 2 * DAY + 60_000, role, 'PutObject', 'AccessDenied'),
      call(now - 2 * DAY + 120_000, role, 'PutObject', 'AccessDenied'),
    ]);
    await writeTrailFile(s3, location, REGION, [
      call(now - DAY, role, 'PutObject', 'AccessDenied'),
      call(now - DAY + 1000, role, 'PutObject', 'AccessDenied'),
      call(now - DAY + 2000, role, 'GetObject', 'AccessDenied'), // not removed by the cleanup
      call(now - DAY + 3000, someoneElse, 'PutObject', 'AccessDenied'), // another identity
      call(now - DAY + 4000, role, 'ListObjects'), // a use, not a denial
    ]);

    const first = await collectOnce('denials-1');
    assert.equal(first.status, 'succeeded', JSON.stringify(first));
    const view = await slack.stack.store.inventory.identityView(SYSTEM_ID, APP_ROLE);
    assert.equal(view?.identity.id, ROLE_ARN, 'the item names the role as the inventory does');

    // the owner's direct message: each day's denied calls, and the item's Restore button
    const told = dms();
    assert.equal(told.length, 1, 'one message to the owner');
    const text = textOf(told[0]!.blocks);
    assert.match(
      text,
      new RegExp(
        `\\*${APP_ROLE}\\* was denied \`s3:PutObject\` 3 times on ${day(now - 2 * DAY)} after Least removed it on ${day(now - 3 * DAY)}`,
      ),
    );
    assert.match(text, new RegExp(`was denied \`s3:PutObject\` 2 times on ${day(now - DAY)}`));
    assert.doesNotMatch(text, new RegExp(day(now - 5 * DAY)), 'a denial before the removal is not told');
    assert.doesNotMatch(text, /GetObject|other-role/);
    const buttons = buttonsIn(told[0]!.blocks);
    assert.deepEqual(
      buttons.map((b) => [b.action_id, parseCleanupButtonValue(b.value!)]),
      [[CleanupAction.Restore, { runId: CLEANUP_RUN, itemId: ITEM.itemId }]],
    );
    const logged = slack.stack.cleanupMessages.filter((m) => m.kind === 'cleanup.denied');
    assert.deepEqual(
      logged.map((m) => [m.to, m.runId]),
      [[LEAD, CLEANUP_RUN]],
    );

    // audited; nothing restored: the item is still removed, no restore was audited, the role is as it was
    const audits = await deniedAudits();
    assert.equal(audits.length, 1);
    assert.equal(audits[0]!.detail.calls, 5);
    assert.deepEqual(audits[0]!.detail.reached, [LEAD]);
    const [item] = await slack.stack.store.cleanup.items(CLEANUP_RUN);
    assert.equal(item?.outcome, 'removed');
    assert.equal(item?.restoredAt, undefined);
    const restores = await slack.stack.db.pool.query('SELECT 1 FROM audit_log WHERE action = $1', [
      AuditAction.CleanupRestored,
    ]);
    assert.equal(restores.rowCount, 0);
    const policies = await slack.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
    assert.deepEqual(policies.PolicyNames, ['baseline-logs']);

    // the next collection reads the same days again: nothing new to tell
    const second = await collectOnce('denials-2');
    assert.equal(second.status, 'succeeded');
    assert.notEqual(second.runId, first.runId);
    assert.equal(dms().length, 1);
    assert.equal(slack.stack.cleanupMessages.filter((m) => m.kind === 'cleanup.denied').length, 1);
    assert.equal((await deniedAudits()).length, 1);
  });

  it("tells the owner of calls a staged item's deny refused, before anything is removed", async () => {
    const now = Date.now();
    await removedByCleanup(new Date(now - 2 * DAY), { runId: STAGED_RUN, item: STAGED_ITEM, outcome: 'staged' });
    await writeTrailFile(s3, { bucket: BUCKET, accountId: ACCOUNT_ID }, REGION, [
      call(now - DAY, role, 'DeleteObject', 'AccessDenied'),
      call(now - DAY + 1000, role, 'DeleteObject', 'AccessDenied'),
    ]);

    const run = await collectOnce('denials-staged');

    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const told = dms(STAGED_RUN);
    assert.equal(told.length, 1, 'one message to the owner');
    const day = new Date(now - DAY).toISOString().slice(0, 10);
    assert.match(textOf(told[0]!.blocks), new RegExp(`was denied \`s3:DeleteObject\` 2 times on ${day}`));
    assert.deepEqual(
      buttonsIn(told[0]!.blocks).map((b) => [b.action_id, parseCleanupButtonValue(b.value!)]),
      [[CleanupAction.Restore, { runId: STAGED_RUN, itemId: STAGED_ITEM.itemId }]],
    );
    const audits = (await deniedAudits()).filter((a) => a.detail.runId === STAGED_RUN);
    assert.deepEqual(
      audits.map((a) => [a.detail.itemId, a.detail.calls, a.detail.restored]),
      [[STAGED_ITEM.itemId, 2, false]],
    );
    const [item] = await slack.stack.store.cleanup.items(STAGED_RUN);
    assert.equal(item?.outcome, 'staged', 'still staged: only a click restores');
  });
});
