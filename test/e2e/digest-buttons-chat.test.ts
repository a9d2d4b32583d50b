import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WebClient } from '@slack/web-api';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { accessClient } from '../../app/runtime';
import { findingsClient } from '../../app/findings';
import type { PgStore } from '../../activities/store/pg-store';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import { slackClientOptions } from '../../bot/slack/client-options';
import { SlackDirectory } from '../../bot/slack/directory';
import { createTeamsFrontEnd, type TeamsFrontEnd } from '../../bot/teams/app';
import { DigestAction, slackDigestActionId } from '../../bot/render/digest-buttons';
import { digestSlackMessage } from '../../bot/render/slack/digest';
import { digestTeamsMessage } from '../../bot/render/teams/digest';
import { AuditAction } from '../../domain/audit';
import { policySchema, type Policy } from '../../domain/policy/schema';
import { FAKE_BOT_TOKEN, FakeSlack } from '../support/fakes/fake-slack';
import { FakeTeamsConnector } from '../support/fakes/fake-teams';
import { SlackSender, type SlackReply } from '../support/generators/slack-requests';
import { channelConversation, TeamsSender, teamsUser } from '../support/generators/teams-requests';
import { seedCleanup } from '../support/generators/digest-records';
import { assessSnapshot } from '../../activities/findings';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  writeSnapshot,
} from '../support/checks/findings-snapshot';
import { busyDigest } from '../support/generators/digest';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { testServices } from '../support/launch/services';
import { buttonsIn, textOf } from '../support/stacks/slack-stack';
import { executeActionsIn, invokeCard, wordsOf } from '../support/checks/teams-cards';
import { pendingRequest, PROD_DB_READONLY } from '../activities/store/fixtures';

/**
 * The buttons on a digest, clicked in Slack (signed requests into the real Bolt app) and Teams (invokes
 * into the real Agents SDK adapter), over a real PostgreSQL holding findings, cleanup runs and a request
 * waiting for approval, with a real Temporal client. Sec is a security viewer (sees every system), Lead
 * approves on aws-prod (sees it), Mallory is a stranger (sees no system, approves nothing).
 */

const SEC = 'sec@example.com';
const LEAD = 'lead@example.com';
const STRANGER = 'mallory@example.com';
const SIGNING_SECRET = 'digest-buttons-secret-not-real';
const CHANNEL = 'CDIGEST001';
const Slack = { sec: 'USEC0001', lead: 'ULEAD001', stranger: 'UMAL0001' } as const;
const Teams = {
  sec: teamsUser('Sec', { email: SEC, userPrincipalName: SEC }),
  lead: teamsUser('Lead', { email: LEAD, userPrincipalName: LEAD }),
  stranger: teamsUser('Mallory', { email: STRANGER, userPrincipalName: STRANGER }),
};
const TEAMS_BOT_ID = '00000000-0000-4000-8000-00000000d16e';
const TEAM = '19:digestbuttons0123@thread.tacv2';

const policy: Policy = policySchema.parse({
  version: 1,
  authorizationSystems: [
    { id: 'aws-prod', cloud: 'aws', accountId: '123456789012', brokerRoleArn: 'arn:aws:iam::123456789012:role/b' },
    { id: 'gcp-finance', cloud: 'gcp', projectId: 'finance-prod-1' },
  ],
  entitlements: [
    {
      id: 'prod-db-readonly',
      title: 'Production database read-only',
      system: 'aws-prod',
      grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['rds:Describe*'] }] },
      requesters: { everyone: true },
      approvers: { users: [LEAD] },
    },
  ],
  findings: { securityViewers: { users: [SEC] } },
});

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let store: PgStore;
let slack: FakeSlack;
let connector: FakeTeamsConnector;
let slackFront: SlackFrontEnd;
let teamsFront: TeamsFrontEnd;
let guardedTeams: TeamsFrontEnd;
let server: BotServer;
let sender: SlackSender;
let teams: TeamsSender;
let guarded: TeamsSender;

