import { formatDuration } from '../../../domain/duration';
import { eligibleApprovers, isBreakGlass, openStage, type RequestState } from '../../../domain/request';
import { approvalHeadline } from '../status';
import type { RequestView } from '../view';
import {
  actionSet,
  card,
  container,
  execute,
  facts,
  heading,
  problemBlock,
  text,
  type AdaptiveCard,
  type CardElement,
} from './card';
import { TeamsInput, TeamsVerb } from './ids';
import { outcomeLines, people, progressLine, statusColor, statusLine } from './status';
import { teamsDate, userLine, userText } from './text';

const TITLE_CHARS = 150;
const REASON_CHARS = 2000;
const RECENT = 5;
const COMMENT_MAX = 500;

export interface ApprovalCardOptions {
  /** Teams user ids of the approvers who may still act: refresh shows them the card with buttons. */
  refreshUserIds?: string[];
}

/**
 * The card everyone in a channel or chat sees: the request, its progress and, once settled, what
 * became of it. It has no buttons; while a decision is open, Teams refreshes it for the approvers
 * in `refreshUserIds`, and the bot answers each of them with `approverCard`.
 */
export function approvalCard(view: RequestView, now: Date, options: ApprovalCardOptions = {}): AdaptiveCard {
  const { state } = view;
  return card(
    [...details(view, approvalHeadline(state)), ...decision(state, now), footer(state)],
    refresh(state, openStage(state) !== undefined, options),
  );
}

/**
 * The approver's own copy, after refresh: the same card plus a comment box, Approve and Deny while
 * a decision is open. `problem` says why the last click did nothing (e.g. a deny without a comment).
 * Once settled it is `approvalCard`, with the problem on top when there is one.
 */
export function approverCard(
  view: RequestView,
  now: Date,
  options: ApprovalCardOptions & { problem?: string } = {},
): AdaptiveCard {
  const { state } = view;
  const stage = openStage(state);
  const body = [...problemBlock(options.problem), ...details(view, approvalHeadline(state)), ...decision(state, now)];
  if (!stage) return card([...body, footer(state)]);
  const id = state.request.requestId;
  return card([...body, commentInput(), footer(state)], {
    actions: [
      execute('Approve', TeamsVerb.Approve, { requestId: id }, 'positive'),
      execute('Deny', TeamsVerb.Deny, { requestId: id }, 'destructive'),
    ],
    ...refresh(state, true, options),
  });
}

/** After-the-fact review of a break-glass grant: one button until someone has reviewed it. */
export function reviewCard(view: RequestView, now: Date, options: ApprovalCardOptions = {}): AdaptiveCard {
  const { state } = view;
  const open = state.reviewRequired && !state.reviewedBy;
  const review: CardElement[] = [];
  if (state.reviewedBy) review.push(text(`✅ Reviewed by ${userLine(state.reviewedBy, 100)}`, { color: 'good' }));
  else if (open) review.push(text('👀 Waiting for an approver or an admin to review this break-glass use.'));
  return card([...details(view, 'Break-glass review'), ...outcome(state, now), ...review, footer(state)], {
    ...(open
      ? { actions: [execute('Mark as reviewed', TeamsVerb.Review, { requestId: state.request.requestId }, 'positive')] }
      : {}),
    ...refresh(state, open, options),
  });
}

/** A request waiting for this approver, short enough to list several (`approvals`). */
export function approvalSummary(view: RequestView, now: Date): CardElement {
  const { state } = view;
  const stage = openStage(state) ?? 'request';
  const id = state.request.requestId;
  const ask =
    stage === 'extension' ? `extend by +${extensionLength(state)}` : formatDuration(state.request.durationSeconds);
  return container(
    [
      text(`**${userLine(state.rules.title, 100)}** on ${userLine(view.systemTitle, 100)} · ${ask}`),
      text(`${userLine(state.request.requester, 100)}: ${userLine(state.request.reason, 300)}`, { spacing: 'none' }),
      text(
        `${stage === 'extension' ? statusLine(state, now) : `⏳ ${progressLine(state, stage)}`} · ${userLine(id, 40)}`,
        { subtle: true, spacing: 'none' },
      ),
      actionSet([
        execute('Approve', TeamsVerb.Approve, { requestId: id }, 'positive'),
        execute('Deny', TeamsVerb.Deny, { requestId: id }, 'destructive'),
      ]),
    ],
    { separator: true },
  );
}

/** The comment an approver gives: optional for Approve, required for Deny (checked by the bot). */
export function commentInput(label = 'Comment (required to deny)'): CardElement {
  return {
    type: 'Input.Text',
    id: TeamsInput.Comment,
    label,
    placeholder: 'The requester reads this.',
    isMultiline: true,
    maxLength: COMMENT_MAX,
  };
}

