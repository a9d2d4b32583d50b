import { TypedSearchAttributes } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { newRequestId } from '../../../app/ids';
import { evaluateRequest } from '../../../domain/policy/evaluate';
import type { Policy } from '../../../domain/policy/schema';
import type { ApprovalOutcome } from '../../../domain/request';
import { accessRequest, REQUEST_TASK_TIMEOUT } from '../../../workflows/access-request';
import type { AccessRequestInput } from '../../../workflows/messages';
import { EntitlementAttribute, RequesterAttribute, StatusAttribute } from '../../../workflows/search-attributes';

export interface ShortLease {
  requester: string;
  entitlementId: string;
  /** The lease's length; any number of seconds (AccessClient refuses under a minute). */
  seconds: number;
  reason: string;
  /** Default: a new request id. */
  requestId?: string;
  /** Default `auto-approved` (what an autoApprove rule yields): the request goes straight to the grant. */
  outcome?: ApprovalOutcome;
}

/**
 * Starts an accessRequest workflow as AccessClient.submit would (policy-evaluated rules, the same start
 * options and search attributes), for any length of lease: tests and benches need leases of seconds.
 */
export async function startShortLease(
  temporal: Client,
  target: { taskQueue: string; policy: Policy },
  lease: ShortLease,
): Promise<string> {
  const evaluation = evaluateRequest(
    target.policy,
    {
      requester: lease.requester,
      entitlementId: lease.entitlementId,
      // the policy judges a length it allows; the workflow gets the real one
      durationSeconds: Math.max(60, Math.min(lease.seconds, 600)),
      reason: lease.reason,
    },
    [],
  );
  if (!evaluation.ok) throw new Error(`policy refused the lease: ${evaluation.code} ${evaluation.message}`);
  const requestId = lease.requestId ?? newRequestId();
  const input: AccessRequestInput = {
    request: {
      requestId,
      requester: lease.requester,
      entitlementId: lease.entitlementId,
      durationSeconds: lease.seconds,
      reason: lease.reason,
      submittedAt: new Date().toISOString(),
      origin: { platform: 'cli' },
    },
    rules: evaluation.rules,
    outcome: lease.outcome ?? 'auto-approved',
  };
  await temporal.workflow.start(accessRequest, {
    workflowId: requestId,
    taskQueue: target.taskQueue,
    args: [input],
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    workflowTaskTimeout: REQUEST_TASK_TIMEOUT,
    typedSearchAttributes: new TypedSearchAttributes([
      { key: RequesterAttribute, value: lease.requester },
      { key: EntitlementAttribute, value: lease.entitlementId },
      { key: StatusAttribute, value: 'pending' },
    ]),
  });
  return requestId;
}
