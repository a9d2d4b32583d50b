import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { LeaseOrder, StepNotice } from '../activities';
import type { NoticeKind } from '../domain/notice';
import type { GrantReceipt, LeaseSpec } from '../domain/lease';
import { settlement, type RequestState } from '../domain/request';
import { ErrorCode } from '../domain/errors';
import { addSeconds } from '../domain/duration';
import {
  applyGrant,
  grantLease,
  local,
  resolvePrincipal,
  revokeGrant,
  rightSizeDelay,
  rightSizeLease,
  verifyRevoked,
} from './activity-profiles';
import { decideUpdate, endUpdate, extendUpdate, reviewUpdate, statusQuery, type AccessRequestInput } from './messages';
import { RequestRun } from './request-run';

/** How long before expiry the holder is warned, for leases long enough that a warning helps. */
export const EXPIRY_WARNING_SECONDS = 10 * 60;
/**
 * The workflow task timeout requests are started with. A task that was running on a worker that died is
 * handed to another only when this passes, so it bounds how late a revocation falls after a worker crash
 * (the SDK's 10 s made it ~8 s after a replacement was up). Local activities longer than this are fine: the
 * worker heartbeats the task at 80% of it.
 */
export const REQUEST_TASK_TIMEOUT = '5 seconds';
/** The most the expiry timer is shortened by the worker's clock: a workflow task's timeout, with room. */
const MAX_CLOCK_LAG_MS = 10_000;
/** After a break-glass grant ends, how long the workflow waits for its review before closing. */
export const REVIEW_WINDOW_SECONDS = 14 * 86400;

/**
 * Runs started from this patch on record a deciding click once (with the settlement it causes),
 * resolve and grant in one activity, and tell people "approved" after the grant. Runs started
 * before it keep their old sequence of commands until they end.
 */
export const APPROVE_PATH_PATCH = 'approve-path-records-once';

/** Runs started from this patch tell people, after revoke, how much of the grant was used. */
export const RIGHT_SIZE_PATCH = 'right-size-at-revoke';

/**
 * Runs started from this patch keep their bookkeeping (records, notices) and cloud steps (grant,
 * revoke-and-verify in one) in local activities, and write the status attribute only when it changes:
 * approve → grant needs no round trip through the server, and a lifecycle takes about half the
 * workflow tasks and history events. It implies APPROVE_PATH_PATCH and RIGHT_SIZE_PATCH, which such
 * runs never record. Runs started before it replay their old commands.
 */
export const LEAN_LIFECYCLE_PATCH = 'lean-lifecycle';

/**
 * A record and the notices that follow it run as one local activity, and the last one before the expiry
 * timer brings the worker's clock with it: about half the local activities of a lean run, each of which
 * costs the worker an activation. Implies LEAN_LIFECYCLE_PATCH (and so the two before it).
 */
export const PAIRED_STEPS_PATCH = 'paired-steps';

/**
 * One access request, from ask to proven revocation. Workflow id = request id, so a duplicate
 * submit finds this run.
 */
export async function accessRequest(input: AccessRequestInput): Promise<RequestState> {
  // The newest shape implies the two before it, so a new run records one patch marker, not three.
  const paired = patched(PAIRED_STEPS_PATCH);
  const lean = paired || patched(LEAN_LIFECYCLE_PATCH);
  const run = new RequestRun(input, lean || patched(APPROVE_PATH_PATCH), lean, paired);
  setHandler(statusQuery, () => run.state);
  setHandler(decideUpdate, (decision) => run.decide(decision), { validator: (d) => run.validateDecision(d) });
  setHandler(extendUpdate, (extension) => run.extend(extension), { validator: (e) => run.validateExtension(e) });
  setHandler(endUpdate, (end) => run.end(end), { validator: (e) => run.validateEnd(e) });
  setHandler(reviewUpdate, (review) => run.review(review), { validator: (r) => run.validateReview(r) });

  if ((await decide(run)) && (await grant(run))) {
    await hold(run);
    await revoke(run);
    if (run.lean || patched(RIGHT_SIZE_PATCH)) await rightSize(run);
    await review(run);
  }
  await condition(allHandlersFinished);
  return run.state;
}

