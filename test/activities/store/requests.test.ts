import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { transition } from '../../../domain/request';
import type { PgStore } from '../../../activities/store/pg-store';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { GCP_BILLING_VIEWER, activeRequest, pendingRequest } from './fixtures';

describe('requests and decisions', () => {
  let db: TestDatabase;
  let store: PgStore;
  before(async () => {
    ({ db, store } = await freshStore());
  });
  after(async () => {
    await db.drop();
  });

  test('a saved request comes back with its derived columns and the exact snapshot', async () => {
    const state = activeRequest({
      requestId: 'req-01',
      submittedAt: '2025-03-03T09:15:00.000Z',
      grantedAt: '2025-03-03T09:21:30.000Z',
    });
    const before = Date.now();
    await store.saveRequest(state);
    const record = await store.getRequest('req-01');
    assert.ok(record);
    const { updatedAt, ...rest } = record;
    assert.deepEqual(rest, {
      requestId: 'req-01',
      requester: 'maya.chen@example.com',
      entitlementId: 'prod-db-readonly',
      systemId: 'aws-prod',
      status: 'active',
      submittedAt: '2025-03-03T09:15:00.000Z',
      expiresAt: '2025-03-03T10:21:30.000Z',
      state,
    });
    assert.ok(Math.abs(Date.parse(updatedAt) - before) < 60_000, `updatedAt ${updatedAt} is about now`);
  });

  test('saving again updates the same row instead of adding one', async () => {
    const pending = pendingRequest({ requestId: 'req-02', submittedAt: '2025-03-03T10:00:00.000Z' });
    await store.saveRequest(pending);
    const first = await store.getRequest('req-02');
    assert.equal(first?.expiresAt, undefined);
    await store.saveRequest(transition(pending, 'cancelled'));
    const second = await store.getRequest('req-02');
    assert.equal(second?.status, 'cancelled');
    assert.equal(second?.state.status, 'cancelled');
    assert.ok(first && second && second.updatedAt >= first.updatedAt);
    const count = await db.pool.query(`SELECT count(*)::int AS n FROM requests WHERE request_id = 'req-02'`);
    assert.deepEqual(count.rows, [{ n: 1 }]);
  });

  test('an unknown request is undefined', async () => {
    assert.equal(await store.getRequest('req-does-not-exist'), undefined);
  });

  describe('listing', () => {
    before(async () => {
      await store.saveRequest(
        pendingRequest({
          requestId: 'req-10',
          requester: 'sam.ortiz@example.com',
          submittedAt: '2025-04-01T08:00:00.000Z',
        }),
      );
      await store.saveRequest(
        activeRequest({
          requestId: 'req-11',
          requester: 'sam.ortiz@example.com',
          submittedAt: '2025-04-02T08:00:00.000Z',
          grantedAt: '2025-04-02T08:05:00.000Z',
        }),
      );
      await store.saveRequest(
        transition(
          pendingRequest({
            requestId: 'req-12',
            requester: 'sam.ortiz@example.com',
            rules: GCP_BILLING_VIEWER,
            submittedAt: '2025-04-03T08:00:00.000Z',
          }),
          'denied',
        ),
      );
      await store.saveRequest(
        pendingRequest({
          requestId: 'req-13',
          requester: 'ada.berg@example.com',
          rules: GCP_BILLING_VIEWER,
          submittedAt: '2025-04-04T08:00:00.000Z',
        }),
      );
    });

    const ids = (records: { requestId: string }[]): string[] => records.map((record) => record.requestId);

    test('by requester, newest first, whatever the case of the address', async () => {
      assert.deepEqual(ids(await store.listRequests({ requester: 'Sam.Ortiz@Example.com' })), [
        'req-12',
        'req-11',
        'req-10',
      ]);
    });

    test('by status', async () => {
      assert.deepEqual(
        ids(await store.listRequests({ requester: 'sam.ortiz@example.com', statuses: ['pending', 'active'] })),
        ['req-11', 'req-10'],
      );
      assert.deepEqual(ids(await store.listRequests({ statuses: ['denied'] })), ['req-12']);
      assert.deepEqual(await store.listRequests({ statuses: [] }), []);
    });

    test('by approver: only requests where that person is one of the approvers', async () => {
      assert.deepEqual(ids(await store.listRequests({ approver: 'lena.fischer@example.com' })), ['req-13', 'req-12']);
      assert.deepEqual(ids(await store.listRequests({ approver: 'lena.fischer@example.com', statuses: ['pending'] })), [
        'req-13',
      ]);
      const forPriya = ids(await store.listRequests({ approver: 'priya.nair@example.com' }));
      assert.ok(forPriya.includes('req-10') && forPriya.includes('req-11'));
      assert.ok(!forPriya.includes('req-12') && !forPriya.includes('req-13'));
      assert.deepEqual(await store.listRequests({ approver: 'maya.chen@example.com' }), []);
    });

    test('everything, newest first, limited', async () => {
      const all = ids(await store.listRequests({}));
      assert.deepEqual(all.slice(0, 4), ['req-13', 'req-12', 'req-11', 'req-10']);
      assert.deepEqual(ids(await store.listRequests({ limit: 2 })), ['req-13', 'req-12']);
      assert.equal((await store.listRequests({ limit: 0 })).length, 1, 'a limit below 1 still returns a page');
    });

    test('the default page is 50 and no page is larger than 500', async () => {
      // Older than every other fixture, so the listing tests above see the same newest rows whenever they run.
      const start = Date.parse('2024-05-01T00:00:00.000Z');
      await Promise.all(
        Array.from({ length: 510 }, (_, index) =>
          store.saveRequest(
            pendingRequest({
              requestId: `req-bulk-${index}`,
              requester: 'bulk@example.com',
              submittedAt: new Date(start + index * 60_000).toISOString(),
            }),
          ),
        ),
      );
      assert.equal((await store.listRequests({ requester: 'bulk@example.com' })).length, 50);
      assert.equal((await store.listRequests({ requester: 'bulk@example.com', limit: 10_000 })).length, 500);
    });

    test('held entitlements: pending, approved or active requests only', async () => {
      // req-10 pending and req-11 active are both prod-db-readonly; req-12 was denied.
      assert.deepEqual(await store.heldEntitlements('sam.ortiz@example.com'), ['prod-db-readonly']);
      assert.deepEqual(await store.heldEntitlements('ada.berg@example.com'), ['billing-viewer']);
      assert.deepEqual(await store.heldEntitlements('nobody@example.com'), []);
      await store.saveRequest(
        transition(
          pendingRequest({
            requestId: 'req-13',
            requester: 'ada.berg@example.com',
            rules: GCP_BILLING_VIEWER,
            submittedAt: '2025-04-04T08:00:00.000Z',
          }),
          'expired',
        ),
      );
      assert.deepEqual(await store.heldEntitlements('ada.berg@example.com'), []);
    });
  });

  describe('decisions', () => {
    before(async () => {
      await store.saveRequest(pendingRequest({ requestId: 'req-20', submittedAt: '2025-06-01T12:00:00.000Z' }));
    });

    test('a repeated decision is recorded once and keeps the first verdict', async () => {
      const approve = {
        approver: 'priya.nair@example.com',
        verdict: 'approve',
        stage: 'request',
        at: '2025-06-01T12:03:00.000Z',
      } as const;
      await store.recordDecision('req-20', approve);
      await store.recordDecision('req-20', approve);
      await store.recordDecision('req-20', {
        ...approve,
        verdict: 'deny',
        reason: 'changed my mind',
        at: '2025-06-01T12:09:00.000Z',
      });
      assert.deepEqual(await store.decisions('req-20'), [approve]);
    });

    test('the same approver may decide another stage; other approvers are separate', async () => {
      const deny = {
        approver: 'tom.okafor@example.com',
        verdict: 'deny',
        stage: 'request',
        reason: 'Use the read replica instead',
        at: '2025-06-01T12:05:00.000Z',
      } as const;
      const extension = {
        approver: 'priya.nair@example.com',
        verdict: 'approve',
        stage: 'extension',
        at: '2025-06-01T13:00:00.000Z',
      } as const;
      await store.recordDecision('req-20', deny);
      await store.recordDecision('req-20', extension);
      const decisions = await store.decisions('req-20');
      assert.equal(decisions.length, 3);
      assert.deepEqual(decisions.slice(1), [deny, extension]);
    });

    test('a decision on a request that was never recorded is refused', async () => {
      await assert.rejects(
        store.recordDecision('req-missing', {
          approver: 'priya.nair@example.com',
          verdict: 'approve',
          stage: 'request',
          at: '2025-06-01T12:00:00.000Z',
        }),
        /foreign key/,
      );
    });
  });
});
