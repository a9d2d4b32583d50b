/**
 * A Least worker alone in its own process, started by `worker-process.ts` for the scale figures: the
 * bench's client, observers and in-process worker live in the parent, so this process's CPU and memory
 * are the worker's only (Rust core, workflow thread, activities, their AWS clients and pg pool).
 *
 * Wired like the stack's worker (`buildActivities` of app/runtime.ts, the emulator's polling pace, the
 * log notifier), on a task queue of its own, with `maxCachedWorkflows` set explicitly. Notices go to the
 * parent over IPC (the bench waits on them as people would); the parent asks for usage readings, each
 * optionally after a forced full GC of this process's main isolate. A second worker on `<queue>-floor`
 * hosts the floor probe (one Update running one activity), so the floor is measured in the same process.
 * Both workflow bundles are built by the parent and loaded from files (as a production deployment would
 * ship a pre-built bundle), so webpack's memory is not in this process's figures.
 */
import { readFileSync } from 'node:fs';
import type { Worker as ThreadWorker } from 'node:worker_threads';
import pg from 'pg';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { LogNotifier } from '../../activities/chat/log-notifier';
import { LogCleanupNotifier } from '../../activities/chat/log-cleanup-notifier';
import { PgStore } from '../../activities/store/pg-store';
import { buildActivities } from '../../app/runtime';
import { stackPolicy } from '../../test/support/stacks/stack';
import { useDummyAwsCredentials, type AwsAccount } from '../../test/support/fakes/aws-fixtures';
import type { FloorActivities } from '../probes/floor-workflow';
import { collectGarbage, withBenchPrincipals } from './context';
import { threadCpuMs } from './worker-threads';
import { childRequestSchema, workerChildConfigSchema, type ChildReply, type UsageReading } from './worker-protocol';

function send(message: ChildReply): void {
  process.send?.(message);
}

/** Kernel's view of this process: resident anonymous memory (heaps, malloc) against mapped files (code, libraries). */
function smaps(): Record<string, number> {
  try {
    const kib: Record<string, number> = {};
    for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+) kB/.exec(line);
      if (m) kib[m[1]!] = Number(m[2]);
    }
    return { rss: kib.Rss ?? 0, anonymous: kib.Anonymous ?? 0, file: (kib.Rss ?? 0) - (kib.Anonymous ?? 0) };
  } catch {
    return {};
  }
}

/**
 * The V8 heaps of a Worker's workflow threads. The SDK keeps its worker_threads Workers behind
 * `workflowCreator.workerThreadClients` (not a public API: read defensively, for the bench only).
 */
async function workflowThreadHeaps(worker: Worker): Promise<{ total: number; used: number; malloced: number }[]> {
  const creator = (
    worker as unknown as { workflowCreator?: { workerThreadClients?: { workerThread?: ThreadWorker }[] } }
  ).workflowCreator;
  const threads = (creator?.workerThreadClients ?? []).flatMap((c) => (c.workerThread ? [c.workerThread] : []));
  const stats = await Promise.all(threads.map((t) => t.getHeapStatistics().catch(() => undefined)));
  return stats.flatMap((h) =>
    h ? [{ total: h.total_physical_size, used: h.used_heap_size, malloced: h.malloced_memory }] : [],
  );
}

