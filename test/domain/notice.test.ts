import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { changesApproverCards, followsRequestIn, type NoticeKind } from '../../domain/notice';
import { initialState, type EntitlementRules, type Origin, type RequestState } from '../../domain/request';

function requestFrom(origin: Origin): RequestState {
  const rules = { entitlementId: 'aws-prod-admin', approvers: ['lead@example.com'] } as EntitlementRules;
  return initialState(
    {
      requestId: 'req-1',
      requester: 'dev@example.com',
      entitlementId: 'aws-prod-admin',
      durationSeconds: 3600,
      reason: 'rotate the database credentials',
      submittedAt: '2024-05-01T09:00:00.000Z',
      origin,
    },
    rules,
    'needs-approval',
  );
}

describe('followsRequestIn', () => {
  test('a request is followed on the platform it was made in', () => {
    const slack = requestFrom({ platform: 'slack', userId: 'U1' });
    assert.equal(followsRequestIn('slack', slack), true);
    assert.equal(followsRequestIn('teams', slack), false);
    const teams = requestFrom({ platform: 'teams', userId: '29:1' });
    assert.equal(followsRequestIn('teams', teams), true);
    assert.equal(followsRequestIn('slack', teams), false);
  });

  test('a request made by the CLI is followed wherever Least can reach the requester', () => {
    const cli = requestFrom({ platform: 'cli' });
    assert.equal(followsRequestIn('slack', cli), true);
    assert.equal(followsRequestIn('teams', cli), true);
  });
});

describe('changesApproverCards', () => {
  test('outcomes change the approvers’ cards; asks, reminders and the requester’s own news do not', () => {
    const changing: NoticeKind[] = [
      'approved',
      'denied',
      'expired',
      'cancelled',
      'failed',
      'granted',
      'revoked',
      'extended',
      'extension-denied',
    ];
    const unchanged: NoticeKind[] = [
      'approval-needed',
      'reminder',
      'expiring-soon',
      'extension-requested',
      'break-glass',
      'review-needed',
    ];
    for (const kind of changing) assert.equal(changesApproverCards(kind), true, kind);
    for (const kind of unchanged) assert.equal(changesApproverCards(kind), false, kind);
  });
});
