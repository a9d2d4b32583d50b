/**
 * The main job: `npm start` runs worker and bot in one process on an embedded default (a Temporal
 * dev server started here when TEMPORAL_ADDRESS is unset, PostgreSQL from DATABASE_URL, and the AWS
 * sandbox while the shipped example policy is in use). `tsx app/main.ts worker` or `… bot` runs one
 * role, as the docker-compose deployment does. Every line it writes is one JSON object.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { loadConfig, redact, type Config } from './config';
import { createLog, temporalLogger, type Log } from './logging';
import { startTemporalDevServer } from './embedded/temporal';
import { ensureTools } from './embedded/binaries';
import { ensureDatabase } from './database';
import { buildActivities, connectCore, EMBEDDED_TEMPORAL_ADDRESS, temporalUi } from './runtime';
import { temporalConnectionOptions } from './temporal-connection';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics';
import type { Tracing } from './tracing';
import { onExamplePolicy, withPolicyFallback } from './policy-fallback';
import { loadPolicyFile } from './policy-file';
import { sandboxWanted, startSandbox } from './sandbox';
import { createWorker } from './worker';
import {
  ensureCleanupSchedules,
  ensureCollectSchedules,
  ensureDigestSchedules,
  ensureReconcileSchedule,
} from './schedules';
import { startBotServer } from './bot-server';
import { botReadiness } from './readiness';
import { reportDesk } from './report-desk';
import { fileLinkSigner } from './file-links';
import { FILES_PATH } from '../bot/file-links';
import { sharedFileListener } from '../bot/file-route';
import type { SlackFrontEnd } from '../bot/slack/app';
import { SLACK_EVENTS_PATH, TEAMS_MESSAGES_PATH } from '../bot/chat-routes';
import type { RequestListener } from 'node:http';

type Role = 'worker' | 'bot';
type Stop = () => Promise<void>;

async function main(log: Log, config: Config, stops: Stop[]): Promise<void> {
  const arg = process.argv[2];
  if (arg && arg !== 'worker' && arg !== 'bot')
    throw new Error(`unknown role "${arg}": use worker, bot, or nothing for both`);
  const roles: Role[] = arg === 'worker' || arg === 'bot' ? [arg] : ['worker', 'bot'];

  // The SDK logs through ours (native core included), and leaves signals to the shutdown below. Its own
  // metrics (task latencies, schedule-to-start, sticky cache) are served by its core when asked for.
  Runtime.install({
    logger: temporalLogger(log),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(config.temporalMetricsAddress
        ? { metrics: { prometheus: { bindAddress: config.temporalMetricsAddress } } }
        : {}),
    },
  });
  if (config.temporalMetricsAddress)
    log.info('Temporal SDK metrics served', { metrics: `http://${config.temporalMetricsAddress}/metrics` });

  // Tracing only when an OTLP endpoint is configured; the modules are not even loaded otherwise.
  const tracing: Partial<Record<Role, Tracing>> = {};
  if (config.tracesEndpoint) {
    const { startTracing } = await import('./tracing');
    for (const role of roles) {
      const traced = startTracing({ tracesUrl: config.tracesEndpoint, service: `least-${role}` });
      tracing[role] = traced;
      stops.push(() => traced.shutdown());
    }
    log.info('tracing on', { traces: redact(config.tracesEndpoint), services: roles.map((role) => `least-${role}`) });
  }

  const sandboxOn = roles.includes('worker') && sandboxWanted(config.sandbox, onExamplePolicy(config));
  // One install for everything missing, before anything starts.
  ensureTools(
    [...(config.temporalAddress ? [] : ['temporal' as const]), ...(sandboxOn ? ['moto_server' as const] : [])],
    (line) => log.info(line),
  );

  if (!config.temporalAddress) {
    mkdirSync(config.dataDir, { recursive: true });
    const [host, port] = EMBEDDED_TEMPORAL_ADDRESS.split(':');
    const server = await startTemporalDevServer({
      port: Number(port),
      uiPort: config.temporalUiPort,
      dbFile: path.join(config.dataDir, 'temporal.db'),
    });
    stops.push(() => server.stop());
    log.info('embedded Temporal dev server started', {
      address: server.url,
      ui: `http://${host}:${config.temporalUiPort}`,
    });
  }

  let policy = loadPolicyFile(config.policyFile);
  if (sandboxOn) {
    const sandbox = await startSandbox(policy, (line) => log.info(line));
    stops.push(() => sandbox.stop());
    policy = sandbox.policy;
    log.warn(
      `SANDBOX: AWS calls go to an emulator at ${sandbox.url}, nothing real is granted. ` +
        'A policy of your own (config/policy.yaml or LEAST_POLICY_FILE) turns the sandbox off; LEAST_SANDBOX=true keeps it on.',
      { sandbox: sandbox.url, systems: policy.authorizationSystems.filter((s) => s.cloud === 'aws').map((s) => s.id) },
    );
  }

  await ensureDatabase(config.databaseUrl);
  // The bot's calls start the traces when it runs here; a worker alone traces its schedule calls.
  const clientTracing = tracing.bot ?? tracing.worker;
  const core = await connectCore(config, {
    policy,
    ...(clientTracing ? { interceptors: clientTracing.clientInterceptors } : {}),
  });
  stops.unshift(() => core.close());
  const applied = await core.store.migrate();
  log.info('database ready', { database: redact(config.databaseUrl), migrationsApplied: applied });

  let workerMetrics: WorkerMetrics | undefined;
  if (roles.includes('worker')) {
    // With the bot in this process, its /metrics page shows these too, and it collects the process metrics.
    workerMetrics = createWorkerMetrics({ processMetrics: !roles.includes('bot') });
    const ui = temporalUi(config);
    const built = buildActivities(core, {}, { metrics: workerMetrics, ...(ui ? { temporalUi: ui } : {}) });
    const workerTracing = tracing.worker;
    const { worker, connection } = await createWorker({
      ...temporalConnectionOptions(config),
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      activities: built.activities,
      // A sleeping lease needs no cached workflow: the cache is sized, not left to grow with the leases.
      maxCachedWorkflows: config.maxCachedWorkflows,
      // built ahead (the image does), unless tracing's interceptors must be bundled in
      ...(config.workflowBundle && !workerTracing ? { workflowBundle: { codePath: config.workflowBundle } } : {}),
      // webpack's module listing is an info line; keep the bundler to warnings and errors
      bundlerLogger: temporalLogger(log, 'warn'),
      ...(workerTracing
        ? { tracing: { interceptors: workerTracing.workerInterceptors, sinks: workerTracing.sinks } }
        : {}),
    });
    await ensureReconcileSchedule(core.temporal, config.taskQueue);
    await ensureCollectSchedules(core.temporal, config.taskQueue, core.policy);
    await ensureCleanupSchedules(core.temporal, config.taskQueue, core.policy);
    await ensureDigestSchedules(core.temporal, config.taskQueue, core.policy);
    const running = worker.run();
    stops.unshift(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
      await built.close();
    });
    log.info('worker running', {
      taskQueue: config.taskQueue,
      policy: config.policyFile,
      maxCachedWorkflows: config.maxCachedWorkflows,
      workflowBundle: config.workflowBundle && !workerTracing ? 'prebuilt' : 'bundled at start',
      // Whether, never with what: the API key and the key file's bytes are not logged.
      temporalTls: config.temporalAccess.tls,
      temporalAuth: config.temporalAccess.apiKey ? 'api key' : config.temporalAccess.clientCert ? 'mTLS' : 'none',
    });
    if (!roles.includes('bot') && config.workerMetricsPort !== undefined) {
      const page = workerMetrics;
      const readiness = botReadiness({ databaseUrl: config.databaseUrl, temporal: core.temporal });
      stops.unshift(() => readiness.close());
      const server = await startBotServer({
        port: config.workerMetricsPort,
        host: config.botHost,
        routes: {},
        readiness: readiness.check,
        metrics: { observe: () => undefined, render: () => page.render() },
      });
      stops.unshift(() => server.close());
      log.info('worker metrics listening', {
        metrics: `${server.url}/metrics`,
        health: `${server.url}/healthz`,
        ready: `${server.url}/readyz`,
      });
    }
  }

  if (roles.includes('bot')) {
    // The chat metrics load with the bot only, and each chat front end (Bolt, the Agents SDK) only when its
    // platform is configured: a worker never loads them, a Slack-only bot not Teams' (issue 15).
    const { createBotMetrics } = await import('./metrics');
    // `report …` in chat; links (Teams channels, large digest pictures) only when configured.
    const reports = reportDesk({
      store: core.store,
      policy: () => core.policy,
      ...(config.links ? { links: config.links } : {}),
      ...(core.slack ? { externalGroups: () => core.slack!.directory.externalGroups() } : {}),
    });
    let slack: SlackFrontEnd | undefined;
    if (config.slack && core.slack) {
      const { createSlackFrontEnd } = await import('../bot/slack/app');
      slack = createSlackFrontEnd({
        ...config.slack,
        access: core.access,
        findings: core.findings,
        cleanup: core.cleanup,
        alerts: core.alerts,
        cleanupRuns: core.store.cleanup,
        reports,
        policy: () => core.policy,
        client: core.slack.client,
        directory: core.slack.directory,
        logLevel: config.logLevel,
      });
      await slack.start();
      const running = slack;
      stops.unshift(() => running.stop());
    }
    const routes: Record<string, RequestListener> = {};
    if (slack?.requestListener) routes[SLACK_EVENTS_PATH] = slack.requestListener;
    if (config.teams) {
      const { createTeamsFrontEnd } = await import('../bot/teams/app');
      const teams = createTeamsFrontEnd({
        ...config.teams,
        access: core.access,
        findings: core.findings,
        cleanup: core.cleanup,
        alerts: core.alerts,
        cleanupRuns: core.store.cleanup,
        requesterFindings: core.requesterFindings,
        reports,
        policy: () => core.policy,
        conversations: core.store,
      });
      routes[TEAMS_MESSAGES_PATH] = teams.requestListener;
      stops.unshift(() => teams.stop());
      if (teams.anonymous) {
        log.warn(
          `TEAMS LOCAL MODE: ${TEAMS_MESSAGES_PATH} accepts unauthenticated requests from this machine. For development only; set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for a real tenant.`,
        );
      }
    }
    const prefixes: Record<string, RequestListener> = {};
    if (config.links)
      prefixes[FILES_PATH] = sharedFileListener({
        files: core.store.sharedFiles,
        signer: fileLinkSigner(config.links),
        log: (level, msg, extra = {}) => log[level](msg, extra),
      });
    const readiness = botReadiness({
      databaseUrl: config.databaseUrl,
      temporal: core.temporal,
      onChange: (dependency, state, error) =>
        state === 'ok'
          ? log.info('readiness check ok', { dependency })
          : log.warn('readiness check failing', { dependency, state, ...(error ? { error } : {}) }),
    });
    stops.unshift(() => readiness.close());
    const server = await startBotServer({
      port: config.botPort,
      host: config.botHost,
      routes,
      prefixes,
      readiness: readiness.check,
      metrics: createBotMetrics({ also: workerMetrics ? [workerMetrics.registry] : [] }),
    });
    stops.unshift(() => server.close());
    const slackState = !config.slack
      ? 'Slack off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)'
      : config.slack.appToken
        ? 'Slack over Socket Mode'
        : `Slack at ${SLACK_EVENTS_PATH}`;
    const teamsState = !config.teams
      ? 'Teams off (set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD)'
      : config.teams.localMode
        ? `Teams LOCAL MODE at ${TEAMS_MESSAGES_PATH}`
        : `Teams at ${TEAMS_MESSAGES_PATH}`;
    log.info('bot listening', {
      url: server.url,
      health: `${server.url}/healthz`,
      ready: `${server.url}/readyz`,
      metrics: `${server.url}/metrics`,
      chat: [slackState, teamsState],
      // The public URL only: the link secret is never logged.
      links: config.links ? `${config.links.publicUrl}${FILES_PATH}` : 'off (set BOT_PUBLIC_URL and LEAST_LINK_SECRET)',
    });
  }
}

/**
 * One orderly stop, whichever signal comes first and however many follow: Docker and systemd signal
 * the whole process group, and tsx forwards the same signal again. Later signals are noted, not obeyed.
 */
function stopOnSignals(log: Log, stops: Stop[]): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.debug('already shutting down', { signal });
      return;
    }
    stopping = true;
    log.info('shutting down', { signal });
    void (async () => {
      let failed = false;
      for (const stop of stops) {
        await stop().catch((error: unknown) => {
          failed = true;
          log.error('stopping failed', { error: error instanceof Error ? error.message : String(error) });
        });
      }
      log.info('stopped');
      process.exit(failed ? 1 : 0);
    })();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => shutdown(signal));
}

function run(): void {
  let log = createLog('info');
  const stops: Stop[] = [];
  let config: Config;
  try {
    config = loadConfig();
    log = createLog(config.logLevel);
    config = withPolicyFallback(config, (msg) => log.warn(msg));
  } catch (error) {
    log.error('start-up failed', { error: (error as Error).message });
    process.exit(1);
  }
  stopOnSignals(log, stops);
  main(log, config, stops).catch(async (error: Error) => {
    log.error('start-up failed', { error: error.message });
    for (const stop of stops) await stop().catch(() => undefined);
    process.exit(1);
  });
}

run();
