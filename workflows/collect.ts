import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeastActivities } from '../activities';
import { ErrorCode } from '../domain/errors';
import type { Anomaly } from '../domain/anomaly/model';
import type { CollectionRun } from '../domain/inventory/model';
import { failureMessage } from './failures';

/** Pages one workflow run collects before it continues as new, so a large account never builds a huge history. */
export const PAGES_PER_RUN = 200;

/** Pages one step may take before the collection gives it up as endless (a cloud that pages forever). */
export const MAX_PAGES_PER_STEP = 100_000;
/** The latest cursors of a step kept to catch paging that goes round (A → B → A) long before the bound. */
export const CURSORS_REMEMBERED = 32;

/** Where a collection stands, carried across continue-as-new. */
export interface CollectResume {
  runId: string;
  steps: string[];
  stepIndex: number;
  cursor?: string;
  /** Pages collected so far, over every workflow run of this collection. */
  pages: number;
  /** Pages of the current step so far. */
  stepPages?: number;
  /** The current step's latest cursors, newest last (at most CURSORS_REMEMBERED). */
  recentCursors?: string[];
  counts: Record<string, number>;
  window: { from: string; to: string };
}

export interface CollectInput {
  systemId: string;
  /** The collection run id; by default one derived from the workflow, the same across continue-as-new. */
  runId?: string;
  resume?: CollectResume;
  /** Pages before continuing as new (PAGES_PER_RUN); tests lower it. */
  pagesPerRun?: number;
  /** Pages one step may take before the collection fails as endless (MAX_PAGES_PER_STEP). */
  maxPagesPerStep?: number;
}

export interface CollectProgress {
  runId: string;
  systemId: string;
  phase:
    'starting' | 'collecting' | 'finishing' | 'assessing' | 'watching' | 'scanning' | 'alerting' | 'done' | 'failed';
  step?: string;
  stepIndex: number;
  steps: string[];
  pages: number;
  counts: Record<string, number>;
}

/** Where the collection stands, for `least inventory collect` on a terminal. */
export const collectProgressQuery = defineQuery<CollectProgress>('collectProgress');

/** Bookkeeping in PostgreSQL: keep trying until it lands. */
const { collectionSteps, beginCollection, finishCollection, failCollection } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
});

/**
 * One page from the cloud: throttling and 5xx retried with backoff; a worker that dies mid-page stops
 * heartbeating, and the page is repeated on another worker (the sink stores nothing twice).
 */
const { collectPage } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', backoffCoefficient: 2, maximumAttempts: 10 },
});

/**
 * The findings of the new snapshot: a long activity that heartbeats its position, so a retry goes on
 * from the last page written. Its failure does not undo the collection; the next one assesses again.
 */
const { assessFindings } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * The denied-call watch over the new snapshot: tells owners of calls denied to what a cleanup removed.
 * A few tries only; the next collection reads the same days again, and tells what this one did not.
 */
const { watchCleanupDenials } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * The anomaly scan of the new snapshot: each identity against its own history. A few tries only; its
 * failure does not undo the collection, and the next collection judges the days this one missed.
 */
const { scanAnomalies } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * The collection's alerts (new super identities, a PCI jump, new anomalies): a few tries; an alert
 * that could not be raised is logged, and the collection stands.
 */
const { alertOnCollection } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * One collection of one authorization system into a new snapshot, current only once every step has
 * finished. Any failure marks the run failed and leaves the previous snapshot current.
 */
export async function collect(input: CollectInput): Promise<CollectionRun> {
  const collection = new Collection(input);
  setHandler(collectProgressQuery, () => collection.progress());
  try {
    if (!collection.begun) await begin(collection);
    if (!(await collectPages(collection))) return await finish(collection);
  } catch (error) {
    await fail(collection, error);
    throw error;
  }
  // Outside the try: continuing as new is how a run ends, not a failure.
  return await continueAsNew<typeof collect>(collection.carried());
}

/** 1. Open the run: its steps, and the usage window it covers. */
async function begin(collection: Collection): Promise<void> {
  const steps = await collectionSteps(collection.systemId);
  const run = await beginCollection(collection.systemId, collection.runId);
  collection.begin(steps, { from: run.windowFrom, to: run.windowTo });
}

/** 2. Every page of every step; true when this workflow run has done its share and must continue as new. */
async function collectPages(collection: Collection): Promise<boolean> {
  while (collection.step !== undefined) {
    const ranLong = collection.pagesThisRun >= collection.pagesPerRun || workflowInfo().continueAsNewSuggested;
    if (ranLong && collection.pagesThisRun > 0) return true;
    const page = await collectPage({
      systemId: collection.systemId,
      runId: collection.runId,
      step: collection.step,
      ...(collection.cursor !== undefined ? { cursor: collection.cursor } : {}),
      window: collection.window,
      countsBefore: collection.counts,
    });
    collection.pageDone(page.counts, page.next);
  }
  return false;
}

/**
 * A step whose pages never end (a cursor handed back unchanged, or more pages than the bound) fails
 * the collection; it would otherwise run, and grow the run, forever.
 */
function endlessPages(step: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorCode.InventoryPagesEndless,
    message: `step "${step}" never ends: ${message}`,
    nonRetryable: true,
  });
}

