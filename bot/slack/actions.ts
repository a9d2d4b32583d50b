import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { checkDecision, type RequestState } from '../../domain/request';
import type { Outcome } from '../access-client';
import {
  approvalCard,
  denyReasonForm,
  errorReply,
  noIdentityReply,
  refusalReply,
  requesterThreadParent,
  reviewCard,
} from '../render/slack';
import { SlackAction, SlackBlock, SlackView } from '../render/slack/ids';
import {
  afterPendingAcks,
  ephemeral,
  errorReference,
  slackActor,
  teller,
  type SlackContext,
  type SlackMessage,
  type Tell,
} from './context';

import { publishHome } from './home';
import { AuditAction } from '../../domain/audit';
import { ENDED_BY_HOLDER } from '../command-flow';

const REQUEST_ID = /^r-[a-z0-9]{10}$/;

/** Where a clicked card lives, so it can be re-rendered in place after the decision. */
interface CardLocation {
  channel: string;
  ts: string;
}

interface DenyMetadata {
  requestId: string;
  card?: CardLocation;
}

/**
 * Buttons on cards, DMs and App Home. Every click is checked by the workflow's update validator
 * (who may decide, no self-approval, still pending); the handler only identifies the person, sends
 * the update, and re-renders what they clicked.
 */
export function registerActions(app: App, ctx: SlackContext): void {
  const onButton = (
    actionId: string,
    handle: (click: {
      requestId: string;
      value: string;
      email: string;
      body: BlockAction;
      respond: Tell;
    }) => Promise<void>,
  ): void => {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond: slackRespond }) => {
      await ack();
      await afterPendingAcks();
      const respond = teller(ctx, body, slackRespond);
      const value = String(action.value ?? '').slice(0, 200);
      const requestId = value.split(' ')[0] ?? '';
      try {
        if (!REQUEST_ID.test(requestId)) {
          await ctx.access.refused(slackActor(body.user.id), AuditAction.ActionMalformed, {
            platform: 'slack',
            action: actionId,
          });
          await respond(ephemeral(refusalReply('That button does not carry a request Least knows.')));
          return;
        }
        const identity = await ctx.directory.emailOf(body.user.id);
        if (!identity.ok) {
          await ctx.access.refused(
            slackActor(body.user.id),
            AuditAction.IdentityUnknown,
            { platform: 'slack', reason: identity.reason },
            requestId,
          );
          await respond(ephemeral(noIdentityReply(identity.reason)));
          return;
        }
        await handle({ requestId, value, email: identity.email, body, respond });
        if (body.container?.type === 'view' && body.view?.type === 'home') await publishHome(ctx, body.user.id);
      } catch (error) {
        const reference = errorReference();
        ctx.log('error', 'button failed', { reference, action: actionId, error: String(error) });
        await respond(ephemeral(errorReply(reference)));
      }
    });
  };

  onButton(SlackAction.Approve, async ({ requestId, email, body, respond }) => {
    const outcome = await ctx.access.decide(requestId, email, 'approve');
    await afterDecision(ctx, outcome, body, respond);
  });

  onButton(SlackAction.Deny, async ({ requestId, email, body, respond }) => {
    // Refuse before asking for a reason: a person who may not decide should not type one first.
    const status = await ctx.access.status(requestId);
    if (!status.ok) {
      await ctx.access.refused(
        email,
        AuditAction.ApprovalRefused,
        { code: status.code, message: status.message },
        requestId,
      );
      await respond(ephemeral(refusalReply(status.message)));
      return;
    }
    const verdict = checkDecision(status.state, { approver: email, verdict: 'deny', reason: 'pending' });
    if (!verdict.ok) {
      await ctx.access.refused(
        email,
        AuditAction.ApprovalRefused,
        { code: verdict.code, message: verdict.message },
        requestId,
      );
      await respond(ephemeral(refusalReply(verdict.message)));
      return;
    }
    const card = cardOf(body);
    const metadata: DenyMetadata = { requestId, ...(card ? { card } : {}) };
    await ctx.client.views.open({
      trigger_id: body.trigger_id,
      view: denyReasonForm({ requestId, title: status.state.rules.title, privateMetadata: JSON.stringify(metadata) }),
    });
  });

  onButton(SlackAction.Extend, async ({ requestId, value, email, respond }) => {
    const duration = value.split(' ')[1] ?? '';
    await replyWithStatus(ctx, await ctx.access.extend(requestId, email, duration), respond);
  });

  onButton(SlackAction.EndNow, async ({ requestId, email, respond }) => {
    await replyWithStatus(ctx, await ctx.access.end(requestId, email, ENDED_BY_HOLDER), respond);
  });

  onButton(SlackAction.Review, async ({ requestId, email, body, respond }) => {
    const outcome = await ctx.access.review(requestId, email);
    if (!outcome.ok) {
      await respond(ephemeral(refusalReply(outcome.message)));
      return;
    }
    const card = cardOf(body);
    if (card)
      await ctx.client.chat.update({
        channel: card.channel,
        ts: card.ts,
        ...reviewCard(await ctx.view(outcome.state), ctx.now()),
      });
  });

  app.action(SlackAction.OpenAccess, async ({ ack }) => {
    await ack(); // a link button: Slack opens the URL, and still tells the app
  });

  app.view(SlackView.DenyReason, async ({ ack, body, view }) => {
    const metadata = parseDenyMetadata(view.private_metadata);
    const reason = view.state.values[SlackBlock.DenyReason]?.[SlackAction.DenyReasonInput]?.value?.trim() ?? '';
    if (!metadata) {
      await ack({
        response_action: 'errors',
        errors: { [SlackBlock.DenyReason]: 'This form lost track of its request; open it again from the card.' },
      });
      return;
    }
    const identity = await ctx.directory.emailOf(body.user.id);
    if (!identity.ok) {
      await ack({ response_action: 'errors', errors: { [SlackBlock.DenyReason]: identity.reason } });
      return;
    }
    const outcome = await ctx.access.decide(metadata.requestId, identity.email, 'deny', reason);
    if (!outcome.ok) {
      await ack({ response_action: 'errors', errors: { [SlackBlock.DenyReason]: outcome.message.slice(0, 2000) } });
      return;
    }
    await ack();
    if (metadata.card) await updateCard(ctx, outcome.state, metadata.card);
  });
}

