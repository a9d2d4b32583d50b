import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { capPlan } from '../../../domain/cleanup/plan';
import type { CleanupItem, CleanupPlan } from '../../../domain/cleanup/model';

/** A run takes on at most so many changes: the biggest removals first, the rest held for the next run. */

function item(name: string, actions: number): CleanupItem {
  return {
    itemId: `narrow-policy:aws-inline-policy:${name}`,
    systemId: 'aws-prod',
    change: 'narrow-policy',
    object: { kind: 'aws-inline-policy', key: name, name },
    identities: [{ id: `arn:aws:iam::111122223333:role/${name}`, name, kind: 'aws-iam-role' }],
    removeActions: Array.from({ length: actions }, (_, k) => `s3:Action${k}`),
    actions,
    reason: 'unused',
    owners: [],
  };
}

const plan = (items: CleanupItem[]): CleanupPlan => ({
  systemId: 'aws-prod',
  cloud: 'aws',
  mode: 'report',
  collectionRunId: 'run-1',
  window: { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
  plannedAt: '2026-12-01T00:00:00.000Z',
  items,
  holds: [],
  counts: {
    identities: items.length,
    items: items.length,
    actions: items.reduce((n, i) => n + i.actions!, 0),
    holds: 0,
  },
});

describe('capPlan', () => {
  it('keeps a plan within the limit as it is', () => {
    const small = plan([item('a', 3), item('b', 1)]);
    assert.equal(capPlan(small, 2), small);
  });

  it('keeps the biggest removals and defers the rest, one hold per identity, counts recomputed', () => {
    const capped = capPlan(plan([item('a', 1), item('b', 5), item('c', 3), item('d', 3)]), 2);
    assert.deepEqual(
      capped.items.map((i) => i.object.name),
      ['b', 'c'],
    );
    assert.deepEqual(
      capped.holds.map((h) => [h.identityName, h.reason, h.actions]),
      [
        ['a', 'deferred', 1],
        ['d', 'deferred', 3],
      ],
    );
    assert.match(capped.holds[0]!.detail, /more than 2 changes in this run/);
    assert.deepEqual(capped.counts, { identities: 4, items: 2, actions: 8, holds: 2 });
  });
});
