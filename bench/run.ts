/**
 * `npm run bench [-- approve expiry lifecycle memory slack teams]`: benchmarks of the whole product on real
 * components, all on loopback: a Temporal dev server, moto, a fresh PostgreSQL database, the real
 * activities and AWS adapter, one worker and the AccessClient in this process. `findings-scan FILE`
 * runs two command-line tools side by side and needs none of that (alone, nothing is started). Prints
 * figures (no pass/fail) and writes them to bench/results/latest.json. Sizes come from BENCH_* variables (see
 * bench/README.md); a hard timeout (BENCH_TIMEOUT_SECONDS, default 480) stops everything and tears down.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { requireBinary } from '../app/embedded/binaries';
import type { RunningServer } from '../app/embedded/processes';
import { startTemporalDevServer } from '../app/embedded/temporal';
import { startMoto } from '../test/support/fakes/moto';
import { checkPostgres } from '../test/support/launch/database';
import { LEAD, startStack, type Stack } from '../test/support/stacks/stack';
import { Aborted, now, withTimeout } from './lib/clock';
import {
  inlineRequesters,
  INLINE_ENTITLEMENT,
  readConfig,
  requester,
  settle,
  withBenchPrincipals,
  type BenchConfig,
  type BenchContext,
} from './lib/context';
import { NoticeBoard } from './lib/observers';
import { describeErrors, runPool } from './lib/pool';
import { renderReports, value, type ScenarioReport } from './lib/report';
import { cpuSnapshot, DbSampler, describeCpu } from './lib/resources';
import { alertsScenario } from './scenarios/alerts';
import { anomalyScanScenario } from './scenarios/anomaly-scan';
import { approveScenario } from './scenarios/approve';
import { cleanupScenario } from './scenarios/cleanup';
import { cloudtrailScenario } from './scenarios/cloudtrail';
import { digestScenario } from './scenarios/digest';
import { collectAwsScenario } from './scenarios/collect-aws';
import { expiryScenario } from './scenarios/expiry';
import { findingsScanScenario } from './scenarios/findings-scan';
import { findingsPciScenario } from './scenarios/findings-pci';
import { inventoryLoadScenario } from './scenarios/inventory-load';
import { lifecycleScenario } from './scenarios/lifecycle';
import { memoryScenario } from './scenarios/memory';
import { workerCostRequesters, workerCostScenario } from './scenarios/worker-cost';
import { reportScenario } from './scenarios/report';
import { slackScenario } from './scenarios/slack';
import { teamsScenario } from './scenarios/teams';
import { chaosScenario } from './scenarios/chaos';

const SCENARIOS = [
  'approve',
  'expiry',
  'lifecycle',
  'memory',
  'worker-cost',
  'slack',
  'teams',
  'inventory-load',
  'findings-pci',
  'cloudtrail',
  'collect-aws',
  'cleanup',
  'findings-scan',
  'digest',
  'alerts',
  'report',
  'anomaly-scan',
  'chaos',
] as const;
type ScenarioName = (typeof SCENARIOS)[number];
/** Scenarios that run their own child processes and need none of the servers or the stack. */
const STANDALONE: readonly ScenarioName[] = ['findings-scan', 'report', 'anomaly-scan'];
/** Scenarios that run only when named: minutes long, they would not fit the default run's time limit. */
const ON_REQUEST: readonly ScenarioName[] = ['chaos'];
const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const RESULTS = path.join(__dirname, 'results', 'latest.json');

function log(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Scenario names, and the one file argument (findings-scan's account authorization details file). */
function selectedScenarios(args: string[]): { selected: ScenarioName[]; file: string | undefined } {
  const words = args.filter((a) => a !== '--');
  const files = words.filter((w) => !(SCENARIOS as readonly string[]).includes(w) && w !== 'all' && existsSync(w));
  if (files.length > 1) throw new Error(`one input file at most, not ${files.join(', ')}`);
  const names = words.filter((w) => !files.includes(w));
  if (names.length === 0 || names.includes('all'))
    return { selected: SCENARIOS.filter((s) => !ON_REQUEST.includes(s) || names.includes(s)), file: files[0] };
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`unknown scenario "${name}" (and no such file); choose from ${SCENARIOS.join(', ')} or all`);
  }
  return { selected: SCENARIOS.filter((s) => names.includes(s)), file: files[0] };
}

