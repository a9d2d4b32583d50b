import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assessSnapshot } from '../../activities/findings';
import { SlackNotifier } from '../../activities/chat/slack-notifier';
import { TeamsNotifier } from '../../activities/chat/teams-notifier';
import { AdapterTeamsPoster } from '../../activities/chat/teams-poster';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { findingsClient, requesterFindings } from '../../app/findings';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import { createTeamsFrontEnd, type TeamsFrontEnd } from '../../bot/teams/app';
import { teamsAdapter } from '../../bot/teams/adapter';
import { SlackAction, SlackBlock, SlackView } from '../../bot/render/slack/ids';
import { TeamsInput, TeamsVerb } from '../../bot/render/teams/ids';
import { AuditAction } from '../../domain/audit';
import type { Identity } from '../../domain/inventory/model';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import { FAKE_BOT_TOKEN } from '../support/fakes/fake-slack';
import type { SlackReply, SlackSender } from '../support/generators/slack-requests';
import type { TeamsSender, TeamsUser } from '../support/generators/teams-requests';
import { personalConversation } from '../support/generators/teams-requests';
import { waitUntil } from '../support/checks/assertions';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  usedOn,
  writeSnapshot,
} from '../support/checks/findings-snapshot';
import { cardOf, invokeCard, messageIn, wordsOf } from '../support/checks/teams-cards';
import {
  APPROVAL_CHANNEL,
  buttonsIn,
  prepareSlack,
  SIGNING_SECRET,
  SlackUser,
  textOf,
  type SlackSide,
} from '../support/stacks/slack-stack';
import { prepareTeams, TeamsPeople, type TeamsSide } from '../support/stacks/teams-stack';
import { ADMIN, LEAD, LEAD2, REQUESTER, startStack, submitRequest, type Stack } from '../support/stacks/stack';

/**
 * Findings in chat end to end, Slack and Teams on one stack: signed Slack requests and Teams invokes
 * into the real front ends, wired with the findings client as app/ wires it, over a snapshot in
 * PostgreSQL assessed as the collect workflow assesses it, and real Temporal for the approver card.
 * LEAD approves for aws-prod (sees it, may not suppress); LEAD2 owns it; ADMIN sees everything;
 * the requester (Ada) sees her own role only.
 */

const SYSTEM = 'aws-prod';
const DAY = 86_400_000;
const HOSTILE = '<!channel> *bold* <@ULEAD001> `x` **y** [z](http://evil.example)';

let stack: Stack;
let slack: SlackSide;
let teams: TeamsSide;
let slackFront: SlackFrontEnd;
let unusedSlackFront: SlackFrontEnd;
let teamsFront: TeamsFrontEnd;
let server: BotServer;
let sender: SlackSender;
let teamsSender: TeamsSender;
let stopWorker: () => Promise<void>;
let ada: Identity;
let deployer: Identity;

before(async () => {
  slack = await prepareSlack();
  teams = await prepareTeams();
  const poster = new AdapterTeamsPoster(teamsAdapter({}));
  stack = await startStack('dev', {
    policy: (input) => {
      slack.editPolicy(input);
      teams.editPolicy(input);
      input.authorizationSystems[0] = { ...input.authorizationSystems[0]!, owners: { users: [LEAD2] } };
    },
    notifiers: ({ store, policy }) => [
      new SlackNotifier({
        client: slack.client,
        store,
        people: slack.directory,
        policy: () => policy,
        requesterFindings: requesterFindings(store, () => policy),
      }),
      new TeamsNotifier({
        poster,
        store,
        policy: () => policy,
        requesterFindings: requesterFindings(store, () => policy),
      }),
    ],
    access: () => slack.access(),
  });
  // The shared Slack side learns the stack's policy when attached; its own front end is not routed.
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
    policy,
    client: slack.client,
    directory: slack.directory,
    processBeforeResponse: true,
  });
  teamsFront = createTeamsFrontEnd({
    access: stack.access,
    findings,
    requesterFindings: requesterFindings(stack.store, policy),
    policy,
    conversations: stack.store,
  });
  server = await startBotServer({
    port: 0,
    routes: { [SLACK_EVENTS_PATH]: slackFront.requestListener!, [TEAMS_MESSAGES_PATH]: teamsFront.requestListener },
  });
  sender = slack.sender(server);
  teamsSender = teams.sender(server);
  for (const user of [TeamsPeople.ada, TeamsPeople.lead, TeamsPeople.lead2, TeamsPeople.admin])
    await teamsSender.install(user, personalConversation(user));
  ({ stop: stopWorker } = await stack.startWorker());
  await collected();
});

