import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { assessSnapshot, type FindingsActivityDeps } from '../../activities/findings';
import { ASSESS_PAGE } from '../../activities/findings/assess-run';
import { DATA_EVENT_ACTIONS } from '../../activities/inventory/aws/cloudtrail';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { FindingsStore } from '../../activities/store/findings/store';
import { InventoryStore } from '../../activities/store/inventory/store';
import { expandAwsPolicy } from '../../domain/inventory/aws-policy';
import type { ActionCatalogue, Coverage } from '../../domain/inventory/model';
import { policySchema, type Policy } from '../../domain/policy/schema';
import { now, throwIfAborted } from '../lib/clock';
import { type BenchContext, collectGarbage, envInt } from '../lib/context';
import { GROUPS, loadInventory, type GeneratedDocument, type InventoryShape } from '../lib/inventory-data';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { cpuSnapshot, type CpuSnapshot } from '../lib/resources';

/**
 * The PCI recompute of issue 12: `assessSnapshot` (activities/findings) over a snapshot of N identities
 * and U usage rows, end to end — every identity streamed a page at a time, assessed by the pure domain
 * (risk rules, PCI, findings), written per page with COPY, then the system's index and history.
 *
 * The snapshot has inventory-load's shape (bench/lib/inventory-data.ts) with real AWS content: documents
 * name actions of the published catalogue (expanded by the real expander, so access levels are the
 * catalogue's), document 0 is `Action: *` named AdministratorAccess (held by group 0, i.e. one identity in
 * a thousand), some documents carry iam:PassRole + ec2:RunInstances / lambda:CreateFunction, policy
 * versions, data-event actions, resource-scoped and conditional statements; one system-wide CloudTrail
 * coverage row (action-day, the whole window, data events excepted as a trail without them) makes held
 * actions without use `unused`, data events `unknown`.
 *
 * Beside it, the floor measured in the same run: the same stream read (IdentityViewStream.page over every
 * identity, which builds each view: paths, effective grants, usage verdicts) without assessing or writing.
 */

const SYSTEM = 'bench-findings';
const ACCOUNT = '111122223333';
const RSS_SAMPLE_MS = 100;
const PROFILE_FILE = path.join(__dirname, '..', 'results', 'findings-pci.cpuprofile');

interface Sizes extends InventoryShape {
  profile: boolean;
}

function sizes(): Sizes {
  return {
    identities: envInt('BENCH_FINDINGS_IDENTITIES', 100_000),
    documents: envInt('BENCH_FINDINGS_DOCUMENTS', 500),
    usage: envInt('BENCH_FINDINGS_USAGE', 1_000_000),
    page: envInt('BENCH_INVENTORY_PAGE', 10_000),
    profile: process.env.BENCH_FINDINGS_PROFILE === '1',
  };
}

