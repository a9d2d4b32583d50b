import { formatDuration } from '../../../domain/duration';
import type { Notice, NoticeKind } from '../../../domain/notice';
import { eligibleApprovers, type RequestState } from '../../../domain/request';
import { extendedLine, REASON_CHARS } from '../status';
import type { RequestView } from '../view';
import {
  card,
  container,
  execute,
  heading,
  openUrl,
  text,
  withCard,
  type AdaptiveCard,
  type CardAction,
  type CardElement,
  type TeamsMessage,
} from './card';
import { TeamsVerb } from './ids';
import { approvedLine, deniedLine, statusColor, statusLine, untilLine, waitingLine } from './status';
import { teamsDate, userLine, userText } from './text';
import { rightSizeView } from '../findings';
import { rightSizeMessage } from './findings';

/** The lengths offered as one-click extensions; `extend <id> <duration>` takes any other. */
const EXTENSIONS = [
  ['30m', 30 * 60],
  ['1h', 60 * 60],
] as const;
const ACCESS_CHARS = 1500;
const RECEIPT_CHARS = 1000;

/** The requester's live status, shown in place after each of their clicks: where it stands, what they can do. */
export function requesterStatusCard(view: RequestView, now: Date): AdaptiveCard {
  const { state } = view;
  const body: CardElement[] = [
    heading('Your request'),
    text(requested(view)),
    text(statusLine(state, now), { weight: 'bolder', color: statusColor(state) }),
  ];
  const extended = extendedLine(state);
  if (extended) body.push(text(extended, { spacing: 'none' }));
  const actions: CardAction[] = [];
  if (state.status === 'active') {
    body.push(...howToUse(state));
    const offers = extensionOffers(state);
    if (offers.length > 0) body.push(text(extendHint(state), { subtle: true }));
    actions.push(...portal(state), ...offers, endNow(state));
  }
  body.push(footer(state));
  return card(body, { actions });
}

/** One message to the requester for each step they are told about (see audienceOf). */
export function requesterUpdate(notice: Notice, view: RequestView, now: Date): TeamsMessage {
  const { state } = view;
  const named = `**${title(state)}**`;
  const extra = notice.detail ? userLine(notice.detail, 100) : undefined;
  const until = untilLine(state, now);
  const say = (lines: CardElement[], actions: CardAction[] = []): TeamsMessage =>
    withCard(summary(notice.kind, state), card([...lines, footer(state)], { actions }));
  switch (notice.kind) {
    case 'approved':
      return say([
        text(approvedLine(state) ?? '✅ Approved.', { color: 'good', weight: 'bolder' }),
        text(`Your access to ${named} is being applied; you will hear here when it is ready.`),
      ]);
    case 'denied':
      return say([
        text(`Your request for ${named} was not approved.`),
        text(deniedLine(state, 'request'), { color: 'attention' }),
      ]);
    case 'granted':
      return say(
        [text(`🟢 You have ${named} until ${until}.`, { color: 'good', weight: 'bolder' }), ...howToUse(state)],
        [...portal(state), ...(state.status === 'active' ? [endNow(state)] : [])],
      );
    case 'expiring-soon': {
      const offers = extensionOffers(state);
      return say(
        [
          text(
            `⏰ Your ${named} ends at ${until}. ${offers.length > 0 ? extendHint(state) : 'It cannot be extended further; make a new request if you need more time.'}`,
          ),
        ],
        [...offers, ...(state.status === 'active' ? [endNow(state)] : [])],
      );
    }
    case 'extension-requested':
      return say([
        text(
          `Your extension of ${named} by +${extra ?? '?'} is waiting for approval. It still ends at ${until} unless approved.`,
        ),
      ]);
    case 'extended':
      return say([text(`⏩ ${named} was extended by +${extra ?? '?'}; it now ends at ${until}.`, { color: 'good' })]);
    case 'extension-denied':
      return say([
        text(deniedLine(state, 'extension'), { color: 'attention' }),
        text(`${named} still ends at ${until}.`),
      ]);
    case 'revoked': {
      const receipt = state.revocationReceipt
        ? userText(state.revocationReceipt, RECEIPT_CHARS)
        : 'no receipt recorded';
      return say([
        text(statusLine(state, now), { weight: 'bolder' }),
        text(`You no longer have ${named}.`),
        text(`Verified: ${receipt}`, { subtle: true }),
      ]);
    }
    case 'failed':
      return say([
        text(
          `❗ Something failed with ${named}: ${userText(notice.detail ?? state.failure?.message ?? 'no reason recorded', REASON_CHARS)}`,
          { color: 'attention' },
        ),
      ]);
    case 'expired':
      return say([
        text(`⌛ Nobody decided on ${named} in time, so the request expired. Ask again if you still need it.`),
      ]);
    case 'cancelled':
      return say([text(statusLine(state, now)), text(`Nothing was granted for ${named}.`)]);
    case 'break-glass':
      return say([
        text(
          `🚨 **Break-glass**: you got ${named} immediately, without approval. Approvers have been told, and a review follows.`,
          { color: 'attention' },
        ),
        ...howToUse(state),
      ]);
    case 'approval-needed':
    case 'reminder':
    case 'review-needed':
      return say([text(statusLine(state, now))]);
    case 'right-sized':
      return rightSizeMessage(
        rightSizeView(notice.rightSize, {
          leaseId: state.request.requestId,
          systemId: state.rules.systemId,
          entitlementId: state.request.entitlementId,
        }),
      );
  }
}

