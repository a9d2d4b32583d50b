import type { AlertMessage, PostedAlert } from '../../domain/alert/model';
import { messageActivity } from '../../bot/render/teams';
import { alertTeamsMessage } from '../../bot/render/teams/alert';
import type { TemporalUi } from '../../bot/render/alert';
import type { TeamsConversationRecord } from '../store/teams-conversations';
import type { AlertPoster, AlertPosting } from './alert-poster';
import { TEAMS_PERMANENT_STATUS } from './teams-notifier';
import type { TeamsPoster } from './teams-poster';

/** A rule alert in a Teams channel: posted proactively into the conversation Least stored, then updated. */
export class TeamsAlertPoster implements AlertPoster {
  readonly platform = 'teams' as const;

  constructor(
    private readonly deps: {
      poster: TeamsPoster;
      conversations: { teamsChannel(conversationId: string): Promise<TeamsConversationRecord | undefined> };
      /** Alerts about a request link to its workflow in Temporal's web UI. */
      ui?: TemporalUi;
    },
  ) {}

  async post(channel: string, alert: AlertMessage): Promise<AlertPosting> {
    const conversation = await this.deps.conversations.teamsChannel(channel);
    if (!conversation)
      return {
        status: 'undelivered',
        platform: 'teams',
        channel,
        reason: `Least has no conversation for Teams channel ${channel}: add the app to the team, or fix alerts.channels in the policy`,
      };
    try {
      const id = await this.deps.poster.post(
        conversation.reference,
        messageActivity(alertTeamsMessage(alert, this.deps.ui)),
      );
      return { status: 'posted', message: { platform: 'teams', channel: conversation.conversationId, messageId: id } };
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined || !TEAMS_PERMANENT_STATUS.has(status)) throw error;
      return {
        status: 'undelivered',
        platform: 'teams',
        channel,
        reason: `Teams refused the alert in ${channel} (HTTP ${status}): the app was removed from the team or the channel was deleted`,
      };
    }
  }

  async update(posted: PostedAlert, alert: AlertMessage): Promise<void> {
    const conversation = await this.deps.conversations.teamsChannel(posted.channel);
    if (!conversation) return;
    try {
      await this.deps.poster.update(
        conversation.reference,
        posted.messageId,
        messageActivity(alertTeamsMessage(alert, this.deps.ui)),
      );
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === undefined || !TEAMS_PERMANENT_STATUS.has(status)) throw error;
    }
  }
}
