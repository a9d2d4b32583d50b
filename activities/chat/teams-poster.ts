import { CloudAdapter, type AuthConfiguration, type ConnectorClient, type TurnContext } from '@microsoft/agents-hosting';
import { Activity, type ConversationReference } from '@microsoft/agents-activity';

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

  /**
   * A new message, not a reply: `sendActivity` in a continued conversation would reply to the
   * made-up id of the continuation event, which in a channel means a thread that does not exist.
   */
  async post(reference: Record<string, unknown>, activity: Record<string, unknown>): Promise<string> {
    let id = '';
    await this.continued(reference, async (context) => {
      const outgoing = Activity.fromObject(activity).applyConversationReference(context.activity.getConversationReference());
      delete outgoing.replyToId;
      delete outgoing.id;
      const client = context.turnState.get<ConnectorClient>(this.adapter.ConnectorClientKey);
      const response = await client.sendToConversation(outgoing.conversation!.id, outgoing);
      id = response.id ?? '';
    });
    return id;
  }

  async update(reference: Record<string, unknown>, activityId: string, activity: Record<string, unknown>): Promise<void> {
    await this.continued(reference, async (context) => {
      await context.updateActivity({ ...activity, id: activityId } as never);
    });
  }

  /**
   * The adapter hands a failed turn to its error handler (which would post "the agent encountered
   * an error" into the chat) instead of throwing; the failure is carried out here so the activity
   * fails and Temporal retries it.
   */
  private async continued(reference: Record<string, unknown>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    let failure: Error | undefined;
    await this.adapter.continueConversation(this.identity, reference as unknown as ConversationReference, async (context) => {
      try {
        await logic(context);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
    });
    if (failure !== undefined) throw failure;
  }
}
