import type { NoticeKind } from '../../domain/notice';

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
  /** After revoke, how much of the grant was used: told to each approver who had the card. */
  RightSize: 'right-size',
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
