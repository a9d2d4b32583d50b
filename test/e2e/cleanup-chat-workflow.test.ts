import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { canonicalJson } from '../../activities/inventory/documents';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { CleanupAction, CleanupInput, parseCleanupButtonValue } from '../../bot/render/cleanup';
import { AuditAction } from '../../domain/audit';
import { KEEP_DAYS } from '../../domain/cleanup/model';
import type { CleanupItemBrief, CleanupRunState } from '../../domain/cleanup/run';
import { ErrorCode } from '../../domain/errors';
import type { ActionCatalogue, GrantPath, Identity, UsageDay } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import { cleanupStatusQuery } from '../../workflows/cleanup-messages';
import { waitUntil } from '../support/checks/assertions';
import {
  accessKeyIdentity,
  actionsIn,
  attachManagedPolicy,
  awsPolicyDocument,
  createManagedPolicy,
  createRole,
  inlinePolicyDocument,
  putInlinePolicy,
  startCleanupRun,
  waitForCleanupPhase,
  waitForCleanupState,
  writeSnapshotPair,
} from '../support/checks/cleanup-run';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import { cardOf, executeActionsIn, invokeCard, invokeMessage, wordsOf } from '../support/checks/teams-cards';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import type { SlackReply } from '../support/generators/slack-requests';
import { personalConversation, type TeamsUser } from '../support/generators/teams-requests';
import { startChatStack, type ChatStack } from '../support/stacks/chat-stack';
import { buttonsIn, SlackUser, textOf } from '../support/stacks/slack-stack';
import { ADMIN, LEAD, LEAD2, REQUESTER, STRANGER } from '../support/stacks/stack';
import { TeamsPeople } from '../support/stacks/teams-stack';