after(async () => {
  await stopWorker?.();
  await server?.close();
  await slackFront?.stop();
  await unusedSlackFront?.stop();
  await teamsFront?.stop();
  await stack?.close();
  await slack?.fake.stop();
  await teams?.connector.stop();
});

/**
 * aws-prod as collected today: Ada's role (the principal the policy maps her to) holds IAM writes it never
 * used; `deployer` is someone else's role, with the same document but used.
 */
async function collected(): Promise<void> {
  const now = Date.now();
  const window = { from: new Date(now - 90 * DAY).toISOString(), to: new Date(now).toISOString() };
  const yesterday = new Date(now - DAY).toISOString().slice(0, 10);
  ada = awsIdentity(SYSTEM, ACCOUNT_ID, APP_ROLE, 'aws-iam-role', 'workload');
  deployer = awsIdentity(SYSTEM, ACCOUNT_ID, 'deployer', 'aws-iam-role', 'workload');
  const s3Read = awsDocument('S3Read', [{ action: 's3:GetObject' }]);
  const iamWrite = awsDocument('IamWrite', [
    { action: 'iam:CreatePolicyVersion', accessLevels: ['Permissions management'] },
    { action: 'iam:PutRolePolicy', accessLevels: ['Permissions management'] },
    { action: 'ec2:RunInstances', accessLevels: ['Write'] },
    { action: 'iam:PassRole', accessLevels: ['Write'] },
  ]);
  const runId = 'findings-chat-1';
  await writeSnapshot(stack.store, {
    runId,
    systemId: SYSTEM,
    window,
    identities: [ada, deployer],
    documents: [s3Read, iamWrite],
    paths: [
      grantPath(ada, s3Read.document.id),
      grantPath(ada, iamWrite.document.id),
      grantPath(deployer, iamWrite.document.id),
    ],
    usage: [usedOn(ada, 's3:GetObject', yesterday), usedOn(deployer, 'ec2:RunInstances', yesterday)],
    coverage: [cloudTrailCoverage(SYSTEM, new Date(now - 91 * DAY).toISOString(), window.to)],
  });
  const outcome = await assessSnapshot(
    { inventory: stack.store.inventory, findings: stack.store.findings, policy: () => stack.policy },
    SYSTEM,
    runId,
  );
  assert.equal(outcome.status, 'assessed');
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
  return rows.some((r) => r.action === action && r.actor === actor && about(r.detail));
}

const target = (who: Identity) => JSON.stringify({ systemId: SYSTEM, identityId: who.id });

function suppressValues(reason: string | null, days: string) {
  return {
    [SlackBlock.SuppressReason]: { [SlackAction.SuppressReasonInput]: { type: 'plain_text_input', value: reason } },
    [SlackBlock.SuppressDays]: {
      [SlackAction.SuppressDaysInput]: {
        type: 'static_select',
        selected_option: { value: days, text: { type: 'plain_text', text: `${days} days` } },
      },
    },
  };
}

