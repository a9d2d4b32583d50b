import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort, type RunningServer } from '../../app/embedded/processes';
import { startTemporalDevServer } from '../../app/embedded/temporal';
import type pg from 'pg';
import { PgStore } from '../../activities/store/pg-store';
import { AuditAction } from '../../domain/audit';
import { REQUEST_TASK_TIMEOUT } from '../../workflows/access-request';
import type { Policy } from '../../domain/policy/schema';
import { CuttableTcpProxy, FaultProxy, NO_FAULTS } from '../../test/support/fakes/fault-proxy';
import { chaosPerson, chaosPolicy, leaseLedger, type LeaseLedger } from '../../test/support/launch/chaos-leases';
import { ChaosWorker } from '../../test/support/launch/chaos-process';
import { freshDatabase } from '../../test/support/launch/database';
import { stackPolicy, type Stack } from '../../test/support/stacks/stack';
import {
  awaitDrillLeases,
  goneLateness,
  latenessAfterReady,
  leasePolicyObserver,
  randomMs,
  readChaosConfig,
  sleepUntil,
  spreadSeconds,
  startDrillLeases,
  type ChaosConfig,
  type DrillLease,
  type DrillTarget,
} from '../lib/chaos-drill';
import { now, sleep, throwIfAborted } from '../lib/clock';
import type { BenchContext } from '../lib/context';
import { latency, newReport, value, type ScenarioReport } from '../lib/report';

/**
 * Faults, with figures (issue 15 item 3). Each part runs its own leases on a task queue of its own,
 * served by a worker in a child process wired as production (test/support/launch/chaos-worker.ts):
 *  (a) that worker SIGKILLed every 5–20 s (random) and restarted while the leases run;
 *  (b) a fault proxy in front of moto failing a share of AWS calls (5xx/429, resets before and after
 *      the call landed), beside a floor of the same leases through the proxy passing everything;
 *  (c) PostgreSQL made unreachable twice (a cuttable TCP proxy in front of the shared server: open
 *      connections destroyed, new ones refused; the shared server itself is never stopped);
 *  (d) a Temporal dev server of its own, with a state file, stopped and started again mid-run.
 * Lost and doubled work is read from moto directly and from the database (leaseLedger).
 */
