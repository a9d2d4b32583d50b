import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PgStore } from '../../../activities/store/pg-store';
import type { LeaseRecord, MessageRef } from '../../../activities/store/types';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { GCP_BILLING_VIEWER, activeRequest, leaseFor } from './fixtures';

const IDENTITY_CENTER_KEY =
  'identity-center:111122223333:ps-0a1b2c3d4e5f6789:906735c2f1-8d1e4a7b-93c5-4f1e-b2a6-0c9d8e7f6a51';

describe('leases and message references', () => {
  let db: TestDatabase;
  let store: PgStore;
  let first: LeaseRecord;
  let second: LeaseRecord;
  let gcp: LeaseRecord;
  before(async () => {
    ({ db, store } = await freshStore());
    const states = [
      activeRequest({
        requestId: 'req-30',
        submittedAt: '2025-07-01T09:00:00.000Z',
        grantedAt: '2025-07-01T09:04:00.000Z',
      }),
      activeRequest({
        requestId: 'req-31',
        submittedAt: '2025-07-02T09:00:00.000Z',
        grantedAt: '2025-07-02T09:02:00.000Z',
        durationSeconds: 1800,
      }),
      activeRequest({
        requestId: 'req-32',
        requester: 'ada.berg@example.com',
        rules: GCP_BILLING_VIEWER,
        submittedAt: '2025-07-02T10:00:00.000Z',
        grantedAt: '2025-07-02T10:01:00.000Z',
      }),
    ];
    for (const state of states) await store.saveRequest(state);
    first = leaseFor(states[0]!, IDENTITY_CENTER_KEY);
    second = leaseFor(states[1]!, IDENTITY_CENTER_KEY);
    gcp = {
      ...leaseFor(states[2]!, 'gcp-binding:finance-prod-4821:roles/billing.viewer:user:ada.berg@example.com'),
      principal: { kind: 'gcp-member', member: 'user:ada.berg@example.com' },
    };
  });
  after(async () => {
    await db.drop();
  });

  test('a saved lease comes back as it went in', async () => {
    await store.saveLease(first);
    assert.deepEqual(await store.getLease('req-30'), first);
    assert.equal(await store.getLease('req-unknown'), undefined);
  });

  test('saving a lease again updates it in place', async () => {
    const extended = { ...first, expiresAt: '2025-07-01T11:04:00.000Z' };
    await store.saveLease(extended);
    assert.deepEqual(await store.getLease('req-30'), extended);
    first = extended;
    const count = await db.pool.query(`SELECT count(*)::int AS n FROM leases WHERE lease_id = 'req-30'`);
    assert.deepEqual(count.rows, [{ n: 1 }]);
  });

  test('live leases: active only, optionally for one system, soonest expiry first', async () => {
    await store.saveLease(second);
    await store.saveLease(gcp);
    const ids = (leases: LeaseRecord[]): string[] => leases.map((lease) => lease.leaseId);
    // req-31 expires 09:32 on the 2nd, req-32 at 11:01 on the 2nd, req-30 at 11:04 on the 1st.
    assert.deepEqual(ids(await store.liveLeases()), ['req-30', 'req-31', 'req-32']);
    assert.deepEqual(ids(await store.liveLeases('aws-prod')), ['req-30', 'req-31']);
    assert.deepEqual(await store.liveLeases('gcp-finance'), [gcp]);
    assert.deepEqual(await store.liveLeases('azure-sandbox'), []);
  });

  test('an ended lease records how and when, and leaves the live set', async () => {
    const receipt =
      'ListAccountAssignments for ps-0a1b2c3d4e5f6789 on 111122223333 returned no assignment for maya.chen@example.com';
    await store.markLeaseEnded('req-30', 'revoked', '2025-07-01T10:30:00.000Z', receipt);
    assert.deepEqual(await store.getLease('req-30'), {
      ...first,
      status: 'revoked',
      revokedAt: '2025-07-01T10:30:00.000Z',
      receipt,
    });
    assert.deepEqual(
      (await store.liveLeases('aws-prod')).map((lease) => lease.leaseId),
      ['req-31'],
    );
  });

  test('a late retry of the grant does not bring an ended lease back to life', async () => {
    await store.saveLease(first);
    const lease = await store.getLease('req-30');
    assert.equal(lease?.status, 'revoked');
    assert.ok(!(await store.liveLeases()).some((live) => live.leaseId === 'req-30'));
  });

  test('ending a lease that was never recorded fails loudly', async () => {
    await assert.rejects(
      store.markLeaseEnded('req-never', 'failed', '2025-07-01T10:30:00.000Z', 'n/a'),
      /lease req-never is not recorded/,
    );
  });

  test('leases by cloud key: every lease of that cloud object, live or ended, newest first', async () => {
    assert.deepEqual(
      (await store.leasesByCloudKey(IDENTITY_CENTER_KEY)).map((lease) => [lease.leaseId, lease.status]),
      [
        ['req-31', 'active'],
        ['req-30', 'revoked'],
      ],
    );
    assert.deepEqual(await store.leasesByCloudKey('identity-center:999999999999:ps-none:nobody'), []);
  });

  test('a message reference is upserted: one row per request, platform, recipient and purpose', async () => {
    const card: MessageRef = {
      requestId: 'req-31',
      platform: 'slack',
      recipient: 'approver:priya.nair@example.com',
      purpose: 'approval-card',
      channel: 'D05PRIYANAIR',
      messageId: '1751446920.000100',
    };
    const thread: MessageRef = {
      requestId: 'req-31',
      platform: 'slack',
      recipient: 'U04MAYACHEN',
      purpose: 'requester-thread',
      channel: 'D04MAYACHEN',
      messageId: '1751446921.000200',
    };
    await store.saveMessageRef(card);
    await store.saveMessageRef(thread);
    const reposted = { ...card, messageId: '1751447000.000300' };
    await store.saveMessageRef(reposted);
    assert.deepEqual(await store.messageRefs('req-31'), [reposted, thread]);
    assert.deepEqual(await store.messageRefs('req-30'), []);
  });
});
