import type { WebClient } from '@slack/web-api';
import type { DigestContent } from '../../domain/digest/content';
import type { DigestChartDrawing } from '../../bot/render/digest-charts';
import { cut } from '../../bot/render/clip';
import { digestSlackMessage } from '../../bot/render/slack/digest';
import { renderChartPng } from './chart-png';
import { chartFileName, type DigestDelivery, type DigestPoster } from './digest-poster';
import { SLACK_PERMANENT_ERRORS } from './slack-notifier';

/** Sharp on high-density screens: 1600×800 pictures of the 800×400 charts. */
export const SLACK_CHART_SCALE = 2;
const ALT_TEXT_CHARS = 1000;

const REASONS: Record<string, (channel: string) => string> = {
  not_in_channel: (channel) =>
    `Least is not in Slack channel ${channel}: invite it there (/invite @least); the next digest will post`,
  channel_not_found: (channel) =>
    `Slack channel ${channel} does not exist or Least cannot see it (deleted, or private without Least); fix the digest's channel in the policy`,
  is_archived: (channel) => `Slack channel ${channel} is archived; unarchive it or point the digest elsewhere`,
};

/**
 * A digest in Slack: one message of Block Kit. With charts, it is the message files.uploadV2 shares
 * the chart PNGs with (files.getUploadURLExternal, the upload, files.completeUploadExternal with the
 * blocks), so text and pictures arrive together; without, chat.postMessage.
 */
export class SlackDigestPoster implements DigestPoster {
  readonly platform = 'slack' as const;

  constructor(private readonly deps: { client: WebClient }) {}

  async post(channel: string, content: DigestContent, charts: readonly DigestChartDrawing[]): Promise<DigestDelivery> {
    const message = digestSlackMessage(
      content,
      charts.map((drawing) => ({ title: drawing.title, alt: drawing.chart.alt })),
    );
    try {
      if (charts.length === 0) {
        const posted = await this.deps.client.chat.postMessage({
          channel,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
        });
        return {
          status: 'posted',
          channel: posted.channel ?? channel,
          messageId: posted.ts ?? '',
          charts: { pictures: [], words: [] },
        };
      }
      const uploaded = await this.deps.client.filesUploadV2({
        channel_id: channel,
        blocks: message.blocks,
        file_uploads: charts.map((drawing) => ({
          file: renderChartPng(drawing.chart, { scale: SLACK_CHART_SCALE }).png,
          filename: chartFileName(content, drawing),
          title: drawing.title,
          alt_text: cut(drawing.chart.alt, ALT_TEXT_CHARS),
        })),
      });
      const ids = (uploaded.files ?? []).flatMap((completion) => (completion.files ?? []).map((file) => file.id ?? ''));
      return {
        status: 'posted',
        channel,
        messageId: `files:${ids.filter(Boolean).join(',')}`,
        charts: { pictures: charts.map((drawing) => drawing.title), words: [] },
      };
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (!code || !SLACK_PERMANENT_ERRORS.has(code)) throw error;
      const reason = REASONS[code]?.(channel) ?? `Slack refused the digest in ${channel}: ${code}`;
      return { status: 'undelivered', channel, code, reason };
    }
  }
}
