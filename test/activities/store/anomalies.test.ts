import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import assert from 'node:assert/strict';
import type { PgStore } from '../../../activities/store/pg-store';
import { daysToJudge, scanRun, type AnomalyActivityDeps } from '../../../activities/anomaly';
import type { Anomaly } from '../../../domain/anomaly/model';
import type { UsageDay, UsageDetail } from '../../../domain/inventory/model';
import { policySchema, type Policy, type PolicyInput } from '../../../domain/policy/schema';
import { createDigestActivities } from '../../../activities/digest';
import { digestPeriod } from '../../../domain/digest/period';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { ordinaryHistory } from '../../support/generators/usage-history';

/**
 * Anomalies on real PostgreSQL: the store writes a scan once, keeps the first scan as the finder, marks
 * what a live suppression covers, lets suppressions lapse at their day; and the scan activity on a
 * stored collection run judges only the days earlier scans have not, capped per run.
 */

const SYSTEM = 'aws-prod';
/** A system the store's own test writes to, apart from the scans'. */
const OTHER = 'aws-store';
const JUDGED = '2026-11-30';
const WINDOW = { windowFrom: '2026-09-01T00:00:00.000Z', windowTo: '2026-12-01T00:00:00.000Z' };

let db: TestDatabase;
let store: PgStore;

before(async () => {
  ({ db, store } = await freshStore());
});

after(async () => {
  await store?.close().catch(() => undefined);
  await db?.drop();
});

const EXAMPLE = parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'config', 'policy.example.yaml'), 'utf8'),
) as PolicyInput;

/** The example policy with this `anomalies:` block. */
function policy(anomalies: PolicyInput['anomalies'] = {}): Policy {
  return policySchema.parse({ ...EXAMPLE, anomalies });
}

function anomaly(identityId: string, overrides: Partial<Anomaly> = {}): Anomaly {
  return {
    systemId: SYSTEM,
    identityId,
    identityName: identityId.split('/').pop()!,
    day: JUDGED,
    kind: 'volume',
    subject: 's3:GetObject',
    observed: 4120,
    baseline: 35,
    score: 300,
    severity: 'high',
    explanation: 's3:GetObject ×4,120 on 2026-11-30; its median is 35 (MAD 6)',
    ...overrides,
  };
}

/** A finished collection run holding these identities' ordinary histories (and a wild last day for some). */
async function storedRun(runId: string, identities: { id: string; wild?: boolean }[], window = WINDOW): Promise<void> {
  await store.inventory.beginRun({ runId, systemId: SYSTEM, ...window, catalogues: { aws: 'test' } });
  const usage: UsageDay[] = [];
  const detail: UsageDetail[] = [];
  identities.forEach(({ id, wild }, index) => {
    const history = ordinaryHistory({ identityId: id, lastDay: '2026-11-29', days: 60, seed: index + 1 });
    for (const u of history.usage) usage.push({ systemId: SYSTEM, identityId: id, ...u, denied: 0 });
    for (const d of history.detail)
      detail.push({
        systemId: SYSTEM,
        identityId: id,
        ...d,
        hours: [...d.hours],
        regions: [...d.regions],
        addresses: [...d.addresses],
        newResources: [],
      });
    usage.push({
      systemId: SYSTEM,
      identityId: id,
      action: 's3:GetObject',
      day: JUDGED,
      count: wild ? 4120 : 33,
      denied: 0,
    });
    const hours = new Array<number>(24).fill(0);
    hours[11] = 40;
    detail.push({
      systemId: SYSTEM,
      identityId: id,
      day: JUDGED,
      hours,
      regions: ['us-east-1'],
      addresses: ['198.51.100.7'],
      newResources: [],
    });
  });
  const sink = store.inventory.sink(runId);
  await sink.identities(
    identities.map(({ id }) => ({
      systemId: SYSTEM,
      id,
      kind: 'aws-iam-role',
      name: id.split('/').pop()!,
      nature: 'workload',
      tags: {},
    })),
  );
  await sink.usage(usage);
  await sink.usageDetail(detail);
  await store.inventory.finishRun(runId);
}

function deps(p: Policy, now = '2026-12-01T06:00:00.000Z'): AnomalyActivityDeps {
  return { store: store.anomalies, policy: () => p, now: () => new Date(now) };
}

