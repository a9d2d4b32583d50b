import { createDigestActivities } from '../../activities/digest';
import { renderChartPng } from '../../activities/chat/chart-png';
import { SLACK_CHART_SCALE } from '../../activities/chat/slack-digest-poster';
import { TEAMS_CHART_SCALES } from '../../activities/chat/teams-digest-poster';
import { CHART_FONT_FAMILY, grantsPerDayChart, pciTrendChart, topEntitlementsChart } from '../../bot/render/charts';
import { digestCharts, type DigestChartDrawing } from '../../bot/render/digest-charts';
import { digestSlackMessage } from '../../bot/render/slack/digest';
import { digestTeamsMessage } from '../../bot/render/teams/digest';
import { AuditAction } from '../../domain/audit';
import { GRANTS_CHART_DAYS, PCI_TREND_DAYS, type DigestContent } from '../../domain/digest/content';
import { digestPeriod, trailingDays, type DigestPeriod } from '../../domain/digest/period';
import type { Digest } from '../../domain/policy/schema';
import type { RequestState } from '../../domain/request';
import { activeRequest, pendingRequest, PROD_DB_READONLY } from '../../test/activities/store/fixtures';
import { seedAssessment } from '../../test/support/generators/digest-records';
import { now, throwIfAborted } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { runPool } from '../lib/pool';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { envInt } from '../lib/context';

/**
 * Issue 14's figures for digests: (a) the build of one weekly digest — gather (the store's reads),
 * the content, the three charts as SVG and as the PNGs both posters draw, the Slack blocks and the
 * Teams card; no posting — for a system of N identities, beside the floor: the same queries read by
 * the same store without building anything; (b) each chart's render time, SVG and PNG (Slack's 2×)
 * apart, median of K renders, beside the floor: resvg drawing a trivial SVG of the same size with
 * one text element, with the same fonts.
 *
 * The rows are what a busy system leaves behind: R requests over the chart's 30 days across 20
 * entitlements (submitted; most granted and revoked at expiry, some denied, expired unanswered, still
 * waiting, a few revocations retried), A other audit entries over 90 days (the log is shared with
 * everything else Least records), 90 daily assessments of the system with its PCI history for every
 * identity over H days (the table the PCI chart reads, N × H rows), and 13 weekly cleanup runs of
 * N / 50 items each.
 */

const SYSTEM = 'aws-prod';
const DAY = 86_400_000;
const ENTITLEMENTS = 20;
/** The digest's time: a Monday morning, so the period is the week before. */
const AT = '2026-03-30T06:30:00.000Z';

interface Sizes {
  identities: number;
  requests: number;
  otherAudit: number;
  historyDays: number;
  builds: number;
  renders: number;
}

function sizes(): Sizes {
  return {
    identities: envInt('BENCH_DIGEST_IDENTITIES', 100_000),
    requests: envInt('BENCH_DIGEST_REQUESTS', 3_000),
    otherAudit: envInt('BENCH_DIGEST_OTHER_AUDIT', 200_000),
    historyDays: envInt('BENCH_DIGEST_HISTORY_DAYS', 30),
    builds: envInt('BENCH_DIGEST_BUILDS', 5),
    renders: envInt('BENCH_DIGEST_RENDERS', 15),
  };
}