before(async () => {
  ({ db, store } = await freshStore());
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: testServices().temporalAddress });
  await collected();
  await seedCleanup(db.pool);
  await store.saveRequest(
    pendingRequest({
      requestId: 'r-waiting001',
      rules: { ...PROD_DB_READONLY, approvers: [LEAD] },
      submittedAt: new Date(Date.now() - 7_200_000).toISOString(),
    }),
  );

  slack = await FakeSlack.start();
  slack.addUser({ id: Slack.sec, email: SEC, name: 'sec' });
  slack.addUser({ id: Slack.lead, email: LEAD, name: 'lead' });
  slack.addUser({ id: Slack.stranger, email: STRANGER, name: 'mallory' });
  const client = new WebClient(FAKE_BOT_TOKEN, slackClientOptions(slack.apiUrl));
  const directory = new SlackDirectory({ client, policy: () => policy });
  const access = accessClient({
    temporal: env.client,
    taskQueue: 'digest-buttons-unused',
    policy: () => policy,
    store,
    externalGroups: () => directory.externalGroups(),
  });
  const findings = findingsClient({ store, policy: () => policy });
  slackFront = createSlackFrontEnd({
    botToken: FAKE_BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    access,
    findings,
    cleanupRuns: store.cleanup,
    policy: () => policy,
    client,
    directory,
    processBeforeResponse: true,
  });

  connector = await FakeTeamsConnector.start();
  for (const user of Object.values(Teams))
    connector.addMember({
      id: user.id,
      name: user.name,
      aadObjectId: user.aadObjectId,
      email: user.email,
      userPrincipalName: user.userPrincipalName,
    });
  const teamsOptions = { access, findings, cleanupRuns: store.cleanup, policy: () => policy, conversations: store };
  teamsFront = createTeamsFrontEnd(teamsOptions);
  // The same bot with an app registration: every request needs a valid Bot Framework token.
  guardedTeams = createTeamsFrontEnd({ ...teamsOptions, appId: TEAMS_BOT_ID, appPassword: 'not-a-real-secret' });
  server = await startBotServer({
    port: 0,
    routes: {
      [SLACK_EVENTS_PATH]: slackFront.requestListener!,
      [TEAMS_MESSAGES_PATH]: teamsFront.requestListener,
      '/guarded/api/messages': guardedTeams.requestListener,
    },
  });
  sender = new SlackSender({
    url: `${server.url}${SLACK_EVENTS_PATH}`,
    signingSecret: SIGNING_SECRET,
    responseUrl: (id) => slack.responseUrl(id),
  });
  const teamsSender = (path: string) =>
    new TeamsSender({ botUrl: `${server.url}${path}`, serviceUrl: connector.url, botId: TEAMS_BOT_ID });
  teams = teamsSender(TEAMS_MESSAGES_PATH);
  guarded = teamsSender('/guarded/api/messages');
});

after(async () => {
  await server?.close();
  await slackFront?.stop();
  await teamsFront?.stop();
  await guardedTeams?.stop();
  await slack?.stop();
  await connector?.stop();
  await env?.teardown();
  await db?.drop();
});

/** aws-prod as collected an hour ago: a deployer role holding IAM writes it never used. */
async function collected(): Promise<void> {
  const now = Date.now();
  const window = { from: new Date(now - 90 * 86_400_000).toISOString(), to: new Date(now).toISOString() };
  const deployer = awsIdentity('aws-prod', '123456789012', 'deployer', 'aws-iam-role', 'workload');
  const iamWrite = awsDocument('IamWrite', [
    { action: 'iam:CreatePolicyVersion', accessLevels: ['Permissions management'] },
    { action: 'iam:PassRole', accessLevels: ['Write'] },
  ]);
  await writeSnapshot(store, {
    runId: 'digest-buttons-1',
    systemId: 'aws-prod',
    window,
    identities: [deployer],
    documents: [iamWrite],
    paths: [grantPath(deployer, iamWrite.document.id)],
    usage: [],
    coverage: [cloudTrailCoverage('aws-prod', new Date(now - 91 * 86_400_000).toISOString(), window.to)],
  });
  const outcome = await assessSnapshot(
    { inventory: store.inventory, findings: store.findings, policy: () => policy },
    'aws-prod',
    'digest-buttons-1',
  );
  assert.equal(outcome.status, 'assessed');
}

