import type { NoticeKind } from '../../domain/notice';
import type { RequestState } from '../../domain/request';
import type { RequestFilter, RequestRecord } from '../store/types';

/** What each stored chat message is (`message_refs.purpose`), the same on every platform. */
export const Purpose = {
  ApprovalCard: 'approval-card',
  ReviewCard: 'review-card',
  /** Followed by `:<seconds extended so far>`: each extension request gets its own card. */
  ExtensionCard: 'extension-card',
  /** Slack: the requester's DM thread; its top message is the live status. */
  RequesterThread: 'requester-thread',
  /** Teams: the requester's status card, kept current. */
  RequesterStatus: 'requester-status',
} as const;

/** The purpose of the requester's message about one step; an extension makes later steps new ones. */
export function replyPurpose(kind: NoticeKind, extendedSeconds: number): string {
  return `reply:${kind}:${extendedSeconds}`;
}

export function isApproverCard(purpose: string): boolean {
  return (
    purpose === Purpose.ApprovalCard || purpose === Purpose.ReviewCard || purpose.startsWith(Purpose.ExtensionCard)
  );
}

/**
 * The requester hears back where they asked: a request made in Slack is followed in Slack, one made
 * in Teams in Teams, and one made by the CLI wherever Least can reach them.
 */
export function followsRequestIn(platform: 'slack' | 'teams', state: RequestState): boolean {
  const origin = state.request.origin.platform;
  return origin === platform || origin === 'cli';
}

/** Notices after which the approvers' cards show something new (an outcome; buttons gone). */
export const CARDS_CHANGE: ReadonlySet<NoticeKind> = new Set([
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

/** The requester's five most recent other requests, newest first: approver cards show them. */
export async function recentRequests(
  store: { listRequests(filter: RequestFilter): Promise<RequestRecord[]> },
  state: RequestState,
): Promise<RequestState[]> {
  return (await store.listRequests({ requester: state.request.requester, limit: 6 }))
    .filter((record) => record.requestId !== state.request.requestId)
    .slice(0, 5)
    .map((record) => record.state);
}
