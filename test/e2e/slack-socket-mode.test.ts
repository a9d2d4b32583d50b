import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../bot/slack/app';
import { slackClientOptions } from '../../bot/slack/client-options';
import { SlackDirectory } from '../../bot/slack/directory';
import { WebClient } from '@slack/web-api';
import { FAKE_APP_TOKEN, FAKE_BOT_TOKEN, FakeSlack } from '../support/fakes/fake-slack';
import { FakeSocketMode } from '../support/fakes/fake-socket-mode';
import { REQUESTER, startStack, type Stack } from '../support/stacks/stack';
import { requestIdIn, textOf } from '../support/stacks/slack-stack';

/** With an app-level token the bot takes Slack traffic over Socket Mode: no public URL, same handlers. */

let stack: Stack;
let fake: FakeSlack;
let socket: FakeSocketMode;
let frontEnd: SlackFrontEnd;
let stopWorker: () => Promise<void>;

before(async () => {
  stack = await startStack('dev');
  ({ stop: stopWorker } = await stack.startWorker());
  fake = await FakeSlack.start();
  fake.addUser({ id: 'UADA0001', email: REQUESTER });
  socket = await FakeSocketMode.start();
  fake.socketUrl = socket.url;
  const client = new WebClient(FAKE_BOT_TOKEN, slackClientOptions(fake.apiUrl));
  frontEnd = createSlackFrontEnd({
    botToken: FAKE_BOT_TOKEN,
    signingSecret: '',
    appToken: FAKE_APP_TOKEN,
    apiUrl: fake.apiUrl,
    access: stack.access,
    policy: () => stack.policy,
    client,
    directory: new SlackDirectory({ client, policy: () => stack.policy }),
  });
  await frontEnd.start();
  await socket.waitConnected();
});

after(async () => {
  await frontEnd?.stop();
  await socket?.stop();
  await fake?.stop();
  await stopWorker?.();
  await stack?.close();
});

function command(text: string, responseId: string) {
  return {
    token: 'unused-in-socket-mode',
    team_id: 'T0001',
    team_domain: 'least-test',
    channel_id: 'CDEV',
    channel_name: 'dev',
    user_id: 'UADA0001',
    user_name: 'ada',
    command: '/access',
    text,
    api_app_id: 'A0LEAST',
    response_url: fake.responseUrl(responseId),
    trigger_id: `trigger-${responseId}`,
  };
}

describe('Slack over Socket Mode', () => {
  it('opens the socket through apps.connections.open with the app token, and has no HTTP endpoint', () => {
    const opened = fake.callsTo('apps.connections.open');
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.token, FAKE_APP_TOKEN);
    assert.equal(frontEnd.requestListener, undefined);
  });

  it('answers /access help in the ack, and a request through response_url, on real Temporal', async () => {
    const helped = await socket.send('slash_commands', command('help', 'socket-help'));
    assert.match(textOf(helped), /\/access request/);

    await socket.send('slash_commands', command('request payments-logs 1h over the socket', 'socket-request'));
    const reply = await fake.waitFor('response_url', (call) => call.responseId === 'socket-request');
    const id = requestIdIn(reply.args);
    const pending = await stack.waitForStatus(id, 'pending');
    assert.deepEqual(pending.request.origin, { platform: 'slack', userId: 'UADA0001', channel: 'CDEV' });
    const cancelled = await stack.access.end(id, REQUESTER, 'test over');
    assert.ok(cancelled.ok);
  });
});