async function main(): Promise<void> {
  const configFile = process.argv[2];
  if (!configFile) throw new Error('usage: worker-child <config.json>');
  const config = workerChildConfigSchema.parse(JSON.parse(readFileSync(configFile, 'utf8')));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  useDummyAwsCredentials();

  const policy = stackPolicy(
    config.account as unknown as AwsAccount,
    config.motoUrl,
    withBenchPrincipals(config.people),
  );
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 5 });
  pool.on('error', () => undefined);
  const store = new PgStore(pool);
  const built = buildActivities(
    { store, policy, slack: undefined, teams: undefined },
    {
      aws: { polling: { firstDelayMs: 20, maxDelayMs: 200 } },
      notifiers: [new LogNotifier((message) => send({ type: 'notice', message }))],
      cleanupNotifiers: [new LogCleanupNotifier(() => undefined)],
      alertPosters: [],
    },
  );
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue: config.taskQueue,
    workflowBundle: { codePath: config.bundlePath },
    activities: built.activities,
    maxCachedWorkflows: config.maxCachedWorkflows,
  });
  const floorActivities: FloorActivities = { doNothing: async () => undefined };
  const floorWorker = await Worker.create({
    connection,
    taskQueue: `${config.taskQueue}-floor`,
    workflowBundle: { codePath: config.floorBundlePath },
    activities: floorActivities,
    maxCachedWorkflows: 100,
  });
  const running = Promise.all([worker.run(), floorWorker.run()]);

  const reading = (gcForced: boolean): UsageReading => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const status = worker.getStatus();
    return {
      cpuMs: (cpu.user + cpu.system) / 1000,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external + memory.arrayBuffers,
      maxRss: process.resourceUsage().maxRSS * 1024,
      cachedWorkflows: status.numCachedWorkflows,
      inFlightActivities: status.numInFlightActivities,
      inFlightActivations: status.numInFlightWorkflowActivations,
      gcForced,
      threads: threadCpuMs(),
    };
  };

  /**
   * Where the resident memory is, as a JSON line on stderr (the UsageReading stays as the parent parses
   * it): the kernel's anonymous/file split, the main isolate, each workflow thread's isolate, and the rest
   * (Rust core, glibc malloc arenas, V8 code and metadata outside the heaps).
   */
  const breakdown = async (label: string): Promise<void> => {
    const m = process.memoryUsage();
    const kernel = smaps();
    const threads = await workflowThreadHeaps(worker);
    const floorThreads = await workflowThreadHeaps(floorWorker);
    const KiB = (n: number): number => Math.round(n / 1024);
    const threadTotal = [...threads, ...floorThreads].reduce((sum, t) => sum + t.total + t.malloced, 0);
    console.error(
      JSON.stringify({
        component: 'bench-worker-child',
        msg: 'memory breakdown (KiB)',
        label,
        rssKiB: kernel.rss,
        anonymousKiB: kernel.anonymous,
        fileKiB: kernel.file,
        mainHeapTotalKiB: KiB(m.heapTotal),
        mainHeapUsedKiB: KiB(m.heapUsed),
        externalKiB: KiB(m.external),
        arrayBuffersKiB: KiB(m.arrayBuffers),
        workflowThreadsKiB: threads.map((t) => ({ total: KiB(t.total), used: KiB(t.used), malloced: KiB(t.malloced) })),
        floorThreadsKiB: floorThreads.map((t) => ({ total: KiB(t.total), used: KiB(t.used) })),
        restAnonymousKiB: (kernel.anonymous ?? 0) - KiB(m.heapTotal + m.external + threadTotal),
        cachedWorkflows: worker.getStatus().numCachedWorkflows,
        mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
        nodeOptions: process.env.NODE_OPTIONS ?? null,
      }),
    );
  };

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const w of [worker, floorWorker]) if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
    await connection.close().catch(() => undefined);
    await built.close();
    await pool.end().catch(() => undefined);
    send({ type: 'stopped' });
    process.disconnect?.();
  };

  process.on('message', (raw) => {
    const parsed = childRequestSchema.safeParse(raw);
    if (!parsed.success) return;
    const request = parsed.data;
    if (request.type === 'usage') {
      const forced = request.gc ? collectGarbage() : false;
      // a full GC returns freed pages lazily; a short pause lets RSS show it
      setTimeout(
        () => {
          send({ type: 'usage', id: request.id, reading: reading(forced) });
          if (forced) void breakdown(`reading ${request.id}`);
        },
        request.gc ? 200 : 0,
      );
    } else if (request.type === 'stop') {
      void stop();
    }
  });
  process.on('disconnect', () => void stop());
  send({ type: 'ready', reading: reading(collectGarbage()) });
  await breakdown('ready');
  await running;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    console.error(error);
    process.exit(1);
  },
);
