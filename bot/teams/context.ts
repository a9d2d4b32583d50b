import { AuditAction } from '../../domain/audit';
import { randomBytes } from 'node:crypto';
import type { TurnContext } from '@microsoft/agents-hosting';
import type { Policy } from '../../domain/policy/schema';
import { eligibleApprovers, type RequestState } from '../../domain/request';
import type { AccessClient } from '../access-client';
import type { AlertClient } from '../alert-client';
import type { CleanupClient } from '../cleanup-client';
import type { FindingsClient } from '../findings-client';
import type { ReportDesk } from '../report-flow';
import type { RequesterFindingsView } from '../render/findings';
import { ADAPTIVE_CARD_CONTENT_TYPE, messageActivity, type AdaptiveCard, type TeamsMessage } from '../render/teams';
import type { ViewBuilder } from '../render/view';
import type { TeamsDirectory } from './directory';

/** A Teams conversation Least may continue later (install or first contact), as PostgreSQL keeps it. */
export interface TeamsConversation {
  kind: 'personal' | 'channel' | 'groupChat';
  aadObjectId?: string;
  email?: string;
  conversationId: string;
  reference: Record<string, unknown>;
}

/** Where the bot keeps and finds conversation references; PgStore implements it. */
export interface TeamsConversationStore {
  saveTeamsConversation(record: TeamsConversation): Promise<void>;
  teamsConversationOf(email: string): Promise<TeamsConversation | undefined>;
  forgetTeamsConversation(
    conversation: Pick<TeamsConversation, 'kind' | 'aadObjectId' | 'conversationId'>,
  ): Promise<void>;
}

/** What every Teams handler works with; built once per front end. */
export interface TeamsContext {
  access: AccessClient;
  /** Absent where findings are not wired: `findings` then says so. */
  findings?: FindingsClient;
  /** Absent where cleanup is not wired: its buttons then say so. */
  cleanup?: CleanupClient;
  /** Absent where alerts are not wired: Acknowledge then says so. */
  alerts?: AlertClient;
  /** The requester's standing on a request's system, for the approver's card; absent or failing: no section. */
  requesterFindings?: RequesterFindings;
  /** `access report …` and its file consent; absent where reports are not wired: `report` then says so. */
  reports?: ReportDesk;
  directory: TeamsDirectory;
  conversations: TeamsConversationStore;
  policy: () => Policy;
  now: () => Date;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
  /** A request's view for Teams cards (an approver card's history). */
  view: ViewBuilder;
}

/** The requester's PCI and open findings on a system (app/findings.ts implements it over the store). */
export type RequesterFindings = (systemId: string, requester: string) => Promise<RequesterFindingsView | undefined>;

export async function send(context: TurnContext, message: TeamsMessage): Promise<void> {
  await context.sendActivity(messageActivity(message) as never);
}

/**
 * Teams user ids (29:…) of the approvers who may still act, for a card's `refresh.userIds`: only
 * they get the version with buttons. People Least cannot reach in Teams are left out.
 */
export async function refreshUserIds(ctx: TeamsContext, state: RequestState): Promise<string[]> {
  const ids = await Promise.all(
    eligibleApprovers(state).map(async (approver) => userIdIn(await ctx.conversations.teamsConversationOf(approver))),
  );
  return ids.filter((id): id is string => Boolean(id));
}

function userIdIn(conversation: TeamsConversation | undefined): string | undefined {
  const user = conversation?.reference.user as { id?: unknown } | undefined;
  return typeof user?.id === 'string' ? user.id : undefined;
}

/** A short id a person can quote to an admin; the log line with the error carries the same id. */
export function errorReference(): string {
  return `E-${randomBytes(4).toString('hex')}`;
}

/** The actor recorded for someone we could not map to an e-mail address. */
/**
 * The sender's e-mail address, or why Least cannot tell it; that refusal is audited here, and the
 * caller tells the person in its own way.
 */
export async function senderEmail(
  ctx: TeamsContext,
  context: TurnContext,
): Promise<{ ok: true; email: string } | { ok: false; reason: string }> {
  const identity = await ctx.directory.emailOf(context);
  if (identity.ok) return identity;
  await ctx.access.refused(teamsActor(context), AuditAction.IdentityUnknown, {
    platform: 'teams',
    reason: identity.reason,
  });
  return identity;
}

export function teamsActor(context: TurnContext): string {
  const from = context.activity.from;
  return `teams:${(from?.aadObjectId ?? from?.id ?? 'unknown').slice(0, 64)}`;
}

/** The body of an `adaptiveCard/action` invoke response: a card to show in place, or a short message. */
export type CardActionResponse =
  | { statusCode: 200; type: typeof ADAPTIVE_CARD_CONTENT_TYPE; value: AdaptiveCard }
  | { statusCode: 200; type: 'application/vnd.microsoft.activity.message'; value: string }
  | { statusCode: 400; type: 'application/vnd.microsoft.error'; value: { code: string; message: string } };

/** A card shown in place of the clicked one. */
export function cardResponse(value: AdaptiveCard): CardActionResponse {
  return { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value };
}

/** A short message in answer to a click (escaped markdown), the clicked card left as it is. */
export function messageResponse(markdown: string): CardActionResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: markdown.slice(0, 1000) };
}
