import { allow, DomainError, ErrorCode, refuse, type Verdict } from './errors';
import type { GrantSpec, NotifyTarget } from './policy/schema';
import { formatDuration } from './duration';

/**
 * An access request and the lease it becomes. One request is one Temporal workflow (id = request id)
 * and at most one lease in one cloud. Everything here is JSON-safe: times are ISO strings.
 */

export const RequestStatus = {
  Pending: 'pending',
  Approved: 'approved',
  Active: 'active',
  Revoked: 'revoked',
  Denied: 'denied',
  Expired: 'expired',
  Cancelled: 'cancelled',
  Failed: 'failed',
} as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  pending: ['approved', 'denied', 'expired', 'cancelled', 'failed'],
  approved: ['active', 'failed', 'cancelled'],
  active: ['revoked', 'failed'],
  revoked: [],
  denied: [],
  expired: [],
  cancelled: [],
  failed: [],
};

export function isTerminal(status: RequestStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Which requests to list (`list`, approvals, App Home, approver cards' history), newest first. */
export interface RequestFilter {
  requester?: string;
  /** Only these statuses; an empty list matches nothing. All statuses when absent. */
  statuses?: RequestStatus[];
  /** Requests where this person is one of the approvers. */
  approver?: string;
  limit?: number;
}

/** Where a request came from, so replies go back to the same place. */
export interface Origin {
  platform: 'cli' | 'slack' | 'teams';
  /** Platform user id (Slack U…, Teams AAD id) when there is one. */
  userId?: string;
  channel?: string;
}

/** What a person asked for, after the front end parsed it. */
export interface AccessRequest {
  requestId: string;
  requester: string;
  entitlementId: string;
  durationSeconds: number;
  reason: string;
  ticket?: string;
  breakGlass?: boolean;
  submittedAt: string;
  origin: Origin;
}

/** The entitlement's rules as they were when the request was made; in-flight requests keep them. */
export interface EntitlementRules {
  entitlementId: string;
  title: string;
  risk: 'low' | 'medium' | 'high';
  systemId: string;
  cloud: 'aws' | 'azure' | 'gcp';
  grant: GrantSpec;
  approvers: string[];
  requiredApprovals: number;
  admins: string[];
  pendingTimeoutSeconds: number;
  reminderEverySeconds: number;
  maxDurationSeconds: number;
  extension: { allowed: boolean; maxTotalSeconds: number; requiresApproval: boolean };
  notify: NotifyTarget[];
}

export type ApprovalOutcome = 'needs-approval' | 'auto-approved' | 'break-glass';

export interface Decision {
  approver: string;
  verdict: 'approve' | 'deny';
  reason?: string;
  at: string;
  /** `request` for the original ask, `extension` for a pending extension. */
  stage: 'request' | 'extension';
}

export interface PendingExtension {
  requestedBy: string;
  additionalSeconds: number;
  requestedAt: string;
}

export interface RequestState {
  request: AccessRequest;
  rules: EntitlementRules;
  outcome: ApprovalOutcome;
  status: RequestStatus;
  decisions: Decision[];
  grantedAt?: string;
  expiresAt?: string;
  /** Seconds added by extensions so far. */
  extendedSeconds: number;
  pendingExtension?: PendingExtension;
  endedAt?: string;
  endedBy?: string;
  endReason?: string;
  failure?: { code: string; message: string };
  /** How the requester uses the grant (portal URL, role ARN) once it is applied. */
  access?: { summary: string; url?: string };
  /** What the cloud said when revocation was verified. */
  revocationReceipt?: string;
  reviewRequired: boolean;
  reviewedBy?: string;
}

export function initialState(request: AccessRequest, rules: EntitlementRules, outcome: ApprovalOutcome): RequestState {
  return {
    request,
    rules,
    outcome,
    status: 'pending',
    decisions: [],
    extendedSeconds: 0,
    reviewRequired: outcome === 'break-glass',
  };
}

export function transition(state: RequestState, to: RequestStatus): RequestState {
  if (!canTransition(state.status, to)) {
    throw new DomainError(ErrorCode.InvalidTransition, `A ${state.status} request cannot become ${to}.`);
  }
  return { ...state, status: to };
}

export interface DecisionInput {
  approver: string;
  verdict: 'approve' | 'deny';
  reason?: string;
}

/** The stage waiting for a decision now, if any: the request while pending, or an extension of a live grant. */
export function openStage(state: RequestState): Decision['stage'] | undefined {
  if (state.status === 'pending') return 'request';
  if (state.status === 'active' && state.pendingExtension) return 'extension';
  return undefined;
}

/** Approvers who may decide on this request: nobody approves their own. */
export function eligibleApprovers(state: RequestState): string[] {
  return state.rules.approvers.filter((approver) => !isRequester(state, approver));
}

/** Whether this person may still act on the open stage: an eligible approver who has not decided it yet. */
export function awaitsDecisionFrom(state: RequestState, person: string): boolean {
  const me = person.toLowerCase();
  const stage = openStage(state);
  if (!stage || !eligibleApprovers(state).includes(me)) return false;
  return !state.decisions.some((d) => d.approver === me && d.stage === stage);
}

/** Whether this is a break-glass grant, by the policy's outcome or the request's own flag. */
export function isBreakGlass(state: RequestState): boolean {
  return state.outcome === 'break-glass' || state.request.breakGlass === true;
}

/** Update validator for an approver's click: authority, no self-approval, still pending. */
export function checkDecision(state: RequestState, input: DecisionInput): Verdict {
  const approver = input.approver.toLowerCase();
  const stage = openStage(state);
  const previous = state.decisions.find((d) => d.approver === approver && d.stage === (stage ?? 'request'));
  if (previous && previous.verdict === input.verdict) return allow; // a double click is answered, not counted twice
  if (isRequester(state, approver)) {
    return refuse(ErrorCode.SelfApproval, 'You cannot decide on your own request; another approver has to.');
  }
  if (!state.rules.approvers.includes(approver)) {
    return refuse(
      ErrorCode.ApproverNotAuthorized,
      `You are not an approver for ${state.rules.title}. Approvers: ${listPeople(state.rules.approvers)}.`,
    );
  }
  if (!stage) {
    return refuse(
      ErrorCode.RequestNotPending,
      `This request is already ${state.status}; nothing is waiting for a decision.`,
    );
  }
  if (previous) {
    return refuse(ErrorCode.ConflictingDecision, `You already chose to ${previous.verdict} this request.`);
  }
  if (input.verdict === 'deny' && !input.reason?.trim()) {
    return refuse(ErrorCode.DenyReasonRequired, 'Say why you deny it; the requester sees your reason.');
  }
  return allow;
}

/** Records a decision that passed `checkDecision`; returns whether the stage is now decided and how. */
export function applyDecision(
  state: RequestState,
  input: DecisionInput,
  at: string,
): { state: RequestState; settled?: 'approved' | 'denied' } {
  const approver = input.approver.toLowerCase();
  const stage = openStage(state);
  if (!stage || state.decisions.some((d) => d.approver === approver && d.stage === stage)) return { state };
  const decision: Decision = {
    approver,
    verdict: input.verdict,
    at,
    stage,
    ...(input.reason ? { reason: input.reason } : {}),
  };
  const next = { ...state, decisions: [...state.decisions, decision] };
  const settled = settlement(next, stage);
  return settled ? { state: next, settled } : { state: next };
}

/** The approval rule itself: any deny vetoes; the required number of approvals settles. */
export function settlement(state: RequestState, stage: Decision['stage']): 'approved' | 'denied' | undefined {
  const decisions = state.decisions.filter((d) => d.stage === stage);
  if (decisions.some((d) => d.verdict === 'deny')) return 'denied';
  return approvalsSoFar(state, stage) >= state.rules.requiredApprovals ? 'approved' : undefined;
}

export function approvalsSoFar(state: RequestState, stage: Decision['stage'] = 'request'): number {
  return state.decisions.filter((d) => d.stage === stage && d.verdict === 'approve').length;
}

export interface ExtendInput {
  by: string;
  additionalSeconds: number;
}

/** Update validator for "extend": only the requester, only while active, within the policy's total. */
export function checkExtension(state: RequestState, input: ExtendInput): Verdict {
  const by = input.by.toLowerCase();
  if (state.status !== 'active') {
    return refuse(ErrorCode.LeaseNotActive, `Only an active grant can be extended; this one is ${state.status}.`);
  }
  if (!isRequester(state, by)) {
    return refuse(ErrorCode.ExtensionNotAllowed, 'Only the person who holds the grant can extend it.');
  }
  if (!state.rules.extension.allowed) {
    return refuse(ErrorCode.ExtensionNotAllowed, `${state.rules.title} cannot be extended; make a new request.`);
  }
  if (state.pendingExtension) {
    return refuse(ErrorCode.ExtensionNotAllowed, 'An extension is already waiting for approval.');
  }
  if (!Number.isSafeInteger(input.additionalSeconds) || input.additionalSeconds <= 0) {
    return refuse(ErrorCode.DurationMalformed, 'Extend by a positive duration such as 30m or 1h.');
  }
  const total = state.request.durationSeconds + state.extendedSeconds + input.additionalSeconds;
  if (total > state.rules.extension.maxTotalSeconds) {
    const left = state.rules.extension.maxTotalSeconds - state.request.durationSeconds - state.extendedSeconds;
    return refuse(
      ErrorCode.ExtensionTooLong,
      `${state.rules.title} may last ${formatDuration(state.rules.extension.maxTotalSeconds)} in all; ` +
        (left > 0 ? `you can extend by at most ${formatDuration(left)}.` : 'it cannot be extended further.'),
    );
  }
  return allow;
}

export interface EndInput {
  by: string;
  reason?: string;
}

/** Update validator for "I'm done" (requester), "revoke" (approver or admin) and "cancel" while pending. */
export function checkEnd(state: RequestState, input: EndInput): Verdict {
  const by = input.by.toLowerCase();
  if (isTerminal(state.status)) {
    return refuse(ErrorCode.LeaseNotActive, `This request is already ${state.status}.`);
  }
  const allowed = isRequester(state, by) || state.rules.approvers.includes(by) || state.rules.admins.includes(by);
  if (!allowed) {
    return refuse(ErrorCode.NotAllowedToEnd, 'Only the requester, an approver or an admin can end this grant.');
  }
  return allow;
}

/** Update validator for the after-the-fact review of a break-glass grant. */
export function checkReview(state: RequestState, reviewer: string): Verdict {
  const by = reviewer.toLowerCase();
  if (!state.reviewRequired || state.reviewedBy) {
    return refuse(ErrorCode.RequestNotPending, 'This request has no review waiting.');
  }
  if (isRequester(state, by)) {
    return refuse(ErrorCode.SelfApproval, 'Someone other than the requester must review a break-glass grant.');
  }
  if (!state.rules.approvers.includes(by) && !state.rules.admins.includes(by)) {
    return refuse(ErrorCode.ApproverNotAuthorized, 'Only an approver or an admin can review this break-glass grant.');
  }
  return allow;
}

/** People are compared lower-cased; the request keeps the requester as the front end sent it. */
function isRequester(state: RequestState, person: string): boolean {
  return person.toLowerCase() === state.request.requester.toLowerCase();
}

function listPeople(people: string[]): string {
  if (people.length === 0) return 'none';
  return people.length <= 5 ? people.join(', ') : `${people.slice(0, 5).join(', ')} and ${people.length - 5} more`;
}
