import type { TurnContext } from '@microsoft/agents-hosting';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import { awaitsDecisionFrom, isBreakGlass, type RequestState } from '../../domain/request';
import type { Outcome } from '../access-client';
import {
  approvalCard,
  approverCard,
  withRequesterFindings,
  requesterStatusCard,
  requestFormCard,
  reviewCard,
  submittedMessage,
  cardAttachment,
  type AdaptiveCard,
} from '../render/teams';
import { TeamsInput, TeamsVerb } from '../render/teams/ids';
import { entitlementChoices } from '../render/view';
import {
  cardResponse,
  errorReference,
  messageResponse,
  refreshUserIds,
  teamsActor,
  type CardActionResponse,
  type TeamsContext,
} from './context';
import { ENDED_BY_HOLDER } from '../command-flow';
import { onFindingsAction } from './findings';
import { onAlertAction } from './alerts';
import { onCleanupAction } from './cleanup';

const REQUEST_ID = /^r-[a-z0-9]{10}$/;
const MAX_FIELD = 2000;

export type { CardActionResponse };

interface Click {
  verb: string;
  data: Record<string, unknown>;
  /** Automatic refresh (a card being shown) rather than a button press. */
  automatic: boolean;
}

/**
 * Universal Actions: every Action.Execute on Least's cards arrives here as an invoke. The answer is
 * the card the person sees next; decisions also update the posted card for everyone else.
 * Authority (who may decide, no self-approval, still pending) is the workflow validator's call.
 */
export async function onCardAction(ctx: TeamsContext, context: TurnContext): Promise<CardActionResponse> {
  const click = readClick(context.activity.value);
  if (!click) {
    await ctx.access.refused(teamsActor(context), AuditAction.ActionMalformed, { platform: 'teams' });
    return badRequest('That card action is not one Least knows.');
  }
  try {
    const identity = await ctx.directory.emailOf(context);
    if (!identity.ok) {
      if (click.automatic)
        return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: identity.reason };
      await ctx.access.refused(teamsActor(context), AuditAction.IdentityUnknown, {
        platform: 'teams',
        reason: identity.reason,
      });
      return messageResponse(identity.reason);
    }
    const email = identity.email;
    if (click.verb === TeamsVerb.OpenRequestForm) {
      const choices = entitlementChoices(ctx.policy(), email, await ctx.access.externalGroups());
      return cardResponse(requestFormCard({ choices }));
    }
    if (click.verb === TeamsVerb.SubmitRequest) return await submit(ctx, context, click, email);
    const findings = await onFindingsAction(ctx, click, email);
    if (findings) return findings;
    const cleanup = await onCleanupAction(ctx, context, click, email);
    if (cleanup) return cleanup;
    const alert = await onAlertAction(ctx, click, email);
    if (alert) return alert;

    const requestId = text(click.data.requestId, 40);
    if (!REQUEST_ID.test(requestId)) {
      await ctx.access.refused(email, AuditAction.ActionMalformed, {
        platform: 'teams',
        verb: click.verb.slice(0, 40),
      });
      return messageResponse('That card does not carry a request Least knows.');
    }
    switch (click.verb) {
      case TeamsVerb.Refresh:
        return await refresh(ctx, requestId, email);
      case TeamsVerb.Approve:
        return await decide(ctx, context, requestId, email, 'approve');
      case TeamsVerb.Deny:
        return await decide(ctx, context, requestId, email, 'deny', text(click.data[TeamsInput.Comment], 1000).trim());
      case TeamsVerb.Extend:
        return await requesterCard(ctx, await ctx.access.extend(requestId, email, text(click.data.duration, 20)));
      case TeamsVerb.EndNow:
        return await requesterCard(ctx, await ctx.access.end(requestId, email, ENDED_BY_HOLDER));
      case TeamsVerb.Review: {
        const outcome = await ctx.access.review(requestId, email);
        if (!outcome.ok) return messageResponse(outcome.message);
        return cardResponse(reviewCard(await ctx.view(outcome.state, { withHistory: true }), ctx.now()));
      }
      default:
        await ctx.access.refused(
          email,
          AuditAction.ActionMalformed,
          { platform: 'teams', verb: click.verb.slice(0, 40) },
          requestId,
        );
        return badRequest('That card action is not one Least knows.');
    }
  } catch (error) {
    const reference = errorReference();
    ctx.log('error', 'teams card action failed', { reference, verb: click.verb.slice(0, 40), error: String(error) });
    return messageResponse(
      `Something went wrong on Least's side (reference ${reference}). Nothing was changed; try again, or quote the reference to your admins.`,
    );
  }
}

async function submit(
  ctx: TeamsContext,
  context: TurnContext,
  click: Click,
  email: string,
): Promise<CardActionResponse> {
  const values = {
    entitlementId: text(click.data[TeamsInput.Entitlement], 100).trim(),
    duration: text(click.data[TeamsInput.Duration], 40).trim(),
    reason: text(click.data[TeamsInput.Reason], MAX_FIELD),
    ticket: text(click.data[TeamsInput.Ticket], 200).trim(),
  };
  const choices = entitlementChoices(ctx.policy(), email, await ctx.access.externalGroups());
  const again = (problem: string): CardActionResponse =>
    cardResponse(
      requestFormCard({
        choices,
        ...(values.entitlementId ? { entitlementId: values.entitlementId } : {}),
        values: { duration: values.duration, reason: values.reason.slice(0, 1000), ticket: values.ticket },
        problem,
      }),
    );
  const choice = choices.find((c) => c.id === values.entitlementId);
  if (!choice) {
    await ctx.access.refused(email, AuditAction.RequestRefused, {
      platform: 'teams',
      code: ErrorCode.EntitlementUnknown,
      entitlement: values.entitlementId.slice(0, 60),
    });
    return again('Choose an entitlement from the list.');
  }
  const activity = context.activity;
  const outcome = await ctx.access.submit({
    requester: email,
    entitlementId: choice.id,
    duration: values.duration || choice.defaultDurationSeconds,
    reason: values.reason,
    ...(values.ticket ? { ticket: values.ticket } : {}),
    origin: {
      platform: 'teams',
      ...(activity.from?.aadObjectId ? { userId: activity.from.aadObjectId } : {}),
      channel: activity.conversation?.id ?? '',
    },
    // The same form submitted twice (double click, retried invoke) finds the first request.
    ...(activity.replyToId
      ? { idempotencySeed: `teams:${activity.conversation?.id ?? ''}:${activity.replyToId}` }
      : {}),
  });
  if (!outcome.ok) return again(outcome.message);
  const submitted = submittedMessage(await ctx.view(outcome.state), ctx.now());
  return submitted.card ? cardResponse(submitted.card) : messageResponse(submitted.text);
}

