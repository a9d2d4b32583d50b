import type { GrantSpec } from './policy/schema';

/**
 * What a grant looks like from the cloud's side. A lease is the time-limited grant a request
 * becomes; its id is the request id, and every cloud object Least creates carries or derives from it.
 */

export type CloudPrincipal =
  | { kind: 'aws-identity-store-user'; userId: string; display: string }
  | { kind: 'aws-iam-role'; roleName: string }
  | { kind: 'aws-iam-user'; userName: string }
  | { kind: 'azure-object'; objectId: string; display: string }
  | { kind: 'gcp-member'; member: string };

export interface LeaseSpec {
  leaseId: string;
  systemId: string;
  grant: GrantSpec;
  principal: CloudPrincipal;
  /** ISO time at which the cloud itself should stop honouring the grant, where it can. */
  expiresAt: string;
}

export interface GrantReceipt {
  /** false when the grant was already in place (a retried activity). */
  created: boolean;
  /** Stable key of the cloud object (same as ObservedGrant.key), recorded with the lease. */
  key: string;
  /** One line for the audit log and the requester: what now exists in the cloud. */
  detail: string;
  /** How the requester uses the access. */
  access: { summary: string; url?: string };
}

export interface Presence {
  present: boolean;
  /** What the cloud returned, quoted in the revocation receipt. */
  detail: string;
}

/** A grant that exists in the cloud, as reconciliation sees it. */
export interface ObservedGrant {
  systemId: string;
  /** Present when the object is one Least made (the lease id is in its name or recorded key). */
  leaseId?: string;
  /** Stable key of the cloud object, e.g. `identity-center:<account>:<permissionSet>:<principalId>`. */
  key: string;
  principal: CloudPrincipal;
  description: string;
  /** Enough to remove it again. */
  lease?: LeaseSpec;
  /**
   * Set where the cloud object itself (or Least's claim on it) says who made it; otherwise Least's
   * lease records decide.
   */
  madeByLeast?: boolean;
}

/** A stable name for the cloud object behind a lease, for idempotency and reconciliation. */
export function inlinePolicyName(leaseId: string): string {
  return `least-${leaseId}`;
}

export const INLINE_POLICY_PREFIX = 'least-';
