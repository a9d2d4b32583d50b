import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CleanupDenials } from '../../../activities/store/cleanup/denials';
import type { CleanupStore } from '../../../activities/store/cleanup/store';
import type { InventoryStore } from '../../../activities/store/inventory/store';
import type { CleanupItem, CleanupPlan } from '../../../domain/cleanup/model';
import type { UsageDay } from '../../../domain/inventory/model';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/**
 * The denied-call watch's query on PostgreSQL: calls denied, in one collection, to what a cleanup
 * removed — by the item's identities, to its removed actions (case aside), on the removal's day or
 * later — and each told once.
 */

const SYSTEM = 'aws-prod';
const OPERATOR = 'arn:aws:iam::123456789012:role/cleanup-operator';
const AUDITOR = 'arn:aws:iam::123456789012:role/auditor';
const STRANGER = 'arn:aws:iam::123456789012:role/someone-else';
const REMOVED_AT = '2026-11-28T10:00:00.000Z';
/** The watch looks back 90 days from its collection, 2026-12-05. */
const SINCE = '2026-09-06T00:00:00.000Z';

let db: TestDatabase;
let inventory: InventoryStore;
let cleanup: CleanupStore;
let denials: CleanupDenials;

after(async () => {
  await db?.drop();
});

function narrow(role: string, name: string, removeActions: string[], systemId = SYSTEM): CleanupItem {
  return {
    itemId: `narrow-policy:aws-inline-policy:${role}#${name}`,
    systemId,
    change: 'narrow-policy',
    object: { kind: 'aws-inline-policy', key: `${role}#${name}`, name },
    identities: [{ id: role, name: role.split('/').pop()!, kind: 'aws-iam-role' }],
    removeActions,
    reason: 'unused for 90 days',
    owners: ['ops@example.com'],
  };
}

/** A cleanup run whose items were removed at the given times (restored when asked). */
async function removedRun(
  runId: string,
  items: { item: CleanupItem; removedAt: string; restored?: boolean }[],
  systemId = SYSTEM,
): Promise<void> {
  const plan: CleanupPlan = {
    systemId,
    cloud: 'aws',
    mode: 'enforce',
    collectionRunId: 'collect-before',
    window: { from: '2026-08-01T00:00:00.000Z', to: '2026-10-30T00:00:00.000Z' },
    plannedAt: '2026-10-30T00:00:00.000Z',
    items: items.map((i) => i.item),
    holds: [],
    counts: { identities: items.length, items: items.length, actions: 0, holds: 0 },
  };
  await cleanup.saveRun(runId, plan, { trigger: 'schedule' });
  for (const { item, removedAt, restored } of items) {
    await cleanup.setOutcome(runId, item.itemId, 'removed', 'policy version v3 is the default');
    if (restored) await cleanup.restored(runId, item.itemId, 'ops@example.com', 'v2 is the default again');
    await db.pool.query('UPDATE cleanup_items SET outcome_at = $3 WHERE run_id = $1 AND item_id = $2', [
      runId,
      item.itemId,
      removedAt,
    ]);
  }
}

function use(identityId: string, action: string, day: string, denied: number, count = 0): UsageDay {
  return { systemId: SYSTEM, identityId, action, day, count, denied };
}

/** A finished collection of the system holding these usage rows. */
async function collection(runId: string, usage: UsageDay[], systemId = SYSTEM): Promise<void> {
  await inventory.beginRun({
    runId,
    systemId,
    windowFrom: '2026-09-06T00:00:00.000Z',
    windowTo: '2026-12-05T00:00:00.000Z',
    catalogues: { aws: 'iam-data test' },
  });
  await inventory.sink(runId).usage(usage.map((u) => ({ ...u, systemId })));
  await inventory.finishRun(runId);
}

const operatorItem = narrow(OPERATOR, 'deploy', ['iam:passrole', 's3:PutObject']);