/** The private answer to one click (respond() through its response_url), as the clicker reads it. */
async function answered(reply: SlackReply, pattern: RegExp): Promise<{ words: string; args: Record<string, unknown> }> {
  assert.equal(reply.status, 200);
  const call = await slack
    .waitFor('response_url', (c) => c.responseId === reply.responseId && pattern.test(textOf(c.args)))
    .catch((error: Error) => {
      const seen = slack
        .callsTo('response_url')
        .filter((c) => c.responseId === reply.responseId)
        .map((c) => textOf(c.args));
      throw new Error(`${error.message}; wanted ${String(pattern)}; got ${JSON.stringify(seen).slice(0, 600)}`);
    });
  return { words: textOf(call.args), args: call.args };
}

async function audited(action: string, actor: string, about: (detail: Record<string, unknown>) => boolean) {
  const rows = await store.auditFor(undefined, 1000);
  return rows.some((r) => r.action === action && r.actor === actor && about(r.detail));
}

/** A click on the digest's button `action` (its n-th in the row), on the digest message in the channel. */
function click(user: string, action: DigestAction, value: string, index = 0): Promise<SlackReply> {
  return sender.blockAction(
    user,
    { action_id: slackDigestActionId(action, index), value },
    { channelId: CHANNEL, message: { ts: '1711700000.000100' } },
  );
}

const channel = channelConversation({ teamId: TEAM });

describe('digest buttons in Slack', () => {
  it('the digest carries the buttons the handlers answer', () => {
    const ids = buttonsIn(digestSlackMessage(busyDigest(), []).blocks).map((b) => b.action_id);
    for (const action of Object.values(DigestAction))
      assert.ok(ids.includes(slackDigestActionId(action, 0)), `${action} is on the digest`);
  });

  it('Findings: a security viewer sees the system’s findings, privately', async () => {
    const { words, args } = await answered(
      await click(Slack.sec, DigestAction.Findings, '{"system":"aws-prod"}'),
      /aws-prod/,
    );
    assert.match(words, /`aws-prod` \(AWS\) · PCI \D*\d+/);
    assert.match(words, /deployer/);
    assert.equal(args.response_type, 'ephemeral');
  });

  it('Findings: a stranger is told they may not see the system, and it is audited', async () => {
    const { words } = await answered(
      await click(Slack.stranger, DigestAction.Findings, '{"system":"aws-prod"}', 2),
      /may not see/,
    );
    assert.doesNotMatch(words, /PCI|deployer/);
    assert.ok(await audited(AuditAction.FindingsViewRefused, STRANGER, (d) => JSON.stringify(d).includes('aws-prod')));
  });

  it('Approvals waiting: the approver sees the request waiting for them; a stranger sees none', async () => {
    const lead = await answered(await click(Slack.lead, DigestAction.Approvals, '{}'), /waiting for your approval/);
    assert.match(lead.words, /r-waiting001|Production database read-only/);
    const stranger = await answered(
      await click(Slack.stranger, DigestAction.Approvals, '{}'),
      /Nothing is waiting for your approval/,
    );
    assert.doesNotMatch(stranger.words, /r-waiting001/);
  });

  it('Cleanup: the latest run of the system with what it removed and kept; a stranger refused and audited', async () => {
    const { words } = await answered(
      await click(Slack.lead, DigestAction.Cleanup, '{"system":"aws-prod"}'),
      /Latest cleanup run/,
    );
    assert.match(words, /run-sunday/);
    assert.match(words, /3 removed · 1 kept · 0 restored · 1 failed/);
    await answered(
      await click(Slack.stranger, DigestAction.Cleanup, '{"system":"aws-prod"}'),
      /may not see the cleanup/,
    );
    assert.ok(await audited(AuditAction.CleanupViewRefused, STRANGER, (d) => d.system === 'aws-prod'));
  });

  it('a forged value is told plainly and audited; a forged signature is refused before any answer', async () => {
    await answered(
      await click(Slack.sec, DigestAction.Findings, '{"system":"aws-prod","identity":"root"}'),
      /does not name anything Least knows/,
    );
    await answered(await click(Slack.sec, DigestAction.Cleanup, 'x'.repeat(3000)), /does not name anything/);
    assert.ok(
      await audited(AuditAction.ActionMalformed, `slack:${Slack.sec.toLowerCase()}`, (d) => d.platform === 'slack'),
    );
    const before = slack.callsTo('response_url').length;
    const unsigned = await sender.blockAction(
      Slack.sec,
      { action_id: slackDigestActionId(DigestAction.Findings, 0), value: '{"system":"aws-prod"}' },
      { channelId: CHANNEL, sign: { secret: 'wrong-secret' } },
    );
    assert.equal(unsigned.status, 401);
    assert.equal(slack.callsTo('response_url').length, before, 'nothing was answered');
  });
});

