import type { DigestContent } from '../../domain/digest/content';
import type { DigestChartDrawing } from '../../bot/render/digest-charts';
import { messageActivity } from '../../bot/render/teams';
import { digestTeamsMessage } from '../../bot/render/teams/digest';
import type { TeamsConversationRecord } from '../store/teams-conversations';
import { renderChartPng } from './chart-png';
import { chartFileName, type DigestDelivery, type DigestPoster } from './digest-poster';
import { TEAMS_PERMANENT_STATUS } from './teams-notifier';
import type { TeamsPoster } from './teams-poster';

/**
 * The pictures a card tries for each chart, largest first: 600×300, then 400×200. A full 800×400 PNG
 * is about 30 KB as a data URI, more than a whole Teams message; these fit one or two charts.
 */
export const TEAMS_CHART_SCALES = [0.75, 0.5];

/**
 * Stores a full-size chart picture where the bot serves it and answers its signed, expiring URL
 * (app/ wires it over the shared files and the link signer).
 */
export interface ChartLinks {
  share(picture: { png: Buffer; filename: string }): Promise<string>;
}

/**
 * A digest in Teams: one Adaptive Card posted proactively into the channel's conversation, which
 * Least stored when it was added to the team. Charts are PNG data URIs within the message size
 * limit, or their alt text (digestTeamsMessage decides).
 */
export class TeamsDigestPoster implements DigestPoster {
  readonly platform = 'teams' as const;

  constructor(
    private readonly deps: {
      poster: TeamsPoster;
      conversations: { teamsChannel(conversationId: string): Promise<TeamsConversationRecord | undefined> };
      /** Charts with no room as data URIs are shown from the bot by link; without it they are told in words. */
      links?: ChartLinks;
    },
  ) {}

  async post(channel: string, content: DigestContent, charts: readonly DigestChartDrawing[]): Promise<DigestDelivery> {
    const conversation = await this.deps.conversations.teamsChannel(channel);
    if (!conversation) {
      return {
        status: 'undelivered',
        channel,
        code: 'channel_unknown',
        reason: `Least has no conversation for Teams channel ${channel}: add the app to the team (Least stores the channel then); the next digest will post`,
      };
    }
    const inline = charts.map((drawing) => ({
      title: drawing.title,
      alt: drawing.chart.alt,
      pictures: TEAMS_CHART_SCALES.map(
        (scale) => `data:image/png;base64,${renderChartPng(drawing.chart, { scale }).png.toString('base64')}`,
      ),
    }));
    let digest = digestTeamsMessage(content, inline);
    const links = this.deps.links;
    if (links && digest.words.length > 0) {
      // Only the charts that found no room are stored, full size, and drawn again from their links.
      const told = new Set(digest.words);
      const linked = await Promise.all(
        inline.map(async (chart, index) =>
          told.has(chart.title)
            ? {
                ...chart,
                link: await links.share({
                  png: renderChartPng(charts[index]!.chart).png,
                  filename: chartFileName(content, charts[index]!),
                }),
              }
            : chart,
        ),
      );
      digest = digestTeamsMessage(content, linked);
    }
    try {
      const id = await this.deps.poster.post(conversation.reference, messageActivity(digest.message));
      return {
        status: 'posted',
        channel: conversation.conversationId,
        messageId: id,
        charts: { pictures: digest.pictures, words: digest.words },
      };
    } catch (error) {
      const status = (error as { status?: number; statusCode?: number }).status;
      if (status === undefined || !TEAMS_PERMANENT_STATUS.has(status)) throw error;
      return {
        status: 'undelivered',
        channel,
        code: `status ${status}`,
        reason: `Teams refused the digest in ${channel} (HTTP ${status}): the app was removed from the team or the channel was deleted; add Least back to post there`,
      };
    }
  }
}
