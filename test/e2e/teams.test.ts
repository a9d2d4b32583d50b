import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, APP_ROLE } from '../support/fakes/aws-fixtures';
import { waitUntil } from '../support/checks/assertions';
import { ADMIN, LEAD, LEAD2, REQUESTER, STRANGER } from '../support/stacks/stack';
import { TeamsInput, TeamsVerb } from '../../bot/render/teams/ids';
import { ONCALL, TEAMS_CHANNEL, TeamsPeople, startTeamsStack, type TeamsStack } from '../support/stacks/teams-stack';
import {
  channelConversation,
  forgedBotFrameworkToken,
  inThread,
  TeamsSender,
} from '../support/generators/teams-requests';
import { startBotServer, type BotServer } from '../../app/bot-server';
import { createTeamsFrontEnd } from '../../bot/teams/app';
import { TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import {
  cardOf,
  executeActionsIn,
  invokeCard,
  invokeMessage,
  messageIn,
  refreshUserIdsOf,
  wordsOf,
} from '../support/checks/teams-cards';
import type { TeamsUser } from '../support/generators/teams-requests';
import type { RequestState } from '../../domain/request';

/**
 * Teams end to end: activities POSTed to /api/messages as Teams sends them, into the real Agents
 * SDK adapter; replies and proactive messages captured by a local fake Bot Connector; real Temporal
 * (time-skipping), PostgreSQL and moto underneath.
 */

let t: TeamsStack;
let stopWorker: () => Promise<void>;
const { ada, lead, lead2, stranger } = TeamsPeople;

before(async () => {
  t = await startTeamsStack('time-skipping');
  ({ stop: stopWorker } = await t.stack.startWorker());
  await t.install(ada, lead, lead2, TeamsPeople.admin, stranger);
});

after(async () => {
  await stopWorker?.();
  await t?.close();
});

const REQUEST_ID = /r-[a-z0-9]{10}/;
const result = (requestId: string): Promise<RequestState> =>
  t.stack.env.client.workflow.getHandle(requestId).result() as Promise<RequestState>;
const chatId = (user: TeamsUser): string => t.chat(user).id;

async function assignments(): Promise<string[]> {
  const listed = await t.stack.aws.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: t.stack.account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: t.stack.account.readOnlyPermissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((a) => a.PrincipalId!);
}

async function inlinePolicies(): Promise<string[]> {
  const names = (await t.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }))).PolicyNames ?? [];
  return names.filter((name) => name.startsWith('least-'));
}

/** Submits the request form as `user` would after filling it in; returns the request id shown. */
async function submitForm(user: TeamsUser, inputs: Record<string, string>, formActivityId?: string): Promise<string> {
  const answer = await t.sender.execute(user, t.chat(user), { verb: TeamsVerb.SubmitRequest, inputs }, formActivityId);
  assert.equal(answer.status, 200);
  const id = REQUEST_ID.exec(wordsOf(invokeCard(answer.body)))?.[0];
  assert.ok(id, `the submitted card shows the request id: ${wordsOf(invokeCard(answer.body)).slice(0, 300)}`);
  return id;
}

/** The approval card posted in a person's chat for a request. */
function approvalCardFor(user: TeamsUser, requestId: string) {
  return messageIn(
    t.connector,
    chatId(user),
    (m) =>
      executeActionsIn(cardOf(m)).length === 0 &&
      refreshUserIdsOf(cardOf(m)) !== undefined &&
      wordsOf(cardOf(m)).includes(requestId),
    `an approval card for ${requestId}`,
  );
}

