import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type Verdict } from '../../domain/errors';
import {
  applyDecision,
  approvalsSoFar,
  awaitsDecisionFrom,
  canTransition,
  checkDecision,
  checkEnd,
  checkExtension,
  checkReview,
  eligibleApprovers,
  initialState,
  isBreakGlass,
  isTerminal,
  openStage,
  RequestStatus,
  transition,
  type AccessRequest,
  type ApprovalOutcome,
  type EntitlementRules,
  type RequestState,
} from '../../domain/request';

const REQUESTER = 'dev@example.com';
const LEAD_A = 'lead-a@example.com';
const LEAD_B = 'lead-b@example.com';
const ADMIN = 'admin@example.com';
const STRANGER = 'stranger@example.com';
const AT = '2024-05-01T09:00:00.000Z';

function rules(overrides: Partial<EntitlementRules> = {}): EntitlementRules {
  return {
    entitlementId: 'aws-prod-admin',
    title: 'Production admin',
    risk: 'high',
    systemId: 'aws-prod',
    cloud: 'aws',
    grant: { kind: 'aws-identity-center', permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1' },
    approvers: [LEAD_A, LEAD_B],
    requiredApprovals: 1,
    admins: [ADMIN],
    pendingTimeoutSeconds: 86400,
    reminderEverySeconds: 14400,
    maxDurationSeconds: 4 * 3600,
    extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: false },
    notify: [],
    ...overrides,
  };
}

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    requestId: 'req-1',
    requester: REQUESTER,
    entitlementId: 'aws-prod-admin',
    durationSeconds: 2 * 3600,
    reason: 'rotate the database credentials',
    submittedAt: AT,
    origin: { platform: 'slack', userId: 'U123' },
    ...overrides,
  };
}

function pending(
  ruleOverrides: Partial<EntitlementRules> = {},
  outcome: ApprovalOutcome = 'needs-approval',
  requestOverrides: Partial<AccessRequest> = {},
): RequestState {
  return initialState(request(requestOverrides), rules(ruleOverrides), outcome);
}

function active(
  ruleOverrides: Partial<EntitlementRules> = {},
  outcome: ApprovalOutcome = 'needs-approval',
): RequestState {
  return transition(transition(pending(ruleOverrides, outcome), 'approved'), 'active');
}

function refused(verdict: Verdict, code: ErrorCode): string {
  assert.equal(verdict.ok, false, `expected a refusal with ${code}`);
  assert.ok(!verdict.ok);
  assert.equal(verdict.code, code);
  assert.ok(verdict.message.length > 0);
  return verdict.message;
}

describe('request state machine', () => {
  const allowed: [RequestStatus, RequestStatus][] = [
    ['pending', 'approved'],
    ['pending', 'denied'],
    ['pending', 'expired'],
    ['pending', 'cancelled'],
    ['pending', 'failed'],
    ['approved', 'active'],
    ['approved', 'failed'],
    ['approved', 'cancelled'],
    ['active', 'revoked'],
    ['active', 'failed'],
  ];
  const forbidden: [RequestStatus, RequestStatus][] = [
    ['pending', 'active'],
    ['pending', 'revoked'],
    ['pending', 'pending'],
    ['approved', 'denied'],
    ['approved', 'pending'],
    ['active', 'pending'],
    ['active', 'approved'],
    ['active', 'cancelled'],
    ['active', 'expired'],
  ];

  test('allows the transitions of the lifecycle', () => {
    for (const [from, to] of allowed) {
      assert.equal(canTransition(from, to), true, `${from} → ${to}`);
      const state = { ...pending(), status: from };
      assert.equal(transition(state, to).status, to);
    }
  });

  test('refuses the others with REQUEST.INVALID_TRANSITION', () => {
    for (const [from, to] of forbidden) {
      assert.equal(canTransition(from, to), false, `${from} → ${to}`);
      const state = { ...pending(), status: from };
      assert.throws(() => transition(state, to), { code: ErrorCode.InvalidTransition });
    }
  });

  test('terminal states lead nowhere', () => {
    const terminal: RequestStatus[] = ['revoked', 'denied', 'expired', 'cancelled', 'failed'];
    for (const status of Object.values(RequestStatus)) {
      assert.equal(isTerminal(status), terminal.includes(status), status);
    }
    for (const from of terminal) {
      for (const to of Object.values(RequestStatus)) {
        assert.throws(() => transition({ ...pending(), status: from }, to), { code: ErrorCode.InvalidTransition });
      }
    }
  });

  test('transition does not change the state it was given', () => {
    const state = pending();
    const next = transition(state, 'approved');
    assert.equal(state.status, 'pending');
    assert.equal(next.status, 'approved');
  });

  test('break-glass requests start with a review required; others do not', () => {
    assert.equal(pending({}, 'break-glass').reviewRequired, true);
    assert.equal(pending({}, 'needs-approval').reviewRequired, false);
    assert.equal(pending({}, 'auto-approved').reviewRequired, false);
  });
});

