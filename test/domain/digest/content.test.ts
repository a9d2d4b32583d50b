import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildDigest,
  DIGEST_ROWS,
  type DigestFacts,
  type EntitlementActivity,
  type WaitingApproval,
} from '../../../domain/digest/content';
import { digestPeriod } from '../../../domain/digest/period';

/** The digest's content from plain facts: what it says, in which order, and where it stops. */

const PERIOD = digestPeriod('daily', 'Europe/Berlin', '2026-03-30T06:30:00Z'); // Sunday 29 March 2026

function facts(overrides: Partial<DigestFacts> = {}): DigestFacts {
  return {
    digestId: 'security-daily',
    period: PERIOD,
    sections: ['access', 'findings', 'cleanup'],
    access: {
      totals: { requested: 0, granted: 0, denied: 0, expired: 0, unanswered: 0 },
      entitlements: { rows: [], total: 0 },
      grantsPerDay: [],
      revocations: { rows: [], total: 0, unresolved: 0 },
      waiting: { rows: [], total: 0 },
      breakGlass: { rows: [], total: 0, unreviewed: 0 },
    },
    findings: { systems: [], trend: [] },
    cleanup: { runs: { rows: [], total: 0 }, totals: { removed: 0, kept: 0, restored: 0, failed: 0 } },
    ...overrides,
  };
}

function entitlement(id: string, granted: number, requested = granted): EntitlementActivity {
  return { entitlementId: id, title: `Title of ${id}`, requested, granted, denied: 0, expired: 0, unanswered: 0 };
}

