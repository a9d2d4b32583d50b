import { NativeConnection, Worker } from '@temporalio/worker';
import type { LeastActivities } from '../activities';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: LeastActivities;
  /** Cap on concurrently running activities; workflows are cached up to `maxCachedWorkflows`. */
  maxConcurrentActivityTaskExecutions?: number;
  maxCachedWorkflows?: number;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** A worker for all of Least's workflows and activities on one task queue. */
export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: options.activities,
    // Let in-flight grants and revocations finish on shutdown rather than be cut and retried.
    shutdownGraceTime: '30 seconds',
    ...(options.maxConcurrentActivityTaskExecutions
      ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
  return { worker, connection };
}