describe('anomaly store', () => {
  test('a scan written twice stores each anomaly once, and the first run stays its finder', async () => {
    await store.inventory.beginRun({ runId: 'store-1', systemId: OTHER, ...WINDOW, catalogues: {} });
    await store.inventory.finishRun('store-1');
    const anomalies = store.anomalies;
    const first = await anomalies.beginScan('store-1');
    assert.equal(first?.status, 'running');
    const found = [
      anomaly('role/a', { systemId: OTHER }),
      anomaly('role/b', {
        systemId: OTHER,
        kind: 'new-region',
        subject: 'ap-east-1',
        severity: 'medium',
        score: undefined,
      }),
    ];
    await anomalies.write('store-1', found);
    await anomalies.write('store-1', found); // a retried activity
    await anomalies.write('store-later', found); // a later scan seeing the same day
    const rows = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM anomalies WHERE day = '2026-11-30'",
    );
    assert.equal(rows.rows[0]?.n, 2);
    assert.deepEqual(
      (await anomalies.firstSeenIn('store-1', 50)).map((a) => [a.identityId, a.kind]),
      [
        ['role/a', 'volume'],
        ['role/b', 'new-region'],
      ],
    );
    assert.deepEqual(await anomalies.firstSeenIn('store-later', 50), []);
    await anomalies.finishScan('store-1', { judgedFrom: JUDGED, judgedTo: JUDGED, identities: 2, found: 2 });
    await anomalies.finishScan('store-1', { identities: 99, found: 99 }); // finishing twice changes nothing
    const scan = await db.pool.query('SELECT judged_to::text, identities FROM anomaly_scans WHERE run_id = $1', [
      'store-1',
    ]);
    assert.deepEqual(scan.rows, [{ judged_to: JUDGED, identities: 2 }]);
    assert.equal((await anomalies.beginScan('store-1'))?.status, 'succeeded');
    const one = await anomalies.forIdentity(OTHER, 'role/a', '2026-11-01', '2026-11-30');
    assert.equal(one.length, 1);
    assert.equal(one[0]?.explanation, 's3:GetObject ×4,120 on 2026-11-30; its median is 35 (MAD 6)');
    assert.equal(one[0]?.baseline, 35);
    assert.deepEqual(await anomalies.forIdentity(OTHER, 'role/a', '2026-10-01', '2026-10-31'), []);
    assert.deepEqual(await anomalies.forIdentity(SYSTEM, 'role/a', '2026-11-01', '2026-11-30'), []);
  });

  test('suppressions lapse at the start of their until day (UTC)', async () => {
    await store.anomalies.suppress(
      {
        system: SYSTEM,
        identity: 'batch',
        kind: 'volume',
        reason: 'month-end export',
        by: 'sec@example.com',
        until: '2026-12-03',
      },
      'cli',
    );
    const live = (at: string) => store.anomalies.liveSuppressions(at, SYSTEM);
    assert.equal((await live('2026-12-02T23:59:59.000Z')).length, 1);
    assert.deepEqual(await live('2026-12-03T00:00:00.000Z'), []);
    assert.deepEqual(await store.anomalies.liveSuppressions('2026-12-01T00:00:00.000Z', 'aws-other'), []);
    const [stored] = await live('2026-12-01T00:00:00.000Z');
    assert.equal(stored?.source, 'cli');
    assert.equal(stored?.by, 'sec@example.com');
  });
});

