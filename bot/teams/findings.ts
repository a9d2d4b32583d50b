import type { TurnContext } from '@microsoft/agents-hosting';
import { AuditAction } from '../../domain/audit';
import { CLEANUP_NOT_SET_UP } from '../cleanup-flow';
import {
  runFindings,
  showIdentity,
  suppress,
  suppressDialog,
  type FindingsCommand,
  drawFindings,
  type FindingsResult,
} from '../findings-flow';
import { parseSuppressDays, parseTarget, SUPPRESS_REASON_MAX, type FindingsTarget } from '../render/findings';
import {
  ADAPTIVE_CARD_CONTENT_TYPE,
  findingsSummaryMessage,
  identityCardMessage,
  lookRefusedMessage,
  noSuchIdentityMessage,
  refusalMessage,
  suppressCard,
  suppressedMessage,
  suppressRefusedMessage,
  type AdaptiveCard,
  type TeamsMessage,
} from '../render/teams';
import { cleanupStartedMessage } from '../render/teams/findings';
import { TeamsInput, TeamsVerb } from '../render/teams/ids';
import type { FindingsClient } from '../findings-client';
import { send, type CardActionResponse, type TeamsContext } from './context';

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
  await send(context, drawn(await offered(ctx, await runFindings(ctx.findings, command, email), email)));
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
    response(drawn(await offered(ctx, await showIdentity(findings, email, target.identityId, target.systemId), email))),

  // Answered with a message, so the identity card it was clicked on stays.
  [TeamsVerb.FindingsCleanUp]: async (ctx, { findings, target, email }) => {
    if (!ctx.cleanup) return response(refusalMessage(CLEANUP_NOT_SET_UP));
    // The client checks authority again and audits a refusal: the card's data proves nothing.
    const outcome = await ctx.cleanup.start(target, email);
    if (!outcome.ok) return response(refusalMessage(outcome.message));
    const seen = await findings.identity(email, target.identityId, target.systemId);
    return response(
      cleanupStartedMessage({
        runId: outcome.runId,
        systemId: target.systemId,
        identityName: seen.ok ? seen.view.identity.name : target.identityId,
        joined: outcome.joined,
      }),
    );
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

/** An identity card offers Clean up to those who may start one (the system's owners, Least's admins). */
async function offered(ctx: TeamsContext, result: FindingsResult, email: string): Promise<FindingsResult> {
  if (result.kind !== 'identity' || !ctx.cleanup) return result;
  if (!(await ctx.cleanup.mayStart(email, result.view.systemId))) return result;
  return { ...result, view: { ...result.view, mayStartCleanup: true } };
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
  if (message.card) return cardResponse(message.card);
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: message.text.slice(0, 1000) };
}

function cardResponse(value: AdaptiveCard): CardActionResponse {
  return { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value };
}
