import os from 'node:os';
import { assessSnapshot } from '../../activities/findings';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { buildIdentityReport, gather, type ReportDeps } from '../../activities/report/identity-report';
import { resolveSubjects } from '../../activities/report/subjects';
import { PgStore } from '../../activities/store/pg-store';
import type { UsageDay } from '../../domain/inventory/model';
import { policySchema, type Policy } from '../../domain/policy/schema';
import { reportPeriod } from '../../domain/report/content';
import { freshDatabase } from '../../test/support/launch/database';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  writeSnapshot,
} from '../../test/support/checks/findings-snapshot';
import { recordGrant } from '../../test/support/generators/report-records';
import { PROD_DB_READONLY } from '../../test/activities/store/fixtures';
import { now, throwIfAborted } from '../lib/clock';
import { runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { uptime } from './findings-pci';
import { envInt } from '../lib/context';

/**
 * Report generation time (issue 14, item 5): `buildIdentityReport` for one person holding one IAM role
 * with G just-in-time grants in the period (each with its approval, five audit rows and a revocation) and
 * D days of usage across A actions, on a fresh PostgreSQL database with the rows written through the real
 * stores and the snapshot assessed (unmeasured). Beside it, measured in the same run:
 * - the floor: the same rows read with the same queries (subjects, identity view, usage per day, grants,
 *   decisions, audit rows with their predecessors, PCI history, cleanup, anomalies), nothing assessed or drawn;
 * - gather: the report's content (queries + the identity's assessment + the chain check of every audit row),
 *   without the HTML and the chart.
 * Needs only PostgreSQL (LEAST_TEST_DATABASE_ADMIN_URL).
 */

const SYSTEM = 'aws-prod';
const ACCOUNT = '111122223333';
const PERSON = 'bench-report@example.com';
const ROLE = 'bench-report-role';
const DAY_MS = 86_400_000;

function sizes(): { grants: number; actions: number; days: number; samples: number } {
  return {
    grants: envInt('BENCH_REPORT_GRANTS', 1000),
    actions: envInt('BENCH_REPORT_ACTIONS', 300),
    days: envInt('BENCH_REPORT_DAYS', 90),
    samples: envInt('BENCH_REPORT_SAMPLES', 10),
  };
}

function policy(): Policy {
  return policySchema.parse({
    version: 1,
    authorizationSystems: [
      { id: SYSTEM, cloud: 'aws', accountId: ACCOUNT, brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker` },
    ],
    principals: { [PERSON]: { [SYSTEM]: { awsIamRole: ROLE } } },
    entitlements: [
      {
        id: PROD_DB_READONLY.entitlementId,
        title: PROD_DB_READONLY.title,
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: PROD_DB_READONLY.approvers },
      },
    ],
  });
}

export async function reportScenario(ctx: { signal: AbortSignal; log(line: string): void }): Promise<ScenarioReport> {
  const report = newReport('report');
  const started = now();
  const size = sizes();
  const db = await freshDatabase('least_bench_report');
  const store = new PgStore(db.pool);
  try {
    await store.migrate();
    const current = policy();
    const at = new Date().toISOString();
    const to = at.slice(0, 10);
    const dayOf = (back: number): string =>
      new Date(Date.parse(`${to}T00:00:00Z`) - back * DAY_MS).toISOString().slice(0, 10);

    // inventory: one role holding A real catalogue actions, used every day of the period
    const catalogue = await loadAwsCatalogue();
    const stride = Math.max(1, Math.floor(catalogue.actions.length / size.actions));
    const picked = catalogue.actions.filter((_, i) => i % stride === 0).slice(0, size.actions);
    const document = awsDocument(
      'BenchReport',
      picked.map((a) => ({ action: a.action, accessLevels: a.accessLevels })),
    );
    const role = awsIdentity(SYSTEM, ACCOUNT, ROLE, 'aws-iam-role', 'workload');
    const usage: UsageDay[] = [];
    for (let d = 0; d < size.days; d++)
      picked.forEach((a, k) => {
        if ((k + d) % 3 !== 0)
          usage.push({
            systemId: SYSTEM,
            identityId: role.id,
            action: a.action,
            day: dayOf(d),
            count: 1 + ((k * 7 + d) % 50),
            denied: (k + d) % 17 === 0 ? 1 : 0,
          });
      });
    const window = { from: `${dayOf(size.days)}T00:00:00.000Z`, to: at };
    const loadStarted = now();
    await writeSnapshot(store, {
      runId: 'bench-report-1',
      systemId: SYSTEM,
      window,
      identities: [role],
      documents: [document],
      paths: [grantPath(role, document.document.id)],
      usage,
      coverage: [cloudTrailCoverage(SYSTEM, window.from, window.to)],
    });
    await assessSnapshot(
      { inventory: store.inventory, findings: store.findings, policy: () => current },
      SYSTEM,
      'bench-report-1',
    );
    // grants spread over the period, each through the real store as the workflow writes it
    const outcome = await runPool(size.grants, 4, ctx.signal, async (i) => {
      const back = (i * (size.days - 1)) / size.grants;
      const submitted = Date.parse(`${to}T01:00:00Z`) - back * DAY_MS;
      const iso = (ms: number): string => new Date(ms).toISOString();
      await recordGrant(store, {
        requestId: `r-bench${String(i).padStart(5, '0')}`,
        requester: PERSON,
        rules: PROD_DB_READONLY,
        principal: { kind: 'aws-iam-role', roleName: ROLE },
        submittedAt: iso(submitted),
        grantedAt: iso(submitted + 60_000),
        endedAt: iso(submitted + 3_660_000),
      });
    });
    if (outcome.errors.length) throw new Error(`loading grants: ${String(outcome.errors[0]!.error)}`);
    value(
      report,
      'rows loaded (unmeasured)',
      `${size.grants} grants (${size.grants * 5} audit rows), ${usage.length} usage rows of ${picked.length} actions over ${size.days} days`,
    );
    value(report, 'load time (unmeasured)', ((now() - loadStarted) / 1000).toFixed(1), 's');
    await db.pool.query('ANALYZE');
    throwIfAborted(ctx.signal);

    const deps: ReportDeps = { store, policy: () => current };
    const request = { identity: PERSON, days: size.days, at, requestedBy: 'bench@example.com' };
    const warm = await buildIdentityReport(deps, request); // catalogue, JIT, plans: not measured
    if (!warm.body.includes(`r-bench${String(size.grants - 1).padStart(5, '0')}`) && size.grants <= 1000)
      throw new Error('the report does not list the oldest grant');

    const period = reportPeriod(at, size.days);
    const instants = {
      from: `${period.from}T00:00:00.000Z`,
      to: new Date(Date.parse(`${period.to}T00:00:00Z`) + DAY_MS).toISOString(),
    };
    const floor = async (): Promise<void> => {
      const { subjects } = await resolveSubjects(store.reports, current, PERSON, undefined);
      const subject = subjects[0]!;
      const grants = await store.reports.grants({ requester: PERSON }, instants, 1000);
      const ids = grants.rows.map((g) => g.requestId);
      await Promise.all([
        store.inventory.identityView(SYSTEM, subject.identityId),
        store.reports.usagePerDay(SYSTEM, subject.identityId, period),
        store.reports.cleanupHistory(subject, instants, 1000),
        store.anomalies.forIdentity(SYSTEM, subject.identityId, period.from, period.to),
        store.findings.liveSuppressions(at, SYSTEM),
        store.reports.decisions(ids),
        store.reports.auditOf(ids, 10_000),
        store.reports.decisionsGiven(PERSON, instants, 1000),
        store.reports.pciHistory(subjects, period, 1000),
        store.reports.auditHead(),
      ]);
    };
    const samples = { full: [] as number[], gather: [] as number[], floor: [] as number[] };
    let bytes = 0;
    for (let s = 0; s < size.samples; s++) {
      throwIfAborted(ctx.signal);
      let t = now();
      await floor();
      samples.floor.push(now() - t);
      t = now();
      await gather(deps, request);
      samples.gather.push(now() - t);
      t = now();
      bytes = Buffer.byteLength((await buildIdentityReport(deps, request)).body);
      samples.full.push(now() - t);
    }
    latency(report, 'floor: the same queries, no assessing or drawing', samples.floor);
    latency(report, 'gather: content (queries + assessment + chain check)', samples.gather);
    latency(report, 'buildIdentityReport: content + HTML + chart', samples.full);
    value(report, 'report size', (bytes / 1024).toFixed(0), 'KiB');
    report.notes.push(
      `One person, one IAM role; ${size.samples} samples of each, run in turn (floor, gather, full) after one unmeasured build. Machine: ${os.cpus().length} cores; ${uptime()}.`,
    );
  } finally {
    await db.drop();
  }
  report.seconds = (now() - started) / 1000;
  return report;
}