/**
 * The cleanup buttons against a running `cleanup` workflow, end to end, on the chat stack: the real
 * workflow on the time-skipping server (its 7-day notice period runs in real time while people click,
 * and is skipped when the test waits for the run's result), moto through the real AWS SDK, PostgreSQL,
 * the Slack and Teams cleanup notifiers posting to the fakes, signed Slack clicks into the real Bolt
 * app and Teams invokes into the real Agents SDK adapter. Every button value is read from the message
 * a person was sent.
 *
 * The run (report mode, so only what someone removes changes) has seven changes:
 * - Ada owns `billing-api`: its inline `billing-data` narrowed (A), the managed `unused-sqs` detached (B),
 *   and the `old-ci` access key deactivated (C);
 * - Lead owns `reports-job` (its inline `reports-data` narrowed, D; `unused-kinesis` detached, G) and
 *   the inactive `idle-batch` (guarded, E);
 * - `archive-job`'s owner is nobody chat knows, so its `unused-sns` detach (F) is in the channel summary,
 *   where the system's owner (Lead Two) may answer for it.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const day = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString().slice(0, 10);
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();

const BILLING = 'billing-api';
const REPORTS = 'reports-job';
const IDLE = 'idle-batch';
const ARCHIVE = 'archive-job';
const KEY_USER = 'old-ci';
const GHOST = 'ghost@example.com';
const CLEANUP_CHANNEL = 'CCLEANUP01';
const KEEP_REASON = 'quarter-end SQS replay, see OPS-311';

const BILLING_DOC = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::billing-data/*',
    },
  ],
};
const REPORTS_DOC = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/reports',
    },
  ],
};
const IDLE_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
};
const ARCHIVE_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::archive/*' }],
};
const MANAGED = {
  'unused-sqs': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] },
  'unused-kinesis': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'kinesis:PutRecord', Resource: '*' }],
  },
  'unused-sns': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] },
} as const;

let c: ChatStack;
let stopWorker: () => Promise<void>;
let catalogue: ActionCatalogue;
let keyId = '';
let runId = '';
let planned: CleanupRunState;
const arn = (type: 'role' | 'user' | 'policy', name: string): string => `arn:aws:iam::${ACCOUNT_ID}:${type}/${name}`;

before(async () => {
  c = await startChatStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { users: [LEAD2] };
      system.cleanup = {
        mode: 'report',
        notice: '7d',
        owners: {
          mapping: { [BILLING]: REQUESTER, 'AKIA*': REQUESTER, [REPORTS]: LEAD, [IDLE]: LEAD, [ARCHIVE]: GHOST },
          channel: { platform: 'slack', channel: CLEANUP_CHANNEL },
        },
      };
    },
  });
  // Teams reaches people in the chats they installed Least in.
  await c.teams.install(TeamsPeople.ada, TeamsPeople.lead, TeamsPeople.lead2, TeamsPeople.stranger);
  catalogue = await loadAwsCatalogue();
  await createCloudObjects();
  await writeSnapshotPair(c.stack.store, inventory(), {
    runId: 'cleanup-chat-old',
    window: { from: iso(120), to: iso(30) },
  });
  ({ stop: stopWorker } = await c.stack.startWorker());
  runId = await startCleanupRun(c.stack, { systemId: SYSTEM_ID, requestedBy: ADMIN });
  planned = await waitForCleanupPhase(c.stack, runId, 'noticing', 60_000);
});

after(async () => {
  await stopWorker?.();
  await c?.close();
});

async function createCloudObjects(): Promise<void> {
  const { iam } = c.stack.aws;
  for (const role of [BILLING, REPORTS, IDLE, ARCHIVE]) await createRole(iam, role);
  await putInlinePolicy(iam, BILLING, 'billing-data', BILLING_DOC);
  await putInlinePolicy(iam, REPORTS, 'reports-data', REPORTS_DOC);
  await putInlinePolicy(iam, IDLE, 'idle-logs', IDLE_DOC);
  await putInlinePolicy(iam, ARCHIVE, 'archive-read', ARCHIVE_DOC);
  for (const [name, doc] of Object.entries(MANAGED)) await createManagedPolicy(iam, name, doc);
  await attachManagedPolicy(iam, BILLING, arn('policy', 'unused-sqs'));
  await attachManagedPolicy(iam, REPORTS, arn('policy', 'unused-kinesis'));
  await attachManagedPolicy(iam, ARCHIVE, arn('policy', 'unused-sns'));
  await iam.send(new CreateUserCommand({ UserName: KEY_USER }));
  keyId = (await iam.send(new CreateAccessKeyCommand({ UserName: KEY_USER }))).AccessKey!.AccessKeyId!;
}

const document = (name: string, body: unknown) =>
  awsPolicyDocument(catalogue, name, body, { id: `sha256:${name}-${canonicalJson(body).length}` });

/** The inventory the planner reads: who holds what, and what CloudTrail saw them use in 90 days. */
function inventory() {
  const identity = (name: string, kind: Identity['kind'], extra: Partial<Identity> = {}): Identity => ({
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, name, kind, 'workload'),
    createdAt: iso(400),
    ...extra,
  });
  const billing = identity(BILLING, 'aws-iam-role', { lastActivityAt: iso(2) });
  const reports = identity(REPORTS, 'aws-iam-role', { lastActivityAt: iso(4) });
  const archive = identity(ARCHIVE, 'aws-iam-role', { lastActivityAt: iso(6) });
  const idle = identity(IDLE, 'aws-iam-role');
  const user = identity(KEY_USER, 'aws-iam-user', { nature: 'human' });
  const key = accessKeyIdentity(user, keyId, iso(400));
  const docs = {
    billing: document(`${BILLING}/billing-data`, BILLING_DOC),
    reports: document(`${REPORTS}/reports-data`, REPORTS_DOC),
    idle: document(`${IDLE}/idle-logs`, IDLE_DOC),
    archive: document(`${ARCHIVE}/archive-read`, ARCHIVE_DOC),
    sqs: document(arn('policy', 'unused-sqs'), MANAGED['unused-sqs']),
    kinesis: document(arn('policy', 'unused-kinesis'), MANAGED['unused-kinesis']),
    sns: document(arn('policy', 'unused-sns'), MANAGED['unused-sns']),
  };
  const path = (who: Identity, kind: GrantPath['kind'], documentId: string, via: string): GrantPath =>
    grantPath(who, documentId, { kind, via, scope: ACCOUNT_ID });
  const used = (who: Identity, action: string, daysAgo: number): UsageDay => ({
    ...usedOn(who, action, day(daysAgo)),
    count: 3,
  });
  return {
    runId: 'cleanup-chat-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities: [billing, reports, archive, idle, user, key],
    documents: Object.values(docs),
    paths: [
      path(billing, 'inline-policy', docs.billing.document.id, 'billing-data'),
      path(billing, 'managed-policy', docs.sqs.document.id, arn('policy', 'unused-sqs')),
      path(reports, 'inline-policy', docs.reports.document.id, 'reports-data'),
      path(reports, 'managed-policy', docs.kinesis.document.id, arn('policy', 'unused-kinesis')),
      path(idle, 'inline-policy', docs.idle.document.id, 'idle-logs'),
      path(archive, 'inline-policy', docs.archive.document.id, 'archive-read'),
      path(archive, 'managed-policy', docs.sns.document.id, arn('policy', 'unused-sns')),
    ],
    usage: [used(billing, 's3:GetObject', 5), used(reports, 'dynamodb:GetItem', 8), used(archive, 's3:GetObject', 12)],
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
}

