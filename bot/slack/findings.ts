import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { AuditAction } from '../../domain/audit';
import type { FindingsClient } from '../findings-client';
import { CLEANUP_NOT_SET_UP, offerCleanup, startCleanup } from '../cleanup-flow';
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
  cleanupStartedReply,
  findingsSummaryBlocks,
  findingsSummaryReply,
  identityCardReply,
  lookRefusedReply,
  noSuchIdentityReply,
  refusalReply,
  suppressedReply,
  suppressForm,
  suppressRefusedReply,
  SLACK_LIMITS,
} from '../render/slack';
import { SlackAction, SlackBlock, SlackView } from '../render/slack/ids';
import { onButton, type ButtonClick } from './button';
import { ephemeral, errorReference, tellPrivately, type SlackContext, type SlackMessage } from './context';

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
  await reply(drawn(await offerCleanup(ctx.cleanup, await runFindings(ctx.findings, command, email), email)));
}

export function registerFindings(app: App, ctx: SlackContext): void {
  const onTarget = (
    actionId: string,
    handle: (click: ButtonClick<FindingsClient, FindingsTarget>) => Promise<void>,
  ): void =>
    onButton(
      app,
      ctx,
      actionId,
      {
        feature: 'findings',
        parse: parseTarget,
        malformed: 'That button does not name an identity Least knows.',
        client: () => ctx.findings,
        notSetUp: NOT_SET_UP,
      },
      handle,
    );

  onTarget(SlackAction.FindingsShowIdentity, async ({ client: findings, target, email, tell }) => {
    const result = await showIdentity(findings, email, target.identityId, target.systemId);
    await tell(ephemeral(drawn(await offerCleanup(ctx.cleanup, result, email))));
  });

  onTarget(SlackAction.FindingsCleanUp, async ({ client: findings, target, email, tell }) => {
    if (!ctx.cleanup) {
      await tell(ephemeral(refusalReply(CLEANUP_NOT_SET_UP)));
      return;
    }
    const started = await startCleanup(ctx.cleanup, findings, target, email);
    await tell(ephemeral(started.ok ? cleanupStartedReply(started.view) : refusalReply(started.message)));
  });

  onTarget(SlackAction.FindingsSuppress, async ({ client: findings, target, email, body, tell }) => {
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