describe('Teams: request card → approver card → approve → grant → revoke', () => {
  it('walks the whole flow by card, with proactive messages to the approver and the requester', async () => {
    // `access request` in the personal chat answers with the request card.
    const asked = await t.sender.message(ada, t.chat(ada), 'access request');
    assert.equal(asked.status, 200);
    const form = await messageIn(
      t.connector,
      chatId(ada),
      (m) => executeActionsIn(cardOf(m)).some((a) => a.verb === TeamsVerb.SubmitRequest),
      'the request card',
    );
    assert.match(wordsOf(cardOf(form)), /Read-only in production/);

    const id = await submitForm(
      ada,
      {
        [TeamsInput.Entitlement]: 'prod-read-only',
        [TeamsInput.Duration]: '1h',
        [TeamsInput.Reason]: 'investigate INC-42',
      },
      form.id,
    );

    // The approver gets a card in their chat: the shared version has no buttons, and refreshes for approvers.
    const card = await approvalCardFor(lead, id);
    assert.deepEqual(refreshUserIdsOf(cardOf(card)), [lead.id]);
    assert.match(wordsOf(cardOf(card)), /investigate INC-42/);
    assert.ok(
      !t.connector.messagesIn(chatId(stranger)).some((m) => wordsOf(m).includes(id)),
      'no card for people who are not approvers',
    );

    // Opened by the approver, the card refreshes into the version with Approve and Deny.
    const refreshed = await t.sender.refresh(
      lead,
      t.chat(lead),
      { verb: TeamsVerb.Refresh, data: { requestId: id } },
      card.id,
    );
    assert.deepEqual(
      executeActionsIn(invokeCard(refreshed.body))
        .map((a) => a.verb)
        .sort(),
      [TeamsVerb.Approve, TeamsVerb.Deny].sort(),
    );
    // Anyone else who opens it sees the status only.
    const seenByOther = await t.sender.refresh(
      stranger,
      t.chat(lead),
      { verb: TeamsVerb.Refresh, data: { requestId: id } },
      card.id,
    );
    assert.deepEqual(executeActionsIn(invokeCard(seenByOther.body)), []);

    const approved = await t.sender.execute(
      lead,
      t.chat(lead),
      { verb: TeamsVerb.Approve, data: { requestId: id } },
      card.id,
    );
    assert.equal(approved.status, 200);
    assert.deepEqual(executeActionsIn(invokeCard(approved.body)), [], 'the approver sees the outcome, no buttons');
    await t.stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignments(), [t.stack.account.ada.userId]);

    // The posted card refreshed for everyone: who decided, no refresh any more.
    await waitUntil(() => {
      const now = t.connector.messagesIn(chatId(lead)).find((m) => m.id === card.id);
      return now !== undefined && refreshUserIdsOf(cardOf(now)) === undefined && wordsOf(cardOf(now)).includes(LEAD);
    }, 'the approval card shows the decision to everyone');

    // The requester is told proactively: approved, then granted with how to use it.
    await messageIn(
      t.connector,
      chatId(ada),
      (m) => /approved/i.test(wordsOf(m)) && wordsOf(m).includes(LEAD),
      'the approved message',
    );
    await messageIn(
      t.connector,
      chatId(ada),
      (m) => /access portal|awsapps/i.test(wordsOf(m)),
      'the granted message with the portal',
    );

    const final = await result(id); // time skips to the end of the hour
    assert.equal(final.status, 'revoked');
    assert.deepEqual(await assignments(), []);
    await messageIn(
      t.connector,
      chatId(ada),
      (m) => wordsOf(m).includes(final.revocationReceipt!.slice(0, 20)),
      'the revoked message with the receipt',
    );
    const warned = t.connector
      .messagesIn(chatId(ada))
      .find((m) => executeActionsIn(cardOf(m)).some((a) => a.verb === TeamsVerb.Extend));
    assert.ok(warned, 'the expiry warning offered Extend');

    const actions = (await t.stack.store.auditFor(id)).map((row) => row.action);
    assert.deepEqual(actions, [
      'request.submitted',
      'approval.approved',
      'request.approved',
      'grant.applied',
      'grant.revoked',
    ]);
    const stored = await t.stack.store.getRequest(id);
    assert.equal(stored?.state.request.origin.platform, 'teams');
    assert.equal(REQUESTER, final.request.requester);
  });
});