/** Extra actions some documents carry, so escalation and exposure rules fire as in real accounts. */
const EXTRAS: { every: number; at: number; actions: string[] }[] = [
  { every: 10, at: 1, actions: ['iam:PassRole', 'ec2:RunInstances'] },
  { every: 25, at: 2, actions: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'] },
  { every: 20, at: 3, actions: ['iam:CreatePolicyVersion'] },
  { every: 5, at: 4, actions: ['s3:GetObject', 's3:PutObject', 'secretsmanager:GetSecretValue'] },
  { every: 50, at: 7, actions: ['iam:CreateAccessKey', 'sts:AssumeRole'] },
];

/**
 * Document generator over the AWS catalogue, deterministic: document d (≥ 1) names 20–216 actions of a
 * few consecutive services (as real policies do), in up to three statements — on every resource, on one
 * bucket's objects (one document in three), under an MFA condition (one in four) — plus EXTRAS.
 */
export function catalogueDocuments(catalogue: ActionCatalogue): (d: number) => GeneratedDocument {
  const byService = new Map<string, string[]>();
  for (const entry of catalogue.actions) {
    const service = entry.action.slice(0, entry.action.indexOf(':'));
    const list = byService.get(service);
    if (list) list.push(entry.action);
    else byService.set(service, [entry.action]);
  }
  const services = [...byService.keys()].sort();
  for (const list of byService.values()) list.sort();
  return (d) => {
    let body: Record<string, unknown>;
    let name: string;
    if (d === 0) {
      name = 'arn:aws:iam::aws:policy/AdministratorAccess';
      body = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    } else {
      name = `arn:aws:iam::${ACCOUNT}:policy/bench-policy-${d}`;
      const count = 20 + (d % 50) * 4;
      const actions: string[] = [];
      for (let s = (d * 37) % services.length; actions.length < count; s = (s + 1) % services.length) {
        const list = byService.get(services[s]!)!;
        const take = Math.min(list.length, Math.ceil(count / 3), count - actions.length);
        const offset = (d * 13) % list.length;
        for (let k = 0; k < take; k++) actions.push(list[(offset + k) % list.length]!);
      }
      for (const extra of EXTRAS) if (d % extra.every === extra.at) actions.push(...extra.actions);
      const scoped = d % 3 === 0 ? Math.floor(actions.length / 5) : 0;
      const conditional = d % 4 === 0 ? Math.floor(actions.length / 10) : 0;
      const statements: Record<string, unknown>[] = [
        { Effect: 'Allow', Action: actions.slice(scoped + conditional), Resource: '*' },
      ];
      if (scoped > 0)
        statements.push({
          Effect: 'Allow',
          Action: actions.slice(0, scoped),
          Resource: [`arn:aws:s3:::bench-bucket-${d}`, `arn:aws:s3:::bench-bucket-${d}/*`],
        });
      if (conditional > 0)
        statements.push({
          Effect: 'Allow',
          Action: actions.slice(scoped, scoped + conditional),
          Resource: '*',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        });
      body = { Version: '2012-10-17', Statement: statements };
    }
    const id = `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
    const expansion = expandAwsPolicy(catalogue, id, body);
    if (expansion.skipped.length) throw new Error(`bench document ${d}: ${JSON.stringify(expansion.skipped[0])}`);
    return {
      document: { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud: d === 0, body },
      actions: expansion.actions,
    };
  };
}

/** What a CloudTrail collection of the whole window writes: one system-wide row, data events excepted. */
export function trailCoverage(window: { from: string; to: string }): Coverage[] {
  return [
    {
      systemId: SYSTEM,
      identityId: '*',
      source: 'cloudtrail',
      granularity: 'action-day',
      from: window.from,
      to: window.to,
      actions: 'all',
      exceptActions: Object.values(DATA_EVENT_ACTIONS).flat(),
      note: `s3://bench-trail/AWSLogs/${ACCOUNT}/CloudTrail us-east-1, eu-west-1`,
    },
  ];
}