/** 1. Record the request and get it decided; false when it ends here (denied, expired, cancelled). */
async function decide(run: RequestRun): Promise<boolean> {
  const { request, outcome } = run.state;
  const submitted = { entitlement: request.entitlementId, durationSeconds: request.durationSeconds, outcome };
  if (outcome === 'needs-approval') {
    await run.recordAndNotify('request.submitted', submitted, [{ kind: 'approval-needed' }], request.requester);
    if ((await awaitDecision(run)) !== 'approved') return false;
  } else {
    await run.record('request.submitted', submitted, request.requester);
    run.move('approved');
    const actor = outcome === 'break-glass' ? 'policy:break-glass' : 'policy:auto-approve';
    // No click waits here, and a break-glass grant must be loud before it is live: tell people now.
    const notice = outcome === 'break-glass' ? 'break-glass' : 'approved';
    await run.recordAndNotify('request.approved', { by: actor }, [{ kind: notice }], actor);
  }
  if (run.endRequest) {
    await run.sendDecisionNotice();
    await cancel(run);
    return false;
  }
  return true;
}

async function awaitDecision(run: RequestRun): Promise<'approved' | 'denied' | 'expired' | 'cancelled'> {
  // Workflow time, not the submitter's clock: deadlines must hold whatever clock the client had.
  const deadline = run.startedAt + run.state.rules.pendingTimeoutSeconds * 1000;
  for (;;) {
    if (run.state.status !== 'pending') {
      if (!run.recordsOnce) break;
      return settledByDecision(run);
    }
    const settled = run.recordsOnce ? undefined : settlement(run.state, 'request');
    if (settled) {
      run.move(settled);
      await run.recordAndNotify(`request.${settled}` as const, { decisions: run.state.decisions.length }, [
        { kind: settled },
      ]);
      return settled;
    }
    if (run.endRequest) {
      await cancel(run);
      return 'cancelled';
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      run.move('expired', { endedAt: run.nowIso(), endReason: 'no decision in time' });
      const pendingTimeoutSeconds = run.state.rules.pendingTimeoutSeconds;
      await run.recordAndNotify('request.expired', { pendingTimeoutSeconds }, [{ kind: 'expired' }]);
      return 'expired';
    }
    const interrupted = await run.nap(Math.min(remaining, run.state.rules.reminderEverySeconds * 1000));
    const stillPending = !run.recordsOnce || run.state.status === 'pending';
    if (!interrupted && deadline - Date.now() > 0 && stillPending) await run.notify('reminder');
  }
  return run.state.status === 'approved' ? 'approved' : 'denied';
}

/**
 * The click that settled the request moved it and is recording both rows; act only once they are in
 * PostgreSQL, so the audit log and the notices never run ahead of the decision.
 */
async function settledByDecision(run: RequestRun): Promise<'approved' | 'denied'> {
  await condition(() => run.recordedStatus === run.state.status);
  if (run.state.status === 'approved') {
    run.decisionNotice = 'approved';
    return 'approved';
  }
  await run.notify('denied');
  return 'denied';
}

async function cancel(run: RequestRun): Promise<void> {
  const end = run.endRequest!;
  run.move('cancelled', { endedAt: run.nowIso(), endedBy: end.by, endReason: end.reason });
  await run.recordAndNotify('request.cancelled', {}, [{ kind: 'cancelled' }], end.by);
}

