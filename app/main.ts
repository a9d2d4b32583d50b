/**
 * The main job: `npm start` runs worker and bot in one process on an embedded default (a Temporal
 * dev server started here when TEMPORAL_ADDRESS is unset, PostgreSQL from DATABASE_URL).
 * `tsx app/main.ts worker` or `… bot` runs one role, as the docker-compose deployment does.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, redact } from './config';
import { startTemporalDevServer } from './embedded/temporal';
import { findBinary, INSTALL_HINT } from './embedded/binaries';
import { ensureDatabase } from './database';
import { buildActivities, connectCore, EMBEDDED_TEMPORAL_ADDRESS, withPolicyFallback } from './runtime';
import { createWorker } from './worker';
import { ensureReconcileSchedule } from './schedules';
import { startBotServer } from './bot-server';
import { createSlackFrontEnd, SLACK_EVENTS_PATH, type SlackFrontEnd } from '../bot/slack/app';

type Role = 'worker' | 'bot';

function log(msg: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level: 'info', msg, ...extra }));
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg && arg !== 'worker' && arg !== 'bot') throw new Error(`unknown role "${arg}": use worker, bot, or nothing for both`);
  const roles: Role[] = arg === 'worker' || arg === 'bot' ? [arg] : ['worker', 'bot'];
  const config = withPolicyFallback(loadConfig());
  const stops: (() => Promise<void>)[] = [];

  if (!config.temporalAddress) {
    if (!findBinary('temporal', 'LEAST_TEMPORAL_CLI')) throw new Error(`No TEMPORAL_ADDRESS and no temporal CLI to start one. ${INSTALL_HINT}`);
    mkdirSync(config.dataDir, { recursive: true });
    const [host, port] = EMBEDDED_TEMPORAL_ADDRESS.split(':');
    const server = await startTemporalDevServer({
      port: Number(port),
      uiPort: config.temporalUiPort,
      dbFile: path.join(config.dataDir, 'temporal.db'),
    });
    stops.push(() => server.stop());
    log('embedded Temporal dev server started', { address: server.url, ui: `http://${host}:${config.temporalUiPort}` });
  }

  await ensureDatabase(config.databaseUrl);
  const core = await connectCore(config);
  stops.unshift(() => core.close());
  const applied = await core.store.migrate();
  log('database ready', { database: redact(config.databaseUrl), migrationsApplied: applied });

  if (roles.includes('worker')) {
    const built = buildActivities(core);
    const { worker, connection } = await createWorker({
      address: config.temporalAddress ?? EMBEDDED_TEMPORAL_ADDRESS,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      activities: built.activities,
    });
    await ensureReconcileSchedule(core.temporal, config.taskQueue);
    const running = worker.run();
    stops.unshift(async () => {
      worker.shutdown();
      await running;
      await connection.close();
      built.close();
    });
    log('worker running', { taskQueue: config.taskQueue, policy: config.policyFile });
  }

  if (roles.includes('bot')) {
    let slack: SlackFrontEnd | undefined;
    if (config.slack && core.slack) {
      slack = createSlackFrontEnd({ ...config.slack, access: core.access, policy: () => core.policy, client: core.slack.client, directory: core.slack.directory });
      await slack.start();
      const running = slack;
      stops.unshift(() => running.stop());
    }
    const server = await startBotServer({
      port: config.botPort,
      host: '0.0.0.0',
      routes: slack?.requestListener ? { [SLACK_EVENTS_PATH]: slack.requestListener } : {},
    });
    stops.unshift(() => server.close());
    const chat = !config.slack ? 'Slack off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)' : config.slack.appToken ? 'Slack over Socket Mode' : `Slack at ${SLACK_EVENTS_PATH}`;
    log('bot listening', { port: config.botPort, chat });
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('shutting down', { signal });
    void (async () => {
      for (const stop of stops) await stop().catch((error: unknown) => console.error(String(error)));
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(JSON.stringify({ level: 'error', msg: 'start-up failed', error: error.message }));
  process.exit(1);
});