before(async () => {
  let store;
  ({ db, store } = await freshStore());
  inventory = store.inventory;
  cleanup = store.cleanup;
  denials = store.cleanupDenials;
  await removedRun('cleanup-1', [
    { item: operatorItem, removedAt: REMOVED_AT },
    { item: narrow(AUDITOR, 'audit', ['s3:PutObject']), removedAt: REMOVED_AT, restored: true },
  ]);
  // removed long ago: no longer watched
  await removedRun('cleanup-0', [
    { item: narrow(OPERATOR, 'old', ['s3:DeleteObject']), removedAt: '2026-06-01T00:00:00.000Z' },
  ]);
  // another system's cleanup of an identity of the same id
  await removedRun(
    'cleanup-other',
    [{ item: narrow(OPERATOR, 'x', ['s3:PutObject'], 'aws-dev'), removedAt: REMOVED_AT }],
    'aws-dev',
  );
  await collection('inv-1', [
    use(OPERATOR, 's3:PutObject', '2026-12-03', 14),
    use(OPERATOR, 'iam:PassRole', '2026-11-28', 2), // the removal's own day, spelled otherwise
    use(OPERATOR, 's3:PutObject', '2026-11-27', 3), // before the removal
    use(OPERATOR, 's3:PutObject', '2026-12-04', 0, 9), // used, not denied (someone put it back)
    use(OPERATOR, 's3:GetObject', '2026-12-03', 7), // not removed
    use(OPERATOR, 's3:DeleteObject', '2026-12-03', 4), // removed by a run older than the watch
    use(STRANGER, 's3:PutObject', '2026-12-03', 5), // another identity
    use(AUDITOR, 's3:PutObject', '2026-12-03', 6), // its removal was restored
  ]);
});

describe('cleanup denials', () => {
  test('calls denied after a removal, by its identity, to a removed action; the rest are left out', async () => {
    assert.deepEqual(await denials.untold(SYSTEM, 'inv-1', SINCE), [
      {
        runId: 'cleanup-1',
        itemId: operatorItem.itemId,
        removedAt: REMOVED_AT,
        identityId: OPERATOR,
        action: 'iam:PassRole',
        day: '2026-11-28',
        denied: 2,
      },
      {
        runId: 'cleanup-1',
        itemId: operatorItem.itemId,
        removedAt: REMOVED_AT,
        identityId: OPERATOR,
        action: 's3:PutObject',
        day: '2026-12-03',
        denied: 14,
      },
    ]);
  });

  test('a collection of another system reads nothing of this one', async () => {
    assert.deepEqual(await denials.untold('aws-dev', 'inv-1', SINCE), []);
  });

  test('each denied call is told once, whatever later collections hold', async () => {
    const found = await denials.untold(SYSTEM, 'inv-1', SINCE);
    await denials.markTold(found, 'inv-1');
    await denials.markTold(found, 'inv-1'); // a retried activity
    assert.deepEqual(await denials.untold(SYSTEM, 'inv-1', SINCE), []);

    // the next collection holds the same days again (more calls by then), and a new one
    await collection('inv-2', [
      use(OPERATOR, 's3:PutObject', '2026-12-03', 20),
      use(OPERATOR, 'iam:PassRole', '2026-11-28', 2),
      use(OPERATOR, 'S3:PUTOBJECT', '2026-12-05', 1),
    ]);
    assert.deepEqual(
      (await denials.untold(SYSTEM, 'inv-2', SINCE)).map((d) => [d.action, d.day, d.denied]),
      [['S3:PUTOBJECT', '2026-12-05', 1]],
    );
    const told = await db.pool.query(
      'SELECT action, to_char(day, $1) AS day, denied, collection_run_id FROM cleanup_denials_told ORDER BY day',
      ['YYYY-MM-DD'],
    );
    assert.deepEqual(told.rows, [
      { action: 'iam:passrole', day: '2026-11-28', denied: 2, collection_run_id: 'inv-1' },
      { action: 's3:putobject', day: '2026-12-03', denied: 14, collection_run_id: 'inv-1' },
    ]);
  });

  test('an item restored after its calls were read is no longer watched', async () => {
    await cleanup.restored('cleanup-1', operatorItem.itemId, 'ops@example.com', 'v2 is the default again');
    assert.deepEqual(await denials.untold(SYSTEM, 'inv-2', SINCE), []);
  });
});
