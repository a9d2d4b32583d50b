import type { AuditAction } from '../../domain/audit';
import type { Decision, RequestState, RequestStatus } from '../../domain/request';
import type { CloudPrincipal } from '../../domain/lease';
import type { GrantSpec } from '../../domain/policy/schema';

/** Rows of the system of record, as the rest of the code sees them (times as ISO strings). */

export interface RequestRecord {
  requestId: string;
  requester: string;
  entitlementId: string;
  systemId: string;
  status: RequestStatus;
  submittedAt: string;
  updatedAt: string;
  expiresAt?: string;
  /** The workflow's last recorded snapshot. */
  state: RequestState;
}

export type LeaseStatus = 'active' | 'revoked' | 'failed';

export interface LeaseRecord {
  leaseId: string;
  requestId: string;
  systemId: string;
  /** Stable key of the cloud object (ObservedGrant.key). */
  cloudKey: string;
  principal: CloudPrincipal;
  grant: GrantSpec;
  grantedAt: string;
  expiresAt: string;
  status: LeaseStatus;
  revokedAt?: string;
  receipt?: string;
}

/** Where a chat message about a request lives, so later edits hit the same message. */
export interface MessageRef {
  requestId: string;
  platform: 'slack' | 'teams' | 'log';
  /** Who or where the message is for: a channel id, a user id, or `approver:<email>`. */
  recipient: string;
  /** What the message is: `approval-card`, `requester-thread`, … */
  purpose: string;
  channel: string;
  messageId: string;
}

export interface AuditEntry {
  /** Who did it: an e-mail, `system`, `workflow`, or `policy:auto-approve`. */
  actor: string;
  /** Dotted verb from the one declared set, e.g. `request.submitted`, `approval.refused`, `grant.applied`. */
  action: AuditAction;
  requestId?: string;
  detail: Record<string, unknown>;
  /** Business key that makes a retried append a no-op (e.g. `grant.applied:<requestId>`). */
  key?: string;
}

export interface AuditRow extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export interface AuditProblem {
  seq: number;
  problem: string;
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  problems: AuditProblem[];
}

export type { Decision };
