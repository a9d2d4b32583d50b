import { AuditAction } from '../../domain/audit';
import { parseAlertAck } from '../alert-client';
import { ALERT_ACK_ACTION } from '../render/alert';
import { userText } from '../render/teams/text';
import { messageResponse, type CardActionResponse, type TeamsContext } from './context';

const MALFORMED = 'That Acknowledge button is not one Least made.';

/**
 * Acknowledge on a rule alert's card in Teams: the alert's workflow decides who may (and audits) and
 * updates the card for the channel; the clicker gets a short answer. Undefined for other verbs.
 */
export async function onAlertAction(
  ctx: TeamsContext,
  click: { verb: string; data: Record<string, unknown> },
  email: string,
): Promise<CardActionResponse | undefined> {
  if (click.verb !== ALERT_ACK_ACTION) return undefined;
  const target = typeof click.data.value === 'string' ? parseAlertAck(click.data.value) : undefined;
  if (!target) {
    await ctx.access.refused(email, AuditAction.ActionMalformed, { platform: 'teams', verb: ALERT_ACK_ACTION });
    return messageResponse(MALFORMED);
  }
  const alerts = ctx.alerts;
  if (!alerts) return messageResponse('Alerts are not set up on this Least server.');
  const outcome = await alerts.acknowledge({ ...target, by: email, via: 'teams' });
  return messageResponse(outcome.ok ? '✅ You acknowledged this alert.' : `⚠️ ${userText(outcome.message, 500)}`);
}
