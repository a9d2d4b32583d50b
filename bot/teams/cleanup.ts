import type { TurnContext } from '@microsoft/agents-hosting';
import { AuditAction } from '../../domain/audit';
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
import { CleanupAction, CleanupInput, parseCleanupButtonValue } from '../render/cleanup';
import { cleanupDecidedText, cleanupDiffCard, cleanupKeepCard, cleanupRestoreResultText } from '../render/teams';
import { userText } from '../render/teams/text';
import { cardResponse, messageResponse, type CardActionResponse, type TeamsContext } from './context';

/**
 * The cleanup's card verbs in Teams, one handler each: Keep (its form, and the form's submit), Remove
 * now, Snooze 7 or 30 days, Show diff and Restore. Every verb carries `data.value`, the run and item
 * (bot/render/cleanup.ts). Answers are short messages, so the card with the other changes stays; Show
 * diff and the Keep form answer with a card of their own. Authority is the CleanupClient's call.
 */

/** A Teams invoke gets about 15 seconds; a restore that takes longer is told when done by the notifier. */
const RESTORE_WAIT_MS = 8_000;

interface CleanupClick {
  cleanup: CleanupClient;
  runId: string;
  itemId: string;
  data: Record<string, unknown>;
  email: string;
  /** The invoke's own id: the same click delivered twice is one answer. */
  clickId?: string;
}

type CleanupVerbHandler = (ctx: TeamsContext, click: CleanupClick) => Promise<CardActionResponse>;

const decide =
  (verb: string): CleanupVerbHandler =>
  async (_ctx, { cleanup, runId, itemId, email, clickId }) => {
    const decision = DECISION_OF[verb]!;
    const outcome = await cleanup.decide({
      runId,
      itemId,
      ...decision,
      decider: email,
      ...(clickId ? { clickId } : {}),
    });
    return messageResponse(
      outcome.ok ? cleanupDecidedText(decidedViewOf(outcome.item, decision)) : refused(outcome.message),
    );
  };

/** One handler per cleanup verb; `onCardAction` looks the verb up here before the request verbs. */
const handlers: Readonly<Record<string, CleanupVerbHandler>> = {
  [CleanupAction.RemoveNow]: decide(CleanupAction.RemoveNow),
  [CleanupAction.Snooze7]: decide(CleanupAction.Snooze7),
  [CleanupAction.Snooze30]: decide(CleanupAction.Snooze30),

  [CleanupAction.Keep]: async (_ctx, { cleanup, runId, itemId, email }) => {
    // Refused before the form shows: a person who may not decide should not type a reason first.
    const checked = await cleanup.check({ runId, itemId, kind: 'keep', decider: email });
    if (!checked.ok) return messageResponse(refused(checked.message));
    return cardResponse(
      cleanupKeepCard({
        runId,
        itemId,
        change: checked.item.change,
        objectName: checked.item.object.name,
        objectKind: checked.item.object.kind,
      }),
    );
  },

  [CleanupAction.KeepForm]: async (_ctx, { cleanup, runId, itemId, data, email, clickId }) => {
    const input = typeof data.reasonInput === 'string' ? data.reasonInput : CleanupInput.KeepReason;
    const typed = input.startsWith(CleanupInput.KeepReason) ? data[input] : undefined;
    const reason = typeof typed === 'string' ? typed.trim() : '';
    if (!reason) return messageResponse('⚠️ Say why it should be kept: the reason is remembered with it.');
    if (reason.length > MAX_KEEP_REASON)
      return messageResponse(`⚠️ Keep the reason under ${MAX_KEEP_REASON} characters.`);
    const outcome = await cleanup.decide({
      runId,
      itemId,
      kind: 'keep',
      reason,
      decider: email,
      ...(clickId ? { clickId } : {}),
    });
    return messageResponse(
      outcome.ok ? cleanupDecidedText(decidedViewOf(outcome.item, { kind: 'keep', reason })) : refused(outcome.message),
    );
  },

  [CleanupAction.ShowDiff]: async (_ctx, { cleanup, runId, itemId, email }) => {
    const outcome = await cleanup.diff(runId, itemId, email);
    return outcome.ok
      ? cardResponse(cleanupDiffCard(diffViewOf(outcome.item)))
      : messageResponse(refused(outcome.message));
  },

  [CleanupAction.Restore]: async (ctx, { cleanup, runId, itemId, email }) => {
    const pending = cleanup.restore({ runId, item: itemId }, email);
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), RESTORE_WAIT_MS);
    });
    try {
      const done = await Promise.race([pending, slow]);
      if (done)
        return messageResponse(
          done.ok ? cleanupRestoreResultText(restoredViewOf(done.result, done.items)) : refused(done.message),
        );
    } finally {
      clearTimeout(timer);
    }
    void pending.catch((error: unknown) =>
      ctx.log('error', 'cleanup restore failed after its answer', { run: runId.slice(0, 100), error: String(error) }),
    );
    return messageResponse(
      '↩️ Restoring… Least checks each change against the cloud first; the owners and the channel are told what came back.',
    );
  },
};

/** The cleanup verb's answer, or undefined when the verb is not a cleanup verb. */
export async function onCleanupAction(
  ctx: TeamsContext,
  context: TurnContext,
  click: { verb: string; data: Record<string, unknown> },
  email: string,
): Promise<CardActionResponse | undefined> {
  const handler = handlers[click.verb];
  if (!handler) return undefined;
  const target = typeof click.data.value === 'string' ? parseCleanupButtonValue(click.data.value) : undefined;
  if (!target) {
    await ctx.access.refused(email, AuditAction.ActionMalformed, { platform: 'teams', verb: click.verb });
    return messageResponse(refused(CLEANUP_MALFORMED));
  }
  if (!ctx.cleanup) return messageResponse(refused(CLEANUP_NOT_SET_UP));
  const id = context.activity.id;
  return handler(ctx, {
    cleanup: ctx.cleanup,
    ...target,
    data: click.data,
    email,
    ...(id ? { clickId: `teams:${id.slice(0, 200)}` } : {}),
  });
}

function refused(text: string): string {
  return `⛔ ${userText(text, 900)}`;
}
