import type { Button, KnownBlock } from '@slack/types';
import { formatDuration } from '../../../domain/duration';
import type { Notice } from '../../../domain/notice';
import type { RequestState } from '../../../domain/request';
import { REASON_CHARS } from '../status';
import type { RequestView } from '../view';
import { actions, context, message, section, type SlackMessage } from './blocks';
import { endNowButton, extendButton, openAccessButton } from './buttons';
import { approvedLine, deniedLine, statusLine, untilLine, waitingLine } from './status';
import { slackDate, userLine, userText } from './text';
import { rightSizeView } from '../findings';
import { rightSizeReply } from './findings';

/** The lengths offered as one-click extensions; `/access extend` takes any other. */
const EXTENSIONS = [
  ['30m', 30 * 60],
  ['1h', 60 * 60],
] as const;

/** The top of the requester's DM thread, edited as the request moves on: where it stands now. */
export function requesterThreadParent(view: RequestView, now: Date): SlackMessage {
  const { state } = view;
  const blocks: KnownBlock[] = [section(`${what(view)}\n${statusLine(state, now)}`)];
  if (state.status === 'active') blocks.push(actions(endNow(state)));
  blocks.push(footer(state));
  return message(`Your request for ${title(state)}: ${state.status}`, blocks);
}

/** One reply in the requester's thread for each step they are told about (see audienceOf). */
export function requesterUpdate(notice: Notice, view: RequestView, now: Date): SlackMessage {
  const { state } = view;
  const named = `*${title(state)}*`;
  const extra = notice.detail ? userLine(notice.detail, 100) : undefined;
  const until = untilLine(state, now);
  const say = (text: string, ...buttons: (Button | undefined)[]): SlackMessage => {
    const shown = buttons.filter((b): b is Button => b !== undefined);
    return message(text, [section(text), ...(shown.length ? [actions(...shown)] : [])]);
  };
  switch (notice.kind) {
    case 'approved':
      return say(
        `${approvedLine(state) ?? '✅ Approved.'}\nYour access to ${named} is being applied; you will hear here when it is ready.`,
      );
    case 'denied':
      return say(`Your request for ${named} was not approved.\n${deniedLine(state, 'request')}`);
    case 'granted': {
      const how = state.access?.summary ? `\n*How to use it*\n${userText(state.access.summary, 1500)}` : '';
      return say(`🟢 You have ${named} until ${until}.${how}`, openAccessButton(state.access?.url));
    }
    case 'expiring-soon':
      return expiringSoon(state, until);
    case 'extension-requested':
      return say(
        `Your extension of ${named} by +${extra ?? '?'} is waiting for approval. It still ends at ${until} unless approved.`,
      );
    case 'extended':
      return say(`⏩ ${named} was extended by +${extra ?? '?'}; it now ends at ${until}.`);
    case 'extension-denied':
      return say(`${deniedLine(state, 'extension')}\n${named} still ends at ${until}.`);
    case 'revoked': {
      const receipt = state.revocationReceipt ? userText(state.revocationReceipt, 1000) : 'no receipt recorded';
      return say(`${statusLine(state, now)}\nYou no longer have ${named}. Verified: ${receipt}`);
    }
    case 'failed':
      return say(
        `❗ Something failed with ${named}: ${userText(notice.detail ?? state.failure?.message ?? 'no reason recorded', REASON_CHARS)}`,
      );
    case 'expired':
      return say(`⌛ Nobody decided on ${named} in time, so the request expired. Ask again if you still need it.`);
    case 'cancelled':
      return say(`${statusLine(state, now)}\nNothing was granted for ${named}.`);
    case 'break-glass':
      return say(
        `🚨 *Break-glass*: you got ${named} immediately, without approval. Approvers have been told, and a review follows.`,
      );
    case 'approval-needed':
    case 'reminder':
    case 'review-needed':
      return say(statusLine(state, now));
    case 'right-sized':
      return rightSizeReply(rightSizeView(notice.rightSize, rightSizeFallback(state)));
  }
}

function rightSizeFallback(state: RequestState): { leaseId: string; systemId: string; entitlementId: string } {
  return {
    leaseId: state.request.requestId,
    systemId: state.rules.systemId,
    entitlementId: state.request.entitlementId,
  };
}

/** What the requester sees right after submitting: the id to quote, and what happens next. */
export function submittedReply(view: RequestView, now: Date): SlackMessage {
  const { state } = view;
  let next: string;
  if (state.outcome === 'break-glass') {
    next =
      '🚨 *Break-glass*: access is being granted now, without approval. Approvers have been told, and a review follows.';
  } else if (state.outcome === 'auto-approved') {
    next = '✅ Auto-approved by policy; access is being applied.';
  } else if (state.status === 'pending') {
    next = waitingLine(state);
  } else {
    next = statusLine(state, now);
  }
  const text = `Request \`${userLine(state.request.requestId, 40)}\` sent: ${what(view)}\n${next}`;
  return message(text, [section(text), footer(state)]);
}

function expiringSoon(state: RequestState, until: string): SlackMessage {
  const id = state.request.requestId;
  const { extension } = state.rules;
  const room = extension.maxTotalSeconds - state.request.durationSeconds - state.extendedSeconds;
  const offers =
    state.status === 'active' && extension.allowed && !state.pendingExtension
      ? EXTENSIONS.filter(([, seconds]) => seconds <= room).map(([label]) => extendButton(id, label))
      : [];
  const how =
    offers.length > 0
      ? extension.requiresApproval
        ? 'Extend it if you still need it; an approver will be asked.'
        : 'Extend it if you still need it.'
      : 'It cannot be extended further; make a new request if you need more time.';
  const text = `⏰ Your *${title(state)}* ends at ${until}. ${how}`;
  // Slack rejects two buttons with one action_id in one block, and every Extend is SlackAction.Extend: a row each.
  const rows = offers.map((offer) => [offer]);
  if (state.status === 'active') {
    const last = rows[rows.length - 1];
    if (last) last.push(endNow(state));
    else rows.push([endNow(state)]);
  }
  return message(text, [section(text), ...rows.map((row) => actions(...row))]);
}

function what(view: RequestView): string {
  const { state } = view;
  return `*${title(state)}* on ${userLine(view.systemTitle, 150)} for ${formatDuration(state.request.durationSeconds)}`;
}

function title(state: RequestState): string {
  return userLine(state.rules.title, 150);
}

function endNow(state: RequestState): Button {
  return endNowButton(state.request.requestId, state.rules.title);
}

function footer(state: RequestState): KnownBlock {
  const ticket = state.request.ticket ? ` · ticket ${userLine(state.request.ticket, 100)}` : '';
  return context(
    `Request \`${userLine(state.request.requestId, 40)}\`${ticket} · submitted ${slackDate(state.request.submittedAt)}`,
  );
}