describe('Teams: refusals are shown on the card, audited, and grant nothing', () => {
  it('self-approval, a stranger, a double approval and a stale card', async () => {
    const id = await submitForm(ada, {
      [TeamsInput.Entitlement]: 'payments-logs',
      [TeamsInput.Duration]: '30m',
      [TeamsInput.Reason]: 'check refunds',
    });
    const card = await approvalCardFor(lead, id);

    const self = await t.sender.execute(
      ada,
      t.chat(ada),
      { verb: TeamsVerb.Approve, data: { requestId: id } },
      card.id,
    );
    assert.match(wordsOf(invokeCard(self.body)), /own request/i);
    const strange = await t.sender.execute(
      stranger,
      t.chat(stranger),
      { verb: TeamsVerb.Approve, data: { requestId: id } },
      card.id,
    );
    assert.match(wordsOf(invokeCard(strange.body)), /not an approver|may not|cannot/i);
    const denyWithout = await t.sender.execute(
      lead,
      t.chat(lead),
      { verb: TeamsVerb.Deny, data: { requestId: id }, inputs: { [TeamsInput.Comment]: '  ' } },
      card.id,
    );
    assert.match(wordsOf(invokeCard(denyWithout.body)), /why/i);
    assert.equal((await t.stack.access.status(id)).ok && (await t.stack.access.status(id)).ok, true);

    // Two approvers of `leads` click at once, one twice: one decision each, one grant.
    const clicks = await Promise.all([
      t.sender.execute(lead, t.chat(lead), { verb: TeamsVerb.Approve, data: { requestId: id } }, card.id),
      t.sender.execute(lead, t.chat(lead), { verb: TeamsVerb.Approve, data: { requestId: id } }, card.id),
    ]);
    assert.deepEqual(
      clicks.map((c) => c.status),
      [200, 200],
    );
    await t.stack.waitForStatus(id, 'active');
    assert.equal((await inlinePolicies()).length, 1);
    const state = await t.stack.waitForStatus(id, 'active');
    assert.equal(state.decisions.filter((d) => d.verdict === 'approve').length, 1);

    // The card is stale now: a late click is explained and changes nothing.
    const late = await t.sender.execute(
      lead2,
      t.chat(lead2),
      { verb: TeamsVerb.Deny, data: { requestId: id }, inputs: { [TeamsInput.Comment]: 'too late' } },
      card.id,
    );
    assert.match(wordsOf(invokeCard(late.body)), /already|no longer|not pending|active/i);
    assert.equal((await t.stack.waitForStatus(id, 'active')).status, 'active');

    const refusals = (await t.stack.store.auditFor(id)).filter((row) => row.action === 'approval.refused');
    assert.deepEqual(refusals.map((row) => row.actor).sort(), [REQUESTER, LEAD, LEAD2, STRANGER].sort());
    await t.stack.access.end(id, REQUESTER, 'test done');
    assert.equal((await result(id)).status, 'revoked');
  });

  it('malformed commands and unknown people are answered and audited', async () => {
    const garbage = await t.sender.message(ada, t.chat(ada), 'access frobnicate <!channel> [x](https://evil.example)');
    assert.equal(garbage.status, 200);
    await messageIn(t.connector, chatId(ada), (m) => /do not know/i.test(wordsOf(m)), 'the usage answer');

    await t.sender.install(TeamsPeople.nomail, t.chat(TeamsPeople.nomail));
    await t.sender.message(TeamsPeople.nomail, t.chat(TeamsPeople.nomail), 'request prod-read-only 1h look');
    await messageIn(
      t.connector,
      chatId(TeamsPeople.nomail),
      (m) => /e-mail/i.test(wordsOf(m)),
      'the unknown identity answer',
    );

    const audit = (await t.stack.store.auditFor(undefined, 100)).map((row) => row.action);
    assert.ok(audit.includes('command.malformed'));
    assert.ok(audit.includes('identity.unknown'));
  });
});

describe('Teams: channels', () => {
  it("a channel learns its id on install, gets the entitlement's cards, and takes no requests", async () => {
    const channel = channelConversation({ teamId: TEAMS_CHANNEL, teamName: 'Platform', channelName: 'General' });
    await t.sender.install(lead, channel);
    await messageIn(
      t.connector,
      TEAMS_CHANNEL,
      (m) => wordsOf(m).includes(TEAMS_CHANNEL),
      'the welcome names the channel id for the policy',
    );

    const listed = await t.sender.message(ada, channel, 'list');
    assert.equal(listed.status, 200);
    await messageIn(
      t.connector,
      TEAMS_CHANNEL,
      (m) => /personal chat/i.test(wordsOf(m)),
      'the channel is told to use a personal chat',
    );
    assert.ok((await t.stack.store.auditFor(undefined, 50)).some((row) => row.action === 'command.refused'));

    const id = await submitForm(ada, {
      [TeamsInput.Entitlement]: 'payments-logs',
      [TeamsInput.Duration]: '30m',
      [TeamsInput.Reason]: 'refund audit',
    });
    const posted = await messageIn(
      t.connector,
      TEAMS_CHANNEL,
      (m) => wordsOf(cardOf(m)).includes(id),
      'the card in the channel',
    );
    assert.deepEqual(
      refreshUserIdsOf(cardOf(posted))?.sort(),
      [lead.id, lead2.id].sort(),
      'both leads see buttons, the channel sees status',
    );
    await t.sender.execute(
      lead2,
      inThread(channel, posted.id),
      {
        verb: TeamsVerb.Deny,
        data: { requestId: id },
        inputs: { [TeamsInput.Comment]: 'use the refunds report instead' },
      },
      posted.id,
    );
    assert.equal((await result(id)).status, 'denied');
    await waitUntil(() => {
      const now = t.connector.messagesIn(TEAMS_CHANNEL).find((m) => m.id === posted.id);
      return (
        now !== undefined &&
        refreshUserIdsOf(cardOf(now)) === undefined &&
        wordsOf(cardOf(now)).includes('use the refunds report instead')
      );
    }, 'the channel card shows the denial and its reason');
    await messageIn(
      t.connector,
      chatId(ada),
      (m) => wordsOf(m).includes('use the refunds report instead'),
      'the requester reads the reason',
    );
  });
});

