import type { TurnContext } from '@microsoft/agents-hosting';
import { parseCommand, type Command } from '../commands';
import { runCommand } from '../command-flow';
import { isFindingsCommand } from '../findings-flow';
import type { RequestState } from '../../domain/request';
import {
  approvalsMessage,
  errorMessage,
  helpMessage,
  noIdentityMessage,
  refusalMessage,
  requesterStatusCard,
  requestFormCard,
  requestListMessage,
  submittedMessage,
  usageMessage,
  type TeamsMessage,
} from '../render/teams';
import { entitlementChoices, type RequestView } from '../render/view';
import { errorReference, send, senderEmail, teamsActor, type TeamsContext, type TeamsConversation } from './context';
import { answerFindings } from './findings';
import { answerReport } from './report';
import { AuditAction } from '../../domain/audit';

/** `access request …`, `/access list`, or just `list`: the same words as Slack's slash command. */
const PREFIX = /^\s*\/?access\b/i;

/**
 * A message to the bot. Only a personal chat takes commands: answers list people's grants and
 * approvals, which a channel should not see. Every message (re)stores the conversation reference,
 * so Least can reach the person later without being spoken to first.
 */
export async function onMessage(ctx: TeamsContext, context: TurnContext): Promise<void> {
  const text = context.activity.removeRecipientMention?.() ?? context.activity.text ?? '';
  const parsed = parseCommand((text ?? '').replace(PREFIX, '').trim());
  const personal = context.activity.conversation?.conversationType === 'personal';
  if (parsed.kind === 'help') {
    await send(context, helpMessage());
    await rememberConversation(ctx, context);
    return;
  }
  if (parsed.kind === 'usage') {
    await ctx.access.refused(teamsActor(context), AuditAction.CommandMalformed, {
      platform: 'teams',
      problem: parsed.problem,
    });
    await send(context, usageMessage(parsed.problem));
    return;
  }
  if (parsed.kind === 'report') {
    // A report is the one answer a channel may see: it comes as a signed link there (bot/teams/report.ts).
    await answerReport(ctx, context, parsed);
    return;
  }
  if (!personal) {
    await ctx.access.refused(teamsActor(context), AuditAction.CommandRefused, {
      platform: 'teams',
      reason: 'not a personal chat',
      command: parsed.kind,
    });
    await send(
      context,
      refusalMessage(
        'Least takes requests and shows grants only in a personal chat: open a chat with Least and send it there.',
      ),
    );
    return;
  }
  try {
    const identity = await senderEmail(ctx, context);
    if (!identity.ok) {
      await send(context, noIdentityMessage(identity.reason));
      return;
    }
    await rememberConversation(ctx, context, identity.email);
    await run(ctx, context, parsed, identity.email);
  } catch (error) {
    const reference = errorReference();
    ctx.log('error', 'teams message failed', { reference, error: String(error) });
    await send(context, errorMessage(reference));
  }
}

/** Runs the shared command flow (or opens the request card) and answers in the chat. */
async function run(
  ctx: TeamsContext,
  context: TurnContext,
  command: Exclude<Command, { kind: 'help' | 'usage' | 'report' }>,
  email: string,
): Promise<void> {
  const now = ctx.now();
  if (command.kind === 'request-form') {
    const choices = entitlementChoices(ctx.policy(), email, await ctx.access.externalGroups());
    await send(context, {
      text: 'Request access',
      card: requestFormCard({ choices, ...(command.entitlementId ? { entitlementId: command.entitlementId } : {}) }),
    });
    return;
  }
  if (isFindingsCommand(command)) {
    await answerFindings(ctx, context, command, email);
    return;
  }
  const activity = context.activity;
  const result = await runCommand(ctx.access, command, {
    email,
    origin: {
      platform: 'teams',
      ...(activity.from?.aadObjectId ? { userId: activity.from.aadObjectId } : {}),
      channel: activity.conversation?.id ?? '',
    },
    ...(activity.id ? { idempotencySeed: `teams:${activity.id}` } : {}),
  });
  const views = (states: RequestState[]) => Promise.all(states.map((state) => ctx.view(state)));
  switch (result.kind) {
    case 'refused':
      await send(context, refusalMessage(result.message));
      return;
    case 'submitted':
      await send(context, submittedMessage(await ctx.view(result.state), now));
      return;
    case 'list':
      await send(context, requestListMessage(await views(result.states), now));
      return;
    case 'approvals':
      await send(context, approvalsMessage(await views(result.states), now));
      return;
    case 'changed':
      await send(context, statusMessage(await ctx.view(result.state), now));
      return;
  }
}

function statusMessage(view: RequestView, now: Date): TeamsMessage {
  return { text: `${view.state.rules.title}: ${view.state.status}`, card: requesterStatusCard(view, now) };
}

/**
 * The app was added (personal install, team, group chat): keep the conversation, and say hello. A
 * channel is told its conversation id, which is what the policy's Teams notify targets name.
 */
export async function onInstalled(ctx: TeamsContext, context: TurnContext): Promise<void> {
  const conversation = context.activity.conversation;
  const kind = conversation?.conversationType;
  if (kind === 'personal') {
    const identity = await ctx.directory.emailOf(context).catch(() => undefined);
    await rememberConversation(ctx, context, identity?.ok ? identity.email : undefined);
    await send(context, helpMessage());
    return;
  }
  await rememberConversation(ctx, context);
  await send(context, {
    text: `Least is here. To post approval cards in this conversation, add this to the policy's notify targets: platform teams, channel ${(conversation?.id ?? '?').split(';')[0] ?? '?'}`,
  });
}

/** The app was removed: forget the conversation, so nothing is posted where it can no longer arrive. */
export async function onRemoved(ctx: TeamsContext, context: TurnContext): Promise<void> {
  const activity = context.activity;
  const conversation = activity.conversation;
  if (!conversation?.id) return;
  const kind = conversationKind(conversation.conversationType);
  const conversationId = kind === 'channel' ? conversation.id.split(';')[0]! : conversation.id;
  const aadObjectId = activity.from?.aadObjectId;
  await ctx.conversations.forgetTeamsConversation({
    kind,
    conversationId,
    ...(kind === 'personal' && aadObjectId ? { aadObjectId } : {}),
  });
}

function conversationKind(type: string | undefined): TeamsConversation['kind'] {
  return type === 'personal' ? 'personal' : type === 'channel' ? 'channel' : 'groupChat';
}

async function rememberConversation(ctx: TeamsContext, context: TurnContext, email?: string): Promise<void> {
  const activity = context.activity;
  const conversation = activity.conversation;
  if (!conversation?.id || !activity.serviceUrl) return;
  const kind = conversationKind(conversation.conversationType);
  // A channel message's conversation id names its thread (`…;messageid=…`); cards go to the channel itself.
  const conversationId = kind === 'channel' ? conversation.id.split(';')[0]! : conversation.id;
  const reference = {
    ...activity.getConversationReference(),
    conversation: { ...conversation, id: conversationId },
  } as Record<string, unknown>;
  // Later messages start new posts rather than replying to whatever the person last said.
  delete reference.activityId;
  const aadObjectId = activity.from?.aadObjectId;
  try {
    await ctx.conversations.saveTeamsConversation({
      kind,
      conversationId,
      reference,
      ...(kind === 'personal' && aadObjectId ? { aadObjectId } : {}),
      ...(kind === 'personal' && email ? { email } : {}),
    });
  } catch (error) {
    ctx.log('warn', 'teams conversation not stored', { error: String(error) });
  }
}
