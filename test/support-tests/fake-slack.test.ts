import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  HTTPReceiver,
  LogLevel,
  verifySlackRequest,
  type BlockAction,
  type ButtonAction,
  type Logger,
} from '@slack/bolt';
import { ErrorCode, WebClient } from '@slack/web-api';
import { FakeSlack, FAKE_BOT_TOKEN } from '../support/fakes/fake-slack';
import { signSlackRequest, SlackSender } from '../support/generators/slack-requests';

/**
 * The Slack test doubles are code too: the fake Web API is checked under the real WebClient, and the
 * signed requests under Bolt's own verifier and the real Bolt App.
 */

const SECRET = 'fake-slack-test-signing-secret';

/** Slack's error code on a failed Web API call, as the WebClient reports it. */
const slackError = (code: string) => (error: unknown) => (error as { data?: { error?: string } }).data?.error === code;

describe('FakeSlack under the real WebClient', () => {
  let fake: FakeSlack;
  let client: WebClient;

  before(async () => {
    fake = await FakeSlack.start();
    fake.addUser({ id: 'UADA0001', email: 'ada@example.com', name: 'ada' });
    fake.addUser({ id: 'ULEAD001', email: 'lead@example.com', name: 'lead' });
    fake.addUser({ id: 'UROBOT01', name: 'robot', isBot: true });
    fake.addUsergroup('SAPPROVE1', ['ULEAD001']);
    client = new WebClient(FAKE_BOT_TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  });

  after(async () => {
    await fake?.stop();
  });

  it('serves the Web API under /api/ and answers auth.test as the bot', async () => {
    assert.match(fake.apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const me = await client.auth.test();
    assert.equal(me.user_id, 'UBOT');
    assert.equal(me.bot_id, 'BBOT');
    assert.equal(me.team_id, 'T0001');
    assert.equal(fake.callsTo('auth.test').at(-1)?.token, FAKE_BOT_TOKEN);
  });

  it('shows a message as updated by chat.update, and refuses an update of a message never posted there', async () => {
    const card = [{ type: 'section', text: { type: 'mrkdwn', text: 'Ada asks for *prod-read-only*' } }];
    const posted = await client.chat.postMessage({ channel: 'CAPPROVALS', text: 'pending', blocks: card });
    const later = await client.chat.postMessage({ channel: 'CAPPROVALS', text: 'another' });
    assert.match(posted.ts!, /^\d{10}\.\d{6}$/);
    assert.ok(Number(later.ts) > Number(posted.ts), `ts increases: ${posted.ts} then ${later.ts}`);
    assert.equal(posted.channel, 'CAPPROVALS');
    assert.deepEqual(fake.callsTo('chat.postMessage')[0]?.args.blocks, card, 'form-encoded blocks are parsed back');

    const decided = [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by lead@example.com' } }];
    await client.chat.update({ channel: 'CAPPROVALS', ts: posted.ts!, text: 'approved', blocks: decided });
    const shown = fake.messagesIn('CAPPROVALS');
    assert.deepEqual(
      shown.map((m) => [m.ts, m.text, m.blocks]),
      [
        [posted.ts, 'approved', decided],
        [later.ts, 'another', undefined],
      ],
    );

    await assert.rejects(
      client.chat.update({ channel: 'CAPPROVALS', ts: '1600000000.000100', text: 'x' }),
      slackError('message_not_found'),
    );
    await assert.rejects(
      client.chat.update({ channel: 'COTHER01', ts: posted.ts!, text: 'x' }),
      slackError('message_not_found'),
    );
    await assert.rejects(client.chat.postMessage({ channel: 'CAPPROVALS', text: '' }), slackError('no_text'));
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    await assert.rejects(
      client.chat.postMessage({ channel: 'CAPPROVALS', text: 'x', blocks: tooMany }),
      slackError('invalid_blocks'),
    );
    assert.equal(fake.messagesIn('CAPPROVALS').length, 2, 'refused posts are not shown');
  });

  it('answers a user id as channel with that user’s DM channel, the one conversations.open gives', async () => {
    const first = await client.chat.postMessage({ channel: 'UADA0001', text: 'hello' });
    const second = await client.chat.postMessage({ channel: 'UADA0001', text: 'again' });
    const other = await client.chat.postMessage({ channel: 'ULEAD001', text: 'hi lead' });
    assert.match(first.channel!, /^D/);
    assert.equal(second.channel, first.channel, 'stable per user');
    assert.notEqual(other.channel, first.channel);
    const opened = await client.conversations.open({ users: 'UADA0001' });
    assert.equal(opened.channel?.id, first.channel);
    assert.equal(fake.dmChannel('UADA0001'), first.channel);

    const reply = await client.chat.postMessage({
      channel: first.channel!,
      thread_ts: first.ts!,
      text: 'in the thread',
    });
    assert.deepEqual(
      fake.threadReplies(first.channel!, first.ts!).map((m) => [m.ts, m.text]),
      [[reply.ts, 'in the thread']],
    );
    assert.deepEqual(fake.messagesIn('UADA0001'), fake.messagesIn(first.channel!));
    assert.deepEqual(
      fake.messagesIn('UADA0001').map((m) => m.text),
      ['hello', 'again', 'in the thread'],
    );
    // Like Slack, chat.update wants the DM's channel id, not the user id.
    await assert.rejects(
      client.chat.update({ channel: 'UADA0001', ts: first.ts!, text: 'x' }),
      slackError('message_not_found'),
    );
  });

  it('knows its directory: users.info, users.lookupByEmail, usergroups.users.list', async () => {
    const ada = await client.users.info({ user: 'UADA0001' });
    assert.equal(ada.user?.profile?.email, 'ada@example.com');
    assert.equal(ada.user?.is_bot, false);
    assert.equal((await client.users.info({ user: 'UROBOT01' })).user?.is_bot, true);
    assert.equal((await client.users.info({ user: 'UROBOT01' })).user?.profile?.email, undefined);
    await assert.rejects(client.users.info({ user: 'UNOBODY1' }), slackError('user_not_found'));

    assert.equal((await client.users.lookupByEmail({ email: 'Lead@Example.com' })).user?.id, 'ULEAD001');
    await assert.rejects(client.users.lookupByEmail({ email: 'nobody@example.com' }), slackError('users_not_found'));

    assert.deepEqual((await client.usergroups.users.list({ usergroup: 'SAPPROVE1' })).users, ['ULEAD001']);
    await assert.rejects(client.usergroups.users.list({ usergroup: 'SNOSUCH1' }), slackError('no_such_subteam'));
  });

  it('opens, updates and publishes views', async () => {
    const modal = {
      type: 'modal' as const,
      callback_id: 'form',
      title: { type: 'plain_text' as const, text: 'Request access' },
      blocks: [],
    };
    await assert.rejects(client.views.open({ trigger_id: '', view: modal }), slackError('invalid_arguments'));
    const opened = await client.views.open({ trigger_id: 'trigger-1', view: modal });
    assert.match(opened.view!.id!, /^V/);
    assert.equal(opened.view?.callback_id, 'form');
    const updated = await client.views.update({ view_id: opened.view!.id!, view: { ...modal, callback_id: 'form-2' } });
    assert.equal(updated.view?.id, opened.view?.id);
    await assert.rejects(client.views.update({ view_id: 'VNOSUCH01', view: modal }), slackError('not_found'));
    const longTitle = { ...modal, title: { type: 'plain_text' as const, text: 'x'.repeat(25) } };
    await assert.rejects(
      client.views.open({ trigger_id: 'trigger-2', view: longTitle }),
      slackError('invalid_arguments'),
    );

    await client.views.publish({ user_id: 'UADA0001', view: { type: 'home', blocks: [{ type: 'divider' }] } });
    assert.deepEqual(fake.homeOf('UADA0001')?.blocks, [{ type: 'divider' }]);
  });

  it('fails the next call as asked: a 429 is a rate-limit error for a WebClient that rejects them', async () => {
    const strict = new WebClient(FAKE_BOT_TOKEN, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    fake.failNext('chat.postMessage', { status: 429, retryAfterSeconds: 7 });
    await assert.rejects(
      strict.chat.postMessage({ channel: 'CLIMITS1', text: 'slow down' }),
      (error: { code?: string; retryAfter?: number }) => {
        assert.equal(error.code, ErrorCode.RateLimitedError);
        assert.equal(error.retryAfter, 7);
        return true;
      },
    );
    assert.equal(fake.callsTo('chat.postMessage').at(-1)?.error, 'ratelimited');
    assert.equal(fake.messagesIn('CLIMITS1').length, 0);
    await strict.chat.postMessage({ channel: 'CLIMITS1', text: 'once only' });
    assert.equal(fake.messagesIn('CLIMITS1').length, 1, 'the fault is used once');

    fake.failNext('views.open', 'expired_trigger_id');
    await assert.rejects(
      client.views.open({
        trigger_id: 't',
        view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] },
      }),
      slackError('expired_trigger_id'),
    );
  });

  it('records unknown methods, calls without a token, and what respond() posts to a response_url', async () => {
    await assert.rejects(client.apiCall('least.nonsense', { a: 1 }), slackError('unknown_method'));
    assert.deepEqual(fake.callsTo('least.nonsense').at(-1)?.args, { a: '1' });

    const anonymous = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"channel":"C1","text":"x"}',
    });
    assert.equal(anonymous.status, 200);
    assert.deepEqual(await anonymous.json(), { ok: false, error: 'not_authed' });

    const url = fake.responseUrl('r-42');
    const waiting = fake.waitFor('response_url', (call) => call.responseId === 'r-42');
    const posted = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'only you' }),
    });
    assert.equal(posted.status, 200);
    assert.equal((await waiting).args.text, 'only you');
  });

  it('takes files through the external upload flow: URL, bytes, then a share into a channel with blocks', async () => {
    const bytes = Buffer.from('not really a png, but bytes all the same');
    const result = await client.filesUploadV2({
      channel_id: 'CFILES0001',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'with a chart' } }],
      file_uploads: [{ file: bytes, filename: 'chart.png', title: 'The chart', alt_text: 'a line going up' }],
    });
    const id = result.files[0]?.files?.[0]?.id ?? '';
    const file = fake.uploadedFile(id);
    assert.deepEqual(
      [file?.filename, file?.length, file?.altText, file?.title, file?.channel, file?.bytes?.equals(bytes)],
      ['chart.png', bytes.length, 'a line going up', 'The chart', 'CFILES0001', true],
    );
    const [message] = fake.messagesIn('CFILES0001');
    assert.deepEqual(message?.files, [{ id, title: 'The chart', name: 'chart.png' }]);
    assert.deepEqual(message?.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: 'with a chart' } }]);
  });

  it('refuses to share a file whose bytes never arrived, or into a channel that refuses the bot', async () => {
    const asked = await client.files.getUploadURLExternal({ filename: 'x.png', length: 3 });
    await assert.rejects(
      client.files.completeUploadExternal({ files: [{ id: asked.file_id! }] }),
      slackError('file_upload_size_mismatch'),
    );
    fake.refuseChannel('CLEFT00001', 'not_in_channel');
    await assert.rejects(client.chat.postMessage({ channel: 'CLEFT00001', text: 'hi' }), slackError('not_in_channel'));
    await assert.rejects(
      client.filesUploadV2({
        channel_id: 'CLEFT00001',
        file_uploads: [{ file: Buffer.from('abc'), filename: 'a.png' }],
      }),
      slackError('not_in_channel'),
    );
    assert.deepEqual(fake.messagesIn('CLEFT00001'), []);
  });

  it('waitFor rejects after its timeout, naming the methods it saw', async () => {
    await assert.rejects(
      fake.waitFor('views.push', undefined, 100),
      /no views\.push call.*methods seen so far:.*chat\.postMessage ×\d+/,
    );
    await assert.rejects(
      fake.waitFor('chat.postMessage', () => false, 100),
      /matching the predicate.*\d+ chat\.postMessage call\(s\) seen/,
    );
  });

  it('refuses bodies over 1 MB and keeps serving', async () => {
    const huge = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FAKE_BOT_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `channel=C1&text=${'x'.repeat(1024 * 1024 + 1)}`,
    });
    assert.equal(huge.status, 413);
    assert.equal(
      fake.calls.some((call) => String(call.args.text ?? '').length > 1024 * 1024),
      false,
      'not recorded',
    );
    assert.equal((await client.auth.test()).ok, true);
  });
});