describe('Teams: authentication', () => {
  const APP_ID = '3f2a9c4e-1b7d-4e8a-9c6f-2d5b8e1a7c30';
  let server: BotServer;
  let url: string;

  before(async () => {
    const frontEnd = createTeamsFrontEnd({
      appId: APP_ID,
      appPassword: 'plainly-fake-secret',
      access: t.stack.access,
      policy: () => t.stack.policy,
      conversations: t.stack.store,
    });
    assert.equal(frontEnd.anonymous, false);
    server = await startBotServer({ port: 0, routes: { [TEAMS_MESSAGES_PATH]: frontEnd.requestListener } });
    url = `${server.url}${TEAMS_MESSAGES_PATH}`;
  });
  after(async () => {
    await server?.close();
  });

  it('with an app id, activities without a valid Bot Framework token get 401 and reach nothing', async () => {
    const calls = t.connector.calls.length;
    const requests = (await t.stack.store.listRequests({ requester: REQUESTER, limit: 100 })).length;
    const unsigned = new TeamsSender({ botUrl: url, serviceUrl: t.connector.url, botId: APP_ID });
    const forged = new TeamsSender({
      botUrl: url,
      serviceUrl: t.connector.url,
      botId: APP_ID,
      token: forgedBotFrameworkToken({ appId: APP_ID, serviceUrl: t.connector.url }),
    });

    assert.equal((await unsigned.message(ada, t.chat(ada), 'request prod-read-only 1h no token')).status, 401);
    assert.equal((await forged.message(ada, t.chat(ada), 'request prod-read-only 1h forged token')).status, 401);
    assert.equal(
      (await forged.execute(lead, t.chat(lead), { verb: TeamsVerb.Approve, data: { requestId: 'r-aaaaaaaaaa' } }))
        .status,
      401,
    );
    assert.equal(
      (await unsigned.message(ada, t.chat(ada), 'list', { rawHeaders: { authorization: 'Basic YWRhOmFkYQ==' } }))
        .status,
      401,
    );

    assert.equal(t.connector.calls.length, calls, 'the bot said nothing to anyone');
    assert.equal(
      (await t.stack.store.listRequests({ requester: REQUESTER, limit: 100 })).length,
      requests,
      'nothing was requested',
    );
    await waitUntil(
      async () => (await t.stack.store.auditFor(undefined, 100)).some((row) => row.action === 'teams.request.rejected'),
      'the rejection is audited',
    );
  });
});

