import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { coveredSpans, usageVerdict, type UsageEvidence } from '../../../domain/inventory/coverage';
import type { AccessLevel, Coverage } from '../../../domain/inventory/model';

const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' };

function covering(from: string, to: string, extra: Partial<Coverage> = {}): Coverage {
  return {
    systemId: 'aws-prod',
    identityId: 'arn:aws:iam::111122223333:role/app',
    source: 'cloudtrail',
    granularity: 'action-day',
    from,
    to,
    actions: 'all',
    ...extra,
  };
}

const getObject: Omit<UsageEvidence, 'coverage'> = { action: 's3:GetObject', accessLevels: ['Read'], window };
const putPolicy: Omit<UsageEvidence, 'coverage'> = {
  action: 'iam:PutRolePolicy',
  accessLevels: ['Permissions management', 'Write'],
  window,
};

describe('usageVerdict', () => {
  test('used when the last use falls in the window, whatever the coverage', () => {
    assert.equal(usageVerdict({ ...getObject, lastUsed: '2026-02-10T08:00:00Z', coverage: [] }), 'used');
    assert.equal(usageVerdict({ ...getObject, lastUsed: window.from, coverage: [] }), 'used');
  });

  test('unused when a per-action source covers the whole window and saw no use', () => {
    const coverage = [covering(window.from, window.to)];
    assert.equal(usageVerdict({ ...getObject, coverage }), 'unused');
    assert.equal(usageVerdict({ ...getObject, lastUsed: '2025-11-02T00:00:00Z', coverage }), 'unused');
  });

  test('unknown when coverage starts after the window does (a trail turned on late)', () => {
    const coverage = [covering('2026-02-01T00:00:00Z', window.to)];
    assert.equal(usageVerdict({ ...getObject, coverage }), 'unknown');
    assert.equal(usageVerdict({ ...getObject, coverage: [] }), 'unknown');
  });

  test('unknown when coverage has a gap; spans of several sources add up when they meet', () => {
    const gap = [covering(window.from, '2026-02-01T00:00:00Z'), covering('2026-02-03T00:00:00Z', window.to)];
    assert.equal(usageVerdict({ ...getObject, coverage: gap }), 'unknown');
    const joined = [
      covering('2026-02-01T00:00:00Z', window.to, { source: 'access-advisor', granularity: 'action' }),
      covering(window.from, '2026-01-31T23:59:59.999Z'),
    ];
    assert.equal(usageVerdict({ ...getObject, coverage: joined }), 'unused');
  });

  test('a writes-only source vouches for a write but never for a Read action', () => {
    const coverage = [covering(window.from, window.to, { source: 'activity-log', actions: 'writes' })];
    assert.equal(usageVerdict({ ...putPolicy, coverage }), 'unused');
    assert.equal(usageVerdict({ ...getObject, coverage }), 'unknown');
    assert.equal(usageVerdict({ ...getObject, accessLevels: [], coverage }), 'unknown');
  });

  test('a service-level source vouches only when the service itself shows no use in the window', () => {
    const coverage = [covering(window.from, window.to, { source: 'access-advisor', granularity: 'service' })];
    assert.equal(usageVerdict({ ...getObject, coverage }), 'unused');
    assert.equal(usageVerdict({ ...getObject, serviceLastUsed: '2025-12-01T00:00:00Z', coverage }), 'unused');
    assert.equal(usageVerdict({ ...getObject, serviceLastUsed: '2026-03-01T00:00:00Z', coverage }), 'unknown');
  });

  test('a last-activity source vouches only for an identity inactive through the window', () => {
    const coverage = [covering(window.from, window.to, { source: 'last-used', granularity: 'last-activity' })];
    assert.equal(usageVerdict({ ...getObject, identityLastActivity: '2025-06-01T00:00:00Z', coverage }), 'unused');
    assert.equal(usageVerdict({ ...getObject, identityLastActivity: '2026-03-01T00:00:00Z', coverage }), 'unknown');
  });

  test('a source limited to some services, or blind to data events, does not vouch for the rest', () => {
    const onlyIam = [covering(window.from, window.to, { source: 'access-advisor', services: ['iam'] })];
    assert.equal(usageVerdict({ ...putPolicy, coverage: onlyIam }), 'unused');
    assert.equal(usageVerdict({ ...getObject, coverage: onlyIam }), 'unknown');
    const noDataEvents = [covering(window.from, window.to, { exceptActions: ['s3:*Object*'] })];
    assert.equal(usageVerdict({ ...getObject, coverage: noDataEvents }), 'unknown');
    assert.equal(usageVerdict({ ...putPolicy, coverage: noDataEvents }), 'unused');
  });

  test('unreadable times never become evidence of non-use', () => {
    const coverage = [covering(window.from, window.to)];
    assert.equal(usageVerdict({ ...getObject, lastUsed: 'yesterday', coverage }), 'unknown');
    assert.equal(usageVerdict({ ...getObject, coverage: [covering('soon', window.to)] }), 'unknown');
    assert.equal(usageVerdict({ ...getObject, window: { from: 'x', to: window.to }, coverage }), 'unknown');
    const service = [covering(window.from, window.to, { granularity: 'service' })];
    assert.equal(usageVerdict({ ...getObject, serviceLastUsed: 'garbage', coverage: service }), 'unknown');
  });
});

