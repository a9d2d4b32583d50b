import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { WebClient } from '@slack/web-api';
import { SLACK_CHART_SCALE, SlackDigestPoster } from '../../../activities/chat/slack-digest-poster';
import { digestCharts } from '../../../bot/render/digest-charts';
import { slackClientOptions } from '../../../bot/slack/client-options';
import { CHART_HEIGHT, CHART_WIDTH } from '../../../bot/render/charts';
import { FAKE_BOT_TOKEN, FakeSlack } from '../../support/fakes/fake-slack';
import { decodePng, inkedPixels } from '../../support/checks/png';
import { busyDigest, quietDigest } from '../../support/generators/digest';

/**
 * The digest poster through the real WebClient against the fake Slack Web API: the charts go up by
 * Slack's external upload flow and arrive with the message's blocks; a channel that refuses the bot
 * is an answer, not a failure; a failure worth a retry still throws.
 */

const CHANNEL = 'CDIGEST001';
let fake: FakeSlack;
let poster: SlackDigestPoster;

before(async () => {
  fake = await FakeSlack.start();
  const client = new WebClient(FAKE_BOT_TOKEN, { ...slackClientOptions(fake.apiUrl), retryConfig: { retries: 0 } });
  poster = new SlackDigestPoster({ client });
});

after(async () => {
  await fake?.stop();
});

beforeEach(() => fake.clear());

describe('SlackDigestPoster', () => {
  it('uploads each chart (get URL → upload → complete) and shares them with the digest’s blocks in one message', async () => {
    const content = busyDigest();
    const charts = digestCharts(content);
    assert.equal(charts.length, 3);
    const delivery = await poster.post(CHANNEL, content, charts);
    assert.equal(delivery.status, 'posted');

    const sequence = fake.calls.map((call) => call.method);
    assert.deepEqual(sequence, [
      'files.getUploadURLExternal',
      'files.getUploadURLExternal',
      'files.getUploadURLExternal',
      'upload',
      'upload',
      'upload',
      'files.completeUploadExternal',
    ]);
    const files = fake.callsTo('upload').map((call) => fake.uploadedFile(String(call.args.file_id))!);
    assert.equal(
      delivery.status === 'posted' && delivery.messageId,
      `files:${files
        .map((f) => f.id)
        .sort()
        .join(',')}`,
    );

    const complete = fake.callsTo('files.completeUploadExternal')[0]!;
    assert.equal(complete.args.channel_id, CHANNEL);
    assert.deepEqual(
      (complete.args.files as { title: string }[]).map((f) => f.title).sort(),
      charts.map((c) => c.title).sort(),
    );

    const [message] = fake.messagesIn(CHANNEL);
    assert.equal(fake.messagesIn(CHANNEL).length, 1, 'one message');
    assert.match(JSON.stringify(message!.blocks), /Daily digest · Sun 29 Mar 2026/);
    assert.equal(message!.files?.length, 3);

    for (const chart of charts) {
      const file = files.find((f) => f.filename === `least-security-daily-2026-03-29-${chart.name}.png`);
      assert.ok(file, `${chart.name}: no file uploaded`);
      assert.equal(file.altText, chart.chart.alt, 'the alt text travels with the file');
      assert.equal(file.channel, CHANNEL);
      const image = decodePng(file.bytes!);
      assert.deepEqual(
        [image.width, image.height],
        [CHART_WIDTH * SLACK_CHART_SCALE, CHART_HEIGHT * SLACK_CHART_SCALE],
      );
      const inked = inkedPixels(image) / (image.width * image.height);
      assert.ok(inked > 0.02, `${chart.name}: ${(inked * 100).toFixed(1)}% drawn, the picture looks blank`);
    }
  });

  it('posts a quiet period as one line with chat.postMessage, and uploads nothing', async () => {
    const delivery = await poster.post(CHANNEL, quietDigest(), []);
    assert.equal(delivery.status, 'posted');
    assert.deepEqual(
      fake.calls.map((call) => call.method),
      ['chat.postMessage'],
    );
    const posted = fake.messagesIn(CHANNEL).at(-1)!;
    assert.equal(delivery.status === 'posted' && delivery.messageId, posted.ts);
    assert.equal((posted.blocks as unknown[]).length, 1);
  });

  it('a channel the bot is not in is undelivered with what to do, for the charts and for a quiet day alike', async () => {
    const channel = 'CNOTIN0001';
    fake.refuseChannel(channel, 'not_in_channel');
    const content = busyDigest();
    const withCharts = await poster.post(channel, content, digestCharts(content));
    assert.deepEqual(withCharts, {
      status: 'undelivered',
      channel,
      code: 'not_in_channel',
      reason: `Least is not in Slack channel ${channel}: invite it there (/invite @least); the next digest will post`,
    });
    const quiet = await poster.post(channel, quietDigest(), []);
    assert.equal(quiet.status === 'undelivered' && quiet.code, 'not_in_channel');
    assert.deepEqual(fake.messagesIn(channel), []);
  });

  it('a deleted or archived channel is undelivered too', async () => {
    fake.refuseChannel('CDELETED01', 'channel_not_found');
    fake.refuseChannel('CARCHIVE01', 'is_archived');
    const deleted = await poster.post('CDELETED01', quietDigest(), []);
    const archived = await poster.post('CARCHIVE01', quietDigest(), []);
    assert.equal(deleted.status === 'undelivered' && deleted.code, 'channel_not_found');
    assert.match(deleted.status === 'undelivered' ? deleted.reason : '', /does not exist or Least cannot see it/);
    assert.equal(archived.status === 'undelivered' && archived.code, 'is_archived');
  });

  it('a failure worth a retry throws, so the activity is retried', async () => {
    fake.failNext('files.completeUploadExternal', 'internal_error');
    const content = busyDigest();
    await assert.rejects(poster.post(CHANNEL, content, digestCharts(content)), /internal_error/);
  });

  it('asks only for scopes the manifest grants', async () => {
    const content = busyDigest();
    await poster.post(CHANNEL, content, digestCharts(content));
    await poster.post(CHANNEL, quietDigest(), []);
    const SCOPE_OF: Record<string, string> = {
      'files.getUploadURLExternal': 'files:write',
      'files.completeUploadExternal': 'files:write',
      'chat.postMessage': 'chat:write',
      upload: '',
    };
    const manifest = parse(await readFile('slack/manifest.yaml', 'utf8')) as {
      oauth_config: { scopes: { bot: string[] } };
    };
    for (const method of new Set(fake.calls.map((call) => call.method))) {
      assert.ok(method in SCOPE_OF, `${method}: scope not known to this test`);
      if (SCOPE_OF[method])
        assert.ok(manifest.oauth_config.scopes.bot.includes(SCOPE_OF[method]!), `${method} needs ${SCOPE_OF[method]}`);
    }
  });
});
