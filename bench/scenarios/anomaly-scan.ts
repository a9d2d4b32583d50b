import { scanRun, SCAN_PAGE } from '../../activities/anomaly';
import { PgStore } from '../../activities/store/pg-store';
import type { Identity, UsageDay, UsageDetail } from '../../domain/inventory/model';
import { policySchema, type Policy } from '../../domain/policy/schema';
import { freshDatabase } from '../../test/support/launch/database';
import { isWeekend, seeded } from '../../test/support/generators/usage-history';
import { now, throwIfAborted } from '../lib/clock';
import { value, newReport, type ScenarioReport } from '../lib/report';
import { uptime } from './findings-pci';
import { envInt } from '../lib/context';

/**
 * The anomaly scan over a large snapshot (issue 14, item 4): I identities × R usage rows over D days
 * (1,000,000 rows by default), with a day of hourly detail per identity and day, written through the real
 * sink into a fresh PostgreSQL database (unmeasured). One identity in a hundred has a wild last day (ten
 * times its volume, a new region). Measured in the same run, alternately:
 * - the floor: the same histories streamed out of PostgreSQL page by page (the store's own reads), nothing judged;
 * - the scan: `scanRun` as the activity runs it (read, judge, cap, store, hand back the new ones).
 * Wall time, rows/s and the peak RSS of each phase (sampled every 20 ms). Needs only PostgreSQL.
 */

const SYSTEM = 'aws-prod';
const ACCOUNT = '111122223333';
const DAY_MS = 86_400_000;
const LOAD_BATCH = 25_000;

function sizes(): { identities: number; rows: number; days: number; samples: number } {
  const days = envInt('BENCH_ANOMALY_DAYS', 60);
  const rows = envInt('BENCH_ANOMALY_ROWS_PER_IDENTITY', 100);
  if (rows < days) throw new Error('BENCH_ANOMALY_ROWS_PER_IDENTITY must be at least BENCH_ANOMALY_DAYS');
  return {
    identities: envInt('BENCH_ANOMALY_IDENTITIES', 10_000),
    rows,
    days,
    samples: envInt('BENCH_ANOMALY_SAMPLES', 2),
  };
}

const ACTIONS = ['s3:GetObject', 'dynamodb:Query', 'kms:Decrypt', 'sqs:SendMessage', 'sts:AssumeRole'];

/** The highest RSS seen while `work` runs, and the RSS it started from. */
async function peakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number; start: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, process.memoryUsage().rss), start };
  } finally {
    clearInterval(timer);
  }
}

