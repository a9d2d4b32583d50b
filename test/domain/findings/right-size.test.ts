import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { narrowerEntitlement, usedActions } from '../../../domain/findings/right-size';

const candidate = (entitlementId: string, actions: string[]) => ({
  entitlementId,
  title: entitlementId,
  actions: new Set(actions.map((a) => a.toLowerCase())),
});

describe('right-size at revoke', () => {
  const candidates = [
    candidate('s3-read', ['s3:GetObject', 's3:ListBucket']),
    candidate('s3-get', ['s3:GetObject']),
    candidate('logs-read', ['logs:GetLogEvents']),
  ];

  test('the narrowest entitlement that grants every used action', () => {
    assert.deepEqual(narrowerEntitlement(['s3:GetObject'], 180, candidates), {
      entitlementId: 's3-get',
      title: 's3-get',
      actions: 1,
    });
    assert.deepEqual(narrowerEntitlement(['S3:GETOBJECT', 's3:ListBucket'], 180, candidates)?.entitlementId, 's3-read');
  });

  test('none when nothing covers the use, nothing was used, or the lease was no bigger', () => {
    assert.equal(narrowerEntitlement(['s3:GetObject', 'logs:GetLogEvents'], 180, candidates), undefined);
    assert.equal(narrowerEntitlement([], 180, candidates), undefined, 'no use is no evidence of need');
    assert.equal(narrowerEntitlement(['s3:GetObject'], 1, candidates), undefined, 'nothing narrower than 1 action');
    assert.equal(narrowerEntitlement(['s3:GetObject'], undefined, candidates), undefined, 'size of the lease unknown');
  });

  test('ties go to the entitlement id, so the answer is stable', () => {
    const twins = [candidate('b-get', ['s3:GetObject']), candidate('a-get', ['s3:GetObject'])];
    assert.equal(narrowerEntitlement(['s3:GetObject'], 10, twins)?.entitlementId, 'a-get');
  });

  test('used actions: most used first, unused left out', () => {
    assert.deepEqual(
      usedActions(
        new Map([
          ['s3:ListBucket', 1],
          ['s3:GetObject', 3],
          ['s3:PutObject', 0],
          ['ec2:DescribeInstances', 1],
        ]),
      ),
      [
        { action: 's3:GetObject', count: 3 },
        { action: 'ec2:DescribeInstances', count: 1 },
        { action: 's3:ListBucket', count: 1 },
      ],
    );
  });
});
