import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { CleanupStore } from '../../activities/store/cleanup/store';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { CleanupClient, cleanupRestoreWorkflowId } from '../../bot/cleanup-client';
import { CleanupAction, CleanupInput, cleanupButtonValue, encodeKeepMetadata } from '../../bot/render/cleanup';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import { createTeamsFrontEnd, type TeamsFrontEnd } from '../../bot/teams/app';
import { AuditAction } from '../../domain/audit';
import type { CleanupItem } from '../../domain/cleanup/model';
import { ErrorCode } from '../../domain/errors';
import { waitUntil } from '../support/checks/assertions';
import { invokeCard, invokeMessage, wordsOf } from '../support/checks/teams-cards';
import { FAKE_BOT_TOKEN } from '../support/fakes/fake-slack';
import type { SlackReply, SlackSender } from '../support/generators/slack-requests';
import {
  forgedBotFrameworkToken,
  personalConversation,
  TeamsSender,
  type TeamsSender as Sender,
} from '../support/generators/teams-requests';
import { prepareSlack, SIGNING_SECRET, SlackUser, textOf, type SlackSide } from '../support/stacks/slack-stack';
import { prepareTeams, TeamsPeople, type TeamsSide } from '../support/stacks/teams-stack';
import { LEAD, LEAD2, REQUESTER, STRANGER, startStack, type Stack } from '../support/stacks/stack';

/**
 * The cleanup buttons end to end, without the cleanup workflow: signed Slack clicks into the real Bolt
 * app and Teams invokes into the real Agents SDK adapter, wired with the CleanupClient over a run
 * recorded in PostgreSQL and the real Temporal server. What is tested here is decided before any
 * workflow runs: who may see a diff or restore, refusals explained and audited, malformed and forged
 * requests turned away. Owners' Keep / Remove now / Snooze against a running workflow are in
 * cleanup-chat-workflow.test.ts (to be written with the workflow).
 */

const SYSTEM = 'aws-prod';
const role = (name: string) => ({ id: `arn:aws:iam::123456789012:role/${name}`, name, kind: 'aws-iam-role' as const });

const APP: CleanupItem = {
  itemId: `narrow-policy:aws-inline-policy:${role('payments-app').id}#Inline`,
  systemId: SYSTEM,
  change: 'narrow-policy',
  object: { kind: 'aws-inline-policy', key: `${role('payments-app').id}#Inline`, name: 'payments-app-inline' },
  identities: [role('payments-app')],
  removeActions: ['iam:PassRole'],
  before: {
    Version: '2012-10-17',
    Statement: [{ Sid: '<!channel>', Effect: 'Allow', Action: ['iam:PassRole', 's3:GetObject'], Resource: '*' }],
  },
  after: {
    Version: '2012-10-17',
    Statement: [{ Sid: '<!channel>', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }],
  },
  actions: 1,
  reason: 'no use of iam:PassRole in 90 days',
  owners: [REQUESTER],
};
const KEY: CleanupItem = {
  itemId: 'deactivate-key:aws-access-key:arn:aws:iam::123456789012:user/ci#AKIAOLD',
  systemId: SYSTEM,
  change: 'deactivate-key',
  object: { kind: 'aws-access-key', key: 'arn:aws:iam::123456789012:user/ci#AKIAOLD', name: 'AKIAOLD' },
  identities: [{ id: 'arn:aws:iam::123456789012:user/ci', name: 'ci', kind: 'aws-iam-user' }],
  reason: 'unused for 90 days',
  owners: [LEAD],
};

let stack: Stack;
let slack: SlackSide;
let teams: TeamsSide;
let unusedSlackFront: SlackFrontEnd;
let slackFront: SlackFrontEnd;
let teamsFront: TeamsFrontEnd;
let server: BotServer;
let sender: SlackSender;
let teamsSender: Sender;
let runId: string;
let cleanup: CleanupClient;

