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
  | 'review-needed';

export interface Notice {
  kind: NoticeKind;
  state: RequestState;
  /** Extra words for this notice (a failure reason, an extension length). */
  detail?: string;
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
    default:
      return { approvers: false, requester: true, channels: false };
  }
}