describe('Teams: the requester acts on their grant', () => {
  it('Extend on the status card lengthens the grant; End now revokes it at once', async () => {
    const id = await submitForm(ada, {
      [TeamsInput.Entitlement]: 'prod-read-only',
      [TeamsInput.Duration]: '1h',
      [TeamsInput.Reason]: 'extend me',
    });
    const card = await approvalCardFor(lead, id);
    await t.sender.execute(lead, t.chat(lead), { verb: TeamsVerb.Approve, data: { requestId: id } }, card.id);
    const active = await t.stack.waitForStatus(id, 'active');

    const extended = await t.sender.execute(ada, t.chat(ada), {
      verb: TeamsVerb.Extend,
      data: { requestId: id, duration: '30m' },
    });
    const shown = invokeCard(extended.body);
    assert.ok(
      executeActionsIn(shown).some((a) => a.verb === TeamsVerb.EndNow),
      'the status card offers End now',
    );
    const after = await t.stack.waitForStatus(id, 'active');
    assert.equal(Date.parse(after.expiresAt!) - Date.parse(active.expiresAt!), 30 * 60_000);

    const stranger = await t.sender.execute(TeamsPeople.stranger, t.chat(TeamsPeople.stranger), {
      verb: TeamsVerb.EndNow,
      data: { requestId: id },
    });
    assert.match(invokeMessage(stranger.body), /not|only/i, 'someone else cannot end it');
    const ended = await t.sender.execute(ada, t.chat(ada), { verb: TeamsVerb.EndNow, data: { requestId: id } });
    assert.equal(ended.status, 200);
    assert.equal((await result(id)).status, 'revoked');
    assert.deepEqual(await assignments(), []);
  });

  it('a person mapped in the policy by Entra object id is known without an e-mail in Teams', async () => {
    const oncall = TeamsPeople.oncall;
    await t.sender.install(oncall, t.chat(oncall));
    await t.sender.message(oncall, t.chat(oncall), 'break-glass payments-logs 30m prod is down INC-9');
    await messageIn(
      t.connector,
      chatId(oncall),
      (m) => REQUEST_ID.test(wordsOf(m)),
      'the break-glass request is accepted',
    );
    let latest: Awaited<ReturnType<typeof t.stack.store.listRequests>>[number] | undefined;
    await waitUntil(async () => {
      [latest] = await t.stack.store.listRequests({ requester: ONCALL, limit: 1 });
      return latest !== undefined;
    }, 'the request is recorded');
    assert.equal(latest?.state.request.breakGlass, true);
    assert.equal(latest?.state.request.origin.userId, oncall.aadObjectId);
    await t.stack.waitForStatus(latest!.requestId, 'active');
    await t.stack.access.end(latest!.requestId, ONCALL, 'test done');
  });

  it('hostile text on the form is escaped on the approver card; oversized text is refused; nothing crashes', async () => {
    const hostile = '<at>everyone</at> [reset your password](https://evil.example) **now** \u202Eevil';
    const id = await submitForm(ada, {
      [TeamsInput.Entitlement]: 'prod-read-only',
      [TeamsInput.Duration]: '1h',
      [TeamsInput.Reason]: hostile,
    });
    const card = await approvalCardFor(lead, id);
    const words = wordsOf(cardOf(card));
    assert.ok(!words.includes('[reset your password](https://evil.example)'), 'no link made of the reason');
    assert.ok(!words.includes('<at>everyone</at>'), 'no mention made of the reason');
    assert.ok(!words.includes('\u202E'), 'no bidi override');

    const huge = await t.sender.execute(ada, t.chat(ada), {
      verb: TeamsVerb.SubmitRequest,
      inputs: {
        [TeamsInput.Entitlement]: 'payments-logs',
        [TeamsInput.Duration]: '1h',
        [TeamsInput.Reason]: 'x'.repeat(10_000),
      },
    });
    assert.equal(huge.status, 200);
    assert.match(
      wordsOf(invokeCard(huge.body)),
      /Keep the reason under 1000 characters/,
      'the form comes back saying what is wrong',
    );
    const unknown = await t.sender.execute(ada, t.chat(ada), {
      verb: TeamsVerb.SubmitRequest,
      inputs: { [TeamsInput.Entitlement]: 'root-of-everything', [TeamsInput.Duration]: '1h', [TeamsInput.Reason]: 'x' },
    });
    assert.match(wordsOf(invokeCard(unknown.body)), /Choose an entitlement/);
    const tooLong = await t.sender.execute(ada, t.chat(ada), {
      verb: TeamsVerb.SubmitRequest,
      inputs: { [TeamsInput.Entitlement]: 'payments-logs', [TeamsInput.Duration]: '30d', [TeamsInput.Reason]: 'x' },
    });
    assert.match(wordsOf(invokeCard(tooLong.body)), /at most 4h; you asked for 30d/);
    const unknownVerb = await t.sender.execute(ada, t.chat(ada), { verb: 'no.such.verb', data: { requestId: id } });
    assert.equal((unknownVerb.body as { statusCode: number }).statusCode, 400);
    const noAction = await t.sender.send({ ...unknownVerb.activity, id: 'f:not-an-action', value: 'not an action' });
    assert.equal((noAction.body as { statusCode: number }).statusCode, 400);
    assert.equal(
      (await t.stack.store.listRequests({ requester: REQUESTER, statuses: ['pending', 'approved', 'active'] })).length,
      1,
      'only the hostile-but-valid request exists',
    );
    await t.stack.access.end(id, REQUESTER, 'test done');
    assert.equal((await result(id)).status, 'cancelled');
  });
});

describe('Teams: install and remove', () => {
  it('removing the app forgets the conversation, so no later card is posted where it cannot arrive', async () => {
    const admin = TeamsPeople.admin;
    assert.ok(await t.stack.store.teamsConversationOf(ADMIN), 'installed in before()');
    const removed = await t.sender.uninstall(admin, t.chat(admin));
    assert.equal(removed.status, 200);
    assert.equal(await t.stack.store.teamsConversationOf(ADMIN), undefined);
    await t.sender.install(admin, t.chat(admin));
    assert.ok(await t.stack.store.teamsConversationOf(ADMIN), 'installing again brings it back');
  });
});