describe('digest buttons in Teams', () => {
  it('the digest card carries the verbs the handlers answer', () => {
    const verbs = executeActionsIn(digestTeamsMessage(busyDigest(), []).message.card).map((a) => a.verb);
    for (const action of Object.values(DigestAction)) assert.ok(verbs.includes(action), action);
  });

  it('Findings: a security viewer gets the system’s findings as the answer to their click', async () => {
    const reply = await teams.execute(Teams.sec, channel, {
      verb: DigestAction.Findings,
      data: { system: 'aws-prod' },
    });
    assert.match(wordsOf(invokeCard(reply.body)), /aws-prod[\s\S]*PCI[\s\S]*deployer/);
    assert.equal(connector.messagesIn(channel.id).length, 0, 'nothing is posted to the channel');
  });

  it('Findings and Cleanup: a stranger is refused, and both are audited', async () => {
    const findings = await teams.execute(Teams.stranger, channel, {
      verb: DigestAction.Findings,
      data: { system: 'aws-prod' },
    });
    assert.match(wordsOf(findings.body), /may not see the findings of aws-prod/);
    const cleanup = await teams.execute(Teams.stranger, channel, {
      verb: DigestAction.Cleanup,
      data: { system: 'gcp-finance' },
    });
    assert.match(wordsOf(cleanup.body), /may not see the cleanup runs of gcp-finance/);
    assert.ok(
      await audited(
        AuditAction.CleanupViewRefused,
        STRANGER,
        (d) => d.system === 'gcp-finance' && d.platform === 'teams',
      ),
    );
  });

  it('Approvals waiting and Cleanup answer the approver', async () => {
    const approvals = await teams.execute(Teams.lead, channel, { verb: DigestAction.Approvals, data: {} });
    assert.match(wordsOf(invokeCard(approvals.body)), /1 request waiting for your approval/);
    const cleanup = await teams.execute(Teams.lead, channel, {
      verb: DigestAction.Cleanup,
      data: { system: 'aws-prod' },
    });
    assert.match(wordsOf(invokeCard(cleanup.body)), /Latest cleanup run on aws-prod[\s\S]*3 removed · 1 kept/);
  });

  it('forged data is told plainly and audited; without a Bot Framework token nothing is answered', async () => {
    const forged = await teams.execute(Teams.sec, channel, {
      verb: DigestAction.Findings,
      data: { system: '../../etc', extra: 'x' },
    });
    assert.match(wordsOf(forged.body), /does not name anything Least knows/);
    assert.ok(await audited(AuditAction.ActionMalformed, SEC, (d) => d.verb === DigestAction.Findings));
    const unsigned = await guarded.execute(Teams.sec, channel, {
      verb: DigestAction.Findings,
      data: { system: 'aws-prod' },
    });
    assert.equal(unsigned.status, 401);
  });
});