/** What the requester sees right after submitting: the id to quote, and what happens next. */
export function submittedMessage(view: RequestView, now: Date): TeamsMessage {
  const { state } = view;
  const approvers = eligibleApprovers(state).length;
  const what =
    state.outcome === 'break-glass'
      ? 'is break-glass: access is being granted'
      : state.outcome === 'auto-approved'
        ? 'was auto-approved'
        : `sent to ${approvers} approver${approvers === 1 ? '' : 's'}`;
  return withCard(
    `Request ${state.request.requestId} ${what}`,
    card([
      heading(`Request ${userLine(state.request.requestId, 40)} ${what}`),
      text(requested(view)),
      nextStep(state, now),
      footer(state),
    ]),
  );
}

function nextStep(state: RequestState, now: Date): CardElement {
  if (state.outcome === 'break-glass') {
    return text(
      '🚨 **Break-glass**: access is being granted now, without approval. Approvers have been told, and a review follows.',
      { color: 'attention' },
    );
  }
  if (state.outcome === 'auto-approved') {
    return text('✅ Auto-approved by policy; access is being applied.', { color: 'good' });
  }
  if (state.status !== 'pending') return text(statusLine(state, now), { color: statusColor(state) });
  return text(waitingLine(state));
}

/** The extensions that fit the entitlement's rules: only while active, allowed, none pending, within the total. */
function extensionOffers(state: RequestState): CardAction[] {
  const { extension } = state.rules;
  if (state.status !== 'active' || !extension.allowed || state.pendingExtension) return [];
  const room = extension.maxTotalSeconds - state.request.durationSeconds - state.extendedSeconds;
  return EXTENSIONS.filter(([, seconds]) => seconds <= room).map(([label]) =>
    execute(`Extend ${label}`, TeamsVerb.Extend, { requestId: state.request.requestId, duration: label }),
  );
}

function extendHint(state: RequestState): string {
  return state.rules.extension.requiresApproval
    ? 'Extend it if you still need it; an approver will be asked.'
    : 'Extend it if you still need it.';
}

/** How to use the grant, set apart: the summary comes from the cloud adapter, not from us. */
function howToUse(state: RequestState): CardElement[] {
  if (!state.access?.summary) return [];
  return [
    text('**How to use it**', { spacing: 'medium' }),
    container([text(userText(state.access.summary, ACCESS_CHARS))], { style: 'emphasis' }),
  ];
}

function portal(state: RequestState): CardAction[] {
  const link = openUrl('Open the access portal', state.access?.url);
  return link ? [link] : [];
}

function endNow(state: RequestState): CardAction {
  return execute('End now', TeamsVerb.EndNow, { requestId: state.request.requestId }, 'destructive');
}

function requested(view: RequestView): string {
  const { state } = view;
  return `**${title(state)}** on ${userLine(view.systemTitle, 150)} for ${formatDuration(state.request.durationSeconds)}`;
}

function title(state: RequestState): string {
  return userLine(state.rules.title, 150);
}

function footer(state: RequestState): CardElement {
  const ticket = state.request.ticket ? ` · ticket ${userLine(state.request.ticket, 100)}` : '';
  return text(
    `Request ${userLine(state.request.requestId, 40)}${ticket} · submitted ${teamsDate(state.request.submittedAt)}`,
    { subtle: true, size: 'small', separator: true },
  );
}

const SUMMARY: Record<NoticeKind, string> = {
  'approval-needed': 'Waiting for approval',
  reminder: 'Still waiting for approval',
  approved: 'Approved',
  denied: 'Not approved',
  expired: 'Expired without a decision',
  cancelled: 'Cancelled',
  granted: 'Access granted',
  'expiring-soon': 'Ending soon',
  'extension-requested': 'Extension waiting for approval',
  extended: 'Extended',
  'extension-denied': 'Extension denied',
  revoked: 'Access ended',
  failed: 'Something failed',
  'break-glass': 'Break-glass access granted',
  'review-needed': 'Break-glass review pending',
  'right-sized': 'How much of it you used',
};

/** The notification line: plain text, so no escaping (see TeamsMessage). */
function summary(kind: NoticeKind, state: RequestState): string {
  return `${SUMMARY[kind]}: ${state.rules.title}`;
}