/** What a card shows when Teams renders it: approvers who may still act get the buttons. */
async function refresh(ctx: TeamsContext, requestId: string, email: string): Promise<CardActionResponse> {
  const status = await ctx.access.status(requestId);
  if (!status.ok) return messageResponse(status.message);
  return cardResponse(await cardFor(ctx, status.state, email));
}

async function cardFor(ctx: TeamsContext, state: RequestState, email: string, problem?: string): Promise<AdaptiveCard> {
  const view = await ctx.view(state, { withHistory: true });
  const userIds = await refreshUserIds(ctx, state);
  const options = { refreshUserIds: userIds };
  if (isBreakGlass(state)) return reviewCard(view, ctx.now(), options);
  if (awaitsDecisionFrom(state, email) || problem)
    return withStanding(ctx, state, approverCard(view, ctx.now(), { ...options, ...(problem ? { problem } : {}) }));
  return approvalCard(view, ctx.now(), options);
}

/**
 * The approver's own card (what Teams shows them on refresh) with the requester's PCI and open
 * findings on the request's system. Never in the way: a failure leaves the card as it was.
 */
async function withStanding(ctx: TeamsContext, state: RequestState, value: AdaptiveCard): Promise<AdaptiveCard> {
  if (!ctx.requesterFindings || state.status !== 'pending') return value;
  try {
    const standing = await ctx.requesterFindings(state.rules.systemId, state.request.requester);
    return standing ? withRequesterFindings(value, standing) : value;
  } catch (error) {
    ctx.log('warn', 'requester findings unavailable', { requestId: state.request.requestId, error: String(error) });
    return value;
  }
}

async function decide(
  ctx: TeamsContext,
  context: TurnContext,
  requestId: string,
  email: string,
  verdict: 'approve' | 'deny',
  comment?: string,
): Promise<CardActionResponse> {
  if (verdict === 'deny' && !comment) {
    await ctx.access.refused(
      email,
      AuditAction.ApprovalRefused,
      { platform: 'teams', code: ErrorCode.InputMalformed, message: 'deny without a reason' },
      requestId,
    );
    const status = await ctx.access.status(requestId);
    if (!status.ok) return messageResponse(status.message);
    return cardResponse(
      await cardFor(ctx, status.state, email, 'Say why you deny it: the requester sees your comment.'),
    );
  }
  const outcome = await ctx.access.decide(requestId, email, verdict, comment);
  if (!outcome.ok) {
    // The validator refused (and the access client audited it): show why on the card itself.
    const status = await ctx.access.status(requestId);
    if (!status.ok) return messageResponse(outcome.message);
    return cardResponse(await cardFor(ctx, status.state, email, outcome.message));
  }
  const next = await cardFor(ctx, outcome.state, email);
  await updatePostedCard(ctx, context, outcome.state);
  return cardResponse(next);
}

/** The posted card, for everyone in the conversation: the outcome, and no buttons once settled. */
async function updatePostedCard(ctx: TeamsContext, context: TurnContext, state: RequestState): Promise<void> {
  const activityId = context.activity.replyToId;
  if (!activityId) return;
  const shared = approvalCard(await ctx.view(state, { withHistory: true }), ctx.now(), {
    refreshUserIds: await refreshUserIds(ctx, state),
  });
  try {
    await context.updateActivity({ type: 'message', id: activityId, attachments: [cardAttachment(shared)] } as never);
  } catch (error) {
    // The notifier updates every card it posted on the next notice; this one is only sooner.
    ctx.log('warn', 'teams card update failed', { requestId: state.request.requestId, error: String(error) });
  }
}

async function requesterCard(ctx: TeamsContext, outcome: Outcome): Promise<CardActionResponse> {
  if (!outcome.ok) return messageResponse(outcome.message);
  return cardResponse(requesterStatusCard(await ctx.view(outcome.state), ctx.now()));
}

function readClick(value: unknown): Click | undefined {
  const v = value as { action?: { type?: unknown; verb?: unknown; data?: unknown }; trigger?: unknown } | undefined;
  const action = v?.action;
  if (!action || action.type !== 'Action.Execute' || typeof action.verb !== 'string' || action.verb.length > 100)
    return undefined;
  const data =
    action.data && typeof action.data === 'object' && !Array.isArray(action.data)
      ? (action.data as Record<string, unknown>)
      : {};
  return { verb: action.verb, data, automatic: v.trigger === 'automatic' };
}

function text(value: unknown, max: number): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

function badRequest(messageText: string): CardActionResponse {
  return {
    statusCode: 400,
    type: 'application/vnd.microsoft.error',
    value: { code: 'BadRequest', message: messageText },
  };
}
