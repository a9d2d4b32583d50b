import type { DigestContent } from '../../domain/digest/content';
import type { DigestChartDrawing } from '../../bot/render/digest-charts';

/** What became of one digest post. */
export type DigestDelivery =
  | {
      status: 'posted';
      /** The conversation it went to (Slack channel id, Teams conversation id). */
      channel: string;
      /** Slack `ts` (or `files:F1,F2` when the charts carried the message), Teams activity id. */
      messageId: string;
      /** Titles of the charts sent as pictures, and of those told in words only. */
      charts: { pictures: string[]; words: string[] };
    }
  | {
      status: 'undelivered';
      channel: string;
      /** A stable code (`not_in_channel`, `channel_not_found`, `status 403`, `channel_unknown`). */
      code: string;
      /** What went wrong and what to do, for the log and the audit entry. */
      reason: string;
    };

/**
 * Posts a digest into one channel of one chat platform. A channel that refuses it for good (the bot
 * is not in it, it was deleted or archived, the app was removed) is an `undelivered` answer, never a
 * failure: retrying cannot help, and the next period's digest tries again. A failure worth a retry
 * (a timeout, a 5xx, a rate limit) throws, and the activity is retried.
 */
export interface DigestPoster {
  readonly platform: 'slack' | 'teams';
  post(channel: string, content: DigestContent, charts: readonly DigestChartDrawing[]): Promise<DigestDelivery>;
}

/** File names and alt texts are plain: what a person wrote into a chart was made plain by the chart. */
export function chartFileName(content: DigestContent, chart: DigestChartDrawing): string {
  return `least-${content.digestId}-${content.period.firstDay}-${chart.name}.png`;
}
