import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { approvalCard, approverCard, reviewCard } from '../../../../bot/render/teams';
import { TeamsInput, TeamsVerb } from '../../../../bot/render/teams/ids';
import type { RequestStatus } from '../../../../domain/request';
import { assertCardValid } from '../../../support/checks/adaptive-cards';
import {
  approval,
  APPROVER_IDS,
  breakGlassGrant,
  buttons,
  earlierRequests,
  extensionDenied,
  factsOf,
  ID,
  inputs,
  LEAD_A,
  LEAD_B,
  markdownTexts,
  NOW,
  PENDING_EXTENSION,
  REQUESTER,
  shown,
  state,
  SYSTEM_TITLE,
  verbs,
  view,
} from './fixtures';

const REFRESH = { type: 'Action.Execute', verb: TeamsVerb.Refresh, data: { requestId: ID } };

describe('approvalCard: what everyone sees', () => {
  test('shows who asks for what, where, how long, why, and the progress, with no buttons', () => {
    const card = assertCardValid(approvalCard(view(state('pending')), NOW, { refreshUserIds: APPROVER_IDS }));
    assert.equal(markdownTexts(card)[0], 'Access request');
    assert.equal(markdownTexts(card)[1], 'dev@example.com asks for **Production admin** (prod-admin) for **2h**.');
    assert.deepEqual(factsOf(card), {
      Requester: REQUESTER,
      Entitlement: 'Production admin (prod-admin)',
      System: SYSTEM_TITLE,
      Duration: '2h',
      Ticket: 'OPS-1',
      Risk: 'low',
      'Approvals needed': '2 from lead-a@example.com, lead-b@example.com',
    });
    assert.match(shown(card), /\*\*Reason\*\*\nrotate the database credentials\n/);
    assert.match(shown(card), /⏳ Waiting for approval: 0 of 2 approvals/);
    assert.match(shown(card), /Request r-abc123defg · submitted \{\{DATE\(2024-05-01T09:00:00Z, SHORT\)\}\}/);
    assert.deepEqual(buttons(card), []);
    assert.deepEqual(inputs(card), {});
  });

  test('while pending, Teams refreshes it for the approvers only', () => {
    const card = approvalCard(view(state('pending')), NOW, { refreshUserIds: APPROVER_IDS });
    assert.deepEqual(card.refresh, { action: REFRESH, userIds: APPROVER_IDS });
    assert.equal(approvalCard(view(state('pending')), NOW).refresh, undefined, 'no ids: no refresh for everyone');
    assert.equal(approvalCard(view(state('pending')), NOW, { refreshUserIds: [] }).refresh, undefined);
  });

  test('refresh names at most 60 people, as Teams allows', () => {
    const many = Array.from({ length: 75 }, (_, i) => `29:${i}`);
    const card = assertCardValid(approvalCard(view(state('pending')), NOW, { refreshUserIds: many }));
    assert.deepEqual(card.refresh?.userIds, many.slice(0, 60));
  });

  test('progress names who approved so far', () => {
    const card = approvalCard(view(state('pending', { decisions: [approval(LEAD_A)] })), NOW);
    assert.match(shown(card), /1 of 2 approvals: lead-a@example\.com/);
  });

  test('an extension of an active grant says +duration and keeps the refresh', () => {
    const card = assertCardValid(
      approvalCard(view(state('active', { pendingExtension: PENDING_EXTENSION })), NOW, {
        refreshUserIds: APPROVER_IDS,
      }),
    );
    assert.equal(markdownTexts(card)[0], 'Extension request');
    assert.match(shown(card), /asks to extend \*\*Production admin\*\* \(prod-admin\) by \*\*\+1h\*\*/);
    assert.match(shown(card), /⏳ Extension: 0 of 2 approvals/);
    assert.deepEqual(card.refresh?.userIds, APPROVER_IDS);
  });

  test('high risk and break-glass are called out; ordinary requests are not', () => {
    assert.doesNotMatch(shown(approvalCard(view(state('pending')), NOW)), /High-risk|BREAK-GLASS/);
    const risky = approvalCard(view(state('pending', { rules: { risk: 'high' } })), NOW);
    assert.match(shown(risky), /High-risk entitlement/);
    assert.equal(factsOf(risky).Risk, 'high');
    const glass = approvalCard(
      view(state('active', { outcome: 'break-glass', request: { breakGlass: true }, decisions: [] })),
      NOW,
    );
    assert.equal(markdownTexts(glass)[0], 'Break-glass access');
    assert.match(shown(glass), /🚨 \*\*BREAK-GLASS\*\*/);
    assert.match(shown(glass), /used break-glass for/);
  });

  test('shows at most five recent requests with title, status and date', () => {
    const text = shown(approvalCard(view(state('pending'), { recent: earlierRequests() }), NOW));
    assert.match(text, /\*\*Recent requests by dev@example\.com\*\*/);
    assert.equal((text.match(/^Earlier \d/gm) ?? []).length, 5);
    assert.match(text, /Earlier 0 \(prod-admin\) · revoked · \{\{DATE\(2024-05-01T09:00:00Z, SHORT\)\}\}/);
    assert.match(text, /Earlier 1 .* · denied · /);
    assert.doesNotMatch(text, /Earlier 5/);
    assert.match(shown(approvalCard(view(state('pending'), { recent: [] }), NOW)), /No earlier requests/);
    assert.doesNotMatch(shown(approvalCard(view(state('pending')), NOW)), /earlier requests|Recent requests/i);
  });
});