async function afterDecision(ctx: SlackContext, outcome: Outcome, body: BlockAction, respond: Tell): Promise<void> {
  if (!outcome.ok) {
    await respond(ephemeral(refusalReply(outcome.message)));
    return;
  }
  if (isEphemeral(body)) {
    // An ephemeral list (`/access approvals`) cannot be chat.update'd; its response_url can replace it.
    await respond({ ...approvalCard(await ctx.view(outcome.state), ctx.now()), replace_original: true });
    return;
  }
  const card = cardOf(body);
  if (card) await updateCard(ctx, outcome.state, card);
}

function isEphemeral(body: BlockAction): boolean {
  return body.container?.type === 'message' && (body.container as { is_ephemeral?: boolean }).is_ephemeral === true;
}

/** The clicked card, re-rendered from the state the decision returned: who decided, and no buttons once settled. */
async function updateCard(ctx: SlackContext, state: RequestState, card: CardLocation): Promise<void> {
  const message: SlackMessage = approvalCard(await ctx.view(state, { withHistory: true }), ctx.now());
  await ctx.client.chat.update({ channel: card.channel, ts: card.ts, text: message.text, blocks: message.blocks });
}

async function replyWithStatus(ctx: SlackContext, outcome: Outcome, respond: Tell): Promise<void> {
  if (!outcome.ok) {
    await respond(ephemeral(refusalReply(outcome.message)));
    return;
  }
  await respond(ephemeral(requesterThreadParent(await ctx.view(outcome.state), ctx.now())));
}

function cardOf(body: BlockAction): CardLocation | undefined {
  if (body.container?.type !== 'message' || isEphemeral(body)) return undefined;
  const channel = body.channel?.id ?? (body.container as { channel_id?: string }).channel_id;
  const ts = body.message?.ts ?? (body.container as { message_ts?: string }).message_ts;
  return channel && ts ? { channel, ts } : undefined;
}

function parseDenyMetadata(text: string | undefined): DenyMetadata | undefined {
  try {
    const parsed = JSON.parse(text ?? '') as Partial<DenyMetadata>;
    if (typeof parsed.requestId !== 'string' || !REQUEST_ID.test(parsed.requestId)) return undefined;
    const card =
      parsed.card && typeof parsed.card.channel === 'string' && typeof parsed.card.ts === 'string'
        ? parsed.card
        : undefined;
    return { requestId: parsed.requestId, ...(card ? { card } : {}) };
  } catch {
    return undefined;
  }
}
