import type { RightSizeReport } from './findings/right-size';
import type { RequestState } from './request';

/**
 * What people are told about a request, and when. Chat front ends render each kind from the
 * request's state; the kinds are the vocabulary shared by the workflow and every renderer.
 */
export type NoticeKind =
  | 'approval-needed'
  | 'reminder'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'
  | 'granted'
  | 'expiring-soon'
  | 'extension-requested'
  | 'extended'
  | 'extension-denied'
  | 'revoked'
  | 'failed'
  | 'break-glass'
  | 'review-needed'
  /** After revoke: how much of the grant was used, and what would have been enough. */
  | 'right-sized';

export interface Notice {
  kind: NoticeKind;
  state: RequestState;
  /** Extra words for this notice (a failure reason, an extension length). */
  detail?: string;
  /** `right-sized`: what the lease's usage showed. */
  rightSize?: RightSizeReport;
}

/** Who a notice is for: approvers act on it, the requester follows it, channels watch it. */
export function audienceOf(kind: NoticeKind): { approvers: boolean; requester: boolean; channels: boolean } {
  switch (kind) {
    case 'approval-needed':
    case 'reminder':
    case 'extension-requested':
    case 'review-needed':
      return { approvers: true, requester: false, channels: kind !== 'reminder' };
    case 'break-glass':
      return { approvers: true, requester: true, channels: true };
    case 'approved':
    case 'denied':
    case 'expired':
    case 'cancelled':
      return { approvers: true, requester: true, channels: true };
    case 'failed':
      return { approvers: true, requester: true, channels: true };
    case 'right-sized':
      return { approvers: true, requester: true, channels: false };
    default:
      return { approvers: false, requester: true, channels: false };
  }
}

/**
 * The requester hears back where they asked: a request made in Slack is followed in Slack, one made
 * in Teams in Teams, and one made by the CLI wherever Least can reach them.
 */
export function followsRequestIn(platform: 'slack' | 'teams', state: RequestState): boolean {
  const origin = state.request.origin.platform;
  return origin === platform || origin === 'cli';
}

const CARDS_CHANGE: ReadonlySet<NoticeKind> = new Set<NoticeKind>([
  'approved',
  'denied',
  'expired',
  'cancelled',
  'failed',
  'granted',
  'revoked',
  'extended',
  'extension-denied',
]);

/** Notices after which the approvers' cards show something new (an outcome; buttons gone). */
export function changesApproverCards(kind: NoticeKind): boolean {
  return CARDS_CHANGE.has(kind);
}
