import { ErrorCode, refuse, type Verdict } from '../errors';
import {
  KEEP_DAYS,
  SNOOZE_DAYS,
  type CleanupDecision,
  type CleanupDecisionKind,
  type CleanupItem,
  type CleanupMode,
  type CleanupOutcome,
} from './model';

/**
 * A cleanup run as its workflow holds it: small (item ids, owners and answers, not documents), so the
 * validator of an owner's click can decide without I/O. The documents and diffs stay in PostgreSQL.
 */

export type CleanupPhase =
  'planning' | 'announcing' | 'noticing' | 'applying' | 'staging' | 'reporting' | 'done' | 'failed';

export interface CleanupItemBrief {
  itemId: string;
  change: CleanupItem['change'];
  object: CleanupItem['object'];
  /** The identities' names, for messages. */
  identities: string[];
  owners: string[];
  explicitOnly: boolean;
  /** How many actions a narrow-policy takes away. */
  actions: number;
  decision?: CleanupDecision;
  outcome?: CleanupOutcome;
  outcomeDetail?: string;
}

export interface CleanupRunState {
  runId: string;
  systemId: string;
  mode: CleanupMode;
  phase: CleanupPhase;
  /** The system's notice period: nothing an owner did not remove changes before it has passed. */
  noticeSeconds: number;
  /** Staged removal: how long a removal set is denied before the policy changes; absent: removed at once. */
  stagingSeconds?: number;
  /** While staged items wait: when they are removed for good. */
  stagedUntil?: string;
  /** Besides each item's owners, who may decide any item: the system's owners and Least's admins. */
  deciders: string[];
  /**
   * Groups kept outside the policy whose members are deciders too, by key (`slack:S0123ABCD`). Their
   * members are not listed here: the bot resolves the clicker's groups at each click (absent on older runs).
   */
  deciderGroups?: string[];
  items: CleanupItemBrief[];
  announcedAt?: string;
  noticeUntil?: string;
  /** Why owners could not be told, when they could not (the run then waits the notice period from its report). */
  announceProblem?: string;
}

/** An owner's click, as the bot sends it. */
export interface CleanupDecisionInput {
  itemId: string;
  kind: CleanupDecisionKind;
  /** The clicker's e-mail, as the bot resolved it. */
  decider: string;
  /** Of the run's `deciderGroups`, those the bot found the clicker in when it took the click. */
  groups?: string[];
  reason?: string;
  /** Snooze: 7 or 30. */
  days?: number;
  /** The chat delivery's own id, so the same click delivered twice is counted once. */
  clickId?: string;
}

export const MAX_KEEP_REASON = 500;

/** Whether `decider` may answer for `item` in this run; the refusal says why in plain words. */
export function checkCleanupDecision(state: CleanupRunState, input: CleanupDecisionInput): Verdict {
  const item = state.items.find((i) => i.itemId === input.itemId);
  if (!item) return refuse(ErrorCode.CleanupUnknown, 'That change is not part of this cleanup run.');
  if (state.phase !== 'noticing' && state.phase !== 'announcing')
    return refuse(
      ErrorCode.CleanupClosed,
      state.phase === 'done' || state.phase === 'reporting'
        ? 'This cleanup run has finished; its report has a Restore button for anything it removed.'
        : 'This cleanup run is not taking answers now.',
    );
  if (item.outcome !== undefined) return refuse(ErrorCode.CleanupClosed, `That change was already ${item.outcome}.`);
  const who = input.decider.trim().toLowerCase();
  if (!who || (!item.owners.includes(who) && !state.deciders.includes(who) && !deciderGroupOf(state, input)))
    return refuse(
      ErrorCode.CleanupNotAuthorized,
      "Only this identity's owners and the system's owners may decide on its cleanup.",
    );
  if (input.kind === 'keep') {
    const reason = input.reason?.trim() ?? '';
    if (!reason)
      return refuse(ErrorCode.CleanupDecisionInvalid, 'Say why it should be kept: the reason is remembered with it.');
    if (reason.length > MAX_KEEP_REASON)
      return refuse(ErrorCode.CleanupDecisionInvalid, `Keep the reason under ${MAX_KEEP_REASON} characters.`);
  }
  if (input.kind === 'snooze' && !SNOOZE_DAYS.includes(input.days as (typeof SNOOZE_DAYS)[number]))
    return refuse(ErrorCode.CleanupDecisionInvalid, `Snooze for ${SNOOZE_DAYS.join(' or ')} days.`);
  return { ok: true };
}

/**
 * The decider group a click is authorised through, when nothing else authorises it: the clicker is
 * neither an owner of the item nor a decider the run names, but the bot found them in one of the run's
 * decider groups. Said in the audit, so a decision shows why it was taken.
 */
export function deciderGroupOf(state: CleanupRunState, input: CleanupDecisionInput): string | undefined {
  const who = input.decider.trim().toLowerCase();
  const item = state.items.find((i) => i.itemId === input.itemId);
  if (item?.owners.includes(who) || state.deciders.includes(who)) return undefined;
  return input.groups?.find((group) => state.deciderGroups?.includes(group));
}

/** The decision a valid click records; Keep lasts KEEP_DAYS, Snooze its days. */
export function decisionOf(input: CleanupDecisionInput, at: string): CleanupDecision {
  const days = input.kind === 'keep' ? KEEP_DAYS : input.kind === 'snooze' ? input.days! : undefined;
  return {
    itemId: input.itemId,
    kind: input.kind,
    by: input.decider.trim().toLowerCase(),
    at,
    ...(input.reason?.trim() ? { reason: input.reason.trim() } : {}),
    ...(days !== undefined ? { until: new Date(Date.parse(at) + days * 86_400_000).toISOString() } : {}),
  };
}

/**
 * What happens to an item when the notice period ends: an owner's Remove removes; Keep and Snooze keep;
 * silence removes only in enforce mode and never a change that needs an explicit Remove.
 */
export function fateOf(item: CleanupItemBrief, mode: CleanupMode): 'remove' | 'kept' | 'snoozed' | 'reported' {
  switch (item.decision?.kind) {
    case 'remove':
      return 'remove';
    case 'keep':
      return 'kept';
    case 'snooze':
      return 'snoozed';
    default:
      return mode === 'enforce' && !item.explicitOnly ? 'remove' : 'reported';
  }
}
