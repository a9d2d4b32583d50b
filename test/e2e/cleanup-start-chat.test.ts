import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/client';
import { assessSnapshot } from '../../activities/findings';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { findingsClient } from '../../app/findings';
import { chatCleanupRunId, CLEANUP_WORKFLOW } from '../../bot/cleanup-client';
import { parseTarget } from '../../bot/render/findings';
import { SlackAction } from '../../bot/render/slack/ids';
import { TeamsVerb } from '../../bot/render/teams/ids';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import { createTeamsFrontEnd, type TeamsFrontEnd } from '../../bot/teams/app';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import type { Identity } from '../../domain/inventory/model';
import type { CleanupInput } from '../../workflows/cleanup-messages';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  writeSnapshot,
} from '../support/checks/findings-snapshot';
import { cardOf, executeActionsIn, invokeMessage, messageIn, wordsOf } from '../support/checks/teams-cards';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import { FAKE_BOT_TOKEN } from '../support/fakes/fake-slack';
import type { SlackReply, SlackSender } from '../support/generators/slack-requests';
import { personalConversation, type TeamsSender, type TeamsUser } from '../support/generators/teams-requests';
import {
  buttonsIn,
  prepareSlack,
  SIGNING_SECRET,
  SlackUser,
  textOf,
  type SlackSide,
} from '../support/stacks/slack-stack';
import { ADMIN, LEAD, LEAD2, STRANGER, startStack, type Stack } from '../support/stacks/stack';
import { prepareTeams, TeamsPeople, type TeamsSide } from '../support/stacks/teams-stack';

/**
 * Clean up from a finding card, end to end: `/access findings <identity>` by a signed Slack request
 * and `findings <identity>` in Teams, into the real Bolt app and Agents SDK adapter wired with the
 * findings and cleanup clients as app/ wires them; the button's click starts the `cleanup` workflow on
 * the Temporal dev server (no worker: the start is what is under test, the run's own steps are
 * test/workflows'). LEAD2 owns aws-prod, ADMIN is Least's admin; LEAD approves there (sees the card,
 * may not clean up); the stranger owns nothing. Every button is read from the card a person was shown.
 */

const SYSTEM = 'aws-prod';
const DAY = 86_400_000;

let stack: Stack;
let slack: SlackSide;
let teams: TeamsSide;
let slackFront: SlackFrontEnd;
let unusedSlackFront: SlackFrontEnd;
let teamsFront: TeamsFrontEnd;
let server: BotServer;
let sender: SlackSender;
let teamsSender: TeamsSender;
let deployer: Identity;
let operator: Identity;
const started = new Set<string>();

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
  const findings = findingsClient({
    store: stack.store,
    policy,
    externalGroups: () => slack.directory.externalGroups(),
  });
  slackFront = createSlackFrontEnd({
    botToken: FAKE_BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.fake.apiUrl,
    access: stack.access,
    findings,
    cleanup: stack.cleanup,
    policy,
    client: slack.client,
    directory: slack.directory,
    processBeforeResponse: true,
  });
  teamsFront = createTeamsFrontEnd({
    access: stack.access,
    findings,
    cleanup: stack.cleanup,
    policy,
    conversations: stack.store,
  });
  server = await startBotServer({
    port: 0,
    routes: { [SLACK_EVENTS_PATH]: slackFront.requestListener!, [TEAMS_MESSAGES_PATH]: teamsFront.requestListener },
  });
  sender = slack.sender(server);
  teamsSender = teams.sender(server);
  for (const user of [TeamsPeople.lead, TeamsPeople.lead2, TeamsPeople.admin, TeamsPeople.stranger])
    await teamsSender.install(user, personalConversation(user));
  await collected();
});

after(async () => {
  for (const runId of started)
    await stack?.env.client.workflow
      .getHandle(runId)
      .terminate('test over')
      .catch(() => undefined);
  await server?.close();
  await slackFront?.stop();
  await unusedSlackFront?.stop();
  await teamsFront?.stop();
  await stack?.close();
  await slack?.fake.stop();
  await teams?.connector.stop();
});

