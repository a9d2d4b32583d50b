import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { requesterStatusCard, requesterUpdate, submittedMessage } from '../../../../bot/render/teams';
import { TeamsVerb } from '../../../../bot/render/teams/ids';
import type { Notice, NoticeKind } from '../../../../domain/notice';
import type { RequestState, RequestStatus } from '../../../../domain/request';
import { assertCardValid } from '../../../support/checks/adaptive-cards';
import { approval, buttons, ID, LEAD_A, NOW, shown, state, verbs, view } from './fixtures';

const UNTIL = /\{\{DATE\(2024-05-01T10:42:00Z, SHORT\)\}\} \{\{TIME\(2024-05-01T10:42:00Z\)\}\} \(42m left\)/;
const PORTAL = { type: 'Action.OpenUrl', title: 'Open the access portal', url: 'https://example.awsapps.com/start' };
const END_NOW = {
  type: 'Action.Execute',
  title: 'End now',
  verb: TeamsVerb.EndNow,
  data: { requestId: ID },
  style: 'destructive',
};
const extend = (duration: string) => ({
  type: 'Action.Execute',
  title: `Extend ${duration}`,
  verb: TeamsVerb.Extend,
  data: { requestId: ID, duration },
});

const update = (kind: NoticeKind, s: RequestState, detail?: string) => {
  const notice: Notice = { kind, state: s, ...(detail ? { detail } : {}) };
  const message = requesterUpdate(notice, view(s), NOW);
  assert.ok(message.card, `${kind} has a card`);
  assertCardValid(message.card);
  return message;
};

