import { CloudAdapter, type AuthConfiguration } from '@microsoft/agents-hosting';
import type { ConversationReference } from '@microsoft/agents-activity';

/** Posting into a Teams conversation Least stored earlier, and editing what it posted. */
export interface TeamsPoster {
  /** Posts the activity; returns its id, which later updates need. */
  post(reference: Record<string, unknown>, activity: Record<string, unknown>): Promise<string>;
  update(reference: Record<string, unknown>, activityId: string, activity: Record<string, unknown>): Promise<void>;
}

/** The bot's app registration; without an app id, posts go out unauthenticated (local development). */
export interface TeamsAppCredentials {
  appId?: string;
  appPassword?: string;
  tenantId?: string;
}

/**
 * Proactive messages through the SDK: `continueConversation` on a stored reference, which gets a
 * Bot Framework token for the app (when there is one) and talks to the conversation's service URL.
 */
export class AdapterTeamsPoster implements TeamsPoster {
  private readonly adapter: CloudAdapter;
  private readonly identity: Parameters<CloudAdapter['continueConversation']>[0];

  constructor(credentials: TeamsAppCredentials) {
    const config: AuthConfiguration = credentials.appId
      ? {
          clientId: credentials.appId,
          ...(credentials.appPassword ? { clientSecret: credentials.appPassword } : {}),
          ...(credentials.tenantId ? { tenantId: credentials.tenantId } : {}),
        }
      : { clientId: '' };
    this.adapter = new CloudAdapter(config);
    // An identity without an audience makes the SDK use an anonymous connector client.
    this.identity = credentials.appId ?? {};
  }

  async post(reference: Record<string, unknown>, activity: Record<string, unknown>): Promise<string> {
    let id = '';
    await this.adapter.continueConversation(this.identity, reference as unknown as ConversationReference, async (context) => {
      const response = await context.sendActivity(activity as never);
      id = response?.id ?? '';
    });
    return id;
  }

  async update(reference: Record<string, unknown>, activityId: string, activity: Record<string, unknown>): Promise<void> {
    await this.adapter.continueConversation(this.identity, reference as unknown as ConversationReference, async (context) => {
      await context.updateActivity({ ...activity, id: activityId } as never);
    });
  }
}
