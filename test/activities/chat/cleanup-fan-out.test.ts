import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { FanOutCleanupNotifier } from '../../../activities/chat/cleanup-fan-out';
import { LogCleanupNotifier, type CleanupLogMessage } from '../../../activities/chat/log-cleanup-notifier';
import { SlackCleanupNotifier } from '../../../activities/chat/slack-cleanup-notifier';
import { TeamsCleanupNotifier } from '../../../activities/chat/teams-cleanup-notifier';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import { CleanupMessages } from '../../../activities/store/cleanup/messages';
import type { PgStore } from '../../../activities/store/pg-store';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { SlackDirectory } from '../../../bot/slack/directory';
import { teamsAdapter } from '../../../bot/teams/adapter';
import { cardOf, wordsOf } from '../../support/checks/teams-cards';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../support/fakes/fake-slack';
import { FakeTeamsConnector } from '../../support/fakes/fake-teams';
import { personalConversation, teamsUser } from '../../support/generators/teams-requests';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { textOf } from '../../support/stacks/slack-stack';
import { announcement, change, recordedRun } from './cleanup-fixtures';
import { NOTIFIER_POLICY, PRIYA, REQUESTER } from './fixtures';

/**
 * Slack, Teams and the log together, as the worker wires them: an owner reached on either platform
 * counts as told, and only the owners no platform reached have their changes in the channel.
 */

const CHANNEL = 'CCLEANUP2';
const GHOST = 'ghost@example.com';
const priya = teamsUser('Priya', { email: PRIYA });

let slack: FakeSlack;
let connector: FakeTeamsConnector;
let db: TestDatabase;
let store: PgStore;
let notifier: FanOutCleanupNotifier;
const lines: CleanupLogMessage[] = [];

before(async () => {
  slack = await FakeSlack.start();
  slack.addUser({ id: 'UADA', email: REQUESTER }); // Ada is in Slack only
  connector = await FakeTeamsConnector.start();
  ({ db, store } = await freshStore());
  // Priya is in Teams only.
  const conversation = personalConversation(priya);
  await store.saveTeamsConversation({
    kind: 'personal',
    conversationId: conversation.id,
    aadObjectId: priya.aadObjectId,
    email: PRIYA,
    reference: {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: conversation.id, conversationType: 'personal', tenantId: conversation.tenantId },
      agent: { id: '28:00000000-0000-4000-8000-00000000b07a', name: 'Least' },
      user: { id: priya.id, name: priya.name, aadObjectId: priya.aadObjectId },
    },
  });
  const client = new WebClient(FAKE_BOT_TOKEN, { ...slackClientOptions(slack.apiUrl), retryConfig: { retries: 0 } });
  const messages = new CleanupMessages(db.pool);
  notifier = new FanOutCleanupNotifier([
    new LogCleanupNotifier((line) => lines.push(line)),
    new SlackCleanupNotifier({
      client,
      people: new SlackDirectory({ client, policy: () => NOTIFIER_POLICY }),
      messages,
      log: () => undefined,
    }),
    new TeamsCleanupNotifier({
      poster: new AdapterTeamsPoster(teamsAdapter({})),
      conversations: store,
      messages,
      log: () => undefined,
    }),
  ]);
});

after(async () => {
  await db?.drop();
  await slack?.stop();
  await connector?.stop();
});

describe('cleanup notifiers fanned out', () => {
  it('each owner is told where they can be; the channel gets only the changes of owners nobody reached', async () => {
    const runId = await recordedRun(db.pool, 'fan-out');
    const told = announcement(
      runId,
      { [REQUESTER]: [change('app')], [PRIYA]: [change('ci')], [GHOST]: [change('orphan')] },
      { channel: { platform: 'slack', channel: CHANNEL }, unowned: [change('nobody')] },
    );
    const result = await notifier.announce(told);
    assert.deepEqual(result, { reached: [REQUESTER, PRIYA], unreached: [GHOST], channelPosted: true });
    await notifier.announce(told); // the activity's retry

    const summaries = slack.messagesIn(CHANNEL).filter((m) => JSON.stringify(m.blocks).includes(runId));
    assert.equal(summaries.length, 1);
    const summary = textOf(summaries[0]!.blocks);
    assert.match(summary, /Least could not reach ghost@example\.com in chat/);
    assert.match(summary, /orphan-inline/);
    assert.match(summary, /nobody-inline/);
    assert.doesNotMatch(summary, /app-inline|ci-inline/, 'changes of reached owners stay in their messages');

    assert.equal(
      slack.messagesIn(slack.dmChannel('UADA')).filter((m) => JSON.stringify(m.blocks).includes(runId)).length,
      1,
    );
    const teamsCards = connector
      .messagesIn(personalConversation(priya).id)
      .filter((m) => wordsOf(cardOf(m)).includes(runId));
    assert.equal(teamsCards.length, 1);
    assert.ok(lines.some((l) => l.to === GHOST && l.kind === 'cleanup.announce' && l.runId === runId));
  });

  it('with no front end for the channel, the summary is not claimed as posted', async () => {
    const runId = await recordedRun(db.pool, 'fan-out-teams-channel');
    const result = await notifier.announce(
      announcement(
        runId,
        { [GHOST]: [change('orphan')] },
        { channel: { platform: 'teams', channel: '19:unknown@thread.tacv2' } },
      ),
    );
    assert.deepEqual(result, { reached: [], unreached: [GHOST], channelPosted: false });
  });
});
