import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Activity } from '@microsoft/agents-activity';
import {
  CardFactory,
  CloudAdapter,
  ConnectorClient,
  HttpError,
  MessageFactory,
  type AuthConfiguration,
  type Request,
  type TurnContext,
  type WebResponse,
} from '@microsoft/agents-hosting';
import { ADAPTIVE_CARD_CONTENT_TYPE, FakeTeamsConnector, personalConversationId } from '../support/fakes/fake-teams';
import {
  TEAMS_TENANT_ID,
  TeamsSender,
  channelConversation,
  forgedBotFrameworkToken,
  groupChatConversation,
  inThread,
  personalConversation,
  teamsUser,
} from '../support/generators/teams-requests';

/**
 * The fake connector is checked against the SDK's real ConnectorClient (not against itself), and
 * the TeamsSender against a real CloudAdapter behind a tiny HTTP host.
 */

const APP_ID = '6b1f9c2e-0d4a-4e8b-9f3c-2a7d5e1b8c40';
const ada = teamsUser('Ada Lovelace');
const lead = teamsUser('Grace Hopper');
const team = channelConversation({ teamId: '19:3f1c2d0e9b8a4c7d6e5f@thread.tacv2', teamName: 'Platform' });

const card = (title: string, extra: Record<string, unknown> = {}) => ({
  type: 'AdaptiveCard',
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
  version: '1.5',
  body: [{ type: 'TextBlock', text: title }],
  ...extra,
});

/** What the SDK sends for a turn context: an Activity instance (it calls `isTargetedActivity()` on msteams bodies). */
const teamsMessage = (fields: Record<string, unknown>) =>
  Activity.fromObject({ type: 'message', channelId: 'msteams', ...fields });

function connectorError(status: number, code?: string) {
  return (error: unknown) => {
    assert.ok(error instanceof HttpError, `expected an HttpError, got ${String(error)}`);
    assert.equal(error.status, status);
    if (code) assert.equal((error.response.data as { error?: { code?: string } }).error?.code, code);
    return true;
  };
}

