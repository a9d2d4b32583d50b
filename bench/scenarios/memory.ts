import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../../app/config';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { inlinePolicyName } from '../../domain/lease';
import { formatDuration } from '../../domain/duration';
import type { LogMessage } from '../../activities/chat/log-notifier';
import { APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import { now, sleep } from '../lib/clock';
import { endAll, envInt, INLINE_ENTITLEMENT, requester, startAutoApproved, type BenchContext } from '../lib/context';
import { NoticeBoard } from '../lib/observers';
import { describeErrors, runPool } from '../lib/pool';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { mib } from '../lib/stats';
import { childContext, startWorkerProcess, type WorkerProcess } from '../lib/worker-process';
import type { UsageReading } from '../lib/worker-protocol';

/** The cache the bench gives its worker unless told otherwise: the production default (WORKER_MAX_CACHED_WORKFLOWS). */
export const DEFAULT_WORKER_CACHE = DEFAULT_MAX_CACHED_WORKFLOWS;

/**
 * Retained memory of ONE worker holding L live leases. The worker runs alone in a child process
 * (bench/lib/worker-child.ts) with `maxCachedWorkflows` set explicitly, so its RSS is the worker's only:
 * the client, AccessClient and observers stay in this process. L auto-approved 4h inline-policy leases
 * are started directly as workflows and granted in moto (C in flight); readings are taken with the worker
 * idle and after a forced full GC of the child's main isolate: before (after a few warm-up leases), with
 * all L live, and after every lease ended ("I'm done").
 */
export async function memoryScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { config } = ctx;
  const { leases, concurrency, durationSeconds } = config.memory;
  const cache = envInt('BENCH_WORKER_CACHE', DEFAULT_WORKER_CACHE, 0);
  const warmups = Math.min(5, leases);
  const report = newReport('memory');
  const startedAt = now();
  const messages: LogMessage[] = [];
  const notices = new NoticeBoard(messages);
  const child = await startWorkerProcess(ctx.stack, {
    maxCachedWorkflows: cache,
    messages,
    signal: ctx.signal,
  });
  const local = childContext(ctx, child, notices);
  try {
    ctx.log(`  memory: worker child pid ${child.pid} on ${child.taskQueue}, maxCachedWorkflows ${cache}`);
    // warm-up: the workflow thread loads the bundle and the activities open their pools on first use
    const warm: { requestId: string; requester: string }[] = [];
    for (let i = 0; i < warmups; i++) {
      const person = requester('live', i);
      const id = await startAutoApproved(local, person, INLINE_ENTITLEMENT, durationSeconds, 'benchmark: warm-up');
      await notices.wait(id, 'granted', 120_000);
      warm.push({ requestId: id, requester: person });
    }
    const warmEnded = await endAll(local, warm, warmups);
    if (warmEnded.errors.length) throw new Error(`warm-up: ${describeErrors(warmEnded.errors).join('; ')}`);
    const before = await idleReading(ctx, child);

    const live: { requestId: string; requester: string }[] = [];
    const startClock = now();
    let granted = 0;
    const curve: string[] = [];
    const started = await runPool(leases, concurrency, ctx.signal, async (i) => {
      const person = requester('live', i);
      const id = await startAutoApproved(local, person, INLINE_ENTITLEMENT, durationSeconds, 'benchmark: live lease');
      live.push({ requestId: id, requester: person });
      await notices.wait(id, 'granted', 300_000);
      if (++granted % Math.max(1, Math.floor(leases / 10)) === 0) {
        // the curve while granting (no GC): flat past the cache size when a sleeping lease costs nothing
        const r = await child.usage(false);
        curve.push(`${granted}: ${mib(r.rss).toFixed(0)}`);
        ctx.log(
          `  memory: ${granted}/${leases} granted (${((now() - startClock) / 1000).toFixed(0)} s), worker RSS ${mib(r.rss)} MiB, ${r.cachedWorkflows} cached`,
        );
      }
    });
    const grantSeconds = (now() - startClock) / 1000;
    const peakWhileGranting = await child.usage(false);
    const withLeases = await idleReading(ctx, child);

    const ids = live.map((l) => l.requestId);
    const active = await ctx.stack.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM requests WHERE status = 'active' AND request_id = ANY($1::text[])`,
      [ids],
    );
    const names = await inlinePolicies(ctx);
    const inMoto = ids.filter((id) => names.has(inlinePolicyName(id))).length;

    const endConcurrency = envInt('BENCH_MEMORY_END_CONCURRENCY', concurrency);
    ctx.log(`  memory: ${live.length} leases live; ending them (${endConcurrency} in flight)`);
    const ended = await endAll(local, live, endConcurrency);
    const after = await idleReading(ctx, child);
    const namesAfter = await inlinePolicies(ctx);
    const left = ids.filter((id) => namesAfter.has(inlinePolicyName(id))).length;

    const n = started.results.length || live.length;
    const perLease = (a: number, b: number): string => (n ? `${((a - b) / n / 1024).toFixed(1)} KiB/lease` : '-');
    value(
      report,
      'live leases (active in PostgreSQL / inline policies in moto)',
      `${active.rows[0]?.n ?? '?'} / ${inMoto}`,
    );
    value(
      report,
      `start → all granted (auto-approved, ${concurrency} in flight)`,
      `${grantSeconds.toFixed(1)} s (${(n / grantSeconds).toFixed(1)} /s)`,
    );
    value(report, 'worker maxCachedWorkflows', cache);
    // the knobs measured against the defaults (docs/scaling.md): V8 flags for the worker alone, glibc's arenas
    value(
      report,
      'worker Node flags (BENCH_WORKER_NODE_FLAGS) / MALLOC_ARENA_MAX',
      `${process.env.BENCH_WORKER_NODE_FLAGS || '-'} / ${process.env.MALLOC_ARENA_MAX || '-'}`,
    );
    value(report, 'worker RSS while granting (leases granted: MiB, no GC)', curve.join(' · '));
    value(report, 'worker RSS before (idle, after GC)', mib(before.rss), 'MiB');
    value(
      report,
      `worker RSS with ${n} live leases (idle, after GC)`,
      `${mib(withLeases.rss)} MiB (+${mib(withLeases.rss - before.rss)} MiB, ${perLease(withLeases.rss, before.rss)}) — goal < 500 MiB at 10,000`,
    );
    value(
      report,
      'worker RSS after all ended (idle, after GC)',
      `${mib(after.rss)} MiB (+${mib(after.rss - before.rss)} MiB over before)`,
    );
    value(
      report,
      'worker main heapUsed before / with leases / after (after GC)',
      `${mib(before.heapUsed)} / ${mib(withLeases.heapUsed)} / ${mib(after.heapUsed)}`,
      'MiB',
    );
    value(report, 'worker external+arrayBuffers with leases', mib(withLeases.external), 'MiB');
    value(
      report,
      'worker cached workflows (before → with leases → after)',
      `${before.cachedWorkflows} → ${withLeases.cachedWorkflows} → ${after.cachedWorkflows}`,
    );
    value(
      report,
      'worker RSS while granting (last, no GC) / peak RSS (maxRSS)',
      `${mib(peakWhileGranting.rss)} / ${mib(after.maxRss)}`,
      'MiB',
    );
    value(
      report,
      'worker CPU: granting / ending',
      `${((withLeases.cpuMs - before.cpuMs) / Math.max(1, n)).toFixed(1)} / ${((after.cpuMs - withLeases.cpuMs) / Math.max(1, ended.results.length)).toFixed(1)} ms per lease`,
    );
    value(
      report,
      `end all ("I'm done", ${endConcurrency} in flight)`,
      `${ended.results.length} in ${ended.seconds.toFixed(1)} s (${(ended.results.length / ended.seconds).toFixed(1)} /s)`,
    );
    value(report, 'inline policies left in moto afterwards', left);
    report.errors.push(
      ...describeErrors(started.errors).map((e) => `start: ${e}`),
      ...describeErrors(ended.errors).map((e) => `end: ${e}`),
    );
    report.notes.push(
      `${leases} workflows of ${formatDuration(durationSeconds)} each, started directly as auto-approved on ${INLINE_ENTITLEMENT} ` +
        '(each lease its own inline policy on one IAM role; moto does not enforce the 10 KB aggregate limit real IAM has).',
      `The worker runs alone in a child process (pid ${child.pid}; bench/lib/worker-child.ts) with maxCachedWorkflows ${cache} ` +
        '(BENCH_WORKER_CACHE); client, AccessClient and observers are in the bench process and not counted. Its RSS holds ' +
        'the Rust core (sticky cache, gRPC), the workflow thread (cached workflows live in its V8 isolate) and the activities.',
      "Each reading waits until the worker has no activation or activity in flight, then forces a full GC of the child's " +
        "main isolate (--expose-gc); the workflow thread's isolate cannot be collected from outside, so its garbage may be " +
        'counted. "Before" is after 5 warm-up leases granted and ended. Each GC\'d reading also writes a JSON line ' +
        '"memory breakdown (KiB)" on stderr: kernel anonymous/file split, main isolate, each workflow thread\'s isolate ' +
        "(the floor probe's too), and the anonymous rest (Rust core, malloc).",
    );
    return report;
  } finally {
    await child.stop();
    report.seconds = (now() - startedAt) / 1000;
  }
}

async function inlinePolicies(ctx: BenchContext): Promise<Set<string>> {
  const listed = await ctx.stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
  return new Set(listed.PolicyNames ?? []);
}

/** Waits (≤ 60 s) until the child has nothing in flight twice in a row, then reads it after a forced GC. */
export async function idleReading(ctx: BenchContext, child: WorkerProcess): Promise<UsageReading> {
  const deadline = Date.now() + 60_000;
  let quiet = 0;
  while (Date.now() < deadline && quiet < 2) {
    const r = await child.usage(false);
    quiet = r.inFlightActivities === 0 && r.inFlightActivations === 0 ? quiet + 1 : 0;
    await sleep(250, ctx.signal);
  }
  await sleep(500, ctx.signal);
  return child.usage(true);
}