describe('the anomaly scan of a stored run', () => {
  test('finds the wild identities only, marks the suppressed one, and tells only what is new', async () => {
    await storedRun('scan-1', [
      { id: 'arn:aws:iam::123456789012:role/quiet' },
      { id: 'arn:aws:iam::123456789012:role/wild', wild: true },
      { id: 'arn:aws:iam::123456789012:role/exporter', wild: true },
    ]);
    const p = policy({
      suppressions: [
        {
          system: SYSTEM,
          identity: 'exporter',
          kind: 'volume',
          reason: 'month-end',
          by: 'sec@example.com',
          until: '2026-12-31',
        },
      ],
    });
    const outcome = await scanRun(deps(p), SYSTEM, 'scan-1');
    assert.equal(outcome.status, 'scanned');
    assert.equal(outcome.judged, 3);
    assert.equal(outcome.found, 2);
    assert.deepEqual(outcome.days, { from: '2026-11-28', to: JUDGED });
    assert.deepEqual(
      outcome.newAnomalies.map((a) => [a.identityName, a.kind, a.day]),
      [['wild', 'volume', JUDGED]],
    );
    const exporter = await store.anomalies.forIdentity(
      SYSTEM,
      'arn:aws:iam::123456789012:role/exporter',
      JUDGED,
      JUDGED,
    );
    assert.equal(exporter[0]?.suppressed, true);
    assert.equal(exporter[0]?.suppression?.reason, 'month-end');

    // a retry after the scan finished hands back the same new anomalies, and stores nothing more
    const retried = await scanRun(deps(p), SYSTEM, 'scan-1');
    assert.equal(retried.status, 'already-scanned');
    assert.deepEqual(retried.newAnomalies, outcome.newAnomalies);

    // a run of another system is not this scan's
    assert.equal((await scanRun(deps(p), 'aws-other', 'scan-1')).status, 'not-scannable');
  });

  test('the next run judges from the last day the previous scan judged; what it found is not new again', async () => {
    await storedRun('scan-2', [{ id: 'arn:aws:iam::123456789012:role/wild', wild: true }], {
      windowFrom: '2026-09-02T00:00:00.000Z',
      windowTo: '2026-12-01T12:00:00.000Z',
    });
    const outcome = await scanRun(deps(policy()), SYSTEM, 'scan-2');
    assert.deepEqual(outcome.days, { from: JUDGED, to: '2026-12-01' });
    assert.deepEqual(outcome.newAnomalies, []);
    assert.equal(outcome.found, 1);
  });

  test('a run holds at most maxPerRun anomalies, the most severe', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => ({ id: `arn:aws:iam::123456789012:role/cap-${i}`, wild: true }));
    await storedRun('scan-cap', ids, { windowFrom: '2026-09-03T00:00:00.000Z', windowTo: '2026-12-01T00:00:00.000Z' });
    await db.pool.query("DELETE FROM anomaly_scans WHERE system_id = $1 AND run_id <> 'scan-cap'", [SYSTEM]);
    const outcome = await scanRun(deps(policy({ maxPerRun: 4 })), SYSTEM, 'scan-cap');
    assert.equal(outcome.found, 4);
    const stored = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM anomalies WHERE first_seen_run = 'scan-cap'",
    );
    assert.equal(stored.rows[0]?.n, 4);
  });

  test('disabled in the policy: nothing is judged', async () => {
    assert.equal((await scanRun(deps(policy({ enabled: false })), SYSTEM, 'scan-1')).status, 'disabled');
  });

  test('days to judge: the newest judgeDays of the window, from the previous scan on', () => {
    const window = { windowFrom: '2026-09-01T00:00:00.000Z', windowTo: '2026-12-01T00:00:00.000Z' };
    assert.deepEqual(daysToJudge(window, 3), ['2026-11-28', '2026-11-29', '2026-11-30']);
    assert.deepEqual(daysToJudge({ ...window, previousJudgedTo: '2026-11-30' }, 3), ['2026-11-30']);
    assert.deepEqual(daysToJudge({ ...window, windowTo: '2026-12-01T08:00:00.000Z' }, 2), ['2026-11-30', '2026-12-01']);
    assert.deepEqual(daysToJudge({ ...window, previousJudgedTo: '2026-12-05' }, 3), []);
  });

  test('a period for digests: counts per system and the most severe, suppressed ones counted apart', async () => {
    const period = await store.anomalies.forPeriod('2026-11-30', '2026-11-30', SYSTEM, 3);
    assert.ok(period.total >= 2);
    assert.ok(period.suppressed >= 1);
    assert.equal(period.systems[0]?.systemId, SYSTEM);
    assert.ok(period.top.length <= 3);
    assert.ok(period.top.every((a) => !a.suppressed));
    assert.equal(period.top[0]?.severity, 'high');
  });

  test("a digest's anomalies section is gathered from the store, suppressed ones left out", async () => {
    const p = policy();
    const digest = { ...p.digests[0]!, sections: ['anomalies' as const] };
    const activities = createDigestActivities({
      store: store.digests,
      posters: [],
      policy: () => p,
      audit: async () => undefined,
      anomalies: store.anomalies,
    });
    const content = await activities.gatherDigest({
      digest,
      period: digestPeriod('daily', 'UTC', '2026-12-01T06:30:00Z'),
    });
    assert.equal(content.quiet, false);
    assert.ok((content.anomalies?.total ?? 0) >= 2);
    assert.ok(content.anomalies?.top.every((a) => a.identityName !== 'exporter'));
    assert.match(content.anomalies?.top[0]?.explanation ?? '', /^s3:GetObject ×4,120 on 2026-11-30; its median is/);
  });
});
