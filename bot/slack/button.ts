import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { AuditAction } from '../../domain/audit';
import { errorReply, noIdentityReply, refusalReply } from '../render/slack';
import { ephemeral, errorReference, slackActor, teller, type SlackContext, type Tell } from './context';

/** What one feature's buttons share: how their value is read, the client that answers, and what is said when either is missing. */
export interface ButtonKind<Client, Target> {
  /** Names the feature in the log line of a failure: `<feature> button failed`. */
  feature: string;
  parse: (value: string) => Target | undefined;
  /** Said (and audited) when the value is not one of ours. */
  malformed: string;
  client: () => Client | undefined;
  /** Said when the feature is not wired on this server. */
  notSetUp: string;
}

export interface ButtonClick<Client, Target> {
  client: Client;
  target: Target;
  email: string;
  body: BlockAction;
  tell: Tell;
}

/**
 * A feature's button: acked at once, its value read, the clicker known by e-mail, then `handle`; a
 * value not ours and a person Least cannot map are audited, and a failure is logged with a reference
 * the person is shown. Every answer goes privately to the clicker.
 */
export function onButton<Client, Target>(
  app: App,
  ctx: SlackContext,
  actionId: string,
  kind: ButtonKind<Client, Target>,
  handle: (click: ButtonClick<Client, Target>) => Promise<void>,
): void {
  app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond }) => {
    await ack();
    const tell = teller(ctx, body, respond);
    try {
      const target = kind.parse(String(action.value ?? ''));
      if (!target) {
        await ctx.access.refused(slackActor(body.user.id), AuditAction.ActionMalformed, {
          platform: 'slack',
          action: actionId,
        });
        await tell(ephemeral(refusalReply(kind.malformed)));
        return;
      }
      const client = kind.client();
      if (!client) {
        await tell(ephemeral(refusalReply(kind.notSetUp)));
        return;
      }
      const identity = await ctx.directory.emailOf(body.user.id);
      if (!identity.ok) {
        await ctx.access.refused(slackActor(body.user.id), AuditAction.IdentityUnknown, {
          platform: 'slack',
          reason: identity.reason,
        });
        await tell(ephemeral(noIdentityReply(identity.reason)));
        return;
      }
      await handle({ client, target, email: identity.email, body, tell });
    } catch (error) {
      const reference = errorReference();
      ctx.log('error', `${kind.feature} button failed`, { reference, action: actionId, error: String(error) });
      await tell(ephemeral(errorReply(reference)));
    }
  });
}
