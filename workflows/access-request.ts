import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeastActivities } from '../activities';
import type { CloudPrincipal, LeaseSpec } from '../domain/lease';
import type { NoticeKind } from '../domain/notice';
import {
  applyDecision,
  checkDecision,
  checkEnd,
  checkExtension,
  checkReview,
  initialState,
  isTerminal,
  settlement,
  transition,
  type EndInput,
  type RequestState,
  type RequestStatus,
} from '../domain/request';
import type { Verdict } from '../domain/errors';
import { addSeconds, formatDuration } from '../domain/duration';
import { decideUpdate, endUpdate, extendUpdate, reviewUpdate, statusQuery, type AccessRequestInput } from './messages';
import { StatusAttribute } from './search-attributes';

const bookkeeping = proxyActivities<LeastActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

const cloud = proxyActivities<LeastActivities>({
  startToCloseTimeout: '3 minutes',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * Telling people matters, but never more than granting or revoking on time: a chat outage is retried
 * for a bounded window and then given up on (the audit log still has every step).
 */
const notices = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/** Revocation must not give up: it retries inside one attempt window, and the workflow loops on top. */
const revocation = proxyActivities<LeastActivities>({
  startToCloseTimeout: '3 minutes',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

/** How long before expiry the holder is warned, for leases long enough that a warning helps. */
export const EXPIRY_WARNING_SECONDS = 10 * 60;
/** After a break-glass grant ends, how long the workflow waits for its review before closing. */
export const REVIEW_WINDOW_SECONDS = 14 * 86400;

/**
 * One access request, from ask to proven revocation. Workflow id = request id, so a duplicate
 * submit finds this run. State lives here; PostgreSQL gets a snapshot after every change.
 */
export async function accessRequest(input: AccessRequestInput): Promise<RequestState> {
  const startedAt = Date.now();
  let state = initialState(input.request, input.rules, input.outcome);
  let endRequest: EndInput | undefined;
  const pendingEnd = (): EndInput | undefined => endRequest; // read through a call: handlers set it
  let recordedStatus: RequestStatus | undefined; // what PostgreSQL holds, so replies never run ahead of it
  let wake = 0; // bumped by handlers so waits in the main flow re-evaluate their deadlines
  const nowIso = (): string => new Date(Date.now()).toISOString();

  const notify = async (kind: NoticeKind, detail?: string): Promise<void> => {
    try {
      await notices.notify({ kind, state, ...(detail ? { detail } : {}) });
    } catch (error) {
      log.warn('notice not delivered', { kind, requestId: state.request.requestId, error: String(error) });
    }
  };
  const record = async (action: string, detail: Record<string, unknown> = {}, actor = 'workflow'): Promise<void> => {
    upsertSearchAttributes([{ key: StatusAttribute, value: state.status }]);
    const status = state.status;
    await bookkeeping.recordState(state, {
      actor,
      action,
      requestId: state.request.requestId,
      detail: { status: state.status, ...detail },
      key: `${action}:${state.request.requestId}:${workflowInfo().historyLength}`,
    });
    recordedStatus = status;
  };
  const move = (to: RequestStatus, patch: Partial<RequestState> = {}): void => {
    state = { ...transition(state, to), ...patch };
  };

  setHandler(statusQuery, () => state);

  setHandler(
    decideUpdate,
    async (decision) => {
      const stage = state.status === 'pending' ? 'request' : 'extension';
      const result = applyDecision(state, decision, nowIso());
      if (result.state === state) return state; // repeated click: already counted
      state = result.state;
      const recorded = state.decisions[state.decisions.length - 1]!;
      await bookkeeping.recordDecision(state, recorded);
      wake++; // only now, so the audit log shows the decision before its consequence
      if (stage === 'extension' && result.settled) await settleExtension(result.settled === 'approved');
      return state;
    },
    { validator: (decision) => enforce(checkDecision(state, decision)) },
  );

  setHandler(
    extendUpdate,
    async ({ by, additionalSeconds }) => {
      state = { ...state, pendingExtension: { requestedBy: by, additionalSeconds, requestedAt: nowIso() } };
      if (!state.rules.extension.requiresApproval) {
        await settleExtension(true);
        return state;
      }
      await record('extension.requested', { additionalSeconds }, by);
      await notify('extension-requested', formatDuration(additionalSeconds));
      return state;
    },
    { validator: (extension) => enforce(checkExtension(state, extension)) },
  );

  setHandler(
    endUpdate,
    async (end) => {
      endRequest ??= end;
      wake++;
      await condition(() => recordedStatus !== undefined && isTerminal(recordedStatus));
      return state;
    },
    { validator: (end) => enforce(checkEnd(state, end)) },
  );

  setHandler(
    reviewUpdate,
    async ({ reviewer, note }) => {
      state = { ...state, reviewedBy: reviewer.toLowerCase() };
      await record('breakglass.reviewed', note ? { note } : {}, reviewer.toLowerCase());
      return state;
    },
    { validator: ({ reviewer }) => enforce(checkReview(state, reviewer)) },
  );

  let lease: LeaseSpec | undefined;

  async function settleExtension(approved: boolean): Promise<void> {
    const pending = state.pendingExtension;
    if (!pending || !state.expiresAt) return;
    if (!approved) {
      state = { ...state, pendingExtension: undefined };
      await record('extension.denied', { additionalSeconds: pending.additionalSeconds });
      await notify('extension-denied', formatDuration(pending.additionalSeconds));
      return;
    }
    const expiresAt = addSeconds(state.expiresAt, pending.additionalSeconds);
    state = {
      ...state,
      expiresAt,
      extendedSeconds: state.extendedSeconds + pending.additionalSeconds,
      pendingExtension: undefined,
    };
    wake++;
    if (lease) {
      lease = { ...lease, expiresAt };
      try {
        await cloud.extendGrant(lease);
      } catch (error) {
        // Our timer already moved; the cloud's own expiry stays earlier, which only errs on the safe side.
        log.warn('cloud-native expiry not extended', { error: String(error) });
      }
    }
    await record('grant.extended', { additionalSeconds: pending.additionalSeconds, expiresAt }, pending.requestedBy);
    await notify('extended', formatDuration(pending.additionalSeconds));
  }

  // 1. Record the request and get it decided.
  await record(
    'request.submitted',
    {
      entitlement: state.request.entitlementId,
      durationSeconds: state.request.durationSeconds,
      outcome: state.outcome,
    },
    state.request.requester,
  );

  if (state.outcome === 'needs-approval') {
    await notify('approval-needed');
    const decided = await awaitDecision();
    if (decided !== 'approved') return finish();
  } else {
    move('approved');
    const actor = state.outcome === 'break-glass' ? 'policy:break-glass' : 'policy:auto-approve';
    await record('request.approved', { by: actor }, actor);
    await notify(state.outcome === 'break-glass' ? 'break-glass' : 'approved');
  }
  if (endRequest) {
    move('cancelled', { endedAt: nowIso(), endedBy: endRequest.by, endReason: endRequest.reason });
    await record('request.cancelled', {}, endRequest.by);
    await notify('cancelled');
    return finish();
  }

  // 2. Grant, with the cloud's own expiry where it has one.
  let principal: CloudPrincipal;
  try {
    principal = await cloud.resolvePrincipal(state.rules.systemId, state.request.requester, state.rules.grant);
    const expiresAt = addSeconds(nowIso(), state.request.durationSeconds);
    lease = {
      leaseId: state.request.requestId,
      systemId: state.rules.systemId,
      grant: state.rules.grant,
      principal,
      expiresAt,
    };
    const receipt = await cloud.applyGrant(lease);
    move('active', { grantedAt: nowIso(), expiresAt, access: receipt.access });
    await record('grant.applied', {
      cloudKey: receipt.key,
      created: receipt.created,
      expiresAt,
      detail: receipt.detail,
    });
    await notify('granted');
  } catch (error) {
    const failure = describeFailure(error);
    move('failed', { failure, endedAt: nowIso() });
    await record('grant.failed', failure);
    await notify('failed', failure.message);
    // A grant attempt that timed out may still have landed: take it back to leave nothing partial.
    if (lease) await revokeUntilGone(lease);
    return finish();
  }

  // 3. Hold until expiry, an early end, or an extension moves the deadline.
  let warned = state.request.durationSeconds <= EXPIRY_WARNING_SECONDS + 300;
  for (;;) {
    const seen = wake;
    const remainingMs = Date.parse(state.expiresAt!) - Date.now();
    if (remainingMs <= 0 || endRequest) break;
    const warnInMs = remainingMs - EXPIRY_WARNING_SECONDS * 1000;
    const waitMs = !warned && warnInMs > 0 ? warnInMs : remainingMs;
    const interrupted = await condition(() => wake !== seen || endRequest !== undefined, waitMs);
    if (!interrupted && !warned && warnInMs > 0) {
      warned = true;
      await notify('expiring-soon');
    } else if (interrupted && Date.parse(state.expiresAt!) - Date.now() > EXPIRY_WARNING_SECONDS * 1000) {
      warned = false; // an extension earns a fresh warning
    }
  }

  // 4. Revoke, then prove it from the cloud.
  const receipt = await revokeUntilGone(lease);
  const ended = pendingEnd();
  move('revoked', {
    endedAt: nowIso(),
    endedBy: ended?.by ?? 'expiry',
    endReason: ended?.reason ?? (ended ? 'ended early' : 'expired'),
    revocationReceipt: receipt,
    pendingExtension: undefined,
  });
  await record('grant.revoked', { receipt, endedBy: state.endedBy }, ended?.by ?? 'workflow');
  await notify('revoked');

  if (state.reviewRequired && !state.reviewedBy) {
    await notify('review-needed');
    await condition(() => state.reviewedBy !== undefined, REVIEW_WINDOW_SECONDS * 1000);
    if (!state.reviewedBy) await record('breakglass.review_missed', {});
  }
  return finish();

  async function awaitDecision(): Promise<'approved' | 'denied' | 'expired' | 'cancelled'> {
    // Workflow time, not the submitter's clock: deadlines must hold whatever clock the client had.
    const deadline = startedAt + state.rules.pendingTimeoutSeconds * 1000;
    for (;;) {
      if (state.status !== 'pending') break;
      const settled = settlement(state, 'request');
      if (settled) {
        move(settled);
        await record(`request.${settled}`, { decisions: state.decisions.length });
        await notify(settled);
        return settled;
      }
      if (endRequest) {
        move('cancelled', { endedAt: nowIso(), endedBy: endRequest.by, endReason: endRequest.reason });
        await record('request.cancelled', {}, endRequest.by);
        await notify('cancelled');
        return 'cancelled';
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        move('expired', { endedAt: nowIso(), endReason: 'no decision in time' });
        await record('request.expired', { pendingTimeoutSeconds: state.rules.pendingTimeoutSeconds });
        await notify('expired');
        return 'expired';
      }
      const seen = wake;
      const nudge = Math.min(remaining, state.rules.reminderEverySeconds * 1000);
      const interrupted = await condition(() => wake !== seen, nudge);
      if (!interrupted && deadline - Date.now() > 0) await notify('reminder');
    }
    return state.status === 'approved' ? 'approved' : 'denied';
  }

  async function revokeUntilGone(target: LeaseSpec): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        await revocation.revokeGrant(target);
        const presence = await revocation.verifyRevoked(target);
        return presence.detail;
      } catch (error) {
        const failure = describeFailure(error);
        await record('grant.revoke_retrying', { attempt, ...failure });
        if (attempt === 1) await notify('failed', `Revocation is retrying: ${failure.message}`);
        await sleep('10 minutes');
      }
    }
  }

  async function finish(): Promise<RequestState> {
    await condition(allHandlersFinished);
    return state;
  }
}

/** Validators throw to reject; the error's type is the stable code the front ends show. */
function enforce(verdict: Verdict): void {
  if (!verdict.ok)
    throw ApplicationFailure.create({ type: verdict.code, message: verdict.message, nonRetryable: true });
}

function describeFailure(error: unknown): { code: string; message: string } {
  let cause: unknown = error;
  if (cause instanceof ActivityFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'CLOUD.ERROR', message: cause.message };
  return { code: 'CLOUD.ERROR', message: cause instanceof Error ? cause.message : String(cause) };
}