/** What was asked, by whom and why: the same on every approver card. */
function details(view: RequestView, title: string): CardElement[] {
  const { state } = view;
  const { request, rules } = state;
  const entitlement = `**${userLine(rules.title, TITLE_CHARS)}** (${userLine(request.entitlementId, 100)})`;
  const who = userLine(request.requester, 254);
  const ask =
    openStage(state) === 'extension'
      ? `${who} asks to extend ${entitlement} by **+${extensionLength(state)}**.`
      : `${who} ${isBreakGlass(state) ? 'used break-glass for' : 'asks for'} ${entitlement} for **${formatDuration(request.durationSeconds)}**.`;
  return [
    heading(title),
    text(ask),
    facts([
      ['Requester', who],
      ['Entitlement', `${userLine(rules.title, TITLE_CHARS)} (${userLine(request.entitlementId, 100)})`],
      ['System', userLine(view.systemTitle, 200)],
      ['Duration', formatDuration(request.durationSeconds)],
      ['Ticket', request.ticket ? userLine(request.ticket, 100) : 'none'],
      ['Risk', rules.risk],
      ['Approvals needed', `${rules.requiredApprovals} from ${people(eligibleApprovers(state))}`],
    ]),
    text('**Reason**', { spacing: 'medium' }),
    container([text(userText(request.reason, REASON_CHARS))], { style: 'emphasis' }),
    ...warnings(state),
    ...history(view),
  ];
}

function warnings(state: RequestState): CardElement[] {
  const lines: CardElement[] = [];
  if (isBreakGlass(state)) {
    lines.push(
      text('🚨 **BREAK-GLASS**: access was granted immediately, without approval. Review it after the fact.', {
        color: 'attention',
      }),
    );
  }
  if (state.rules.risk === 'high') {
    lines.push(
      text('⚠️ **High-risk entitlement**: check the reason and the ticket before you approve.', { color: 'warning' }),
    );
  }
  return lines;
}

/** What this person asked for before, so an approver sees a pattern (a daily break-glass, say). */
function history(view: RequestView): CardElement[] {
  if (!view.recent) return [];
  const recent = view.recent.slice(0, RECENT);
  if (recent.length === 0) return [text('No earlier requests from this person.', { subtle: true, spacing: 'medium' })];
  return [
    text(`**Recent requests by ${userLine(view.state.request.requester, 100)}**`, { spacing: 'medium' }),
    ...recent.map((s) =>
      text(
        `${userLine(s.rules.title, 100)} (${userLine(s.request.entitlementId, 100)}) · ${s.status} · ${teamsDate(s.request.submittedAt)}`,
        { spacing: 'none', subtle: true },
      ),
    ),
  ];
}

/** While a decision is open: where it stands; once settled: what became of it. */
function decision(state: RequestState, now: Date): CardElement[] {
  const stage = openStage(state);
  if (stage === 'request') return [text(statusLine(state, now), { weight: 'bolder', separator: true })];
  if (stage === 'extension') {
    return [
      text(statusLine(state, now), { separator: true }),
      text(`⏳ Extension: ${progressLine(state, 'extension')}`, { weight: 'bolder' }),
    ];
  }
  return outcome(state, now);
}

/** What became of a request nobody can decide on any more. */
function outcome(state: RequestState, now: Date): CardElement[] {
  const { approved, status, extensionDenied, extended } = outcomeLines(state, now);
  const lines: CardElement[] = [];
  if (approved) lines.push(text(approved, { separator: true }));
  lines.push(text(status, { weight: 'bolder', color: statusColor(state), ...(approved ? {} : { separator: true }) }));
  if (extensionDenied) lines.push(text(extensionDenied));
  if (extended) lines.push(text(extended));
  return lines;
}

function footer(state: RequestState): CardElement {
  return text(`Request ${userLine(state.request.requestId, 40)} · submitted ${teamsDate(state.request.submittedAt)}`, {
    subtle: true,
    size: 'small',
    separator: true,
  });
}

function refresh(
  state: RequestState,
  open: boolean,
  options: ApprovalCardOptions,
): { refresh?: { requestId: string; userIds: readonly string[] } } {
  const userIds = options.refreshUserIds ?? [];
  return open && userIds.length > 0 ? { refresh: { requestId: state.request.requestId, userIds } } : {};
}

/** The extension asked for, `1h`; `?` when none is pending. */
function extensionLength(state: RequestState): string {
  return state.pendingExtension ? formatDuration(state.pendingExtension.additionalSeconds) : '?';
}
