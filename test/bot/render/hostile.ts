import { cut } from '../../../bot/render/clip';
import type { NoticeKind } from '../../../domain/notice';
import type { RequestState, RequestStatus } from '../../../domain/request';
import { state } from './fixtures';

/**
 * What the hostile-input tests of both platforms share: a request whose every field came from a
 * hostile requester, approver, policy author or cloud API, every notice, and the emoji check. Each
 * platform brings its own hostile texts and its own check of what its parser would read.
 */

// A record, so that a new kind of notice fails to compile until it is listed here.
const KINDS: Record<NoticeKind, true> = {
  'approval-needed': true,
  reminder: true,
  approved: true,
  denied: true,
  expired: true,
  cancelled: true,
  granted: true,
  'expiring-soon': true,
  'extension-requested': true,
  extended: true,
  'extension-denied': true,
  revoked: true,
  failed: true,
  'break-glass': true,
  'review-needed': true,
  'right-sized': true,
};

/** Every kind of notice, for the requester's updates. */
export const NOTICE_KINDS = Object.keys(KINDS) as NoticeKind[];

/** Half a surrogate pair: what a cut in the wrong place leaves of an emoji. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** One state with every field a person, a policy or a cloud controls set to `text`. */
export function hostileState(status: RequestStatus, text: string, extra: Partial<RequestState> = {}): RequestState {
  return state(status, {
    request: { requester: text, reason: text, ticket: text, entitlementId: text, requestId: cut(text, 5_000) },
    rules: { title: text, approvers: [text, `${text}2`, 'lead@example.com'], risk: 'high' },
    decisions: [
      { approver: text, verdict: 'approve', at: '2024-05-01T09:05:00.000Z', stage: 'request' },
      { approver: `${text}2`, verdict: 'deny', reason: text, at: text, stage: 'request' },
      { approver: text, verdict: 'deny', reason: text, at: '2024-05-01T09:05:00.000Z', stage: 'extension' },
    ],
    endedBy: text,
    endedAt: text,
    endReason: text,
    failure: { code: 'X', message: text },
    access: { summary: text, url: text },
    revocationReceipt: text,
    reviewRequired: true,
    ...extra,
  });
}

/** Whether any string in a payload, plain text included, ends or starts in the middle of an emoji. */
export function hasHalfEmoji(payload: unknown): boolean {
  return strings(payload).some((s) => LONE_SURROGATE.test(s));
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