describe('findings in Slack', () => {
  it('a security admin sees the summary: the index, counts, top identities and their buttons', async () => {
    const reply = await answered(await sender.command(SlackUser.admin, 'findings'), /Findings/);
    const words = textOf(JSON.parse(reply));
    assert.match(words, /`aws-prod` \(AWS\) · PCI/);
    assert.match(words, /payments-operator/);
    assert.match(words, /over-provisioned|risky permissions/);
    const buttons = buttonsIn(JSON.parse(reply));
    assert.ok(buttons.some((b) => b.action_id === SlackAction.FindingsShowIdentity && b.value === target(ada)));
    assert.ok(buttons.some((b) => b.action_id === SlackAction.FindingsSuppress));
  });

  it('Show identity answers with the card; the requester may see her own', async () => {
    const shown = await sender.blockAction(SlackUser.admin, {
      action_id: SlackAction.FindingsShowIdentity,
      value: target(deployer),
    });
    const card = textOf(JSON.parse(await answered(shown, /Identity findings/)));
    assert.match(card, /\*deployer\* on `aws-prod`/);
    assert.match(card, /`iam`: 3 granted · 0 used/);

    const own = textOf(JSON.parse(await answered(await sender.command(SlackUser.ada, `findings ${APP_ROLE}`), /PCI/)));
    assert.match(own, /\*payments-operator\* on `aws-prod`/);
    assert.match(own, /`s3`: 1 granted · 1 used/);
  });

  it('a requester is refused a look at another person’s identity, and the refusal is audited', async () => {
    const refused = await answered(await sender.command(SlackUser.ada, 'findings deployer'), /not yours/);
    assert.doesNotMatch(refused, /iam:CreatePolicyVersion/);
    assert.ok(
      await audited(AuditAction.FindingsViewRefused, REQUESTER, (d) => d.identity === 'deployer'),
      'the refused look is in the audit log',
    );
    const summary = textOf(JSON.parse(await answered(await sender.command(SlackUser.ada, 'findings'), /Findings/)));
    assert.doesNotMatch(summary, /deployer/, 'the summary shows her no system she may not see');
  });

  it('hostile identity text is escaped in the answer', async () => {
    const reply = await answered(await sender.command(SlackUser.ada, `findings ${HOSTILE}`), /not yours/);
    const words = textOf(JSON.parse(reply));
    assert.doesNotMatch(words, /<!channel>|<@ULEAD001>/);
    assert.match(words, /&lt;!channel&gt;/);
  });

  it('suppression needs authority: an approver is refused, the owner suppresses; both audited', async () => {
    // The approver is told before typing a reason.
    const early = await sender.blockAction(SlackUser.lead, {
      action_id: SlackAction.FindingsSuppress,
      value: target(deployer),
    });
    await answered(early, /may not suppress/);
    assert.ok(await audited(AuditAction.FindingsSuppressRefused, LEAD, (d) => d.identity === deployer.id));
    // A submission the approver forges anyway is refused by the client, and audited there too.
    const metadata = JSON.stringify({ systemId: SYSTEM, identityId: deployer.id, channelId: 'C0GENERAL' });
    const forged = await sender.viewSubmission(SlackUser.lead, {
      callback_id: SlackView.SuppressFindings,
      private_metadata: metadata,
      state: { values: suppressValues('it is fine', '30') },
    });
    assert.equal(forged.status, 200);
    await slack.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === SlackUser.lead && /may not suppress/.test(textOf(c.args)),
    );
    assert.ok(
      await audited(
        AuditAction.FindingsSuppressRefused,
        LEAD,
        (d) => d.platform === undefined && d.code === 'FINDINGS.SUPPRESS_REFUSED' && d.system === SYSTEM,
      ),
      'the client audits the forged submission itself',
    );

    // The owner opens the form from the button, is told what is missing, then suppresses for 90 days.
    const opened = await sender.blockAction(
      SlackUser.lead2,
      { action_id: SlackAction.FindingsSuppress, value: target(deployer) },
      { triggerId: 'trigger-suppress' },
    );
    assert.equal(opened.status, 200);
    const form = await slack.fake.waitFor('views.open', (c) => c.args.trigger_id === 'trigger-suppress');
    const view = form.args.view as { callback_id: string; private_metadata: string };
    assert.equal(view.callback_id, SlackView.SuppressFindings);
    assert.match(textOf(view), /every finding of \*deployer\*/);
    const empty = await sender.viewSubmission(SlackUser.lead2, {
      callback_id: SlackView.SuppressFindings,
      private_metadata: view.private_metadata,
      state: { values: suppressValues(null, '90') },
    });
    assert.equal((empty.json as { response_action?: string }).response_action, 'errors');
    const done = await sender.viewSubmission(SlackUser.lead2, {
      callback_id: SlackView.SuppressFindings,
      private_metadata: view.private_metadata,
      state: { values: suppressValues('CI role, reviewed with security', '90') },
    });
    assert.equal(done.status, 200);
    assert.equal((done.json as { response_action?: string } | undefined)?.response_action, undefined);
    const told = await slack.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === SlackUser.lead2 && /Suppressed/.test(textOf(c.args)),
    );
    assert.match(textOf(told.args), /CI role, reviewed with security/);
    assert.ok(
      await audited(AuditAction.FindingsSuppressed, LEAD2, (d) => d.identity === deployer.id && d.reason !== undefined),
    );
    const card = textOf(JSON.parse(await answered(await sender.command(SlackUser.lead2, 'findings deployer'), /PCI/)));
    assert.match(card, /suppressed/);
  });

  it('App Home has a Findings section for those who see a system, none for the others', async () => {
    await sender.event({ type: 'app_home_opened', user: SlackUser.admin, tab: 'home', channel: 'DADMIN' });
    await waitUntil(() => slack.fake.homeOf(SlackUser.admin) !== undefined, 'the admin’s Home');
    assert.match(textOf(slack.fake.homeOf(SlackUser.admin)), /Findings[\s\S]*`aws-prod` \(AWS\) · PCI/);
    await sender.event({ type: 'app_home_opened', user: SlackUser.ada, tab: 'home', channel: 'DADA' });
    await waitUntil(() => slack.fake.homeOf(SlackUser.ada) !== undefined, 'Ada’s Home');
    assert.doesNotMatch(textOf(slack.fake.homeOf(SlackUser.ada)), /PCI/);
  });
});

