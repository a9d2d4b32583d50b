import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Button } from '@slack/types';
import { requesterThreadParent, requesterUpdate, submittedReply } from '../../../../bot/render/slack/requester';
import { SlackAction } from '../../../../bot/render/slack/ids';
import type { Notice, NoticeKind } from '../../../../domain/notice';
import type { RequestState, RequestStatus } from '../../../../domain/request';
import { assertWithinSlackLimits } from '../../../support/checks/block-kit-limits';
import { approval, buttons, ID, LEAD_A, NOW, shown, state, view } from './fixtures';

const update = (kind: NoticeKind, s: RequestState, detail?: string) => {
  const notice: Notice = { kind, state: s, ...(detail ? { detail } : {}) };
  const message = requesterUpdate(notice, view(s), NOW);
  assertWithinSlackLimits('message', message);
  return message;
};

describe('requesterThreadParent', () => {
  const expected: [RequestStatus, RegExp][] = [
    ['pending', /⏳ Waiting for approval: 0 of 2 approvals/],
    ['approved', /Approved; access is being applied/],
    ['active', /🟢 Granted until <!date\^\d+\^.*\(42m left\)/],
    ['revoked', /🔒 Revoked \(expired\)/],
    ['denied', /⛔ Denied by lead-a@example\.com .*Reason: use the read replica/],
    ['expired', /Expired without a decision/],
    ['failed', /Failed: AccessDenied/],
    ['cancelled', /Cancelled by dev@example\.com/],
  ];
  for (const [status, line] of expected) {
    test(`${status}: says where the request stands, with End now only while active`, () => {
      const parent = requesterThreadParent(view(state(status)), NOW);
      assert.match(shown(parent), line);
      assert.match(shown(parent), /\*Production admin\* on AWS production \(123456789012\) for 2h/);
      assert.match(shown(parent), new RegExp(ID));
      assert.match(parent.text, new RegExp(`Your request for Production admin: ${status}`));
      assert.deepEqual(
        buttons(parent.blocks).map((b) => [b.action_id, b.value, b.style]),
        status === 'active' ? [[SlackAction.EndNow, ID, 'danger']] : [],
      );
      assertWithinSlackLimits('message', parent);
    });
  }

  test('End now asks for confirmation first', () => {
    const parent = requesterThreadParent(view(state('active')), NOW);
    const end = JSON.stringify(parent.blocks);
    assert.match(end, /"confirm":\{"title":\{"type":"plain_text","text":"End access now\?"\}/);
    assert.match(end, /"text":\{"type":"mrkdwn","text":"Your access to \*Production admin\* ends now/);
  });
});

describe('requesterUpdate', () => {
  test('approved names the approvers', () => {
    assert.match(shown(update('approved', state('approved'))), /Approved by lead-a@example\.com, lead-b@example\.com/);
  });

  test('denied says who and why, escaped', () => {
    const denied = state('denied', {
      decisions: [
        {
          approver: LEAD_A,
          verdict: 'deny',
          reason: 'use the <!channel> read replica',
          at: NOW.toISOString(),
          stage: 'request',
        },
      ],
    });
    const message = update('denied', denied);
    assert.match(shown(message), /Denied by lead-a@example\.com .*Reason: use the &lt;!channel&gt; read replica/);
    assert.ok(!JSON.stringify(message).includes('<!channel>'));
  });

  test('granted says how to use it, with a link button to the portal and the end time', () => {
    const message = update('granted', state('active'));
    assert.match(shown(message), /You have \*Production admin\* until <!date\^\d+\^.*\(42m left\)/);
    assert.match(shown(message), /How to use it\*\nSign in to the AWS access portal/);
    assert.deepEqual(
      buttons(message.blocks).map((b) => [b.action_id, b.url]),
      [[SlackAction.OpenAccess, 'https://example.awsapps.com/start']],
    );
  });

  test('granted offers no link for a URL that is not https', () => {
    for (const url of [
      'javascript:alert(1)',
      'http://example.com',
      'https://x.example/<!channel>',
      `https://x.example/${'a'.repeat(3000)}`,
    ]) {
      const message = update('granted', state('active', { access: { summary: 'use it', url } }));
      assert.deepEqual(buttons(message.blocks), [], url.slice(0, 40));
    }
  });

  test('expiring-soon offers only the extensions that fit, and End now', () => {
    const offered = (overrides: Parameters<typeof state>[1]) =>
      buttons(update('expiring-soon', state('active', overrides)).blocks).map(
        (b: Pick<Button, 'action_id' | 'value'>) => [b.action_id, b.value],
      );
    const end = [SlackAction.EndNow, ID];
    // 2h asked, 8h at most in all: both fit.
    assert.deepEqual(offered({}), [[SlackAction.Extend, `${ID} 30m`], [SlackAction.Extend, `${ID} 1h`], end]);
    // 45 minutes of room: only 30m.
    assert.deepEqual(
      offered({
        rules: { extension: { allowed: true, maxTotalSeconds: 2 * 3600 + 45 * 60, requiresApproval: false } },
      }),
      [[SlackAction.Extend, `${ID} 30m`], end],
    );
    // Exactly an hour left to give, counting earlier extensions.
    assert.deepEqual(offered({ extendedSeconds: 5 * 3600 }), [
      [SlackAction.Extend, `${ID} 30m`],
      [SlackAction.Extend, `${ID} 1h`],
      end,
    ]);
    assert.deepEqual(offered({ extendedSeconds: 5 * 3600 + 60 }), [[SlackAction.Extend, `${ID} 30m`], end]);
    assert.deepEqual(offered({ extendedSeconds: 6 * 3600 - 60 }), [end]);
    assert.deepEqual(
      offered({ rules: { extension: { allowed: false, maxTotalSeconds: 8 * 3600, requiresApproval: false } } }),
      [end],
    );
    assert.deepEqual(
      offered({
        pendingExtension: { requestedBy: 'dev@example.com', additionalSeconds: 1800, requestedAt: NOW.toISOString() },
      }),
      [end],
    );
  });

  test('expiring-soon says when it ends and whether it can still be extended', () => {
    assert.match(
      shown(update('expiring-soon', state('active'))),
      /ends at <!date\^\d+\^.*\(42m left\)\. Extend it if you still need it\./,
    );
    const approvalNeeded = state('active', {
      rules: { extension: { allowed: true, maxTotalSeconds: 8 * 3600, requiresApproval: true } },
    });
    assert.match(shown(update('expiring-soon', approvalNeeded)), /an approver will be asked/);
    assert.match(
      shown(update('expiring-soon', state('active', { extendedSeconds: 6 * 3600 }))),
      /cannot be extended further/,
    );
  });

  test('extension steps name the length', () => {
    assert.match(
      shown(update('extended', state('active', { extendedSeconds: 3600 }), '1h')),
      /extended by \+1h; it now ends at <!date/,
    );
    assert.match(
      shown(update('extension-requested', state('active'), '30m')),
      /extension of \*Production admin\* by \+30m is waiting for approval/,
    );
    const denied = state('active', {
      decisions: [
        approval(LEAD_A),
        { approver: LEAD_A, verdict: 'deny', reason: 'enough', at: NOW.toISOString(), stage: 'extension' },
      ],
    });
    assert.match(
      shown(update('extension-denied', denied, '1h')),
      /Extension denied by lead-a@example\.com .*Reason: enough\n\*Production admin\* still ends at/,
    );
  });

  test('revoked carries the end reason, who ended it and the verification receipt', () => {
    const message = update(
      'revoked',
      state('revoked', { endedBy: 'dev@example.com', endReason: 'ended early by the holder' }),
    );
    assert.match(shown(message), /Revoked \(ended early by the holder\) by dev@example\.com/);
    assert.match(shown(message), /Verified: Identity Center lists no assignment of ps-1/);
    assert.doesNotMatch(shown(update('revoked', state('revoked'))), /by expiry/, 'the clock is not a person');
  });

  test('failed prefers the notice detail over the recorded failure', () => {
    assert.match(shown(update('failed', state('failed'))), /AccessDenied: sso:CreateAccountAssignment/);
    assert.match(
      shown(update('failed', state('active'), 'Revocation is retrying: throttled')),
      /Revocation is retrying: throttled/,
    );
  });

  test('expired, cancelled and break-glass each say what it means for the requester', () => {
    assert.match(shown(update('expired', state('expired'))), /Nobody decided on \*Production admin\* in time/);
    assert.match(
      shown(update('cancelled', state('cancelled'))),
      /Cancelled by dev@example\.com.*\nNothing was granted/,
    );
    assert.match(
      shown(update('break-glass', state('active', { outcome: 'break-glass' }))),
      /you got \*Production admin\* immediately.*a review follows/,
    );
  });
});

describe('submittedReply', () => {
  test('gives the request id and who must approve, never the requester', () => {
    const reply = submittedReply(view(state('pending')), NOW);
    assert.match(shown(reply), new RegExp(`Request \`${ID}\` sent: \\*Production admin\\* on AWS production`));
    assert.match(shown(reply), /Waiting for 2 approvals from lead-a@example\.com, lead-b@example\.com\./);
    assert.doesNotMatch(shown(reply), /from dev@example\.com/);
    assertWithinSlackLimits('message', reply);
  });

  test('auto-approved and break-glass say so instead', () => {
    assert.match(
      shown(submittedReply(view(state('approved', { outcome: 'auto-approved' })), NOW)),
      /Auto-approved by policy/,
    );
    assert.match(
      shown(submittedReply(view(state('pending', { outcome: 'break-glass' })), NOW)),
      /Break-glass.*without approval/,
    );
    assert.match(
      shown(submittedReply(view(state('pending', { rules: { requiredApprovals: 1 } })), NOW)),
      /Waiting for 1 approval from/,
    );
  });
});
