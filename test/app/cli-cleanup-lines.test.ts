import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planLines } from '../../app/cli/cleanup';
import type { CleanupPlan } from '../../domain/cleanup/model';
import type { AuthorizationSystem } from '../../domain/policy/schema';

/** `least cleanup plan` and `show` print an own copy like any item, saying it waits for an explicit Remove. */

const ROLE = 'arn:aws:iam::123456789012:role/reader';
const POLICY = 'arn:aws:iam::123456789012:policy/shared';

describe('least cleanup plan: an own copy', () => {
  test('one line for the change and its reason, the actions it leaves out, and that it needs a Remove', () => {
    const plan: CleanupPlan = {
      systemId: 'aws-prod',
      cloud: 'aws',
      mode: 'enforce',
      collectionRunId: 'run-1',
      window: { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
      plannedAt: '2026-12-01T00:00:00.000Z',
      items: [
        {
          itemId: `own-copy:aws-policy-attachment:${ROLE}|${POLICY}`,
          systemId: 'aws-prod',
          change: 'own-copy',
          object: { kind: 'aws-policy-attachment', key: `${ROLE}|${POLICY}`, name: 'shared on reader' },
          identities: [{ id: ROLE, name: 'reader', kind: 'aws-iam-role' }],
          removeActions: ['s3:PutObject', 'sqs:SendMessage'],
          actions: 2,
          reason: 'its own copy of shared keeps 1 of its 3 actions and leaves out 2 never used in the 90-day window',
          explicitOnly: true,
          owners: ['reader@example.com'],
        },
      ],
      holds: [],
      counts: { identities: 1, items: 1, actions: 2, holds: 0 },
    };
    const system = { id: 'aws-prod', cloud: 'aws' } as AuthorizationSystem;
    assert.deepEqual(planLines(system, plan).slice(1), [
      '  own-copy shared on reader (reader) — its own copy of shared keeps 1 of its 3 actions and leaves out 2 never used in the 90-day window',
      '    removes 2: s3:PutObject, sqs:SendMessage',
      "    changed only on an owner's explicit Remove, never on silence",
      `    id own-copy:aws-policy-attachment:${ROLE}|${POLICY}; owners reader@example.com`,
    ]);
  });
});