before(async () => {
  slack = await prepareSlack();
  teams = await prepareTeams();
  stack = await startStack('dev', {
    policy: (input) => {
      slack.editPolicy(input);
      teams.editPolicy(input);
      input.authorizationSystems[0] = { ...input.authorizationSystems[0]!, owners: { users: [LEAD2] } };
    },
    access: () => slack.access(),
  });
  unusedSlackFront = await slack.attach(stack);
  const policy = () => stack.policy;
  const cleanups = new CleanupStore(stack.db.pool);
  cleanup = new CleanupClient({
    temporal: stack.env.client,
    taskQueue: stack.taskQueue,
    store: cleanups,
    policy,
    audit: async (entry) => {
      await stack.store.appendAudit(entry);
    },
    externalGroups: () => slack.directory.externalGroups(),
  });
  slackFront = createSlackFrontEnd({
    botToken: FAKE_BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.fake.apiUrl,
    access: stack.access,
    cleanup,
    policy,
    client: slack.client,
    directory: slack.directory,
    processBeforeResponse: true,
  });
  teamsFront = createTeamsFrontEnd({ access: stack.access, cleanup, policy, conversations: stack.store });
  server = await startBotServer({
    port: 0,
    routes: { [SLACK_EVENTS_PATH]: slackFront.requestListener!, [TEAMS_MESSAGES_PATH]: teamsFront.requestListener },
  });
  sender = slack.sender(server);
  teamsSender = teams.sender(server);
  for (const user of [TeamsPeople.ada, TeamsPeople.lead2, TeamsPeople.stranger])
    await teamsSender.install(user, personalConversation(user));

  runId = `cleanup-chat-${Date.now().toString(36)}`;
  const now = new Date().toISOString();
  await cleanups.saveRun(
    runId,
    {
      systemId: SYSTEM,
      cloud: 'aws',
      mode: 'enforce',
      collectionRunId: 'collect-1',
      window: { from: new Date(Date.now() - 90 * 86_400_000).toISOString(), to: now },
      plannedAt: now,
      items: [APP, KEY],
      holds: [],
      counts: { identities: 2, items: 2, actions: 1, holds: 0 },
    },
    { trigger: 'schedule' },
  );
  await cleanups.setOutcome(runId, APP.itemId, 'removed', 'policy version v2 is the default');
});

after(async () => {
  await server?.close();
  await slackFront?.stop();
  await unusedSlackFront?.stop();
  await teamsFront?.stop();
  await stack?.close();
  await slack?.fake.stop();
  await teams?.connector.stop();
});

/** What the person was told privately in answer to one click (respond() through its response_url). */
async function answered(reply: SlackReply, pattern: RegExp): Promise<string> {
  assert.equal(reply.status, 200);
  const call = await slack.fake
    .waitFor('response_url', (c) => c.responseId === reply.responseId && pattern.test(textOf(c.args)))
    .catch((error: Error) => {
      const seen = slack.fake
        .callsTo('response_url')
        .filter((c) => c.responseId === reply.responseId)
        .map((c) => textOf(c.args));
      throw new Error(`${error.message}; wanted ${String(pattern)}; got ${JSON.stringify(seen).slice(0, 600)}`);
    });
  return textOf(call.args);
}

async function audited(
  action: string,
  actor: string,
  about: (detail: Record<string, unknown>) => boolean = () => true,
) {
  const rows = await stack.store.auditFor(undefined, 1000);
  return rows.filter((r) => r.action === action && r.actor === actor && about(r.detail)).length;
}