describe('findings in Teams', () => {
  const { admin, lead, lead2 } = TeamsPeople;
  const chat = (user: TeamsUser) => personalConversation(user);
  const data = (who: Identity) => ({ systemId: SYSTEM, identityId: who.id });

  it('`findings` answers with the summary card; Show identity with the identity card', async () => {
    await teamsSender.message(admin, chat(admin), 'access findings');
    const summary = await messageIn(
      teams.connector,
      chat(admin).id,
      (m) => /Findings/.test(wordsOf(cardOf(m))) && /payments-operator/.test(wordsOf(cardOf(m))),
      'the findings summary',
    );
    assert.match(wordsOf(cardOf(summary)), /aws-prod/);
    const shown = await teamsSender.execute(admin, chat(admin), {
      verb: TeamsVerb.FindingsShowIdentity,
      data: data(deployer),
    });
    assert.match(wordsOf(invokeCard(shown.body)), /Identity findings[\s\S]*deployer/);
  });

  it('a requester is refused another person’s identity', async () => {
    await teamsSender.message(TeamsPeople.ada, chat(TeamsPeople.ada), `access findings ${HOSTILE}`);
    const refused = await messageIn(
      teams.connector,
      chat(TeamsPeople.ada).id,
      (m) => /not yours/.test(wordsOf(m)),
      'the refusal',
    );
    // Teams markdown escapes with backslashes: no bold, link or code span of the person's making survives.
    assert.match(wordsOf(refused), /\\\*\\\*y\\\*\\\* \\\[z\\\]/);
    assert.doesNotMatch(wordsOf(refused), /(?<!\\)\*\*y|(?<!\\)\[z/);
  });

  it('suppression needs authority: an approver is refused, the owner suppresses through the card', async () => {
    const early = await teamsSender.execute(lead, chat(lead), {
      verb: TeamsVerb.FindingsSuppress,
      data: data(deployer),
    });
    assert.match(wordsOf(early.body), /may not suppress/);
    const forged = await teamsSender.execute(lead, chat(lead), {
      verb: TeamsVerb.FindingsSuppressSubmit,
      data: data(deployer),
      inputs: { [TeamsInput.SuppressReason]: 'fine', [TeamsInput.SuppressDays]: '30' },
    });
    assert.match(wordsOf(forged.body), /may not suppress/);
    assert.ok(await audited(AuditAction.FindingsSuppressRefused, LEAD, (d) => d.platform === 'teams'));

    const form = invokeCard(
      (await teamsSender.execute(lead2, chat(lead2), { verb: TeamsVerb.FindingsSuppress, data: data(deployer) })).body,
    );
    assert.match(wordsOf(form), /Suppress findings/);
    const missing = await teamsSender.execute(lead2, chat(lead2), {
      verb: TeamsVerb.FindingsSuppressSubmit,
      data: data(deployer),
      inputs: { [TeamsInput.SuppressReason]: '  ', [TeamsInput.SuppressDays]: '30' },
    });
    assert.match(wordsOf(invokeCard(missing.body)), /Say why/);
    const done = await teamsSender.execute(lead2, chat(lead2), {
      verb: TeamsVerb.FindingsSuppressSubmit,
      data: data(deployer),
      inputs: { [TeamsInput.SuppressReason]: 'batch role, reviewed', [TeamsInput.SuppressDays]: '30' },
    });
    assert.match(wordsOf(invokeCard(done.body)), /Suppressed[\s\S]*batch role, reviewed/);
    assert.ok(await audited(AuditAction.FindingsSuppressed, LEAD2, (d) => d.reason === 'batch role, reviewed'));
  });
});

describe('the approver’s card', () => {
  it('shows the requester’s PCI and open findings on the system, in Slack and in Teams', async () => {
    const requestId = await submitRequest(stack, { requester: REQUESTER, entitlementId: 'prod-read-only' });
    let posted: string | undefined;
    await waitUntil(() => {
      posted = slack.fake
        .messagesIn(APPROVAL_CHANNEL)
        .map((m) => JSON.stringify(m.blocks ?? ''))
        .find((blocks) => blocks.includes(requestId));
      return posted !== undefined;
    }, `the Slack approval card for ${requestId}`);
    const slackCard = textOf(JSON.parse(posted!));
    assert.match(slackCard, /Requester’s PCI\* on `aws-prod`: [🟢🟠🔴] \d+/u);
    assert.match(slackCard, /\d+ open findings?\n• /, 'her open findings are listed');
    const lead = TeamsPeople.lead;
    const teamsCard = await messageIn(
      teams.connector,
      personalConversation(lead).id,
      (m) => wordsOf(cardOf(m)).includes(requestId),
      `the Teams approval card for ${requestId}`,
    );
    assert.match(wordsOf(cardOf(teamsCard)), /Requester’s PCI\*\* on \*\*aws-prod\*\*/);
    // The approver's own (refreshed) card keeps it.
    const refreshed = await teamsSender.refresh(
      lead,
      personalConversation(lead),
      { verb: TeamsVerb.Refresh, data: { requestId } },
      teamsCard.id!,
    );
    assert.match(wordsOf(invokeCard(refreshed.body)), /Requester’s PCI/);
    await stack.access.end(requestId, REQUESTER, 'test over').catch(() => undefined);
  });

  it('says so when the requester holds no identity of their own there', async () => {
    const view = await requesterFindings(stack.store, () => stack.policy)('aws-prod', ADMIN);
    assert.equal(view?.unavailable, 'the requester holds no identity there in the current inventory');
  });
});
