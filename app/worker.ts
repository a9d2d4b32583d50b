import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import type { LeastActivities } from '../activities';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: LeastActivities;
  /** Cap on concurrently running activities; workflows are cached up to `maxCachedWorkflows`. */
  maxConcurrentActivityTaskExecutions?: number;
  maxCachedWorkflows?: number;
  /** A bundle built before (tests share one); otherwise the workflows are bundled here. */
  workflowBundle?: WorkflowBundle;
  /**
   * Where the bundler writes. Webpack's module listing is an info line of many lines; the main job
   * passes a logger that keeps warnings and errors only, so its output stays JSON lines.
   */
  bundlerLogger?: Logger;
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** A worker for all of Least's workflows and activities on one task queue. */
export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const workflowBundle =
    options.workflowBundle ??
    (options.bundlerLogger
      ? await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: options.bundlerLogger })
      : undefined);
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
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