describe('checkDecision', () => {
  test('an approver may approve, or deny with a reason', () => {
    assert.deepEqual(checkDecision(pending(), { approver: LEAD_A, verdict: 'approve' }), { ok: true });
    assert.deepEqual(checkDecision(pending(), { approver: LEAD_A, verdict: 'deny', reason: 'not during the freeze' }), {
      ok: true,
    });
  });

  test('approver names are compared case-insensitively', () => {
    assert.deepEqual(checkDecision(pending(), { approver: 'Lead-A@Example.com', verdict: 'approve' }), { ok: true });
  });

  test('the requester cannot decide on their own request, even as an approver', () => {
    const state = pending({ approvers: [REQUESTER, LEAD_A] });
    const message = refused(checkDecision(state, { approver: REQUESTER, verdict: 'approve' }), ErrorCode.SelfApproval);
    assert.match(message, /your own request/);
    refused(checkDecision(state, { approver: REQUESTER.toUpperCase(), verdict: 'approve' }), ErrorCode.SelfApproval);
  });

  test('self-approval is refused however the requester id was capitalised', () => {
    const state = pending({ approvers: [REQUESTER, LEAD_A] }, 'needs-approval', { requester: 'Dev@Example.com' });
    refused(checkDecision(state, { approver: REQUESTER, verdict: 'approve' }), ErrorCode.SelfApproval);
  });

  test('someone who is not an approver is refused, and told who is', () => {
    const message = refused(
      checkDecision(pending(), { approver: STRANGER, verdict: 'approve' }),
      ErrorCode.ApproverNotAuthorized,
    );
    assert.match(message, /lead-a@example\.com/);
    refused(checkDecision(pending(), { approver: ADMIN, verdict: 'approve' }), ErrorCode.ApproverNotAuthorized);
  });

  test('deny requires a reason', () => {
    refused(checkDecision(pending(), { approver: LEAD_A, verdict: 'deny' }), ErrorCode.DenyReasonRequired);
    refused(
      checkDecision(pending(), { approver: LEAD_A, verdict: 'deny', reason: '   ' }),
      ErrorCode.DenyReasonRequired,
    );
  });

  test('a double click with the same verdict is allowed and not counted twice', () => {
    const state = pending({ requiredApprovals: 2 });
    const first = applyDecision(state, { approver: LEAD_A, verdict: 'approve' }, AT);
    assert.equal(first.settled, undefined);
    assert.deepEqual(checkDecision(first.state, { approver: LEAD_A, verdict: 'approve' }), { ok: true });
    const again = applyDecision(first.state, { approver: 'LEAD-A@example.com', verdict: 'approve' }, AT);
    assert.equal(again.settled, undefined, 'one approver clicking twice is still one approval');
    assert.equal(again.state.decisions.length, 1);
    assert.equal(approvalsSoFar(again.state), 1);
  });

  test('a conflicting second verdict from the same approver is refused', () => {
    const state = applyDecision(pending({ requiredApprovals: 2 }), { approver: LEAD_A, verdict: 'approve' }, AT).state;
    const message = refused(
      checkDecision(state, { approver: LEAD_A, verdict: 'deny', reason: 'changed my mind' }),
      ErrorCode.ConflictingDecision,
    );
    assert.match(message, /already chose to approve/);
  });

  test('once settled, new decisions are refused with APPROVAL.NOT_PENDING', () => {
    const settled = applyDecision(pending(), { approver: LEAD_A, verdict: 'approve' }, AT);
    assert.equal(settled.settled, 'approved');
    const approved = transition(settled.state, 'approved');
    refused(checkDecision(approved, { approver: LEAD_B, verdict: 'approve' }), ErrorCode.RequestNotPending);
    refused(
      checkDecision(transition(pending(), 'denied'), { approver: LEAD_B, verdict: 'deny', reason: 'no' }),
      ErrorCode.RequestNotPending,
    );
    const noChange = applyDecision(approved, { approver: LEAD_B, verdict: 'approve' }, AT);
    assert.equal(noChange.settled, undefined);
    assert.equal(noChange.state.decisions.length, 1);
  });
});

