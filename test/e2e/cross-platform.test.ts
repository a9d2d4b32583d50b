import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListAccountAssignmentsCommand } from '@aws-sdk/client-sso-admin';
import { ACCOUNT_ID } from '../support/fakes/aws-fixtures';
import { waitUntil } from '../support/checks/assertions';
import { startChatStack, type ChatStack } from '../support/stacks/chat-stack';
import { LEAD, REQUESTER } from '../support/stacks/stack';
import { APPROVAL_CHANNEL, buttonsIn, SlackUser, textOf } from '../support/stacks/slack-stack';
import { TeamsPeople } from '../support/stacks/teams-stack';
import { personalConversation } from '../support/generators/teams-requests';
import { cardOf, executeActionsIn, messageIn, refreshUserIdsOf, wordsOf } from '../support/checks/teams-cards';
import { SlackAction } from '../../bot/render/slack/ids';
import { TeamsVerb } from '../../bot/render/teams/ids';
import type { RequestState } from '../../domain/request';

/**
 * One company on both platforms: a request made in Teams is approved in Slack and the other way
 * round; the cards on both platforms show the outcome, and the requester hears back where they asked.
 */

let c: ChatStack;
let stopWorker: () => Promise<void>;
const { ada, lead } = TeamsPeople;
const adaChat = personalConversation(ada);
const leadChat = personalConversation(lead);

before(async () => {
  c = await startChatStack('time-skipping');
  ({ stop: stopWorker } = await c.stack.startWorker());
  await c.teams.install(ada, lead);
});

after(async () => {
  await stopWorker?.();
  await c?.close();
});

const result = (requestId: string): Promise<RequestState> =>
  c.stack.env.client.workflow.getHandle(requestId).result() as Promise<RequestState>;

async function assignments(): Promise<string[]> {
  const listed = await c.stack.aws.ssoAdmin.send(
    new ListAccountAssignmentsCommand({
      InstanceArn: c.stack.account.instanceArn,
      AccountId: ACCOUNT_ID,
      PermissionSetArn: c.stack.account.readOnlyPermissionSetArn,
    }),
  );
  return (listed.AccountAssignments ?? []).map((a) => a.PrincipalId!);
}

/** The newest request Ada made, once the workflow has recorded it. */
async function newestRequest(after: string[]): Promise<string> {
  let id: string | undefined;
  await waitUntil(async () => {
    const records = await c.stack.store.listRequests({ requester: REQUESTER, limit: 5 });
    id = records.map((r) => r.requestId).find((r) => !after.includes(r));
    return id !== undefined;
  }, 'the request is recorded');
  return id!;
}

function slackCard(requestId: string) {
  return c.slack.fake
    .messagesIn(APPROVAL_CHANNEL)
    .find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? '').includes(requestId));
}

function teamsCard(requestId: string) {
  return messageIn(
    c.teams.connector,
    leadChat.id,
    (m) => refreshUserIdsOf(cardOf(m)) !== undefined && wordsOf(cardOf(m)).includes(requestId),
    `the Teams approval card for ${requestId}`,
  );
}

describe('cross-platform approvals', () => {
  it('a request made in Teams is approved in Slack; both cards show it, the requester hears in Teams', async () => {
    const sent = await c.teams.sender.message(ada, adaChat, 'request prod-read-only 1h cross-platform check');
    assert.equal(sent.status, 200);
    const id = await newestRequest([]);

    await waitUntil(() => slackCard(id) !== undefined, 'the Slack card is posted');
    const teamsPosted = await teamsCard(id);
    const card = slackCard(id)!;
    const clicked = await c.slack.sender.blockAction(
      SlackUser.lead,
      { action_id: SlackAction.Approve, value: id },
      {
        container: { type: 'message', channel_id: APPROVAL_CHANNEL, message_ts: card.ts },
        message: { ts: card.ts },
        channelId: APPROVAL_CHANNEL,
      },
    );
    assert.equal(clicked.status, 200);
    await c.stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignments(), [c.stack.account.ada.userId]);

    await waitUntil(() => {
      const now = slackCard(id);
      return now !== undefined && buttonsIn(now.blocks).length === 0 && textOf(now.blocks).includes(LEAD);
    }, 'the Slack card shows the decision');
    await waitUntil(() => {
      const now = c.teams.connector.messagesIn(leadChat.id).find((m) => m.id === teamsPosted.id);
      return now !== undefined && refreshUserIdsOf(cardOf(now)) === undefined && wordsOf(cardOf(now)).includes(LEAD);
    }, 'the Teams card shows the decision');

    await messageIn(
      c.teams.connector,
      adaChat.id,
      (m) => /access portal|awsapps/i.test(wordsOf(m)),
      'the requester is told in Teams it is granted',
    );
    assert.ok(
      !c.slack.fake
        .callsTo('chat.postMessage')
        .some(
          (call) =>
            String(call.args.channel).startsWith('D') &&
            call.args.thread_ts !== undefined &&
            textOf(call.args).includes(id),
        ),
      'a Teams requester gets no Slack DM thread',
    );
    await c.stack.access.end(id, REQUESTER, 'cross-platform test done');
    assert.equal((await result(id)).status, 'revoked');
    assert.deepEqual(await assignments(), []);
  });

  it('a request made in Slack is approved in Teams; both cards show it, the requester hears in Slack', async () => {
    const before = (await c.stack.store.listRequests({ requester: REQUESTER, limit: 5 })).map((r) => r.requestId);
    const sent = await c.slack.sender.command(SlackUser.ada, 'request prod-read-only 1h approve me from Teams', {
      triggerId: 'trigger-x',
      channelId: 'CDEV',
    });
    assert.equal(sent.status, 200);
    const id = await newestRequest(before);

    const teamsPosted = await teamsCard(id);
    await waitUntil(() => slackCard(id) !== undefined, 'the Slack card is posted');
    const approved = await c.teams.sender.execute(
      lead,
      leadChat,
      { verb: TeamsVerb.Approve, data: { requestId: id } },
      teamsPosted.id,
    );
    assert.equal(approved.status, 200);
    await c.stack.waitForStatus(id, 'active');
    assert.deepEqual(await assignments(), [c.stack.account.ada.userId]);

    await waitUntil(() => {
      const now = c.teams.connector.messagesIn(leadChat.id).find((m) => m.id === teamsPosted.id);
      return (
        now !== undefined &&
        refreshUserIdsOf(cardOf(now)) === undefined &&
        executeActionsIn(cardOf(now)).length === 0 &&
        wordsOf(cardOf(now)).includes(LEAD)
      );
    }, 'the Teams card shows the decision');
    await waitUntil(() => {
      const now = slackCard(id);
      return now !== undefined && buttonsIn(now.blocks).length === 0 && textOf(now.blocks).includes(LEAD);
    }, 'the Slack card shows the decision');

    await c.slack.fake.waitFor(
      'chat.postMessage',
      (call) => call.args.thread_ts !== undefined && /access portal|awsapps/i.test(textOf(call.args)),
    );
    assert.ok(
      !c.teams.connector.messagesIn(adaChat.id).some((m) => wordsOf(m).includes(id)),
      'a Slack requester gets no Teams messages about it',
    );
    await c.stack.access.end(id, REQUESTER, 'cross-platform test done');
    assert.equal((await result(id)).status, 'revoked');
  });
});