/** aws-prod as collected today: two roles holding IAM writes they never used. */
async function collected(): Promise<void> {
  const now = Date.now();
  const window = { from: new Date(now - 90 * DAY).toISOString(), to: new Date(now).toISOString() };
  operator = awsIdentity(SYSTEM, ACCOUNT_ID, APP_ROLE, 'aws-iam-role', 'workload');
  deployer = awsIdentity(SYSTEM, ACCOUNT_ID, 'deployer', 'aws-iam-role', 'workload');
  const iamWrite = awsDocument('IamWrite', [
    { action: 'iam:PutRolePolicy', accessLevels: ['Permissions management'] },
    { action: 'iam:PassRole', accessLevels: ['Write'] },
  ]);
  const runId = 'cleanup-start-chat-1';
  await writeSnapshot(stack.store, {
    runId,
    systemId: SYSTEM,
    window,
    identities: [operator, deployer],
    documents: [iamWrite],
    paths: [grantPath(operator, iamWrite.document.id), grantPath(deployer, iamWrite.document.id)],
    coverage: [cloudTrailCoverage(SYSTEM, new Date(now - 91 * DAY).toISOString(), window.to)],
  });
  const outcome = await assessSnapshot(
    { inventory: stack.store.inventory, findings: stack.store.findings, policy },
    SYSTEM,
    runId,
  );
  assert.equal(outcome.status, 'assessed');
  function policy() {
    return stack.policy;
  }
}

/** What the person was told privately in answer to one request (respond() through its response_url). */
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
  return JSON.stringify(call.args);
}

async function audited(action: string, actor: string, about: (detail: Record<string, unknown>) => boolean) {
  const rows = await stack.store.auditFor(undefined, 1000);
  return rows.filter((r) => r.action === action && r.actor === actor && about(r.detail)).length;
}

/** The run a person was told of, and that it is a running `cleanup` workflow started with this input. */
async function assertStarted(words: string, expected: CleanupInput): Promise<string> {
  const runId = /Cleanup (?:`|\*\*)(cleanup-[\w-]+)/.exec(words)?.[1];
  assert.ok(runId, `a run id in ${words.slice(0, 300)}`);
  started.add(runId);
  const handle = stack.env.client.workflow.getHandle(runId);
  const described = await handle.describe();
  assert.equal(described.type, CLEANUP_WORKFLOW);
  assert.equal(described.taskQueue, stack.taskQueue);
  assert.equal(described.status.name, 'RUNNING');
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(payload);
  assert.deepEqual(defaultPayloadConverter.fromPayload(payload), expected);
  return runId;
}

/** No chat-started run of this identity around now: a refused click starts nothing. */
async function assertNoneStarted(identityId: string): Promise<void> {
  const now = Date.now();
  for (const at of [now - 60_000, now, now + 60_000]) {
    const id = chatCleanupRunId(SYSTEM, identityId, new Date(at));
    await assert.rejects(stack.env.client.workflow.getHandle(id).describe(), WorkflowNotFoundError, id);
  }
}

describe('Clean up in Slack', () => {
  it('the owner’s identity card has the button; the approver’s has none', async () => {
    const owner = await answered(await sender.command(SlackUser.lead2, 'findings deployer'), /Identity findings/);
    const cleanUp = buttonsIn(JSON.parse(owner)).filter((b) => b.action_id === SlackAction.FindingsCleanUp);
    assert.deepEqual(
      cleanUp.map((b) => parseTarget(b.value)),
      [{ systemId: SYSTEM, identityId: deployer.id }],
    );
    assert.match(textOf(JSON.parse(owner)), /its owners are told first/);
    const approver = await answered(await sender.command(SlackUser.lead, 'findings deployer'), /Identity findings/);
    assert.deepEqual(
      buttonsIn(JSON.parse(approver)).filter((b) => b.action_id === SlackAction.FindingsCleanUp),
      [],
    );
    assert.doesNotMatch(textOf(JSON.parse(approver)), /Clean up/);
  });

  it('the owner’s click starts the `cleanup` workflow for that identity and says nothing changes yet', async () => {
    const card = await answered(await sender.command(SlackUser.lead2, 'findings deployer'), /Identity findings/);
    const button = buttonsIn(JSON.parse(card)).find((b) => b.action_id === SlackAction.FindingsCleanUp)!;
    const reply = await sender.blockAction(SlackUser.lead2, { action_id: button.action_id, value: button.value });
    const words = textOf(JSON.parse(await answered(reply, /Cleanup/)));
    assert.match(
      words,
      /^Cleanup `cleanup-aws-prod-[\w-]+` started for \*deployer\* on `aws-prod`: its owners will be told what would change; nothing changes before the notice period ends\.$/m,
    );
    const runId = await assertStarted(words, {
      systemId: SYSTEM,
      trigger: 'manual',
      requestedBy: LEAD2,
      identityId: deployer.id,
    });
    assert.equal(await audited(AuditAction.CleanupStarted, LEAD2, (d) => d.run === runId && d.joined === false), 1);

    // The same button again joins the run instead of starting a second one.
    const again = await sender.blockAction(SlackUser.lead2, { action_id: button.action_id, value: button.value });
    const joined = textOf(JSON.parse(await answered(again, /already running/)));
    assert.ok(joined.includes(`\`${runId}\``), joined);
  });

  it('a click forged by someone who may not start one is refused, audited, and starts nothing', async () => {
    const forged = await sender.blockAction(SlackUser.lead, {
      action_id: SlackAction.FindingsCleanUp,
      value: JSON.stringify({ systemId: SYSTEM, identityId: operator.id }),
    });
    await answered(forged, /⛔ Only the owners of aws-prod and Least's admins may start a cleanup there\./);
    assert.equal(
      await audited(
        AuditAction.CleanupStartRefused,
        LEAD,
        (d) => d.identity === operator.id && d.code === ErrorCode.CleanupNotAuthorized,
      ),
      1,
    );
    await assertNoneStarted(operator.id);
  });
});