describe('approvalCard once settled', () => {
  const settled: [RequestStatus, RegExp][] = [
    ['approved', /✅ Approved by lead-a@example\.com, lead-b@example\.com \{\{DATE\(2024-05-01T09:05:00Z, SHORT\)\}\}/],
    [
      'active',
      /🟢 Granted until \{\{DATE\(2024-05-01T10:42:00Z, SHORT\)\}\} \{\{TIME\(2024-05-01T10:42:00Z\)\}\} \(42m left\)/,
    ],
    ['revoked', /🔒 Revoked \(expired\) \{\{DATE/],
    ['denied', /⛔ Denied by lead-a@example\.com \{\{DATE.*\}\}\. Reason: use the read replica/],
    ['expired', /⌛ Expired without a decision/],
    ['cancelled', /🚫 Cancelled by dev@example\.com \{\{DATE.*: ended early by the holder/],
    ['failed', /❗ Failed: AccessDenied: sso:CreateAccountAssignment/],
  ];
  for (const [status, outcome] of settled) {
    test(`${status}: says what happened, with no buttons and no refresh`, () => {
      const card = assertCardValid(approvalCard(view(state(status)), NOW, { refreshUserIds: APPROVER_IDS }));
      assert.match(shown(card), outcome);
      assert.deepEqual(buttons(card), []);
      assert.equal(card.refresh, undefined);
    });
  }

  test('an approved card names every approver; a denied one does not claim approval', () => {
    assert.match(
      shown(approvalCard(view(state('revoked')), NOW)),
      /Approved by lead-a@example\.com, lead-b@example\.com/,
    );
    assert.doesNotMatch(
      shown(approvalCard(view(state('denied', { decisions: [approval(LEAD_B), ...state('denied').decisions] })), NOW)),
      /Approved by/,
    );
  });

  test('auto-approved and denied extensions are told', () => {
    assert.match(
      shown(approvalCard(view(state('active', { outcome: 'auto-approved', decisions: [] })), NOW)),
      /Auto-approved by policy/,
    );
    const text = shown(approvalCard(view(extensionDenied({ extendedSeconds: 1800 })), NOW));
    assert.match(text, /Extension denied by lead-a@example\.com .*Reason: enough for today/);
    assert.match(text, /Extended by 30m in all\./);
  });
});

describe('approverCard: an approver’s own copy after refresh', () => {
  test('while pending: the comment box, Approve and Deny with the request id, and the same refresh', () => {
    const card = assertCardValid(approverCard(view(state('pending')), NOW, { refreshUserIds: APPROVER_IDS }));
    assert.deepEqual(
      buttons(card).map((b) => [b.title, b.verb, b.data, b.style]),
      [
        ['Approve', TeamsVerb.Approve, { requestId: ID }, 'positive'],
        ['Deny', TeamsVerb.Deny, { requestId: ID }, 'destructive'],
      ],
    );
    const comment = inputs(card)[TeamsInput.Comment];
    assert.equal(comment?.label, 'Comment (required to deny)');
    assert.equal(comment?.isMultiline, true);
    assert.deepEqual(card.refresh, { action: REFRESH, userIds: APPROVER_IDS });
    // Everything everyone sees is there too.
    const shared = approvalCard(view(state('pending')), NOW, { refreshUserIds: APPROVER_IDS });
    for (const line of markdownTexts(shared)) assert.ok(markdownTexts(card).includes(line), line);
  });

  test('an extension gets the buttons too', () => {
    const card = assertCardValid(approverCard(view(state('active', { pendingExtension: PENDING_EXTENSION })), NOW));
    assert.deepEqual(
      verbs(card).map(([verb]) => verb),
      [TeamsVerb.Approve, TeamsVerb.Deny],
    );
  });

  test('a problem from the last click is shown first, in attention colour', () => {
    const card = assertCardValid(
      approverCard(view(state('pending')), NOW, { problem: 'You cannot approve your own request.' }),
    );
    assert.deepEqual(card.body[0], {
      type: 'TextBlock',
      text: '⚠️ You cannot approve your own request.',
      wrap: true,
      weight: 'bolder',
      color: 'attention',
    });
  });

  for (const status of ['approved', 'active', 'revoked', 'denied', 'expired', 'cancelled', 'failed'] as const) {
    test(`${status}: once settled it is the shared card, with no buttons`, () => {
      const v = view(state(status));
      const card = assertCardValid(approverCard(v, NOW, { refreshUserIds: APPROVER_IDS }));
      assert.deepEqual(card, approvalCard(v, NOW, { refreshUserIds: APPROVER_IDS }));
      assert.deepEqual(buttons(card), []);
      assert.deepEqual(inputs(card), {});
    });
  }
});

describe('reviewCard', () => {
  test('offers Mark as reviewed until someone reviewed it, refreshed for the reviewers', () => {
    const card = assertCardValid(reviewCard(view(breakGlassGrant()), NOW, { refreshUserIds: APPROVER_IDS }));
    assert.equal(markdownTexts(card)[0], 'Break-glass review');
    assert.deepEqual(
      buttons(card).map((b) => [b.title, b.verb, b.data]),
      [['Mark as reviewed', TeamsVerb.Review, { requestId: ID }]],
    );
    assert.match(shown(card), /Granted immediately \(break-glass\), without approval/);
    assert.match(shown(card), /Waiting for an approver or an admin to review/);
    assert.deepEqual(card.refresh, { action: REFRESH, userIds: APPROVER_IDS });
  });

  test('then says who reviewed it, with no button and no refresh', () => {
    const card = assertCardValid(
      reviewCard(view(breakGlassGrant({ reviewedBy: LEAD_B })), NOW, { refreshUserIds: APPROVER_IDS }),
    );
    assert.deepEqual(buttons(card), []);
    assert.equal(card.refresh, undefined);
    assert.match(shown(card), /✅ Reviewed by lead-b@example\.com/);
  });
});