export async function digestScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const report = newReport('digest');
  const started = now();
  const size = sizes();
  const pool = ctx.stack.db.pool;
  const period = digestPeriod('weekly', 'UTC', AT);

  let t = now();
  await seedRequests(ctx, period, size.requests);
  await seedOtherAudit(ctx, size.otherAudit);
  await seedFindings(ctx, size.identities, size.historyDays);
  await seedCleanupRuns(ctx, size.identities);
  await pool.query('ANALYZE');
  const seeded = (now() - t) / 1000;
  ctx.log(`digest: rows written in ${seeded.toFixed(1)} s`);
  throwIfAborted(ctx.signal);

  const digest: Digest = {
    id: 'bench-weekly',
    platform: 'slack',
    channel: 'CBENCH0001',
    cadence: 'weekly',
    weekday: 'monday',
    time: '06:30',
    timeZone: 'UTC',
    sections: ['access', 'findings', 'cleanup'],
  } as Digest;
  const store = ctx.stack.store.digests;
  const activities = createDigestActivities({
    store,
    posters: [],
    policy: () => ctx.stack.policy,
    audit: () => Promise.resolve(),
  });
  const systems = ctx.stack.policy.authorizationSystems.map((s) => s.id);

  // One unmeasured pass each: plans cached, pages warm, JIT warmed.
  await floorRead(store, systems, period);
  await build(activities, digest, period);

  const floor: number[] = [];
  const gather: number[] = [];
  const charts: number[] = [];
  const pngs: number[] = [];
  const render: number[] = [];
  const whole: number[] = [];
  let last: { content: DigestContent; drawings: DigestChartDrawing[] } | undefined;
  for (let i = 0; i < size.builds; i++) {
    throwIfAborted(ctx.signal);
    t = now();
    await floorRead(store, systems, period);
    floor.push(now() - t);
    const timed = await build(activities, digest, period);
    gather.push(timed.gather);
    charts.push(timed.charts);
    pngs.push(timed.pngs);
    render.push(timed.render);
    whole.push(timed.gather + timed.charts + timed.pngs + timed.render);
    last = timed;
  }
  latency(report, 'build: gather + charts + PNGs + Slack/Teams render', whole);
  latency(report, '  gather (store reads + content)', gather);
  latency(report, '  charts as SVG (3)', charts);
  latency(report, '  charts as PNG (Slack 2×, Teams 0.75× and 0.5×)', pngs);
  latency(report, '  Slack blocks + Teams card', render);
  latency(report, 'floor: the same store reads, nothing built', floor);
  value(report, 'identities in the system', size.identities);
  value(report, 'requests over 30 days (in the period)', `${size.requests} (${inPeriod(size.requests)})`);
  value(report, 'audit rows in all', size.requests * 3 + size.otherAudit, 'about');
  value(report, 'PCI history rows', size.identities * size.historyDays + 90);
  value(report, 'cleanup items', 13 * Math.max(1, Math.floor(size.identities / 50)));
  value(report, 'rows written (not measured)', seeded.toFixed(1), 's');
  if (last) {
    value(report, 'digest charts drawn', last.drawings.map((d) => d.name).join(', '));
    value(
      report,
      'digest says',
      `${last.content.access?.totals.requested ?? 0} requested, ${last.content.access?.totals.granted ?? 0} granted, ${(last.content.cleanup?.runs.rows.length ?? 0) + (last.content.cleanup?.runs.more ?? 0)} cleanup runs`,
    );
    chartFigures(report, last.content, last.drawings, size.renders);
  }
  report.notes.push(
    `Median (p50) of ${size.builds} builds after one unmeasured; each chart's figures are the median of ${size.renders} renders. PCI history is ${size.historyDays} days per identity (BENCH_DIGEST_HISTORY_DAYS); the system's own line has 90. The findings the digest reads are the system's assessments and history; per-identity findings rows are not read by a digest and are not written here.`,
  );
  report.seconds = (now() - started) / 1000;
  return report;
}

/** Requests of the last week among those spread over 30 days. */
function inPeriod(requests: number): number {
  return Math.round((requests * 7) / 30);
}

async function floorRead(store: BenchContext['stack']['store']['digests'], systems: string[], period: DigestPeriod) {
  await store.access(period, trailingDays(period, GRANTS_CHART_DAYS));
  await store.findings(systems, period, trailingDays(period, PCI_TREND_DAYS).firstDay);
  await store.cleanup(systems, period);
}

async function build(
  activities: ReturnType<typeof createDigestActivities>,
  digest: Digest,
  period: DigestPeriod,
): Promise<{
  content: DigestContent;
  drawings: DigestChartDrawing[];
  gather: number;
  charts: number;
  pngs: number;
  render: number;
}> {
  let t = now();
  const content = await activities.gatherDigest({ digest, period });
  const gather = now() - t;
  t = now();
  const drawings = digestCharts(content);
  const charts = now() - t;
  t = now();
  const slackPngs = drawings.map((d) => renderChartPng(d.chart, { scale: SLACK_CHART_SCALE }));
  const teamsPictures = drawings.map((d) =>
    TEAMS_CHART_SCALES.map(
      (scale) => `data:image/png;base64,${renderChartPng(d.chart, { scale }).png.toString('base64')}`,
    ),
  );
  const pngs = now() - t;
  t = now();
  const alt = drawings.map((d) => ({ title: d.title, alt: d.chart.alt }));
  digestSlackMessage(content, alt);
  digestTeamsMessage(
    content,
    alt.map((a, i) => ({ ...a, pictures: teamsPictures[i]! })),
  );
  const render = now() - t;
  if (slackPngs.length !== drawings.length) throw new Error('a chart was not drawn');
  return { content, drawings, gather, charts, pngs, render };
}

