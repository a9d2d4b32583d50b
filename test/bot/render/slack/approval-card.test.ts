import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderBlock, KnownBlock } from '@slack/types';
import { approvalCard, approvalSummary, reviewCard } from '../../../../bot/render/slack/approval-card';
import { SlackAction } from '../../../../bot/render/slack/ids';
import type { RequestStatus } from '../../../../domain/request';
import { assertWithinSlackLimits } from '../../../support/checks/block-kit-limits';
import {
  approval,
  blockTypes,
  breakGlassGrant,
  buttons,
  earlierRequests,
  extensionDenied,
  ID,
  LEAD_A,
  LEAD_B,
  NOW,
  PENDING_EXTENSION,
  REQUESTER,
  shown,
  state,
  SYSTEM_TITLE,
  view,
} from './fixtures';

const headerOf = (blocks: KnownBlock[]): string => (blocks.find((b) => b.type === 'header') as HeaderBlock).text.text;

describe('approvalCard while a decision is open', () => {
  test('a pending card offers Approve and Deny carrying the request id, and shows what is asked', () => {
    const card = approvalCard(view(state('pending')), NOW);
    assert.deepEqual(
      buttons(card.blocks).map((b) => [b.action_id, b.value, b.style]),
      [
        [SlackAction.Approve, ID, 'primary'],
        [SlackAction.Deny, ID, 'danger'],
      ],
    );
    assert.equal(headerOf(card.blocks), 'Access request');
    const text = shown(card);
    for (const expected of [
      '<@U123ABC>',
      REQUESTER,
      'Production admin',
      'prod-admin',
      SYSTEM_TITLE,
      '2h',
      'rotate the database credentials',
      'OPS-1',
      '0 of 2 approvals',
      ID,
    ]) {
      assert.ok(text.includes(expected), `card shows ${expected}`);
    }
    assert.match(card.text, /Access request: Production admin for dev@example\.com, 2h/);
    assertWithinSlackLimits('message', card);
  });

  test('progress names who approved so far', () => {
    const card = approvalCard(view(state('pending', { decisions: [approval(LEAD_A)] })), NOW);
    assert.match(shown(card), /1 of 2 approvals: lead-a@example\.com/);
    assert.equal(buttons(card.blocks).length, 2);
  });

  test('an extension of an active grant is its own card, with +duration and buttons', () => {
    const card = approvalCard(view(state('active', { pendingExtension: PENDING_EXTENSION })), NOW);
    assert.equal(headerOf(card.blocks), 'Extension request');
    assert.match(shown(card), /by \*\+1h\*/);
    assert.match(shown(card), /0 of 2 approvals/);
    assert.deepEqual(
      buttons(card.blocks).map((b) => b.action_id),
      [SlackAction.Approve, SlackAction.Deny],
    );
    assertWithinSlackLimits('message', card);
  });

  test('high risk and break-glass are called out; ordinary requests are not', () => {
    assert.doesNotMatch(shown(approvalCard(view(state('pending')), NOW)), /High-risk|BREAK-GLASS/);
    assert.match(
      shown(approvalCard(view(state('pending', { rules: { risk: 'high' } })), NOW)),
      /High-risk entitlement/,
    );
    const glass = approvalCard(
      view(state('active', { outcome: 'break-glass', request: { breakGlass: true }, decisions: [] })),
      NOW,
    );
    assert.equal(headerOf(glass.blocks), 'Break-glass access');
    assert.match(shown(glass), /🚨 \*BREAK-GLASS\*/);
    assert.match(glass.text, /^Break-glass access:/);
  });

  test('shows at most five recent requests with title, status and date', () => {
    const text = shown(approvalCard(view(state('pending'), { recent: earlierRequests() }), NOW));
    assert.match(text, /Recent requests by dev@example\.com/);
    assert.equal((text.match(/^• /gm) ?? []).length, 5);
    assert.match(text, /Earlier 0 \(`prod-admin`\) · revoked · <!date\^/);
    assert.match(text, /Earlier 1 .* · denied · /);
    assert.doesNotMatch(text, /Earlier 5/);
    assert.match(shown(approvalCard(view(state('pending'), { recent: [] }), NOW)), /No earlier requests/);
  });
});

describe('approvalCard once settled', () => {
  const settled: [RequestStatus, RegExp][] = [
    ['approved', /✅ Approved by lead-a@example\.com, lead-b@example\.com <!date\^\d+\^/],
    ['active', /🟢 Granted until <!date\^\d+\^.*\(42m left\)/],
    ['revoked', /🔒 Revoked \(expired\)/],
    ['denied', /⛔ Denied by lead-a@example\.com <!date\^\d+\^.*Reason: use the read replica/],
    ['expired', /Expired without a decision/],
    ['cancelled', /Cancelled by dev@example\.com <!date.*: ended early by the holder/],
    ['failed', /❗ Failed: AccessDenied: sso:CreateAccountAssignment/],
  ];
  for (const [status, outcome] of settled) {
    test(`${status}: no buttons, and it says what happened`, () => {
      const card = approvalCard(view(state(status)), NOW);
      assert.ok(!blockTypes(card.blocks).includes('actions'), 'no actions block');
      assert.deepEqual(buttons(card.blocks), []);
      assert.match(shown(card), outcome);
      assert.match(card.text, new RegExp(`\\(${status}\\)$`));
      assertWithinSlackLimits('message', card);
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
    assert.match(
      shown(approvalCard(view(extensionDenied()), NOW)),
      /Extension denied by lead-a@example\.com .*enough for today/,
    );
  });
});

describe('reviewCard', () => {
  test('offers Review until someone reviewed it', () => {
    const card = reviewCard(view(breakGlassGrant()), NOW);
    assert.deepEqual(
      buttons(card.blocks).map((b) => [b.action_id, b.value]),
      [[SlackAction.Review, ID]],
    );
    assert.match(shown(card), /Granted immediately \(break-glass\)/);
    assertWithinSlackLimits('message', card);
  });

  test('then says who reviewed it, with no button', () => {
    const card = reviewCard(view(breakGlassGrant({ reviewedBy: LEAD_B })), NOW);
    assert.deepEqual(buttons(card.blocks), []);
    assert.match(shown(card), /Reviewed by lead-b@example\.com/);
  });
});

describe('approvalSummary', () => {
  test('is a section and the two buttons, with requester, title and progress', () => {
    const blocks = approvalSummary(view(state('pending', { decisions: [approval(LEAD_A)] })), NOW);
    assert.deepEqual(blockTypes(blocks), ['section', 'actions']);
    assert.deepEqual(
      buttons(blocks).map((b) => [b.action_id, b.value]),
      [
        [SlackAction.Approve, ID],
        [SlackAction.Deny, ID],
      ],
    );
    assert.match(
      shown(blocks),
      /<@U123ABC> \(dev@example\.com\) · \*Production admin\* on AWS production .* · 2h\n>rotate/,
    );
    assert.match(shown(blocks), /1 of 2 approvals/);
  });
});
