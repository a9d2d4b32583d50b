import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { LogMessage } from '../../activities/chat/log-notifier';
import { inlinePolicyName } from '../../domain/lease';
import { APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import { LEAD } from '../../test/support/stacks/stack';
import { floorProbe, probeUpdate, stopSignal } from '../probes/floor-workflow';
import { now, sleep } from '../lib/clock';
import { envInt, INLINE_ENTITLEMENT, requester, type BenchContext } from '../lib/context';
import { NoticeBoard } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { countHistories, describeCounts } from '../lib/worker-history';
import { perItem, readPgCounters } from '../lib/worker-pg-writes';
import { startWorkerProcess } from '../lib/worker-process';
import type { UsageReading } from '../lib/worker-protocol';
import { THREAD_KINDS } from '../lib/worker-threads';
import { DEFAULT_WORKER_CACHE, idleReading } from './memory';

/** "main 40.1 (5.0) · workflow 20.3 (8.1) · …" ms per item, by thread kind, with the floor's beside. */
function threadSplit(
  from: UsageReading,
  to: UsageReading,
  n: number,
  floorFrom: UsageReading,
  floorTo: UsageReading,
  floorN: number,
): string {
  const per = (a: UsageReading, b: UsageReading, kind: string, k: number): string =>
    (((b.threads[kind] ?? 0) - (a.threads[kind] ?? 0)) / Math.max(1, k)).toFixed(1);
  return THREAD_KINDS.map(
    (kind) => `${kind} ${per(from, to, kind, n)} (${per(floorFrom, floorTo, kind, floorN)})`,
  ).join(' · ');
}

/** Requesters of this scenario; run.ts maps them to the application role when the scenario is selected. */
export function workerCostRequesters(): string[] {
  const { lifecycles } = workerCostConfig();
  return Array.from({ length: lifecycles + WARMUPS }, (_, i) => requester('cost', i));
}

const WARMUPS = 5;

function workerCostConfig(): { lifecycles: number; concurrency: number } {
  return {
    lifecycles: envInt('BENCH_COST_LIFECYCLES', 100),
    concurrency: envInt('BENCH_COST_CONCURRENCY', 10),
  };
}

/**
 * What one full lifecycle costs the worker and Temporal, measured on a worker alone in a child process
 * (bench/lib/worker-child.ts): its CPU (all threads: Rust core, workflow thread, activities) per lifecycle,
 * and from each request's history the events, workflow tasks, activities, local activities, timers and
 * size; PostgreSQL transactions and rows per lifecycle from pg_stat_database of the bench's own database.
 * Beside them the floor in the same child: a workflow answering one Update with one no-op activity,
 * then a stop signal. The workflow is measured as it is: no count is assumed.
 */
export async function workerCostScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { lifecycles, concurrency } = workerCostConfig();
  const report = newReport('worker-cost');
  const startedAt = now();
  const adminUrl = process.env.LEAST_TEST_DATABASE_ADMIN_URL ?? '';
  const database = new URL(ctx.stack.db.url).pathname.slice(1);
  const messages: LogMessage[] = [];
  const notices = new NoticeBoard(messages);
  const child = await startWorkerProcess(ctx.stack, {
    maxCachedWorkflows: envInt('BENCH_WORKER_CACHE', DEFAULT_WORKER_CACHE, 0),
    messages,
    signal: ctx.signal,
  });
  try {
    const client = ctx.stack.env.client;
    const floorQueue = `${child.taskQueue}-floor`;
    const floorRun = async (id: string, round: number): Promise<void> => {
      const handle = await client.workflow.start(floorProbe, { workflowId: id, taskQueue: floorQueue });
      await handle.executeUpdate(probeUpdate, { args: [round] });
      await handle.signal(stopSignal);
      await handle.result();
    };
    const lifecycle = async (person: string): Promise<string> => {
      const submitted = await child.access.submit({
        requester: person,
        entitlementId: INLINE_ENTITLEMENT,
        duration: '1h',
        reason: 'benchmark: worker cost',
        origin: { platform: 'cli' },
      });
      if (!submitted.ok) throw new Error(`submit refused: ${submitted.code} ${submitted.message}`);
      const id = submitted.state.request.requestId;
      await notices.wait(id, 'approval-needed', 60_000);
      const decided = await child.access.decide(id, LEAD, 'approve');
      if (!decided.ok) throw new Error(`approve refused: ${decided.code} ${decided.message}`);
      await notices.wait(id, 'granted', 60_000);
      const ended = await child.access.end(id, person, "I'm done");
      if (!ended.ok) throw new Error(`end refused: ${ended.code} ${ended.message}`);
      if (ended.state.status !== 'revoked') throw new Error(`ended as ${ended.state.status}`);
      await client.workflow.getHandle(id).result();
      return id;
    };

    // warm-up, unmeasured: both bundles loaded, JIT warm, pools and sessions open
    const tag = child.taskQueue.slice(-6);
    for (let i = 0; i < WARMUPS; i++) await floorRun(`floor-warm-${tag}-${i}`, i);
    for (let i = 0; i < WARMUPS; i++) await lifecycle(requester('cost', lifecycles + i));

    // idle polling cost, to read the figures below net of it
    const idleFrom = await idleReading(ctx, child);
    await sleep(5000, ctx.signal);
    const idleTo = await child.usage(false);
    const idleMsPerSecond = (idleTo.cpuMs - idleFrom.cpuMs) / 5;

    // floor
    const floorIds = Array.from({ length: lifecycles }, (_, i) => `floor-${tag}-${i}`);
    const floorFrom = await idleReading(ctx, child);
    const floorClock = now();
    const floor = await runPool(lifecycles, concurrency, ctx.signal, (i) => floorRun(floorIds[i]!, i));
    const floorWall = (now() - floorClock) / 1000;
    const floorTo = await idleReading(ctx, child);
    const floorCounts = await countHistories(client, floorIds.slice(0, floor.results.length), ctx.signal);

    // the product
    const pgFrom = await readPgCounters(adminUrl, database, ctx.signal);
    const from = await idleReading(ctx, child);
    const clock = now();
    const ids: string[] = [];
    const outcome = await runPool(lifecycles, concurrency, ctx.signal, async (i) => {
      ids.push(await lifecycle(requester('cost', i)));
    });
    const wall = (now() - clock) / 1000;
    const to = await idleReading(ctx, child);
    const pgTo = await readPgCounters(adminUrl, database, ctx.signal);
    const counts = await countHistories(client, ids, ctx.signal);
    const listed = await ctx.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
    const names = new Set(listed.PolicyNames ?? []);
    const left = ids.filter((id) => names.has(inlinePolicyName(id))).length;
    const visible = await client.workflow.count(`TaskQueue = '${child.taskQueue}'`).catch(() => undefined);

    const n = ids.length;
    const cpuPer = (a: UsageReading, b: UsageReading, k: number, seconds: number): string => {
      const raw = (b.cpuMs - a.cpuMs) / Math.max(1, k);
      const net = raw - (idleMsPerSecond * seconds) / Math.max(1, k);
      return `${raw.toFixed(1)} ms (${net.toFixed(1)} net of idle polling)`;
    };
    value(report, 'lifecycles measured (ok / failed) · in flight', `${n} / ${outcome.errors.length} · ${concurrency}`);
    value(report, 'lifecycles per second (wall, whole stack on this machine)', (n / wall).toFixed(2), '/s');
    value(report, 'worker CPU per lifecycle (goal ≤ 20 ms)', cpuPer(from, to, n, wall));
    value(
      report,
      'floor: worker CPU per Update+activity+signal workflow',
      cpuPer(floorFrom, floorTo, floor.results.length, floorWall),
    );
    value(
      report,
      'worker CPU per lifecycle by thread (floor beside)',
      threadSplit(from, to, n, floorFrom, floorTo, floor.results.length),
    );
    value(report, 'worker idle CPU (pollers, no work)', idleMsPerSecond.toFixed(1), 'ms/s');
    value(
      report,
      'lifecycles per worker core (from CPU per lifecycle)',
      (1000 / ((to.cpuMs - from.cpuMs) / Math.max(1, n))).toFixed(0),
      '/s',
    );
    const per = describeCounts(counts);
    const fl = describeCounts(floorCounts);
    const row = (label: string, key: keyof ReturnType<typeof describeCounts>, goal?: string): void =>
      value(report, `${label} per lifecycle${goal ? ` (${goal})` : ''}`, `${per[key]} (floor ${fl[key]})`);
    row('history events', 'events', 'goal ≤ 45, was 91');
    row('workflow tasks', 'workflowTasks', 'goal ≤ 7, was 14');
    row('activity tasks', 'activities', 'goal ≤ 6, was 13');
    row('local activities (markers)', 'localActivities');
    row('workflow tasks recording local activities', 'localActivityTasks');
    row('timers started', 'timers');
    row('signals', 'signals');
    value(report, 'accepted updates per lifecycle', `${per.updates} (floor ${fl.updates})`);
    row('search attribute upserts', 'searchAttributeUpserts');
    row('activity retries', 'activityRetries');
    row('history size (KiB, encoded)', 'historyKiB');
    row('≈ Temporal Cloud actions', 'actions');
    value(
      report,
      "workflows on the worker's task queue (visibility count: measured + warm-up)",
      visible === undefined ? '?' : `${visible.count} for ${n + WARMUPS} lifecycles`,
    );
    const pg = perItem(pgFrom, pgTo, n);
    value(
      report,
      'PostgreSQL per lifecycle: commits / rows inserted / updated / deleted',
      `${pg.commits} / ${pg.inserted} / ${pg.updated} / ${pg.deleted}`,
    );
    value(report, 'PostgreSQL per lifecycle: rows returned / fetched (reads)', `${pg.returned} / ${pg.fetched}`);
    value(
      report,
      'worker RSS after (idle, after GC) / cached workflows',
      `${(to.rss / 2 ** 20).toFixed(0)} MiB / ${to.cachedWorkflows}`,
    );
    value(report, 'inline policies left in moto afterwards', left);
    report.errors.push(...describeErrors(outcome.errors), ...describeErrors(floor.errors).map((e) => `floor: ${e}`));
    report.notes.push(
      `Worker alone in a child process (pid ${child.pid}); CPU = its process.cpuUsage() (all threads) between idle readings, ` +
        'each taken once nothing is in flight; "net of idle" subtracts the pollers\' idle rate over the wall time. ' +
        "By thread (/proc/self/task): main = activities (AWS SDK, pg, notices) and the SDK's JS side; workflow = the " +
        'workflow thread running and replaying workflow code; rust-core = the Temporal core (gRPC, polling); v8 = GC and ' +
        'compiler threads; libuv = its pool (crypto, zlib, dns). ' +
        'Lifecycle: submit (AccessClient in the bench process) → approval-needed notice → approve → granted notice → ' +
        '"I\'m done" → revoked and verified → workflow closed, on ' +
        `${INLINE_ENTITLEMENT} (1h). Counts come from each request's history (fetchHistory): the workflow as it is now.`,
      'Actions as docs.temporal.io/cloud/actions maps them onto history: start + activities (+ retries) + one per workflow task ' +
        'that ran local activities (+ their retries) + timers + signals + accepted updates + search attribute upserts. Queries ' +
        '(the front end asks for status after a submit) and rejected updates are billed too but are not in a history.',
      `PostgreSQL: pg_stat_database of the bench's own database (${database}), read 11 s after the work so every backend has ` +
        "reported; includes the front end's writes (AccessClient audit rows) as well as the worker's.",
    );
    return report;
  } finally {
    await child.stop();
    report.seconds = (now() - startedAt) / 1000;
  }
}
