import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { TeamsDigestPoster } from '../../../activities/chat/teams-digest-poster';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import type { PgStore } from '../../../activities/store/pg-store';
import { startBotServer, type BotServer } from '../../../app/bot-server';
import type { LinksConfig } from '../../../app/config';
import { chartLinks, fileLinkSigner } from '../../../app/file-links';
import { FILES_PATH } from '../../../bot/file-links';
import { sharedFileListener } from '../../../bot/file-route';
import { CHART_HEIGHT, CHART_WIDTH } from '../../../bot/render/charts';
import { digestCharts } from '../../../bot/render/digest-charts';
import { CHARTS_IN_WORDS_NOTE } from '../../../bot/render/teams/digest';
import { teamsAdapter } from '../../../bot/teams/adapter';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { decodePng, inkedPixels } from '../../support/checks/png';
import { cardOf } from '../../support/checks/teams-cards';
import { FakeTeamsConnector, MAX_MESSAGE_BYTES } from '../../support/fakes/fake-teams';
import { busyDigest } from '../../support/generators/digest';
import { channelConversation } from '../../support/generators/teams-requests';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/**
 * A Teams digest whose charts do not all fit the message as data URIs: the worker stores the rest as
 * shared files in PostgreSQL and the card shows them by signed, expiring URL; the bot's `/files/` route
 * serves the PNG behind each, and nothing behind a tampered or expired link.
 */

const CHANNEL = '19:digestlinks0123@thread.tacv2';
const BOT = { id: '28:00000000-0000-4000-8000-00000000b07a', name: 'Least' };
let connector: FakeTeamsConnector;
let db: TestDatabase;
let store: PgStore;
let server: BotServer;
let links: LinksConfig;

before(async () => {
  connector = await FakeTeamsConnector.start();
  ({ db, store } = await freshStore());
  const prefixes: Record<string, RequestListener> = {};
  server = await startBotServer({ port: 0, routes: {}, prefixes });
  links = {
    secret: 'digest-links-secret-0123456789abcdefghijkl',
    publicUrl: server.url,
    reportSeconds: 60,
    chartSeconds: 600,
  };
  prefixes[FILES_PATH] = sharedFileListener({ files: store.sharedFiles, signer: fileLinkSigner(links) });
  const conversation = channelConversation({ teamId: CHANNEL });
  await store.saveTeamsConversation({
    kind: 'channel',
    conversationId: conversation.id,
    reference: {
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id: conversation.id, conversationType: 'channel', tenantId: conversation.tenantId },
      agent: BOT,
    },
  });
});

after(async () => {
  await server?.close();
  await db?.drop();
  await connector?.stop();
});

const images = (card: unknown): { url: string; altText: string }[] => {
  const found: { url: string; altText: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Image') found.push({ url: String(record.url), altText: String(record.altText) });
    Object.values(record).forEach(walk);
  };
  walk(card);
  return found;
};

describe('TeamsDigestPoster with signed image links', () => {
  it('shows every chart: data URIs while they fit, the rest by a signed URL the bot answers with the PNG', async () => {
    const poster = new TeamsDigestPoster({
      poster: new AdapterTeamsPoster(teamsAdapter({})),
      conversations: store,
      links: chartLinks(store.sharedFiles, links),
    });
    const content = busyDigest();
    const charts = digestCharts(content);
    const delivery = await poster.post(CHANNEL, content, charts);
    assert.ok(delivery.status === 'posted');
    assert.deepEqual(delivery.charts.words, [], 'no chart is left in words');
    assert.equal(delivery.charts.pictures.length, charts.length);
    const [send] = connector.callsTo('sendToConversation');
    assert.ok(Buffer.byteLength(JSON.stringify(send!.body)) <= MAX_MESSAGE_BYTES);
    const card = assertCardValid(cardOf(connector.messagesIn(CHANNEL)[0]) as never);
    assert.ok(!JSON.stringify(card).includes(CHARTS_IN_WORDS_NOTE));
    const pictures = images(card);
    assert.equal(pictures.length, charts.length);
    const linked = pictures.filter((p) => p.url.startsWith(`${server.url}${FILES_PATH}`));
    assert.ok(linked.length >= 1, 'at least one chart is shown by link');
    assert.ok(
      pictures.some((p) => p.url.startsWith('data:image/png;base64,')),
      'the ones that fit stay data URIs',
    );
    for (const picture of linked) {
      const response = await fetch(picture.url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/png');
      assert.match(response.headers.get('content-disposition')!, /^inline; filename="least-.*\.png"/);
      const png = decodePng(Buffer.from(await response.arrayBuffer()));
      assert.deepEqual([png.width, png.height], [CHART_WIDTH, CHART_HEIGHT], 'the full-size picture');
      assert.ok(inkedPixels(png) / (png.width * png.height) > 0.02, 'the picture looks blank');
      assert.ok(charts.some((chart) => chart.chart.alt === picture.altText));
      const exp = Number(new URL(picture.url).searchParams.get('exp'));
      assert.ok(Math.abs(exp * 1000 - (Date.now() + 600_000)) < 60_000, 'the link lives for the chart lifetime');
    }
  });

  it('refuses a tampered or expired link to a chart with 403', async () => {
    const card = cardOf(connector.messagesIn(CHANNEL)[0]);
    const url = new URL(images(card).find((p) => p.url.startsWith('http'))!.url);
    const otherId = new URL(url);
    otherId.pathname = `${FILES_PATH}${'A'.repeat(22)}`;
    const earlier = new URL(url);
    earlier.searchParams.set('exp', String(Math.floor(Date.now() / 1000) - 10));
    const unsigned = new URL(url);
    unsigned.searchParams.delete('sig');
    for (const forged of [otherId, earlier, unsigned]) assert.equal((await fetch(forged)).status, 403, forged.href);
    const expired = fileLinkSigner(links).link(url.pathname.slice(FILES_PATH.length), new Date(Date.now() - 5000));
    assert.equal((await fetch(expired)).status, 403, 'a genuine signature past its expiry');
    assert.equal((await fetch(url)).status, 200, 'the genuine link still works');
  });
});