export async function chaosScenario(ctx: BenchContext): Promise<ScenarioReport> {
  const config = readChaosConfig();
  const report = newReport('chaos');
  const startedAt = now();
  const parts = { a: workerKills, b: cloudFaults, c: databaseCuts, d: temporalRestart } as const;
  for (const part of config.parts) {
    throwIfAborted(ctx.signal);
    ctx.log(`chaos (${part}): running`);
    const partStarted = now();
    try {
      await parts[part](ctx, config, report);
    } catch (error) {
      throwIfAborted(ctx.signal);
      report.errors.push(`(${part}) stopped: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    ctx.log(`chaos (${part}): done in ${((now() - partStarted) / 1000).toFixed(1)} s`);
  }
  report.seconds = (now() - startedAt) / 1000;
  return report;
}

function temporalAddress(): string {
  const address = process.env.LEAST_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('LEAST_TEST_TEMPORAL_ADDRESS is not set (bench/run.ts sets it)');
  return address;
}

function drillPolicy(stack: Stack, people: string[], endpoint?: string): Policy {
  return stackPolicy(stack.account, stack.motoUrl, chaosPolicy(people, endpoint));
}

function people(run: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => chaosPerson(run, i));
}

const taskQueue = (part: string): string => `least-chaos-${part}-${randomBytes(3).toString('hex')}`;

/** Lost: never seen gone, or not ended revoked. */
function lostCount(leases: DrillLease[], ledger: LeaseLedger): number {
  const lost = new Set([...ledger.orphaned, ...ledger.unrevoked]);
  for (const lease of leases) if (lease.error) lost.add(lease.id);
  return lost.size;
}

function ledgerFigures(report: ScenarioReport, part: string, leases: DrillLease[], ledger: LeaseLedger): void {
  value(
    report,
    `(${part}) leases revoked / started`,
    `${leases.length - lostCount(leases, ledger)} / ${leases.length}`,
  );
  value(report, `(${part}) orphaned grants (in moto after all ended)`, ledger.orphaned.length);
  value(report, `(${part}) duplicate grants (grant.applied or lease row > 1)`, ledger.duplicated.length);
  value(report, `(${part}) lost revocations (not revoked in db or moto, or not ended)`, lostCount(leases, ledger));
  if (ledger.duplicateRows.length)
    report.errors.push(
      `(${part}) duplicated audit rows (request, action, keys): ${ledger.duplicateRows
        .slice(0, 3)
        .map((row) => `${row.requestId} ${row.action} [${row.keys.join(', ')}]`)
        .join('; ')}`,
    );
  const errors = leases.filter((lease) => lease.error).map((lease) => `${lease.id}: ${lease.error}`);
  if (errors.length) report.errors.push(`(${part}) ${errors.length} leases: ${errors.slice(0, 3).join('; ')}`);
}

/** Runs `leases` against `target`, with `disrupt` beside them until they have all ended; returns them. */
async function drill(
  ctx: BenchContext,
  config: ChaosConfig,
  target: DrillTarget,
  who: string[],
  seconds: number[],
  disrupt: (until: AbortSignal, startedAt: number) => Promise<void>,
): Promise<{ leases: DrillLease[]; startErrors: number; startedAt: number }> {
  const startedAt = now();
  const stopDisrupting = new AbortController();
  const abort = (): void => stopDisrupting.abort();
  ctx.signal.addEventListener('abort', abort, { once: true });
  const disruption = disrupt(stopDisrupting.signal, startedAt).catch((error: unknown) => {
    if (!stopDisrupting.signal.aborted) throw error;
  });
  try {
    const { leases, startErrors } = await startDrillLeases(target, who, seconds, config.startConcurrency, ctx.signal);
    await awaitDrillLeases(target, leases, Math.max(...seconds), config.graceSeconds, ctx.signal);
    return { leases, startErrors, startedAt };
  } finally {
    stopDisrupting.abort();
    ctx.signal.removeEventListener('abort', abort);
    await disruption;
  }
}

/** (a) SIGKILL the worker at random every killMin–killMax seconds while the leases run. */
async function workerKills(ctx: BenchContext, config: ChaosConfig, report: ScenarioReport): Promise<void> {
  const { stack } = ctx;
  const cfg = config.kill;
  const who = people('a', cfg.leases);
  const policy = drillPolicy(stack, who);
  const queue = taskQueue('a');
  const worker = new ChaosWorker({
    temporalAddress: temporalAddress(),
    taskQueue: queue,
    databaseUrl: stack.db.url,
    policy,
  });
  const observer = leasePolicyObserver(stack, config.pollMs);
  observer.start();
  const restartMs: number[] = [];
  try {
    await worker.start();
    const target: DrillTarget = { temporal: stack.env.client, taskQueue: queue, policy, observer };
    const seconds = spreadSeconds(cfg.leases, cfg.minSeconds, cfg.maxSeconds);
    const { leases, startErrors } = await drill(ctx, config, target, who, seconds, async (until) => {
      while (!until.aborted) {
        await sleep(randomMs(cfg.killMinSeconds, cfg.killMaxSeconds), until);
        const killedAt = await worker.kill();
        // restarting is not interruptible: the drill must end with a worker running
        restartMs.push((await worker.start()) - killedAt);
      }
    });
    const ledger = await leaseLedger(
      stack.db.pool,
      stack.aws.iam,
      leases.map((lease) => lease.id),
    );
    latency(
      report,
      '(a) revoked after worker ready: gone − max(expiresAt, ready)',
      latenessAfterReady(leases, worker.readyTimes),
    );
    latency(report, '(a) expiresAt → inline policy gone (raw, kills included)', goneLateness(leases));
    latency(report, '(a) SIGKILL → restarted worker polling', restartMs);
    ledgerFigures(report, 'a', leases, ledger);
    value(
      report,
      '(a) leases × length / kills',
      `${cfg.leases} × ${cfg.minSeconds}–${cfg.maxSeconds} s / ${worker.killTimes.length}, every ${cfg.killMinSeconds}–${cfg.killMaxSeconds} s`,
    );
    if (startErrors) value(report, '(a) lease starts failed', startErrors);
    report.notes.push(
      '(a) The only worker of the task queue runs in a child process and is SIGKILLed (no drain) at random moments, then started again ' +
        '(the workflow bundle is built once; a restart is process start-up, connections and first poll). "ready" is its first poll. ' +
        "The lifecycle's steps are local activities: one that was running when the worker died runs again when its workflow task is " +
        `retried, after the task's ${REQUEST_TASK_TIMEOUT} timeout; tasks queued for the dead worker move to the shared queue after 3 s (app/worker.ts).`,
    );
  } finally {
    await observer.stop();
    await worker.stop();
  }
}

/** (b) The fault proxy in front of moto: a floor run with no faults, then the same leases with faults. */
async function cloudFaults(ctx: BenchContext, config: ChaosConfig, report: ScenarioReport): Promise<void> {
  const { stack } = ctx;
  const cfg = config.faults;
  const floorPeople = people('b0', cfg.leases);
  const faultPeople = people('b1', cfg.leases);
  const proxy = new FaultProxy(stack.motoUrl);
  await proxy.start();
  const policy = drillPolicy(stack, [...floorPeople, ...faultPeople], proxy.url);
  const queue = taskQueue('b');
  const worker = new ChaosWorker({
    temporalAddress: temporalAddress(),
    taskQueue: queue,
    databaseUrl: stack.db.url,
    policy,
  });
  const observer = leasePolicyObserver(stack, config.pollMs);
  observer.start();
  try {
    await worker.start();
    const target: DrillTarget = { temporal: stack.env.client, taskQueue: queue, policy, observer };
    const seconds = spreadSeconds(cfg.leases, config.short.minSeconds, config.short.maxSeconds);
    const share = cfg.percent / 100;
    const runs: { label: string; who: string[]; faults: typeof NO_FAULTS }[] = [
      { label: 'floor (proxy passes all)', who: floorPeople, faults: NO_FAULTS },
      {
        label: `${cfg.percent} % faults`,
        who: faultPeople,
        faults: { errorRate: share * 0.6, resetBeforeRate: share * 0.15, resetAfterRate: share * 0.25 },
      },
    ];
    for (const run of runs) {
      proxy.configure(run.faults);
      proxy.stats(true);
      const { leases, startErrors } = await drill(ctx, config, target, run.who, seconds, async () => undefined);
      const counts = proxy.stats();
      const ledger = await leaseLedger(
        stack.db.pool,
        stack.aws.iam,
        leases.map((lease) => lease.id),
      );
      latency(report, `(b) expiresAt → gone, ${run.label}`, goneLateness(leases));
      ledgerFigures(report, `b ${run.label}`, leases, ledger);
      const a = counts.byAction;
      value(
        report,
        `(b) AWS calls, ${run.label}: passed / 500 / 503 / 429 / reset before / reset after landing`,
        `${counts.calls}: ${a.passed} / ${a.error500} / ${a.error503} / ${a.throttled429} / ${a.resetBefore} / ${a.resetAfter}`,
      );
      const put = counts.byOperation.PutRolePolicy ?? {};
      const del = counts.byOperation.DeleteRolePolicy ?? {};
      value(
        report,
        `(b) PutRolePolicy / DeleteRolePolicy that reached moto, ${run.label}`,
        `${(put.passed ?? 0) + (put.resetAfter ?? 0)} / ${(del.passed ?? 0) + (del.resetAfter ?? 0)} for ${leases.length} leases`,
      );
      if (startErrors) value(report, `(b) lease starts failed, ${run.label}`, startErrors);
    }
    report.notes.push(
      '(b) The AWS system endpoint is the fault proxy; moto is read directly. Faults: 60 % of the share answered 500/503/429 with AWS-shaped bodies, ' +
        '15 % connection destroyed before forwarding, 25 % forwarded (the call landed) and then the connection destroyed. The SDK retries (5 attempts, adaptive), ' +
        'Temporal retries the activity on top. More Put/Delete calls than leases reaching moto are retries of landed calls: harmless only because they are idempotent.',
    );
  } finally {
    await observer.stop();
    await worker.stop();
    await proxy.stop();
  }
}

/** (c) PostgreSQL unreachable twice (grant phase, expiry phase) through a cuttable TCP proxy. */
async function databaseCuts(ctx: BenchContext, config: ChaosConfig, report: ScenarioReport): Promise<void> {
  const { stack } = ctx;
  const cfg = config.database;
  const who = people('c', cfg.leases);
  const policy = drillPolicy(stack, who);
  const db = await freshDatabase('least_chaos');
  const store = new PgStore(db.pool);
  await store.migrate();
  const direct = new URL(db.url);
  const proxy = new CuttableTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  await proxy.start();
  const viaProxy = new URL(db.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const queue = taskQueue('c');
  const worker = new ChaosWorker({
    temporalAddress: temporalAddress(),
    taskQueue: queue,
    databaseUrl: viaProxy.toString(),
    policy,
  });
  const observer = leasePolicyObserver(stack, config.pollMs);
  observer.start();
  const restoredAt: number[] = [];
  const crashes: string[] = [];
  // A worker that dies of a database outage is a finding: its last words are kept, and it is started again
  // so the drill still counts what the rest of the run lost.
  const reviveIfDead = async (): Promise<void> => {
    await sleep(3000);
    if (worker.running) return;
    const said = worker.output.split('\n').filter((line) => line.trim() && !/^\s+at /.test(line));
    const file = path.join(os.tmpdir(), `least-chaos-worker-crash-${Date.now()}.log`);
    writeFileSync(file, worker.output);
    crashes.push(`${said.slice(-6).join(' | ').slice(0, 1200)} (its output: ${file})`);
    await worker.start();
  };
  try {
    await worker.start();
    const target: DrillTarget = { temporal: stack.env.client, taskQueue: queue, policy, observer };
    const seconds = spreadSeconds(cfg.leases, config.short.minSeconds, config.short.maxSeconds);
    const { leases } = await drill(ctx, config, target, who, seconds, async (until, startedAt) => {
      const outage = async (at: number): Promise<void> => {
        await sleepUntil(at, until);
        proxy.cut();
        try {
          await sleep(cfg.downSeconds * 1000, until);
        } finally {
          proxy.restore();
          restoredAt.push(now());
        }
      };
      await outage(startedAt + randomMs(0.5, 2));
      await reviveIfDead();
      await outage(
        startedAt +
          config.short.minSeconds * 1000 +
          randomMs(0, (config.short.maxSeconds - config.short.minSeconds) / 2),
      );
      await reviveIfDead();
    });
    const ids = leases.map((lease) => lease.id);
    const ledger = await leaseLedger(db.pool, stack.aws.iam, ids);
    const audit = await auditPatterns(db.pool, ids);
    const verification = await store.verifyAudit();
    latency(
      report,
      '(c) revoked after db back: gone − max(expiresAt, restored)',
      latenessAfterReady(leases, restoredAt),
    );
    latency(report, '(c) expiresAt → inline policy gone (raw, outages included)', goneLateness(leases));
    ledgerFigures(report, 'c', leases, ledger);
    value(report, '(c) worker processes that died of an outage (restarted)', crashes.length);
    for (const crash of crashes) report.errors.push(`(c) the worker died during a database outage: ${crash}`);
    value(
      report,
      '(c) outages × length / connections refused while cut',
      `${restoredAt.length} × ${cfg.downSeconds} s / ${proxy.refused}`,
    );
    value(report, '(c) audit rows every lease must hold once', audit.pattern);
    value(report, '(c) leases missing one of them / with any action twice', `${audit.missing} / ${audit.doubled}`);
    value(
      report,
      '(c) grant.applied / grant.revoked exactly once',
      `${ledger.exactlyOnce[AuditAction.GrantApplied]} / ${ledger.exactlyOnce[AuditAction.GrantRevoked]} of ${ids.length}`,
    );
    value(
      report,
      '(c) audit chain verifies (rows)',
      `${verification.ok ? 'yes' : `NO: ${JSON.stringify(verification.problems.slice(0, 3))}`} (${verification.rows})`,
    );
    report.notes.push(
      '(c) The worker reaches PostgreSQL through a TCP proxy that is cut twice (once while leases are granted, once in the expiry window): open ' +
        "connections destroyed, new ones refused, as while a server restarts. The machine's shared PostgreSQL is never stopped. Audit rows are " +
        'checked per lease (request.submitted, request.approved, grant.applied, grant.revoked, each exactly once); the chain is verified with store.verifyAudit. ' +
        'A worker that dies of an outage is started again (counted, its last words in the errors) so the rest can still be counted.',
    );
  } finally {
    await observer.stop();
    await worker.stop();
    await proxy.stop();
    await db.drop().catch(() => undefined);
  }
}

/** What an auto-approved lease that ran to expiry writes to the audit log, each exactly once. */
const LIFECYCLE_AUDIT = [
  AuditAction.RequestSubmitted,
  AuditAction.RequestApproved,
  AuditAction.GrantApplied,
  AuditAction.GrantRevoked,
];

/** Per lease, which lifecycle audit rows are missing and which are written more than once. */
async function auditPatterns(
  pool: pg.Pool,
  ids: string[],
): Promise<{ pattern: string; missing: number; doubled: number }> {
  const rows = await pool.query<{ request_id: string; action: string; n: string }>(
    'SELECT request_id, action, count(*) AS n FROM audit_log WHERE request_id = ANY($1) GROUP BY 1, 2',
    [ids],
  );
  const byLease = new Map<string, Map<string, number>>();
  for (const row of rows.rows) {
    const actions = byLease.get(row.request_id) ?? new Map<string, number>();
    actions.set(row.action, Number(row.n));
    byLease.set(row.request_id, actions);
  }
  let missing = 0;
  let doubled = 0;
  for (const id of ids) {
    const actions = byLease.get(id) ?? new Map<string, number>();
    if (LIFECYCLE_AUDIT.some((action) => !actions.has(action))) missing++;
    if ([...actions.values()].some((n) => n > 1)) doubled++;
  }
  return { pattern: LIFECYCLE_AUDIT.join(' '), missing, doubled };
}

/** (d) A dev server of its own with a state file, stopped and started again while leases run. */
async function temporalRestart(ctx: BenchContext, config: ChaosConfig, report: ScenarioReport): Promise<void> {
  const { stack } = ctx;
  const cfg = config.temporal;
  const who = people('d', cfg.leases);
  const policy = drillPolicy(stack, who);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-chaos-temporal-'));
  const dbFile = path.join(dir, 'temporal.sqlite');
  const port = await freePort();
  let server: RunningServer | undefined = await startTemporalDevServer({ port, dbFile });
  const connection = await Connection.connect({ address: server.url });
  const temporal = new Client({ connection });
  const queue = taskQueue('d');
  const worker = new ChaosWorker({ temporalAddress: server.url, taskQueue: queue, databaseUrl: stack.db.url, policy });
  const observer = leasePolicyObserver(stack, config.pollMs);
  observer.start();
  const serverReady: number[] = [];
  let workerRestarts = 0;
  try {
    await worker.start();
    const target: DrillTarget = { temporal, taskQueue: queue, policy, observer };
    const seconds = spreadSeconds(cfg.leases, config.short.minSeconds, config.short.maxSeconds);
    const { leases } = await drill(ctx, config, target, who, seconds, async (until, startedAt) => {
      // in the expiry window: timers due while the server is down must still fire after it is back
      await sleepUntil(startedAt + config.short.minSeconds * 1000 + randomMs(0, 3), until);
      await server!.stop();
      server = undefined;
      await sleep(cfg.downSeconds * 1000);
      server = await startTemporalDevServer({ port, dbFile });
      serverReady.push(now());
      // a worker that gave up on the server while it was down is a finding; it is started again to count the rest
      await sleep(5000);
      if (!worker.running) {
        workerRestarts++;
        await worker.start();
      }
    });
    const ids = leases.map((lease) => lease.id);
    const ledger = await leaseLedger(stack.db.pool, stack.aws.iam, ids);
    latency(
      report,
      '(d) revoked after server back: gone − max(expiresAt, server ready)',
      latenessAfterReady(leases, serverReady),
    );
    latency(report, '(d) expiresAt → inline policy gone (raw, restart included)', goneLateness(leases));
    ledgerFigures(report, 'd', leases, ledger);
    value(
      report,
      '(d) server restarts × down time / worker restarts needed',
      `${serverReady.length} × ${cfg.downSeconds} s / ${workerRestarts}`,
    );
    report.notes.push(
      '(d) A Temporal dev server of its own (`temporal server start-dev --db-filename`), stopped (SIGTERM) early in the expiry window and started ' +
        'again on the same port and state file; the worker process is left running and must reconnect by itself.',
    );
  } finally {
    await observer.stop();
    await worker.stop();
    await connection.close().catch(() => undefined);
    const running = server as RunningServer | undefined;
    if (running) await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
