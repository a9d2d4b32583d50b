import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { LeastActivities } from '../activities';
import type { ItemResult } from '../activities/cleanup';
import {
  checkCleanupDecision,
  deciderGroupOf,
  decisionOf,
  fateOf,
  type CleanupItemBrief,
  type CleanupRunState,
} from '../domain/cleanup/run';
import type { CleanupDecisionInput } from '../domain/cleanup/run';
import {
  cleanupDecideUpdate,
  cleanupStatusQuery,
  type CleanupInput,
  type CleanupRestoreInput,
  type CleanupRestoreResult,
} from './cleanup-messages';
import { enforce, failureMessage } from './failures';

export { cleanupDecideUpdate, cleanupStatusQuery } from './cleanup-messages';

/** Items applied per activity call: a worker killed mid-batch repeats at most this many reads. */
export const APPLY_BATCH = 20;
/** Batches one workflow run applies before it continues as new, so a large system never builds a huge history. */
export const BATCHES_PER_RUN = 50;

/** PostgreSQL and chat bookkeeping: keep trying until it lands. */
const { planCleanupRun, recordCleanupDecision, recordCleanupAnnounced, finishCleanupRun } =
  proxyActivities<LeastActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  });

/**
 * Telling owners: retried for a bounded time. A chat outage must not make the run change things nobody
 * was told about: when nobody could be told, the notice period starts from the report that says so.
 */
const { announceCleanup, remindCleanup } = proxyActivities<LeastActivities>({
  startToCloseTimeout: '5 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', maximumInterval: '2 minutes', backoffCoefficient: 2 },
});

/** Cloud reads and changes: throttling and 5xx retried with backoff; a dead worker's batch is repeated (idempotent). */
const { snapshotCleanupItems, applyCleanupItems, stageCleanupItems, restoreCleanupItems } =
  proxyActivities<LeastActivities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '2 seconds', maximumInterval: '2 minutes', backoffCoefficient: 2, maximumAttempts: 10 },
  });

/**
 * One cleanup run of one system (issue 13): plan from the current inventory, snapshot every object,
 * announce to owners, wait out the notice period (applying an owner's Remove now at once), then remove
 * what owners removed — and, in enforce mode, what nobody answered for — verify it, and report.
 */
export async function cleanup(input: CleanupInput): Promise<CleanupRunState> {
  const run = new CleanupRun(input);
  setHandler(cleanupStatusQuery, () => run.state);
  setHandler(cleanupDecideUpdate, (decision) => run.decide(decision), {
    validator: (decision) => run.validate(decision),
  });
  if (!input.resume) {
    await plan(run);
    if (run.pending().length > 0) {
      await announce(run);
      await notice(run);
    }
  }
  if (await applyDecided(run)) return await continueAsNew<typeof cleanup>(run.carried());
  if (await removeStaged(run)) return await continueAsNew<typeof cleanup>(run.carried());
  await finish(run);
  await condition(allHandlersFinished);
  return run.state;
}

/** 1. Plan and snapshot: items the cloud already changed since the inventory are re-planned, not announced. */
async function plan(run: CleanupRun): Promise<void> {
  run.state = {
    ...(await planCleanupRun({
      systemId: run.input.systemId,
      runId: run.state.runId,
      trigger: run.input.trigger ?? 'schedule',
      ...(run.input.requestedBy ? { requestedBy: run.input.requestedBy } : {}),
      ...(run.input.identityId ? { identityId: run.input.identityId } : {}),
    })),
    phase: 'planning',
  };
  const ids = run.pending().map((item) => item.itemId);
  for (let at = 0; at < ids.length; at += APPLY_BATCH * 5)
    run.settle(await snapshotCleanupItems(run.state.runId, ids.slice(at, at + APPLY_BATCH * 5)));
}

/** 2. Tell owners and the channel; the notice period starts once they were told (or the run said it could not). */
async function announce(run: CleanupRun): Promise<void> {
  run.state.phase = 'announcing';
  const noticeMs = run.noticeMs();
  let told: { problem?: string };
  try {
    told = await announceCleanup({ ...run.state, noticeUntil: new Date(Date.now() + noticeMs).toISOString() });
  } catch (error) {
    // chat stayed down for the whole retry window: the run says so, and owners learn from the report
    told = { problem: `chat could not be reached to tell the owners: ${failureMessage(error).slice(0, 300)}` };
  }
  const at = new Date(Date.now());
  run.state.announcedAt = at.toISOString();
  run.state.noticeUntil = new Date(at.getTime() + noticeMs).toISOString();
  if (told.problem) run.state.announceProblem = told.problem;
  await recordCleanupAnnounced(run.state.runId, run.state.announcedAt, run.state.noticeUntil, told.problem);
}

/** 3. Wait out the notice period durably: an owner's Remove now is applied at once; one reminder before the end. */
async function notice(run: CleanupRun): Promise<void> {
  run.state.phase = 'noticing';
  const end = Date.parse(run.state.noticeUntil!);
  const remindAt = end - Math.min(86_400_000, (end - Date.parse(run.state.announcedAt!)) / 2);
  let reminded = false;
  for (;;) {
    const now = Date.now();
    if (now >= end) break;
    const wakeAt = reminded ? end : Math.min(remindAt, end);
    const decided = await condition(() => run.removeNow.length > 0, Math.max(1, wakeAt - now));
    if (decided) {
      await applyBatch(run, run.removeNow.splice(0));
      continue;
    }
    if (!reminded && Date.now() >= remindAt) {
      reminded = true;
      // a reminder that cannot be sent is not worth failing the run for
      if (run.state.items.some((item) => !item.outcome && !item.decision))
        await remindCleanup(run.state).catch(() => undefined);
    }
  }
  // answers still being recorded count: the period ends once they are in
  await condition(allHandlersFinished);
  if (run.removeNow.length > 0) await applyBatch(run, run.removeNow.splice(0));
}

