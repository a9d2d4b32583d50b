import type { App, RespondFn } from '@slack/bolt';
import { parseCommand, type Command } from '../commands';
import type { Outcome } from '../access-client';
import {
  approvalsReply,
  errorReply,
  helpReply,
  noIdentityReply,
  refusalReply,
  requesterThreadParent,
  requestListReply,
  submittedReply,
  usageReply,
} from '../render/slack';
import { SLACK_COMMAND } from '../render/slack/ids';
import { ephemeral, errorReference, slackActor, viewFor, type SlackContext, type SlackMessage } from './context';
import { openRequestForm } from './request-form';

/**
 * `/access …`: acknowledged at once (Slack wants an answer within 3 seconds), then the work is done
 * and the answer goes to the person only, through the command's response_url.
 */
export function registerSlashCommand(app: App, ctx: SlackContext): void {
  app.command(SLACK_COMMAND, async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text ?? '');
    if (parsed.kind === 'help') {
      await ack(ephemeral(helpReply()));
      return;
    }
    if (parsed.kind === 'usage') {
      await ack(ephemeral(usageReply(parsed.problem)));
      await ctx.access.refused(slackActor(command.user_id), 'command.malformed', { platform: 'slack', problem: parsed.problem });
      return;
    }
    await ack();
    const reply = (message: SlackMessage) => respond(ephemeral(message));
    try {
      const identity = await ctx.directory.emailOf(command.user_id);
      if (!identity.ok) {
        await ctx.access.refused(slackActor(command.user_id), 'identity.unknown', { platform: 'slack', reason: identity.reason });
        await reply(noIdentityReply(identity.reason));
        return;
      }
      if (parsed.kind === 'request-form') {
        await openRequestForm(ctx, {
          triggerId: command.trigger_id,
          email: identity.email,
          channelId: command.channel_id,
          ...(parsed.entitlementId ? { entitlementId: parsed.entitlementId } : {}),
        });
        return;
      }
      await run(ctx, parsed, identity.email, command, respond);
    } catch (error) {
      const reference = errorReference();
      ctx.log('error', 'slash command failed', { reference, error: String(error) });
      await reply(errorReply(reference));
    }
  });
}

async function run(
  ctx: SlackContext,
  command: Exclude<Command, { kind: 'help' | 'usage' | 'request-form' }>,
  email: string,
  slack: { user_id: string; channel_id: string; trigger_id: string },
  respond: RespondFn,
): Promise<void> {
  const reply = async (message: SlackMessage): Promise<void> => {
    await respond(ephemeral(message));
  };
  const replyWith = async (outcome: Outcome, render: (o: Extract<Outcome, { ok: true }>) => Promise<SlackMessage>): Promise<void> => {
    await reply(outcome.ok ? await render(outcome) : refusalReply(outcome.message));
  };
  const now = ctx.now();
  switch (command.kind) {
    case 'request': {
      const outcome = await ctx.access.submit({
        requester: email,
        entitlementId: command.entitlementId,
        duration: command.duration,
        reason: command.reason,
        ...(command.ticket ? { ticket: command.ticket } : {}),
        ...(command.breakGlass ? { breakGlass: true } : {}),
        origin: { platform: 'slack', userId: slack.user_id, channel: slack.channel_id },
        idempotencySeed: `slack:${slack.trigger_id}`,
      });
      await replyWith(outcome, async ({ state }) => submittedReply(await viewFor(ctx, state), now));
      return;
    }
    case 'list': {
      const mine = await ctx.access.mine(email);
      await reply(requestListReply(await Promise.all(mine.map((state) => viewFor(ctx, state))), now));
      return;
    }
    case 'approvals': {
      const waiting = await ctx.access.awaitingDecision(email);
      await reply(approvalsReply(await Promise.all(waiting.map((state) => viewFor(ctx, state))), now));
      return;
    }
    case 'extend':
      await replyWith(await ctx.access.extend(command.requestId, email, command.duration), async ({ state }) =>
        requesterThreadParent(await viewFor(ctx, state), now),
      );
      return;
    case 'done':
      await replyWith(await ctx.access.end(command.requestId, email, 'ended early by the holder'), async ({ state }) =>
        requesterThreadParent(await viewFor(ctx, state), now),
      );
      return;
    case 'revoke':
      await replyWith(await ctx.access.end(command.requestId, email, command.reason ?? `revoked by ${email}`), async ({ state }) =>
        requesterThreadParent(await viewFor(ctx, state), now),
      );
      return;
  }
}
