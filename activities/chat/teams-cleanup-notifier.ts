import {
  cleanupDeniedMessage,
  cleanupOwnerMessage,
  cleanupReportMessage,
  cleanupRestoredMessage,
  cleanupSummaryMessage,
  messageActivity,
  type TeamsMessage,
} from '../../bot/render/teams';
import type { TeamsConversationRecord } from '../store/teams-conversations';
import { ChatCleanupNotifier, type CleanupMessageLog } from './cleanup-chat-notifier';
import { TEAMS_PERMANENT_STATUS, type TeamsNotifierDeps } from './teams-notifier';
import type { TeamsPoster } from './teams-poster';

export interface TeamsCleanupNotifierDeps {
  poster: TeamsPoster;
  /** Conversations stored on install or first contact, looked up as the request notifier does: PgStore has both. */
  conversations: Pick<TeamsNotifierDeps['store'], 'teamsConversationOf' | 'teamsChannel'>;
  /** `CleanupMessages` over PostgreSQL (activities/store/cleanup/messages.ts). */
  messages: CleanupMessageLog;
  log?: (msg: string, extra: Record<string, unknown>) => void;
}

/**
 * The cleanup in Teams: owners get a card in their personal chat with Least (stored when they
 * installed it or wrote to it), the system's Teams channel the summary and the report. An owner
 * without a stored chat, or a chat the app was removed from (403/404), is "not reached", and their
 * items go to the channel.
 */
export class TeamsCleanupNotifier extends ChatCleanupNotifier<TeamsConversationRecord, TeamsMessage> {
  constructor(deps: TeamsCleanupNotifierDeps) {
    const log = deps.log ?? ((m, e) => console.warn(JSON.stringify({ level: 'warn', msg: m, ...e })));
    super(
      {
        platform: 'teams',
        person: (email) => deps.conversations.teamsConversationOf(email),
        channel: async (target) => {
          const conversation = await deps.conversations.teamsChannel(target.channel);
          if (!conversation) log('teams channel unknown: add Least to it first', { channel: target.channel });
          return conversation;
        },
        post: async (to, message) => ({
          channel: to.conversationId,
          messageId: await deps.poster.post(to.reference, messageActivity(message)),
        }),
        permanent: (error) => {
          const status = (error as { status?: number }).status;
          return status !== undefined && TEAMS_PERMANENT_STATUS.has(status) ? `status ${status}` : undefined;
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
