import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PgStore } from '../../../activities/store/pg-store';
import { trailingDays, digestPeriod } from '../../../domain/digest/period';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { seedAccess, seedCleanup, seedFindings } from '../../support/generators/digest-records';

/**
 * What a digest reads of its period from a real PostgreSQL: the day is Berlin's Sunday 29 March 2026
 * (23 hours), and records just before and after it must stay out.
 */

const PERIOD = digestPeriod('daily', 'Europe/Berlin', '2026-03-30T06:30:00Z');
let db: TestDatabase;
let store: PgStore;

before(async () => {
  ({ db, store } = await freshStore());
  await seedAccess(store);
  await seedFindings(db.pool);
  await seedCleanup(db.pool);
});

after(async () => {
  await db?.drop();
});

describe('DigestStore.access', () => {
  it('counts requests, grants, denials, expiries and unanswered requests by entitlement, in the period only', async () => {
    const access = await store.digests.access(PERIOD, trailingDays(PERIOD, 30));
    assert.deepEqual(access.totals, { requested: 5, granted: 2, denied: 1, expired: 1, unanswered: 1 });
    assert.deepEqual(access.entitlements, {
      rows: [
        {
          entitlementId: 'prod-db-readonly',
          title: 'Production database read-only',
          requested: 3,
          granted: 2,
          denied: 1,
          expired: 1,
          unanswered: 0,
        },
        {
          entitlementId: 'billing-viewer',
          title: 'GCP billing viewer',
          requested: 1,
          granted: 0,
          denied: 0,
          expired: 0,
          unanswered: 1,
        },
        {
          entitlementId: 'prod-admin',
          title: 'Production admin',
          requested: 1,
          granted: 0,
          denied: 0,
          expired: 0,
          unanswered: 0,
        },
      ],
      total: 3,
    });
  });

  it('counts grants per day on the zone’s calendar: 00:30 on Sunday in Berlin is Sunday, though Saturday in UTC', async () => {
    const access = await store.digests.access(PERIOD, trailingDays(PERIOD, 30));
    assert.deepEqual(access.grantsPerDay, [
      { day: '2026-03-28', grants: 1 },
      { day: '2026-03-29', grants: 2 },
    ]);
  });

  it('lists revocations that had to retry, the one still failing first, with the cloud’s last words', async () => {
    const { revocations } = await store.digests.access(PERIOD, trailingDays(PERIOD, 30));
    assert.deepEqual(revocations, {
      rows: [
        {
          requestId: 'r-stuck',
          entitlementId: 'prod-db-readonly',
          title: 'Production database read-only',
          requester: 'maya.chen@example.com',
          attempts: 8,
          lastError: 'AccessDenied again for Production database read-only',
          resolved: false,
        },
        {
          requestId: 'r-in-1',
          entitlementId: 'prod-db-readonly',
          title: 'Production database read-only',
          requester: 'maya.chen@example.com',
          attempts: 2,
          lastError: 'Throttling again',
          resolved: true,
        },
      ],
      total: 2,
      unresolved: 1,
    });
  });

  it('lists what waits for a decision at the digest’s time, longest first, and break-glass uses not reviewed', async () => {
    const { waiting, breakGlass } = await store.digests.access(PERIOD, trailingDays(PERIOD, 30));
    assert.deepEqual(
      waiting.rows.map((w) => [w.requestId, w.submittedAt]),
      [
        ['r-old', '2026-03-25T09:00:00.000Z'],
        ['r-edge', '2026-03-29T22:30:00.000Z'],
      ],
    );
    assert.equal(waiting.total, 2);
    assert.deepEqual(breakGlass, {
      rows: [
        {
          requestId: 'r-bg',
          entitlementId: 'prod-admin',
          title: 'Production admin',
          requester: 'oncall@example.com',
          at: '2026-03-29T03:00:00.000Z',
          reviewed: false,
        },
      ],
      total: 1,
      unreviewed: 1,
    });
  });

  it('reads at most the limit of each list, and still counts them all', async () => {
    const access = await store.digests.access(PERIOD, trailingDays(PERIOD, 30), 1);
    assert.deepEqual(
      [access.entitlements.rows.length, access.entitlements.total, access.waiting.rows.length, access.waiting.total],
      [1, 3, 1, 2],
    );
    assert.equal(access.totals.requested, 5, 'totals count every entitlement, not the rows read');
  });
});

describe('DigestStore.findings', () => {
  it('takes each system’s last assessment before the period and before its end, and its PCI history', async () => {
    const findings = await store.digests.findings(['aws-prod', 'gcp-finance', 'azure-none'], PERIOD, '2025-12-30');
    assert.deepEqual(findings.systems, [
      { systemId: 'aws-prod', pciFrom: 40, pciTo: 47, openFrom: 5, openTo: 6, highTo: 3 },
      { systemId: 'azure-none' },
      { systemId: 'gcp-finance', pciTo: 12, openTo: 1, highTo: 0 },
    ]);
    assert.deepEqual(findings.trend, [
      { systemId: 'aws-prod', day: '2026-03-20', pci: 40 },
      { systemId: 'aws-prod', day: '2026-03-29', pci: 47 },
      { systemId: 'gcp-finance', day: '2026-03-29', pci: 12 },
    ]);
  });
});

describe('DigestStore.cleanup', () => {
  it('counts what runs removed, kept, restored and failed in the period, runs of other systems left out', async () => {
    const cleanup = await store.digests.cleanup(['aws-prod'], PERIOD);
    assert.deepEqual(cleanup.totals, { removed: 2, kept: 1, restored: 1, failed: 1 });
    assert.deepEqual(
      cleanup.runs.rows.map((r) => [r.runId, r.removed, r.kept, r.restored, r.failed]),
      [
        ['run-sunday', 2, 1, 0, 1],
        ['run-march', 0, 0, 1, 0],
      ],
    );
    assert.equal(cleanup.runs.total, 2);
  });
});

describe('DigestStore posts', () => {
  it('keeps the first record of a digest and period, and finds it', async () => {
    const record = {
      digestId: 'security-daily',
      firstDay: PERIOD.firstDay,
      lastDay: PERIOD.lastDay,
      periodFrom: PERIOD.from,
      periodTo: PERIOD.to,
      platform: 'slack' as const,
      channel: 'C0123ABCDE',
      messageId: 'files:F1,F2',
      charts: { pictures: ['PCI'], words: [] },
    };
    assert.equal(await store.digests.findPost('security-daily', PERIOD.firstDay), undefined);
    await store.digests.savePost(record);
    await store.digests.savePost({ ...record, messageId: 'a retry' });
    assert.deepEqual(await store.digests.findPost('security-daily', PERIOD.firstDay), record);
    assert.equal(await store.digests.findPost('security-daily', '2026-03-30'), undefined);
  });
});
