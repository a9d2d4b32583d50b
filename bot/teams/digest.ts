import { AuditAction } from '../../domain/audit';
import {
  DIGEST_CLEANUP_NOT_SET_UP,
  DIGEST_FINDINGS_NOT_SET_UP,
  digestApprovals,
  digestFindings,
  latestCleanup,
  latestCleanupWords,
  parseDigestTarget,
  type CleanupRunsReader,
  type LatestCleanup,
} from '../digest-flow';
import { drawFindings } from '../findings-flow';
import {
  DIGEST_BUTTON_MALFORMED,
  isDigestAction,
  systemOf,
  DigestAction,
  type DigestTarget,
} from '../render/digest-buttons';
import {
  approvalsMessage,
  findingsSummaryMessage,
  identityCardMessage,
  lookRefusedMessage,
  noSuchIdentityMessage,
  refusalMessage,
  suppressRefusedMessage,
  type TeamsMessage,
} from '../render/teams';
import { card, heading, text, withCard } from '../render/teams/card';
import { userLine } from '../render/teams/text';
import type { TurnContext } from '@microsoft/agents-hosting';
import {
  type CardActionResponse,
  cardResponse,
  errorReference,
  messageResponse,
  senderEmail,
  type TeamsContext,
} from './context';

/**
 * The buttons on a digest card in Teams (bot/render/digest-buttons.ts), one handler per verb. The
 * invoke is verified by the adapter (the Bot Framework JWT outside local development); the answer is
 * the invoke's response, which Teams shows to the clicker alone. What they see is asked again for them
 * (bot/digest-flow.ts); a forged value or a refused look is audited.
 */

export interface TeamsDigestButtonsOptions {
  /** Where the Cleanup button reads runs; without it the button says it is not set up. */
  cleanupRuns?: CleanupRunsReader;
}

type DigestVerbHandler = (
  ctx: TeamsContext,
  click: { target: DigestTarget; email: string },
  options: TeamsDigestButtonsOptions,
) => Promise<CardActionResponse>;

const handlers: Readonly<Record<DigestAction, DigestVerbHandler>> = {
  [DigestAction.Findings]: async (ctx, { target, email }) => {
    const system = systemOf(target);
    if (!ctx.findings || !system) return response(refusalMessage(DIGEST_FINDINGS_NOT_SET_UP));
    const result = await digestFindings(ctx.findings, system, email);
    return response(
      drawFindings(result, {
        summary: findingsSummaryMessage,
        identity: identityCardMessage,
        lookRefused: lookRefusedMessage,
        noSuchIdentity: noSuchIdentityMessage,
        suppressRefused: suppressRefusedMessage,
        refused: refusalMessage,
      }),
    );
  },

  [DigestAction.Approvals]: async (ctx, { email }) => {
    const states = await digestApprovals(ctx.access, email);
    const views = await Promise.all(states.map((state) => ctx.view(state)));
    return response(approvalsMessage(views, ctx.now()));
  },

  [DigestAction.Cleanup]: async (ctx, { target, email }, options) => {
    const system = systemOf(target);
    if (!options.cleanupRuns || !system) return response(refusalMessage(DIGEST_CLEANUP_NOT_SET_UP));
    const result = await latestCleanup(
      {
        runs: options.cleanupRuns,
        policy: ctx.policy,
        externalGroups: () => ctx.access.externalGroups(),
        access: ctx.access,
      },
      email,
      system,
      'teams',
    );
    return response(latestCleanupMessage(result));
  },
};

/**
 * An `adaptiveCard/action` invoke on a digest card, answered here (the clicker known by e-mail first, a
 * person Least cannot map audited); undefined for every other verb, which `onCardAction` answers.
 */
export async function onDigestCardAction(
  ctx: TeamsContext,
  context: TurnContext,
  options: TeamsDigestButtonsOptions = {},
): Promise<CardActionResponse | undefined> {
  const action = (context.activity.value as { action?: { type?: unknown; verb?: unknown; data?: unknown } } | undefined)
    ?.action;
  if (action?.type !== 'Action.Execute' || typeof action.verb !== 'string' || !isDigestAction(action.verb))
    return undefined;
  const data =
    action.data && typeof action.data === 'object' && !Array.isArray(action.data)
      ? (action.data as Record<string, unknown>)
      : {};
  try {
    const identity = await senderEmail(ctx, context);
    if (!identity.ok) {
      return messageResponse(identity.reason);
    }
    return await onDigestAction(ctx, { verb: action.verb, data }, identity.email, options);
  } catch (error) {
    const reference = errorReference();
    ctx.log('error', 'digest card action failed', { reference, verb: action.verb, error: String(error) });
    return messageResponse(
      `Something went wrong on Least's side (reference ${reference}). Try again, or quote the reference to your admins.`,
    );
  }
}

/** The digest verb's answer, or undefined when the verb is not a digest verb. */
export async function onDigestAction(
  ctx: TeamsContext,
  click: { verb: string; data: Record<string, unknown> },
  email: string,
  options: TeamsDigestButtonsOptions = {},
): Promise<CardActionResponse | undefined> {
  if (!isDigestAction(click.verb)) return undefined;
  const target = parseDigestTarget(click.verb, click.data);
  if (!target) {
    await ctx.access.refused(email, AuditAction.ActionMalformed, { platform: 'teams', verb: click.verb });
    return response(refusalMessage(DIGEST_BUTTON_MALFORMED));
  }
  return handlers[click.verb](ctx, { target, email }, options);
}

function latestCleanupMessage(result: LatestCleanup): TeamsMessage {
  if (result.kind === 'refused') return refusalMessage(result.message);
  if (result.kind === 'none')
    return withCard(
      `No cleanup run on ${result.systemId} yet.`,
      card([text(`No cleanup run on ${userLine(result.systemId, 64)} yet.`)]),
    );
  const words = latestCleanupWords(result.view);
  return withCard(
    words.title,
    card([heading(userLine(words.title, 150)), ...words.lines.map((line) => text(userLine(line, 500)))]),
  );
}

/** A message's card in place of the clicked one for the clicker, or its text when it has none. */
function response(message: TeamsMessage): CardActionResponse {
  return message.card ? cardResponse(message.card) : messageResponse(message.text);
}
