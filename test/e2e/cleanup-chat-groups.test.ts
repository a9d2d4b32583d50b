import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { canonicalJson } from '../../activities/inventory/documents';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { CleanupClient } from '../../bot/cleanup-client';
import { CleanupAction, CleanupInput, parseCleanupButtonValue } from '../../bot/render/cleanup';
import { AuditAction } from '../../domain/audit';
import type { CleanupItemBrief, CleanupRunState } from '../../domain/cleanup/run';
import { ErrorCode } from '../../domain/errors';
import type { ActionCatalogue, GrantPath, Identity } from '../../domain/inventory/model';
import type { PolicyInput } from '../../domain/policy/schema';
import { cleanupStatusQuery } from '../../workflows/cleanup-messages';
import {
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
import { cardOf, executeActionsIn, invokeMessage } from '../support/checks/teams-cards';
import { ACCOUNT_ID, SYSTEM_ID } from '../support/fakes/aws-fixtures';
import type { SlackReply } from '../support/generators/slack-requests';
import { personalConversation, teamsUser, type TeamsUser } from '../support/generators/teams-requests';
import { startChatStack, type ChatStack } from '../support/stacks/chat-stack';
import { buttonsIn, GROUP_APPROVER, SLACK_GROUP, SlackUser, textOf } from '../support/stacks/slack-stack';
import { ADMIN, LEAD, STRANGER } from '../support/stacks/stack';
import { TeamsPeople } from '../support/stacks/teams-stack';

/**
 * Slack user groups as cleanup deciders, end to end on the chat stack: the real `cleanup` workflow on
 * the time-skipping server, moto through the real AWS SDK, PostgreSQL, the Slack fake answering
 * `usergroups.users.list`, signed Slack clicks into the real Bolt app and Teams invokes into the real
 * Agents SDK adapter.
 *
 * The system's owners are a Slack user group only (Grace is its one member), so the workflow's run
 * state names the group, not its members: the bot reads the clicker's groups at the click. `batch-orphan`
 * has no owner chat knows, so its two changes are in the channel summary, where the group's members
 * answer; `etl-lead` is Lead's, in his Teams chat.
 *
 * The tests run in order: the first needs the group not yet read (the directory caches a read group for
 * five minutes, and a failed read is not cached).
 */

const DAY = 86_400_000;
const NOW = Date.now();
const day = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString().slice(0, 10);
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();

const ORPHAN = 'batch-orphan';
const LEADS_ROLE = 'etl-lead';
const CLEANUP_CHANNEL = 'CCLEANUPGRP';
const GROUP_KEY = `slack:${SLACK_GROUP}`;
const KEEP_REASON = 'month-end export, see OPS-512';
const NOT_AUTHORIZED = "Only this identity's owners and the system's owners may decide on its cleanup.";

const ORPHAN_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::orphan/*' }],
};
const LEADS_DOC = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteQueue'], Resource: '*' }],
};
const UNUSED_SNS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] };

/** Grace in Teams: the same e-mail as her Slack account, so the same person to Least. */
const graceInTeams: TeamsUser = teamsUser('Grace', { email: GROUP_APPROVER, userPrincipalName: GROUP_APPROVER });

let c: ChatStack;
let stopWorker: () => Promise<void>;
let catalogue: ActionCatalogue;
let runId = '';
let planned: CleanupRunState;
const policyArn = (name: string): string => `arn:aws:iam::${ACCOUNT_ID}:policy/${name}`;

before(async () => {
  c = await startChatStack('time-skipping', {
    policy: (input: PolicyInput) => {
      const system = input.authorizationSystems[0] as Record<string, unknown>;
      system.owners = { slackUserGroups: [SLACK_GROUP] };
      system.cleanup = {
        mode: 'report',
        notice: '7d',
        owners: { mapping: { [LEADS_ROLE]: LEAD }, channel: { platform: 'slack', channel: CLEANUP_CHANNEL } },
      };
    },
  });
  c.teams.connector.addMember({
    id: graceInTeams.id,
    name: graceInTeams.name,
    aadObjectId: graceInTeams.aadObjectId,
    email: GROUP_APPROVER,
    userPrincipalName: GROUP_APPROVER,
  });
  await c.teams.install(TeamsPeople.lead, TeamsPeople.stranger, graceInTeams);
  catalogue = await loadAwsCatalogue();
  const { iam } = c.stack.aws;
  for (const role of [ORPHAN, LEADS_ROLE]) await createRole(iam, role);
  await putInlinePolicy(iam, ORPHAN, 'orphan-data', ORPHAN_DOC);
  await putInlinePolicy(iam, LEADS_ROLE, 'etl-queue', LEADS_DOC);
  await createManagedPolicy(iam, 'unused-sns', UNUSED_SNS);
  await attachManagedPolicy(iam, ORPHAN, policyArn('unused-sns'));
  await writeSnapshotPair(c.stack.store, inventory(), { runId: 'groups-old', window: { from: iso(120), to: iso(30) } });
  ({ stop: stopWorker } = await c.stack.startWorker());
  runId = await startCleanupRun(c.stack, { systemId: SYSTEM_ID, requestedBy: ADMIN });
  planned = await waitForCleanupPhase(c.stack, runId, 'noticing', 60_000);
});

after(async () => {
  await stopWorker?.();
  await c?.close();
});

/** Who holds what, and what CloudTrail saw them use in 90 days. */
function inventory() {
  const identity = (name: string): Identity => ({
    ...awsIdentity(SYSTEM_ID, ACCOUNT_ID, name, 'aws-iam-role', 'workload'),
    createdAt: iso(400),
    lastActivityAt: iso(3),
  });
  const orphan = identity(ORPHAN);
  const leads = identity(LEADS_ROLE);
  const document = (name: string, body: unknown) =>
    awsPolicyDocument(catalogue, name, body, { id: `sha256:${name}-${canonicalJson(body).length}` });
  const docs = {
    orphan: document(`${ORPHAN}/orphan-data`, ORPHAN_DOC),
    leads: document(`${LEADS_ROLE}/etl-queue`, LEADS_DOC),
    sns: document(policyArn('unused-sns'), UNUSED_SNS),
  };
  const path = (who: Identity, kind: GrantPath['kind'], documentId: string, via: string): GrantPath =>
    grantPath(who, documentId, { kind, via, scope: ACCOUNT_ID });
  return {
    runId: 'groups-now',
    systemId: SYSTEM_ID,
    window: { from: iso(90), to: iso(0) },
    identities: [orphan, leads],
    documents: Object.values(docs),
    paths: [
      path(orphan, 'inline-policy', docs.orphan.document.id, 'orphan-data'),
      path(orphan, 'managed-policy', docs.sns.document.id, policyArn('unused-sns')),
      path(leads, 'inline-policy', docs.leads.document.id, 'etl-queue'),
    ],
    usage: [
      { ...usedOn(orphan, 's3:GetObject', day(5)), count: 2 },
      { ...usedOn(leads, 'sqs:ReceiveMessage', day(6)), count: 9 },
    ],
    coverage: [cloudTrailCoverage(SYSTEM_ID, iso(100), iso(0))],
  };
}

function item(change: CleanupItemBrief['change'], name: string): CleanupItemBrief {
  const found = planned.items.find((i) => i.change === change && i.object.name.includes(name));
  assert.ok(found, `no ${change} of ${name} in ${JSON.stringify(planned.items.map((i) => i.itemId))}`);
  return found;
}
const NARROW = () => item('narrow-policy', 'orphan-data');
const DETACH = () => item('detach-policy', 'unused-sns');
const LEADS = () => item('narrow-policy', 'etl-queue');

const state = (): Promise<CleanupRunState> => c.stack.env.client.workflow.getHandle(runId).query(cleanupStatusQuery);

interface SlackButton {
  value: string;
  channel: string;
  ts: string;
}

/** The button for this item in the channel summary, as people see it there. */
function channelButton(actionId: string, itemId: string): SlackButton {
  const messages = c.slack.fake.messagesIn(CLEANUP_CHANNEL);
  for (const message of messages)
    for (const button of buttonsIn(message.blocks))
      if (button.action_id === actionId && button.value) {
        const target = parseCleanupButtonValue(button.value);
        if (target?.runId === runId && target.itemId === itemId)
          return { value: button.value, channel: message.channel, ts: message.ts };
      }
  throw new Error(`no ${actionId} for ${itemId} in the channel; messages: ${messages.map((m) => m.text).join(' | ')}`);
}

function slackClick(userId: string, actionId: string, itemId: string, triggerId?: string): Promise<SlackReply> {
  const button = channelButton(actionId, itemId);
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

const formsOpenedFor = (triggerId: string): number =>
  c.slack.fake.callsTo('views.open').filter((call) => call.args.trigger_id === triggerId).length;

/** Lead's Teams card for an item, sent as `as` from their own chat with Least. */
function teamsClick(verb: string, itemId: string, as: TeamsUser) {
  for (const message of c.teams.connector.messagesIn(personalConversation(TeamsPeople.lead).id))
    for (const action of executeActionsIn(cardOf(message))) {
      const target = parseCleanupButtonValue(typeof action.data.value === 'string' ? action.data.value : '');
      if (action.verb === verb && target?.runId === runId && target.itemId === itemId)
        return c.teams.sender.execute(as, personalConversation(as), { verb, data: action.data }, message.id);
    }
  throw new Error(`no ${verb} for ${itemId} in Lead's Teams chat`);
}

async function decisionRows(itemId: string): Promise<string[]> {
  const result = await c.stack.db.pool.query<{ kind: string; decided_by: string }>(
    'SELECT kind, decided_by FROM cleanup_decisions WHERE run_id = $1 AND item_id = $2',
    [runId, itemId],
  );
  return result.rows.map((row) => `${row.kind}:${row.decided_by}`);
}

async function auditRows(action: string, actor: string, about: (detail: Record<string, unknown>) => boolean) {
  const rows = await c.stack.store.auditFor(undefined, 1000);
  return rows.filter((row) => row.action === action && row.actor === actor && about(row.detail));
}

async function attached(role: string): Promise<string[]> {
  const listed = await c.stack.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
  return (listed.AttachedPolicies ?? []).map((p) => p.PolicyName!).sort();
}

describe("cleanup decisions by members of the system owners' Slack user group", () => {
  it('the run names the group, not its members; the changes nobody owns are in the channel summary', () => {
    assert.deepEqual(planned.deciderGroups, [GROUP_KEY]);
    assert.deepEqual(planned.deciders, [ADMIN], "the group's members are not in the run");
    assert.deepEqual(NARROW().owners, [], 'a group owner is no e-mail to DM: the channel has it');
    assert.ok(channelButton(CleanupAction.Keep, NARROW().itemId));
    assert.deepEqual(LEADS().owners, [LEAD]);
  });

  it('a group Slack cannot answer for fails closed: its member is refused, told why, and it is audited', async () => {
    c.slack.fake.failNext('usergroups.users.list', 'missing_scope');
    const keep = await slackClick(SlackUser.groupLead, CleanupAction.Keep, NARROW().itemId, 'trigger-grace-unread');
    const told = await answered(keep, /could not read the Slack user groups/);
    assert.ok(told.includes(NOT_AUTHORIZED), told);
    assert.match(told, /try again in a few minutes/);
    const read = c.slack.fake.callsTo('usergroups.users.list');
    assert.deepEqual(
      read.map((call) => `${String(call.args.usergroup)}:${call.error ?? 'ok'}`),
      [`${SLACK_GROUP}:missing_scope`],
      'the group was asked for, and Slack refused',
    );
    assert.equal(formsOpenedFor('trigger-grace-unread'), 0, 'no Keep form for a click that may not decide');
    const audited = await auditRows(
      AuditAction.CleanupDecisionRefused,
      GROUP_APPROVER,
      (d) => d.run === runId && d.item === NARROW().itemId,
    );
    assert.deepEqual(
      audited.map((row) => [row.detail.code, row.detail.groupsUnchecked]),
      [[ErrorCode.CleanupNotAuthorized, 'unreadable']],
    );
    assert.deepEqual(await decisionRows(NARROW().itemId), []);
    assert.equal((await state()).items.find((i) => i.itemId === NARROW().itemId)?.decision, undefined);
  });

  it("a non-member's Keep and Remove now are refused with the reason and audited; nothing changes", async () => {
    const keep = await slackClick(SlackUser.stranger, CleanupAction.Keep, NARROW().itemId, 'trigger-stranger');
    const told = await answered(keep, /Only this identity's owners/);
    assert.ok(told.includes(NOT_AUTHORIZED), told);
    assert.doesNotMatch(told, /could not read/, 'the group was read: nothing else to say');
    assert.ok(
      c.slack.fake.callsTo('usergroups.users.list').some((call) => call.error === undefined),
      'the group was read for the click',
    );
    assert.equal(formsOpenedFor('trigger-stranger'), 0);
    await answered(
      await slackClick(SlackUser.stranger, CleanupAction.RemoveNow, DETACH().itemId),
      /Only this identity's owners/,
    );
    const audited = await auditRows(AuditAction.CleanupDecisionRefused, STRANGER, (d) => d.run === runId);
    assert.deepEqual(
      audited
        .map((row) => `${String(row.detail.kind)}:${String(row.detail.code)}:${String(row.detail.groupsUnchecked)}`)
        .sort(),
      [`keep:${ErrorCode.CleanupNotAuthorized}:undefined`, `remove:${ErrorCode.CleanupNotAuthorized}:undefined`],
    );
    assert.deepEqual(await decisionRows(DETACH().itemId), []);
    assert.deepEqual(await attached(ORPHAN), ['unused-sns'], 'nothing changed in the cloud');
  });

  it("a member's Keep opens the form and the running workflow records it, audited as through the group", async () => {
    const keep = await slackClick(SlackUser.groupLead, CleanupAction.Keep, NARROW().itemId, 'trigger-grace-keep');
    assert.equal(keep.status, 200);
    const form = await c.slack.fake.waitFor('views.open', (call) => call.args.trigger_id === 'trigger-grace-keep');
    const view = form.args.view as { callback_id: string; private_metadata: string };
    const submitted = await c.slack.sender.viewSubmission(SlackUser.groupLead, {
      id: 'VKEEPGRACE',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: {
        values: {
          [CleanupInput.KeepReasonBlock]: {
            [CleanupInput.KeepReason]: { type: 'plain_text_input', value: KEEP_REASON },
          },
        },
      },
    });
    assert.equal(submitted.status, 200);
    assert.equal(submitted.json, undefined, `the form closes: ${submitted.body}`);
    await c.slack.fake.waitFor(
      'chat.postEphemeral',
      (call) => call.args.user === SlackUser.groupLead && /Kept until/.test(textOf(call.args.blocks)),
      20_000,
    );

    const kept = (await state()).items.find((i) => i.itemId === NARROW().itemId)!;
    assert.equal(kept.decision?.kind, 'keep');
    assert.equal(kept.decision?.by, GROUP_APPROVER);
    assert.equal(kept.decision?.reason, KEEP_REASON);
    assert.deepEqual(await decisionRows(NARROW().itemId), [`keep:${GROUP_APPROVER}`]);
    const audited = await auditRows(AuditAction.CleanupKept, GROUP_APPROVER, (d) => d.itemId === NARROW().itemId);
    assert.deepEqual(
      audited.map((row) => row.detail.via),
      [GROUP_KEY],
    );
    assert.deepEqual(await inlineActions(ORPHAN, 'orphan-data'), ['s3:GetObject', 's3:PutObject']);
  });

  it("a member's Remove now is applied in moto at once", async () => {
    await answered(await slackClick(SlackUser.groupLead, CleanupAction.RemoveNow, DETACH().itemId), /Removing it now/);
    const now = await waitForCleanupState(
      c.stack,
      runId,
      (run) => run.items.some((i) => i.itemId === DETACH().itemId && i.outcome !== undefined),
      'the detach applied',
    );
    assert.equal(now.items.find((i) => i.itemId === DETACH().itemId)?.outcome, 'removed');
    assert.deepEqual(await attached(ORPHAN), []);
  });

  it("in Teams, the item's owner and the group's member (the same e-mail as in Slack) decide; a stranger is refused", async () => {
    const stranger = await teamsClick(CleanupAction.Snooze7, LEADS().itemId, TeamsPeople.stranger);
    assert.match(invokeMessage(stranger.body), /Only this identity's owners and the system's owners may decide/);
    const member = await teamsClick(CleanupAction.Snooze30, LEADS().itemId, graceInTeams);
    assert.match(invokeMessage(member.body), /Snoozed until/);
    const owner = await teamsClick(CleanupAction.Snooze7, LEADS().itemId, TeamsPeople.lead);
    assert.match(invokeMessage(owner.body), /Snoozed until/);
    assert.deepEqual(
      (await decisionRows(LEADS().itemId)).sort(),
      [`snooze:${GROUP_APPROVER}`, `snooze:${LEAD}`].sort(),
    );
    const snoozes = (await c.stack.store.auditFor(undefined, 1000)).filter(
      (row) => row.action === AuditAction.CleanupSnoozed && row.detail.itemId === LEADS().itemId,
    );
    assert.deepEqual(snoozes.map((row) => `${row.actor}:${String(row.detail.via)}`).sort(), [
      `${GROUP_APPROVER}:${GROUP_KEY}`,
      `${LEAD}:undefined`,
    ]);
    assert.equal(
      (await auditRows(AuditAction.CleanupDecisionRefused, STRANGER, (d) => d.item === LEADS().itemId)).length,
      1,
    );
  });

  it('a server that cannot read Slack user groups (Teams only) refuses a member and says why', async () => {
    // The client a Teams-only server wires: no Slack directory.
    const teamsOnly = new CleanupClient({
      temporal: c.stack.env.client,
      taskQueue: c.stack.taskQueue,
      store: c.stack.store.cleanup,
      policy: () => c.stack.policy,
      audit: async (entry) => {
        await c.stack.store.appendAudit(entry);
      },
    });
    const outcome = await teamsOnly.decide({ runId, itemId: LEADS().itemId, kind: 'remove', decider: GROUP_APPROVER });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.code, ErrorCode.CleanupNotAuthorized);
    assert.match(outcome.ok ? '' : outcome.message, /cannot read Slack user groups/);
    // a request that names the group itself is not believed: groups are only what the client found
    const claimed = await teamsOnly.decide({
      runId,
      itemId: LEADS().itemId,
      kind: 'remove',
      decider: STRANGER,
      groups: [GROUP_KEY],
    } as Parameters<CleanupClient['decide']>[0]);
    assert.equal(claimed.ok ? undefined : claimed.code, ErrorCode.CleanupNotAuthorized);
    const checked = await teamsOnly.check({ runId, itemId: LEADS().itemId, kind: 'keep', decider: LEAD });
    assert.equal(checked.ok, true, "the item's owner is not held up by groups nobody can read");
    const refused = await auditRows(
      AuditAction.CleanupDecisionRefused,
      GROUP_APPROVER,
      (d) => d.item === LEADS().itemId && d.groupsUnchecked === 'no-directory',
    );
    assert.equal(refused.length, 1);
    assert.equal((await state()).items.find((i) => i.itemId === LEADS().itemId)?.outcome, undefined);
  });
});

async function inlineActions(role: string, name: string): Promise<string[]> {
  return actionsIn(await inlinePolicyDocument(c.stack.aws.iam, role, name));
}