describe('N-of-M approvals', () => {
  test('with 2 required, the first approval leaves it pending and the second settles it approved', () => {
    const state = pending({ requiredApprovals: 2 });
    const first = applyDecision(state, { approver: LEAD_A, verdict: 'approve' }, AT);
    assert.equal(first.settled, undefined);
    assert.equal(first.state.status, 'pending');
    assert.equal(approvalsSoFar(first.state), 1);
    assert.deepEqual(checkDecision(first.state, { approver: LEAD_B, verdict: 'approve' }), { ok: true });
    const second = applyDecision(first.state, { approver: LEAD_B, verdict: 'approve' }, '2024-05-01T09:05:00.000Z');
    assert.equal(second.settled, 'approved');
    assert.deepEqual(
      second.state.decisions.map((d) => [d.approver, d.verdict, d.stage, d.at]),
      [
        [LEAD_A, 'approve', 'request', AT],
        [LEAD_B, 'approve', 'request', '2024-05-01T09:05:00.000Z'],
      ],
    );
  });

  test('any deny settles it denied, even after an approval, and keeps the reason', () => {
    const first = applyDecision(pending({ requiredApprovals: 2 }), { approver: LEAD_A, verdict: 'approve' }, AT);
    const denied = applyDecision(first.state, { approver: LEAD_B, verdict: 'deny', reason: 'use read-only' }, AT);
    assert.equal(denied.settled, 'denied');
    assert.equal(denied.state.decisions.at(-1)?.reason, 'use read-only');
  });

  test('a single deny settles a fresh request denied', () => {
    const denied = applyDecision(
      pending({ requiredApprovals: 2 }),
      { approver: LEAD_B, verdict: 'deny', reason: 'no' },
      AT,
    );
    assert.equal(denied.settled, 'denied');
  });
});

describe('checkExtension', () => {
  test('the requester may extend an active grant within the total', () => {
    assert.deepEqual(checkExtension(active(), { by: REQUESTER, additionalSeconds: 3600 }), { ok: true });
    // requested 2h, total 8h: exactly 6h more fits
    assert.deepEqual(checkExtension(active(), { by: REQUESTER, additionalSeconds: 6 * 3600 }), { ok: true });
  });

  test('only the requester may extend', () => {
    refused(checkExtension(active(), { by: LEAD_A, additionalSeconds: 3600 }), ErrorCode.ExtensionNotAllowed);
    refused(checkExtension(active(), { by: ADMIN, additionalSeconds: 3600 }), ErrorCode.ExtensionNotAllowed);
  });

  test('only an active grant can be extended', () => {
    refused(checkExtension(pending(), { by: REQUESTER, additionalSeconds: 3600 }), ErrorCode.LeaseNotActive);
    const revoked = transition(active(), 'revoked');
    refused(checkExtension(revoked, { by: REQUESTER, additionalSeconds: 3600 }), ErrorCode.LeaseNotActive);
  });

  test('the total, with extensions so far, may not pass the maximum; the message says what is left', () => {
    const message = refused(
      checkExtension(active(), { by: REQUESTER, additionalSeconds: 6 * 3600 + 1 }),
      ErrorCode.ExtensionTooLong,
    );
    assert.match(message, /at most 6h/);
    const extended = { ...active(), extendedSeconds: 6 * 3600 };
    const none = refused(
      checkExtension(extended, { by: REQUESTER, additionalSeconds: 60 }),
      ErrorCode.ExtensionTooLong,
    );
    assert.match(none, /cannot be extended further/);
  });

  test('an entitlement that does not allow extension refuses it', () => {
    const state = active({ extension: { allowed: false, maxTotalSeconds: 8 * 3600, requiresApproval: false } });
    refused(checkExtension(state, { by: REQUESTER, additionalSeconds: 60 }), ErrorCode.ExtensionNotAllowed);
  });

  test('a second extension waits while one is pending approval', () => {
    const state: RequestState = {
      ...active({ extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: true } }),
      pendingExtension: { requestedBy: REQUESTER, additionalSeconds: 3600, requestedAt: AT },
    };
    const message = refused(
      checkExtension(state, { by: REQUESTER, additionalSeconds: 60 }),
      ErrorCode.ExtensionNotAllowed,
    );
    assert.match(message, /already waiting/);
  });

  test('a pending extension is decided by approvers in its own stage', () => {
    const state: RequestState = {
      ...active({ extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: true } }),
      decisions: [{ approver: LEAD_A, verdict: 'approve', at: AT, stage: 'request' }],
      pendingExtension: { requestedBy: REQUESTER, additionalSeconds: 3600, requestedAt: AT },
    };
    assert.deepEqual(checkDecision(state, { approver: LEAD_B, verdict: 'approve' }), { ok: true });
    // LEAD_A approved the request; the extension is a new question for them too.
    assert.deepEqual(checkDecision(state, { approver: LEAD_A, verdict: 'deny', reason: 'enough' }), { ok: true });
    const decided = applyDecision(state, { approver: LEAD_B, verdict: 'approve' }, AT);
    assert.equal(decided.settled, 'approved');
    assert.equal(decided.state.decisions.at(-1)?.stage, 'extension');
    assert.equal(approvalsSoFar(decided.state, 'extension'), 1);
  });

  test('a non-positive or fractional extension is malformed', () => {
    refused(checkExtension(active(), { by: REQUESTER, additionalSeconds: 0 }), ErrorCode.DurationMalformed);
    refused(checkExtension(active(), { by: REQUESTER, additionalSeconds: -60 }), ErrorCode.DurationMalformed);
    refused(checkExtension(active(), { by: REQUESTER, additionalSeconds: 1.5 }), ErrorCode.DurationMalformed);
  });
});

