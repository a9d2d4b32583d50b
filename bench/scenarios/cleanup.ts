import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  SetDefaultPolicyVersionCommand,
  UpdateAccessKeyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { MockActivityEnvironment } from '@temporalio/testing';
import { LogCleanupNotifier } from '../../activities/chat/log-cleanup-notifier';
import { AWS_GUARD_POLICY_DOCUMENT, createAwsCleanup } from '../../activities/cleanup/aws';
import { planSystem, type CleanupActivityDeps } from '../../activities/cleanup/index';
import type { CleanupExecutor } from '../../activities/cleanup/port';
import { createAwsBroker, type AwsBroker } from '../../activities/cloud/aws/broker';
import { asAwsSystem } from '../../activities/cloud/aws/errors';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import type { StoredCleanupItem } from '../../activities/store/cleanup/store';
import { buildActivities } from '../../app/runtime';
import { AWS_GUARD_POLICY_NAME, type CleanupPlan } from '../../domain/cleanup/model';
import type { ActionCatalogue, CollectionRun } from '../../domain/inventory/model';
import { policySchema, type AuthorizationSystem, type Policy } from '../../domain/policy/schema';
import { writeSnapshot } from '../../test/support/checks/findings-snapshot';
import { ACCOUNT_ID, awsSystemInput } from '../../test/support/fakes/aws-fixtures';
import { APPLY_BATCH } from '../../workflows/cleanup';
import { now, throwIfAborted } from '../lib/clock';
import {
  changeMix,
  createMotoObjects,
  motoSnapshot,
  PLAN_ACCOUNT,
  PLAN_SYSTEM,
  planInventory,
  type PlanShape,
} from '../lib/cleanup-data';
import { type BenchContext, collectGarbage, envInt } from '../lib/context';
import { GROUPS, loadInventory, WINDOW_DAYS } from '../lib/inventory-data';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';
import { cpuSnapshot } from '../lib/resources';
import { cpuSince, postgresCpu, RssSampler, uptime } from './findings-pci';

/**
 * The figures of issue 13 (bench/README.md, "cleanup"):
 * 1. `planSystem` (activities/cleanup) over a system of N roles and U usage rows loaded straight into
 *    PostgreSQL by inventory-load's loader: time, CPU, memory, items and holds; beside it the floor — the
 *    same `viewStream(…).page` loop over every identity without planning. Then the `planCleanupRun`
 *    activity end to end on the same snapshot (plan, saveRun, read back) and the size of what it returns.
 * 2. C changes on moto (inline rewrites, managed-policy versions, detaches, key deactivations, guards):
 *    planned from an inventory of them and recorded (saveRun), snapshotted (`snapshotCleanupItems`, 100 per
 *    call), applied and verified (`applyCleanupItems`, 20 per call) as the workflow calls them, in an
 *    activity context (MockActivityEnvironment); beside it the floor — the same writes and a read back
 *    made directly with the SDK, on the same objects, through the same IAM client.
 * 3. Restore of the same run (`restoreCleanupItems`, the whole run in one call as `cleanupRestore` does);
 *    floor: the direct SDK calls that put each object back and read it.
 */

const MOTO_SYSTEM = 'bench-cleanup-moto';
/** planSystem reads 500 identities per page (PLAN_PAGE in activities/cleanup/index.ts, not exported). */
const PLAN_PAGE = 500;
/** Temporal's default limit on one payload (an activity's result): 2 MiB. */
const PAYLOAD_LIMIT = 2 * 2 ** 20;
const PROFILE_FILE = path.join(__dirname, '..', 'results', 'cleanup-plan.cpuprofile');
const MIB = 2 ** 20;
const mib = (bytes: number): string => (bytes / MIB).toFixed(0);
const DAY_MS = 86_400_000;

interface Sizes extends PlanShape {
  changes: number;
  concurrency: number;
  activity: boolean;
  profile: boolean;
}

function sizes(): Sizes {
  return {
    roles: envInt('BENCH_CLEANUP_ROLES', 10_000),
    usage: envInt('BENCH_CLEANUP_USAGE_ROWS', 1_000_000),
    managed: envInt('BENCH_CLEANUP_DOCUMENTS', 500, 2),
    inline: envInt('BENCH_CLEANUP_INLINE', 200),
    page: envInt('BENCH_INVENTORY_PAGE', 10_000),
    changes: envInt('BENCH_CLEANUP_CHANGES', 1_000, 20),
    concurrency: envInt('BENCH_CLEANUP_SETUP_CONCURRENCY', 8),
    activity: process.env.BENCH_CLEANUP_ACTIVITY !== '0',
    profile: process.env.BENCH_CLEANUP_PROFILE === '1',
  };
}

