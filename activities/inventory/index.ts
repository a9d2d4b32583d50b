import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Cloud, CollectionRun, InventorySink } from '../../domain/inventory/model';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';
import { InventoryStoreError } from '../store/inventory/errors';
import type { InventoryCollector, PageResult } from './collector';
import type { FinishOptions } from '../store/inventory/store';

/** What the collection activities need of the inventory store (activities/store/inventory). */
export interface CollectionRuns {
  beginRun(input: {
    runId: string;
    systemId: string;
    windowFrom: string;
    windowTo: string;
    catalogues: Partial<Record<Cloud, string>>;
  }): Promise<CollectionRun>;
  sink(runId: string): InventorySink;
  addCounts(runId: string, counts: Record<string, number>): Promise<unknown>;
  finishRun(runId: string, options?: FinishOptions): Promise<CollectionRun>;
  failRun(runId: string, error: string): Promise<unknown>;
  run(runId: string): Promise<CollectionRun | undefined>;
}

export interface InventoryActivityDeps {
  /** Absent on a worker that collects nothing (the demo): every collection then fails with NoCollector. */
  store?: CollectionRuns;
  collectors: Partial<Record<Cloud, InventoryCollector>>;
  policy: () => Policy;
  now?: () => Date;
}

/** One page as the workflow asks for it: where the run stands, so a retried page counts once. */
export interface PageRequest {
  systemId: string;
  runId: string;
  step: string;
  cursor?: string;
  window: { from: string; to: string };
  /** The run's counts before this page, as the workflow recorded them. */
  countsBefore: Record<string, number>;
}

type InventorySystem = AuthorizationSystem & { inventory: NonNullable<AuthorizationSystem['inventory']> };

/**
 * The `collect` workflow's side effects: open a run, collect one page of one step at a time into it,
 * and make it current (or failed) at the end. Every one is idempotent by the run id, so Temporal may
 * retry any of them, on any worker.
 */
