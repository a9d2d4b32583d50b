/**
 * Starts a Least worker in a child process (`worker-child.ts`) so the scale figures are the worker's
 * alone: the bench process keeps the client, the AccessClient and the observers. The child runs on the
 * same Node with the same loader (tsx) and `--expose-gc`, on a task queue of its own; its notices arrive
 * here and are pushed into `messages` (wrap it with a NoticeBoard before starting).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogMessage } from '../../activities/chat/log-notifier';
import { accessClient } from '../../app/runtime';
import type { AccessClient } from '../../bot/access-client';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowBundle, type Stack } from '../../test/support/stacks/stack';
import { withTimeout } from './clock';
import { childReplySchema, type UsageReading, type WorkerChildConfig } from './worker-protocol';

let floorBundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** An AccessClient like the stack's, starting workflows on the child's task queue. */
  access: AccessClient;
  /** The reading the child took once ready (after a forced GC), before any work. */
  ready: UsageReading;
  usage(gc: boolean): Promise<UsageReading>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(
  stack: Stack,
  options: { maxCachedWorkflows: number; messages: LogMessage[]; signal: AbortSignal },
): Promise<WorkerProcess> {
  const taskQueue = `${stack.taskQueue}-child-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-bench-worker-'));
  const bundlePath = path.join(dir, 'workflows.js');
  const floorBundlePath = path.join(dir, 'floor-workflow.js');
  writeFileSync(bundlePath, (await workflowBundle()).code);
  floorBundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../probes/floor-workflow'),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(floorBundlePath, (await floorBundle).code);
  const config: WorkerChildConfig = {
    temporalAddress: process.env.LEAST_TEST_TEMPORAL_ADDRESS ?? '',
    taskQueue,
    databaseUrl: stack.db.url,
    motoUrl: stack.motoUrl,
    account: { ...stack.account },
    // the stack's policy maps every bench requester to the application role; the child maps the same people
    people: Object.keys(stack.policy.principals),
    maxCachedWorkflows: options.maxCachedWorkflows,
    bundlePath,
    floorBundlePath,
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const child: ChildProcess = fork(require.resolve('./worker-child'), [configFile], {
    // BENCH_WORKER_NODE_FLAGS: Node/V8 flags for the worker alone (e.g. `--max-semi-space-size=4`), to measure them
    execArgv: [
      ...process.execArgv.filter((a) => a !== '--expose-gc'),
      '--expose-gc',
      ...(process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: process.env,
  });
  const pending = new Map<number, (reading: UsageReading) => void>();
  let nextId = 0;
  let failure: string | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const ready = new Promise<UsageReading>((resolve, reject) => {
    child.on('message', (raw) => {
      const parsed = childReplySchema.safeParse(raw);
      if (!parsed.success) return;
      const reply = parsed.data;
      if (reply.type === 'notice') options.messages.push(reply.message);
      else if (reply.type === 'ready') resolve(reply.reading);
      else if (reply.type === 'usage') pending.get(reply.id)?.(reply.reading);
      else if (reply.type === 'failed') {
        failure = reply.error;
        reject(new Error(`worker child failed: ${reply.error}`));
      }
    });
    void exit.then(() => reject(new Error(`worker child exited${failure ? `: ${failure}` : ''}`)));
  });
  const kill = (): void => void (exited || child.kill('SIGKILL'));
  options.signal.addEventListener('abort', kill, { once: true });
  let readyReading: UsageReading;
  try {
    readyReading = await withTimeout(ready, 180_000, 'worker child start');
  } catch (error) {
    kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const access = accessClient({
    temporal: stack.env.client,
    taskQueue,
    policy: () => stack.policy,
    store: stack.store,
  });
  return {
    pid: child.pid!,
    taskQueue,
    access,
    ready: readyReading,
    usage(gc) {
      const id = nextId++;
      return withTimeout(
        new Promise<UsageReading>((resolve) => {
          pending.set(id, (reading) => {
            pending.delete(id);
            resolve(reading);
          });
          child.send({ type: 'usage', id, gc });
        }),
        30_000,
        'worker child usage reading',
      );
    },
    async stop() {
      options.signal.removeEventListener('abort', kill);
      if (!exited) {
        child.send({ type: 'stop' });
        await withTimeout(exit, 45_000, 'worker child stop').catch(() => kill());
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The scenario context pointed at a worker child: starts go to its task queue, ends and decisions go
 * through its AccessClient, and notices are the ones it delivers (`notices` over the same `messages`).
 */
export function childContext<C extends { stack: Stack; notices: unknown }>(
  ctx: C,
  child: WorkerProcess,
  notices: C['notices'],
): C {
  return { ...ctx, stack: { ...ctx.stack, taskQueue: child.taskQueue, access: child.access }, notices };
}
