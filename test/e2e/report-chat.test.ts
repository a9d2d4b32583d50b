import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { Client } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import { parse } from 'parse5';
import type { PgStore } from '../../activities/store/pg-store';
import { startBotServer, type BotServer } from '../../app/bot-server';
import type { LinksConfig } from '../../app/config';
import { fileLinkSigner } from '../../app/file-links';
import { reportDesk } from '../../app/report-desk';
import { accessClient } from '../../app/runtime';
import { FILES_PATH, FileLinkSigner } from '../../bot/file-links';
import { sharedFileListener } from '../../bot/file-route';
import { createSlackFrontEnd, type SlackFrontEnd } from '../../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../../bot/chat-routes';
import { slackClientOptions } from '../../bot/slack/client-options';
import { SlackDirectory } from '../../bot/slack/directory';
import { createTeamsFrontEnd, type TeamsFrontEnd } from '../../bot/teams/app';
import { FILE_CONSENT_CONTENT_TYPE, FILE_INFO_CONTENT_TYPE } from '../../bot/render/teams/report';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import { policySchema, type Policy } from '../../domain/policy/schema';
import { FAKE_BOT_TOKEN, FakeSlack } from '../support/fakes/fake-slack';
import { FakeTeamsConnector, type ConnectorActivity } from '../support/fakes/fake-teams';
import { SlackSender, type SlackReply } from '../support/generators/slack-requests';
import {
  channelConversation,
  personalConversation,
  teamsUser,
  TeamsSender,
  type TeamsUser,
} from '../support/generators/teams-requests';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { textOf } from '../support/stacks/slack-stack';

/**
 * `/access report …` (Slack) and `access report …` (Teams) end to end: signed Slack requests and Teams
 * activities into the real Bolt and Agents SDK front ends served by the bot server, the real report
 * builder over a fresh PostgreSQL database, the Slack Web API and Bot Connector faked at their HTTP
 * boundary (OneDrive's upload URL too), and the bot's own `/files/` route for signed links. Temporal is
 * not involved: a report reads PostgreSQL only (the access client's connection stays lazy, never used).
 */

const SYSTEM = 'aws-prod';
const ACCOUNT = '111122223333';
const ADA = 'ada@example.com';
const SEC = 'sec@example.com';
const MALLORY = 'mallory@example.com';
const SIGNING_SECRET = 'report-chat-signing-secret-not-real';
/** Made for this run: a link secret is never written out. */
const LINK_SECRET = randomBytes(32).toString('hex');
const SlackUser = { ada: 'UADA0001', sec: 'USEC0001', mallory: 'UMAL0001' } as const;
const People = {
  ada: teamsUser('Ada', { email: ADA, userPrincipalName: ADA }),
  sec: teamsUser('Sec', { email: SEC, userPrincipalName: SEC }),
  mallory: teamsUser('Mallory', { email: MALLORY, userPrincipalName: MALLORY }),
} satisfies Record<string, TeamsUser>;
const TEAMS_BOT_ID = '00000000-0000-4000-8000-00000000b07a';
const CHANNEL = channelConversation({ teamId: '19:reports0123456789abcdef@thread.tacv2' });

let db: TestDatabase;
let store: PgStore;
let policy: Policy;
let slack: FakeSlack;
let connector: FakeTeamsConnector;
let slackFront: SlackFrontEnd;
let teamsFront: TeamsFrontEnd;
let server: BotServer;
let slackSender: SlackSender;
let teamsSender: TeamsSender;
let links: LinksConfig;

