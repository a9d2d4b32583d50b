import type { App } from '@slack/bolt';
import { parseAlertAck } from '../alert-client';
import { ALERT_ACK_ACTION } from '../render/alert';
import { refusalReply } from '../render/slack';
import { message, section } from '../render/slack/blocks';
import { userText } from '../render/slack/text';
import { onButton } from './button';
import { ephemeral, type SlackContext } from './context';

export const ALERT_MALFORMED = 'That Acknowledge button is not one Least made.';
export const ALERTS_NOT_SET_UP = 'Alerts are not set up on this Least server.';

/**
 * Acknowledge on a rule alert in Slack: acked at once; the alert's workflow decides who may (and
 * audits); the message itself is updated for the channel by the workflow, and the clicker is told
 * privately what happened.
 */
export function registerAlerts(app: App, ctx: SlackContext): void {
  onButton(
    app,
    ctx,
    ALERT_ACK_ACTION,
    {
      feature: 'alert',
      parse: parseAlertAck,
      malformed: ALERT_MALFORMED,
      client: () => ctx.alerts,
      notSetUp: ALERTS_NOT_SET_UP,
    },
    async ({ client, target, email, tell }) => {
      const outcome = await client.acknowledge({ ...target, by: email, via: 'slack' });
      await tell(
        ephemeral(
          outcome.ok
            ? message('Acknowledged', [
                section(`✅ You acknowledged this alert (${userText(String(outcome.episode.count), 20)} so far).`),
              ])
            : refusalReply(outcome.message),
        ),
      );
    },
  );
}
