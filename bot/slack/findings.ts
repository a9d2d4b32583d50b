import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { AuditAction } from '../../domain/audit';
import type { FindingsClient } from '../findings-client';
import { CLEANUP_NOT_SET_UP } from '../cleanup-flow';
import {
  runFindings,
  showIdentity,
  summaryView,
  suppress,
  suppressDialog,
  type FindingsCommand,
  drawFindings,
  type FindingsResult,
} from '../findings-flow';
import { parseSuppressDays, parseSuppressMetadata, parseTarget, type FindingsTarget } from '../render/findings';
import {
  errorReply,
  findingsSummaryBlocks,
  findingsSummaryReply,
  identityCardReply,
  lookRefusedReply,
  noIdentityReply,
  noSuchIdentityReply,
  refusalReply,
  suppressedReply,
  suppressForm,
  suppressRefusedReply,
  SLACK_LIMITS,
} from '../render/slack';
import { cleanupStartedReply } from '../render/slack/findings';
import { SlackAction, SlackBlock, SlackView } from '../render/slack/ids';
import {
  ephemeral,
  errorReference,
  slackActor,
  teller,
  type SlackContext,
  type SlackMessage,
  type Tell,
} from './context';

/**
 * Findings in Slack: `/access findings …` answered privately, the Show identity, Suppress and Clean up
 * buttons, the suppress form's submission, and App Home's Findings section. Who may see and suppress
 * what is the FindingsClient's call (through bot/findings-flow.ts), who may start a cleanup the
 * CleanupClient's; this file carries and draws.
 */

const NOT_SET_UP = 'Findings are not set up on this Least server.';
/** App Home's share of its 100 blocks for findings; the request lists come first. */
const HOME_FINDINGS_BLOCKS = 40;

/** `/access findings` and `/access findings <identity>`, answered to the person only. */
export async function answerFindings(
  ctx: SlackContext,
  command: FindingsCommand,
  email: string,
  reply: (message: SlackMessage) => Promise<unknown>,
): Promise<void> {
  if (!ctx.findings) {
    await reply(refusalReply(NOT_SET_UP));
    return;
  }
  await reply(drawn(await offered(ctx, await runFindings(ctx.findings, command, email), email)));
}

export function registerFindings(app: App, ctx: SlackContext): void {
  const onTarget = (
    actionId: string,
    handle: (click: {
      findings: FindingsClient;
      target: FindingsTarget;
      email: string;
      body: BlockAction;
      tell: Tell;
    }) => Promise<void>,
  ): void => {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      const tell = teller(ctx, body, respond);
      try {
        const target = parseTarget(String(action.value ?? ''));
        if (!target) {
          await ctx.access.refused(slackActor(body.user.id), AuditAction.ActionMalformed, {
            platform: 'slack',
            action: actionId,
          });
          await tell(ephemeral(refusalReply('That button does not name an identity Least knows.')));
          return;
        }
        if (!ctx.findings) {
          await tell(ephemeral(refusalReply(NOT_SET_UP)));
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
        await handle({ findings: ctx.findings, target, email: identity.email, body, tell });
      } catch (error) {
        const reference = errorReference();
        ctx.log('error', 'findings button failed', { reference, action: actionId, error: String(error) });
        await tell(ephemeral(errorReply(reference)));
      }
    });
  };

  onTarget(SlackAction.FindingsShowIdentity, async ({ findings, target, email, tell }) => {
    const result = await showIdentity(findings, email, target.identityId, target.systemId);
    await tell(ephemeral(drawn(await offered(ctx, result, email))));
  });

  onTarget(SlackAction.FindingsCleanUp, async ({ findings, target, email, tell }) => {
    if (!ctx.cleanup) {
      await tell(ephemeral(refusalReply(CLEANUP_NOT_SET_UP)));
      return;
    }
    // The client checks authority again and audits a refusal: the button's value proves nothing.
    const outcome = await ctx.cleanup.start(target, email);
    if (!outcome.ok) {
      await tell(ephemeral(refusalReply(outcome.message)));
      return;
    }
    const seen = await findings.identity(email, target.identityId, target.systemId);
    await tell(
      ephemeral(
        cleanupStartedReply({
          runId: outcome.runId,
          systemId: target.systemId,
          identityName: seen.ok ? seen.view.identity.name : target.identityId,
          joined: outcome.joined,
        }),
      ),
    );
  });

  onTarget(SlackAction.FindingsSuppress, async ({ findings, target, email, body, tell }) => {
    // Refused before the form opens: a person who may not suppress should not type a reason first.
    const dialog = await suppressDialog(findings, email, target, (detail) =>
      ctx.access.refused(email, AuditAction.FindingsSuppressRefused, { platform: 'slack', ...detail }),
    );
    if (dialog.kind === 'refused') {
      await tell(ephemeral(drawn(dialog)));
      return;
    }
    const channelId = body.channel?.id;
    await ctx.client.views.open({
      trigger_id: body.trigger_id,
      view: suppressForm({ ...dialog.input, ...(channelId ? { channelId } : {}) }),
    });
  });

  app.view(SlackView.SuppressFindings, async ({ ack, body, view }) => {
    const metadata = parseSuppressMetadata(view.private_metadata ?? '');
    const values = view.state.values;
    const reason = values[SlackBlock.SuppressReason]?.[SlackAction.SuppressReasonInput]?.value?.trim() ?? '';
    const days = parseSuppressDays(
      values[SlackBlock.SuppressDays]?.[SlackAction.SuppressDaysInput]?.selected_option?.value,
    );
    const fieldError = (block: string, text: string) =>
      ack({ response_action: 'errors', errors: { [block]: text.slice(0, 2000) } });
    if (!metadata) return fieldError(SlackBlock.SuppressReason, 'This form lost its identity; open it again.');
    if (!reason) return fieldError(SlackBlock.SuppressReason, 'Say why: security reads this.');
    if (!days) return fieldError(SlackBlock.SuppressDays, 'Choose 30 or 90 days.');
    if (!ctx.findings) return fieldError(SlackBlock.SuppressReason, NOT_SET_UP);
    const { channelId, ...target } = metadata;
    let acked = false;
    try {
      const identity = await ctx.directory.emailOf(body.user.id);
      if (!identity.ok) return await fieldError(SlackBlock.SuppressReason, identity.reason);
      const outcome = await suppress(ctx.findings, identity.email, target, { reason, days });
      if (outcome.kind === 'refused' && outcome.reason === 'invalid')
        return await fieldError(SlackBlock.SuppressReason, outcome.message);
      await ack();
      acked = true;
      const message = outcome.kind === 'suppressed' ? suppressedReply(outcome.view) : drawn(outcome);
      await tellPrivately(ctx, body.user.id, channelId, message);
    } catch (error) {
      const reference = errorReference();
      ctx.log('error', 'suppress form failed', { reference, error: String(error) });
      const text = `Something went wrong on our side (reference ${reference}). Nothing was suppressed; try again.`;
      if (!acked) await fieldError(SlackBlock.SuppressReason, text);
    }
  });
}

