import { buildDigest, type DigestContent, type DigestFacts } from '../../../domain/digest/content';
import { addCalendarDays, digestPeriod, type DigestPeriod } from '../../../domain/digest/period';

/**
 * Digest facts for renderer, poster and workflow tests: a busy day with something in every list,
 * every field a person, a policy or a cloud controls set from `name` (hostile tests pass their texts),
 * and a quiet day with nothing at all.
 */

/** Sunday 29 March 2026 in Berlin, the day the clocks went forward (23 hours). */
export const DIGEST_PERIOD: DigestPeriod = digestPeriod('daily', 'Europe/Berlin', '2026-03-30T06:30:00Z');

export function busyFacts(name = 'Read payment logs', period: DigestPeriod = DIGEST_PERIOD): DigestFacts {
  const days = Array.from({ length: 30 }, (_, i) => addCalendarDays(period.lastDay, -i));
  return {
    digestId: 'security-daily',
    period,
    sections: ['access', 'findings', 'cleanup'],
    access: {
      totals: { requested: 14, granted: 9, denied: 2, expired: 6, unanswered: 1 },
      entitlements: {
        rows: Array.from({ length: 12 }, (_, i) => ({
          entitlementId: `ent-${i}`,
          title: i === 0 ? name : `Entitlement ${i}`,
          requested: 12 - i,
          granted: Math.max(0, 9 - i),
          denied: i % 3 === 0 ? 1 : 0,
          expired: i % 2,
          unanswered: i === 5 ? 1 : 0,
        })),
        total: 12,
      },
      grantsPerDay: days.map((day, i) => ({ day, grants: (i * 7) % 5 })),
      revocations: {
        rows: [
          {
            requestId: 'r-0000000001',
            entitlementId: 'ent-0',
            title: name,
            requester: name,
            attempts: 4,
            lastError: `AccessDenied: ${name}`,
            resolved: false,
          },
          {
            requestId: 'r-0000000002',
            entitlementId: 'ent-1',
            title: 'Entitlement 1',
            requester: 'bob@example.com',
            attempts: 2,
            resolved: true,
          },
        ],
        total: 2,
        unresolved: 1,
      },
      waiting: {
        rows: Array.from({ length: 13 }, (_, i) => ({
          requestId: `r-w${String(i).padStart(8, '0')}`,
          entitlementId: 'ent-0',
          title: name,
          requester: i === 0 ? name : `p${i}@example.com`,
          submittedAt: new Date(Date.parse(period.at) - (i + 1) * 3_600_000 * 5).toISOString(),
        })),
        total: 13,
      },
      breakGlass: {
        rows: [
          {
            requestId: 'r-bg00000001',
            entitlementId: 'ent-2',
            title: name,
            requester: name,
            at: '2026-03-29T03:12:00.000Z',
            reviewed: false,
          },
        ],
        total: 1,
        unreviewed: 1,
      },
    },
    findings: {
      systems: [
        { systemId: 'aws-prod', pciFrom: 40, pciTo: 47, openFrom: 12, openTo: 15, highTo: 2 },
        { systemId: 'gcp-data', pciTo: 12, openTo: 1 },
        { systemId: 'azure-corp', pciFrom: 30, pciTo: 30, openFrom: 4, openTo: 4 },
      ],
      trend: days.flatMap((day, i) => [
        { systemId: 'aws-prod', day, pci: 40 + (i % 8) },
        { systemId: 'azure-corp', day, pci: 30 },
      ]),
    },
    cleanup: {
      runs: {
        rows: [
          {
            runId: `least-cleanup-aws-prod-${name}`,
            systemId: 'aws-prod',
            mode: 'report',
            status: 'finished',
            plannedAt: '2026-03-29T08:00:00.000Z',
            removed: 4,
            kept: 2,
            restored: 1,
            failed: 0,
          },
        ],
        total: 1,
      },
      totals: { removed: 4, kept: 2, restored: 1, failed: 0 },
    },
  };
}

export function busyDigest(name?: string): DigestContent {
  return buildDigest(busyFacts(name));
}

export function quietDigest(period: DigestPeriod = DIGEST_PERIOD): DigestContent {
  return buildDigest({
    digestId: 'security-daily',
    period,
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
  });
}
