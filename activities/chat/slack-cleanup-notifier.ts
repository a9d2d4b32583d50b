import type { WebClient } from '@slack/web-api';
import {
  cleanupDeniedMessage,
  cleanupOwnerMessage,
  cleanupReportMessage,
  cleanupRestoredMessage,
  cleanupSummaryMessage,
  type SlackMessage,
} from '../../bot/render/slack';
import { ChatCleanupNotifier, type CleanupMessageLog } from './cleanup-chat-notifier';
import { SLACK_PERMANENT_ERRORS, type SlackPeople } from './slack-notifier';

export interface SlackCleanupNotifierDeps {
  client: WebClient;
  /** Who someone is in Slack, by e-mail: the same directory the request notifier uses. */
  people: SlackPeople;
  /** `CleanupMessages` over PostgreSQL (activities/store/cleanup/messages.ts). */
  messages: CleanupMessageLog;
  log?: (msg: string, extra: Record<string, unknown>) => void;
}

type SlackConversation = { userId: string } | { channel: string };

/**
 * The cleanup in Slack: owners get a direct message (by their e-mail, through the people directory),
 * the system's Slack channel the summary and the report. An owner Slack does not know, a deactivated
 * account or a channel the app was removed from is "not reached", and their items go to the channel.
 */
export class SlackCleanupNotifier extends ChatCleanupNotifier<SlackConversation, SlackMessage> {
  constructor(deps: SlackCleanupNotifierDeps) {
    const log = deps.log ?? ((m, e) => console.warn(JSON.stringify({ level: 'warn', msg: m, ...e })));
    super(
      {
        platform: 'slack',
        person: async (email) => {
          const userId = await deps.people.userIdOf(email);
          return userId ? { userId } : undefined;
        },
        channel: (target) => Promise.resolve({ channel: target.channel }),
        post: async (to, message) => {
          const channel =
            'userId' in to
              ? ((await deps.client.conversations.open({ users: to.userId })).channel?.id ?? to.userId)
              : to.channel;
          const posted = await deps.client.chat.postMessage({
            channel,
            text: message.text,
            blocks: message.blocks,
            unfurl_links: false,
            unfurl_media: false,
          });
          return { channel: posted.channel ?? channel, messageId: posted.ts ?? '' };
        },
        permanent: (error) => {
          const code = (error as { data?: { error?: string } }).data?.error;
          return code !== undefined && SLACK_PERMANENT_ERRORS.has(code) ? code : undefined;
        },
      },
      {
        owner: cleanupOwnerMessage,
        summary: cleanupSummaryMessage,
        report: cleanupReportMessage,
        restored: cleanupRestoredMessage,
        denied: cleanupDeniedMessage,
      },
      deps.messages,
      log,
    );
  }
}