/** Only the requesters the selected scenarios use get principal mappings; keeps the policy as small as the run. */
function trimmedConfig(config: BenchConfig, selected: ScenarioName[]): BenchConfig {
  return {
    ...config,
    approve: selected.includes('approve') ? config.approve : { ...config.approve, entitlements: [] },
    expiry: selected.includes('expiry') ? config.expiry : { ...config.expiry, leases: 0 },
    lifecycle: selected.includes('lifecycle') ? config.lifecycle : { ...config.lifecycle, requests: 0 },
    memory: selected.includes('memory') ? config.memory : { ...config.memory, leases: 0 },
    slack: selected.includes('slack') ? config.slack : { ...config.slack, commands: 0 },
    teams: selected.includes('teams') ? config.teams : { ...config.teams, messages: 0 },
  };
}

function quiet(command: string, args: string[]): string {
  try {
    return (
      execFileSync(command, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split('\n')[0] ?? '?'
    );
  } catch {
    return '?';
  }
}

async function machineFacts(adminUrl: string): Promise<Record<string, string | number>> {
  const moto = requireBinary('moto_server', 'LEAST_MOTO_SERVER');
  const python = path.join(path.dirname(moto), 'python');
  let postgres = '?';
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    postgres = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  } finally {
    await client.end().catch(() => undefined);
  }
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    temporalCli: quiet(requireBinary('temporal', 'LEAST_TEMPORAL_CLI'), ['--version']),
    moto: existsSync(python) ? quiet(python, ['-c', 'import moto; print(moto.__version__)']) : '?',
    postgres,
  };
}

/** A few unmeasured lifecycles: loads the workflow bundle into the worker thread, warms JIT, pools and sessions. */
async function warmUp(ctx: BenchContext): Promise<void> {
  const outcome = await runPool(ctx.config.warmup, Math.min(5, ctx.config.warmup), ctx.signal, async (i) => {
    const person = requester('warmup', i);
    const submitted = await ctx.stack.access.submit({
      requester: person,
      entitlementId: INLINE_ENTITLEMENT,
      duration: '1h',
      reason: 'warm-up',
      origin: { platform: 'cli' },
    });
    if (!submitted.ok) throw new Error(`${submitted.code} ${submitted.message}`);
    const id = submitted.state.request.requestId;
    await ctx.notices.wait(id, 'approval-needed', 60_000);
    const decided = await ctx.stack.access.decide(id, LEAD, 'approve');
    if (!decided.ok) throw new Error(`${decided.code} ${decided.message}`);
    await ctx.notices.wait(id, 'granted', 60_000);
    const ended = await ctx.stack.access.end(id, person, 'warm-up done');
    if (!ended.ok || ended.state.status !== 'revoked') throw new Error(`warm-up lease ${id} did not end revoked`);
  });
  if (outcome.errors.length) throw new Error(`warm-up failed: ${describeErrors(outcome.errors).join('; ')}`);
}

/** The AWS SDK warns at length that it will want Node 22 from 2027; one line in the output says enough. */
function quietNodeVersionWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning'))
      console.warn(`${warning.name}: ${warning.message}`);
  });
}

