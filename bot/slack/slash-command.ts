import type { App, RespondFn } from '@slack/bolt';
import { parseCommand } from '../commands';
import { runCommand, type RequestCommand } from '../command-flow';
import { isFindingsCommand } from '../findings-flow';
import type { RequestState } from '../../domain/request';
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
import {
  afterPendingAcks,
  ephemeral,
  errorReference,
  slackActor,
  type SlackContext,
  type SlackMessage,
} from './context';
import { answerFindings } from './findings';
import { openRequestForm } from './request-form';
import { answerReport } from './report';
import { AuditAction } from '../../domain/audit';

/**
 * `/access …`: acknowledged at once (Slack wants an answer within 3 seconds), then the work is done
 * (after the acks of a burst that has already arrived) and the answer goes to the person only,
 * through the command's response_url.
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
      await ctx.access.refused(slackActor(command.user_id), AuditAction.CommandMalformed, {
        platform: 'slack',
        problem: parsed.problem,
      });
      return;
    }
    await ack();
    await afterPendingAcks();
    const reply = (message: SlackMessage) => respond(ephemeral(message));
    try {
      const identity = await ctx.directory.emailOf(command.user_id);
      if (!identity.ok) {
        await ctx.access.refused(slackActor(command.user_id), AuditAction.IdentityUnknown, {
          platform: 'slack',
          reason: identity.reason,
        });
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
      if (isFindingsCommand(parsed)) {
        await answerFindings(ctx, parsed, identity.email, reply);
        return;
      }
      if (parsed.kind === 'report') {
        await answerReport(ctx, parsed, identity.email, command, reply);
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

/** Runs the shared command flow and draws its result as a private Slack reply. */
async function run(
  ctx: SlackContext,
  command: RequestCommand,
  email: string,
  slack: { user_id: string; channel_id: string; trigger_id: string },
  respond: RespondFn,
): Promise<void> {
  const result = await runCommand(ctx.access, command, {
    email,
    origin: { platform: 'slack', userId: slack.user_id, channel: slack.channel_id },
    idempotencySeed: `slack:${slack.trigger_id}`,
  });
  const now = ctx.now();
  const views = (states: RequestState[]) => Promise.all(states.map((state) => ctx.view(state)));
  let message: SlackMessage;
  switch (result.kind) {
    case 'refused':
      message = refusalReply(result.message);
      break;
    case 'submitted':
      message = submittedReply(await ctx.view(result.state), now);
      break;
    case 'list':
      message = requestListReply(await views(result.states), now);
      break;
    case 'approvals':
      message = approvalsReply(await views(result.states), now);
      break;
    case 'changed':
      message = requesterThreadParent(await ctx.view(result.state), now);
      break;
  }
  await respond(ephemeral(message));
}
