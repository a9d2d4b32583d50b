import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { SlackCleanupNotifier } from '../../../activities/chat/slack-cleanup-notifier';
import { CleanupMessages } from '../../../activities/store/cleanup/messages';
import { CleanupAction, parseCleanupButtonValue, restoreSelectionOf } from '../../../bot/render/cleanup';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { SlackDirectory } from '../../../bot/slack/directory';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../support/fakes/fake-slack';
import { buttonsIn, textOf } from '../../support/stacks/slack-stack';
import { announcement, change, recordedRun } from './cleanup-fixtures';
import { NOTIFIER_POLICY, PRIYA, REQUESTER } from './fixtures';

/**
 * The cleanup notifier against the fake Slack Web API and a real PostgreSQL: one message per run,
 * recipient and purpose however often the activity runs, and an owner Slack cannot reach told about
 * in the channel, never dropped.
 */

const CHANNEL = 'CCLEANUP1';
const GHOST = 'ghost@example.com';

let fake: FakeSlack;
let db: TestDatabase;
let notifier: SlackCleanupNotifier;
const logged: { msg: string; extra: Record<string, unknown> }[] = [];

before(async () => {
  fake = await FakeSlack.start();
  fake.addUser({ id: 'UADA', email: REQUESTER });
  fake.addUser({ id: 'UPRIYA', email: PRIYA });
  ({ db } = await freshStore());
  const client = new WebClient(FAKE_BOT_TOKEN, { ...slackClientOptions(fake.apiUrl), retryConfig: { retries: 0 } });
  notifier = new SlackCleanupNotifier({
    client,
    people: new SlackDirectory({ client, policy: () => NOTIFIER_POLICY }),
    messages: new CleanupMessages(db.pool),
    log: (msg, extra) => logged.push({ msg, extra }),
  });
});

after(async () => {
  await db?.drop();
  await fake?.stop();
});

beforeEach(() => {
  fake.clear();
  logged.length = 0;
});

const posts = (channel: string, runId: string) =>
  fake
    .callsTo('chat.postMessage')
    .filter((c) => !c.error && c.args.channel === channel && JSON.stringify(c.args).includes(runId));