async function main(): Promise<number> {
  quietNodeVersionWarning();
  const { selected, file } = selectedScenarios(process.argv.slice(2));
  const config = trimmedConfig(readConfig(), selected);
  const controller = new AbortController();
  const runStarted = now();
  const servers: RunningServer[] = [];
  const reports: ScenarioReport[] = [];
  const result: Record<string, unknown> = { startedAt: new Date().toISOString(), scenarios: selected, config, reports };
  let stack: Stack | undefined;
  let stopWorker: (() => Promise<void>) | undefined;
  let serversStarting: Promise<[PromiseSettledResult<RunningServer>, PromiseSettledResult<RunningServer>]> | undefined;
  let exitCode = 0;

  // Hard limit: abort the scenarios, tear down; if teardown itself hangs, kill the servers and leave.
  const hardTimer = setTimeout(
    () => controller.abort(`hard timeout of ${config.timeoutSeconds} s reached`),
    config.timeoutSeconds * 1000,
  );
  const killTimer = setTimeout(
    () => {
      log('teardown did not finish in time: killing the servers');
      for (const server of servers) server.process.kill('SIGKILL');
      process.exit(3);
    },
    (config.timeoutSeconds + 90) * 1000,
  );
  killTimer.unref();
  const onSignal = (signal: NodeJS.Signals): void => controller.abort(`stopped by ${signal}`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new Aborted(String(controller.signal.reason))), {
      once: true,
    });
  });
  aborted.catch(() => undefined);

  const runFindingsScan = async (): Promise<void> => {
    log('findings-scan: running');
    const report = await findingsScanScenario({ file, signal: controller.signal, log });
    reports.push(report);
    log(`findings-scan: done in ${report.seconds.toFixed(1)} s`);
  };

  // PostgreSQL only: a fresh database of its own, with or without the rest of the stack
  const runReport = async (): Promise<void> => {
    process.env.LEAST_TEST_DATABASE_ADMIN_URL ||= DEFAULT_ADMIN_URL;
    await checkPostgres(process.env.LEAST_TEST_DATABASE_ADMIN_URL);
    log('report: running');
    const report = await reportScenario({ signal: controller.signal, log });
    reports.push(report);
    log(`report: done in ${report.seconds.toFixed(1)} s`);
  };

  // PostgreSQL only, like the report: a fresh database of its own
  const runAnomalyScan = async (): Promise<void> => {
    process.env.LEAST_TEST_DATABASE_ADMIN_URL ||= DEFAULT_ADMIN_URL;
    await checkPostgres(process.env.LEAST_TEST_DATABASE_ADMIN_URL);
    log('anomaly-scan: running');
    const report = await anomalyScanScenario({ signal: controller.signal, log });
    reports.push(report);
    log(`anomaly-scan: done in ${report.seconds.toFixed(1)} s`);
  };

  const body = async (): Promise<void> => {
    if (selected.every((name) => STANDALONE.includes(name))) {
      result.machine = {
        nproc: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? '?',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      };
      log(`machine: ${JSON.stringify(result.machine)}`);
      if (selected.includes('findings-scan')) await runFindingsScan();
      if (selected.includes('report')) await runReport();
      if (selected.includes('anomaly-scan')) await runAnomalyScan();
      return;
    }
    process.env.LEAST_TEST_DATABASE_ADMIN_URL ||= DEFAULT_ADMIN_URL;
    const adminUrl = process.env.LEAST_TEST_DATABASE_ADMIN_URL;
    await checkPostgres(adminUrl);
    result.machine = await machineFacts(adminUrl);
    log(`machine: ${JSON.stringify(result.machine)}`);
    log(`scenarios: ${selected.join(', ')}; starting Temporal dev server and moto on 127.0.0.1`);
    const timeSkipping = requireBinary('temporal-test-server', 'LEAST_TEMPORAL_TEST_SERVER');
    // registered as soon as each is up, so an abort during start-up still stops it
    const keep = (server: RunningServer): RunningServer => (servers.push(server), server);
    serversStarting = Promise.allSettled([startTemporalDevServer().then(keep), startMoto().then(keep)]);
    const [temporal, moto] = await serversStarting;
    if (temporal.status === 'rejected') throw temporal.reason;
    if (moto.status === 'rejected') throw moto.reason;
    process.env.LEAST_TEST_TEMPORAL_ADDRESS = temporal.value.url;
    process.env.LEAST_TEST_MOTO_URL = moto.value.url;
    process.env.LEAST_TEST_TIME_SKIPPING_SERVER = timeSkipping;

    const people = [...inlineRequesters(config), ...(selected.includes('worker-cost') ? workerCostRequesters() : [])];
    stack = await startStack('dev', { policy: withBenchPrincipals(people) });
    const notices = new NoticeBoard(stack.messages);
    const worker = await stack.startWorker();
    stopWorker = worker.stop;
    const pids = { temporal: temporal.value.process.pid, moto: moto.value.process.pid };
    const ctx: BenchContext = { stack, worker: worker.worker, notices, config, signal: controller.signal, pids, log };
    log(
      `stack up in ${((now() - runStarted) / 1000).toFixed(1)} s (temporal ${temporal.value.url}, moto ${moto.value.url}, db ${new URL(stack.db.url).pathname.slice(1)}, ${people.length} mapped requesters)`,
    );
    if (config.warmup > 0) {
      await warmUp(ctx);
      await settle(ctx);
      log(`warm-up: ${config.warmup} lifecycles done (not measured)`);
    }

    const database = new URL(stack.db.url).pathname.slice(1);
    const run = async (name: string, scenario: () => Promise<ScenarioReport>): Promise<void> => {
      log(`${name}: running`);
      const sampler = new DbSampler(adminUrl, database);
      sampler.start();
      const cpuFrom = cpuSnapshot(pids);
      let report: ScenarioReport;
      try {
        report = await scenario();
      } catch (error) {
        await sampler.stop();
        throw error;
      }
      const db = await sampler.stop();
      report.notes.push(`CPU: ${describeCpu(cpuFrom, cpuSnapshot(pids), os.cpus().length)}.`);
      value(
        report,
        'pg connections: mean active / lock-waiting (max) / idle in tx',
        `${db.meanActive.toFixed(1)} / ${db.meanLockWaiting.toFixed(1)} (${db.maxLockWaiting}) / ${db.meanIdleInTransaction.toFixed(1)} of pool max 5`,
      );
      reports.push(report);
      log(
        `${name}: done in ${report.seconds.toFixed(1)} s${report.errors.length ? ` with errors: ${report.errors.join('; ')}` : ''}`,
      );
      await settle(ctx);
    };
    // memory first: its "before" is then a freshly warmed process, not the high-water mark of earlier scenarios
    if (selected.includes('memory')) await run('memory', () => memoryScenario(ctx));
    if (selected.includes('approve')) {
      for (const entitlement of config.approve.entitlements)
        for (const concurrency of config.approve.concurrencies)
          await run(`approve:${entitlement}@${concurrency}`, () => approveScenario(ctx, entitlement, concurrency));
    }
    if (selected.includes('expiry')) await run('expiry', () => expiryScenario(ctx));
    if (selected.includes('lifecycle')) await run('lifecycle', () => lifecycleScenario(ctx));
    if (selected.includes('worker-cost')) await run('worker-cost', () => workerCostScenario(ctx));
    if (selected.includes('slack')) await run('slack', () => slackScenario(ctx));
    if (selected.includes('teams')) await run('teams', () => teamsScenario(ctx));
    if (selected.includes('cloudtrail')) await run('cloudtrail', () => cloudtrailScenario(ctx));
    if (selected.includes('inventory-load')) await run('inventory-load', () => inventoryLoadScenario(ctx));
    if (selected.includes('findings-pci')) await run('findings-pci', () => findingsPciScenario(ctx));
    if (selected.includes('collect-aws')) await run('collect-aws', () => collectAwsScenario(ctx, pids));
    if (selected.includes('cleanup')) await run('cleanup', () => cleanupScenario(ctx));
    if (selected.includes('digest')) await run('digest', () => digestScenario(ctx));
    if (selected.includes('alerts')) await run('alerts', () => alertsScenario(ctx));
    if (selected.includes('chaos')) await run('chaos', () => chaosScenario(ctx));
    if (selected.includes('findings-scan')) await runFindingsScan();
    if (selected.includes('report')) await runReport();
    if (selected.includes('anomaly-scan')) await runAnomalyScan();
  };

  try {
    await Promise.race([body(), aborted]);
  } catch (error) {
    exitCode = 1;
    const message = error instanceof Error ? error.message : String(error);
    result.incomplete = message;
    log(`benchmark stopped early: ${message}`);
    if (!(error instanceof Aborted) && error instanceof Error && error.stack) console.error(error.stack);
  }
  clearTimeout(hardTimer);
  if (!controller.signal.aborted) controller.abort('finished');

  result.totalSeconds = Math.round((now() - runStarted) / 100) / 10;
  const order = (report: ScenarioReport): number => SCENARIOS.indexOf(report.scenario.split(':')[0] as ScenarioName);
  const text = renderReports([...reports].sort((a, b) => order(a) - order(b)));
  process.stdout.write(`\n${'='.repeat(30)} Least benchmark ${'='.repeat(30)}\n`);
  process.stdout.write(`machine: ${JSON.stringify(result.machine ?? {})}\n`);
  process.stdout.write(
    `total: ${String(result.totalSeconds)} s${result.incomplete ? ` — INCOMPLETE: ${String(result.incomplete)}` : ''}\n\n`,
  );
  process.stdout.write(`${text}\n`);
  try {
    mkdirSync(path.dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`figures written to ${path.relative(process.cwd(), RESULTS)}\n`);
  } catch (error) {
    log(`could not write ${RESULTS}: ${String(error)}`);
  }

  // Teardown, every step bounded: worker, stack (connections, AWS agents, database), then the servers.
  const step = async (what: string, work: () => Promise<void>, ms: number): Promise<void> => {
    try {
      await withTimeout(work(), ms, what);
    } catch (error) {
      log(`teardown: ${String(error instanceof Error ? error.message : error)}`);
      exitCode ||= 1;
    }
  };
  if (stopWorker) await step('worker shutdown', stopWorker, 30_000);
  const built = stack;
  if (built) await step('stack close', () => built.close(), 30_000);
  const starting = serversStarting;
  if (starting) await step('server start-up', async () => void (await starting), 100_000);
  await step('server stop', async () => void (await Promise.all(servers.map((server) => server.stop()))), 20_000);
  log('servers stopped');
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
