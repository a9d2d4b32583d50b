import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TeamsCleanupNotifier } from '../../../activities/chat/teams-cleanup-notifier';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import { CleanupMessages } from '../../../activities/store/cleanup/messages';
import type { PgStore } from '../../../activities/store/pg-store';
import { CleanupAction, parseCleanupButtonValue } from '../../../bot/render/cleanup';
import { teamsAdapter } from '../../../bot/teams/adapter';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { cardOf, executeActionsIn, wordsOf } from '../../support/checks/teams-cards';
import { FakeTeamsConnector } from '../../support/fakes/fake-teams';
import {
  channelConversation,
  personalConversation,
  teamsUser,
  type TeamsConversation,
  type TeamsUser,
} from '../../support/generators/teams-requests';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { announcement, change, recordedRun } from './cleanup-fixtures';
import { PRIYA, REQUESTER } from './fixtures';

/**
 * The cleanup notifier through the real Agents SDK (continueConversation) against the fake Bot
 * Connector and a real PostgreSQL: one card per run, recipient and purpose, and an owner Teams cannot
 * reach told about in the channel.
 */

const CHANNEL = '19:cleanup0123@thread.tacv2';
const GHOST = 'ghost@example.com';
const BOT = { id: '28:00000000-0000-4000-8000-00000000b07a', name: 'Least' };
const people = {
  ada: teamsUser('Ada', { email: REQUESTER }),
  priya: teamsUser('Priya', { email: PRIYA }),
};

let connector: FakeTeamsConnector;
let db: TestDatabase;
let store: PgStore;
let notifier: TeamsCleanupNotifier;

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
  notifier = new TeamsCleanupNotifier({
    poster: new AdapterTeamsPoster(teamsAdapter({})),
    conversations: store,
    messages: new CleanupMessages(db.pool),
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

const chat = (user: TeamsUser) => personalConversation(user).id;
const cardsIn = (conversationId: string, runId: string) =>
  connector.messagesIn(conversationId).filter((m) => wordsOf(cardOf(m)).includes(runId));

describe('Teams cleanup notifier', () => {
  it('announcing twice posts each owner one card and the channel one summary, valid cards with the buttons', async () => {
    const runId = await recordedRun(db.pool, 'teams-twice');
    const told = announcement(
      runId,
      { [REQUESTER]: [change('app')], [PRIYA]: [change('ci')] },
      { channel: { platform: 'teams', channel: CHANNEL } },
    );
    assert.deepEqual(await notifier.announce(told), {
      reached: [REQUESTER, PRIYA],
      unreached: [],
      channelPosted: true,
    });
    await notifier.announce(told); // the activity's retry
    assert.equal(cardsIn(chat(people.ada), runId).length, 1);
    assert.equal(cardsIn(chat(people.priya), runId).length, 1);
    assert.equal(cardsIn(CHANNEL, runId).length, 1);
    const card = cardOf(cardsIn(chat(people.priya), runId)[0]);
    assertCardValid(card as never);
    const remove = executeActionsIn(card).find((a) => a.verb === CleanupAction.RemoveNow)!;
    assert.deepEqual(parseCleanupButtonValue(String(remove.data.value)), { runId, itemId: change('ci').itemId });
  });

  it('an owner without a chat with Least, or whose chat refuses the app, is told about in the channel', async () => {
    const runId = await recordedRun(db.pool, 'teams-ghost');
    connector.failNext('sendToConversation', 403, {
      error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
    });
    const result = await notifier.announce(
      announcement(
        runId,
        { [REQUESTER]: [change('app')], [GHOST]: [change('orphan')], [PRIYA]: [change('ci')] },
        { channel: { platform: 'teams', channel: CHANNEL } },
      ),
    );
    assert.deepEqual(result, { reached: [PRIYA], unreached: [REQUESTER, GHOST], channelPosted: true });
    const summary = wordsOf(cardOf(cardsIn(CHANNEL, runId)[0]));
    assert.match(summary, /Least could not reach ada@example\.com, ghost@example\.com in chat/);
    assert.match(summary, /app-inline/);
    assert.match(summary, /orphan-inline/);
    assert.doesNotMatch(summary, /ci-inline/);
  });

  it('throttling fails the call so Temporal retries it; the retry posts nothing twice', async () => {
    const runId = await recordedRun(db.pool, 'teams-throttled');
    const told = announcement(
      runId,
      { [REQUESTER]: [change('app')] },
      { channel: { platform: 'teams', channel: CHANNEL } },
    );
    connector.failNext('sendToConversation', 429);
    await assert.rejects(notifier.announce(told));
    await notifier.announce(told);
    await notifier.announce(told);
    assert.equal(cardsIn(chat(people.ada), runId).length, 1);
    assert.equal(cardsIn(CHANNEL, runId).length, 1);
  });
});
