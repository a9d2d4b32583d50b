import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@temporalio/client';
import { AccessClient } from '../../bot/access-client';
import { rejectionAuditor } from '../../bot/rejections';
import type { PgStore } from '../../activities/store/pg-store';
import { newRequestId } from '../../app/ids';
import { policySchema } from '../../domain/policy/schema';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { waitUntil } from '../support/checks/assertions';

let db: TestDatabase;
let store: PgStore;
let access: AccessClient;

before(async () => {
  ({ db, store } = await freshStore());
  // The access client the bot builds: refusals go through the store's audit append. Rejections never reach Temporal.
  access = new AccessClient({
    temporal: new Client(),
    taskQueue: 'least-rejections',
    policy: () => policySchema.parse({ version: 1, authorizationSystems: [], entitlements: [] }),
    heldEntitlements: (requester) => store.heldEntitlements(requester),
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    newRequestId,
  });
});
after(async () => {
  await store.close();
  await db.drop();
});

/** What an auditor reads: the rejection entries of one action and their counts. */
async function rejectionCounts(action: string): Promise<number[]> {
  const rows = await store.auditFor(undefined, 1000);
  return rows.filter((row) => row.action === action).map((row) => Number(row.detail.count));
}

const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

describe('rejected requests in the audit log', () => {
  test('a burst is counted in full once its window ends, with no later rejection to carry it', async () => {
    const action = 'slack.request.rejected';
    const rejected = rejectionAuditor(access, 'slack:unverified', action, { platform: 'slack' }, { windowMs: 300 });
    for (let i = 0; i < 200; i++) rejected();

    await waitUntil(async () => sum(await rejectionCounts(action)) === 200, 'all 200 rejections are audited');
    const counts = await rejectionCounts(action);
    assert.equal(sum(counts), 200);
    assert.ok(counts.length <= 2, `one window writes at most two entries, wrote ${counts.length}`);
    await rejected.close();
  });

  test('closing the front end writes the open window at once', async () => {
    const action = 'teams.request.rejected';
    const rejected = rejectionAuditor(access, 'teams:unverified', action, { platform: 'teams' });
    for (let i = 0; i < 50; i++) rejected();

    await rejected.close();
    assert.equal(sum(await rejectionCounts(action)), 50);
  });
});