describe('SlackSender signs as Slack does', () => {
  interface Captured {
    headers: IncomingHttpHeaders;
    body: string;
  }
  const captured: Captured[] = [];
  let server: http.Server;
  let sender: SlackSender;

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        captured.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sender = new SlackSender({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
      signingSecret: SECRET,
    });
  });

  after(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  const verify = (request: Captured, secret = SECRET) =>
    verifySlackRequest({
      signingSecret: secret,
      body: request.body,
      headers: {
        'x-slack-signature': String(request.headers['x-slack-signature']),
        'x-slack-request-timestamp': Number(request.headers['x-slack-request-timestamp']),
      },
    });

  it('reproduces the example in Slack’s documentation', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    assert.equal(
      signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body),
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('is accepted by Bolt’s verifier, and a forged, stale or missing signature is not', async () => {
    await sender.command('UADA0001', 'request prod-read-only 1h INC-42', { triggerId: 'trigger-1' });
    const good = captured.at(-1)!;
    assert.equal(good.headers['content-type'], 'application/x-www-form-urlencoded');
    const fields = new URLSearchParams(good.body);
    assert.equal(fields.get('command'), '/access');
    assert.equal(fields.get('text'), 'request prod-read-only 1h INC-42');
    assert.equal(fields.get('trigger_id'), 'trigger-1');
    assert.doesNotThrow(() => verify(good));
    assert.throws(() => verify(good, 'another-secret'), /signature mismatch/);
    assert.throws(() => verify({ ...good, body: good.body.replace('1h', '9h') }), /signature mismatch/);

    await sender.command('UADA0001', 'request', { sign: { secret: 'not-the-secret' } });
    assert.throws(() => verify(captured.at(-1)!), /signature mismatch/);
    await sender.command('UADA0001', 'request', { sign: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 } });
    assert.throws(() => verify(captured.at(-1)!), /stale/);
    await sender.command('UADA0001', 'request', { sign: { signature: 'v0=deadbeef' } });
    assert.equal(captured.at(-1)!.headers['x-slack-signature'], 'v0=deadbeef');
    await sender.command('UADA0001', 'request', { sign: { omit: true } });
    assert.equal(captured.at(-1)!.headers['x-slack-signature'], undefined);
    assert.equal(captured.at(-1)!.headers['x-slack-request-timestamp'], undefined);

    await sender.event({ type: 'app_home_opened', user: 'UADA0001', tab: 'home' });
    assert.equal(captured.at(-1)!.headers['content-type'], 'application/json');
    assert.doesNotThrow(() => verify(captured.at(-1)!));
  });
});