/** 3. Make the snapshot current; then assess it, tell of calls denied after a cleanup, and scan for anomalies. */
async function finish(collection: Collection): Promise<CollectionRun> {
  collection.phase = 'finishing';
  const run = await finishCollection(collection.runId, collection.systemId);
  if (patched('assess-findings')) {
    collection.phase = 'assessing';
    try {
      await assessFindings(collection.systemId, collection.runId);
    } catch (error) {
      log.warn('findings of the new snapshot were not assessed', { runId: collection.runId, error: String(error) });
    }
  }
  if (patched('cleanup-denials')) {
    collection.phase = 'watching';
    try {
      await watchCleanupDenials(collection.systemId, collection.runId);
    } catch (error) {
      log.warn('denied calls after cleanup were not told', { runId: collection.runId, error: String(error) });
    }
  }
  let newAnomalies: Anomaly[] = [];
  if (patched('anomaly-scan')) {
    collection.phase = 'scanning';
    try {
      ({ newAnomalies } = await scanAnomalies(collection.systemId, collection.runId));
    } catch (error) {
      log.warn('anomalies of the new snapshot were not scanned', { runId: collection.runId, error: String(error) });
    }
  }
  if (patched('collection-alerts')) {
    collection.phase = 'alerting';
    try {
      await alertOnCollection(collection.systemId, collection.runId, { newAnomalies });
    } catch (error) {
      log.warn('alerts of the new snapshot were not raised', { runId: collection.runId, error: String(error) });
    }
  }
  collection.phase = 'done';
  return run;
}

/** The run never becomes current; recorded even when the workflow was cancelled. */
async function fail(collection: Collection, error: unknown): Promise<void> {
  collection.phase = 'failed';
  if (!collection.begun) return;
  try {
    await CancellationScope.nonCancellable(() => failCollection(collection.runId, failureMessage(error)));
  } catch {
    // The run is over already (e.g. it succeeded before a late failure): the first error is the one to report.
  }
}

/** The collection's state: which step, which page, what was found. */
class Collection {
  readonly systemId: string;
  readonly runId: string;
  readonly pagesPerRun: number;
  readonly maxPagesPerStep: number;
  private readonly input: CollectInput;
  phase: CollectProgress['phase'];
  steps: string[];
  stepIndex: number;
  cursor: string | undefined;
  pages: number;
  stepPages: number;
  recentCursors: string[];
  pagesThisRun = 0;
  counts: Record<string, number>;
  window: { from: string; to: string };

  constructor(input: CollectInput) {
    const { resume } = input;
    const info = workflowInfo();
    this.input = input;
    this.systemId = input.systemId;
    this.runId = resume?.runId ?? input.runId ?? `${info.workflowId}:${info.firstExecutionRunId}`;
    this.pagesPerRun = Math.max(1, input.pagesPerRun ?? PAGES_PER_RUN);
    this.maxPagesPerStep = Math.max(1, input.maxPagesPerStep ?? MAX_PAGES_PER_STEP);
    this.phase = resume ? 'collecting' : 'starting';
    this.steps = resume?.steps ?? [];
    this.stepIndex = resume?.stepIndex ?? 0;
    this.cursor = resume?.cursor;
    this.pages = resume?.pages ?? 0;
    this.stepPages = resume?.stepPages ?? 0;
    this.recentCursors = [...(resume?.recentCursors ?? [])];
    this.counts = { ...resume?.counts };
    this.window = resume?.window ?? { from: '', to: '' };
  }

  get begun(): boolean {
    return this.phase !== 'starting';
  }

  get step(): string | undefined {
    return this.steps[this.stepIndex];
  }

  begin(steps: string[], window: { from: string; to: string }): void {
    this.steps = steps;
    this.window = window;
    this.phase = 'collecting';
  }

  /**
   * Counts the page in; throws (PAGES_ENDLESS) when the step hands back its cursor, goes back to one of
   * its recent cursors, or runs past the bound.
   */
  pageDone(counts: Record<string, number>, next: string | undefined): void {
    const step = this.step ?? '';
    for (const [name, value] of Object.entries(counts)) this.counts[name] = (this.counts[name] ?? 0) + value;
    this.pages++;
    this.pagesThisRun++;
    this.stepPages++;
    if (next !== undefined && next === this.cursor) {
      throw endlessPages(step, `page ${this.stepPages} returned the cursor it was given (${next.slice(0, 100)})`);
    }
    if (next !== undefined && this.recentCursors.includes(next)) {
      throw endlessPages(step, `page ${this.stepPages} went back to an earlier cursor (${next.slice(0, 100)})`);
    }
    if (next !== undefined && this.stepPages >= this.maxPagesPerStep) {
      throw endlessPages(step, `no end after ${this.maxPagesPerStep} pages (the bound)`);
    }
    if (this.cursor !== undefined) this.recentCursors = [...this.recentCursors, this.cursor].slice(-CURSORS_REMEMBERED);
    this.cursor = next;
    if (next === undefined) {
      this.stepIndex++;
      this.stepPages = 0;
      this.recentCursors = [];
    }
  }

  carried(): CollectInput {
    return {
      systemId: this.systemId,
      ...(this.input.pagesPerRun !== undefined ? { pagesPerRun: this.input.pagesPerRun } : {}),
      ...(this.input.maxPagesPerStep !== undefined ? { maxPagesPerStep: this.input.maxPagesPerStep } : {}),
      resume: {
        runId: this.runId,
        steps: this.steps,
        stepIndex: this.stepIndex,
        ...(this.cursor !== undefined ? { cursor: this.cursor } : {}),
        pages: this.pages,
        stepPages: this.stepPages,
        recentCursors: this.recentCursors,
        counts: this.counts,
        window: this.window,
      },
    };
  }

  progress(): CollectProgress {
    return {
      runId: this.runId,
      systemId: this.systemId,
      phase: this.phase,
      ...(this.step !== undefined ? { step: this.step } : {}),
      stepIndex: this.stepIndex,
      steps: this.steps,
      pages: this.pages,
      counts: this.counts,
    };
  }
}
