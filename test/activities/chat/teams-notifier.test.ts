import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TeamsNotifier } from '../../../activities/chat/teams-notifier';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import { teamsAdapter } from '../../../bot/teams/adapter';
import type { PgStore } from '../../../activities/store/pg-store';
import { TeamsVerb } from '../../../bot/render/teams/ids';
import { applyDecision, transition, type RequestState } from '../../../domain/request';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { FakeTeamsConnector } from '../../support/fakes/fake-teams';
import { cardOf, executeActionsIn, refreshUserIdsOf, wordsOf } from '../../support/checks/teams-cards';
import {
  channelConversation,
  personalConversation,
  teamsUser,
  type TeamsConversation,
  type TeamsUser,
} from '../../support/generators/teams-requests';
import { pendingRequest } from '../store/fixtures';
import { NOTIFIER_POLICY, PRIYA, REQUESTER, TOM } from './fixtures';

/**
 * The Teams notifier through the real SDK (continueConversation) against the fake Bot Connector and
 * a real PostgreSQL: proactive posts to stored conversations, idempotent retries, in-place updates,
 * and removed apps skipped without silencing the others.
 */

const CHANNEL = '19:accesslog0123@thread.tacv2';
const BOT = { id: '28:00000000-0000-4000-8000-00000000b07a', name: 'Least' };

const people = {
  ada: teamsUser('Ada', { email: REQUESTER }),
  priya: teamsUser('Priya', { email: PRIYA }),
  tom: teamsUser('Tom', { email: TOM }),
};

let connector: FakeTeamsConnector;
let db: TestDatabase;
let store: PgStore;
let notifier: TeamsNotifier;
let sequence = 0;

const policy = NOTIFIER_POLICY;

/** What the bot stores when someone installs it: the reference the SDK would build from Teams' activity. */
async function installed(user: TeamsUser | undefined, conversation: TeamsConversation): Promise<void> {
  await store.saveTeamsConversation({
    kind: conversation.conversationType === 'personal' ? 'personal' : 'channel',
    conversationId: conversation.id,
    ...(user ? { aadObjectId: user.aadObjectId, email: user.email } : {}),
    reference: {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: {
        id: conversation.id,
        conversationType: conversation.conversationType,
        tenantId: conversation.tenantId,
      },
      agent: BOT,
      ...(user ? { user: { id: user.id, name: user.name, aadObjectId: user.aadObjectId } } : {}),
    },
  });
}

before(async () => {
  connector = await FakeTeamsConnector.start();
  ({ db, store } = await freshStore());
  notifier = new TeamsNotifier({
    poster: new AdapterTeamsPoster(teamsAdapter({})),
    store,
    policy: () => policy,
    log: () => undefined,
  });
  for (const user of Object.values(people)) await installed(user, personalConversation(user));
  await installed(undefined, channelConversation({ teamId: CHANNEL }));
});

after(async () => {
  await db?.drop();
  await connector?.stop();
});

beforeEach(() => connector.clear());

async function pending(): Promise<RequestState> {
  const made = pendingRequest({
    requestId: `r-teams${String(++sequence).padStart(5, '0')}`,
    requester: REQUESTER,
    submittedAt: new Date().toISOString(),
  });
  const state: RequestState = {
    ...made,
    request: { ...made.request, origin: { platform: 'teams', userId: people.ada.aadObjectId } },
    rules: { ...made.rules, notify: [{ platform: 'teams', channel: CHANNEL }] },
  };
  await store.saveRequest(state);
  return state;
}

const chat = (user: TeamsUser) => personalConversation(user).id;
const cardFor = (conversationId: string, requestId: string) =>
  connector
    .messagesIn(conversationId)
    .find((m) => refreshUserIdsOf(cardOf(m)) !== undefined && wordsOf(cardOf(m)).includes(requestId));
const cardPosts = (requestId: string) =>
  connector
    .callsTo('sendToConversation')
    .filter(
      (call) =>
        call.status < 300 &&
        JSON.stringify(call.body).includes(requestId) &&
        JSON.stringify(call.body).includes('"refresh"'),
    );

