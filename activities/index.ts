import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, ErrorCode } from '../domain/errors';
import type { AuthorizationSystem, GrantSpec, Policy } from '../domain/policy/schema';
import type { CloudPrincipal, GrantReceipt, LeaseSpec, ObservedGrant, Presence } from '../domain/lease';
import type { Decision, RequestState } from '../domain/request';
import type { Notice } from '../domain/notice';
import type { CloudProvider } from './cloud/provider';
import { FanOutNotifier, type Notifier } from './chat/notifier';
import type { ActivityStore } from './store/port';
import type { AuditEntry } from './store/types';
import { createInventoryActivities, type InventoryActivityDeps } from './inventory';
import { createFindingsActivities, type FindingsActivityDeps } from './findings';
import { createRightSizeActivities, type RightSizeDeps } from './findings/right-size';
import { createCleanupActivities, type CleanupActivityDeps } from './cleanup';
import { createCleanupWatchActivities, type CleanupWatchDeps } from './cleanup/denials';
import { createDigestActivities, type DigestActivityDeps } from './digest';
import { createAnomalyActivities, type AnomalyActivityDeps } from './anomaly';
import { createAlertActivities, raiseAlerts, type AlertActivityDeps } from './alert';
import { AlertingNotifier } from './chat/alerting-notifier';
import type { AlertOccurrence } from '../domain/alert/model';
import { NO_METRICS, type AccessMetrics } from './metrics';
import { awsErrorCode } from './cloud/aws/errors';
export type { DigestOutcome } from './digest';

export interface ActivityDeps {
  store: ActivityStore;
  clouds: Partial<Record<AuthorizationSystem['cloud'], CloudProvider>>;
  notifier: Notifier;
  /** The policy in force now (reloadable); cloud calls look their authorization system up here. */
  policy: () => Policy;
  now?: () => Date;
  /** The inventory store and the collectors, per cloud, the `collect` workflow pages through; none: no collection. */
  inventory?: Pick<InventoryActivityDeps, 'store' | 'collectors'>;
  /** The stores the findings read and write; none: snapshots are not assessed (the demo). */
  findings?: Pick<FindingsActivityDeps, 'inventory' | 'findings'>;
  /**
   * The cleanup's stores, cloud executors and chat, which the denied-call watch shares (it tells owners
   * through the same notifier); none: cleanup activities refuse and no watch follows collections (the demo).
   */
  cleanup?: Omit<CleanupActivityDeps & CleanupWatchDeps, 'policy' | 'store' | 'now'>;
  /** Where right-size at revoke finds what a permission set grants (the inventory); none: unknown. */
  permissionSets?: RightSizeDeps['inventory'];
  /** What digests read and where they post; none: digest activities refuse (the demo). */
  digest?: Omit<DigestActivityDeps, 'policy' | 'audit'>;
  /** Where rule alerts post and what the collection's alerts compare; none: alerts are posted nowhere (only counted). */
  alerts?: Omit<AlertActivityDeps, 'policy'>;
  /** Where anomaly scans read usage and store what they find; none: snapshots are not scanned (the demo). */
  anomalies?: AnomalyActivityDeps['store'];
  /** Where requests, decisions, grants, revocations and cloud errors are counted; none: nowhere. */
  metrics?: AccessMetrics;
}

/**
 * Every side effect of the workflows, built from the clients it needs. Each is idempotent by a
 * business key (request id, lease id, audit key), so Temporal may retry any of them.
 */