async function restoreStarted(itemIds: string[]): Promise<boolean> {
  try {
    await stack.env.client.workflow.getHandle(cleanupRestoreWorkflowId(runId, { itemIds })).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

const value = (itemId: string) => cleanupButtonValue(runId, itemId);

describe('cleanup buttons in Slack', () => {
  it("the owner's Show diff is answered privately with the documents' diff, names escaped", async () => {
    const reply = await sender.blockAction(SlackUser.ada, {
      action_id: CleanupAction.ShowDiff,
      value: value(APP.itemId),
    });
    const text = await answered(reply, /```/);
    assert.match(text, /Removed: `iam:PassRole`/);
    assert.match(text, /^- +"iam:PassRole",$/m);
    assert.match(text, /&lt;!channel&gt;/);
    assert.doesNotMatch(text, /<!channel>/);
  });

  it("a stranger's Show diff and Restore are refused with a message, audited, and start nothing", async () => {
    const diff = await sender.blockAction(SlackUser.stranger, {
      action_id: CleanupAction.ShowDiff,
      value: value(APP.itemId),
    });
    const refused = await answered(diff, /Only this change's owners/);
    assert.doesNotMatch(refused, /iam:PassRole/);
    assert.equal(await audited(AuditAction.CleanupViewRefused, STRANGER, (d) => d.item === APP.itemId), 1);

    const restore = await sender.blockAction(SlackUser.stranger, {
      action_id: CleanupAction.Restore,
      value: value(APP.itemId),
    });
    await answered(restore, /Only the owners of these changes, the system's owners and Least's admins may restore/);
    assert.equal(
      await audited(AuditAction.CleanupRestoreRefused, STRANGER, (d) => d.code === ErrorCode.CleanupNotAuthorized),
      1,
    );
    assert.equal(await restoreStarted([APP.itemId]), false);
  });

  it("another owner's change is not the owner's to see; the system's owner may see it", async () => {
    await answered(
      await sender.blockAction(SlackUser.ada, { action_id: CleanupAction.ShowDiff, value: value(KEY.itemId) }),
      /Only this change's owners/,
    );
    await answered(
      await sender.blockAction(SlackUser.lead2, { action_id: CleanupAction.ShowDiff, value: value(KEY.itemId) }),
      /The key is set Inactive, not deleted/,
    );
  });

  it('Keep on a run that takes no answers is refused before its form opens; Remove now too; both audited', async () => {
    const keep = await sender.blockAction(
      SlackUser.ada,
      { action_id: CleanupAction.Keep, value: value(APP.itemId) },
      { triggerId: 'trigger-cleanup-keep' },
    );
    await answered(keep, /There is no cleanup run .* taking answers/);
    assert.equal(
      slack.fake.callsTo('views.open').filter((c) => c.args.trigger_id === 'trigger-cleanup-keep').length,
      0,
    );
    const remove = await sender.blockAction(SlackUser.ada, {
      action_id: CleanupAction.RemoveNow,
      value: value(APP.itemId),
    });
    await answered(remove, /There is no cleanup run/);
    assert.equal(
      await audited(AuditAction.CleanupDecisionRefused, REQUESTER, (d) => d.code === ErrorCode.CleanupUnknown),
      2,
    );
  });

  it('a Keep form submitted without the button is refused in the form', async () => {
    const forged = await sender.viewSubmission(SlackUser.stranger, {
      callback_id: CleanupAction.KeepForm,
      private_metadata: encodeKeepMetadata({ runId, itemId: APP.itemId }),
      state: {
        values: {
          [CleanupInput.KeepReasonBlock]: {
            [CleanupInput.KeepReason]: { type: 'plain_text_input', value: 'mine now' },
          },
        },
      },
    });
    assert.equal(forged.status, 200);
    const errors = (forged.json as { response_action?: string; errors?: Record<string, string> }) ?? {};
    assert.equal(errors.response_action, 'errors');
    assert.match(errors.errors?.[CleanupInput.KeepReasonBlock] ?? '', /There is no cleanup run/);
    assert.ok((await audited(AuditAction.CleanupDecisionRefused, STRANGER)) >= 1);
  });

  it('a button whose value is not a cleanup change is refused and audited', async () => {
    const reply = await sender.blockAction(SlackUser.stranger, {
      action_id: CleanupAction.RemoveNow,
      value: 'r-aaaaaaaaaa',
    });
    await answered(reply, /does not name a cleanup change/);
    assert.equal(
      await audited(
        AuditAction.ActionMalformed,
        `slack:${SlackUser.stranger.toLowerCase()}`,
        (d) => d.action === CleanupAction.RemoveNow,
      ),
      1,
    );
  });

  it('forged and stale clicks get 401, reach nothing, and are audited', async () => {
    const calls = slack.fake.calls.length;
    const forged = await sender.blockAction(
      SlackUser.lead2,
      { action_id: CleanupAction.Restore, value: cleanupButtonValue(runId, '*') },
      { sign: { secret: 'not-the-secret' } },
    );
    assert.equal(forged.status, 401);
    const stale = await sender.blockAction(
      SlackUser.lead2,
      { action_id: CleanupAction.Restore, value: cleanupButtonValue(runId, '*') },
      { sign: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 } },
    );
    assert.equal(stale.status, 401);
    assert.equal(slack.fake.calls.length, calls, 'nothing reached Slack');
    try {
      await stack.env.client.workflow.getHandle(cleanupRestoreWorkflowId(runId, {})).describe();
      assert.fail('no whole-run restore started');
    } catch (error) {
      assert.ok(error instanceof WorkflowNotFoundError);
    }
    await waitUntil(
      async () =>
        (await stack.store.auditFor(undefined, 1000)).some((r) => r.action === AuditAction.SlackRequestRejected),
      'the rejection is audited',
    );
  });
});

describe('cleanup verbs in Teams', () => {
  const chat = personalConversation;

  it("the owner's Show diff answers with the diff card", async () => {
    const reply = await teamsSender.execute(TeamsPeople.ada, chat(TeamsPeople.ada), {
      verb: CleanupAction.ShowDiff,
      data: { value: value(APP.itemId) },
    });
    const card = invokeCard(reply.body);
    assert.match(wordsOf(card), /iam:PassRole/);
    assert.match(wordsOf(card), /Removed: \*\*iam:PassRole\*\*/);
  });

  it("a stranger's Show diff and Restore are refused with a message and audited", async () => {
    const before = await audited(AuditAction.CleanupViewRefused, STRANGER);
    const diff = await teamsSender.execute(TeamsPeople.stranger, chat(TeamsPeople.stranger), {
      verb: CleanupAction.ShowDiff,
      data: { value: value(APP.itemId) },
    });
    assert.match(invokeMessage(diff.body), /Only this change's owners/);
    assert.doesNotMatch(JSON.stringify(diff.body), /iam:PassRole/);
    assert.equal(await audited(AuditAction.CleanupViewRefused, STRANGER), before + 1);

    const restores = await audited(AuditAction.CleanupRestoreRefused, STRANGER);
    const restore = await teamsSender.execute(TeamsPeople.stranger, chat(TeamsPeople.stranger), {
      verb: CleanupAction.Restore,
      data: { value: value(APP.itemId) },
    });
    assert.match(invokeMessage(restore.body), /may restore them/);
    assert.equal(await audited(AuditAction.CleanupRestoreRefused, STRANGER), restores + 1);
    assert.equal(await restoreStarted([APP.itemId]), false);
  });

  it('a Keep submitted without a reason is asked for one; a decision on a run that takes no answers is refused', async () => {
    const empty = await teamsSender.execute(TeamsPeople.ada, chat(TeamsPeople.ada), {
      verb: CleanupAction.KeepForm,
      data: { value: value(APP.itemId), reasonInput: `${CleanupInput.KeepReason}_0` },
      inputs: { [`${CleanupInput.KeepReason}_0`]: '   ' },
    });
    assert.match(invokeMessage(empty.body), /Say why it should be kept/);
    const snooze = await teamsSender.execute(TeamsPeople.ada, chat(TeamsPeople.ada), {
      verb: CleanupAction.Snooze30,
      data: { value: value(APP.itemId) },
    });
    assert.match(invokeMessage(snooze.body), /There is no cleanup run/);
  });

  it('a card whose data is not a cleanup change is refused and audited', async () => {
    const reply = await teamsSender.execute(TeamsPeople.stranger, chat(TeamsPeople.stranger), {
      verb: CleanupAction.Restore,
      data: { value: '{"r":1}' },
    });
    assert.match(invokeMessage(reply.body), /does not name a cleanup change/);
    assert.ok(
      (await audited(
        AuditAction.ActionMalformed,
        STRANGER,
        (d) => d.platform === 'teams' && d.verb === CleanupAction.Restore,
      )) >= 1,
    );
  });

  it('with an app id, a cleanup invoke with a forged token gets 401 and reaches nothing', async () => {
    const APP_ID = '3f2a9c4e-1b7d-4e8a-9c6f-2d5b8e1a7c30';
    const guarded = createTeamsFrontEnd({
      appId: APP_ID,
      appPassword: 'plainly-fake-secret',
      access: stack.access,
      cleanup,
      policy: () => stack.policy,
      conversations: stack.store,
    });
    const guardedServer = await startBotServer({ port: 0, routes: { [TEAMS_MESSAGES_PATH]: guarded.requestListener } });
    try {
      const calls = teams.connector.calls.length;
      const forged = new TeamsSender({
        botUrl: `${guardedServer.url}${TEAMS_MESSAGES_PATH}`,
        serviceUrl: teams.connector.url,
        botId: APP_ID,
        token: forgedBotFrameworkToken({ appId: APP_ID, serviceUrl: teams.connector.url }),
      });
      const reply = await forged.execute(TeamsPeople.lead2, chat(TeamsPeople.lead2), {
        verb: CleanupAction.Restore,
        data: { value: cleanupButtonValue(runId, '*') },
      });
      assert.equal(reply.status, 401);
      assert.equal(teams.connector.calls.length, calls, 'the bot said nothing to anyone');
    } finally {
      await guardedServer.close();
      await guarded.stop();
    }
  });
});