before(async () => {
  ({ db, store } = await freshStore());
  policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      { id: SYSTEM, cloud: 'aws', accountId: ACCOUNT, brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker` },
    ],
    admins: { users: ['root@example.com'] },
    findings: { securityViewers: { users: [SEC] } },
    principals: {
      [ADA]: { [SYSTEM]: { awsIamUser: 'ada' } },
      [MALLORY]: { [SYSTEM]: { awsIamUser: 'mallory' } },
    },
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: [SEC] },
      },
    ],
  });
  slack = await FakeSlack.start();
  slack.addUser({ id: SlackUser.ada, email: ADA, name: 'ada' });
  slack.addUser({ id: SlackUser.sec, email: SEC, name: 'sec' });
  slack.addUser({ id: SlackUser.mallory, email: MALLORY, name: 'mallory' });
  connector = await FakeTeamsConnector.start();
  for (const user of Object.values(People))
    connector.addMember({ ...user, email: user.email, userPrincipalName: user.userPrincipalName });

  // The routes are read per request: the server starts first, so the links can name its address.
  const routes: Record<string, RequestListener> = {};
  const prefixes: Record<string, RequestListener> = {};
  server = await startBotServer({ port: 0, routes, prefixes });
  links = { secret: LINK_SECRET, publicUrl: server.url, reportSeconds: 3600, chartSeconds: 3600 };
  const client = new WebClient(FAKE_BOT_TOKEN, slackClientOptions(slack.apiUrl));
  const directory = new SlackDirectory({ client, policy: () => policy });
  const access = accessClient({ temporal: new Client(), taskQueue: 'reports', policy: () => policy, store });
  const reports = reportDesk({ store, policy: () => policy, links });
  slackFront = createSlackFrontEnd({
    botToken: FAKE_BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    access,
    reports,
    policy: () => policy,
    client,
    directory,
    processBeforeResponse: true,
  });
  teamsFront = createTeamsFrontEnd({ access, reports, policy: () => policy, conversations: store });
  routes[SLACK_EVENTS_PATH] = slackFront.requestListener!;
  routes[TEAMS_MESSAGES_PATH] = teamsFront.requestListener;
  prefixes[FILES_PATH] = sharedFileListener({ files: store.sharedFiles, signer: fileLinkSigner(links) });
  slackSender = new SlackSender({
    url: `${server.url}${SLACK_EVENTS_PATH}`,
    signingSecret: SIGNING_SECRET,
    responseUrl: (id) => slack.responseUrl(id),
  });
  teamsSender = new TeamsSender({
    botUrl: `${server.url}${TEAMS_MESSAGES_PATH}`,
    serviceUrl: connector.url,
    botId: TEAMS_BOT_ID,
  });
});

after(async () => {
  await server?.close();
  await slackFront?.stop();
  await teamsFront?.stop();
  await db?.drop();
  await slack?.stop();
  await connector?.stop();
});

/** What the person was told privately in answer to one slash command. */
async function told(reply: SlackReply, pattern: RegExp): Promise<string> {
  assert.equal(reply.status, 200);
  const call = await slack.waitFor(
    'response_url',
    (c) => c.responseId === reply.responseId && pattern.test(textOf(c.args)),
  );
  return textOf(call.args);
}

async function auditRows(action: string, actor: string) {
  return (await store.auditFor(undefined, 1000)).filter((row) => row.action === action && row.actor === actor);
}

/** The text of an HTML document as a reader sees it (parsed, scripts and markup gone). */
function htmlText(html: string): string {
  const parts: string[] = [];
  const walk = (node: unknown): void => {
    const n = node as { nodeName?: string; value?: string; childNodes?: unknown[] };
    if (n.nodeName === '#text' && n.value) parts.push(n.value);
    if (n.nodeName === 'script' || n.nodeName === 'style') return;
    n.childNodes?.forEach(walk);
  };
  walk(parse(html));
  return parts.join(' ');
}

function attachmentsOf(messages: ConnectorActivity[], contentType: string) {
  return messages.flatMap((m) =>
    (m.attachments ?? []).filter((a) => a.contentType === contentType).map((a) => ({ message: m, attachment: a })),
  );
}

describe('/access report in Slack', () => {
  it('uploads my own report into the channel I asked in, with HTML that names me, and audits it', async () => {
    const reply = await slackSender.command(SlackUser.ada, `report ${ADA} 30`, { channelId: 'CREPORTS1' });
    assert.match(await told(reply, /Building the report/), /last 30 days/);
    const complete = await slack.waitFor('files.completeUploadExternal', (c) => c.args.channel_id === 'CREPORTS1');
    assert.equal(complete.args.channel_id, 'CREPORTS1');
    const [entry] = complete.args.files as { id: string }[];
    const file = slack.uploadedFile(entry!.id)!;
    assert.match(file.filename, /\.html$/);
    assert.equal(file.channel, 'CREPORTS1');
    const requested = slack.callsTo('files.getUploadURLExternal').find((c) => c.args.filename === file.filename);
    assert.equal(Number(requested?.args.length), file.bytes!.length, 'the declared length is the bytes sent');
    const html = file.bytes!.toString('utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.ok(htmlText(html).includes(ADA), 'the report names the identity');
    assert.match(String(complete.args.initial_comment), /asked for by <@UADA0001>/);
    const [delivered] = await auditRows(AuditAction.ReportDelivered, ADA);
    assert.deepEqual(
      [delivered?.detail.platform, delivered?.detail.how, delivered?.detail.where, delivered?.detail.bytes],
      ['slack', 'slack-upload', 'CREPORTS1', file.bytes!.length],
    );
  });

  it("refuses another person's report to someone who is not a security viewer, says why, audits it, uploads nothing", async () => {
    const uploads = slack.callsTo('files.getUploadURLExternal').length;
    const reply = await slackSender.command(SlackUser.mallory, `report ${ADA}`, { channelId: 'CREPORTS1' });
    const text = await told(reply, /security viewers/);
    assert.match(text, /on yourself only/);
    const [refused] = await auditRows(AuditAction.ReportRefused, MALLORY);
    assert.deepEqual(
      [refused?.detail.code, refused?.detail.identity, refused?.detail.platform],
      [ErrorCode.ReportNotAuthorized, ADA, 'slack'],
    );
    assert.equal(slack.callsTo('files.getUploadURLExternal').length, uploads, 'nothing was uploaded');
    const said = slack.callsTo('response_url').filter((c) => c.responseId === reply.responseId);
    assert.ok(!said.some((c) => /Building/.test(textOf(c.args))), 'no promise of a report that will not come');
  });

  it('escapes a hostile identity in every answer, and audits the refusal of an identity nobody knows', async () => {
    const hostile = '<!channel> <http://evil.example|click> *x*';
    const reply = await slackSender.command(SlackUser.sec, `report ${hostile}`, { channelId: 'CSECURITY' });
    await told(reply, /No identity/);
    const said = slack.callsTo('response_url').filter((c) => c.responseId === reply.responseId);
    assert.ok(said.length >= 2, 'the building note and the refusal');
    for (const call of said) {
      const text = textOf(call.args);
      assert.ok(!text.includes('<!channel>') && !text.includes('<http://evil.example|'), text);
    }
    const refused = (await auditRows(AuditAction.ReportRefused, SEC)).find((r) => r.detail.identity === hostile);
    assert.equal(refused?.detail.code, ErrorCode.ReportSubjectUnknown);
  });

  it("gives a security viewer another person's report", async () => {
    const reply = await slackSender.command(SlackUser.sec, `report ${ADA} 7d`, { channelId: 'CSECURITY' });
    await told(reply, /Building the report/);
    const complete = await slack.waitFor('files.completeUploadExternal', (c) => c.args.channel_id === 'CSECURITY');
    assert.match(String(complete.args.initial_comment), /the last 7 days · asked for by <@USEC0001>/);
    const file = slack.uploadedFile((complete.args.files as { id: string }[])[0]!.id)!;
    assert.ok(htmlText(file.bytes!.toString('utf8')).includes(ADA));
    assert.equal((await auditRows(AuditAction.ReportDelivered, SEC)).length, 1);
  });

  it('says so privately when the bot is not in the channel, and audits the undelivered report', async () => {
    slack.refuseChannel('CPRIVATE1', 'not_in_channel');
    const reply = await slackSender.command(SlackUser.ada, `report ${ADA}`, { channelId: 'CPRIVATE1' });
    assert.match(await told(reply, /not in this channel/), /invite/i);
    const refused = (await auditRows(AuditAction.ReportRefused, ADA)).find((r) => r.detail.where === 'CPRIVATE1');
    assert.deepEqual([refused?.detail.code, refused?.detail.reason], [ErrorCode.ReportUndelivered, 'not_in_channel']);
  });

  it('answers days out of bounds and hostile input with the usage, not a report', async () => {
    for (const text of ['report ada@example.com 366', 'report ada@example.com 0', 'report', `report <!channel> 0`]) {
      const reply = await slackSender.command(SlackUser.ada, text);
      assert.equal(reply.status, 200);
      const shown = textOf(JSON.parse(reply.body));
      assert.match(shown, /report &lt;identity&gt; \[days\]|report <identity> \[days\]/, text);
      assert.ok(!shown.includes('<!channel>'), 'no broadcast survives');
    }
  });
});

describe('access report in Teams', () => {
  it('offers my report as a file in a personal chat; on accept it is uploaded and shown as a file card', async () => {
    const chat = personalConversation(People.ada);
    await teamsSender.install(People.ada, chat);
    await teamsSender.message(People.ada, chat, `report ${ADA} 30`);
    const [consent] = await connector.waitFor(
      () => {
        const found = attachmentsOf(connector.messagesIn(chat.id), FILE_CONSENT_CONTENT_TYPE);
        return found.length > 0 && found;
      },
      { what: 'a file consent card' },
    );
    const card = consent!.attachment as unknown as {
      name: string;
      content: { sizeInBytes: number; acceptContext: unknown };
    };
    assert.match(card.name, /\.html$/);
    const upload = connector.fileUploadUrl(card.name);
    const answer = await teamsSender.fileConsent(
      People.ada,
      chat,
      { action: 'accept', context: card.content.acceptContext, uploadInfo: upload },
      consent!.message.id,
    );
    assert.equal(answer.status, 200);
    const put = connector.upload(upload.uniqueId)!;
    assert.ok(put.bytes, 'the bytes were PUT to the upload URL');
    assert.equal(put.bytes.length, card.content.sizeInBytes);
    assert.ok(htmlText(put.bytes.toString('utf8')).includes(ADA), 'the uploaded report names the identity');
    assert.deepEqual(
      attachmentsOf(connector.messagesIn(chat.id), FILE_CONSENT_CONTENT_TYPE),
      [],
      'the answered consent card is gone',
    );
    const [info] = attachmentsOf(connector.messagesIn(chat.id), FILE_INFO_CONTENT_TYPE);
    assert.deepEqual(
      [info?.attachment.contentUrl, info?.attachment.name, (info?.attachment.content as { uniqueId: string }).uniqueId],
      [upload.contentUrl, upload.name, upload.uniqueId],
    );
    const delivered = (await auditRows(AuditAction.ReportDelivered, ADA)).find((r) => r.detail.how === 'teams-file');
    assert.deepEqual([delivered?.detail.where, delivered?.detail.bytes], [chat.id, put.bytes.length]);
  });

  it('uploads nothing when the consent is declined, or answered by someone else', async () => {
    const chat = personalConversation(People.ada);
    await teamsSender.message(People.ada, chat, `report ${ADA}`);
    const consents = await connector.waitFor(
      () => {
        const found = attachmentsOf(connector.messagesIn(chat.id), FILE_CONSENT_CONTENT_TYPE);
        return found.length >= 1 && found;
      },
      { what: 'a new file consent card (the answered one is gone)' },
    );
    const context = (consents.at(-1)!.attachment.content as { acceptContext: unknown }).acceptContext;
    const upload = connector.fileUploadUrl('stolen.html');
    const mallory = personalConversation(People.mallory);
    await teamsSender.install(People.mallory, mallory);
    await teamsSender.fileConsent(People.mallory, mallory, { action: 'accept', context, uploadInfo: upload });
    assert.equal(connector.upload(upload.uniqueId)?.bytes, undefined, "Mallory did not get Ada's report");
    assert.match(connector.textsIn(mallory.id).at(-1)!, /no longer kept, or it was made for someone else/);
    const [refused] = await auditRows(AuditAction.ReportRefused, MALLORY);
    assert.equal(refused?.detail.code, ErrorCode.ReportNotAuthorized);
    await teamsSender.fileConsent(People.ada, chat, { action: 'decline', context });
    assert.match(connector.textsIn(chat.id).at(-1)!, /declined/);
  });

  it('answers in a channel with a signed link; the bot serves the HTML behind it as an attachment', async () => {
    await teamsSender.message(People.sec, CHANNEL, `report ${ADA} 14`);
    const text = await connector.waitFor(() => connector.textsIn(CHANNEL.id).find((t) => t.includes(FILES_PATH)), {
      what: 'a link to the report',
    });
    const url = /\]\((http:\/\/[^)\s]+)\)/.exec(text)![1]!;
    assert.ok(url.startsWith(`${server.url}${FILES_PATH}`));
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/html/);
    assert.match(response.headers.get('content-disposition')!, /^attachment; filename="[^"]+\.html"/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'private, no-store');
    assert.match(response.headers.get('content-security-policy')!, /default-src 'none'.*sandbox/);
    assert.ok(htmlText(await response.text()).includes(ADA));
    const delivered = (await auditRows(AuditAction.ReportDelivered, SEC)).find((r) => r.detail.how === 'teams-link');
    assert.equal(delivered?.detail.where, connector.messagesIn(CHANNEL.id).at(-1)!.conversationId);

    const link = new URL(url);
    const tampered = new URL(url);
    tampered.searchParams.set(
      'sig',
      `${link.searchParams.get('sig')!.slice(0, -1)}${link.searchParams.get('sig')!.endsWith('A') ? 'B' : 'A'}`,
    );
    const stretched = new URL(url);
    stretched.searchParams.set('exp', String(Number(link.searchParams.get('exp')) + 86_400));
    for (const forged of [tampered, stretched]) {
      const refused = await fetch(forged);
      assert.equal(refused.status, 403, forged.search);
      assert.doesNotMatch(await refused.text(), /signature|expir(ed|y) at|sig/i);
    }
  });

  it("refuses another person's report in a channel to someone who is not a security viewer", async () => {
    await teamsSender.message(People.mallory, CHANNEL, `report ${ADA}`);
    await connector.waitFor(() => connector.textsIn(CHANNEL.id).some((t) => /reports on other people/.test(t)), {
      what: 'the refusal',
    });
    assert.ok(!connector.textsIn(CHANNEL.id).some((t) => t.includes(FILES_PATH) && t.includes('mallory')));
  });
});

describe('signed file links at the bot', () => {
  it('refuses an expired link (403), and a valid link to a file no longer kept (404)', async () => {
    const signer = new FileLinkSigner({ secret: LINK_SECRET, baseUrl: server.url });
    const stored = await store.sharedFiles.put({
      contentType: 'text/html',
      filename: 'r.html',
      body: Buffer.from('<p>x</p>'),
      createdBy: ADA,
      purpose: 'report',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    assert.equal((await fetch(signer.link(stored.id, new Date(Date.now() - 1000)))).status, 403);
    assert.equal((await fetch(signer.link(stored.id, stored.expiresAt))).status, 200);
    const gone = await store.sharedFiles.put({
      contentType: 'text/html',
      filename: 'old.html',
      body: Buffer.from('<p>old</p>'),
      createdBy: ADA,
      purpose: 'report',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    assert.equal((await fetch(signer.link(gone.id, new Date(Date.now() + 60_000)))).status, 404);
    const other = new FileLinkSigner({ secret: `${LINK_SECRET}-other`, baseUrl: server.url });
    assert.equal((await fetch(other.link(stored.id, stored.expiresAt))).status, 403, 'a link signed with another key');
  });
});