describe('SlackSender through the real Bolt App', () => {
  let fake: FakeSlack;
  let server: http.Server;
  let sender: SlackSender;
  const heard: string[] = [];

  before(async () => {
    fake = await FakeSlack.start();
    const receiver = new HTTPReceiver({ signingSecret: SECRET, processBeforeResponse: true, logger: silentLogger() });
    const app = new App({
      token: FAKE_BOT_TOKEN,
      receiver,
      logger: silentLogger(),
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/access', async ({ ack, command, respond }) => {
      await ack();
      heard.push(`command:${command.text}`);
      await respond({ response_type: 'ephemeral', text: `you asked: ${command.text}` });
    });
    app.action<BlockAction<ButtonAction>>('least.approve', async ({ ack, body, action, respond }) => {
      await ack();
      // Slack gives a response_url (and so Bolt a respond()) only to actions on messages.
      const responseUrl = (body as { response_url?: string }).response_url;
      heard.push(`action:${action.value}:${body.container?.type}:${responseUrl ? 'respond' : 'no-respond'}`);
      if (body.container?.type === 'message') await respond({ text: 'decided', replace_original: false });
    });
    app.view('least.form', async ({ ack, view }) => {
      await ack({ response_action: 'errors', errors: { reason: `metadata was ${view.private_metadata}` } });
    });
    app.options('least.entitlement', async ({ ack, options }) => {
      await ack({ options: [{ text: { type: 'plain_text', text: options.value }, value: `${options.value}-1` }] });
    });
    app.event('app_home_opened', async ({ event, client }) => {
      await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: [{ type: 'divider' }] } });
    });
    server = http.createServer(receiver.requestListener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    sender = new SlackSender({ url, signingSecret: SECRET, responseUrl: (id) => fake.responseUrl(id) });
  });

  after(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve());
      server?.closeAllConnections();
    });
    await fake?.stop();
  });

  it('routes a signed slash command, and its respond() lands on the fake', async () => {
    const reply = await sender.command('UADA0001', 'list');
    assert.equal(reply.status, 200);
    assert.ok(reply.responseId);
    const told = await fake.waitFor('response_url', (call) => call.responseId === reply.responseId);
    assert.equal(told.args.text, 'you asked: list');
    assert.ok(fake.callsTo('auth.test').length >= 1, 'Bolt checked its token against the fake');
  });

  it('answers forged, stale and unsigned requests with 401, reaching no listener', async () => {
    const before = heard.length;
    assert.equal((await sender.command('UADA0001', 'forged', { sign: { secret: 'not-the-secret' } })).status, 401);
    assert.equal(
      (await sender.command('UADA0001', 'stale', { sign: { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 } }))
        .status,
      401,
    );
    assert.equal(
      (await sender.blockAction('ULEAD001', { action_id: 'least.approve', value: 'x' }, { sign: { omit: true } }))
        .status,
      401,
    );
    assert.equal(heard.length, before);
    const charset = await sender.send(
      'command=%2Faccess&text=list&user_id=UADA0001',
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    assert.notEqual(charset.status, 200, 'Bolt wants the form content type exactly');
  });

  it('delivers block actions, view submissions, suggestions, events and the URL check to their listeners', async () => {
    const onMessage = await sender.blockAction(
      'ULEAD001',
      { action_id: 'least.approve', value: 'r-1' },
      { container: { type: 'message', channel_id: 'CAPPROVALS', message_ts: '1700000000.000100' } },
    );
    assert.equal(onMessage.status, 200);
    assert.equal(
      (await fake.waitFor('response_url', (call) => call.responseId === onMessage.responseId)).args.text,
      'decided',
    );
    const onHome = await sender.blockAction(
      'ULEAD001',
      { action_id: 'least.approve', value: 'r-2' },
      { view: { id: 'VHOME0001', type: 'home' } },
    );
    assert.equal(onHome.status, 200);
    assert.equal(onHome.responseId, undefined);
    assert.deepEqual(
      heard.filter((h) => h.startsWith('action:')),
      ['action:r-1:message:respond', 'action:r-2:view:no-respond'],
    );

    const submitted = await sender.viewSubmission('UADA0001', {
      callback_id: 'least.form',
      private_metadata: 'm-1',
      state: { values: {} },
    });
    assert.deepEqual(submitted.json, { response_action: 'errors', errors: { reason: 'metadata was m-1' } });

    const typed = await sender.blockSuggestion('UADA0001', 'least.entitlement', 'prod');
    assert.deepEqual(
      (typed.json as { options: { value: string }[] }).options.map((o) => o.value),
      ['prod-1'],
    );

    const opened = await sender.event({ type: 'app_home_opened', user: 'UADA0001', tab: 'home', channel: 'DHOME0001' });
    assert.equal(opened.status, 200);
    await fake.waitFor('views.publish', (call) => call.args.user_id === 'UADA0001');

    const check = await sender.urlVerification('challenge-123');
    assert.deepEqual(check.json, { challenge: 'challenge-123' });
  });
});

function silentLogger(): Logger {
  let level = LogLevel.ERROR;
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