/** Each chart alone: its SVG from the digest's own data, its PNG at Slack's scale; and resvg's floor. */
function chartFigures(report: ScenarioReport, content: DigestContent, drawings: DigestChartDrawing[], k: number) {
  const builders: Record<DigestChartDrawing['name'], () => { svg: string }> = {
    'pci-trend': () => pciTrendChart(content.findings!.trend),
    'grants-per-day': () => grantsPerDayChart(content.access!.grantsPerDay),
    'top-entitlements': () =>
      topEntitlementsChart({
        from: content.period.firstDay,
        to: content.period.lastDay,
        entitlements: content.access!.topEntitlements,
      }),
  };
  const median = (work: () => unknown): number => {
    work();
    const samples: number[] = [];
    for (let i = 0; i < k; i++) {
      const t = now();
      work();
      samples.push(now() - t);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)]!;
  };
  for (const drawing of drawings) {
    const svg = median(builders[drawing.name]);
    const png = median(() => renderChartPng(drawing.chart, { scale: SLACK_CHART_SCALE }));
    value(report, `chart ${drawing.name}: SVG / PNG ${1600}×${800}`, `${svg.toFixed(1)} / ${png.toFixed(1)}`, 'ms');
  }
  const trivial = {
    svg:
      `<svg width="800" height="400" xmlns="http://www.w3.org/2000/svg"><rect width="800" height="400" fill="#fff"/>` +
      `<text x="20" y="30" style="font-size:12px;font-family:${CHART_FONT_FAMILY};">Grants per day</text></svg>`,
  };
  value(
    report,
    'floor: resvg, trivial 800×400 SVG with one text, PNG 1600×800',
    median(() => renderChartPng(trivial, { scale: SLACK_CHART_SCALE })).toFixed(1),
    'ms',
  );
}

/** R requests over the 30 days before the digest, with their audit trail as the workflow writes it. */
async function seedRequests(ctx: BenchContext, period: DigestPeriod, count: number): Promise<void> {
  const end = Date.parse(period.to);
  const states: { state: RequestState; events: [string, string, Record<string, unknown>][] }[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % ENTITLEMENTS;
    const rules = { ...PROD_DB_READONLY, entitlementId: `bench-entitlement-${k}`, title: `Bench entitlement ${k}` };
    const submitted = end - Math.floor(((i + 0.5) / count) * 30 * DAY);
    const at = (offset: number) => new Date(submitted + offset).toISOString();
    const requestId = `r-${i.toString(36).padStart(10, '0')}`;
    const base = { requestId, rules, requester: `person-${i % 997}@example.com`, submittedAt: at(0) };
    const kind = i % 20;
    const events: [string, string, Record<string, unknown>][] = [[at(0), AuditAction.RequestSubmitted, {}]];
    let state: RequestState;
    if (kind === 0) {
      state = pendingRequest(base); // still waiting
    } else if (kind === 1) {
      state = pendingRequest(base);
      events.push([at(60_000), AuditAction.RequestDenied, {}]);
    } else if (kind === 2) {
      state = pendingRequest(base);
      events.push([at(DAY), AuditAction.RequestExpired, {}]);
    } else {
      state = activeRequest({ ...base, grantedAt: at(300_000) });
      events.push([at(300_000), AuditAction.GrantApplied, {}]);
      if (kind === 3)
        events.push([at(3_900_000), AuditAction.GrantRevokeRetrying, { attempt: 1, message: 'Throttling' }]);
      events.push([at(3_960_000), AuditAction.GrantRevoked, { endedBy: 'expiry' }]);
    }
    states.push({ state, events });
  }
  await runPool(states.length, 8, ctx.signal, async (i) => ctx.stack.store.saveRequest(states[i]!.state));
  const rows = states.flatMap(({ state, events }) =>
    events.map(([at, action, detail]) => ({ at, action, requestId: state.request.requestId, detail })),
  );
  await insertAudit(ctx, rows);
}