function benchCleanupPolicy(ctx: BenchContext): Policy {
  const cleanup = {
    mode: 'enforce',
    owners: { tag: 'owner', channel: { platform: 'log', channel: 'bench-cleanup' } },
  };
  return policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: PLAN_SYSTEM,
        cloud: 'aws',
        accountId: PLAN_ACCOUNT,
        brokerRoleArn: `arn:aws:iam::${PLAN_ACCOUNT}:role/least-broker`,
        owners: { users: ['lead@example.com'] },
        cleanup,
      },
      {
        ...awsSystemInput(ctx.stack.account, ctx.stack.motoUrl, MOTO_SYSTEM),
        owners: { users: ['lead@example.com'] },
        cleanup,
      },
    ],
    admins: { users: ['sec@example.com'] },
    entitlements: [
      {
        id: 'bench-cleanup-read',
        title: 'Read',
        system: MOTO_SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
}

function systemOf(policy: Policy, id: string): AuthorizationSystem {
  return policy.authorizationSystems.find((s) => s.id === id)!;
}

function tally<T>(list: readonly T[], key: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const t of list) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** IAM calls by command, counted on every client the broker hands out. */
class IamCalls {
  readonly counts = new Map<string, number>();
  private readonly seen = new WeakSet<IAMClient>();

  count(iam: IAMClient): void {
    if (this.seen.has(iam)) return;
    this.seen.add(iam);
    iam.middlewareStack.add(
      (next, context) => (args) => {
        const name = context.commandName ?? '?';
        this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'benchCountIamCalls' },
    );
  }

  take(): { total: number; detail: string } {
    const entries = [...this.counts].sort((a, b) => b[1] - a[1]);
    this.counts.clear();
    return {
      total: entries.reduce((n, [, c]) => n + c, 0),
      detail: entries.map(([k, n]) => `${k.replace(/Command$/, '')} ${n}`).join(', '),
    };
  }
}

function countingBroker(calls: IamCalls): AwsBroker {
  const inner = createAwsBroker();
  return {
    async session(system, purpose) {
      const session = await inner.session(system, purpose);
      calls.count(session.iam);
      return session;
    },
    close: () => inner.close(),
  };
}

/** The executor, with the time spent in it (the cloud side of each activity) summed. */
function timedExecutor(inner: CleanupExecutor): { executor: CleanupExecutor; timer: { ms: number } } {
  const timer = { ms: 0 };
  const time = async <T>(work: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await work();
    } finally {
      timer.ms += now() - t;
    }
  };
  const { stage, unstage } = inner;
  const executor: CleanupExecutor = {
    snapshot: (system, item) => time(() => inner.snapshot(system, item)),
    apply: (system, item, planned) => time(() => inner.apply(system, item, planned)),
    verify: (system, item) => time(() => inner.verify(system, item)),
    restore: (system, item, snapshot) => time(() => inner.restore(system, item, snapshot)),
    ...(stage ? { stage: (system, item) => time(() => stage.call(inner, system, item)) } : {}),
    ...(unstage ? { unstage: (system, item) => time(() => unstage.call(inner, system, item)) } : {}),
  };
  return { executor, timer };
}

export async function cleanupScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const size = sizes();
  const report = newReport('cleanup');
  const startedAt = now();
  report.notes.push(`uptime at start: ${uptime()} (${os.cpus().length} cores)`);
  const policy = benchCleanupPolicy(ctx);
  const catalogue = await loadAwsCatalogue();

  const calls = new IamCalls();
  const broker = countingBroker(calls);
  const { executor, timer } = timedExecutor(createAwsCleanup({ broker }));
  const built = buildActivities(
    { store: ctx.stack.store, policy, slack: undefined, teams: undefined },
    {
      notifiers: [],
      cleanupNotifiers: [new LogCleanupNotifier(() => undefined)],
      cleanupExecutors: { aws: executor },
    },
  );
  try {
    await planFigures(ctx, report, size, policy, catalogue, built.activities);
    await changeFigures(ctx, report, size, policy, catalogue, built.activities, { calls, broker, timer });
  } finally {
    await built.close();
    broker.close();
  }
  report.notes.push(`uptime at end: ${uptime()}`);
  report.seconds = (now() - startedAt) / 1000;
  return report;
}

