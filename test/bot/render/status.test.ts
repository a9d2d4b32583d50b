import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statusWording, timeLeft, type Dialect, type StatusWording } from '../../../bot/render/status';
import { RequestStatus, type RequestState } from '../../../domain/request';
import { approval, extensionDenied, LEAD_A, LEAD_B, NOW, PENDING_EXTENSION, state } from './fixtures';
import { hostileState } from './hostile';

/** Marks what each sentence hands to the dialect, and how long it may be, instead of escaping it. */
const MARKED: Dialect = {
  date: (iso) => `‹date ${iso}›`,
  line: (text, max) => `‹line ${max} ${text}›`,
  text: (text, max) => `‹text ${max} ${text}›`,
};
const words = statusWording(MARKED);

describe('statusWording', () => {
  const lines: [string, RequestState, string][] = [
    ['pending', state('pending'), '⏳ Waiting for approval: 0 of 2 approvals'],
    [
      'pending, one approval',
      state('pending', { decisions: [approval(LEAD_A)] }),
      '⏳ Waiting for approval: 1 of 2 approvals: ‹line 100 lead-a@example.com›',
    ],
    ['approved', state('approved'), '✅ Approved; access is being applied.'],
    ['active', state('active'), '🟢 Granted until ‹date 2024-05-01T10:42:00.000Z› (42m left)'],
    [
      'active, extension asked',
      state('active', { pendingExtension: PENDING_EXTENSION }),
      '🟢 Granted until ‹date 2024-05-01T10:42:00.000Z› (42m left) · extension by +1h waiting for approval',
    ],
    ['active, end unknown', state('active', { expiresAt: undefined }), '🟢 Granted'],
    ['revoked at expiry', state('revoked'), '🔒 Revoked (‹line 200 expired›) ‹date 2024-05-01T09:59:00.000Z›.'],
    [
      'denied',
      state('denied'),
      '⛔ Denied by ‹line 100 lead-a@example.com› ‹date 2024-05-01T09:05:00.000Z›. Reason: ‹text 500 use the read replica›',
    ],
    ['expired', state('expired'), '⌛ Expired without a decision.'],
    [
      'cancelled',
      state('cancelled'),
      '🚫 Cancelled by ‹line 100 dev@example.com› ‹date 2024-05-01T09:55:00.000Z›: ‹line 200 ended early by the holder›.',
    ],
    ['failed', state('failed'), '❗ Failed: ‹text 500 AccessDenied: sso:CreateAccountAssignment›'],
  ];
  for (const [name, s, expected] of lines) {
    test(`statusLine, ${name}`, () => assert.equal(words.statusLine(s, NOW), expected));
  }

  test('approvedLine names every approver with the last approval’s time, or how it got through without', () => {
    assert.equal(
      words.approvedLine(state('approved')),
      '✅ Approved by ‹line 100 lead-a@example.com›, ‹line 100 lead-b@example.com› ‹date 2024-05-01T09:05:00.000Z›',
    );
    assert.equal(words.approvedLine(state('pending')), undefined);
    assert.equal(words.approvedLine(state('active', { outcome: 'auto-approved' })), '✅ Auto-approved by policy.');
    assert.match(words.approvedLine(state('active', { outcome: 'break-glass' })) ?? '', /^🚨 Granted immediately/);
  });

  test('deniedLine tells an extension’s denial apart, and says when nobody gave a reason', () => {
    assert.equal(
      words.deniedLine(extensionDenied(), 'extension'),
      '⛔ Extension denied by ‹line 100 lead-a@example.com› ‹date 2024-05-01T10:00:00.000Z›. Reason: ‹text 500 enough for today›',
    );
    assert.equal(
      words.deniedLine(state('active'), 'extension'),
      '⛔ Extension denied by an approver. Reason: ‹text 500 none given›',
    );
  });

  test('waitingLine counts the approvals and names who may give them, never the requester', () => {
    assert.equal(
      words.waitingLine(state('pending')),
      '⏳ Waiting for 2 approvals from ‹line 100 lead-a@example.com›, ‹line 100 lead-b@example.com›. You will hear here when it is decided.',
    );
    assert.match(
      words.waitingLine(state('pending', { rules: { requiredApprovals: 1 } })),
      /Waiting for 1 approval from/,
    );
  });

  test('people names five and counts the rest; untilLine says where the end is unknown', () => {
    assert.equal(words.people([]), 'nobody');
    assert.equal(
      words.people(['1', '2', '3', '4', '5', '6', '7']),
      '‹line 100 1›, ‹line 100 2›, ‹line 100 3›, ‹line 100 4›, ‹line 100 5› and 2 more',
    );
    assert.equal(words.untilLine(state('active', { expiresAt: undefined }), NOW), 'its end');
  });

  test('outcomeLines: who approved once granted, where it stands, a denied extension and the time added', () => {
    assert.deepEqual(words.outcomeLines(extensionDenied({ extendedSeconds: 1800 }), NOW), {
      approved:
        '✅ Approved by ‹line 100 lead-a@example.com›, ‹line 100 lead-b@example.com› ‹date 2024-05-01T09:05:00.000Z›',
      status: '🟢 Granted until ‹date 2024-05-01T10:42:00.000Z› (42m left)',
      extensionDenied:
        '⛔ Extension denied by ‹line 100 lead-a@example.com› ‹date 2024-05-01T10:00:00.000Z›. Reason: ‹text 500 enough for today›',
      extended: 'Extended by 30m in all.',
    });
    assert.equal(words.outcomeLines(state('approved'), NOW).status, '⚙️ Access is being applied.');
    const denied = state('denied', { decisions: [approval(LEAD_B), ...state('denied').decisions] });
    assert.equal(words.outcomeLines(denied, NOW).approved, undefined, 'a denied request claims no approval');
  });

  test('everything a person, a policy or a cloud wrote reaches the sentences only through the dialect', () => {
    for (const status of Object.values(RequestStatus)) {
      const s = hostileState(status, 'USER', { pendingExtension: { ...PENDING_EXTENSION, requestedBy: 'USER' } });
      assert.deepEqual(unescaped(words, s), [], status);
    }
  });

  test('that check catches a sentence that quotes user text as it is', () => {
    const raw = statusWording({ date: (iso) => iso, line: (text) => text, text: (text) => text });
    assert.notDeepEqual(unescaped(raw, hostileState('denied', 'USER')), []);
  });
});

