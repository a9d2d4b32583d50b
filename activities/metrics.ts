import type { AuthorizationSystem } from '../domain/policy/schema';

type Cloud = AuthorizationSystem['cloud'];

/**
 * What the access activities tell an operator's metrics, as they happen. The activities call these
 * at most once per effect that landed (a retried activity may call again only for an effect that
 * happened again); the worker's Prometheus registry implements it (app/worker-metrics.ts), and
 * without one nothing is counted.
 */
export interface AccessMetrics {
  /** A request reached its workflow's first record: `outcome` is the policy's (needs-approval, auto-approve, break-glass). */
  requestSubmitted(outcome: string): void;
  /**
   * An approver's decision was recorded; `waitSeconds` is submit → the decision that settled the request
   * (absent for decisions that did not settle it).
   */
  decisionRecorded(verdict: 'approve' | 'deny', waitSeconds?: number): void;
  /** A grant is in place in the cloud. */
  grantApplied(cloud: Cloud): void;
  /**
   * A grant was seen gone from the cloud. `latenessSeconds`: how long after the lease's expiry it was
   * seen gone, when it ended by expiry (absent for an early end).
   */
  revocationVerified(cloud: Cloud, latenessSeconds?: number): void;
  /** A cloud call failed; `code` is the cloud's error code or Least's ErrorCode. */
  cloudError(cloud: Cloud, operation: 'grant' | 'revoke' | 'verify' | 'extend' | 'resolve', code: string): void;
}

/** Counts nothing: the default where no registry is wired (tests of other things, the CLI). */
export const NO_METRICS: AccessMetrics = {
  requestSubmitted() {},
  decisionRecorded() {},
  grantApplied() {},
  revocationVerified() {},
  cloudError() {},
};