describe('requesterStatusCard', () => {
  const expected: [RequestStatus, RegExp][] = [
    ['pending', /⏳ Waiting for approval: 0 of 2 approvals/],
    ['approved', /Approved; access is being applied/],
    ['active', /🟢 Granted until \{\{DATE/],
    ['revoked', /🔒 Revoked \(expired\)/],
    ['denied', /⛔ Denied by lead-a@example\.com .*Reason: use the read replica/],
    ['expired', /Expired without a decision/],
    ['failed', /Failed: AccessDenied/],
    ['cancelled', /Cancelled by dev@example\.com/],
  ];
  for (const [status, line] of expected) {
    test(`${status}: says where the request stands; buttons only while active`, () => {
      const card = assertCardValid(requesterStatusCard(view(state(status)), NOW));
      assert.match(shown(card), line);
      assert.match(shown(card), /\*\*Production admin\*\* on AWS production \(123456789012\) for 2h/);
      assert.match(shown(card), /Request r-abc123defg · ticket OPS-1 · submitted/);
      if (status !== 'active') assert.deepEqual(buttons(card), []);
    });
  }

  test('active: how to use it, the portal link, the extensions that fit, and End now', () => {
    const card = assertCardValid(requesterStatusCard(view(state('active')), NOW));
    assert.match(shown(card), UNTIL);
    assert.match(
      shown(card),
      /\*\*How to use it\*\*\nSign in to the AWS access portal \(https:\/\/example\.awsapps\.com\/start\)/,
    );
    assert.deepEqual(buttons(card), [PORTAL, extend('30m'), extend('1h'), END_NOW]);
  });

  test('active: no link for a URL that is not plain https', () => {
    for (const url of [
      'javascript:alert(1)',
      'http://example.com',
      'https://x.example/<at>',
      `https://x.example/${'a'.repeat(3000)}`,
    ]) {
      const card = assertCardValid(
        requesterStatusCard(view(state('active', { access: { summary: 'use it', url } })), NOW),
      );
      assert.ok(!buttons(card).some((b) => b.type === 'Action.OpenUrl'), url.slice(0, 40));
    }
  });

  test('active: offers only the extensions that fit the rules', () => {
    const offered = (overrides: Parameters<typeof state>[1]) =>
      verbs(requesterStatusCard(view(state('active', overrides)), NOW)).filter(([verb]) => verb === TeamsVerb.Extend);
    const by = (duration: string) => [TeamsVerb.Extend, { requestId: ID, duration }];
    // 2h asked, 8h at most in all: both fit.
    assert.deepEqual(offered({}), [by('30m'), by('1h')]);
    assert.deepEqual(
      offered({
        rules: { extension: { allowed: true, maxTotalSeconds: 2 * 3600 + 45 * 60, requiresApproval: false } },
      }),
      [by('30m')],
    );
    assert.deepEqual(offered({ extendedSeconds: 5 * 3600 }), [by('30m'), by('1h')]);
    assert.deepEqual(offered({ extendedSeconds: 5 * 3600 + 60 }), [by('30m')]);
    assert.deepEqual(offered({ extendedSeconds: 6 * 3600 - 60 }), []);
    assert.deepEqual(
      offered({ rules: { extension: { allowed: false, maxTotalSeconds: 8 * 3600, requiresApproval: false } } }),
      [],
    );
    assert.deepEqual(
      offered({
        pendingExtension: { requestedBy: 'dev@example.com', additionalSeconds: 1800, requestedAt: NOW.toISOString() },
      }),
      [],
    );
  });
});

describe('requesterUpdate', () => {
  test('every message has a plain one-line summary for the notification', () => {
    const message = update('granted', state('active'));
    assert.equal(message.text, 'Access granted: Production admin');
    assert.equal(update('denied', state('denied')).text, 'Not approved: Production admin');
  });

  test('approved names the approvers', () => {
    assert.match(
      shown(update('approved', state('approved')).card),
      /Approved by lead-a@example\.com, lead-b@example\.com/,
    );
  });

  test('denied says who and why, escaped', () => {
    const denied = state('denied', {
      decisions: [
        {
          approver: LEAD_A,
          verdict: 'deny',
          reason: 'use the [replica](https://evil.example)',
          at: NOW.toISOString(),
          stage: 'request',
        },
      ],
    });
    const text = shown(update('denied', denied).card);
    assert.match(text, /Your request for \*\*Production admin\*\* was not approved\./);
    assert.match(text, /⛔ Denied by lead-a@example\.com .*Reason: use the \\\[replica\\\]\(https:\/\/evil\.example\)/);
  });

  test('granted says how to use it, with the portal link, End now and the end time', () => {
    const message = update('granted', state('active'));
    assert.match(shown(message.card), /🟢 You have \*\*Production admin\*\* until /);
    assert.match(shown(message.card), UNTIL);
    assert.match(shown(message.card), /How to use it\*\*\nSign in to the AWS access portal/);
    assert.deepEqual(buttons(message.card), [PORTAL, END_NOW]);
  });

  test('expiring-soon offers Extend and End now, and says whether an approver is asked', () => {
    const message = update('expiring-soon', state('active'));
    assert.match(
      shown(message.card),
      /⏰ Your \*\*Production admin\*\* ends at .*\(42m left\)\. Extend it if you still need it\./,
    );
    assert.deepEqual(buttons(message.card), [extend('30m'), extend('1h'), END_NOW]);
    const approvalNeeded = state('active', {
      rules: { extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: true } },
    });
    assert.match(shown(update('expiring-soon', approvalNeeded).card), /an approver will be asked/);
    const full = update('expiring-soon', state('active', { extendedSeconds: 6 * 3600 }));
    assert.match(shown(full.card), /cannot be extended further/);
    assert.deepEqual(buttons(full.card), [END_NOW]);
  });

  test('extension steps name the length', () => {
    assert.match(
      shown(update('extended', state('active', { extendedSeconds: 3600 }), '1h').card),
      /extended by \+1h; it now ends at \{\{DATE/,
    );
    assert.match(
      shown(update('extension-requested', state('active'), '30m').card),
      /extension of \*\*Production admin\*\* by \+30m is waiting for approval/,
    );
    const denied = state('active', {
      decisions: [
        approval(LEAD_A),
        { approver: LEAD_A, verdict: 'deny', reason: 'enough', at: NOW.toISOString(), stage: 'extension' },
      ],
    });
    const text = shown(update('extension-denied', denied, '1h').card);
    assert.match(text, /Extension denied by lead-a@example\.com .*Reason: enough/);
    assert.match(text, /\*\*Production admin\*\* still ends at/);
  });

  test('revoked carries the end reason, who ended it and the verification receipt', () => {
    const text = shown(
      update('revoked', state('revoked', { endedBy: 'dev@example.com', endReason: 'ended early by the holder' })).card,
    );
    assert.match(text, /Revoked \(ended early by the holder\) by dev@example\.com/);
    assert.match(text, /You no longer have \*\*Production admin\*\*\./);
    assert.match(text, /Verified: Identity Center lists no assignment of ps-1/);
    assert.doesNotMatch(shown(update('revoked', state('revoked')).card), /by expiry/, 'the clock is not a person');
  });

  test('failed prefers the notice detail over the recorded failure', () => {
    assert.match(
      shown(update('failed', state('failed')).card),
      /Something failed with \*\*Production admin\*\*: AccessDenied: sso:CreateAccountAssignment/,
    );
    assert.match(
      shown(update('failed', state('active'), 'Revocation is retrying: throttled').card),
      /Revocation is retrying: throttled/,
    );
  });

  test('expired, cancelled and break-glass each say what it means for the requester', () => {
    assert.match(shown(update('expired', state('expired')).card), /Nobody decided on \*\*Production admin\*\* in time/);
    assert.match(
      shown(update('cancelled', state('cancelled')).card),
      /Cancelled by dev@example\.com[^]*Nothing was granted/,
    );
    assert.match(
      shown(update('break-glass', state('active', { outcome: 'break-glass' })).card),
      /you got \*\*Production admin\*\* immediately.*a review follows/,
    );
  });
});

describe('submittedMessage', () => {
  test('gives the request id and who must approve, never the requester', () => {
    const message = submittedMessage(view(state('pending')), NOW);
    assertCardValid(message.card!);
    assert.equal(message.text, 'Request r-abc123defg sent to 2 approvers');
    const text = shown(message.card);
    assert.match(
      text,
      /^Request r-abc123defg sent to 2 approvers\n\*\*Production admin\*\* on AWS production \(123456789012\) for 2h/,
    );
    assert.match(text, /Waiting for 2 approvals from lead-a@example\.com, lead-b@example\.com\./);
    assert.doesNotMatch(text, /from dev@example\.com/);
    assert.deepEqual(buttons(message.card), []);
  });

  test('auto-approved and break-glass say so instead', () => {
    const auto = submittedMessage(view(state('approved', { outcome: 'auto-approved' })), NOW);
    assert.equal(auto.text, 'Request r-abc123defg was auto-approved');
    assert.match(shown(auto.card), /Auto-approved by policy/);
    const glass = submittedMessage(view(state('pending', { outcome: 'break-glass' })), NOW);
    assert.equal(glass.text, 'Request r-abc123defg is break-glass: access is being granted');
    assert.match(shown(glass.card), /Break-glass\*\*: access is being granted now, without approval/);
    assert.match(
      shown(submittedMessage(view(state('pending', { rules: { requiredApprovals: 1 } })), NOW).card),
      /Waiting for 1 approval from/,
    );
  });
});