/**
 * App Home's Findings section: the summary of the systems the person may see whole, within `budget`
 * blocks; nothing for people who see only their own identities (`findings <identity>` is theirs).
 */
export async function homeFindingsBlocks(ctx: SlackContext, email: string, used: number): Promise<KnownBlock[]> {
  if (!ctx.findings) return [];
  const outcome = await ctx.findings.overview(email);
  if (!outcome.ok || outcome.systems.length === 0) return [];
  const budget = Math.min(HOME_FINDINGS_BLOCKS, SLACK_LIMITS.homeBlocks - used - 1);
  if (budget < 4) return [];
  return [{ type: 'divider' }, ...findingsSummaryBlocks(summaryView(outcome), budget)];
}

/** An identity card offers Clean up to those who may start one (the system's owners, Least's admins). */
async function offered(ctx: SlackContext, result: FindingsResult, email: string): Promise<FindingsResult> {
  if (result.kind !== 'identity' || !ctx.cleanup) return result;
  if (!(await ctx.cleanup.mayStart(email, result.view.systemId))) return result;
  return { ...result, view: { ...result.view, mayStartCleanup: true } };
}

function drawn(result: FindingsResult): SlackMessage {
  return drawFindings(result, {
    summary: findingsSummaryReply,
    identity: identityCardReply,
    lookRefused: lookRefusedReply,
    noSuchIdentity: noSuchIdentityReply,
    suppressRefused: suppressRefusedReply,
    refused: refusalReply,
  });
}

/** A form has no response_url: privately in the channel it was opened from, else (or if that fails) by DM. */
export async function tellPrivately(
  ctx: SlackContext,
  userId: string,
  channelId: string | undefined,
  message: SlackMessage,
): Promise<void> {
  if (channelId && !channelId.startsWith('D')) {
    try {
      await ctx.client.chat.postEphemeral({
        channel: channelId,
        user: userId,
        text: message.text,
        blocks: message.blocks,
      });
      return;
    } catch (error) {
      ctx.log('warn', 'ephemeral answer failed; sending a DM', { error: String(error) });
    }
  }
  const opened = await ctx.client.conversations.open({ users: userId });
  const channel = opened.channel?.id;
  if (channel) await ctx.client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
}
