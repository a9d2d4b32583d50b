import type { CloudAdapter, ConnectorClient, TurnContext } from '@microsoft/agents-hosting';
import { Activity, type ConversationReference } from '@microsoft/agents-activity';

/** Posting into a Teams conversation Least stored earlier, and editing what it posted. */
export interface TeamsPoster {
  /** Posts the activity; returns its id, which later updates need. */
  post(reference: Record<string, unknown>, activity: Record<string, unknown>): Promise<string>;
  update(reference: Record<string, unknown>, activityId: string, activity: Record<string, unknown>): Promise<void>;
}

/**
 * Proactive messages through the SDK: `continueConversation` on a stored reference, which gets a
 * Bot Framework token for the app (when the adapter has an app id) and talks to the conversation's
 * service URL. The adapter is the one the bot front end builds (`teamsAdapter`), wired in by app/.
 */
export class AdapterTeamsPoster implements TeamsPoster {
  private readonly identity: Parameters<CloudAdapter['continueConversation']>[0];

  constructor(private readonly adapter: CloudAdapter) {
    // An identity without an audience makes the SDK use an anonymous connector client.
    this.identity = adapter.getClientId() || {};
  }

  /**
   * A new message, not a reply: `sendActivity` in a continued conversation would reply to the
   * made-up id of the continuation event, which in a channel means a thread that does not exist.
   */
  async post(reference: Record<string, unknown>, activity: Record<string, unknown>): Promise<string> {
    let id = '';
    await this.continued(reference, async (context) => {
      const outgoing = Activity.fromObject(activity).applyConversationReference(
        context.activity.getConversationReference(),
      );
      delete outgoing.replyToId;
      delete outgoing.id;
      const client = context.turnState.get<ConnectorClient>(this.adapter.ConnectorClientKey);
      const response = await client.sendToConversation(outgoing.conversation!.id, outgoing);
      id = response.id ?? '';
    });
    return id;
  }

  async update(
    reference: Record<string, unknown>,
    activityId: string,
    activity: Record<string, unknown>,
  ): Promise<void> {
    await this.continued(reference, async (context) => {
      await context.updateActivity({ ...activity, id: activityId } as never);
    });
  }

  /**
   * The adapter hands a failed turn to its error handler (which would post "the agent encountered
   * an error" into the chat) instead of throwing; the failure is carried out here so the activity
   * fails and Temporal retries it.
   */
  private async continued(
    reference: Record<string, unknown>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    let failure: Error | undefined;
    await this.adapter.continueConversation(
      this.identity,
      reference as unknown as ConversationReference,
      async (context) => {
        try {
          await logic(context);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
      },
    );
    if (failure !== undefined) throw failure;
  }
}
