import type { PgStore } from '../../../activities/store/pg-store';
import type { CloudPrincipal } from '../../../domain/lease';
import { transition, type EntitlementRules, type RequestState } from '../../../domain/request';
import { activeRequest, leaseFor, pendingRequest } from '../../activities/store/fixtures';

/**
 * A just-in-time grant written to PostgreSQL as the access workflow writes it, step by step through the
 * real store: the request, its audit rows, the approver's decision, the lease, and (when it ended) the
 * revocation with its proof. For reports and exports, which read exactly these rows.
 */
export interface RecordedGrant {
  requestId: string;
  requester: string;
  rules: EntitlementRules;
  reason?: string;
  principal: CloudPrincipal;
  submittedAt: string;
  grantedAt: string;
  /** Revoked then, when given; still active otherwise. */
  endedAt?: string;
  receipt?: string;
}

export async function recordGrant(store: PgStore, grant: RecordedGrant): Promise<RequestState> {
  const { requestId } = grant;
  const options = {
    requestId,
    requester: grant.requester,
    rules: grant.rules,
    submittedAt: grant.submittedAt,
    grantedAt: grant.grantedAt,
  };
  const withReason = (state: RequestState): RequestState =>
    grant.reason === undefined ? state : { ...state, request: { ...state.request, reason: grant.reason } };
  const pending = withReason(pendingRequest(options));
  await store.saveRequest(pending);
  await store.appendAudit(
    {
      actor: grant.requester,
      action: 'request.submitted',
      requestId,
      detail: {},
      key: `request.submitted:${requestId}`,
    },
    grant.submittedAt,
  );
  const active = withReason(activeRequest(options));
  const decision = active.decisions[0]!;
  await store.recordDecision(requestId, decision);
  await store.appendAudit(
    { actor: decision.approver, action: 'approval.approved', requestId, detail: { stage: 'request' } },
    decision.at,
  );
  await store.appendAudit(
    { actor: 'workflow', action: 'request.approved', requestId, detail: { decisions: 1 } },
    decision.at,
  );
  const cloudKey = `report-test:${requestId}`;
  await store.appendAudit(
    { actor: 'workflow', action: 'grant.applied', requestId, detail: { cloudKey, expiresAt: active.expiresAt } },
    grant.grantedAt,
  );
  await store.saveRequest(active);
  await store.saveLease({ ...leaseFor(active, cloudKey), principal: grant.principal });
  if (grant.endedAt === undefined) return active;
  const receipt = grant.receipt ?? `verified gone: no assignment for ${requestId}`;
  const revoked: RequestState = {
    ...transition(active, 'revoked'),
    endedAt: grant.endedAt,
    endedBy: 'expiry',
    endReason: 'expired',
    revocationReceipt: receipt,
  };
  await store.markLeaseEnded(requestId, 'revoked', grant.endedAt, receipt);
  await store.appendAudit(
    { actor: 'workflow', action: 'grant.revoked', requestId, detail: { receipt, endedBy: 'expiry' } },
    grant.endedAt,
  );
  await store.saveRequest(revoked);
  return revoked;
}
