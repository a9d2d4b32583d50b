import type { App } from '@slack/bolt';
import { MAX_KEEP_REASON } from '../../domain/cleanup/run';
import type { CleanupClient } from '../cleanup-client';
import {
  CLEANUP_MALFORMED,
  CLEANUP_NOT_SET_UP,
  DECISION_OF,
  decidedViewOf,
  diffViewOf,
  restoredViewOf,
} from '../cleanup-flow';
import { CleanupAction, CleanupInput, parseCleanupButtonValue, parseKeepMetadata } from '../render/cleanup';
import {
  cleanupDecidedReply,
  cleanupDiffReply,
  cleanupKeepForm,
  cleanupRestoreResultReply,
  cleanupRestoringReply,
  refusalReply,
} from '../render/slack';
import { onButton, type ButtonClick } from './button';
import { ephemeral, errorReference, tellPrivately, type SlackContext } from './context';

/**
 * The cleanup's buttons in Slack: Keep (a form for the reason), Remove now, Snooze 7 or 30 days, Show
 * diff and Restore, on owners' messages, the channel's summary and the report. Each click is acked at
 * once and answered privately; who may do what is the CleanupClient's call (for decisions, the run's
 * workflow validator), and every refusal is audited there.
 */

/** A cleanup button's click; its value names the run and the item. */
type CleanupClick = ButtonClick<CleanupClient, { runId: string; itemId: string }>;

export function registerCleanup(app: App, ctx: SlackContext): void {
  const onCleanupButton = (actionId: string, handle: (click: CleanupClick) => Promise<void>): void =>
    onButton(
      app,
      ctx,
      actionId,
      {
        feature: 'cleanup',
        parse: parseCleanupButtonValue,
        malformed: CLEANUP_MALFORMED,
        client: () => ctx.cleanup,
        notSetUp: CLEANUP_NOT_SET_UP,
      },
      handle,
    );

  for (const [actionId, decision] of Object.entries(DECISION_OF)) {
    onCleanupButton(actionId, async ({ client: cleanup, target: { runId, itemId }, email, body, tell }) => {
      const outcome = await cleanup.decide({
        runId,
        itemId,
        ...decision!,
        decider: email,
        clickId: `slack:${body.trigger_id}`,
      });
      await tell(
        ephemeral(
          outcome.ok ? cleanupDecidedReply(decidedViewOf(outcome.item, decision!)) : refusalReply(outcome.message),
        ),
      );
    });
  }

  onCleanupButton(CleanupAction.Keep, async ({ client: cleanup, target: { runId, itemId }, email, body, tell }) => {
    // Refused before the form opens: a person who may not decide should not type a reason first.
    const checked = await cleanup.check({ runId, itemId, kind: 'keep', decider: email });
    if (!checked.ok) {
      await tell(ephemeral(refusalReply(checked.message)));
      return;
    }
    const channelId = body.channel?.id;
    await ctx.client.views.open({
      trigger_id: body.trigger_id,
      view: cleanupKeepForm({
        runId,
        itemId,
        change: checked.item.change,
        objectName: checked.item.object.name,
        objectKind: checked.item.object.kind,
        ...(channelId ? { channelId } : {}),
      }),
    });
  });

  onCleanupButton(CleanupAction.ShowDiff, async ({ client: cleanup, target: { runId, itemId }, email, tell }) => {
    const outcome = await cleanup.diff(runId, itemId, email);
    await tell(ephemeral(outcome.ok ? cleanupDiffReply(diffViewOf(outcome.item)) : refusalReply(outcome.message)));
  });

  onCleanupButton(CleanupAction.Restore, async ({ client: cleanup, target: { runId, itemId }, email, tell }) => {
    const outcome = cleanup.restore({ runId, item: itemId }, email);
    // Refusals come back at once; a restore checks the cloud item by item and may take a while.
    const quick = await Promise.race([outcome, pause(1500)]);
    if (!quick) await tell(ephemeral(cleanupRestoringReply()));
    const done = quick ?? (await outcome);
    await tell(
      ephemeral(
        done.ok ? cleanupRestoreResultReply(restoredViewOf(done.result, done.items)) : refusalReply(done.message),
      ),
    );
  });

  app.view(CleanupAction.KeepForm, async ({ ack, body, view }) => {
    const metadata = parseKeepMetadata(view.private_metadata ?? '');
    const reason = view.state.values[CleanupInput.KeepReasonBlock]?.[CleanupInput.KeepReason]?.value?.trim() ?? '';
    const fieldError = (text: string) =>
      ack({ response_action: 'errors', errors: { [CleanupInput.KeepReasonBlock]: text.slice(0, 2000) } });
    if (!metadata) return fieldError('This form lost track of its change; open it again from the message.');
    if (!reason) return fieldError('Say why it should be kept: the reason is remembered with it.');
    if (reason.length > MAX_KEEP_REASON) return fieldError(`Keep the reason under ${MAX_KEEP_REASON} characters.`);
    if (!ctx.cleanup) return fieldError(CLEANUP_NOT_SET_UP);
    const { channelId, runId, itemId } = metadata;
    let acked = false;
    try {
      const identity = await ctx.directory.emailOf(body.user.id);
      if (!identity.ok) return await fieldError(identity.reason);
      const outcome = await ctx.cleanup.decide({
        runId,
        itemId,
        kind: 'keep',
        reason,
        decider: identity.email,
        clickId: `slack:view:${view.id}`,
      });
      if (!outcome.ok) return await fieldError(outcome.message);
      await ack();
      acked = true;
      await tellPrivately(
        ctx,
        body.user.id,
        channelId,
        cleanupDecidedReply(decidedViewOf(outcome.item, { kind: 'keep', reason })),
      );
    } catch (error) {
      const reference = errorReference();
      ctx.log('error', 'cleanup keep form failed', { reference, error: String(error) });
      if (!acked)
        await fieldError(`Something went wrong on our side (reference ${reference}). Nothing was kept; try again.`);
    }
  });
}

function pause(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