// ---- The run, as the workflow holds it ----

const handle = () => c.stack.env.client.workflow.getHandle(runId);

const state = (): Promise<CleanupRunState> => handle().query(cleanupStatusQuery);

/** The run's state once an item has an outcome (a Remove now is applied after the click is answered). */
function settled(itemId: string): Promise<CleanupRunState> {
  return waitForCleanupState(
    c.stack,
    runId,
    (run) => run.items.some((i) => i.itemId === itemId && i.outcome !== undefined),
    `an outcome for ${itemId}`,
  );
}

/** The planned change of this kind on an object whose name contains `name`. */
function item(change: CleanupItemBrief['change'], name: string): CleanupItemBrief {
  const found = planned.items.find((i) => i.change === change && i.object.name.includes(name));
  assert.ok(found, `no ${change} of ${name} in ${JSON.stringify(planned.items.map((i) => i.itemId))}`);
  return found;
}
const A = () => item('narrow-policy', 'billing-data');
const B = () => item('detach-policy', 'unused-sqs');
const C = () => item('deactivate-key', keyId);
const D = () => item('narrow-policy', 'reports-data');
const E = () => item('guard-principal', IDLE);
const F = () => item('detach-policy', 'unused-sns');
const G = () => item('detach-policy', 'unused-kinesis');

/** The run ends once its notice period passed: waiting for its result skips the time. */
let finished: Promise<CleanupRunState> | undefined;
const finishRun = (): Promise<CleanupRunState> => (finished ??= handle().result() as Promise<CleanupRunState>);

// ---- What people were sent, and their clicks ----

interface SlackButton {
  value: string;
  channel: string;
  ts: string;
}

/** The button for this item in a DM (a Slack user id) or a channel, as the message shows it. */
function slackButton(where: string, actionId: string, itemId: string): SlackButton {
  const messages = c.slack.fake.messagesIn(where);
  for (const message of messages)
    for (const button of buttonsIn(message.blocks))
      if (button.action_id === actionId && button.value) {
        const target = parseCleanupButtonValue(button.value);
        if (target?.runId === runId && target.itemId === itemId)
          return { value: button.value, channel: message.channel, ts: message.ts };
      }
  throw new Error(
    `no ${actionId} button for ${itemId} in ${where}; messages: ${messages.map((m) => m.text).join(' | ')}`,
  );
}

/** A signed click on a button in the message it was posted in. */
function slackClick(userId: string, actionId: string, button: SlackButton, triggerId?: string): Promise<SlackReply> {
  return c.slack.sender.blockAction(
    userId,
    { action_id: actionId, value: button.value },
    {
      container: { type: 'message', channel_id: button.channel, message_ts: button.ts },
      message: { ts: button.ts },
      channelId: button.channel,
      ...(triggerId ? { triggerId } : {}),
    },
  );
}

/** What the clicker was told privately (respond() through the click's response_url). */
async function answered(reply: SlackReply, pattern: RegExp): Promise<string> {
  assert.equal(reply.status, 200);
  const call = await c.slack.fake
    .waitFor('response_url', (call) => call.responseId === reply.responseId && pattern.test(textOf(call.args)), 20_000)
    .catch((error: Error) => {
      const seen = c.slack.fake
        .callsTo('response_url')
        .filter((call) => call.responseId === reply.responseId)
        .map((call) => textOf(call.args));
      throw new Error(`${error.message}; wanted ${String(pattern)}; got ${JSON.stringify(seen).slice(0, 600)}`);
    });
  return textOf(call.args);
}

