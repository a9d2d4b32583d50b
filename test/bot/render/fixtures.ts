import type { AccessRequest, EntitlementRules, RequestState, RequestStatus } from '../../../domain/request';
import type { EntitlementChoice, RequestView } from '../../../bot/render/view';

/**
 * Request states as the workflow leaves them at each status, for the renderer tests of either
 * platform. The request came in from Slack; Teams renderers do not read where it came from.
 */

export const NOW = new Date('2024-05-01T10:00:00.000Z');
export const REQUESTER = 'dev@example.com';
export const REQUESTER_SLACK = 'U123ABC';
export const LEAD_A = 'lead-a@example.com';
export const LEAD_B = 'lead-b@example.com';
export const ID = 'r-abc123defg';
export const SUBMITTED = '2024-05-01T09:00:00.000Z';
export const DECIDED = '2024-05-01T09:05:00.000Z';
export const SYSTEM_TITLE = 'AWS production (123456789012)';

const minutes = (n: number): string => new Date(NOW.getTime() + n * 60_000).toISOString();

export function rules(overrides: Partial<EntitlementRules> = {}): EntitlementRules {
  return {
    entitlementId: 'prod-admin',
    title: 'Production admin',
    risk: 'low',
    systemId: 'aws-prod',
    cloud: 'aws',
    grant: { kind: 'aws-identity-center', permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1' },
    approvers: [REQUESTER, LEAD_A, LEAD_B],
    requiredApprovals: 2,
    admins: ['admin@example.com'],
    pendingTimeoutSeconds: 86400,
    reminderEverySeconds: 14400,
    maxDurationSeconds: 4 * 3600,
    extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: false },
    notify: [],
    ...overrides,
  };
}

export function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    requestId: ID,
    requester: REQUESTER,
    entitlementId: 'prod-admin',
    durationSeconds: 2 * 3600,
    reason: 'rotate the database credentials',
    ticket: 'OPS-1',
    submittedAt: SUBMITTED,
    origin: { platform: 'slack', userId: REQUESTER_SLACK },
    ...overrides,
  };
}

type StateOverrides = Partial<Omit<RequestState, 'request' | 'rules'>> & {
  request?: Partial<AccessRequest>;
  rules?: Partial<EntitlementRules>;
};

/** What each status carries by the time a card shows it; `overrides` win. */
const BY_STATUS: Record<RequestStatus, Partial<RequestState>> = {
  pending: {},
  approved: { decisions: [approval(LEAD_A), approval(LEAD_B)] },
  active: {
    decisions: [approval(LEAD_A), approval(LEAD_B)],
    grantedAt: minutes(-78),
    expiresAt: minutes(42),
    access: {
      summary: 'Sign in to the AWS access portal (https://example.awsapps.com/start), choose account 123456789012.',
      url: 'https://example.awsapps.com/start',
    },
  },
  revoked: {
    decisions: [approval(LEAD_A), approval(LEAD_B)],
    grantedAt: minutes(-120),
    expiresAt: minutes(-1),
    endedAt: minutes(-1),
    endedBy: 'expiry',
    endReason: 'expired',
    revocationReceipt: 'Identity Center lists no assignment of ps-1 to dev on 123456789012.',
  },
  denied: {
    decisions: [{ approver: LEAD_A, verdict: 'deny', reason: 'use the read replica', at: DECIDED, stage: 'request' }],
  },
  expired: { endedAt: minutes(-5), endReason: 'no decision in time' },
  cancelled: { endedAt: minutes(-5), endedBy: REQUESTER, endReason: 'ended early by the holder' },
  failed: {
    decisions: [approval(LEAD_A), approval(LEAD_B)],
    failure: { code: 'GRANT.FAILED', message: 'AccessDenied: sso:CreateAccountAssignment' },
  },
};

export function state(status: RequestStatus, overrides: StateOverrides = {}): RequestState {
  const { request: requestOverrides, rules: ruleOverrides, ...rest } = overrides;
  return {
    request: request(requestOverrides),
    rules: rules(ruleOverrides),
    outcome: 'needs-approval',
    status,
    decisions: [],
    extendedSeconds: 0,
    reviewRequired: false,
    ...BY_STATUS[status],
    ...rest,
  };
}

export function view(s: RequestState, extras: Partial<Omit<RequestView, 'state'>> = {}): RequestView {
  return { state: s, systemTitle: SYSTEM_TITLE, requesterUserId: REQUESTER_SLACK, ...extras };
}

export function approval(
  approver: string,
  stage: 'request' | 'extension' = 'request',
): RequestState['decisions'][number] {
  return { approver, verdict: 'approve', at: DECIDED, stage };
}

/** The requester's ask to extend an active grant by an hour, waiting for approval. */
export const PENDING_EXTENSION: NonNullable<RequestState['pendingExtension']> = {
  requestedBy: REQUESTER,
  additionalSeconds: 3600,
  requestedAt: NOW.toISOString(),
};

/** An active grant, approved by both leads, whose extension lead A then denied. */
export function extensionDenied(overrides: StateOverrides = {}): RequestState {
  return state('active', {
    decisions: [
      approval(LEAD_A),
      approval(LEAD_B),
      { approver: LEAD_A, verdict: 'deny', reason: 'enough for today', at: NOW.toISOString(), stage: 'extension' },
    ],
    ...overrides,
  });
}

/** A break-glass grant, active and waiting for someone to review it. */
export function breakGlassGrant(overrides: StateOverrides = {}): RequestState {
  return state('active', {
    outcome: 'break-glass',
    request: { breakGlass: true },
    decisions: [],
    reviewRequired: true,
    ...overrides,
  });
}

/** Eight earlier requests, `Earlier 0` to `Earlier 7`, alternately revoked and denied: more than a card lists. */
export function earlierRequests(): RequestState[] {
  return Array.from({ length: 8 }, (_, i) =>
    state(i % 2 ? 'denied' : 'revoked', {
      request: { requestId: `r-recent000${i}` },
      rules: { title: `Earlier ${i}` },
    }),
  );
}

/** One entitlement as the request form offers it; `overrides` win. */
export function choice(overrides: Partial<EntitlementChoice> = {}): EntitlementChoice {
  return {
    id: 'prod-read-only',
    title: 'Production read-only',
    systemId: 'aws-prod',
    systemTitle: 'AWS production',
    risk: 'low',
    maxDurationSeconds: 4 * 3600,
    defaultDurationSeconds: 3600,
    ticketRequired: false,
    ...overrides,
  };
}

/** What a request form offers: read-only, a high-risk admin that needs a ticket, and a dev admin elsewhere. */
export const CHOICES: EntitlementChoice[] = [
  choice(),
  choice({
    id: 'prod-admin',
    title: 'Production admin',
    risk: 'high',
    maxDurationSeconds: 8 * 3600,
    ticketRequired: true,
  }),
  choice({ id: 'dev-admin', title: 'Dev admin', systemId: 'aws-dev', systemTitle: 'AWS development' }),
];