describe('Slack cleanup notifier', () => {
  it('announcing twice sends each owner one message and the channel one summary', async () => {
    const runId = await recordedRun(db.pool, 'slack-twice');
    const told = announcement(
      runId,
      { [REQUESTER]: [change('app')], [PRIYA]: [change('ci'), change('etl')] },
      { channel: { platform: 'slack', channel: CHANNEL } },
    );
    const first = await notifier.announce(told);
    const again = await notifier.announce(told); // the activity's retry
    assert.deepEqual(first, { reached: [REQUESTER, PRIYA], unreached: [], channelPosted: true });
    assert.deepEqual(again, first);
    assert.equal(posts(fake.dmChannel('UADA'), runId).length, 1);
    assert.equal(posts(fake.dmChannel('UPRIYA'), runId).length, 1);
    assert.equal(posts(CHANNEL, runId).length, 1);
    const dm = fake.messagesIn(fake.dmChannel('UPRIYA')).find((m) => JSON.stringify(m.blocks).includes(runId))!;
    assert.match(textOf(dm.blocks), /\*ci-inline\*/);
    const values = buttonsIn(dm.blocks).map((b) => [b.action_id, parseCleanupButtonValue(b.value!)]);
    assert.deepEqual(values.slice(0, 5), [
      [CleanupAction.Keep, { runId, itemId: change('ci').itemId }],
      [CleanupAction.RemoveNow, { runId, itemId: change('ci').itemId }],
      [CleanupAction.Snooze7, { runId, itemId: change('ci').itemId }],
      [CleanupAction.Snooze30, { runId, itemId: change('ci').itemId }],
      [CleanupAction.ShowDiff, { runId, itemId: change('ci').itemId }],
    ]);
    const summary = textOf(fake.messagesIn(CHANNEL).find((m) => JSON.stringify(m.blocks).includes(runId))!.blocks);
    assert.match(summary, /2 owners got their changes by direct message/);
    assert.doesNotMatch(summary, /ci-inline/, "a reached owner's changes stay in their DM");
  });

  it('an owner Slack does not know is unreached, and their changes go to the channel with buttons', async () => {
    const runId = await recordedRun(db.pool, 'slack-ghost');
    const result = await notifier.announce(
      announcement(
        runId,
        { [REQUESTER]: [change('app')], [GHOST]: [change('orphan')] },
        { channel: { platform: 'slack', channel: CHANNEL }, unowned: [change('nobody')] },
      ),
    );
    assert.deepEqual(result, { reached: [REQUESTER], unreached: [GHOST], channelPosted: true });
    const summary = fake.messagesIn(CHANNEL).find((m) => JSON.stringify(m.blocks).includes(runId))!;
    assert.match(textOf(summary.blocks), /Least could not reach ghost@example\.com in chat/);
    assert.match(textOf(summary.blocks), /\*orphan-inline\*/);
    assert.match(textOf(summary.blocks), /\*nobody-inline\*/);
    assert.deepEqual(
      buttonsIn(summary.blocks)
        .filter((b) => b.action_id === CleanupAction.RemoveNow)
        .map((b) => parseCleanupButtonValue(b.value!)!.itemId)
        .sort(),
      [change('nobody').itemId, change('orphan').itemId].sort(),
    );
  });

  it('a permanent Slack error for one owner makes them unreached, not a failed activity', async () => {
    const runId = await recordedRun(db.pool, 'slack-disabled');
    fake.failNext('chat.postMessage', 'user_disabled'); // the first owner's DM
    const result = await notifier.announce(
      announcement(
        runId,
        { [REQUESTER]: [change('app')], [PRIYA]: [change('ci')] },
        { channel: { platform: 'slack', channel: CHANNEL } },
      ),
    );
    assert.deepEqual(result, { reached: [PRIYA], unreached: [REQUESTER], channelPosted: true });
    assert.match(
      textOf(fake.messagesIn(CHANNEL).find((m) => JSON.stringify(m.blocks).includes(runId))!.blocks),
      /app-inline/,
    );
    assert.ok(logged.some((l) => l.msg === 'cleanup message not delivered' && l.extra.reason === 'user_disabled'));
  });

  it('a failure worth a retry fails the call, and the retry posts only what is missing', async () => {
    const runId = await recordedRun(db.pool, 'slack-retry');
    const told = announcement(
      runId,
      { [REQUESTER]: [change('app')], [PRIYA]: [change('ci')] },
      { channel: { platform: 'slack', channel: CHANNEL } },
    );
    // A first attempt that got as far as the first owner's message…
    await notifier.announce({ ...told, owners: told.owners.slice(0, 1), channel: undefined });
    // …and the retry that fails on the second owner's.
    fake.failNext('chat.postMessage', 'internal_error');
    await assert.rejects(notifier.announce(told));
    assert.equal(posts(CHANNEL, runId).length, 0, 'the channel is not told before every owner had their try');
    const result = await notifier.announce(told);
    assert.deepEqual(result, { reached: [REQUESTER, PRIYA], unreached: [], channelPosted: true });
    assert.equal(posts(fake.dmChannel('UADA'), runId).length, 1);
    assert.equal(posts(fake.dmChannel('UPRIYA'), runId).length, 1);
  });

  it('the report goes once to each owner and to the channel, whose copy can restore the whole run', async () => {
    const runId = await recordedRun(db.pool, 'slack-report');
    const removed = change('app', { outcome: 'removed', outcomeDetail: 'policy version v3 is the default' });
    const report = {
      ...announcement(runId, { [REQUESTER]: [removed] }, { channel: { platform: 'slack', channel: CHANNEL } }),
    };
    await notifier.report(report);
    await notifier.report(report);
    assert.equal(posts(fake.dmChannel('UADA'), runId).length, 1);
    assert.equal(posts(CHANNEL, runId).length, 1);
    const channelRestores = buttonsIn(posts(CHANNEL, runId)[0]!.args.blocks)
      .filter((b) => b.action_id === CleanupAction.Restore)
      .map((b) => restoreSelectionOf(parseCleanupButtonValue(b.value!)!.itemId).kind);
    assert.deepEqual(channelRestores, ['item', 'identity', 'run']);
    const ownerRestores = buttonsIn(posts(fake.dmChannel('UADA'), runId)[0]!.args.blocks).filter(
      (b) => b.action_id === CleanupAction.Restore,
    );
    assert.equal(ownerRestores.length, 2, 'an owner restores their change or their identity, not the run');

    const notice = { run: report.run, by: PRIYA, items: [removed], owners: [REQUESTER], channel: report.channel };
    await notifier.restored(notice);
    await notifier.restored(notice);
    const restoredIn = (channel: string) =>
      fake
        .callsTo('chat.postMessage')
        .filter((c) => !c.error && c.args.channel === channel && /restored 1 change/.test(String(c.args.text)));
    assert.equal(restoredIn(fake.dmChannel('UADA')).length, 1);
    assert.equal(restoredIn(CHANNEL).length, 1);
  });
});
