import type { TurnContext } from '@microsoft/agents-hosting';
import { AuditAction } from '../../domain/audit';
import { CLEANUP_NOT_SET_UP, offerCleanup, startCleanup } from '../cleanup-flow';
import {
  runFindings,
  showIdentity,
  suppress,
  suppressDialog,
  type FindingsCommand,
  drawFindings,
  type FindingsResult,
} from '../findings-flow';
import { SUPPRESS_REASON_MAX } from '../../domain/findings/model';
import { parseSuppressDays, parseTarget, type FindingsTarget } from '../render/findings';
import {
  cleanupStartedMessage,
  findingsSummaryMessage,
  identityCardMessage,
  lookRefusedMessage,
  noSuchIdentityMessage,
  refusalMessage,
  suppressCard,
  suppressedMessage,
  suppressRefusedMessage,
  type TeamsMessage,
} from '../render/teams';
import { TeamsInput, TeamsVerb } from '../render/teams/ids';
import type { FindingsClient } from '../findings-client';
import { cardResponse, messageResponse, send, type CardActionResponse, type TeamsContext } from './context';

/**
 * Findings in Teams: `findings …` in the personal chat, and one handler per card verb (Show identity,
 * Suppress, the suppress card's submit, Clean up). Who may see and suppress what is the FindingsClient's
 * call (through bot/findings-flow.ts), who may start a cleanup the CleanupClient's; this file carries
 * and draws.
 */

const NOT_SET_UP = 'Findings are not set up on this Least server.';

/** `findings` and `findings <identity>`, answered in the personal chat. */
export async function answerFindings(
  ctx: TeamsContext,
  context: TurnContext,
  command: FindingsCommand,
  email: string,
): Promise<void> {
  if (!ctx.findings) {
    await send(context, refusalMessage(NOT_SET_UP));
    return;
  }
  await send(context, drawn(await offerCleanup(ctx.cleanup, await runFindings(ctx.findings, command, email), email)));
}

interface FindingsClick {
  findings: FindingsClient;
  target: FindingsTarget;
  data: Record<string, unknown>;
  email: string;
}

type FindingsVerbHandler = (ctx: TeamsContext, click: FindingsClick) => Promise<CardActionResponse>;

/** One handler per findings verb; `onCardAction` looks the verb up here before the request verbs. */
const handlers: Readonly<Record<string, FindingsVerbHandler>> = {
  [TeamsVerb.FindingsShowIdentity]: async (ctx, { findings, target, email }) =>
    response(
      drawn(
        await offerCleanup(ctx.cleanup, await showIdentity(findings, email, target.identityId, target.systemId), email),
      ),
    ),

  // Answered with a message, so the identity card it was clicked on stays.
  [TeamsVerb.FindingsCleanUp]: async (ctx, { findings, target, email }) => {
    if (!ctx.cleanup) return response(refusalMessage(CLEANUP_NOT_SET_UP));
    const started = await startCleanup(ctx.cleanup, findings, target, email);
    return response(started.ok ? cleanupStartedMessage(started.view) : refusalMessage(started.message));
  },

  [TeamsVerb.FindingsSuppress]: async (ctx, { findings, target, email }) => {
    // Refused before the card asks for a reason: a person who may not suppress should not type one first.
    const dialog = await suppressDialog(findings, email, target, (detail) =>
      ctx.access.refused(email, AuditAction.FindingsSuppressRefused, { platform: 'teams', ...detail }),
    );
    return dialog.kind === 'refused' ? response(drawn(dialog)) : cardResponse(suppressCard(dialog.input));
  },

  [TeamsVerb.FindingsSuppressSubmit]: async (_ctx, { findings, target, data, email }) => {
    const input = data[TeamsInput.SuppressReason];
    const reason = typeof input === 'string' ? input : '';
    const days = parseSuppressDays(data[TeamsInput.SuppressDays]);
    const again = async (problem: string): Promise<CardActionResponse> => {
      const dialog = await suppressDialog(findings, email, target, () => Promise.resolve());
      return dialog.kind === 'refused'
        ? response(drawn(dialog))
        : cardResponse(suppressCard({ ...dialog.input, problem }));
    };
    if (reason.trim().length === 0) return again('Say why: security reads this.');
    if (reason.length > SUPPRESS_REASON_MAX) return again(`Keep the reason under ${SUPPRESS_REASON_MAX} characters.`);
    if (!days) return again('Choose 30 or 90 days.');
    const outcome = await suppress(findings, email, target, { reason, days });
    if (outcome.kind === 'suppressed') return response(suppressedMessage(outcome.view));
    if (outcome.reason === 'invalid') return again(outcome.message);
    return response(drawn(outcome));
  },
};

/** The findings verb's answer, or undefined when the verb is not a findings verb. */
export async function onFindingsAction(
  ctx: TeamsContext,
  click: { verb: string; data: Record<string, unknown> },
  email: string,
): Promise<CardActionResponse | undefined> {
  const handler = handlers[click.verb];
  if (!handler) return undefined;
  const target = parseTarget(click.data);
  if (!target) {
    await ctx.access.refused(email, AuditAction.ActionMalformed, { platform: 'teams', verb: click.verb });
    return response(refusalMessage('That card does not name an identity Least knows.'));
  }
  if (!ctx.findings) return response(refusalMessage(NOT_SET_UP));
  return handler(ctx, { findings: ctx.findings, target, data: click.data, email });
}

export function isFindingsVerb(verb: string): boolean {
  return verb in handlers;
}

function drawn(result: FindingsResult): TeamsMessage {
  return drawFindings(result, {
    summary: findingsSummaryMessage,
    identity: identityCardMessage,
    lookRefused: lookRefusedMessage,
    noSuchIdentity: noSuchIdentityMessage,
    suppressRefused: suppressRefusedMessage,
    refused: refusalMessage,
  });
}

/** A message's card in place of the clicked one, or its text when it has none. */
function response(message: TeamsMessage): CardActionResponse {
  return message.card ? cardResponse(message.card) : messageResponse(message.text);
}