describe('Clean up in Teams', () => {
  const { admin, lead, stranger } = TeamsPeople;
  const chat = (user: TeamsUser) => personalConversation(user);

  async function identityCardFor(user: TeamsUser, identity: string) {
    await teamsSender.message(user, chat(user), `access findings ${identity}`);
    const message = await messageIn(
      teams.connector,
      chat(user).id,
      (m) => /Identity findings/.test(wordsOf(cardOf(m))) && wordsOf(cardOf(m)).includes(identity),
      `${user.name}'s card of ${identity}`,
    );
    return cardOf(message);
  }

  it('the admin’s identity card has the button; the approver’s has none', async () => {
    const actions = executeActionsIn(await identityCardFor(admin, APP_ROLE));
    assert.deepEqual(
      actions.filter((a) => a.verb === TeamsVerb.FindingsCleanUp).map((a) => a.data),
      [{ systemId: SYSTEM, identityId: operator.id }],
    );
    const approver = executeActionsIn(await identityCardFor(lead, APP_ROLE));
    assert.deepEqual(
      approver.filter((a) => a.verb === TeamsVerb.FindingsCleanUp),
      [],
    );
  });

  it('the admin’s invoke starts the workflow and answers with a message, so the card stays', async () => {
    const button = executeActionsIn(await identityCardFor(admin, APP_ROLE)).find(
      (a) => a.verb === TeamsVerb.FindingsCleanUp,
    )!;
    const reply = await teamsSender.execute(admin, chat(admin), { verb: button.verb, data: button.data });
    const words = invokeMessage(reply.body);
    assert.match(
      words,
      /^Cleanup \*\*cleanup-aws-prod-[\w-]+\*\* started for \*\*payments-operator\*\* on \*\*aws-prod\*\*: its owners will be told what would change; nothing changes before the notice period ends\.$/,
    );
    const runId = await assertStarted(words, {
      systemId: SYSTEM,
      trigger: 'manual',
      requestedBy: ADMIN,
      identityId: operator.id,
    });
    assert.equal(await audited(AuditAction.CleanupStarted, ADMIN, (d) => d.run === runId), 1);
  });

  it('a stranger’s forged invoke is refused and audited', async () => {
    const reply = await teamsSender.execute(stranger, chat(stranger), {
      verb: TeamsVerb.FindingsCleanUp,
      data: { systemId: SYSTEM, identityId: deployer.id },
    });
    assert.match(
      invokeMessage(reply.body),
      /⛔ Only the owners of aws-prod and Least's admins may start a cleanup there\./,
    );
    assert.equal(await audited(AuditAction.CleanupStartRefused, STRANGER, (d) => d.identity === deployer.id), 1);
  });
});