/** 4. Remove what owners removed (and, in enforce mode, what nobody answered for); true when the run must continue as new. */
async function applyDecided(run: CleanupRun): Promise<boolean> {
  run.state.phase = 'applying';
  let batches = 0;
  for (;;) {
    const due = run.pending().filter((item) => fateOf(item, run.state.mode) === 'remove');
    if (due.length === 0) return false;
    if (batches >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) return true;
    await applyBatch(
      run,
      due.slice(0, APPLY_BATCH).map((item) => item.itemId),
    );
    batches += 1;
  }
}

/** Removes the items, or with staged removal first denies a policy's removal set (removed after the staging period). */
async function applyBatch(run: CleanupRun, itemIds: string[]): Promise<void> {
  if (itemIds.length === 0) return;
  const staging = run.state.stagingSeconds !== undefined && run.state.stagingSeconds > 0;
  const staged = staging ? itemIds.filter((id) => run.item(id)?.change === 'narrow-policy') : [];
  const direct = itemIds.filter((id) => !staged.includes(id));
  if (staged.length > 0) run.settle(await stageCleanupItems(run.state.runId, staged));
  if (direct.length > 0) run.settle(await applyCleanupItems(run.state.runId, direct));
}

/**
 * 4b. Staged removal: wait out the staging period from the first staged item, then remove every staged
 * item still staged (one an owner restored meanwhile is left alone); true when the run must continue as new.
 */
async function removeStaged(run: CleanupRun): Promise<boolean> {
  const staged = (): CleanupItemBrief[] => run.state.items.filter((item) => item.outcome === 'staged');
  if (staged().length === 0) return false;
  run.state.phase = 'staging';
  run.state.stagedUntil ??= new Date(Date.now() + run.state.stagingSeconds! * 1000).toISOString();
  const wait = Date.parse(run.state.stagedUntil) - Date.now();
  if (wait > 0) await sleep(wait);
  let batches = 0;
  while (staged().length > 0) {
    if (batches >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) return true;
    run.settle(
      await applyCleanupItems(
        run.state.runId,
        staged()
          .slice(0, APPLY_BATCH)
          .map((item) => item.itemId),
      ),
    );
    batches += 1;
  }
  return false;
}

/** 5. Record the fate of everything not removed, report to owners and the channel, close the run. */
async function finish(run: CleanupRun): Promise<void> {
  run.state.phase = 'reporting';
  const settled: ItemResult[] = [];
  for (const item of run.pending()) {
    const fate = fateOf(item, run.state.mode);
    if (fate === 'remove') continue; // cannot happen: applyDecided removed them all
    const detail =
      fate === 'kept'
        ? `kept by ${item.decision!.by}${item.decision!.reason ? `: ${item.decision!.reason}` : ''}`
        : fate === 'snoozed'
          ? `snoozed by ${item.decision!.by} until ${item.decision!.until?.slice(0, 10) ?? '?'}`
          : item.explicitOnly
            ? 'reported: removed only when an owner clicks Remove'
            : 'reported: report mode changes nothing nobody removed';
    settled.push({ itemId: item.itemId, outcome: fate, detail });
  }
  run.settle(settled);
  await finishCleanupRun(run.state, settled);
  run.state.phase = 'done';
}

/** The run's state and its answers; small enough to carry across continue-as-new. */
class CleanupRun {
  state: CleanupRunState;
  /** Items an owner asked to remove now, applied by the main flow as soon as it wakes. */
  readonly removeNow: string[] = [];

  constructor(readonly input: CleanupInput) {
    this.state = input.resume ?? {
      runId: input.runId ?? workflowInfo().workflowId,
      systemId: input.systemId,
      mode: 'report',
      phase: 'planning',
      noticeSeconds: 7 * 86_400,
      deciders: [],
      items: [],
    };
  }

  item(itemId: string): CleanupItemBrief | undefined {
    return this.state.items.find((i) => i.itemId === itemId);
  }

  pending(): CleanupItemBrief[] {
    return this.state.items.filter((item) => item.outcome === undefined);
  }

  noticeMs(): number {
    return this.state.noticeSeconds * 1000;
  }

  settle(results: readonly ItemResult[]): void {
    for (const result of results) {
      const item = this.state.items.find((i) => i.itemId === result.itemId);
      if (!item) continue;
      item.outcome = result.outcome;
      item.outcomeDetail = result.detail;
    }
  }

  validate(input: CleanupDecisionInput): void {
    enforce(checkCleanupDecision(this.state, input));
  }

  async decide(input: CleanupDecisionInput): Promise<CleanupItemBrief> {
    const item = this.state.items.find((i) => i.itemId === input.itemId)!;
    const decision = decisionOf(input, new Date(Date.now()).toISOString());
    const clickId =
      input.clickId ?? `${this.state.runId}:${item.itemId}:${decision.kind}:${decision.by}:${decision.at}`;
    const via = deciderGroupOf(this.state, input);
    await recordCleanupDecision(this.state.runId, this.state.systemId, decision, clickId, ...(via ? [via] : []));
    item.decision = decision;
    if (decision.kind === 'remove' && !this.removeNow.includes(item.itemId)) this.removeNow.push(item.itemId);
    return item;
  }

  carried(): CleanupInput {
    return { ...this.input, runId: this.state.runId, resume: this.state };
  }
}

/** Puts back what a cleanup run removed (one item, one identity's, or all), verified and audited. */
export async function cleanupRestore(input: CleanupRestoreInput): Promise<CleanupRestoreResult> {
  return await restoreCleanupItems(input);
}
