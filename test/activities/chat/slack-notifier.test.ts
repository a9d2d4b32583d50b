import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { SlackNotifier } from '../../../activities/chat/slack-notifier';
import type { PgStore } from '../../../activities/store/pg-store';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { SlackDirectory } from '../../../bot/slack/directory';
import { SlackAction } from '../../../bot/render/slack/ids';
import { applyDecision, transition, type RequestState } from '../../../domain/request';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../support/fakes/fake-slack';
import { buttonsIn } from '../../support/stacks/slack-stack';
import { pendingRequest, PROD_DB_READONLY } from '../store/fixtures';
import { NOTIFIER_POLICY, PRIYA, REQUESTER, TOM } from './fixtures';

/** The Slack notifier against the fake Web API and a real PostgreSQL: idempotent posts, in-place updates, partial failures. */

const CHANNEL = PROD_DB_READONLY.notify[0]!.channel;

let fake: FakeSlack;
let db: TestDatabase;
let store: PgStore;
let notifier: SlackNotifier;
let sequence = 0;

const policy = NOTIFIER_POLICY;

before(async () => {
  fake = await FakeSlack.start();
  fake.addUser({ id: 'UADA', email: REQUESTER });
  fake.addUser({ id: 'UPRIYA', email: PRIYA });
  fake.addUser({ id: 'UTOM', email: TOM });
  ({ db, store } = await freshStore());
  const client = new WebClient(FAKE_BOT_TOKEN, { ...slackClientOptions(fake.apiUrl), retryConfig: { retries: 0 } });
  notifier = new SlackNotifier({
    client,
    store,
    people: new SlackDirectory({ client, policy: () => policy }),
    policy: () => policy,
    log: () => undefined,
  });
});

after(async () => {
  await db?.drop();
  await fake?.stop();
});

beforeEach(() => fake.clear());

async function pending(): Promise<RequestState> {
  const made = pendingRequest({
    requestId: `r-notify${String(++sequence).padStart(4, '0')}`,
    requester: REQUESTER,
    submittedAt: new Date().toISOString(),
  });
  const state = { ...made, request: { ...made.request, origin: { platform: 'cli' as const } } }; // Slack id found by e-mail
  await store.saveRequest(state);
  return state;
}

const cardsFor = (requestId: string) =>
  fake
    .callsTo('chat.postMessage')
    .filter(
      (call) =>
        !call.args.thread_ts &&
        JSON.stringify(call.args.blocks).includes(requestId) &&
        buttonsIn(call.args.blocks).some((b) => b.action_id === SlackAction.Approve),
    );

describe('Slack notifier', () => {
  it('posts one card per approver and channel, and a retried notice posts nothing twice', async () => {
    const state = await pending();
    await notifier.notify({ kind: 'approval-needed', state });
    await notifier.notify({ kind: 'approval-needed', state }); // the activity's retry
    const channels = cardsFor(state.request.requestId)
      .map((call) => call.args.channel)
      .sort();
    assert.deepEqual(channels, [CHANNEL, fake.dmChannel('UPRIYA'), fake.dmChannel('UTOM')].sort());
    const thread = fake
      .messagesIn(fake.dmChannel('UADA'))
      .filter((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(state.request.requestId));
    assert.equal(thread.length, 1, 'the requester has one status message');
    assert.match(JSON.stringify(thread[0]!.blocks), /Waiting for approval/);
  });

  it('after a failure half way, the retry delivers only what is missing', async () => {
    const state = await pending();
    fake.failNext('chat.postMessage', 'internal_error'); // the first card fails
    await assert.rejects(notifier.notify({ kind: 'approval-needed', state }));
    await notifier.notify({ kind: 'approval-needed', state });
    assert.equal(cardsFor(state.request.requestId).filter((call) => !call.error).length, 3);
  });

  it('a channel the bot cannot post in is skipped; the approvers still get their cards', async () => {
    const state = await pending();
    fake.failNext('chat.postMessage', 'not_in_channel');
    await notifier.notify({ kind: 'approval-needed', state });
    const delivered = cardsFor(state.request.requestId)
      .filter((call) => !call.error)
      .map((call) => call.args.channel);
    assert.equal(delivered.length, 2);
  });

  it('a decision updates every card in place (no buttons left) and the requester reads it in the thread', async () => {
    let state = await pending();
    await notifier.notify({ kind: 'approval-needed', state });
    const decided = applyDecision(
      state,
      { approver: PRIYA, verdict: 'deny', reason: 'use <!channel> the replica' },
      new Date().toISOString(),
    );
    state = transition(decided.state, 'denied');
    await store.saveRequest(state);
    await notifier.notify({ kind: 'denied', state });
    for (const channel of [CHANNEL, fake.dmChannel('UPRIYA'), fake.dmChannel('UTOM')]) {
      const card = fake.messagesIn(channel).find((m) => JSON.stringify(m.blocks).includes(state.request.requestId));
      assert.ok(card?.edited, `the card in ${channel} was edited`);
      assert.deepEqual(buttonsIn(card.blocks), []);
      assert.match(JSON.stringify(card.blocks), new RegExp(PRIYA.replace('.', '\\.')));
    }
    const dm = fake.dmChannel('UADA');
    const parent = fake
      .messagesIn(dm)
      .find((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(state.request.requestId))!;
    const replies = fake.threadReplies(dm, parent.ts);
    assert.equal(replies.length, 1);
    assert.match(JSON.stringify(replies[0]!.blocks), /replica/);
    assert.doesNotMatch(JSON.stringify(replies[0]!.blocks), /<!channel>/);
  });
});