/** 2. Grant, with the cloud's own expiry where it has one; false when the grant failed. */
async function grant(run: RequestRun): Promise<boolean> {
  if (!run.recordsOnce) return grantAsBefore(run);
  const { request, rules } = run.state;
  const expiresAt = addSeconds(run.nowIso(), request.durationSeconds);
  const order: LeaseOrder = {
    leaseId: request.requestId,
    systemId: rules.systemId,
    grant: rules.grant,
    requester: request.requester,
    expiresAt,
  };
  let granted: Awaited<ReturnType<typeof grantLease>>;
  try {
    granted = await (run.lean ? local.grantLease : grantLease)(order);
  } catch (error) {
    await fail(run, error);
    await takeBackAfterFailedGrant(run, order);
    return false;
  }
  const { requester: _requester, ...lease } = order;
  run.lease = { ...lease, principal: granted.principal };
  const { receipt } = granted;
  // "approved" still reaches people before the request shows active: paired runs send it in the same step
  if (run.paired) {
    await markActive(run, expiresAt, receipt, run.takeDecisionNotice());
  } else {
    await run.sendDecisionNotice();
    await markActive(run, expiresAt, receipt);
  }
  return true;
}

/** Runs started before APPROVE_PATH_PATCH: principal and grant as two activities. */
async function grantAsBefore(run: RequestRun): Promise<boolean> {
  const { request, rules } = run.state;
  try {
    const principal = await resolvePrincipal(rules.systemId, request.requester, rules.grant);
    const expiresAt = addSeconds(run.nowIso(), request.durationSeconds);
    run.lease = { leaseId: request.requestId, systemId: rules.systemId, grant: rules.grant, principal, expiresAt };
    const receipt = await applyGrant(run.lease);
    await markActive(run, expiresAt, receipt);
    return true;
  } catch (error) {
    await fail(run, error);
    // A grant attempt that timed out may still have landed: take it back to leave nothing partial.
    if (run.lease) await revokeUntilGone(run, run.lease);
    return false;
  }
}

async function markActive(
  run: RequestRun,
  expiresAt: string,
  receipt: GrantReceipt,
  approval?: NoticeKind,
): Promise<void> {
  const approved = run.state;
  run.move('active', { grantedAt: run.nowIso(), expiresAt, access: receipt.access });
  const applied = { cloudKey: receipt.key, created: receipt.created, expiresAt, detail: receipt.detail };
  const notices: StepNotice[] = [{ kind: 'granted' }];
  if (approval) notices.unshift({ kind: approval, state: approved });
  await run.recordAndNotify('grant.applied', applied, notices);
}

async function fail(run: RequestRun, error: unknown): Promise<void> {
  const failure = describeFailure(error);
  run.move('failed', { failure, endedAt: run.nowIso() });
  const approval = run.takeDecisionNotice();
  const notices: StepNotice[] = [{ kind: 'failed', detail: failure.message }];
  if (approval) notices.unshift({ kind: approval });
  await run.recordAndNotify('grant.failed', failure, notices);
}

/** A grant attempt that timed out may still have landed: take it back to leave nothing partial. */
async function takeBackAfterFailedGrant(run: RequestRun, order: LeaseOrder): Promise<void> {
  let lease: LeaseSpec;
  try {
    const principal = await (run.lean ? local.resolvePrincipal : resolvePrincipal)(
      order.systemId,
      order.requester,
      order.grant,
    );
    const { requester: _requester, ...rest } = order;
    lease = { ...rest, principal };
  } catch {
    return; // nobody to grant to, so nothing can have been granted
  }
  await revokeUntilGone(run, lease);
}

/** 3. Hold until expiry, an early end, or an extension moves the deadline. */
async function hold(run: RequestRun): Promise<void> {
  let warned = run.state.request.durationSeconds <= EXPIRY_WARNING_SECONDS + 300;
  // Workflow time stands still while a workflow task runs its local activities, and the server starts a
  // timer only when the task completes: a timer sized from workflow time after the grant's chain of steps
  // would fire that much late. Lean runs read the clock once, as the last step before the timer; a worker
  // clock far ahead of the server's could only end the lease early, and never by more than the cap.
  // Paired runs have the clock from the step just before (unless a notice had to be sent again after it).
  const clockMs = run.stepClockMs ?? (run.lean ? await local.readClock() : Date.now());
  let lagMs = Math.min(MAX_CLOCK_LAG_MS, Math.max(0, clockMs - Date.now()));
  for (;;) {
    const remainingMs = Date.parse(run.state.expiresAt!) - Date.now() - lagMs;
    lagMs = 0; // later turns start in a fresh workflow task
    if (remainingMs <= 0 || run.endRequest) break;
    const warnInMs = remainingMs - EXPIRY_WARNING_SECONDS * 1000;
    const waitMs = !warned && warnInMs > 0 ? warnInMs : remainingMs;
    const interrupted = await run.nap(waitMs, () => run.endRequest !== undefined);
    if (!interrupted && !warned && warnInMs > 0) {
      warned = true;
      await run.notify('expiring-soon');
    } else if (interrupted && Date.parse(run.state.expiresAt!) - Date.now() > EXPIRY_WARNING_SECONDS * 1000) {
      warned = false; // an extension earns a fresh warning
    }
  }
}