export function benchPolicy(): Policy {
  return policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: SYSTEM,
        cloud: 'aws',
        accountId: ACCOUNT,
        brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker`,
      },
    ],
    admins: { users: [] },
    entitlements: [
      {
        id: 'bench-read',
        title: 'Read',
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
}

const MIB = 2 ** 20;
const mib = (bytes: number): string => (bytes / MIB).toFixed(0);

/** RSS sampled on a timer and at each page, with the progress it was taken at. */
export class RssSampler {
  readonly samples: { at: number; rss: number; heap: number; progress: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  progress = 0;

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.timer.unref();
  }

  sample(): void {
    const memory = process.memoryUsage();
    this.samples.push({ at: now(), rss: memory.rss, heap: memory.heapUsed, progress: this.progress });
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  max(of: 'rss' | 'heap' = 'rss'): number {
    return Math.max(...this.samples.map((s) => s[of]));
  }

  /** Peak RSS per quarter of the identities: flat when memory is bounded by a page. */
  quarters(total: number, of: 'rss' | 'heap' = 'rss'): string {
    const peaks = [0, 0, 0, 0];
    for (const s of this.samples) {
      const q = Math.min(3, Math.floor((s.progress / Math.max(1, total)) * 4));
      peaks[q] = Math.max(peaks[q]!, s[of]);
    }
    return peaks.map((p) => (p > 0 ? mib(p) : '-')).join(' / ');
  }
}

export function uptime(): string {
  try {
    return execFileSync('uptime', [], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return `load average: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(', ')}`;
  }
}

/** CPU seconds of every postgres process between two snapshots (backends that came and went are lost). */
export function postgresCpu(from: CpuSnapshot, to: CpuSnapshot): number {
  return [...to.postgres].reduce((sum, [pid, s]) => sum + Math.max(0, s - (from.postgres.get(pid) ?? 0)), 0);
}

/** user + system CPU seconds of this process since `from`. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The phase a function belongs to (the innermost named one on the stack wins). */
function phaseOf(frame: ProfileNode['callFrame']): string | undefined {
  const { functionName: fn, url } = frame;
  const file = (suffix: string): boolean => url.endsWith(suffix);
  if (file('domain/inventory/coverage.ts') || file('domain/inventory/verdicts.ts'))
    return 'view: attachUsage / usageVerdict';
  if (file('domain/inventory/grants.ts')) return 'view: effectiveGrants';
  if (file('activities/store/inventory/views.ts'))
    return ['viewPaths', 'toViewPath'].includes(fn) ? 'view: paths (own + groups)' : 'view: rows → views (rest)';
  if (file('activities/store/inventory/view.ts') || file('activities/store/inventory/runs.ts'))
    return 'view: rows → views (rest)';
  if (file('domain/findings/risk.ts') || url.includes('domain/findings/risk/'))
    return fn === 'actionCategories' ? 'assess: actionCategories' : 'assess: assessRisk';
  if (file('domain/findings/pci.ts')) return 'assess: PCI';
  if (file('domain/findings/super.ts')) return 'assess: superIdentity';
  if (file('domain/findings/trust.ts')) return 'assess: riskyTrust';
  if (file('domain/findings/assess.ts'))
    return fn === 'coverageBasis' ? 'assess: coverageBasis' : 'assess: assessIdentity (rest)';
  if (file('activities/findings/assess-run.ts')) return 'assess: context / page (rest)';
  if (file('activities/store/findings/store.ts') || file('activities/store/inventory/copy.ts'))
    return fn === 'finish' ? 'finish' : 'write: rows for COPY';
  return undefined;
}

function leafPhase(frame: ProfileNode['callFrame']): string {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return 'idle (waiting for PostgreSQL)';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'V8 / native (program)';
  if (url.includes('/node_modules/pg') || url.includes('/node_modules/pg-protocol'))
    return 'pg client (protocol, row parsing)';
  return 'other (node, libraries)';
}

/** Milliseconds per phase and the top functions by self time, from a V8 CPU profile. */
function summariseProfile(profile: CpuProfile): { phases: [string, number][]; top: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseCache = new Map<number, string>();
  const phaseOfNode = (id: number): string => {
    const cached = phaseCache.get(id);
    if (cached) return cached;
    let at: number | undefined = id;
    let found: string | undefined;
    while (at !== undefined && !found) {
      found = phaseOf(byId.get(at)!.callFrame);
      at = parent.get(at);
    }
    const phase = found ?? leafPhase(byId.get(id)!.callFrame);
    phaseCache.set(id, phase);
    return phase;
  };
  const phases = new Map<string, number>();
  const self = new Map<string, number>();
  profile.samples.forEach((id, k) => {
    const ms = (profile.timeDeltas[k + 1] ?? profile.timeDeltas[k] ?? 0) / 1000;
    const phase = phaseOfNode(id);
    phases.set(phase, (phases.get(phase) ?? 0) + ms);
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^.*\/work\/main\//, '')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return { phases: sorted(phases), top: sorted(self).slice(0, 15) };
}

export async function findingsPciScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const size = sizes();
  const report = newReport('findings-pci');
  const startedAt = now();
  const pool = ctx.stack.db.pool;
  const inventory = new InventoryStore(pool);
  const findings = new FindingsStore(pool);
  const policy = benchPolicy();
  report.notes.push(`uptime at start: ${uptime()} (${os.cpus().length} cores)`);

  // --- the snapshot ---
  let clock = now();
  const catalogue = await loadAwsCatalogue();
  const runId = `bench-findings-${Date.now().toString(36)}`;
  const loaded = await loadInventory(inventory, {
    systemId: SYSTEM,
    runId,
    shape: size,
    document: catalogueDocuments(catalogue),
    coverage: trailCoverage,
    signal: ctx.signal,
  });
  await inventory.finishRun(runId, { snapshotsKept: 1 });
  value(
    report,
    `snapshot loaded: ${size.identities} roles + ${GROUPS} groups, ${loaded.pathCount} grant paths, ${size.usage} usage rows, ${size.documents} documents (${loaded.documentActions} expanded actions, catalogue of ${catalogue.actions.length}), ${loaded.coverageRows} coverage row`,
    ((now() - clock) / 1000).toFixed(1),
    's (not measured below)',
  );
  const total = size.identities + GROUPS;
  ctx.log(`findings-pci: snapshot loaded in ${((now() - clock) / 1000).toFixed(1)} s; floor (stream read only)`);
  report.notes.push(
    `load average before the floor: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );

  // --- floor: the same stream read, no assessment, no writes ---
  throwIfAborted(ctx.signal);
  const heapAfterGc = (): number => (collectGarbage() ? process.memoryUsage().heapUsed : Number.NaN);
  const heapBeforeFloor = heapAfterGc();
  const floorRss = new RssSampler();
  floorRss.start();
  let cpu = process.cpuUsage();
  let pgFrom = cpuSnapshot({});
  clock = now();
  const stream = await inventory.viewStream(runId);
  if (!stream) throw new Error(`run ${runId} not found`);
  let after: string | undefined;
  let read = 0;
  let granted = 0;
  const verdicts = { used: 0, unused: 0, unknown: 0 };
  for (;;) {
    throwIfAborted(ctx.signal);
    const views = await stream.page(after, ASSESS_PAGE);
    if (views.length === 0) break;
    for (const view of views) {
      granted += view.granted.length;
      for (const g of view.granted) verdicts[g.verdict ?? 'unknown'] += 1;
    }
    read += views.length;
    after = views[views.length - 1]!.identity.id;
    floorRss.progress = read;
    floorRss.sample();
  }
  const floorSeconds = (now() - clock) / 1000;
  const floorCpu = cpuSince(cpu);
  const floorPg = postgresCpu(pgFrom, cpuSnapshot({}));
  floorRss.stop();
  if (read !== total) report.errors.push(`floor read ${read} identities, expected ${total}`);
  ctx.log(`findings-pci: floor ${floorSeconds.toFixed(1)} s; assessSnapshot`);

  // --- the recompute, end to end ---
  throwIfAborted(ctx.signal);
  const heapBeforeAssess = heapAfterGc();
  const phases = { page: 0, pages: 0, write: 0, finish: 0 };
  const timed = async <T>(key: 'page' | 'write' | 'finish', work: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await work();
    } finally {
      phases[key] += now() - t;
    }
  };
  const deps: FindingsActivityDeps = {
    inventory: {
      viewStream: async (id) => {
        const s = await inventory.viewStream(id);
        if (s) {
          const page = s.page.bind(s);
          s.page = (afterId, n) => {
            phases.pages += 1;
            return timed('page', () => page(afterId, n));
          };
          const sharedPage = s.sharedPage.bind(s);
          s.sharedPage = (afterId, n) => {
            phases.pages += 1;
            return timed('page', () => sharedPage(afterId, n));
          };
        }
        return s;
      },
      runCatalogue: (id, cloud) => inventory.runCatalogue(id, cloud),
    },
    findings: {
      begin: (id) => findings.begin(id),
      write: (key, assessments) => timed('write', () => findings.write(key, assessments)),
      finish: (key, day) => timed('finish', () => findings.finish(key, day)),
      liveSuppressions: (at, system) => findings.liveSuppressions(at, system),
    },
    policy: () => policy,
  };
  const session = size.profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  const rss = new RssSampler();
  rss.start();
  cpu = process.cpuUsage();
  pgFrom = cpuSnapshot({});
  clock = now();
  const outcome = await assessSnapshot(deps, SYSTEM, runId, {
    onPage: (position) => {
      rss.progress = position.identities;
      rss.sample();
      throwIfAborted(ctx.signal);
    },
  });
  const seconds = (now() - clock) / 1000;
  const assessCpu = cpuSince(cpu);
  const assessPg = postgresCpu(pgFrom, cpuSnapshot({}));
  rss.stop();
  const maxRssAfter = process.resourceUsage().maxRSS * 1024;
  const heapAfterAssess = heapAfterGc();
  ctx.log(`findings-pci: assessSnapshot ${seconds.toFixed(1)} s`);
  let profile: CpuProfile | undefined;
  if (session) {
    profile = (await session.post('Profiler.stop')).profile as unknown as CpuProfile;
    session.disconnect();
    try {
      writeFileSync(PROFILE_FILE, JSON.stringify(profile));
    } catch (error) {
      report.notes.push(`could not write ${PROFILE_FILE}: ${String(error)}`);
    }
  }
  if (outcome.status !== 'assessed' || outcome.identities !== total)
    report.errors.push(`assessSnapshot: ${outcome.status}, ${outcome.identities} identities (expected ${total})`);

  const summary = await pool.query<{ pci: number; summary: Record<string, unknown> }>(
    `SELECT f.pci, f.summary FROM findings_runs f JOIN inventory_runs r USING (run_key) WHERE r.run_id = $1`,
    [runId],
  );
  const counts = await pool.query<{ identities: number; findings: number }>(
    `SELECT (SELECT count(*)::int FROM findings_identities i JOIN inventory_runs r USING (run_key) WHERE r.run_id = $1) AS identities,
            (SELECT count(*)::int FROM findings f JOIN inventory_runs r USING (run_key) WHERE r.run_id = $1) AS findings`,
    [runId],
  );

  // --- figures ---
  value(
    report,
    `assessSnapshot: ${outcome.identities} identities, end to end (goal ≤ 30 s on 2 cores)`,
    seconds.toFixed(1),
    's',
  );
  value(report, 'assessSnapshot: identities per second', Math.round(outcome.identities / seconds), 'identities/s');
  value(
    report,
    'assessSnapshot: CPU of this process (user + system) / of postgres',
    `${assessCpu.toFixed(1)} s (${((assessCpu / seconds) * 100).toFixed(0)}% of one core) / ${assessPg.toFixed(1)} s`,
  );
  const other = seconds * 1000 - phases.page - phases.write - phases.finish;
  value(
    report,
    `assessSnapshot wall split: stream page ×${phases.pages} (SQL + views) / assess (pure, in between) / write / finish (page reads and writes overlap the assessment: their sum may pass the wall)`,
    `${(phases.page / 1000).toFixed(1)} / ${(other / 1000).toFixed(1)} / ${(phases.write / 1000).toFixed(1)} / ${(phases.finish / 1000).toFixed(1)}`,
    's',
  );
  value(
    report,
    `floor: the same stream read only (${read} identities, ${granted} granted actions: ${verdicts.used} used, ${verdicts.unused} unused, ${verdicts.unknown} unknown)`,
    `${floorSeconds.toFixed(1)} s, ${Math.round(read / floorSeconds)} identities/s, CPU ${floorCpu.toFixed(1)} s (postgres ${floorPg.toFixed(1)} s)`,
  );
  value(
    report,
    'ours beyond the read (assessment + writes + finish) = assessSnapshot − floor',
    `${(seconds - floorSeconds).toFixed(1)} s wall, ${(assessCpu - floorCpu).toFixed(1)} s CPU`,
  );
  value(
    report,
    `RSS during assessSnapshot: before / peak sampled (every ${RSS_SAMPLE_MS} ms and each page of ${ASSESS_PAGE})`,
    `${mib(rss.samples[0]!.rss)} / ${mib(rss.max())}`,
    'MiB',
  );
  value(report, 'RSS peak per quarter of the identities (flat = bounded by a page)', rss.quarters(total), 'MiB');
  value(
    report,
    'JS heap used during assessSnapshot: peak sampled, per quarter of the identities',
    `${mib(rss.max('heap'))}; ${rss.quarters(total, 'heap')}`,
    'MiB',
  );
  value(
    report,
    'JS heap used after a full GC: before the floor / before assessSnapshot / after it',
    `${mib(heapBeforeFloor)} / ${mib(heapBeforeAssess)} / ${mib(heapAfterAssess)}`,
    'MiB',
  );
  value(
    report,
    'RSS / JS heap during the floor: peak sampled',
    `${mib(floorRss.max())} / ${mib(floorRss.max('heap'))}`,
    'MiB',
  );
  value(
    report,
    'maxRSS of the process (resourceUsage, lifetime high-water mark) before / after assessSnapshot',
    `${mib(maxRssBefore)} / ${mib(maxRssAfter)}`,
    'MiB',
  );
  const row = summary.rows[0];
  value(
    report,
    'result: system PCI, identities and findings written',
    `PCI ${row?.pci ?? '?'}; ${counts.rows[0]?.identities ?? 0} identities, ${counts.rows[0]?.findings ?? 0} findings`,
  );
  if (row) report.notes.push(`summary: ${JSON.stringify(row.summary)}`);
  if (profile) {
    const { phases: byPhase, top } = summariseProfile(profile);
    const sampled = byPhase.reduce((s, [, ms]) => s + ms, 0);
    report.notes.push(
      `CPU profile of assessSnapshot (${(sampled / 1000).toFixed(1)} s sampled; written to ${path.relative(process.cwd(), PROFILE_FILE)}), by phase: ${byPhase
        .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(2)} s (${((ms / sampled) * 100).toFixed(0)}%)`)
        .join('; ')}`,
    );
    report.notes.push(
      `top functions by self time: ${top.map(([fn, ms]) => `${fn} ${(ms / 1000).toFixed(2)} s`).join('; ')}`,
    );
  }
  report.notes.push(
    'floor first, then assessSnapshot, on the same snapshot: both read a warm database; the profile (BENCH_FINDINGS_PROFILE=1) slows the measured run a little',
  );
  report.notes.push(`uptime at end: ${uptime()}`);
  report.seconds = (now() - startedAt) / 1000;
  return report;
}