/** Everything else the audit log holds (collections, cleanups, logins of the bot …), over 90 days. */
async function seedOtherAudit(ctx: BenchContext, count: number): Promise<void> {
  const end = Date.parse(AT);
  const actions = ['collection.finished', 'cleanup.kept', 'findings.suppressed', 'digest.posted', 'action.malformed'];
  const rows = Array.from({ length: count }, (_, i) => ({
    at: new Date(end - Math.floor((i / count) * 90 * DAY)).toISOString(),
    action: actions[i % actions.length]!,
    requestId: undefined,
    detail: { n: i },
  }));
  await insertAudit(ctx, rows);
}

/** Audit rows in bulk: the digest only reads them, so the chain's hashes are placeholders of the right form. */
async function insertAudit(
  ctx: BenchContext,
  rows: { at: string; action: string; requestId: string | undefined; detail: Record<string, unknown> }[],
): Promise<void> {
  const pool = ctx.stack.db.pool;
  const { rows: top } = await pool.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM audit_log');
  let seq = Number(top[0]!.seq);
  const hash = '0'.repeat(64);
  for (let from = 0; from < rows.length; from += 10_000) {
    const page = rows.slice(from, from + 10_000);
    await pool.query(
      `INSERT INTO audit_log (seq, at, actor, action, request_id, detail, prev_hash, hash)
       SELECT s, a, 'workflow', act, r, d, $6, $6
       FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::jsonb[]) AS t(s, a, act, r, d)`,
      [
        page.map(() => ++seq),
        page.map((r) => r.at),
        page.map((r) => r.action),
        page.map((r) => r.requestId ?? null),
        page.map((r) => JSON.stringify(r.detail)),
        hash,
      ],
    );
  }
}

/** 90 daily assessments of the system, and every identity's PCI history over `days` days. */
async function seedFindings(ctx: BenchContext, identities: number, days: number): Promise<void> {
  const pool = ctx.stack.db.pool;
  const end = Date.parse(AT);
  for (let d = 89; d >= 0; d--) {
    const at = new Date(end - d * DAY - 3 * 3_600_000).toISOString();
    await seedAssessment(pool, SYSTEM, at, 40 + (d % 9), {
      inactive: Math.floor(identities / 20) + d,
      'over-provisioned': Math.floor(identities / 10),
    });
  }
  await pool.query(
    `INSERT INTO findings_pci_history (system_id, identity_id, day, pci)
     SELECT $1, 'arn:aws:iam::111122223333:role/bench-' || i, ($2::date - d), (i * 7 + d) % 101
     FROM generate_series(1, $3::int) AS i, generate_series(0, $4::int - 1) AS d
     ON CONFLICT DO NOTHING`,
    [SYSTEM, AT.slice(0, 10), identities, days],
  );
}

/** A cleanup run a week for 13 weeks, each over one identity in fifty. */
async function seedCleanupRuns(ctx: BenchContext, identities: number): Promise<void> {
  const pool = ctx.stack.db.pool;
  const items = Math.max(1, Math.floor(identities / 50));
  const outcomes = ['removed', 'removed', 'removed', 'kept', 'snoozed', 'restored', 'failed', 'reported'];
  for (let w = 12; w >= 0; w--) {
    const runId = `bench-cleanup-${w}`;
    const planned = new Date(Date.parse(AT) - w * 7 * DAY - 2 * DAY).toISOString();
    const finished = new Date(Date.parse(planned) + 7 * DAY).toISOString();
    await pool.query(
      `INSERT INTO cleanup_runs (run_id, system_id, collection_run_id, mode, trigger, status, window_from, window_to, planned_at, finished_at)
       VALUES ($1, $2, 'collect-bench', 'enforce', 'schedule', 'finished', $3::timestamptz - interval '90 days', $3, $3, $4)`,
      [runId, SYSTEM, planned, finished],
    );
    await pool.query(
      `INSERT INTO cleanup_items (run_id, item_id, change, object_kind, object_key, object_name, identities, reason, outcome, outcome_at, restored_at)
       SELECT $1, 'item-' || i, 'remove-actions', 'aws-inline-policy', 'policy-' || i, 'policy-' || i, '[]', 'unused for 90 days',
              ($4::text[])[1 + i % cardinality($4::text[])], $3::timestamptz - (i % 1000) * interval '1 minute',
              CASE WHEN ($4::text[])[1 + i % cardinality($4::text[])] = 'restored' THEN $3::timestamptz END
       FROM generate_series(1, $2::int) AS i`,
      [runId, items, finished, outcomes],
    );
  }
}