export async function anomalyScanScenario(ctx: {
  signal: AbortSignal;
  log(line: string): void;
}): Promise<ScenarioReport> {
  const report = newReport('anomaly-scan');
  const started = now();
  const size = sizes();
  const db = await freshDatabase('least_bench_anomaly');
  const store = new PgStore(db.pool);
  try {
    await store.migrate();
    const lastDay = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
    const dayOf = (index: number): string =>
      new Date(Date.parse(`${lastDay}T00:00:00Z`) - (size.days - 1 - index) * DAY_MS).toISOString().slice(0, 10);
    const runId = 'bench-anomaly-1';
    await store.inventory.beginRun({
      runId,
      systemId: SYSTEM,
      windowFrom: `${dayOf(0)}T00:00:00.000Z`,
      windowTo: new Date(Date.parse(`${lastDay}T00:00:00Z`) + DAY_MS).toISOString(),
      catalogues: { aws: 'bench' },
    });
    const sink = store.inventory.sink(runId);
    const loadStarted = now();
    const random = seeded(11);
    const usage: UsageDay[] = [];
    const detail: UsageDetail[] = [];
    const identities: Identity[] = [];
    let usageRows = 0;
    let detailRows = 0;
    const flush = async (force: boolean): Promise<void> => {
      if (identities.length >= 1000 || (force && identities.length)) await sink.identities(identities.splice(0));
      if (usage.length >= LOAD_BATCH || (force && usage.length)) await sink.usage(usage.splice(0));
      if (detail.length >= LOAD_BATCH || (force && detail.length)) await sink.usageDetail(detail.splice(0));
    };
    for (let i = 0; i < size.identities; i++) {
      throwIfAborted(ctx.signal);
      const name = `bench-anomaly-${String(i).padStart(6, '0')}`;
      const id = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      const wild = i % 100 === 0;
      identities.push({ systemId: SYSTEM, id, kind: 'aws-iam-role', name, nature: 'workload', tags: {} });
      const perDay = new Array<number>(size.days).fill(0);
      for (let r = 0; r < size.rows; r++) {
        const action = ACTIONS[Math.floor(r / size.days) % ACTIONS.length]!;
        const d = r % size.days;
        const usual = (isWeekend(dayOf(d)) ? 20 : 60) * (1 + (Math.floor(r / size.days) % 3));
        let count = Math.max(1, Math.round(usual * (0.8 + 0.4 * random())));
        if (wild && d === size.days - 1 && r < size.days) count *= 10;
        perDay[d]! += count;
        usage.push({ systemId: SYSTEM, identityId: id, action, day: dayOf(d), count, denied: 0 });
      }
      usageRows += size.rows;
      for (let d = 0; d < size.days; d++) {
        const hours = new Array<number>(24).fill(0);
        for (let h = 8; h < 18; h++) hours[h] = Math.ceil(perDay[d]! / 10);
        const last = d === size.days - 1;
        detail.push({
          systemId: SYSTEM,
          identityId: id,
          day: dayOf(d),
          hours,
          regions: wild && last ? ['us-east-1', 'ap-east-1'] : ['us-east-1'],
          addresses: ['198.51.100.7'],
          newResources: [],
        });
      }
      detailRows += size.days;
      await flush(false);
    }
    await flush(true);
    await store.inventory.finishRun(runId);
    await db.pool.query('ANALYZE');
    value(
      report,
      'rows loaded (unmeasured)',
      `${usageRows} usage rows and ${detailRows} detail rows of ${size.identities} identities over ${size.days} days`,
    );
    value(report, 'load time (unmeasured)', ((now() - loadStarted) / 1000).toFixed(1), 's');
    ctx.log(`anomaly-scan: loaded ${usageRows} usage rows in ${((now() - loadStarted) / 1000).toFixed(1)} s`);

    const current: Policy = policySchema.parse({
      version: 1,
      authorizationSystems: [
        { id: SYSTEM, cloud: 'aws', accountId: ACCOUNT, brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker` },
      ],
      entitlements: [
        {
          id: 'bench-read',
          title: 'Bench read',
          system: SYSTEM,
          grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
          requesters: { everyone: true },
          approvers: { users: ['lead@example.com'] },
        },
      ],
    });
    const start = (await store.anomalies.beginScan(runId))!;
    const floor = async (): Promise<number> => {
      let rows = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.anomalies.histories(start, after, SCAN_PAGE);
        if (page.length === 0) break;
        for (const h of page) rows += h.usage.length;
        after = page[page.length - 1]!.identityId;
        if (page.length < SCAN_PAGE) break;
      }
      return rows;
    };
    const scan = async () => {
      // each sample scans afresh: the previous sample's scan and anomalies are removed first (unmeasured)
      await db.pool.query('DELETE FROM anomalies');
      await db.pool.query('DELETE FROM anomaly_scans');
      const t = now();
      const outcome = await scanRun({ store: store.anomalies, policy: () => current }, SYSTEM, runId);
      return { outcome, ms: now() - t };
    };
    const floorMs: number[] = [];
    const scanMs: number[] = [];
    let floorPeak = 0;
    let scanPeak = 0;
    let floorRise = 0;
    let scanRise = 0;
    let found = 0;
    let judged = 0;
    let fresh = 0;
    for (let s = 0; s < size.samples; s++) {
      throwIfAborted(ctx.signal);
      const t = now();
      const streamed = await peakRss(floor);
      floorMs.push(now() - t);
      floorPeak = Math.max(floorPeak, streamed.peak);
      floorRise = Math.max(floorRise, streamed.peak - streamed.start);
      if (streamed.result !== usageRows) throw new Error(`the floor read ${streamed.result} rows, not ${usageRows}`);
      const scanned = await peakRss(scan);
      scanMs.push(scanned.result.ms);
      scanPeak = Math.max(scanPeak, scanned.peak);
      scanRise = Math.max(scanRise, scanned.peak - scanned.start);
      ({ found, judged } = scanned.result.outcome);
      fresh = scanned.result.outcome.newAnomalies.length;
      ctx.log(
        `anomaly-scan: sample ${s + 1}: floor ${(floorMs[s]! / 1000).toFixed(2)} s, scan ${(scanMs[s]! / 1000).toFixed(2)} s`,
      );
    }
    const best = (list: number[]): number => Math.min(...list);
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
    value(report, 'scan wall time (best of samples)', (best(scanMs) / 1000).toFixed(2), 's');
    value(report, 'scan rows/s', Math.round(usageRows / (best(scanMs) / 1000)), 'rows/s');
    value(report, 'scan peak RSS (rise over its start)', `${mib(scanPeak)} (+${mib(scanRise)})`, 'MiB');
    value(report, 'floor wall time: the same rows streamed, nothing judged', (best(floorMs) / 1000).toFixed(2), 's');
    value(report, 'floor rows/s', Math.round(usageRows / (best(floorMs) / 1000)), 'rows/s');
    value(report, 'floor peak RSS (rise over its start)', `${mib(floorPeak)} (+${mib(floorRise)})`, 'MiB');
    value(report, 'scan / floor', (best(scanMs) / best(floorMs)).toFixed(2), '×');
    value(report, 'identities judged', judged);
    value(report, 'anomalies found (after caps)', found);
    value(report, 'new anomalies handed back (at most 50)', fresh);
    value(report, 'samples', size.samples);
    report.notes.push(
      `all samples: scan ${scanMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s; floor ${floorMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s`,
      'RSS is the whole bench process, the loading before included (V8 keeps what it grew to): the rise is the phase',
      `machine load at the end: ${uptime()}`,
    );
  } finally {
    await db.drop().catch(() => undefined);
  }
  report.seconds = (now() - started) / 1000;
  return report;
}
