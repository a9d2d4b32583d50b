import { ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { AuditAction } from '../../../domain/audit';
import { INLINE_POLICY_PREFIX, inlinePolicyName } from '../../../domain/lease';
import type { Policy, PolicyInput } from '../../../domain/policy/schema';
import type { RequestState } from '../../../domain/request';
import { APP_ROLE } from '../fakes/aws-fixtures';
import { startShortLease as startLease } from '../generators/short-lease';

/**
 * Short leases for fault drills (chaos test, fault-proxy test, chaos bench), and what an auditor would
 * check afterwards: every lease revoked, nothing left in the cloud, every step written exactly once.
 */

/** The inline-policy entitlement of the stack policy: its grant is one PutRolePolicy named after the lease. */
export const CHAOS_ENTITLEMENT = 'payments-logs';

/** The stack policy with `people` mapped to the application role and, optionally, the AWS system's endpoint moved. */
export function chaosPolicy(people: string[], endpoint?: string): (input: PolicyInput) => void {
  return (input) => {
    const principals: NonNullable<PolicyInput['principals']> = { ...(input.principals ?? {}) };
    for (const person of people) principals[person] = { 'aws-prod': { awsIamRole: APP_ROLE } };
    input.principals = principals;
    if (endpoint)
      for (const system of input.authorizationSystems) if (system.cloud === 'aws') system.endpoint = endpoint;
  };
}

export function chaosPerson(run: string, index: number): string {
  return `chaos-${run}-${String(index).padStart(4, '0')}@example.com`;
}

/**
 * Starts an accessRequest workflow as AccessClient.submit would for an auto-approve rule, but for a
 * duration of seconds (the client refuses under a minute): the request goes straight to the grant.
 */
export async function startShortLease(
  temporal: Client,
  target: { taskQueue: string; policy: Policy },
  person: string,
  seconds: number,
  reason = 'fault drill',
): Promise<string> {
  return startLease(temporal, target, { requester: person, entitlementId: CHAOS_ENTITLEMENT, seconds, reason });
}

/** Lease inline policies the application role holds in moto now (read directly, never through a proxy). */
export async function leasePoliciesInCloud(iam: IAMClient): Promise<Set<string>> {
  const names = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE, Marker: marker }));
    for (const name of page.PolicyNames ?? []) if (name.startsWith(INLINE_POLICY_PREFIX)) names.add(name);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return names;
}

export interface LeaseLedger {
  /** Requests whose inline policy moto still holds: a grant nobody will take back. */
  orphaned: string[];
  /** Requests with more than one `grant.applied` audit row or lease row. */
  duplicated: string[];
  /** Requests with no `grant.revoked` audit row, or whose lease row is not revoked. */
  unrevoked: string[];
  /** Per audit action, how many of the requests have exactly one row of it. */
  exactlyOnce: Record<string, number>;
  /** Audit rows per request, summed. */
  auditRows: number;
  /** Evidence for the first few duplicated requests: each repeated action with the keys of its rows. */
  duplicateRows: { requestId: string; action: string; keys: string[] }[];
}

/** What the database and moto say about `requestIds`, as an auditor would check it after a drill. */
export async function leaseLedger(pool: pg.Pool, iam: IAMClient, requestIds: string[]): Promise<LeaseLedger> {
  const audit = await pool.query<{ request_id: string; action: string; n: string }>(
    'SELECT request_id, action, count(*) AS n FROM audit_log WHERE request_id = ANY($1) GROUP BY 1, 2',
    [requestIds],
  );
  const leases = await pool.query<{ request_id: string; n: string; revoked: string }>(
    `SELECT request_id, count(*) AS n, count(*) FILTER (WHERE status = 'revoked') AS revoked
       FROM leases WHERE request_id = ANY($1) GROUP BY 1`,
    [requestIds],
  );
  const rows = new Map<string, Map<string, number>>();
  let auditRows = 0;
  for (const row of audit.rows) {
    const byAction = rows.get(row.request_id) ?? new Map<string, number>();
    byAction.set(row.action, Number(row.n));
    rows.set(row.request_id, byAction);
    auditRows += Number(row.n);
  }
  const leaseRows = new Map(leases.rows.map((row) => [row.request_id, row]));
  const inCloud = await leasePoliciesInCloud(iam);
  const ledger: LeaseLedger = {
    orphaned: [],
    duplicated: [],
    unrevoked: [],
    exactlyOnce: {},
    auditRows,
    duplicateRows: [],
  };
  const watched = [AuditAction.GrantApplied, AuditAction.GrantRevoked];
  for (const action of watched) ledger.exactlyOnce[action] = 0;
  for (const id of requestIds) {
    const byAction = rows.get(id) ?? new Map<string, number>();
    for (const action of watched) if (byAction.get(action) === 1) ledger.exactlyOnce[action]!++;
    const lease = leaseRows.get(id);
    if ((byAction.get(AuditAction.GrantApplied) ?? 0) > 1 || Number(lease?.n ?? 0) > 1) ledger.duplicated.push(id);
    if (!byAction.get(AuditAction.GrantRevoked) || Number(lease?.revoked ?? 0) < 1) ledger.unrevoked.push(id);
    if (inCloud.has(inlinePolicyName(id))) ledger.orphaned.push(id);
  }
  const repeated = await pool.query<{ request_id: string; action: string; keys: string[] }>(
    `SELECT request_id, action, array_agg(coalesce(key, '') ORDER BY seq) AS keys
       FROM audit_log WHERE request_id = ANY($1) GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 10`,
    [ledger.duplicated],
  );
  ledger.duplicateRows = repeated.rows.map((row) => ({
    requestId: row.request_id,
    action: row.action,
    keys: row.keys,
  }));
  return ledger;
}

/**
 * The lease workflow's final state, or a failure naming the lease once `ms` pass: a lost revocation
 * must fail the drill, not hang it.
 */
export async function leaseEndWithin(temporal: Client, requestId: string, ms: number): Promise<RequestState> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      temporal.workflow.getHandle(requestId).result() as Promise<RequestState>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`lease ${requestId} did not end within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
