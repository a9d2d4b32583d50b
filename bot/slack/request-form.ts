import type { App } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { ErrorCode } from '../../domain/errors';
import { entitlementChoices } from '../render/view';
import { entitlementOptions, noIdentityReply, requestForm, submittedReply } from '../render/slack';
import { SlackAction, SlackBlock, SlackView } from '../render/slack/ids';
import { errorReference, slackActor, type SlackContext } from './context';
import { AuditAction } from '../../domain/audit';

interface FormMetadata {
  /** Where the form was opened from, so the request remembers it. */
  channelId?: string;
}

export async function openRequestForm(
  ctx: SlackContext,
  input: { triggerId: string; email: string; channelId?: string; entitlementId?: string },
): Promise<void> {
  const policy = ctx.policy();
  const choices = entitlementChoices(policy, input.email, await ctx.directory.externalGroups());
  const metadata: FormMetadata = input.channelId ? { channelId: input.channelId } : {};
  await ctx.client.views.open({
    trigger_id: input.triggerId,
    view: requestForm({
      choices,
      systems: policy.authorizationSystems.map((system) => ({ id: system.id, title: system.title ?? system.id })),
      ...(input.entitlementId ? { initial: { entitlementId: input.entitlementId } } : {}),
      privateMetadata: JSON.stringify(metadata),
    }),
  });
}

/** Type-ahead for the entitlement picker, the form's submission, and the "Request access" button on Home. */
export function registerRequestForm(app: App, ctx: SlackContext): void {
  app.options(SlackAction.EntitlementPicker, async ({ body, options, ack }) => {
    const identity = await ctx.directory.emailOf(body.user.id).catch(() => undefined);
    if (!identity?.ok) {
      await ack({ options: [] });
      return;
    }
    const values = body.view?.state?.values ?? {};
    const systemId = values[SlackBlock.System]?.[SlackAction.SystemPicker]?.selected_option?.value ?? undefined;
    const choices = entitlementChoices(ctx.policy(), identity.email, await ctx.directory.externalGroups());
    await ack({ options: entitlementOptions(choices, String(options.value ?? '').slice(0, 100), systemId) });
  });

  app.action(SlackAction.OpenRequestForm, async ({ ack, body }) => {
    await ack();
    const identity = await ctx.directory.emailOf(body.user.id);
    if (!identity.ok || !('trigger_id' in body)) return;
    await openRequestForm(ctx, { triggerId: body.trigger_id, email: identity.email });
  });

  app.view(SlackView.RequestForm, async ({ ack, body, view }) => {
    const userId = body.user.id;
    const values = view.state.values;
    const field = (block: string, action: string): string => values[block]?.[action]?.value ?? '';
    const entitlementId = values[SlackBlock.Entitlement]?.[SlackAction.EntitlementPicker]?.selected_option?.value ?? '';
    const identity = await ctx.directory.emailOf(userId);
    if (!identity.ok) {
      await ctx.access.refused(slackActor(userId), AuditAction.IdentityUnknown, {
        platform: 'slack',
        reason: identity.reason,
      });
      await ack({ response_action: 'update', view: resultModal(noIdentityReply(identity.reason).blocks, 'Not sent') });
      return;
    }
    if (!entitlementId) {
      await ack({ response_action: 'errors', errors: { [SlackBlock.Entitlement]: 'Choose what you need access to.' } });
      return;
    }
    const metadata = parseMetadata(view.private_metadata);
    try {
      const outcome = await ctx.access.submit({
        requester: identity.email,
        entitlementId,
        duration: field(SlackBlock.Duration, SlackAction.DurationInput).trim(),
        reason: field(SlackBlock.Reason, SlackAction.ReasonInput),
        ticket: field(SlackBlock.Ticket, SlackAction.TicketInput),
        origin: { platform: 'slack', userId, ...(metadata.channelId ? { channel: metadata.channelId } : {}) },
        // One form is one request, however often Slack or the person submits it.
        idempotencySeed: `slack:${view.id}`,
      });
      if (!outcome.ok) {
        await ack({ response_action: 'errors', errors: { [blockFor(outcome.code)]: outcome.message.slice(0, 2000) } });
        return;
      }
      const reply = submittedReply(await ctx.view(outcome.state), ctx.now());
      await ack({ response_action: 'update', view: resultModal(reply.blocks, 'Request sent') });
    } catch (error) {
      const reference = errorReference();
      ctx.log('error', 'request form submission failed', { reference, error: String(error) });
      await ack({
        response_action: 'errors',
        errors: {
          [SlackBlock.Entitlement]: `Something went wrong on our side (reference ${reference}). Nothing was requested; try again.`,
        },
      });
    }
  });
}

/** Which field a refusal belongs to, so Slack shows it under that field. */
function blockFor(code: string): string {
  if (code.startsWith('DURATION.') || code === ErrorCode.ExtensionTooLong) return SlackBlock.Duration;
  if (code === ErrorCode.ReasonRequired || code === ErrorCode.ReasonTooLong) return SlackBlock.Reason;
  if (code === ErrorCode.TicketRequired || code === ErrorCode.TicketMalformed) return SlackBlock.Ticket;
  return SlackBlock.Entitlement;
}

function resultModal(blocks: ModalView['blocks'], title: string): ModalView {
  return {
    type: 'modal',
    callback_id: `${SlackView.RequestForm}.result`,
    title: { type: 'plain_text', text: title },
    close: { type: 'plain_text', text: 'Close' },
    blocks,
  };
}

function parseMetadata(text: string | undefined): FormMetadata {
  try {
    const parsed = JSON.parse(text ?? '{}') as unknown;
    const channelId = (parsed as { channelId?: unknown }).channelId;
    return typeof channelId === 'string' && /^[CDG][A-Z0-9]{2,20}$/.test(channelId) ? { channelId } : {};
  } catch {
    return {};
  }
}
