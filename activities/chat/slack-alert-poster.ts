import type { WebClient } from '@slack/web-api';
import type { AlertMessage, PostedAlert } from '../../domain/alert/model';
import { alertSlackMessage } from '../../bot/render/slack/alert';
import type { TemporalUi } from '../../bot/render/alert';
import type { AlertPoster, AlertPosting } from './alert-poster';
import { SLACK_PERMANENT_ERRORS } from './slack-notifier';

/** A rule alert in a Slack channel: chat.postMessage, then chat.update as its count and status change. */
export class SlackAlertPoster implements AlertPoster {
  readonly platform = 'slack' as const;

  /** `ui`: alerts about a request link to its workflow in Temporal's web UI. */
  constructor(private readonly deps: { client: WebClient; ui?: TemporalUi }) {}

  async post(channel: string, alert: AlertMessage): Promise<AlertPosting> {
    const message = alertSlackMessage(alert, this.deps.ui);
    try {
      const posted = await this.deps.client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
      });
      return {
        status: 'posted',
        message: { platform: 'slack', channel: posted.channel ?? channel, messageId: posted.ts ?? '' },
      };
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (!code || !SLACK_PERMANENT_ERRORS.has(code)) throw error;
      return {
        status: 'undelivered',
        platform: 'slack',
        channel,
        reason: `Slack refused the alert in ${channel}: ${code} (invite Least to the channel, or fix alerts.channels in the policy)`,
      };
    }
  }

  async update(posted: PostedAlert, alert: AlertMessage): Promise<void> {
    const message = alertSlackMessage(alert, this.deps.ui);
    try {
      await this.deps.client.chat.update({
        channel: posted.channel,
        ts: posted.messageId,
        text: message.text,
        blocks: message.blocks,
      });
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      // a message deleted or a channel gone: nothing left to update
      if (!code || !(SLACK_PERMANENT_ERRORS.has(code) || code === 'message_not_found')) throw error;
    }
  }
}
