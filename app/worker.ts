import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type InjectedSinks,
  type WorkerInterceptors,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { LeastActivities } from '../activities';
import type { TemporalConnectionOptions } from './temporal-connection';

export interface WorkerOptions extends TemporalConnectionOptions {
  namespace: string;
  taskQueue: string;
  activities: LeastActivities;
  /** Cap on concurrently running activities; workflows are cached up to `maxCachedWorkflows`. */
  maxConcurrentActivityTaskExecutions?: number;
  maxCachedWorkflows?: number;
  /** A bundle built before (tests share one); otherwise the workflows are bundled here. */
  workflowBundle?: WorkflowBundleOption;
  /**
   * Where the bundler writes. Webpack's module listing is an info line of many lines; the main job
   * passes a logger that keeps warnings and errors only, so its output stays JSON lines.
   */
  bundlerLogger?: Logger;
  /**
   * Tracing (app/tracing.ts), when on: activity interceptors, the workflow interceptor modules (bundled
   * in only then, so a worker without tracing runs exactly the workflow code it always did) and the
   * sink workflow spans leave through.
   */
  tracing?: { interceptors: WorkerInterceptors; sinks: InjectedSinks<OpenTelemetrySinks> };
}

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** A worker for all of Least's workflows and activities on one task queue. */
export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const workflowInterceptorModules = options.tracing?.interceptors.workflowModules ?? [];
  const workflowBundle =
    options.workflowBundle ??
    (options.bundlerLogger
      ? await bundleWorkflowCode({
          workflowsPath: WORKFLOWS_PATH,
          logger: options.bundlerLogger,
          ...(workflowInterceptorModules.length > 0 ? { workflowInterceptorModules } : {}),
        })
      : undefined);
  const connection = await NativeConnection.connect({
    address: options.address,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: options.activities,
    // Let in-flight grants and revocations finish on shutdown rather than be cut and retried.
    shutdownGraceTime: '30 seconds',
    // A worker that dies leaves the tasks queued for it (a lease's expiry timer among them) on its own
    // sticky queue until this passes; then any worker takes them from the shared queue. The SDK's 10 s
    // would hold a revocation that long after a replacement is up; a busy worker losing a task to
    // another costs that one a replay of a few dozen events.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    ...(options.maxConcurrentActivityTaskExecutions
      ? { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    ...(options.tracing ? { interceptors: options.tracing.interceptors, sinks: options.tracing.sinks } : {}),
  });
  return { worker, connection };
}