describe('usageVerdict with a source that speaks for one document', () => {
  // A member with two roles and a Recommender insight for one of them (editor): the insight covers
  // the editor's permissions only.
  const editor = 'sha256:editor';
  const bucketReader = 'sha256:bucket-reader';
  const insight = [
    covering(window.from, window.to, {
      identityId: 'user:ada@example.com',
      source: 'recommender',
      granularity: 'window-total',
      documentId: editor,
    }),
  ];
  const permission = (action: string, documents: string[]): Omit<UsageEvidence, 'coverage'> => ({
    action,
    accessLevels: ['Write'],
    window,
    documents,
  });

  test("the insight role's unexercised permissions are unused", () => {
    assert.equal(usageVerdict({ ...permission('compute.instances.delete', [editor]), coverage: insight }), 'unused');
  });

  test("the other role's permissions are unknown", () => {
    assert.equal(usageVerdict({ ...permission('storage.objects.get', [bucketReader]), coverage: insight }), 'unknown');
    assert.equal(usageVerdict({ ...permission('storage.objects.get', []), coverage: insight }), 'unknown');
    const { documents: _none, ...undocumented } = permission('storage.objects.get', []);
    assert.equal(
      usageVerdict({ ...undocumented, coverage: insight }),
      'unknown',
      'no documents named: not vouched for',
    );
  });

  test('a permission both roles grant is covered by the insight of either', () => {
    assert.equal(
      usageVerdict({ ...permission('storage.buckets.get', [bucketReader, editor]), coverage: insight }),
      'unused',
    );
  });

  test('an exercised permission is used, and a source for every document still vouches', () => {
    const used = { ...permission('compute.instances.get', [editor]), lastUsed: '2026-03-31T00:00:00Z' };
    assert.equal(usageVerdict({ ...used, coverage: insight }), 'used');
    const trail = [covering(window.from, window.to)];
    assert.equal(usageVerdict({ ...permission('storage.objects.get', [bucketReader]), coverage: trail }), 'unused');
  });
});

describe('coveredSpans', () => {
  test('merges overlapping and touching spans of the sources that can see the action', () => {
    const spans = coveredSpans(
      [
        covering('2026-03-01T00:00:00Z', '2026-03-10T00:00:00Z'),
        covering('2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z'),
        covering('2026-01-05T00:00:00Z', '2026-01-09T00:00:00Z'),
        covering('2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z'),
        covering('2026-02-01T00:00:00Z', '2026-02-02T00:00:00Z', { actions: 'writes' }),
      ],
      's3:GetObject',
      ['Read'],
    );
    assert.deepEqual(spans, [
      { from: '2026-01-01T00:00:00.000Z', to: '2026-01-09T00:00:00.000Z' },
      { from: '2026-03-01T00:00:00.000Z', to: '2026-03-10T00:00:00.000Z' },
    ]);
  });
});

describe('usageVerdict with a source refreshed before the window ends', () => {
  const day = 86_400_000;
  const endingBefore = (days: number, granularity: 'window-total' | 'action-day') => [
    covering(window.from, new Date(Date.parse(window.to) - days * day).toISOString(), {
      identityId: 'user:ada@example.com',
      source: granularity === 'window-total' ? 'recommender' : 'cloudtrail',
      granularity,
    }),
  ];
  const evidence = { action: 'compute.instances.delete', accessLevels: ['Write'] as AccessLevel[], window };

  test('a window-total source refreshed a day before the end vouches for the window, as of its refresh', () => {
    assert.equal(usageVerdict({ ...evidence, coverage: endingBefore(1, 'window-total') }), 'unused');
  });

  test('one refreshed three days before the end does not', () => {
    assert.equal(usageVerdict({ ...evidence, coverage: endingBefore(3, 'window-total') }), 'unknown');
  });

  test('a per-day source gets no such allowance: a missing last day is unknown', () => {
    assert.equal(usageVerdict({ ...evidence, coverage: endingBefore(1, 'action-day') }), 'unknown');
  });
});