describe('Teams notifier', () => {
  it('posts one card per approver chat and channel, buttons for approvers only, and a retry posts nothing twice', async () => {
    const state = await pending();
    await notifier.notify({ kind: 'approval-needed', state });
    await notifier.notify({ kind: 'approval-needed', state }); // the activity's retry
    assert.deepEqual(
      cardPosts(state.request.requestId)
        .map((call) => call.conversationId)
        .sort(),
      [CHANNEL, chat(people.priya), chat(people.tom)].sort(),
    );
    const card = cardOf(cardFor(CHANNEL, state.request.requestId));
    assert.deepEqual(refreshUserIdsOf(card)?.sort(), [people.priya.id, people.tom.id].sort());
    assert.deepEqual(executeActionsIn(card), [], 'the shared card has no buttons; approvers get them on refresh');
    assert.equal(
      connector.messagesIn(chat(people.ada)).filter((m) => wordsOf(m).includes(state.request.requestId)).length,
      1,
      'the requester has one status card',
    );
    assert.ok(
      connector.calls.every((call) => call.authorization === undefined),
      'local mode posts without a token',
    );
  });

  it('after a failure half way, the retry delivers only what is missing', async () => {
    const state = await pending();
    connector.failNext('sendToConversation', 500);
    await assert.rejects(notifier.notify({ kind: 'approval-needed', state }));
    await notifier.notify({ kind: 'approval-needed', state });
    assert.equal(cardPosts(state.request.requestId).length, 3);
    assert.equal(connector.callsTo('replyToActivity').length, 0, "no error message was posted into anyone's chat");
  });

  it('throttling fails the activity so Temporal retries it later', async () => {
    const state = await pending();
    connector.failNext(
      'sendToConversation',
      429,
      { error: { code: 'TooManyRequests', message: 'slow down' } },
      { 'retry-after': '1' },
    );
    await assert.rejects(notifier.notify({ kind: 'approval-needed', state }));
  });

  it('a chat where the app was removed (403) is skipped; the others still get their cards', async () => {
    const state = await pending();
    connector.failNext('sendToConversation', 403, {
      error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
    });
    await notifier.notify({ kind: 'approval-needed', state });
    assert.equal(cardPosts(state.request.requestId).length, 2);
  });

  it('a decision updates every card in place for everyone, and the requester reads the reason', async () => {
    let state = await pending();
    await notifier.notify({ kind: 'approval-needed', state });
    const decided = applyDecision(
      state,
      { approver: PRIYA, verdict: 'deny', reason: 'use [the replica](https://evil.example) <at>everyone</at>' },
      new Date().toISOString(),
    );
    state = transition(decided.state, 'denied');
    await store.saveRequest(state);
    await notifier.notify({ kind: 'denied', state });
    for (const conversationId of [CHANNEL, chat(people.priya), chat(people.tom)]) {
      const posted = connector
        .messagesIn(conversationId)
        .find((m) => wordsOf(cardOf(m)).includes(state.request.requestId));
      assert.ok(posted, `a card in ${conversationId}`);
      assert.ok(connector.updatesOf(posted.id).length >= 2, `the card in ${conversationId} was updated`);
      assert.equal(refreshUserIdsOf(cardOf(posted)), undefined, 'a settled card refreshes for nobody');
      assert.deepEqual(executeActionsIn(cardOf(posted)), []);
      assert.match(wordsOf(cardOf(posted)), new RegExp(PRIYA.replace('.', '\\.')));
    }
    const told = connector
      .messagesIn(chat(people.ada))
      .find((m) => /replica/.test(wordsOf(m)) && !wordsOf(m).includes('Waiting'));
    assert.ok(told, 'the requester was told why');
    assert.ok(
      wordsOf(told).includes('\\[the replica\\](https://evil.example)'),
      `no link made of the reason: ${wordsOf(told)}`,
    );
    assert.doesNotMatch(JSON.stringify(told), /<at>everyone<\/at>/, 'no mention made of the reason');
  });

  it('a request made in Slack is followed in Slack: no Teams messages to the requester', async () => {
    const made = await pending();
    const state: RequestState = {
      ...made,
      request: { ...made.request, origin: { platform: 'slack', userId: 'UADA' } },
    };
    await store.saveRequest(state);
    await notifier.notify({ kind: 'approval-needed', state });
    assert.equal(
      connector.messagesIn(chat(people.ada)).filter((m) => wordsOf(m).includes(state.request.requestId)).length,
      0,
    );
    assert.equal(cardPosts(state.request.requestId).length, 3, 'approvers still get Teams cards');
  });

  it('Extend on the expiry warning is offered to the requester', async () => {
    const made = await pending();
    const now = new Date();
    const state: RequestState = {
      ...made,
      status: 'active',
      grantedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 10 * 60_000).toISOString(),
    };
    await store.saveRequest(state);
    await notifier.notify({ kind: 'expiring-soon', state });
    const warning = connector
      .messagesIn(chat(people.ada))
      .find((m) =>
        executeActionsIn(cardOf(m)).some(
          (a) => a.verb === TeamsVerb.Extend && a.data.requestId === state.request.requestId,
        ),
      );
    assert.ok(warning, 'an Extend button for this request');
  });
});
