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
import { createTeamsFrontEnd, TEAMS_MESSAGES_PATH } from '../bot/teams/app';
import type { RequestListener } from 'node:http';

type Role = 'worker' | 'bot';

function log(msg: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level: 'info', msg, ...extra }));
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg && arg !== 'worker' && arg !== 'bot')
    throw new Error(`unknown role "${arg}": use worker, bot, or nothing for both`);
  const roles: Role[] = arg === 'worker' || arg === 'bot' ? [arg] : ['worker', 'bot'];
  const config = withPolicyFallback(loadConfig());
  const stops: (() => Promise<void>)[] = [];

  if (!config.temporalAddress) {
    if (!findBinary('temporal', 'LEAST_TEMPORAL_CLI'))
      throw new Error(`No TEMPORAL_ADDRESS and no temporal CLI to start one. ${INSTALL_HINT}`);
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
      await built.close();
    });
    log('worker running', { taskQueue: config.taskQueue, policy: config.policyFile });
  }

  if (roles.includes('bot')) {
    let slack: SlackFrontEnd | undefined;
    if (config.slack && core.slack) {
      slack = createSlackFrontEnd({
        ...config.slack,
        access: core.access,
        policy: () => core.policy,
        client: core.slack.client,
        directory: core.slack.directory,
      });
      await slack.start();
      const running = slack;
      stops.unshift(() => running.stop());
    }
    const routes: Record<string, RequestListener> = {};
    if (slack?.requestListener) routes[SLACK_EVENTS_PATH] = slack.requestListener;
    if (config.teams) {
      const teams = createTeamsFrontEnd({
        ...config.teams,
        access: core.access,
        policy: () => core.policy,
        conversations: core.store,
      });
      routes[TEAMS_MESSAGES_PATH] = teams.requestListener;
      if (teams.anonymous) {
        console.warn(
          JSON.stringify({
            level: 'warn',
            msg: `TEAMS LOCAL MODE: ${TEAMS_MESSAGES_PATH} accepts unauthenticated requests from this machine. For development only; set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD for a real tenant.`,
          }),
        );
      }
    }
    const server = await startBotServer({ port: config.botPort, host: '0.0.0.0', routes });
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
    log('bot listening', { port: config.botPort, chat: [slackState, teamsState] });
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
