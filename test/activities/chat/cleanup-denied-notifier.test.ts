import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { FanOutCleanupNotifier } from '../../../activities/chat/cleanup-fan-out';
import type { CleanupDeniedNotice } from '../../../bot/render/cleanup-denied';
import { LogCleanupNotifier, type CleanupLogMessage } from '../../../activities/chat/log-cleanup-notifier';
import { SlackCleanupNotifier } from '../../../activities/chat/slack-cleanup-notifier';
import { TeamsCleanupNotifier } from '../../../activities/chat/teams-cleanup-notifier';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import { CleanupMessages } from '../../../activities/store/cleanup/messages';
import type { PgStore } from '../../../activities/store/pg-store';
import { CleanupAction, parseCleanupButtonValue } from '../../../bot/render/cleanup';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { SlackDirectory } from '../../../bot/slack/directory';
import { teamsAdapter } from '../../../bot/teams/adapter';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../support/fakes/fake-slack';
import { FakeTeamsConnector } from '../../support/fakes/fake-teams';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { buttonsIn, textOf } from '../../support/stacks/slack-stack';
import { change, recordedRun } from './cleanup-fixtures';
import { NOTIFIER_POLICY, REQUESTER } from './fixtures';

/**
 * The denied-call watch's message through Slack, Teams and the log as the worker wires them: the
 * item's owners get it once per collection, with the item's Restore button; the channel only when
 * no owner could be told.
 */

const CHANNEL = 'CDENIED1';
const GHOST = 'ghost@example.com';

let slack: FakeSlack;
let connector: FakeTeamsConnector;
let db: TestDatabase;
let store: PgStore;
let notifier: FanOutCleanupNotifier;
const lines: CleanupLogMessage[] = [];

before(async () => {
  slack = await FakeSlack.start();
  slack.addUser({ id: 'UADA', email: REQUESTER });
  connector = await FakeTeamsConnector.start();
  ({ db, store } = await freshStore());
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

function notice(runId: string, owners: string[], collectionRunId = 'collect-1'): CleanupDeniedNotice {
  return {
    run: { runId, systemId: 'aws-prod', systemTitle: 'AWS production', mode: 'enforce', windowDays: 90 },
    item: change('cleanup-operator', { outcome: 'removed' }),
    removedAt: '2026-11-28T10:00:00.000Z',
    collectionRunId,
    denials: [{ identity: 'cleanup-operator', action: 's3:PutObject', day: '2026-12-03', count: 14 }],
    owners,
    channel: { platform: 'slack', channel: CHANNEL },
  };
}

const ofRun = (runId: string, channel: string) =>
  slack.messagesIn(channel).filter((m) => JSON.stringify(m.blocks).includes(runId));

describe('denied calls told through every front end', () => {
  it('an owner gets them once per collection with the Restore button; the channel stays quiet', async () => {
    const runId = await recordedRun(db.pool, 'denied-owner');
    assert.deepEqual(await notifier.deniedCalls(notice(runId, [REQUESTER])), {
      reached: [REQUESTER],
      channelPosted: false,
    });
    await notifier.deniedCalls(notice(runId, [REQUESTER])); // the activity's retry

    const dms = ofRun(runId, slack.dmChannel('UADA'));
    assert.equal(dms.length, 1);
    assert.match(
      textOf(dms[0]!.blocks),
      /\*cleanup-operator\* was denied `s3:PutObject` 14 times on 2026-12-03 after Least removed it on 2026-11-28/,
    );
    const restore = buttonsIn(dms[0]!.blocks);
    assert.deepEqual(
      restore.map((b) => [b.action_id, parseCleanupButtonValue(b.value!)]),
      [[CleanupAction.Restore, { runId, itemId: change('cleanup-operator').itemId }]],
    );
    assert.equal(ofRun(runId, CHANNEL).length, 0);
    assert.ok(lines.some((l) => l.to === REQUESTER && l.kind === 'cleanup.denied' && l.runId === runId));

    // the next collection's denials are a new message
    await notifier.deniedCalls(notice(runId, [REQUESTER], 'collect-2'));
    assert.equal(ofRun(runId, slack.dmChannel('UADA')).length, 2);
  });

  it('an owner nobody can reach, or none at all: the channel is told, once', async () => {
    const runId = await recordedRun(db.pool, 'denied-channel');
    assert.deepEqual(await notifier.deniedCalls(notice(runId, [GHOST])), { reached: [], channelPosted: true });
    await notifier.deniedCalls(notice(runId, [GHOST]));
    assert.equal(ofRun(runId, CHANNEL).length, 1);
    assert.equal(buttonsIn(ofRun(runId, CHANNEL)[0]!.blocks).length, 1);

    const unowned = await recordedRun(db.pool, 'denied-unowned');
    assert.deepEqual(await notifier.deniedCalls(notice(unowned, [])), { reached: [], channelPosted: true });
    assert.equal(ofRun(unowned, CHANNEL).length, 1);
  });
});