describe('checkEnd', () => {
  test('the requester, an approver or an admin may end it, pending or active', () => {
    for (const state of [pending(), active()]) {
      for (const by of [REQUESTER, LEAD_A, ADMIN, 'ADMIN@example.com']) {
        assert.deepEqual(checkEnd(state, { by }), { ok: true }, `${by} on ${state.status}`);
      }
    }
  });

  test('a stranger may not', () => {
    refused(checkEnd(active(), { by: STRANGER }), ErrorCode.NotAllowedToEnd);
  });

  test('a finished request cannot be ended again', () => {
    for (const status of ['revoked', 'denied', 'expired', 'cancelled', 'failed'] as const) {
      const message = refused(checkEnd({ ...active(), status }, { by: REQUESTER }), ErrorCode.LeaseNotActive);
      assert.match(message, new RegExp(status));
    }
  });
});

describe('checkReview', () => {
  test('an approver or admin other than the requester reviews a break-glass grant', () => {
    const state = active({}, 'break-glass');
    assert.deepEqual(checkReview(state, LEAD_A), { ok: true });
    assert.deepEqual(checkReview(state, ADMIN), { ok: true });
  });

  test('the requester cannot review their own break-glass grant', () => {
    const state = active({ approvers: [REQUESTER, LEAD_A] }, 'break-glass');
    refused(checkReview(state, REQUESTER), ErrorCode.SelfApproval);
  });

  test('a stranger cannot review', () => {
    refused(checkReview(active({}, 'break-glass'), STRANGER), ErrorCode.ApproverNotAuthorized);
  });

  test('only break-glass grants have a review, and only once', () => {
    refused(checkReview(active({}, 'needs-approval'), LEAD_A), ErrorCode.RequestNotPending);
    refused(checkReview({ ...active({}, 'break-glass'), reviewedBy: LEAD_B }, LEAD_A), ErrorCode.RequestNotPending);
  });
});

describe('what waits for a decision, and from whom', () => {
  const extending = (): RequestState => ({
    ...active(),
    pendingExtension: { requestedBy: REQUESTER, additionalSeconds: 3600, requestedAt: AT },
  });

  test('the open stage is the request while pending, an extension of a live grant, and nothing otherwise', () => {
    assert.equal(openStage(pending()), 'request');
    assert.equal(openStage(extending()), 'extension');
    assert.equal(openStage(active()), undefined);
    assert.equal(openStage(transition(pending(), 'denied')), undefined);
  });

  test('the requester is never among the approvers who may decide, whatever the case of the address', () => {
    const state = pending({ approvers: [LEAD_A, REQUESTER, LEAD_B] }, 'needs-approval', {
      requester: 'Dev@Example.com',
    });
    assert.deepEqual(eligibleApprovers(state), [LEAD_A, LEAD_B]);
  });

  test('an approver is awaited until they decide the open stage, and again for an extension', () => {
    let state = pending({ requiredApprovals: 2 });
    assert.equal(awaitsDecisionFrom(state, 'Lead-A@example.com'), true);
    state = applyDecision(state, { approver: LEAD_A, verdict: 'approve' }, AT).state;
    assert.equal(awaitsDecisionFrom(state, LEAD_A), false);
    assert.equal(awaitsDecisionFrom(state, LEAD_B), true);
    const extension = { ...extending(), decisions: state.decisions };
    assert.equal(awaitsDecisionFrom(extension, LEAD_A), true);
  });

  test('nobody is awaited by a request with nothing open, and the requester and strangers never are', () => {
    assert.equal(awaitsDecisionFrom(active(), LEAD_A), false);
    const own = pending({ approvers: [LEAD_A, REQUESTER] });
    assert.equal(awaitsDecisionFrom(own, REQUESTER), false);
    assert.equal(awaitsDecisionFrom(pending(), STRANGER), false);
  });

  test('break-glass is known by the policy outcome or the request flag', () => {
    assert.equal(isBreakGlass(pending()), false);
    assert.equal(isBreakGlass(pending({}, 'break-glass')), true);
    assert.equal(isBreakGlass(pending({}, 'needs-approval', { breakGlass: true })), true);
  });
});
