/**
 * A second worker in a process of its own, wired as the digest stack's worker (test/support/stacks/
 * digest-stack.ts): the Temporal SDK allows one worker per task queue in a process, and "several
 * workers agree" is about several processes. Run with tsx; reads its settings from the environment
 * and runs until it is killed. Prints `ready` once polling.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { PgStore } from '../../../activities/store/pg-store';
import type { Policy } from '../../../domain/policy/schema';
import { digestStackActivities } from '../stacks/digest-stack';
import { workflowBundle } from '../stacks/stack';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  // the runtime is installed (quiet logs) before any connection exists
  const bundle = workflowBundle();
  const policy = JSON.parse(required('LEAST_TEST_POLICY_JSON')) as Policy;
  const store = PgStore.connect(required('DATABASE_URL'));
  const built = digestStackActivities(store, policy, required('LEAST_TEST_SLACK_API_URL'));
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    taskQueue: required('TEMPORAL_TASK_QUEUE'),
    workflowBundle: await bundle,
    activities: built.activities,
  });
  const running = worker.run();
  console.log('ready');
  await running;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