/** 4. Revoke, then prove it from the cloud. */
async function revoke(run: RequestRun): Promise<void> {
  const receipt = await revokeUntilGone(run, run.lease!);
  const ended = run.endRequest;
  run.move('revoked', {
    endedAt: run.nowIso(),
    endedBy: ended?.by ?? 'expiry',
    endReason: ended?.reason ?? (ended ? 'ended early' : 'expired'),
    revocationReceipt: receipt,
    pendingExtension: undefined,
  });
  const revoked = { receipt, endedBy: run.state.endedBy };
  await run.recordAndNotify('grant.revoked', revoked, [{ kind: 'revoked' }], ended?.by ?? 'workflow');
}

/**
 * 4b. How much of the grant was used, read from the cloud's own logs once they have arrived (CloudTrail
 * delivers within about 15 minutes: the activity says how long to wait), told to the requester and the
 * approvers. Never holds up anything else, and never fails the request.
 */
async function rightSize(run: RequestRun): Promise<void> {
  const { request, rules, grantedAt, endedAt } = run.state;
  if (!grantedAt || !endedAt || !run.lease) return;
  const lease = {
    leaseId: request.requestId,
    systemId: rules.systemId,
    entitlementId: request.entitlementId,
    requester: request.requester,
    grant: rules.grant,
    principal: run.lease.principal,
    window: { from: grantedAt, to: endedAt },
  };
  try {
    // the logs' delivery delay counts from the lease's end, in workflow time
    const readyAt = Date.parse(endedAt) + (await (run.lean ? local.rightSizeDelay : rightSizeDelay)(lease)) * 1000;
    if (readyAt > Date.now()) await sleep(readyAt - Date.now());
    await run.notify('right-sized', undefined, { rightSize: await rightSizeLease(lease) });
  } catch (error) {
    log.warn('right-size not told', { requestId: request.requestId, error: String(error) });
  }
}

/** 5. A break-glass grant waits for its after-the-fact review, and records when none came. */
async function review(run: RequestRun): Promise<void> {
  if (!run.state.reviewRequired || run.state.reviewedBy) return;
  await run.notify('review-needed');
  await condition(() => run.state.reviewedBy !== undefined, REVIEW_WINDOW_SECONDS * 1000);
  if (!run.state.reviewedBy) await run.record('breakglass.review_missed', {});
}

async function revokeUntilGone(run: RequestRun, target: LeaseSpec): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (run.lean) return (await local.revokeLease(target)).detail;
      await revokeGrant(target);
      const presence = await verifyRevoked(target);
      return presence.detail;
    } catch (error) {
      const failure = describeFailure(error);
      const notices: StepNotice[] =
        attempt === 1 ? [{ kind: 'failed', detail: `Revocation is retrying: ${failure.message}` }] : [];
      await run.recordAndNotify('grant.revoke_retrying', { attempt, ...failure }, notices);
      await sleep('10 minutes');
    }
  }
}

function describeFailure(error: unknown): { code: string; message: string } {
  let cause: unknown = error;
  if (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? ErrorCode.CloudError, message: cause.message };
  return { code: ErrorCode.CloudError, message: cause instanceof Error ? cause.message : String(cause) };
}