/** The Action.Execute for this item in a person's Teams chat with Least, and the card's message id. */
function teamsButton(user: TeamsUser, verb: string, itemId: string) {
  const messages = c.teams.connector.messagesIn(personalConversation(user).id);
  for (const message of messages)
    for (const action of executeActionsIn(cardOf(message))) {
      const value = typeof action.data.value === 'string' ? action.data.value : '';
      const target = parseCleanupButtonValue(value);
      if (action.verb === verb && target?.runId === runId && target.itemId === itemId)
        return { data: action.data, messageId: message.id };
    }
  throw new Error(`no ${verb} for ${itemId} in ${user.name}'s Teams chat (${messages.length} messages)`);
}

function teamsClick(user: TeamsUser, verb: string, itemId: string, as: TeamsUser = user) {
  const button = teamsButton(user, verb, itemId);
  return c.teams.sender.execute(as, personalConversation(as), { verb, data: button.data }, button.messageId);
}

// ---- What was recorded ----

async function decisionRows(itemId: string): Promise<{ kind: string; decided_by: string }[]> {
  const result = await c.stack.db.pool.query<{ kind: string; decided_by: string }>(
    'SELECT kind, decided_by FROM cleanup_decisions WHERE run_id = $1 AND item_id = $2',
    [runId, itemId],
  );
  return result.rows;
}

async function auditRows(action: string, about: (detail: Record<string, unknown>) => boolean, actor?: string) {
  const rows = await c.stack.store.auditFor(undefined, 1000);
  return rows.filter((row) => row.action === action && (!actor || row.actor === actor) && about(row.detail));
}

const inlineDocument = (role: string, name: string): Promise<unknown> =>
  inlinePolicyDocument(c.stack.aws.iam, role, name);

async function inlineActions(role: string, name: string): Promise<string[]> {
  return actionsIn(await inlineDocument(role, name));
}

async function attached(role: string): Promise<string[]> {
  const listed = await c.stack.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (listed.AttachedPolicies ?? []).map((p) => p.PolicyName!).sort();
}

const daysBetween = (from: string, to: string): number => Math.round((Date.parse(to) - Date.parse(from)) / DAY);