describe('timeLeft', () => {
  const at = (minutes: number, seconds = 0): string =>
    new Date(NOW.getTime() + minutes * 60_000 + seconds * 1000).toISOString();

  test('says how long is left, rounding partial minutes up', () => {
    assert.equal(timeLeft(at(42), NOW), '42m left');
    assert.equal(timeLeft(at(65), NOW), '1h 5m left');
    assert.equal(timeLeft(at(65, 1), NOW), '1h 6m left');
    assert.equal(timeLeft(at(120), NOW), '2h left');
    assert.equal(timeLeft(at(26 * 60), NOW), '1d 2h left');
    assert.equal(timeLeft(at(0, 30), NOW), '1m left');
  });

  test('says expired once the end has passed, and unknown for what is not a time', () => {
    assert.equal(timeLeft(at(0), NOW), 'expired');
    assert.equal(timeLeft(at(-5), NOW), 'expired');
    assert.equal(timeLeft('not a time', NOW), 'time left unknown');
  });
});

/** Every sentence about `s`, with what went through the dialect taken out: any `USER` left was not escaped. */
function unescaped(wording: StatusWording, s: RequestState): string[] {
  const sentences = [
    wording.statusLine(s, NOW),
    wording.approvedLine(s) ?? '',
    wording.deniedLine(s, 'request'),
    wording.deniedLine(s, 'extension'),
    wording.progressLine(s, 'request'),
    wording.progressLine(s, 'extension'),
    wording.untilLine(s, NOW),
    wording.waitingLine(s),
    wording.people(s.rules.approvers),
    ...Object.values(wording.outcomeLines(s, NOW)).filter((line) => line !== undefined),
  ];
  return sentences.filter((sentence) => sentence.replace(/‹[^›]*›/g, '').includes('USER'));
}
