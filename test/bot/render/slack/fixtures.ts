import type { AccessRequest, EntitlementRules, RequestState, RequestStatus } from '../../../../domain/request';
import type { RequestView } from '../../../../bot/render/view';

/** Request states as the workflow leaves them at each status, for renderer tests. */

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

/** Every `text` of a mrkdwn object, and a message's fallback `text`: what Slack parses for mentions and links. */
export function mrkdwnTexts(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, top: boolean): void => {
    if (Array.isArray(node)) return node.forEach((child) => walk(child, false));
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.text === 'string' && (record.type === 'mrkdwn' || (top && Array.isArray(record.blocks))))
      found.push(record.text);
    Object.values(record).forEach((child) => walk(child, false));
  };
  walk(value, true);
  return found;
}

/** Every string in a Slack payload, plain_text included. */
export function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

/** The buttons of a payload, in order. */
export function buttons(
  value: unknown,
): { action_id: string; value?: string; style?: string; url?: string; text: string }[] {
  const found: { action_id: string; value?: string; style?: string; url?: string; text: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'button') {
      found.push({
        action_id: String(record.action_id),
        text: String((record.text as { text?: string }).text),
        ...(typeof record.value === 'string' ? { value: record.value } : {}),
        ...(typeof record.style === 'string' ? { style: record.style } : {}),
        ...(typeof record.url === 'string' ? { url: record.url } : {}),
      });
    }
    Object.values(record).forEach(walk);
  };
  walk(value);
  return found;
}

/** All mrkdwn of a payload as one string, for `includes`/`match`. */
export function shown(value: unknown): string {
  return mrkdwnTexts(value).join('\n');
}

export function blockTypes(blocks: readonly { type: string }[]): string[] {
  return blocks.map((block) => block.type);
}