describe('cleanup decisions in chat against the running workflow', () => {
  it("an owner's Keep (reason form) and Snooze 7d by signed Slack clicks are recorded on the run and confirmed", async () => {
    assert.deepEqual(A().owners, [REQUESTER]);
    assert.deepEqual(C().owners, [REQUESTER], 'the key is mapped to Ada');
    assert.deepEqual(F().owners, [GHOST]);

    // Keep opens the form; a blank reason is refused in the form and records nothing.
    const keep = await slackClick(
      SlackUser.ada,
      CleanupAction.Keep,
      slackButton(SlackUser.ada, CleanupAction.Keep, B().itemId),
      'trigger-keep-sqs',
    );
    assert.equal(keep.status, 200);
    const form = await c.slack.fake.waitFor('views.open', (call) => call.args.trigger_id === 'trigger-keep-sqs');
    const view = form.args.view as { callback_id: string; private_metadata: string };
    assert.equal(view.callback_id, CleanupAction.KeepForm);
    const submit = (reason: string) =>
      c.slack.sender.viewSubmission(SlackUser.ada, {
        id: 'VKEEPSQS01',
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: {
          values: {
            [CleanupInput.KeepReasonBlock]: { [CleanupInput.KeepReason]: { type: 'plain_text_input', value: reason } },
          },
        },
      });
    const blank = await submit('   ');
    const errors = blank.json as { response_action?: string; errors?: Record<string, string> };
    assert.equal(errors.response_action, 'errors');
    assert.match(errors.errors?.[CleanupInput.KeepReasonBlock] ?? '', /Say why it should be kept/);
    assert.equal((await decisionRows(B().itemId)).length, 0, 'a blank reason records nothing');

    const kept = await submit(KEEP_REASON);
    assert.equal(kept.status, 200);
    assert.equal(kept.json, undefined, `the form closes: ${kept.body}`);
    await waitUntil(
      () =>
        c.slack.fake
          .messagesIn(SlackUser.ada)
          .some((m) => /Kept until/.test(textOf(m.blocks)) && textOf(m.blocks).includes(KEEP_REASON)),
      "Ada's DM confirms the Keep with its reason",
      20_000,
    );

    // Snooze 7d, from the same DM.
    const snooze = await slackClick(
      SlackUser.ada,
      CleanupAction.Snooze7,
      slackButton(SlackUser.ada, CleanupAction.Snooze7, C().itemId),
    );
    const said = await answered(snooze, /Snoozed until/);
    assert.ok(said.includes(keyId), said);

    // The run holds both answers, and so does PostgreSQL.
    const now = await state();
    assert.equal(now.phase, 'noticing');
    const keptItem = now.items.find((i) => i.itemId === B().itemId)!;
    assert.equal(keptItem.decision?.kind, 'keep');
    assert.equal(keptItem.decision?.by, REQUESTER);
    assert.equal(keptItem.decision?.reason, KEEP_REASON);
    assert.equal(daysBetween(keptItem.decision!.at, keptItem.decision!.until!), KEEP_DAYS);
    const snoozed = now.items.find((i) => i.itemId === C().itemId)!;
    assert.equal(snoozed.decision?.kind, 'snooze');
    assert.equal(daysBetween(snoozed.decision!.at, snoozed.decision!.until!), 7);
    const stored = await c.stack.store.cleanup.runDecisions(runId);
    assert.equal(stored.get(B().itemId)?.reason, KEEP_REASON);
    assert.equal(stored.get(C().itemId)?.kind, 'snooze');
    assert.equal((await auditRows(AuditAction.CleanupKept, (d) => d.itemId === B().itemId, REQUESTER)).length, 1);
    // Nothing changed in the cloud.
    assert.deepEqual(await attached(BILLING), ['unused-sqs']);
    const keys = await c.stack.aws.iam.send(new ListAccessKeysCommand({ UserName: KEY_USER }));
    assert.equal(keys.AccessKeyMetadata![0]!.Status, 'Active');
  });

  it("an owner's Remove now by a signed Slack click is applied in moto at once, within the notice period", async () => {
    assert.deepEqual(await inlineActions(BILLING, 'billing-data'), ['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    const remove = await slackClick(
      SlackUser.ada,
      CleanupAction.RemoveNow,
      slackButton(SlackUser.ada, CleanupAction.RemoveNow, A().itemId),
    );
    assert.match(await answered(remove, /Removing it now/), /billing-data/);
    const now = await settled(A().itemId);
    assert.equal(now.phase, 'noticing', 'the notice period has not ended');
    assert.equal(now.items.find((i) => i.itemId === A().itemId)?.outcome, 'removed');
    assert.deepEqual(await inlineActions(BILLING, 'billing-data'), ['s3:GetObject'], 'only the used action is left');
    assert.deepEqual(await inlineActions(REPORTS, 'reports-data'), [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    assert.equal(
      (await auditRows(AuditAction.CleanupRemoveRequested, (d) => d.itemId === A().itemId, REQUESTER)).length,
      1,
    );
  });

  it("an owner's Remove now by a Teams invoke (Action.Execute) is applied in moto at once", async () => {
    const reply = await teamsClick(TeamsPeople.lead, CleanupAction.RemoveNow, D().itemId);
    assert.equal(reply.status, 200);
    assert.match(invokeMessage(reply.body), /Removing it now.*reports-data/s);
    const now = await settled(D().itemId);
    assert.equal(now.phase, 'noticing');
    const removed = now.items.find((i) => i.itemId === D().itemId)!;
    assert.equal(removed.outcome, 'removed');
    assert.deepEqual(
      await inlineActions(REPORTS, 'reports-data'),
      ['dynamodb:GetItem'],
      'only the used action is left',
    );
    assert.equal(removed.decision?.by, LEAD);
    assert.deepEqual(await attached(REPORTS), ['unused-kinesis'], "the owner's other change waits");
  });

  it("a stranger's clicks are refused with the validator's message and audited; the system's owner may answer", async () => {
    // F's owner is unreachable in chat: it is in the channel summary, with its buttons.
    const remove = slackButton(CLEANUP_CHANNEL, CleanupAction.RemoveNow, F().itemId);
    const refused = await answered(
      await slackClick(SlackUser.stranger, CleanupAction.RemoveNow, remove),
      /Only this identity's owners and the system's owners may decide on its cleanup\./,
    );
    assert.doesNotMatch(refused, /Removing/);
    const keep = await slackClick(
      SlackUser.stranger,
      CleanupAction.Keep,
      slackButton(CLEANUP_CHANNEL, CleanupAction.Keep, F().itemId),
      'trigger-stranger-keep',
    );
    await answered(keep, /Only this identity's owners/);
    assert.equal(
      c.slack.fake.callsTo('views.open').filter((call) => call.args.trigger_id === 'trigger-stranger-keep').length,
      0,
      'no Keep form for someone who may not decide',
    );
    // A Teams invoke carrying Lead's item, sent by the stranger.
    const teams = await teamsClick(TeamsPeople.lead, CleanupAction.Snooze30, E().itemId, TeamsPeople.stranger);
    assert.match(invokeMessage(teams.body), /Only this identity's owners and the system's owners may decide/);

    const audited = await auditRows(
      AuditAction.CleanupDecisionRefused,
      (d) => d.run === runId && d.code === ErrorCode.CleanupNotAuthorized,
      STRANGER,
    );
    assert.deepEqual(audited.map((row) => `${String(row.detail.kind)}:${String(row.detail.item)}`).sort(), [
      `keep:${F().itemId}`,
      `remove:${F().itemId}`,
      `snooze:${E().itemId}`,
    ]);
    assert.equal((await decisionRows(F().itemId)).length, 0);
    assert.equal((await decisionRows(E().itemId)).length, 0);
    const now = await state();
    assert.equal(now.items.find((i) => i.itemId === F().itemId)?.decision, undefined);
    assert.deepEqual(await attached(ARCHIVE), ['unused-sns'], 'nothing changed in the cloud');
    const idle = await c.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: IDLE }));
    assert.deepEqual(idle.PolicyNames, ['idle-logs']);

    // The same button in the channel works for the system's owner.
    const owner = await slackClick(
      SlackUser.lead2,
      CleanupAction.Snooze30,
      slackButton(CLEANUP_CHANNEL, CleanupAction.Snooze30, F().itemId),
    );
    await answered(owner, /Snoozed until/);
    assert.deepEqual(
      (await decisionRows(F().itemId)).map((row) => `${row.kind}:${row.decided_by}`),
      [`snooze:${LEAD2}`],
    );
  });

  it('the same click delivered twice (same trigger id / activity id) is recorded once', async () => {
    // Slack: one click, delivered twice at once (the same payload and trigger id).
    const button = slackButton(SlackUser.lead, CleanupAction.Snooze30, E().itemId);
    const twice = await Promise.all([
      slackClick(SlackUser.lead, CleanupAction.Snooze30, button, 'trigger-snooze-idle'),
      slackClick(SlackUser.lead, CleanupAction.Snooze30, button, 'trigger-snooze-idle'),
    ]);
    for (const reply of twice) await answered(reply, /Snoozed until/);
    assert.equal((await decisionRows(E().itemId)).length, 1);
    assert.equal((await auditRows(AuditAction.CleanupSnoozed, (d) => d.itemId === E().itemId, LEAD)).length, 1);

    // Teams: one invoke, delivered again with the same activity id.
    const first = await teamsClick(TeamsPeople.lead, CleanupAction.Snooze7, G().itemId);
    assert.match(invokeMessage(first.body), /Snoozed until/);
    const again = await c.teams.sender.send(first.activity);
    assert.match(invokeMessage(again.body), /Snoozed until/);
    assert.equal((await decisionRows(G().itemId)).length, 1);
    assert.equal((await auditRows(AuditAction.CleanupSnoozed, (d) => d.itemId === G().itemId, LEAD)).length, 1);

    // A second click (a new delivery) is a second answer: the count is by delivery, not by item.
    const second = await teamsClick(TeamsPeople.lead, CleanupAction.Snooze7, G().itemId);
    assert.match(invokeMessage(second.body), /Snoozed until/);
    assert.equal((await decisionRows(G().itemId)).length, 2);
  });

  it('a click after the run finished is refused with "its report has a Restore button"', async () => {
    const final = await finishRun();
    assert.equal(final.phase, 'done');
    const outcome = (target: CleanupItemBrief) => final.items.find((i) => i.itemId === target.itemId)?.outcome;
    assert.deepEqual([A(), B(), C(), D(), E(), F(), G()].map(outcome), [
      'removed',
      'kept',
      'snoozed',
      'removed',
      'snoozed',
      'snoozed',
      'snoozed',
    ]);

    const late = await slackClick(
      SlackUser.ada,
      CleanupAction.Snooze30,
      slackButton(SlackUser.ada, CleanupAction.Snooze30, C().itemId),
    );
    await answered(late, /This cleanup run has finished; its report has a Restore button for anything it removed\./);
    const teams = await teamsClick(TeamsPeople.lead, CleanupAction.RemoveNow, G().itemId);
    assert.match(invokeMessage(teams.body), /This cleanup run has finished; its report has a Restore button/);

    const closed = await auditRows(
      AuditAction.CleanupDecisionRefused,
      (d) => d.run === runId && d.code === ErrorCode.CleanupClosed,
    );
    assert.deepEqual(closed.map((row) => row.actor).sort(), [REQUESTER, LEAD].sort());
    assert.equal((await decisionRows(C().itemId)).length, 1, 'the late click recorded nothing');
    assert.deepEqual(await attached(REPORTS), ['unused-kinesis'], 'the late Remove now changed nothing');
  });

  it("an owner's Show diff shows the before and after; Restore from the report puts the policy back in moto", async () => {
    await finishRun();
    // Show diff, from Ada's DM: the unused actions go, the used one stays.
    const diff = await answered(
      await slackClick(
        SlackUser.ada,
        CleanupAction.ShowDiff,
        slackButton(SlackUser.ada, CleanupAction.ShowDiff, A().itemId),
      ),
      /```/,
    );
    assert.match(diff, /Removed: `s3:DeleteObject`, `s3:PutObject`/);
    // Before: the three actions; after: only the used one.
    const before = diff.split('\n').filter((line) => line.startsWith('-'));
    const afterwards = diff.split('\n').filter((line) => line.startsWith('+'));
    assert.deepEqual(
      before.map((line) => /s3:\w+/.exec(line)?.[0]),
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    );
    assert.deepEqual(
      afterwards.map((line) => /s3:\w+/.exec(line)?.[0]),
      ['s3:GetObject'],
    );
    assert.match(diff, /"Resource": "arn:aws:s3:::billing-data\/\*"/, 'the unchanged lines around it');
    // And in Teams, Lead's diff card.
    const card = invokeCard((await teamsClick(TeamsPeople.lead, CleanupAction.ShowDiff, D().itemId)).body);
    assert.match(wordsOf(card), /dynamodb:PutItem/);
    assert.match(wordsOf(card), /dynamodb:GetItem/);

    // The report in Ada's DM has a Restore button for the removed change.
    const restore = slackButton(SlackUser.ada, CleanupAction.Restore, A().itemId);
    const report = c.slack.fake.messagesIn(SlackUser.ada).find((m) => m.ts === restore.ts)!;
    assert.match(textOf(report.blocks), /Cleanup report/);
    const restored = await answered(await slackClick(SlackUser.ada, CleanupAction.Restore, restore), /↩️ Restored ·/);
    assert.match(restored, /billing-data/);
    assert.deepEqual(await inlineDocument(BILLING, 'billing-data'), BILLING_DOC);
    const [stored] = await c.stack.store.cleanup.items(runId, { itemIds: [A().itemId] });
    assert.equal(stored?.outcome, 'restored');
    assert.equal(
      (await auditRows(AuditAction.CleanupRestored, (d) => JSON.stringify(d).includes(A().itemId), REQUESTER)).length,
      1,
    );
    for (const where of [SlackUser.ada, CLEANUP_CHANNEL])
      await waitUntil(
        () => c.slack.fake.messagesIn(where).some((m) => /restored 1 change/.test(m.text)),
        `${where} is told what came back`,
        20_000,
      );
    // Only what was restored came back: Lead's removal stands.
    assert.deepEqual(await inlineActions(REPORTS, 'reports-data'), ['dynamodb:GetItem']);
  });
});
