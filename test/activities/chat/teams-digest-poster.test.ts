import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TEAMS_CHART_SCALES, TeamsDigestPoster } from '../../../activities/chat/teams-digest-poster';
import { AdapterTeamsPoster } from '../../../activities/chat/teams-poster';
import type { PgStore } from '../../../activities/store/pg-store';
import { CHART_HEIGHT, CHART_WIDTH } from '../../../bot/render/charts';
import { digestCharts } from '../../../bot/render/digest-charts';
import { teamsAdapter } from '../../../bot/teams/adapter';
import { assertCardValid } from '../../support/checks/adaptive-cards';
import { inkedPixels, pngOfDataUri } from '../../support/checks/png';
import { cardOf } from '../../support/checks/teams-cards';
import { FakeTeamsConnector, MAX_MESSAGE_BYTES } from '../../support/fakes/fake-teams';
import { busyDigest, quietDigest } from '../../support/generators/digest';
import { channelConversation } from '../../support/generators/teams-requests';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/**
 * The digest poster through the real Agents SDK (continueConversation) against the fake Bot
 * Connector: one Adaptive Card in the channel, valid, under Teams' size limit with its pictures; a
 * channel Least was never added to, or was removed from, is an answer, not a failure.
 */

const CHANNEL = '19:digest0123@thread.tacv2';
const BOT = { id: '28:00000000-0000-4000-8000-00000000b07a', name: 'Least' };
let connector: FakeTeamsConnector;
let db: TestDatabase;
let store: PgStore;
let poster: TeamsDigestPoster;

before(async () => {
  connector = await FakeTeamsConnector.start();
  ({ db, store } = await freshStore());
  poster = new TeamsDigestPoster({ poster: new AdapterTeamsPoster(teamsAdapter({})), conversations: store });
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
  await db?.drop();
  await connector?.stop();
});

beforeEach(() => connector.clear());

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

describe('TeamsDigestPoster', () => {
  it('posts one valid card with PNG data URIs, within the message size limit, the rest in words', async () => {
    const content = busyDigest();
    const charts = digestCharts(content);
    const delivery = await poster.post(CHANNEL, content, charts);
    assert.equal(delivery.status, 'posted');
    const sends = connector.callsTo('sendToConversation');
    assert.equal(sends.length, 1);
    assert.ok(Buffer.byteLength(JSON.stringify(sends[0]!.body)) <= MAX_MESSAGE_BYTES);
    const [message] = connector.messagesIn(CHANNEL);
    assert.equal(delivery.status === 'posted' && delivery.messageId, message!.id);
    const card = assertCardValid(cardOf(message) as never);
    const pictures = images(card);
    assert.ok(pictures.length >= 1, 'at least one chart as a picture');
    const sizes = TEAMS_CHART_SCALES.map((scale) => `${CHART_WIDTH * scale}×${CHART_HEIGHT * scale}`);
    for (const picture of pictures) {
      const png = pngOfDataUri(picture.url);
      assert.ok(sizes.includes(`${png.width}×${png.height}`), `a picture of ${png.width}×${png.height}`);
      assert.ok(inkedPixels(png) / (png.width * png.height) > 0.02, 'the picture looks blank');
      assert.ok(
        charts.some((chart) => chart.chart.alt === picture.altText),
        'its alt text is the chart’s',
      );
    }
    assert.ok(delivery.status === 'posted');
    assert.equal(delivery.charts.pictures.length, pictures.length);
    assert.equal(delivery.charts.pictures.length + delivery.charts.words.length, charts.length);
    const words = JSON.stringify(card);
    for (const title of delivery.charts.words) assert.ok(words.includes(title), `${title} is told in words`);
  });

  it('posts a quiet period as one line of text', async () => {
    const delivery = await poster.post(CHANNEL, quietDigest(), []);
    assert.equal(delivery.status, 'posted');
    const [message] = connector.messagesIn(CHANNEL).slice(-1);
    assert.equal(message!.attachments, undefined);
    assert.match(
      message!.text ?? '',
      /^\*\*Least daily digest\*\* for Sun 29 Mar 2026 \(Europe\/Berlin\): nothing to report/,
    );
    assert.ok(!(message!.text ?? '').includes('\n'));
  });

  it('a channel Least was never added to is undelivered, and nothing is sent', async () => {
    const delivery = await poster.post('19:never@thread.tacv2', quietDigest(), []);
    assert.deepEqual(
      delivery.status === 'undelivered' && [delivery.code, /add the app to the team/.test(delivery.reason)],
      ['channel_unknown', true],
    );
    assert.equal(connector.calls.length, 0);
  });

  it('a channel that refuses the app (403, 404) is undelivered; a 5xx throws for a retry', async () => {
    connector.failNext('sendToConversation', 403, {
      error: { code: 'BotNotInConversationRoster', message: 'The bot is not part of the conversation roster.' },
    });
    const refused = await poster.post(CHANNEL, quietDigest(), []);
    assert.equal(refused.status === 'undelivered' && refused.code, 'status 403');
    connector.failNext('sendToConversation', 500);
    await assert.rejects(poster.post(CHANNEL, quietDigest(), []));
  });
});