type Activities = ReturnType<typeof buildActivities>['activities'];

/** Calls an activity outside a worker, in an activity context (its heartbeats go nowhere). */
function inActivity(): <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) => Promise<R> {
  const env = new MockActivityEnvironment();
  return (fn, ...args) => env.run(fn, ...args);
}

/* ---------- 1. the plan of a large system ---------- */

async function planFigures(
  ctx: BenchContext,
  report: ScenarioReport,
  size: Sizes,
  policy: Policy,
  catalogue: ActionCatalogue,
  activities: Activities,
): Promise<void> {
  const store = ctx.stack.store;
  const inventory = store.inventory;
  const pool = ctx.stack.db.pool;
  // the window ends now: the planCleanupRun activity plans as of its own clock
  const end = new Date(Math.floor(Date.now() / 1000) * 1000);
  const window = { from: new Date(end.getTime() - WINDOW_DAYS * DAY_MS), to: end };
  const data = planInventory(catalogue, size, window.to);
  const stamp = Date.now().toString(36);

  // an older collection with the same grant paths: they were granted before the grace period
  let clock = now();
  const back = (d: Date): Date => new Date(d.getTime() - 120 * DAY_MS);
  const oldRunId = `bench-cleanup-old-${stamp}`;
  await loadInventory(inventory, {
    ...data.options,
    shape: { ...data.options.shape, usage: 0 },
    runId: oldRunId,
    window: { from: back(window.from), to: back(window.to) },
    signal: ctx.signal,
  });
  await inventory.finishRun(oldRunId, { snapshotsKept: 2 });
  const runId = `bench-cleanup-${stamp}`;
  const loaded = await loadInventory(inventory, { ...data.options, runId, window, signal: ctx.signal });
  const run: CollectionRun = await inventory.finishRun(runId, { snapshotsKept: 2 });
  const counts = (
    await pool.query<{ usage: number; paths: number; identities: number }>(
      `SELECT (SELECT count(*)::int FROM inventory_usage u WHERE u.run_key = r.run_key) AS usage,
              (SELECT count(*)::int FROM inventory_grant_paths p WHERE p.run_key = r.run_key) AS paths,
              (SELECT count(*)::int FROM inventory_identities i WHERE i.run_key = r.run_key) AS identities
       FROM inventory_runs r WHERE r.run_id = $1`,
      [runId],
    )
  ).rows[0]!;
  value(
    report,
    `1. snapshot loaded (+ an older one without usage, for first-seen): ${size.roles} roles + ${GROUPS} groups (${data.inactiveRoles} inactive, ${data.newRoles} created in the window), ${counts.paths} grant paths, ${counts.usage} usage rows over ${WINDOW_DAYS} days, ${size.managed} managed + ${size.inline} inline documents (${loaded.documentActions} expanded actions)`,
    ((now() - clock) / 1000).toFixed(1),
    's (not measured below)',
  );
  if (counts.usage !== size.usage) report.notes.push(`usage rows: ${counts.usage} stored of ${size.usage} asked for`);
  const total = counts.identities;
  const system = systemOf(policy, PLAN_SYSTEM);
  const at = new Date().toISOString();
  report.notes.push(`plan load average before the floor: ${loadAverage()}`);
  ctx.log(`cleanup: plan snapshot loaded in ${((now() - clock) / 1000).toFixed(1)} s; floor`);

  // --- floor: the same page loop over the views, no planning ---
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
  let read = 0;
  let granted = 0;
  for (let after: string | undefined; ;) {
    throwIfAborted(ctx.signal);
    const views = await stream.page(after, PLAN_PAGE);
    for (const view of views) granted += view.granted.length;
    read += views.length;
    floorRss.progress = read;
    floorRss.sample();
    if (views.length < PLAN_PAGE) break;
    after = views[views.length - 1]!.identity.id;
  }
  const floorSeconds = (now() - clock) / 1000;
  const floorCpu = cpuSince(cpu);
  const floorPg = postgresCpu(pgFrom, cpuSnapshot({}));
  floorRss.stop();
  if (read !== total) report.errors.push(`floor read ${read} identities, expected ${total}`);
  ctx.log(`cleanup: floor ${floorSeconds.toFixed(1)} s; planSystem`);

  // --- planSystem, its reads timed ---
  throwIfAborted(ctx.signal);
  const heapBeforePlan = heapAfterGc();
  const phases = { page: 0, pages: 0, documents: 0, firstSeen: 0 };
  const timed = async <T>(key: 'page' | 'documents' | 'firstSeen', work: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await work();
    } finally {
      phases[key] += now() - t;
    }
  };
  const deps: Pick<CleanupActivityDeps, 'policy' | 'cleanup' | 'inventory' | 'reads'> = {
    policy: () => policy,
    cleanup: store.cleanup,
    inventory: {
      currentRun: (id) => inventory.currentRun(id),
      run: (id) => inventory.run(id),
      viewStream: async (id) => {
        const s = await inventory.viewStream(id);
        if (s) {
          const page = s.page.bind(s);
          s.page = (afterId, n) => {
            phases.pages += 1;
            return timed('page', () => page(afterId, n));
          };
        }
        return s;
      },
    },
    reads: {
      documents: (id) => timed('documents', () => store.cleanupReads.documents(id)),
      firstSeen: (id) => timed('firstSeen', () => store.cleanupReads.firstSeen(id)),
    },
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
  const plan: CleanupPlan = await planSystem(deps, system, run, at, {
    onPage: (identities) => {
      rss.progress = identities;
      rss.sample();
      throwIfAborted(ctx.signal);
    },
  });
  const seconds = (now() - clock) / 1000;
  const planCpu = cpuSince(cpu);
  const planPg = postgresCpu(pgFrom, cpuSnapshot({}));
  rss.sample(); // the finished plan, still referenced
  rss.stop();
  const maxRssAfter = process.resourceUsage().maxRSS * 1024;
  const heapWithPlan = heapAfterGc();
  ctx.log(`cleanup: planSystem ${seconds.toFixed(1)} s`);
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
  const planJson = JSON.stringify(plan).length;

  value(report, `1. planSystem: ${total} identities (${size.roles} roles), end to end`, seconds.toFixed(1), 's');
  value(report, '1. planSystem: identities per second', Math.round(total / seconds), 'identities/s');
  value(
    report,
    '1. planSystem: CPU of this process (user + system) / of postgres',
    `${planCpu.toFixed(1)} s (${((planCpu / seconds) * 100).toFixed(0)}% of one core) / ${planPg.toFixed(1)} s`,
  );
  const other = seconds * 1000 - phases.page - phases.documents - phases.firstSeen;
  value(
    report,
    `1. planSystem wall split: stream page ×${phases.pages} (SQL + views) / documents read / first-seen read (these two overlap) / planning (pure, the rest)`,
    `${(phases.page / 1000).toFixed(1)} / ${(phases.documents / 1000).toFixed(1)} / ${(phases.firstSeen / 1000).toFixed(1)} / ${(other / 1000).toFixed(1)}`,
    's',
  );
  value(
    report,
    `1. floor: the same page loop (${PLAN_PAGE} per page) without planning (${read} identities, ${granted} granted actions)`,
    `${floorSeconds.toFixed(1)} s, ${Math.round(read / floorSeconds)} identities/s, CPU ${floorCpu.toFixed(1)} s (postgres ${floorPg.toFixed(1)} s)`,
  );
  value(
    report,
    '1. ours beyond the read = planSystem − floor',
    `${(seconds - floorSeconds).toFixed(1)} s wall, ${(planCpu - floorCpu).toFixed(1)} s CPU`,
  );
  value(
    report,
    '1. plan: items / actions they remove / holds / identities concerned',
    `${plan.counts.items} / ${plan.counts.actions} / ${plan.counts.holds} / ${plan.counts.identities}`,
  );
  value(
    report,
    '1. plan: items by change',
    tally(plan.items, (i) => `${i.change} (${i.object.kind})`),
  );
  value(
    report,
    '1. plan: holds by reason',
    tally(plan.holds, (h) => h.reason),
  );
  const shared = plan.items.filter((i) => i.object.kind === 'aws-managed-policy');
  if (shared.length > 0) {
    const holders = shared.map((i) => i.identities.length).sort((a, b) => a - b);
    value(
      report,
      '1. plan: shared policies narrowed, holders per item (median / max), with actions kept for others',
      `${shared.length}, ${holders[Math.floor(holders.length / 2)]} / ${holders[holders.length - 1]}, ${shared.filter((i) => i.keptForOthers?.length).length}`,
    );
  }
  value(
    report,
    `1. RSS during planSystem: before / peak sampled (every 100 ms, each page and with the plan built)`,
    `${mib(rss.samples[0]!.rss)} / ${mib(rss.max())}`,
    'MiB',
  );
  value(report, '1. RSS peak per quarter of the identities (flat = bounded by a page)', rss.quarters(total), 'MiB');
  value(
    report,
    '1. JS heap: peak sampled during planSystem; after a full GC before the floor / before planSystem / with the plan held',
    `${mib(rss.max('heap'))}; ${mib(heapBeforeFloor)} / ${mib(heapBeforePlan)} / ${mib(heapWithPlan)}`,
    'MiB',
  );
  value(report, '1. floor: RSS / JS heap peak sampled', `${mib(floorRss.max())} / ${mib(floorRss.max('heap'))}`, 'MiB');
  value(
    report,
    '1. maxRSS of the process (lifetime high-water mark, loading included) before / after planSystem',
    `${mib(maxRssBefore)} / ${mib(maxRssAfter)}`,
    'MiB',
  );
  value(report, '1. the plan as JSON', (planJson / MIB).toFixed(1), 'MiB');
  if (profile) {
    const top = topSelfTime(profile);
    report.notes.push(
      `CPU profile of planSystem (written to ${path.relative(process.cwd(), PROFILE_FILE)}), top self time: ${top
        .map(([fn, ms]) => `${fn} ${(ms / 1000).toFixed(2)} s`)
        .join('; ')}`,
    );
  }

  // --- the activity the workflow calls: plan, saveRun, read back, the state it returns ---
  if (!size.activity) return;
  throwIfAborted(ctx.signal);
  ctx.log('cleanup: planCleanupRun activity');
  const call = inActivity();
  cpu = process.cpuUsage();
  clock = now();
  const cleanupRunId = `bench-cleanup-run-${stamp}`;
  const state = await call(activities.planCleanupRun, {
    systemId: PLAN_SYSTEM,
    runId: cleanupRunId,
    trigger: 'manual',
    requestedBy: 'bench@example.com',
  });
  const activitySeconds = (now() - clock) / 1000;
  const activityCpu = cpuSince(cpu);
  const payload = Buffer.byteLength(JSON.stringify(state));
  value(
    report,
    `1. planCleanupRun activity (plan + saveRun of ${plan.counts.items} items and ${plan.counts.holds} holds + items read back), wall / CPU`,
    `${activitySeconds.toFixed(1)} s / ${activityCpu.toFixed(1)} s (≈ ${(activitySeconds - seconds).toFixed(1)} s beyond planSystem)`,
  );
  value(
    report,
    `1. planCleanupRun result (the run state the workflow receives): ${state.items.length} items`,
    `${(payload / MIB).toFixed(2)} MiB (Temporal's default payload limit: ${PAYLOAD_LIMIT / MIB} MiB)`,
  );
  if (payload > PAYLOAD_LIMIT)
    report.errors.push(
      `planCleanupRun returns ${(payload / MIB).toFixed(1)} MiB for ${state.items.length} items: over Temporal's ${PAYLOAD_LIMIT / MIB} MiB payload limit, the server would refuse the activity's result`,
    );
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function topSelfTime(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, k) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${frame.url.replace(/^.*\/work\/main\//, '')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[k] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 12);
}

/* ---------- 2 and 3. changes on moto, and their restore ---------- */

async function changeFigures(
  ctx: BenchContext,
  report: ScenarioReport,
  size: Sizes,
  policy: Policy,
  catalogue: ActionCatalogue,
  activities: Activities,
  probes: { calls: IamCalls; broker: AwsBroker; timer: { ms: number } },
): Promise<void> {
  const { stack } = ctx;
  const { calls, timer: executor } = probes;
  const mix = changeMix(size.changes);
  report.notes.push(`moto load average before the changes: ${loadAverage()}`);
  let clock = now();
  const objects = await createMotoObjects(stack.aws.iam, catalogue, ACCOUNT_ID, mix, size.concurrency, ctx.signal);
  const at = new Date();
  const snapshot = motoSnapshot(objects, MOTO_SYSTEM, ACCOUNT_ID, at);
  const iso = (days: number): string => new Date(at.getTime() - days * DAY_MS).toISOString();
  await writeSnapshot(stack.store, {
    ...snapshot,
    runId: `${snapshot.runId}-old`,
    window: { from: iso(120), to: iso(30) },
    usage: [],
  });
  await writeSnapshot(stack.store, snapshot);
  const system = systemOf(policy, MOTO_SYSTEM);
  const run = (await stack.store.inventory.currentRun(MOTO_SYSTEM))!;
  const deps = {
    policy: () => policy,
    cleanup: stack.store.cleanup,
    inventory: stack.store.inventory,
    reads: stack.store.cleanupReads,
  };
  const plan = await planSystem(deps, system, run, at.toISOString());
  const runId = `bench-cleanup-moto-run-${at.getTime().toString(36)}`;
  await stack.store.cleanup.saveRun(runId, plan, { trigger: 'manual', requestedBy: 'bench@example.com' });
  const byChange = tally(plan.items, (i) => `${i.change} (${i.object.kind})`);
  value(
    report,
    `2. setup (not measured): ${mix.inline + mix.guards} roles, ${mix.managed + 10} managed policies, ${mix.keys} users with a key created in moto; inventory written, planned (${byChange}; ${plan.counts.holds} holds), saveRun`,
    ((now() - clock) / 1000).toFixed(1),
    's',
  );
  const expected = size.changes;
  if (plan.items.length !== expected)
    report.errors.push(`the plan of the moto system has ${plan.items.length} items, expected ${expected}: ${byChange}`);
  const ids = plan.items.map((i) => i.itemId);
  const call = inActivity();
  calls.take();

  // --- snapshot, as the workflow does before announcing (100 per call) ---
  throwIfAborted(ctx.signal);
  let executorFrom = executor.ms;
  clock = now();
  let cpu = process.cpuUsage();
  const replanned: string[] = [];
  for (let k = 0; k < ids.length; k += APPLY_BATCH * 5) {
    throwIfAborted(ctx.signal);
    for (const r of await call(activities.snapshotCleanupItems, runId, ids.slice(k, k + APPLY_BATCH * 5)))
      replanned.push(`${r.itemId}: ${r.detail}`);
  }
  const snapshotSeconds = (now() - clock) / 1000;
  const snapshotCpu = cpuSince(cpu);
  const snapshotCalls = calls.take();
  const snapshotExecutor = (executor.ms - executorFrom) / 1000;
  if (replanned.length) report.errors.push(`${replanned.length} items re-planned at snapshot: ${replanned[0]}`);
  value(
    report,
    `2. snapshotCleanupItems: ${ids.length} items, ${APPLY_BATCH * 5} per call`,
    `${snapshotSeconds.toFixed(1)} s, ${Math.round(ids.length / snapshotSeconds)} items/s, CPU ${snapshotCpu.toFixed(1)} s; in the executor ${snapshotExecutor.toFixed(1)} s; IAM calls ${snapshotCalls.total} (${snapshotCalls.detail})`,
  );
  ctx.log(`cleanup: snapshot ${snapshotSeconds.toFixed(1)} s; apply`);

  // --- apply and verify, 20 per call ---
  const batchMs: number[] = [];
  const outcomes: string[] = [];
  executorFrom = executor.ms;
  cpu = process.cpuUsage();
  clock = now();
  for (let k = 0; k < ids.length; k += APPLY_BATCH) {
    throwIfAborted(ctx.signal);
    const t = now();
    const results = await call(activities.applyCleanupItems, runId, ids.slice(k, k + APPLY_BATCH));
    batchMs.push(now() - t);
    for (const r of results) outcomes.push(r.outcome === 'removed' ? 'removed' : `${r.outcome}: ${r.detail}`);
  }
  const applySeconds = (now() - clock) / 1000;
  const applyCpu = cpuSince(cpu);
  const applyCalls = calls.take();
  const applyExecutor = (executor.ms - executorFrom) / 1000;
  const removed = outcomes.filter((o) => o === 'removed').length;
  if (removed !== ids.length)
    report.errors.push(`apply: ${removed} of ${ids.length} removed; ${tally(outcomes, (o) => o.slice(0, 120))}`);
  ctx.log(`cleanup: apply ${applySeconds.toFixed(1)} s; restore`);

  // --- restore of the whole run, one call as cleanupRestore makes it ---
  throwIfAborted(ctx.signal);
  executorFrom = executor.ms;
  cpu = process.cpuUsage();
  clock = now();
  const restored = await call(activities.restoreCleanupItems, {
    runId,
    by: 'lead@example.com',
    reason: 'bench restore',
  });
  const restoreSeconds = (now() - clock) / 1000;
  const restoreCpu = cpuSince(cpu);
  const restoreCalls = calls.take();
  const restoreExecutor = (executor.ms - executorFrom) / 1000;
  const restoredCount = restored.items.filter((i) => i.status === 'restored').length;
  if (restoredCount !== ids.length)
    report.errors.push(
      `restore: ${restoredCount} of ${ids.length} restored; ${tally(restored.items, (i) => `${i.status}: ${i.detail.slice(0, 120)}`)}`,
    );
  ctx.log(`cleanup: restore ${restoreSeconds.toFixed(1)} s; floors`);

  // --- floors: the same writes and a read back, directly with the SDK on the same IAM client ---
  const items = await stack.store.cleanup.items(runId);
  const session = await probes.broker.session(asAwsSystem(system), 'cleanup');
  const iam = session.iam;
  const versions = new Map<string, string>();
  const floorApply = await floorOf(items, (item) => floorChange(iam, item, versions), ctx.signal);
  const floorApplyCalls = calls.take();
  const floorRestore = await floorOf(items, (item) => floorPutBack(iam, item, versions), ctx.signal);
  const floorRestoreCalls = calls.take();
  const floorRead = await floorOf(items, (item) => floorSnapshot(iam, item), ctx.signal);
  const floorReadCalls = calls.take();

  const rate = (n: number, s: number): string => `${(n / s).toFixed(1)}`;
  value(
    report,
    `2. applyCleanupItems: ${ids.length} changes (${tally(plan.items, (i) => i.change)}), ${APPLY_BATCH} per call, applied and verified`,
    `${applySeconds.toFixed(1)} s, ${rate(ids.length, applySeconds)} changes/s, CPU ${applyCpu.toFixed(1)} s; in the executor (IAM) ${applyExecutor.toFixed(1)} s, outside it (PostgreSQL: items, snapshot, outcome, audit) ${(applySeconds - applyExecutor).toFixed(1)} s`,
  );
  value(report, '2. applyCleanupItems: IAM calls', `${applyCalls.total} (${applyCalls.detail})`);
  value(
    report,
    '2. floor: the same changes made directly (one write + one read back each, the same client)',
    `${floorApply.seconds.toFixed(1)} s, ${rate(ids.length, floorApply.seconds)} changes/s; IAM calls ${floorApplyCalls.total} (${floorApplyCalls.detail})`,
  );
  latency(report, `applyCleanupItems per call of ${APPLY_BATCH}`, batchMs);
  value(
    report,
    `3. restoreCleanupItems: the whole run (${ids.length} items), one call`,
    `${restoreSeconds.toFixed(1)} s, ${rate(restoredCount, restoreSeconds)} items/s, CPU ${restoreCpu.toFixed(1)} s; in the executor (IAM) ${restoreExecutor.toFixed(1)} s, outside it ${(restoreSeconds - restoreExecutor).toFixed(1)} s`,
  );
  value(report, '3. restoreCleanupItems: IAM calls', `${restoreCalls.total} (${restoreCalls.detail})`);
  value(
    report,
    '3. floor: the same objects put back directly (write(s) + one read each)',
    `${floorRestore.seconds.toFixed(1)} s, ${rate(ids.length, floorRestore.seconds)} items/s; IAM calls ${floorRestoreCalls.total} (${floorRestoreCalls.detail})`,
  );
  value(
    report,
    '2. floor of the snapshot: one read of each object',
    `${floorRead.seconds.toFixed(1)} s, ${rate(ids.length, floorRead.seconds)} items/s; IAM calls ${floorReadCalls.total}`,
  );
  for (const [what, floor] of [
    ['apply', floorApply],
    ['restore', floorRestore],
    ['snapshot read', floorRead],
  ] as const)
    if (floor.errors.length)
      report.errors.push(`floor ${what}: ${floor.errors.length} failed, first: ${floor.errors[0]}`);
  report.notes.push(
    'moto: ours first (snapshot, apply, restore), then the floors on the same objects (apply, put back, read); calls one at a time as the workflow makes them; IAM calls counted on the client the broker hands out',
  );
  report.notes.push(`moto load average after the changes: ${loadAverage()}`);
}

async function floorOf(
  items: readonly StoredCleanupItem[],
  work: (item: StoredCleanupItem) => Promise<void>,
  signal: AbortSignal,
): Promise<{ seconds: number; errors: string[] }> {
  const errors: string[] = [];
  const clock = now();
  for (const item of items) {
    throwIfAborted(signal);
    try {
      await work(item);
    } catch (error) {
      errors.push(`${item.itemId}: ${String(error)}`);
    }
  }
  return { seconds: (now() - clock) / 1000, errors };
}

const lastSegment = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/** One write and one read back per item; `versions` keeps the managed-policy version each write made. */
async function floorChange(iam: IAMClient, item: StoredCleanupItem, versions: Map<string, string>): Promise<void> {
  const { kind, key } = item.object;
  if (kind === 'aws-inline-policy') {
    const [role, name] = [lastSegment(key.slice(0, key.lastIndexOf('#'))), key.slice(key.lastIndexOf('#') + 1)];
    await iam.send(
      new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(item.after) }),
    );
    await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
  } else if (kind === 'aws-managed-policy') {
    const made = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: key,
        PolicyDocument: JSON.stringify(item.after),
        SetAsDefault: true,
      }),
    );
    const versionId = made.PolicyVersion!.VersionId!;
    versions.set(key, versionId);
    await iam.send(new GetPolicyVersionCommand({ PolicyArn: key, VersionId: versionId }));
  } else if (kind === 'aws-policy-attachment') {
    const [principal, policyArn] = key.split('|') as [string, string];
    await iam.send(new DetachRolePolicyCommand({ RoleName: lastSegment(principal), PolicyArn: policyArn }));
    await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: lastSegment(principal) }));
  } else if (kind === 'aws-access-key') {
    const [user, keyId] = [lastSegment(key.slice(0, key.lastIndexOf('#'))), key.slice(key.lastIndexOf('#') + 1)];
    await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: keyId, Status: 'Inactive' }));
    await iam.send(new ListAccessKeysCommand({ UserName: user }));
  } else if (kind === 'aws-principal') {
    const role = lastSegment(key);
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: role,
        PolicyName: AWS_GUARD_POLICY_NAME,
        PolicyDocument: JSON.stringify(AWS_GUARD_POLICY_DOCUMENT),
      }),
    );
    await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: AWS_GUARD_POLICY_NAME }));
  } else throw new Error(`no floor for ${kind}`);
}