describe('buildDigest', () => {
  test('a period where nothing happened is quiet', () => {
    const content = buildDigest(facts());
    assert.equal(content.quiet, true);
    assert.deepEqual(content.sections, ['access', 'findings', 'cleanup']);
  });

  test('a system assessed with no change is quiet; one that moved or is new is not', () => {
    const still = buildDigest(
      facts({
        findings: { systems: [{ systemId: 'aws-prod', pciFrom: 40, pciTo: 40, openFrom: 3, openTo: 3 }], trend: [] },
      }),
    );
    assert.equal(still.quiet, true);
    const moved = buildDigest(
      facts({
        findings: { systems: [{ systemId: 'aws-prod', pciFrom: 40, pciTo: 47, openFrom: 3, openTo: 5 }], trend: [] },
      }),
    );
    assert.equal(moved.quiet, false);
    assert.deepEqual(moved.findings?.systems.rows[0], {
      systemId: 'aws-prod',
      pciFrom: 40,
      pciTo: 47,
      openFrom: 3,
      openTo: 5,
      pciChange: 7,
      openChange: 2,
      isNew: false,
    });
    const fresh = buildDigest(
      facts({ findings: { systems: [{ systemId: 'gcp-data', pciTo: 12, openTo: 1 }], trend: [] } }),
    );
    assert.equal(fresh.findings?.systems.rows[0]?.isNew, true);
    assert.equal(fresh.quiet, false);
  });

  test('a section not asked for is left out, and what happened there does not count', () => {
    const content = buildDigest(
      facts({
        sections: ['cleanup'],
        access: { ...facts().access!, totals: { requested: 3, granted: 2, denied: 1, expired: 0, unanswered: 0 } },
      }),
    );
    assert.equal(content.access, undefined);
    assert.equal(content.findings, undefined);
    assert.deepEqual(content.sections, ['cleanup']);
    assert.equal(content.quiet, true);
  });

  test('entitlements are ranked by grants, then requests, and the chart gets only those granted', () => {
    const content = buildDigest(
      facts({
        access: {
          ...facts().access!,
          totals: { requested: 9, granted: 5, denied: 0, expired: 0, unanswered: 0 },
          entitlements: { rows: [entitlement('b', 1, 4), entitlement('a', 4), entitlement('c', 0, 1)], total: 3 },
        },
      }),
    );
    assert.deepEqual(
      content.access?.entitlements.rows.map((e) => e.entitlementId),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(content.access?.topEntitlements, [
      { entitlement: 'Title of a', grants: 4 },
      { entitlement: 'Title of b', grants: 1 },
    ]);
    assert.equal(content.quiet, false);
  });

  test('approvals waiting are measured to the digest’s time, longest first', () => {
    const waiting: WaitingApproval[] = [
      {
        requestId: 'r-new',
        entitlementId: 'a',
        title: 'A',
        requester: 'ada@example.com',
        submittedAt: '2026-03-30T05:30:00Z',
      },
      {
        requestId: 'r-old',
        entitlementId: 'a',
        title: 'A',
        requester: 'bob@example.com',
        submittedAt: '2026-03-28T06:30:00Z',
      },
    ];
    const content = buildDigest(facts({ access: { ...facts().access!, waiting: { rows: waiting, total: 2 } } }));
    assert.deepEqual(
      content.access?.waiting.rows.map((w) => [w.requestId, w.waitingSeconds]),
      [
        ['r-old', 2 * 86_400],
        ['r-new', 3600],
      ],
    );
    assert.equal(content.access?.longestWaitSeconds, 2 * 86_400);
  });

  test('grants per day cover the 30 days ending with the period, days outside dropped', () => {
    const content = buildDigest(
      facts({
        access: {
          ...facts().access!,
          grantsPerDay: [
            { day: '2026-02-27', grants: 9 }, // a day before the window
            { day: '2026-02-28', grants: 2 },
            { day: '2026-03-29', grants: 3 },
            { day: '2026-03-30', grants: 7 }, // today: after the period
          ],
        },
      }),
    );
    assert.deepEqual(content.access?.grantsPerDay, {
      from: '2026-02-28',
      to: '2026-03-29',
      days: [
        { day: '2026-02-28', grants: 2 },
        { day: '2026-03-29', grants: 3 },
      ],
    });
  });

  test('a section of 100,000 rows is cut to its first rows and a count of the rest', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => entitlement(`e${String(i).padStart(6, '0')}`, i % 97));
    const waiting = Array.from({ length: 100_000 }, (_, i) => ({
      requestId: `r-${i}`,
      entitlementId: 'e',
      title: 'E',
      requester: `p${i}@example.com`,
      submittedAt: new Date(Date.parse('2026-03-01T00:00:00Z') + i * 1000).toISOString(),
    }));
    const content = buildDigest(
      facts({
        access: {
          ...facts().access!,
          entitlements: { rows, total: 100_000 },
          waiting: { rows: waiting, total: 100_000 },
        },
      }),
    );
    assert.equal(content.access?.entitlements.rows.length, DIGEST_ROWS);
    assert.equal(content.access?.entitlements.more, 100_000 - DIGEST_ROWS);
    assert.ok(content.access?.entitlements.rows.every((e) => e.granted === 96));
    assert.equal(content.access?.topEntitlements.length, 10);
    assert.equal(content.access?.waiting.rows[0]?.requestId, 'r-0', 'the longest wait first');
    assert.equal(content.access?.waiting.more, 100_000 - DIGEST_ROWS);
    assert.ok(JSON.stringify(content).length < 20_000, `content is ${JSON.stringify(content).length} characters`);
  });

  test('a list the store cut short still counts all of its rows', () => {
    const content = buildDigest(
      facts({
        cleanup: {
          runs: {
            rows: [
              {
                runId: 'run-1',
                systemId: 'aws-prod',
                mode: 'report',
                status: 'finished',
                plannedAt: '2026-03-29T08:00:00Z',
                removed: 2,
                kept: 1,
                restored: 0,
                failed: 0,
              },
            ],
            total: 4_321,
          },
          totals: { removed: 40, kept: 3, restored: 1, failed: 0 },
        },
      }),
    );
    assert.equal(content.cleanup?.runs.more, 4_320);
    assert.equal(content.quiet, false);
  });

  test('the PCI chart takes the eight highest systems and the last 90 days', () => {
    const systems = Array.from({ length: 12 }, (_, i) => ({
      systemId: `s${String(i).padStart(2, '0')}`,
      pciFrom: i,
      pciTo: i,
    }));
    const trend = [
      { systemId: 's11', day: '2025-12-29', pci: 5 }, // the day before the window
      { systemId: 's11', day: '2025-12-30', pci: 6 },
      { systemId: 's11', day: '2026-03-29', pci: 11 },
    ];
    const content = buildDigest(facts({ findings: { systems, trend } }));
    const chart = content.findings!.trend;
    assert.deepEqual([chart.from, chart.to], ['2025-12-30', '2026-03-29']);
    assert.deepEqual(
      chart.systems.map((s) => s.system),
      ['s11', 's10', 's09', 's08', 's07', 's06', 's05', 's04'],
    );
    assert.deepEqual(chart.systems[0]?.points, [
      { day: '2025-12-30', pci: 6 },
      { day: '2026-03-29', pci: 11 },
    ]);
    assert.equal(content.findings?.systems.more, 2);
  });
});
