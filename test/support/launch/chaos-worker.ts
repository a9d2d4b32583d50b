/**
 * The worker of a fault drill, in a process of its own so the drill can SIGKILL it (the Temporal SDK
 * allows one worker per task queue in a process, and a kill must take the whole process down, as an
 * OOM kill or a lost node would). Wired as the production worker: app/runtime.ts `buildActivities` over
 * the drill's database and policy, app/worker.ts `createWorker`; only the notifier (a log on stderr,
 * nobody reads it) and the emulator's polling pace differ. Run with tsx; settings from the environment;
 * prints `ready` once polling and runs until killed.
 */
import { readFileSync } from 'node:fs';
import { PgStore } from '../../../activities/store/pg-store';
import { LogNotifier } from '../../../activities/chat/log-notifier';
import { LogCleanupNotifier } from '../../../activities/chat/log-cleanup-notifier';
import type { Policy } from '../../../domain/policy/schema';
import { buildActivities } from '../../../app/runtime';
import { createWorker } from '../../../app/worker';
import { Runtime, DefaultLogger } from '@temporalio/worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const policy = JSON.parse(required('LEAST_TEST_POLICY_JSON')) as Policy;
  // bundled once by the drill: a restart must not spend seconds in webpack before it polls again
  const code = readFileSync(required('LEAST_CHAOS_BUNDLE_PATH'), 'utf8');
  const store = PgStore.connect(required('DATABASE_URL'));
  const built = buildActivities(
    { store, policy, slack: undefined, teams: undefined },
    {
      aws: { polling: { firstDelayMs: 20, maxDelayMs: 200 } },
      notifiers: [new LogNotifier(() => undefined)],
      cleanupNotifiers: [new LogCleanupNotifier(() => undefined)],
      alertPosters: [],
      digestPosters: [],
    },
  );
  const maxCached = process.env.LEAST_CHAOS_MAX_CACHED;
  const { worker } = await createWorker({
    address: required('TEMPORAL_ADDRESS'),
    namespace: 'default',
    taskQueue: required('TEMPORAL_TASK_QUEUE'),
    activities: built.activities,
    workflowBundle: { code },
    ...(maxCached ? { maxCachedWorkflows: Number(maxCached) } : {}),
  });
  const running = worker.run();
  console.log('ready');
  await running;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
