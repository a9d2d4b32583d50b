import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AccessMetrics } from '../activities/metrics';

/**
 * The worker's Prometheus series: what the access activities report as effects land (requests,
 * decisions, grants, revocations and how late they were, cloud errors), in a registry of Least's own
 * so two workers in one process (tests) never share counters. Every label comes from a bounded set:
 * clouds, verdicts and outcomes are fixed by the domain, and cloud error codes are capped.
 */
export interface WorkerMetrics extends AccessMetrics {
  registry: Registry;
  /** The `/metrics` page in the Prometheus text format. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Distinct cloud error codes kept as their own label value; later new codes count as `other`. */
export const MAX_ERROR_CODES = 50;
export const OTHER_CODE = 'other';
const MAX_CODE_LENGTH = 64;

/** Fine below a second, where a durable timer should land; coarse up to the minute a cron-based revoker gives. */
export const LATENESS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2, 5, 10, 30, 60];
/** From an auto-approval's instant to a pending request's multi-hour timeout. */
export const APPROVAL_WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 43_200, 86_400];

export function createWorkerMetrics(options: { processMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  // Off where the bot's registry already collects them for the same process (one process, one set).
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'least_requests_total',
    help: "Access requests recorded by their workflow, by the policy's outcome (needs-approval, auto-approved, break-glass).",
    labelNames: ['outcome'] as const,
    registers,
  });
  const decisions = new Counter({
    name: 'least_decisions_total',
    help: "Approvers' decisions recorded, by verdict.",
    labelNames: ['verdict'] as const,
    registers,
  });
  const approvalWait = new Histogram({
    name: 'least_approval_wait_seconds',
    help: 'From a request being submitted to the decision that settled it.',
    buckets: APPROVAL_WAIT_BUCKETS,
    registers,
  });
  const grants = new Counter({
    name: 'least_grants_total',
    help: 'Grants put in place in a cloud.',
    labelNames: ['cloud'] as const,
    registers,
  });
  const revocations = new Counter({
    name: 'least_revocations_total',
    help: 'Grants verified gone from a cloud (at expiry or ended early).',
    labelNames: ['cloud'] as const,
    registers,
  });
  const lateness = new Histogram({
    name: 'least_revocation_lateness_seconds',
    help: "From a lease's expiry to its grant being verified gone from the cloud (leases that ended by expiry).",
    labelNames: ['cloud'] as const,
    buckets: LATENESS_BUCKETS,
    registers,
  });
  const cloudErrors = new Counter({
    name: 'least_cloud_errors_total',
    help: `Failed cloud calls, by cloud, operation and error code (after ${MAX_ERROR_CODES} distinct codes, new ones count as "${OTHER_CODE}").`,
    labelNames: ['cloud', 'operation', 'code'] as const,
    registers,
  });
  const codes = new Set<string>();
  const boundedCode = (raw: string): string => {
    // A code is a short identifier; anything longer is cut rather than trusted as one.
    const code = raw.slice(0, MAX_CODE_LENGTH) || 'unknown';
    if (codes.has(code)) return code;
    if (codes.size >= MAX_ERROR_CODES) return OTHER_CODE;
    codes.add(code);
    return code;
  };
  // A clock step or a bad input must not put a negative number into a histogram.
  const seconds = (value: number | undefined): number | undefined =>
    value === undefined || !Number.isFinite(value) ? undefined : Math.max(0, value);

  return {
    registry,
    requestSubmitted(outcome) {
      requests.inc({ outcome });
    },
    decisionRecorded(verdict, waitSeconds) {
      decisions.inc({ verdict });
      const wait = seconds(waitSeconds);
      if (wait !== undefined) approvalWait.observe(wait);
    },
    grantApplied(cloud) {
      grants.inc({ cloud });
    },
    revocationVerified(cloud, latenessSeconds) {
      revocations.inc({ cloud });
      const late = seconds(latenessSeconds);
      if (late !== undefined) lateness.observe({ cloud }, late);
    },
    cloudError(cloud, operation, code) {
      cloudErrors.inc({ cloud, operation, code: boundedCode(code) });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
