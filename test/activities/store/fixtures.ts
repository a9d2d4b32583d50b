import {
  applyDecision,
  initialState,
  transition,
  type EntitlementRules,
  type RequestState,
} from '../../../domain/request';
import type { LeaseRecord } from '../../../activities/store/types';

/** Realistic requests built with the domain's own functions, so the store sees what workflows will save. */

export const PROD_DB_READONLY: EntitlementRules = {
  entitlementId: 'prod-db-readonly',
  title: 'Production database read-only',
  risk: 'medium',
  systemId: 'aws-prod',
  cloud: 'aws',
  grant: {
    kind: 'aws-identity-center',
    permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-7223a1b2c3d4e5f6/ps-0a1b2c3d4e5f6789',
  },
  approvers: ['priya.nair@example.com', 'tom.okafor@example.com'],
  requiredApprovals: 1,
  admins: ['secops@example.com'],
  pendingTimeoutSeconds: 24 * 3600,
  reminderEverySeconds: 4 * 3600,
  maxDurationSeconds: 4 * 3600,
  extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: false },
  notify: [{ platform: 'slack', channel: 'C04ACCESSLOG' }],
};

export const GCP_BILLING_VIEWER: EntitlementRules = {
  entitlementId: 'billing-viewer',
  title: 'GCP billing viewer',
  risk: 'low',
  systemId: 'gcp-finance',
  cloud: 'gcp',
  grant: { kind: 'gcp-iam-binding', role: 'roles/billing.viewer' },
  approvers: ['lena.fischer@example.com'],
  requiredApprovals: 1,
  admins: ['secops@example.com'],
  pendingTimeoutSeconds: 8 * 3600,
  reminderEverySeconds: 2 * 3600,
  maxDurationSeconds: 8 * 3600,
  extension: { allowed: false, maxTotalSeconds: 8 * 3600, requiresApproval: false },
  notify: [],
};

export interface RequestOptions {
  requestId: string;
  requester?: string;
  rules?: EntitlementRules;
  submittedAt: string;
  durationSeconds?: number;
}

export function pendingRequest(options: RequestOptions): RequestState {
  return initialState(
    {
      requestId: options.requestId,
      requester: options.requester ?? 'maya.chen@example.com',
      entitlementId: (options.rules ?? PROD_DB_READONLY).entitlementId,
      durationSeconds: options.durationSeconds ?? 3600,
      reason: 'Investigating slow checkout queries for INC-4821',
      ticket: 'INC-4821',
      submittedAt: options.submittedAt,
      origin: { platform: 'slack', userId: 'U04MAYACHEN', channel: 'D04MAYACHEN' },
    },
    options.rules ?? PROD_DB_READONLY,
    'needs-approval',
  );
}

/** Approved by the first approver and granted at `grantedAt`, as the workflow would leave it. */
export function activeRequest(options: RequestOptions & { grantedAt: string }): RequestState {
  const pending = pendingRequest(options);
  const decided = applyDecision(
    pending,
    { approver: pending.rules.approvers[0] as string, verdict: 'approve' },
    options.grantedAt,
  );
  if (decided.settled !== 'approved') throw new Error('fixture: one approval should settle the request');
  const approved = transition(decided.state, 'approved');
  const expiresAt = new Date(Date.parse(options.grantedAt) + pending.request.durationSeconds * 1000).toISOString();
  return {
    ...transition(approved, 'active'),
    grantedAt: options.grantedAt,
    expiresAt,
    access: { summary: 'Sign in through the AWS access portal', url: 'https://d-9067c1a2b3.awsapps.com/start' },
  };
}

export function leaseFor(state: RequestState, cloudKey: string): LeaseRecord {
  if (!state.grantedAt || !state.expiresAt) throw new Error('fixture: lease needs a granted request');
  return {
    leaseId: state.request.requestId,
    requestId: state.request.requestId,
    systemId: state.rules.systemId,
    cloudKey,
    principal: {
      kind: 'aws-identity-store-user',
      userId: '906735c2f1-8d1e4a7b-93c5-4f1e-b2a6-0c9d8e7f6a51',
      display: state.request.requester,
    },
    grant: state.rules.grant,
    grantedAt: state.grantedAt,
    expiresAt: state.expiresAt,
    status: 'active',
  };
}