describe('FakeTeamsConnector through the SDK’s ConnectorClient', () => {
  let fake: FakeTeamsConnector;
  let client: ConnectorClient;
  const chat = personalConversationId(ada.id);

  before(async () => {
    fake = await FakeTeamsConnector.start({ tenantId: TEAMS_TENANT_ID });
    fake.addMember(ada);
    fake.addMember(lead);
    // The adapter builds exactly this for an anonymous turn: no token, so no Authorization header.
    client = ConnectorClient.createClientWithToken(fake.url, null as unknown as string);
  });

  after(async () => {
    await fake?.stop();
  });

  it('stores sends and replies per conversation, and updates keep their history', async () => {
    const sent = await client.sendToConversation(chat, teamsMessage({ text: 'first' }));
    const reply = await client.replyToActivity(chat, '1700000000001', teamsMessage({ text: 'a reply' }));
    assert.ok(sent.id && reply.id && sent.id !== reply.id);
    assert.deepEqual(fake.textsIn(chat), ['first', 'a reply']);
    assert.equal(fake.messagesIn(chat)[1]?.replyToId, '1700000000001');

    const posted = await client.sendToConversation(
      chat,
      teamsMessage({ attachments: [CardFactory.adaptiveCard(card('Request pending'))] }),
    );
    const updated = await client.updateActivity(
      chat,
      posted.id,
      teamsMessage({ id: posted.id, attachments: [CardFactory.adaptiveCard(card('Approved'))] }),
    );
    assert.equal(updated.id, posted.id);
    assert.deepEqual(
      fake.cardsIn(chat).map((c) => (c.body as { text: string }[])[0]?.text),
      ['Approved'],
    );
    assert.deepEqual(
      fake.updatesOf(posted.id).map((v) => (v.attachments?.[0]?.content as { body: { text: string }[] }).body[0]?.text),
      ['Request pending', 'Approved'],
    );

    await client.deleteActivity(chat, sent.id);
    assert.deepEqual(fake.textsIn(chat), ['a reply']);
    await assert.rejects(client.updateActivity(chat, sent.id, teamsMessage({ text: 'x' })), connectorError(404));
    await assert.rejects(client.updateActivity(chat, '999', teamsMessage({ text: 'x' })), connectorError(404));

    const routes = fake.calls.map((c) => `${c.method} ${c.route} ${c.status}`);
    assert.deepEqual(routes.slice(0, 6), [
      'POST sendToConversation 201',
      'POST replyToActivity 201',
      'POST sendToConversation 201',
      'PUT updateActivity 200',
      'DELETE deleteActivity 200',
      'PUT updateActivity 404',
    ]);
    assert.ok(fake.calls.every((c) => c.conversationId === chat && c.authorization === undefined));
    assert.equal(fake.callsTo('replyToActivity')[0]?.activityId, '1700000000001');
  });

  it('decodes Teams channel thread ids (with : ; @ =) from the path', async () => {
    const thread = `${team.id};messageid=1700000000042`;
    const reply = await client.replyToActivity(thread, '1700000000042', teamsMessage({ text: 'in the thread' }));
    const call = fake.callsTo('replyToActivity').at(-1)!;
    assert.equal(call.conversationId, thread);
    assert.equal(call.activityId, '1700000000042');
    assert.deepEqual(fake.textsIn(thread), ['in the thread']);
    assert.deepEqual(fake.textsIn(team.id), ['in the thread'], 'a bare channel id gathers its threads');
    assert.equal(fake.messagesIn(thread)[0]?.id, reply.id);

    // A top-level post can be edited through its thread's id, as Teams allows.
    const top = await client.sendToConversation(team.id, teamsMessage({ text: 'announcement' }));
    await client.updateActivity(
      `${team.id};messageid=${top.id}`,
      top.id,
      teamsMessage({ text: 'announcement, edited' }),
    );
    assert.equal(fake.messagesIn(team.id).find((m) => m.id === top.id)?.text, 'announcement, edited');
    assert.deepEqual(fake.textsIn(thread), ['in the thread']);

    // The SDK percent-encodes the activity id of a reply (Teams invoke ids look like f:…), and
    // other clients encode conversation ids too: both arrive decoded.
    await client.replyToActivity(thread, 'f:9c1e', teamsMessage({ text: 'to an invoke' }));
    assert.equal(fake.callsTo('replyToActivity').at(-1)?.path.endsWith('/activities/f%3A9c1e'), true);
    assert.equal(fake.callsTo('replyToActivity').at(-1)?.activityId, 'f:9c1e');
    const encoded = await fetch(`${fake.url}v3/conversations/${encodeURIComponent(thread)}/activities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: 'encoded' }),
    });
    assert.equal(encoded.status, 201);
    assert.deepEqual(fake.textsIn(thread), ['in the thread', 'to an invoke', 'encoded']);
  });

  it('answers getConversationMember from the roster, by Teams id, AAD object id or UPN, and 404s strangers', async () => {
    const member = await client.getConversationMember(ada.id, chat);
    assert.deepEqual(member, {
      id: ada.id,
      name: 'Ada Lovelace',
      aadObjectId: ada.aadObjectId,
      givenName: 'Ada',
      surname: 'Lovelace',
      email: ada.email,
      userPrincipalName: ada.userPrincipalName,
      tenantId: TEAMS_TENANT_ID,
      userRole: 'user',
    });
    assert.equal((await client.getConversationMember(lead.aadObjectId, chat)).id, lead.id);
    assert.equal((await client.getConversationMember(lead.userPrincipalName.toUpperCase(), chat)).id, lead.id);
    await assert.rejects(client.getConversationMember('29:1stranger', chat), connectorError(404, 'MemberNotFound'));
    assert.equal(fake.callsTo('getConversationMember').at(-1)?.userId, '29:1stranger');

    const listed = await fetch(`${fake.url}v3/conversations/${chat}/members`);
    assert.deepEqual(
      ((await listed.json()) as { id: string }[]).map((m) => m.id),
      [ada.id],
      'a 1:1 chat lists its user',
    );
  });

  it('creates 1:1 chats (the same id installs use) and channel posts; refuses without tenant or install', async () => {
    const opened = await client.createConversation({
      isGroup: false,
      members: [{ id: ada.id }],
      tenantId: TEAMS_TENANT_ID,
      activity: teamsMessage({ text: 'your access expires in 5 minutes' }),
      channelData: { tenant: { id: TEAMS_TENANT_ID } },
    });
    assert.equal(opened.id, personalConversation(ada).id);
    assert.ok(opened.activityId);
    assert.equal(fake.messagesIn(opened.id).at(-1)?.id, opened.activityId);

    const post = await client.createConversation({
      isGroup: true,
      tenantId: TEAMS_TENANT_ID,
      activity: teamsMessage({ attachments: [CardFactory.adaptiveCard(card('Approval needed'))] }),
      channelData: { channel: { id: team.id }, tenant: { id: TEAMS_TENANT_ID } },
    });
    assert.equal(post.id, `${team.id};messageid=${post.activityId}`);
    assert.equal(fake.cardsIn(post.id).length, 1);

    await assert.rejects(
      client.createConversation({
        isGroup: false,
        members: [{ id: ada.id }],
        activity: teamsMessage({ text: 'x' }),
        channelData: {},
      }),
      connectorError(400, 'BadArgument'),
    );
    await assert.rejects(
      client.createConversation({
        isGroup: false,
        members: [{ id: '29:1not-installed' }],
        tenantId: TEAMS_TENANT_ID,
        activity: teamsMessage({ text: 'x' }),
        channelData: {},
      }),
      connectorError(403),
    );
  });

  it('refuses empty messages, broken cards and messages over 28 KB', async () => {
    await assert.rejects(client.sendToConversation(chat, teamsMessage({ text: '' })), connectorError(400));
    await assert.rejects(
      client.sendToConversation(chat, teamsMessage({ attachments: [CardFactory.adaptiveCard({ body: [] })] })),
      connectorError(400),
    );
    await assert.rejects(
      client.sendToConversation(chat, teamsMessage({ text: 'x'.repeat(29 * 1024) })),
      connectorError(413, 'MessageSizeTooBig'),
    );
  });

  it('fails the next call as asked: a 429 with Retry-After, a 500, each once', async () => {
    fake.failNext('sendToConversation', 429);
    fake.failNext('sendToConversation', 500);
    await assert.rejects(client.sendToConversation(chat, teamsMessage({ text: 'slow down' })), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 429);
      assert.equal(error.response.headers.get('retry-after'), '1');
      return true;
    });
    await assert.rejects(client.sendToConversation(chat, teamsMessage({ text: 'broken' })), connectorError(500));
    await client.sendToConversation(chat, teamsMessage({ text: 'third time lucky' }));
    assert.ok(!fake.textsIn(chat).includes('slow down') && !fake.textsIn(chat).includes('broken'));
    assert.equal(fake.textsIn(chat).at(-1), 'third time lucky');
    assert.deepEqual(
      fake
        .callsTo('sendToConversation')
        .slice(-3)
        .map((c) => c.status),
      [429, 500, 201],
    );
  });

  it('records the Authorization header an authenticated client sends, and unknown routes', async () => {
    const authed = ConnectorClient.createClientWithToken(fake.url, 'connector-token');
    await authed.sendToConversation(chat, teamsMessage({ text: 'with a token' }));
    assert.equal(fake.callsTo('sendToConversation').at(-1)?.authorization, 'Bearer connector-token');
    const stray = await fetch(`${fake.url}v3/attachments/x`);
    assert.equal(stray.status, 404);
    assert.equal(fake.calls.at(-1)?.route, 'unknown');
  });

  it('waitFor returns what the probe finds, or fails listing what was captured', async () => {
    setTimeout(() => void client.sendToConversation(chat, teamsMessage({ text: 'later' })).catch(() => undefined), 50);
    const later = await fake.waitFor(() => fake.messagesIn(chat).find((m) => m.text === 'later'));
    assert.equal(later.text, 'later');
    await assert.rejects(
      fake.waitFor(() => fake.textsIn(chat).includes('never'), { timeoutMs: 100, what: 'a "never" message' }),
      /a "never" message not met within 100 ms[\s\S]*sendToConversation 201 ×\d+[\s\S]*"later"/,
    );
  });
});

// ---------------------------------------------------------------- a real CloudAdapter over HTTP

interface BotHost {
  url: string;
  stop(): Promise<void>;
}

/** The minimal host a bot needs: JSON body, the SDK's JWT middleware, then adapter.process. */
async function startBot(adapter: CloudAdapter, logic: (context: TurnContext) => Promise<void>): Promise<BotHost> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const response = webResponse(res);
        try {
          const request: Request = {
            method: req.method,
            headers: req.headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          };
          let authorized = false;
          await adapter.authorizeRequest(request, response, () => {
            authorized = true;
          });
          if (authorized) await adapter.process(request, response, logic);
        } catch (error) {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function webResponse(res: http.ServerResponse): WebResponse {
  return {
    status(code: number) {
      res.statusCode = code;
      return this;
    },
    setHeader(name: string, value: string) {
      res.setHeader(name, value);
      return this;
    },
    send(body?: unknown) {
      if (body === undefined || res.writableEnded) return this;
      if (typeof body !== 'string' && !res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
      return this;
    },
    end() {
      if (!res.writableEnded) res.end();
      return this;
    },
    get headersSent() {
      return res.headersSent;
    },
    get writableEnded() {
      return res.writableEnded;
    },
  };
}

describe('TeamsSender through a real CloudAdapter (anonymous, as in local tests)', () => {
  let fake: FakeTeamsConnector;
  let bot: BotHost;
  let sender: TeamsSender;
  const seen: Activity[] = [];

  /** Echoes messages, posts a card on "card", and answers Universal Actions with a card. */
  async function logic(context: TurnContext): Promise<void> {
    const activity = context.activity;
    seen.push(activity);
    if (activity.type === 'message' && activity.text?.endsWith('card')) {
      await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card('Request pending'))));
    } else if (activity.type === 'message') {
      await context.sendActivity(`echo: ${activity.text}`);
    } else if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
      const { action, trigger } = activity.value as {
        action: { verb: string; data: Record<string, unknown> };
        trigger: string;
      };
      const answer = card(`${action.verb} (${trigger}) ${JSON.stringify(action.data)}`);
      if (action.verb === 'approve' && activity.replyToId) {
        const replacement = MessageFactory.attachment(CardFactory.adaptiveCard(answer));
        replacement.id = activity.replyToId;
        await context.updateActivity(replacement);
      }
      await context.sendActivity(
        Activity.fromObject({
          type: 'invokeResponse',
          value: { status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: answer } },
        }),
      );
    }
  }

  before(async () => {
    fake = await FakeTeamsConnector.start();
    // No client id: the SDK's JWT middleware lets requests without Authorization through (NODE_ENV ≠ production).
    bot = await startBot(new CloudAdapter({} as AuthConfiguration), logic);
    sender = new TeamsSender({ botUrl: bot.url, serviceUrl: fake.url, botId: APP_ID });
  });

  after(async () => {
    await bot?.stop();
    await fake?.stop();
  });

  it('delivers a 1:1 message; the echo reaches the fake connector as a reply in that chat', async () => {
    const chat = personalConversation(ada);
    const reply = await sender.message(ada, chat, 'hello');
    assert.equal(reply.status, 200);
    assert.equal(seen.at(-1)?.text, 'hello');
    assert.equal(seen.at(-1)?.from?.aadObjectId, ada.aadObjectId);
    assert.deepEqual(fake.textsIn(chat.id), ['echo: hello']);
    const call = fake.callsTo('replyToActivity').at(-1)!;
    assert.equal(call.conversationId, chat.id);
    assert.equal(call.activityId, reply.activity.id);
    assert.equal(call.authorization, undefined, 'an anonymous bot sends no token');
    const body = call.body as { from: { id: string }; recipient: { id: string }; replyToId: string };
    assert.equal(body.from.id, `28:${APP_ID}`);
    assert.equal(body.recipient.id, ada.id);
  });

  it('sends a channel message as a mention that starts a thread; the reply lands in that thread', async () => {
    const reply = await sender.message(lead, team, 'status');
    assert.equal(reply.status, 200);
    assert.equal(seen.at(-1)?.text, '<at>Least</at> status');
    assert.deepEqual(
      seen
        .at(-1)
        ?.entities?.filter((e) => e.type === 'mention')
        .map((e) => (e.mentioned as { id: string }).id),
      [`28:${APP_ID}`],
    );
    const thread = `${team.id};messageid=${reply.activity.id}`;
    assert.deepEqual(fake.textsIn(thread), ['echo: <at>Least</at> status']);
    const group = groupChatConversation();
    await sender.message(ada, group, 'hi all');
    assert.deepEqual(fake.textsIn(group.id), ['echo: <at>Least</at> hi all']);

    // A card posted in a new thread, then clicked there: the invoke carries the thread's id.
    const asked = await sender.message(lead, team, 'card');
    const cardThread = inThread(team, asked.activity.id);
    const posted = fake.messagesIn(cardThread.id).at(-1)!;
    assert.equal(posted.replyToId, asked.activity.id);
    const clicked = await sender.execute(lead, cardThread, { verb: 'approve', data: { requestId: 'r-9' } }, posted.id);
    assert.equal(clicked.status, 200);
    assert.equal(seen.at(-1)?.conversation?.id, cardThread.id);
    assert.equal(fake.updatesOf(posted.id).length, 2);
    assert.equal(fake.callsTo('updateActivity').at(-1)?.conversationId, cardThread.id);
  });

  it('installs as Teams does: installationUpdate (add), then conversationUpdate with the bot added', async () => {
    const chat = personalConversation(lead);
    const { installationUpdate, conversationUpdate } = await sender.install(lead, chat);
    assert.equal(installationUpdate.status, 200);
    assert.equal(conversationUpdate.status, 200);
    const [install, update] = seen.slice(-2);
    assert.equal(install?.type, 'installationUpdate');
    assert.equal(install?.action, 'add');
    assert.equal(update?.type, 'conversationUpdate');
    assert.deepEqual(
      update?.membersAdded?.map((m) => m.id),
      [`28:${APP_ID}`],
    );
    assert.equal(update?.conversation?.id, chat.id);
  });

  it('answers an Action.Execute invoke with the card in the HTTP response, inputs merged into data', async () => {
    const chat = personalConversation(ada);
    await sender.message(ada, chat, 'card');
    const posted = fake.messagesIn(chat.id).at(-1)!;
    const clicked = await sender.execute(
      ada,
      chat,
      { verb: 'approve', data: { requestId: 'r-1' }, inputs: { comment: 'ok' } },
      posted.id,
    );
    assert.equal(clicked.status, 200);
    assert.deepEqual(clicked.body, {
      statusCode: 200,
      type: ADAPTIVE_CARD_CONTENT_TYPE,
      value: card('approve (manual) {"requestId":"r-1","comment":"ok"}'),
    });
    assert.equal(seen.at(-1)?.replyToId, posted.id);
    assert.deepEqual(
      fake.updatesOf(posted.id).map((v) => (v.attachments?.[0]?.content as { body: { text: string }[] }).body[0]?.text),
      ['Request pending', 'approve (manual) {"requestId":"r-1","comment":"ok"}'],
    );

    const refreshed = await sender.refresh(ada, chat, { verb: 'view', data: { requestId: 'r-1' } }, posted.id);
    assert.equal(
      (refreshed.body as { value: { body: { text: string }[] } }).value.body[0]?.text,
      'view (automatic) {"requestId":"r-1"}',
    );
  });

  it('with deliveryMode expectReplies, the replies come back in the HTTP body and not through the connector', async () => {
    const chat = personalConversation(ada);
    const callsBefore = fake.calls.length;
    const reply = await sender.message(ada, chat, 'quietly', { deliveryMode: 'expectReplies' });
    assert.equal(reply.status, 200);
    const activities = (reply.body as { activities: { type: string; text: string; replyToId: string }[] }).activities;
    assert.deepEqual(
      activities.map((a) => [a.type, a.text, a.replyToId]),
      [['message', 'echo: quietly', reply.activity.id]],
    );
    assert.equal(fake.calls.length, callsBefore);
  });

  it('refuses malformed Authorization, any bearer token (no audience to match) and activities without a conversation', async () => {
    const before = seen.length;
    const malformed = await sender.message(ada, personalConversation(ada), 'x', {
      rawHeaders: { authorization: 'Basic abc' },
    });
    assert.equal(malformed.status, 401);
    assert.deepEqual(malformed.body, { 'jwt-auth-error': 'invalid authorization header' });
    const token = forgedBotFrameworkToken({ appId: APP_ID, serviceUrl: fake.url });
    const bearer = await sender.message(ada, personalConversation(ada), 'x', {
      rawHeaders: { authorization: `Bearer ${token}` },
    });
    assert.equal(bearer.status, 401);
    assert.deepEqual(bearer.body, { 'jwt-auth-error': 'Audience mismatch' });
    const { conversation: _dropped, ...rest } = (await sender.message(ada, personalConversation(ada), 'probe'))
      .activity;
    assert.equal((await sender.send({ ...rest, id: 'no-conversation' })).status, 400);
    assert.equal(seen.length, before + 1, 'only the well-formed probe reached the bot');
  });
});

describe('a CloudAdapter with a client id', () => {
  let fake: FakeTeamsConnector;
  let bot: BotHost;
  let reached = 0;

  before(async () => {
    fake = await FakeTeamsConnector.start();
    const config: AuthConfiguration = { clientId: APP_ID, tenantId: TEAMS_TENANT_ID };
    bot = await startBot(new CloudAdapter(config), async () => {
      reached++;
    });
  });

  after(async () => {
    await bot?.stop();
    await fake?.stop();
  });

  it('answers 401 without Authorization, and to a forged Bot Framework token (its key is in no JWKS)', async (t) => {
    const anonymous = new TeamsSender({ botUrl: bot.url, serviceUrl: fake.url, botId: APP_ID });
    const missing = await anonymous.message(ada, personalConversation(ada), 'hello');
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.body, { 'jwt-auth-error': 'authorization header not found' });

    const forged = new TeamsSender({
      botUrl: bot.url,
      serviceUrl: fake.url,
      botId: APP_ID,
      token: forgedBotFrameworkToken({ appId: APP_ID, serviceUrl: fake.url }),
    });
    const started = Date.now();
    const refused = await forged.message(ada, personalConversation(ada), 'hello');
    const elapsed = Date.now() - started;
    t.diagnostic(`forged token refused in ${elapsed} ms: ${JSON.stringify(refused.body)}`);
    assert.equal(refused.status, 401);
    // The SDK fetches login.botframework.com's JWKS for the token's kid; with no network that fails.
    assert.match(
      String((refused.body as Record<string, unknown>)['jwt-auth-error']),
      /login\.botframework\.com|kid|signing key/i,
    );
    assert.equal(reached, 0);
    assert.equal(fake.calls.length, 0);
  });
});
