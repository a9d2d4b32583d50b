import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { inlinePolicyName } from '../../domain/lease';
import { formatDuration } from '../../domain/duration';
import { APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import { now, sleep } from '../lib/clock';
import {
  collectGarbage,
  endAll,
  INLINE_ENTITLEMENT,
  requester,
  settle,
  startAutoApproved,
  type BenchContext,
} from '../lib/context';
import { describeErrors, runPool } from '../lib/pool';
import { newReport, value, type ScenarioReport } from '../lib/report';
import { mib } from '../lib/stats';

/**
 * Memory of the process hosting the worker with L concurrent live leases: L auto-approved,
 * long (4h) inline-policy leases are started and granted, then RSS and heap are read and the
 * worker's cache is counted; then every lease is ended ("I'm done") with bounded concurrency.
 */
export async function memoryScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config, notices, worker } = ctx;
  const { leases, concurrency, durationSeconds } = config.memory;
  const report = newReport('memory');
  const startedAt = now();

  await settle(ctx);
  const gcAvailable = collectGarbage();
  const before = process.memoryUsage();
  const cachedBefore = worker.getStatus().numCachedWorkflows;

  const live: { requestId: string; requester: string }[] = [];
  const startClock = now();
  let granted = 0;
  const started = await runPool(leases, concurrency, ctx.signal, async (i) => {
    const person = requester('live', i);
    const id = await startAutoApproved(ctx, person, INLINE_ENTITLEMENT, durationSeconds, 'benchmark: live lease');
    live.push({ requestId: id, requester: person });
    await notices.wait(id, 'granted', 180_000);
    if (++granted % Math.max(1, Math.floor(leases / 4)) === 0) ctx.log(`  memory: ${granted}/${leases} granted`);
  });
  const grantSeconds = (now() - startClock) / 1000;
  ctx.log(`  memory: ${started.results.length} leases active after ${grantSeconds.toFixed(1)} s`);

  await settle(ctx);
  const afterNoGc = process.memoryUsage();
  const status = worker.getStatus();
  collectGarbage();
  await sleep(200, ctx.signal);
  const after = process.memoryUsage();

  const ids = live.map((l) => l.requestId);
  const active = await stack.db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM requests WHERE status = 'active' AND request_id = ANY($1::text[])`,
    [ids],
  );
  const listed = await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
  const names = new Set(listed.PolicyNames ?? []);
  const inMoto = ids.filter((id) => names.has(inlinePolicyName(id))).length;

  const perLease = (a: number, b: number): string =>
    started.results.length ? `${((a - b) / started.results.length / 1024).toFixed(1)} KiB/lease` : '-';
  value(
    report,
    'live leases (active in PostgreSQL / inline policies in moto)',
    `${active.rows[0]?.n ?? '?'} / ${inMoto}`,
  );
  value(
    report,
    `start → all granted (auto-approved, ${concurrency} in flight)`,
    `${grantSeconds.toFixed(1)} s (${(started.results.length / grantSeconds).toFixed(1)} /s)`,
  );
  value(report, `RSS before${gcAvailable ? ' (after GC)' : ''}`, mib(before.rss), 'MiB');
  value(report, 'RSS with live leases (no GC)', mib(afterNoGc.rss), 'MiB');
  value(
    report,
    `RSS with live leases${gcAvailable ? ' (after GC)' : ''}`,
    `${mib(after.rss)} MiB (+${mib(after.rss - before.rss)} MiB, ${perLease(after.rss, before.rss)})`,
  );
  value(report, `main heapUsed before${gcAvailable ? ' (after GC)' : ''}`, mib(before.heapUsed), 'MiB');
  value(report, 'main heapUsed with live leases (no GC)', mib(afterNoGc.heapUsed), 'MiB');
  value(
    report,
    `main heapUsed with live leases${gcAvailable ? ' (after GC)' : ''}`,
    `${mib(after.heapUsed)} MiB (+${mib(after.heapUsed - before.heapUsed)} MiB, ${perLease(after.heapUsed, before.heapUsed)})`,
  );
  value(report, 'main external+arrayBuffers with live leases', mib(after.external + after.arrayBuffers), 'MiB');
  value(
    report,
    'worker cached workflows (before → with leases)',
    `${cachedBefore} → ${status.numCachedWorkflows} (maxCachedWorkflows ${worker.options.maxCachedWorkflows})`,
  );

  const ended = await endAll(ctx, live, concurrency);
  const listedAfter = await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
  const namesAfter = new Set(listedAfter.PolicyNames ?? []);
  const left = ids.filter((id) => namesAfter.has(inlinePolicyName(id))).length;
  await settle(ctx).catch(() => undefined);
  value(
    report,
    `end all ("I'm done", ${concurrency} in flight)`,
    `${ended.results.length} in ${ended.seconds.toFixed(1)} s (${(ended.results.length / ended.seconds).toFixed(1)} /s)`,
  );
  value(report, 'inline policies left in moto afterwards', left);
  value(report, 'worker cached workflows after ending', worker.getStatus().numCachedWorkflows);
  value(report, 'RSS after ending', mib(process.memoryUsage().rss), 'MiB');
  value(report, 'process peak RSS so far (maxRSS)', mib(process.resourceUsage().maxRSS * 1024), 'MiB');
  report.errors.push(
    ...describeErrors(started.errors).map((e) => `start: ${e}`),
    ...describeErrors(ended.errors).map((e) => `end: ${e}`),
  );
  report.notes.push(
    `${leases} workflows of ${formatDuration(durationSeconds)} each, started directly as auto-approved on ${INLINE_ENTITLEMENT} ` +
      '(each lease its own inline policy on one IAM role; moto does not enforce the 10 KB aggregate limit real IAM has).',
    'The bench process hosts the worker AND the Temporal client, AccessClient, activities, AWS SDK clients, pg pool and the LogNotifier ' +
      "message array: all of it is in these figures. Workflow state lives in the SDK's workflow worker thread (its own V8 isolate): " +
      "it counts in RSS, not in the main isolate's heapUsed. RSS also holds the Rust core (sticky cache, gRPC).",
    '"Before" is read after the warm-up lifecycles (run.ts runs this scenario first, so earlier scenarios do not raise the baseline).',
    gcAvailable
      ? 'GC was forced (v8 --expose-gc set at run time) before the "after GC" readings, main isolate only.'
      : 'GC could not be forced.',
  );
  report.seconds = (now() - startedAt) / 1000;
  return report;
}