/** The floor of a restore: the writes that put the object back, and one read. */
async function floorPutBack(iam: IAMClient, item: StoredCleanupItem, versions: Map<string, string>): Promise<void> {
  const { kind, key } = item.object;
  if (kind === 'aws-inline-policy') {
    const [role, name] = [lastSegment(key.slice(0, key.lastIndexOf('#'))), key.slice(key.lastIndexOf('#') + 1)];
    await iam.send(
      new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(item.before) }),
    );
    await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
  } else if (kind === 'aws-managed-policy') {
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: key, VersionId: 'v1' }));
    const made = versions.get(key);
    if (made) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: key, VersionId: made }));
    await iam.send(new GetPolicyCommand({ PolicyArn: key }));
  } else if (kind === 'aws-policy-attachment') {
    const [principal, policyArn] = key.split('|') as [string, string];
    await iam.send(new AttachRolePolicyCommand({ RoleName: lastSegment(principal), PolicyArn: policyArn }));
    await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: lastSegment(principal) }));
  } else if (kind === 'aws-access-key') {
    const [user, keyId] = [lastSegment(key.slice(0, key.lastIndexOf('#'))), key.slice(key.lastIndexOf('#') + 1)];
    await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: keyId, Status: 'Active' }));
    await iam.send(new ListAccessKeysCommand({ UserName: user }));
  } else if (kind === 'aws-principal') {
    const role = lastSegment(key);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: AWS_GUARD_POLICY_NAME }));
    await iam.send(new ListRolePoliciesCommand({ RoleName: role }));
  } else throw new Error(`no floor for ${kind}`);
}

/** The floor of a snapshot: one read of the object. */
async function floorSnapshot(iam: IAMClient, item: StoredCleanupItem): Promise<void> {
  const { kind, key } = item.object;
  if (kind === 'aws-inline-policy') {
    const [role, name] = [lastSegment(key.slice(0, key.lastIndexOf('#'))), key.slice(key.lastIndexOf('#') + 1)];
    await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
  } else if (kind === 'aws-managed-policy') {
    await iam.send(new GetPolicyVersionCommand({ PolicyArn: key, VersionId: 'v1' }));
  } else if (kind === 'aws-policy-attachment') {
    await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: lastSegment(key.split('|')[0]!) }));
  } else if (kind === 'aws-access-key') {
    await iam.send(new ListAccessKeysCommand({ UserName: lastSegment(key.slice(0, key.lastIndexOf('#'))) }));
  } else if (kind === 'aws-principal') {
    await iam.send(new ListRolePoliciesCommand({ RoleName: lastSegment(key) }));
  } else throw new Error(`no floor for ${kind}`);
}