export function createActivities(deps: ActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? NO_METRICS;

  /** A call to a cloud: rule violations are final, and every failure is counted by its code. */
  async function inCloud<T>(
    system: AuthorizationSystem,
    operation: Parameters<AccessMetrics['cloudError']>[1],
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await domainErrorsAreFinal(call);
    } catch (error) {
      metrics.cloudError(system.cloud, operation, errorCode(error));
      throw error;
    }
  }

  function systemOf(systemId: string): { system: AuthorizationSystem; provider: CloudProvider } {
    const system = deps.policy().authorizationSystems.find((s) => s.id === systemId);
    if (!system) {
      // Retryable on purpose: an operator can restore the system in the policy and the lease proceeds.
      throw new Error(`authorization system "${systemId}" is not in the policy file any more`);
    }
    const provider = deps.clouds[system.cloud];
    if (!provider) throw nonRetryable(ErrorCode.CloudTargetUnknown, `No ${system.cloud} provider is configured.`);
    return { system, provider };
  }

  async function resolvePrincipal(systemId: string, person: string, grant: GrantSpec): Promise<CloudPrincipal> {
    const { system, provider } = systemOf(systemId);
    return inCloud(system, 'resolve', () => provider.resolvePrincipal(system, person, grant, deps.policy()));
  }

  async function applyGrant(lease: LeaseSpec): Promise<GrantReceipt> {
    const { system, provider } = systemOf(lease.systemId);
    const retry = !firstAttempt();
    const receipt = await inCloud(system, 'grant', () => provider.grant(system, lease, { retry }));
    metrics.grantApplied(system.cloud);
    await deps.store.saveLease({
      leaseId: lease.leaseId,
      requestId: lease.leaseId,
      systemId: lease.systemId,
      cloudKey: receipt.key,
      principal: lease.principal,
      grant: lease.grant,
      grantedAt: now().toISOString(),
      expiresAt: lease.expiresAt,
      status: 'active',
    });
    return receipt;
  }

  async function revokeGrant(lease: LeaseSpec): Promise<void> {
    const { system, provider } = systemOf(lease.systemId);
    await inCloud(system, 'revoke', () => provider.revoke(system, lease));
  }

  /** Asks the cloud; throws (and so retries) while the grant is still visible. */
  async function verifyRevoked(lease: LeaseSpec): Promise<Presence> {
    const { system, provider } = systemOf(lease.systemId);
    const presence = await inCloud(system, 'verify', () => provider.check(system, lease));
    if (presence.present) throw new Error(`grant still present after revocation: ${presence.detail}`);
    const seenGoneAt = now();
    // The clean-up after a failed grant verifies a lease that was never recorded: nothing to mark.
    await deps.store.markLeaseEnded(lease.leaseId, 'revoked', seenGoneAt.toISOString(), presence.detail, {
      ifRecorded: true,
    });
    const lateMs = seenGoneAt.getTime() - Date.parse(lease.expiresAt);
    metrics.revocationVerified(system.cloud, lateMs >= 0 ? lateMs / 1000 : undefined);
    return presence;
  }

  /** The request's snapshot and its audit row side by side: two tables, each write idempotent. */
  async function recordState(state: RequestState, audit?: AuditEntry): Promise<void> {
    await Promise.all([deps.store.saveRequest(state), audit && deps.store.appendAudit(audit)]);
    if (audit?.action === 'request.submitted') metrics.requestSubmitted(state.outcome);
  }

  const alerts: AlertActivityDeps = { posters: [], ...deps.alerts, policy: deps.policy };
  const raise = (occurrences: AlertOccurrence[]) => raiseAlerts(alerts, occurrences);
  const cleanup = deps.cleanup && { ...deps.cleanup, policy: deps.policy, store: deps.store, now, alerts: raise };
  // The access workflows' alerts ride on the notices they send (break-glass, high-risk grant, failures).
  const notifier = new FanOutNotifier([deps.notifier, new AlertingNotifier(raise)]);
  return {
    ...createInventoryActivities({ collectors: {}, ...deps.inventory, policy: deps.policy, now }),
    ...createFindingsActivities({ ...deps.findings, policy: deps.policy, now }),
    ...createCleanupActivities(cleanup),
    ...createCleanupWatchActivities(cleanup),
    ...createDigestActivities(
      deps.digest && {
        ...deps.digest,
        ...(deps.anomalies ? { anomalies: deps.anomalies } : {}),
        policy: deps.policy,
        audit: (entry) => deps.store.appendAudit(entry),
      },
    ),
    ...createAnomalyActivities({ ...(deps.anomalies ? { store: deps.anomalies } : {}), policy: deps.policy, now }),
    ...createAlertActivities(alerts),
    ...createRightSizeActivities({
      policy: deps.policy,
      collectors: deps.inventory?.collectors ?? {},
      ...(deps.permissionSets ? { inventory: deps.permissionSets } : {}),
    }),

    recordState,

    /**
     * A step recorded, then told, in one local activity (runs from PAIRED_STEPS_PATCH): the record must
     * land, so its failure retries the whole activity (both writes are idempotent by key); a notice that
     * fails or hangs is handed back by its index, for the workflow to retry on the notices' own profile.
     * The worker's clock at the end lets the workflow size a timer that follows (see readClock).
     */
    async recordAndNotify(
      state: RequestState,
      audit: AuditEntry,
      notices: StepNotice[],
    ): Promise<{ undelivered: number[]; clockMs: number }> {
      await recordState(state, audit);
      const undelivered: number[] = [];
      for (const [index, notice] of notices.entries()) {
        try {
          await withDeadline(notifier.notify({ ...notice, state: notice.state ?? state }), NOTICE_ATTEMPT_MS);
        } catch {
          undelivered.push(index);
        }
      }
      return { undelivered, clockMs: now().getTime() };
    },

    /**
     * The decision, and the settlement it caused when it settled the request: one activity, audit rows
     * in that order and in one turn on the chain, so the audit log can never show a request approved
     * before the approval that did it.
     */
    async recordDecision(state: RequestState, decision: Decision, settlement?: AuditEntry): Promise<void> {
      const counted: AuditEntry = {
        actor: decision.approver,
        action: decision.verdict === 'approve' ? 'approval.approved' : 'approval.denied',
        requestId: state.request.requestId,
        detail: { stage: decision.stage, ...(decision.reason ? { reason: decision.reason } : {}) },
        key: `decision:${state.request.requestId}:${decision.stage}:${decision.approver}`,
      };
      await Promise.all([
        deps.store.recordDecision(state.request.requestId, decision).then(() => deps.store.saveRequest(state)),
        deps.store.appendAudits(settlement ? [counted, settlement] : [counted]),
      ]);
      const waitMs = Date.parse(decision.at) - Date.parse(state.request.submittedAt);
      metrics.decisionRecorded(
        decision.verdict,
        settlement && Number.isFinite(waitMs) ? Math.max(0, waitMs) / 1000 : undefined,
      );
    },

    /** Chat and the alert the notice raises, side by side; either failing retries both (each is idempotent). */
    async notify(notice: Notice): Promise<void> {
      await notifier.notify(notice);
    },

    resolvePrincipal,

    /** Kept for workflows started before grantLease: their histories call these two in turn. */
    applyGrant,

    /**
     * Who gets the grant and the grant itself in one activity: the approver's click waits for one
     * round trip, and a kind whose principal the policy names resolves it without another task.
     */
    async grantLease(order: LeaseOrder): Promise<{ principal: CloudPrincipal; receipt: GrantReceipt }> {
      const principal = await resolvePrincipal(order.systemId, order.requester, order.grant);
      const { requester: _requester, ...lease } = order;
      const receipt = await applyGrant({ ...lease, principal });
      return { principal, receipt };
    },

    async extendGrant(lease: LeaseSpec): Promise<void> {
      const { system, provider } = systemOf(lease.systemId);
      await inCloud(system, 'extend', () => provider.extend(system, lease));
      const record = await deps.store.getLease(lease.leaseId);
      if (record) await deps.store.saveLease({ ...record, expiresAt: lease.expiresAt });
    },

    /** Kept for workflows started before revokeLease: their histories call these two in turn. */
    revokeGrant,
    verifyRevoked,

    /**
     * Revoke, then prove it from the cloud, in one activity: a retry starts again from the revoke, which
     * is idempotent, so a grant put back meanwhile is taken away again rather than reported gone.
     */
    async revokeLease(lease: LeaseSpec): Promise<Presence> {
      await revokeGrant(lease);
      return verifyRevoked(lease);
    },

    async listSystems(): Promise<string[]> {
      return deps.policy().authorizationSystems.map((s) => s.id);
    },

    /** What exists in the cloud and how it matches our leases, for the reconciliation sweep. */
    async observeSystem(systemId: string): Promise<ReconciliationFinding[]> {
      const { system, provider } = systemOf(systemId);
      const observed = await provider.listObserved(system, deps.policy());
      const findings: ReconciliationFinding[] = [];
      for (const grant of observed) {
        if (grant.madeByLeast === false) {
          findings.push({ grant, madeByLeast: false });
          continue;
        }
        const leases = grant.leaseId
          ? [await deps.store.getLease(grant.leaseId)].filter((l) => l !== undefined)
          : await deps.store.leasesByCloudKey(grant.key);
        if (leases.some((l) => l.status === 'active')) continue;
        findings.push({ grant, madeByLeast: grant.madeByLeast ?? (leases.length > 0 || grant.leaseId !== undefined) });
      }
      return findings;
    },

    async removeOrphan(finding: ReconciliationFinding): Promise<string> {
      const { system, provider } = systemOf(finding.grant.systemId);
      const lease = finding.grant.lease;
      if (!lease) throw nonRetryable(ErrorCode.CloudTargetUnknown, `cannot rebuild ${finding.grant.key} to remove it`);
      await domainErrorsAreFinal(() => provider.revoke(system, lease));
      const presence = await provider.check(system, lease);
      if (presence.present) throw new Error(`orphan still present: ${presence.detail}`);
      if (finding.grant.leaseId) {
        const record = await deps.store.getLease(finding.grant.leaseId);
        if (record) await deps.store.markLeaseEnded(record.leaseId, 'revoked', now().toISOString(), presence.detail);
      }
      return presence.detail;
    },

    /** The worker's clock, for a workflow whose own time stands still while its task runs local activities. */
    async readClock(): Promise<number> {
      return now().getTime();
    },

    async audit(entry: AuditEntry): Promise<void> {
      await deps.store.appendAudit(entry);
    },
  };
}