export function createInventoryActivities(deps: InventoryActivityDeps) {
  const now = deps.now ?? (() => new Date());

  function collectorOf(systemId: string): {
    system: InventorySystem;
    collector: InventoryCollector;
    store: CollectionRuns;
  } {
    const system = deps.policy().authorizationSystems.find((s) => s.id === systemId);
    if (!system?.inventory) {
      throw nonRetryable(
        ErrorCode.InventoryNotConfigured,
        system
          ? `authorization system "${systemId}" has no inventory settings in the policy file`
          : `authorization system "${systemId}" is not in the policy file`,
      );
    }
    const collector = deps.collectors[system.cloud];
    if (!collector || !deps.store) {
      throw nonRetryable(ErrorCode.InventoryNoCollector, `this worker has no ${system.cloud} inventory collector`);
    }
    return { system: system as InventorySystem, collector, store: deps.store };
  }

  return {
    async collectionSteps(systemId: string): Promise<string[]> {
      const { system, collector } = collectorOf(systemId);
      return collector.steps(system);
    },

    /** Opens the run (or finds it, when this is a retry): the usage window ends now. */
    async beginCollection(systemId: string, runId: string): Promise<CollectionRun> {
      const { system, collector, store } = collectorOf(systemId);
      const windowTo = now();
      const windowFrom = new Date(windowTo.getTime() - system.inventory.usageWindow * 1000);
      return classified(async () => {
        const version = await collector.catalogueVersion(system, runId);
        return store.beginRun({
          runId,
          systemId,
          windowFrom: windowFrom.toISOString(),
          windowTo: windowTo.toISOString(),
          catalogues: { [system.cloud]: version },
        });
      });
    },

    /**
     * One page of one step into the run. The run's stored counts are set to `countsBefore` plus this
     * page's, so a page retried after its worker died is counted once, as its rows are stored once.
     */
    async collectPage(page: PageRequest): Promise<PageResult> {
      const { system, collector, store } = collectorOf(page.systemId);
      const context = Context.current();
      context.heartbeat({ step: page.step, cursor: page.cursor });
      const work = classified(() =>
        collector.collectPage(system, page.step, page.cursor, {
          runId: page.runId,
          window: page.window,
          policy: deps.policy(),
          sink: store.sink(page.runId),
          now,
          heartbeat: (detail) => context.heartbeat(detail ?? { step: page.step, cursor: page.cursor }),
        }),
      );
      // A worker shutting down cancels the page: give it up at once, another worker repeats it.
      const result = await Promise.race([work, context.cancelled]);
      await classified(() => settleCounts(store, page, result.counts));
      return result;
    },

    /** Makes the run current, keeping the system's number of snapshots and its raw-detail retention. */
    async finishCollection(runId: string, systemId: string): Promise<CollectionRun> {
      const { system, collector, store } = collectorOf(systemId);
      const { snapshotsKept, usageDetailRetention } = system.inventory;
      const usageDetailBefore = new Date(now().getTime() - usageDetailRetention * 1000).toISOString();
      return classified(async () => {
        const catalogues = { [system.cloud]: await collector.catalogueVersion(system, runId) };
        return store.finishRun(runId, { snapshotsKept, usageDetailBefore, catalogues });
      });
    },

    /** The run failed: it is never made current, and the previous snapshot stays so. */
    async failCollection(runId: string, error: string): Promise<void> {
      const { store } = deps;
      if (store) await classified(() => store.failRun(runId, error));
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;

/** Adds to the stored counts what they lack of `countsBefore` + `counts`; nothing when a retry already did. */
async function settleCounts(store: CollectionRuns, page: PageRequest, counts: Record<string, number>): Promise<void> {
  const target: Record<string, number> = { ...page.countsBefore };
  for (const [name, value] of Object.entries(counts)) target[name] = (target[name] ?? 0) + value;
  const stored = (await store.run(page.runId))?.counts ?? {};
  const missing: Record<string, number> = {};
  for (const [name, value] of Object.entries(target)) {
    const difference = value - (stored[name] ?? 0);
    if (difference !== 0) missing[name] = difference;
  }
  if (Object.keys(missing).length > 0) await store.addCounts(page.runId, missing);
}

function nonRetryable(code: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/** HTTP statuses that pass with time: throttling, timeouts and the server's own trouble. */
const TRANSIENT_STATUS = new Set([408, 425, 429]);
/** gRPC codes (GCP clients) that will not pass by retrying: invalid, not found, denied, unauthenticated. */
const FINAL_GRPC_CODES = new Set([3, 5, 7, 9, 16]);

/**
 * Collector errors that will not fix themselves (a rule the collector names, a 4xx from the cloud)
 * fail the page for good with a code; throttling, 5xx and network trouble are retried by Temporal.
 */
async function classified<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const ruled = ruleBroken(error);
    if (ruled) throw nonRetryable(ruled.code, ruled.message);
    if (error instanceof ApplicationFailure) throw error;
    const status = httpStatus(error);
    const throttled = /throttl|too ?many ?requests|rate ?exceeded|slow ?down/i.test(errorName(error));
    if (status !== undefined && status >= 400 && status < 500 && !TRANSIENT_STATUS.has(status) && !throttled) {
      throw nonRetryable(ErrorCode.InventoryCloudRefused, `${errorName(error)} (HTTP ${status}): ${messageOf(error)}`);
    }
    const grpc = (error as { code?: unknown } | null)?.code;
    if (status === undefined && typeof grpc === 'number' && FINAL_GRPC_CODES.has(grpc)) {
      throw nonRetryable(ErrorCode.InventoryCloudRefused, `${errorName(error)} (gRPC ${grpc}): ${messageOf(error)}`);
    }
    throw error;
  }
}

/**
 * A broken rule (a domain error, the store refusing a batch or a closed run) wherever it sits in the
 * error's cause chain: a collector or a stream may wrap it, and retrying cannot mend it.
 */
function ruleBroken(error: unknown): DomainError | InventoryStoreError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof DomainError || cause instanceof InventoryStoreError) return cause;
  }
  return undefined;
}

/** The HTTP status in whichever shape the SDK gives it: AWS `$metadata`, Azure `statusCode`, fetch `status`. */
function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shaped = error as { $metadata?: { httpStatusCode?: unknown }; statusCode?: unknown; status?: unknown };
  for (const value of [shaped.$metadata?.httpStatusCode, shaped.statusCode, shaped.status]) {
    if (typeof value === 'number') return value;
  }
  return undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