export type LeastActivities = ReturnType<typeof createActivities>;

/** A notice sent with the step it follows; without a state it shows the state just recorded. */
export type StepNotice = Omit<Notice, 'state'> & { state?: RequestState };

/** One try at a notice inside a recorded step; one that takes longer is retried on the notices' own profile. */
const NOTICE_ATTEMPT_MS = 10_000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** A lease as the workflow knows it before the grant: the person, not yet their cloud principal. */
export interface LeaseOrder extends Omit<LeaseSpec, 'principal'> {
  requester: string;
}

export interface ReconciliationFinding {
  grant: ObservedGrant;
  /** true: Least made it and no live lease covers it (revoke). false: made outside Least (report). */
  madeByLeast: boolean;
}

function nonRetryable(code: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/** Rule violations from the clouds (unknown principal, denied) will not fix themselves: do not retry. */
/**
 * Whether this is an activity's first attempt. A local activity's count starts again when a workflow
 * task is retried elsewhere (a worker died mid-step), so a "first" attempt may follow one that landed:
 * writes made on a first attempt must be idempotent anyway, and are. Outside an activity (tests calling
 * the function directly): not known to be first.
 */
function firstAttempt(): boolean {
  try {
    return Context.current().info.attempt === 1;
  } catch {
    return false;
  }
}

/** The code a failed cloud call is counted under: Least's own, the cloud's, or the error's name. */
function errorCode(error: unknown): string {
  if (error instanceof ApplicationFailure && error.type) return error.type;
  if (error instanceof DomainError) return error.code;
  return awsErrorCode(error) ?? (error instanceof Error ? error.name : 'unknown');
}

async function domainErrorsAreFinal<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DomainError) throw nonRetryable(error.code, error.message);
    throw error;
  }
}
