import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AlertOccurrence } from '../../domain/alert/model';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import {
  MAX_ITEMS_PER_RUN,
  type CleanupDecision,
  type CleanupItem,
  type CleanupOutcome,
  type CleanupPlan,
} from '../../domain/cleanup/model';
import { capPlan, cleanupPlanner } from '../../domain/cleanup/plan';
import {
  cleanupChannel,
  cleanupDeciderGroups,
  cleanupDeciders,
  cleanupRulesOf,
  ownersResolver,
} from '../../domain/cleanup/rules';
import type { CleanupItemBrief, CleanupRunState } from '../../domain/cleanup/run';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';
import type { CleanupItemView, CleanupNotifier, CleanupRunView } from '../chat/cleanup-notifier';
import { loadAwsCatalogue } from '../inventory/catalogue/aws';
import { canonicalJson } from '../inventory/documents';
import type { CleanupStore, StoredCleanupItem } from '../store/cleanup/store';
import type { FirstSeen } from '../store/cleanup/inventory-reads';
import type { InventoryStore } from '../store/inventory/store';
import type { ActivityStore } from '../store/port';
import type { CollectionRun, PolicyDocument } from '../../domain/inventory/model';
import type { CleanupRestoreInput, CleanupRestoreResult } from '../../workflows/cleanup-messages';
import type { CleanupExecutor } from './port';

/** Identities read per page while planning: bounds memory whatever the account's size. */
const PLAN_PAGE = 500;
/** Attempts at posting a run's report before the run closes without it. */
const REPORT_ATTEMPTS = 5;

export interface CleanupActivityDeps {
  policy: () => Policy;
  store: Pick<ActivityStore, 'appendAudit'>;
  cleanup: CleanupStore;
  inventory: Pick<InventoryStore, 'currentRun' | 'viewStream' | 'run'>;
  /** The snapshot's documents (bodies of those a plan may rewrite) and when each path was first seen. */
  reads: {
    documents(runId: string): Promise<Map<string, PolicyDocument>>;
    firstSeen(systemId: string): Promise<FirstSeen>;
  };
  executors: Partial<Record<AuthorizationSystem['cloud'], CleanupExecutor>>;
  notifier: CleanupNotifier;
  now?: () => Date;
  /** Raises rule alerts (a restore is one); none: restores alert nobody. */
  alerts?: (occurrences: AlertOccurrence[]) => Promise<unknown>;
}

export interface PlanRunInput {
  systemId: string;
  runId: string;
  trigger: 'schedule' | 'manual';
  requestedBy?: string;
  identityId?: string;
}

/** One item's result in a run, as the workflow keeps it. */
export interface ItemResult {
  itemId: string;
  outcome: CleanupOutcome;
  detail: string;
}

export function createCleanupActivities(configured: CleanupActivityDeps | undefined) {
  // a worker without PostgreSQL (the demo) has no cleanup: every activity says so and is not retried
  const deps =
    configured ??
    new Proxy({} as CleanupActivityDeps, {
      get: () => {
        throw ApplicationFailure.create({
          type: ErrorCode.InventoryNotConfigured,
          message: 'cleanup needs the PostgreSQL stores, which this worker was started without',
          nonRetryable: true,
        });
      },
    });
  const now = (): Date => (configured?.now ?? (() => new Date()))();

  function systemOf(systemId: string): AuthorizationSystem {
    const system = deps.policy().authorizationSystems.find((s) => s.id === systemId);
    if (!system)
      throw ApplicationFailure.create({
        type: ErrorCode.InventoryNotConfigured,
        message: `authorization system "${systemId}" is not in the policy file`,
        nonRetryable: true,
      });
    return system;
  }

  function executorOf(system: AuthorizationSystem): CleanupExecutor {
    const executor = deps.executors[system.cloud];
    if (!executor)
      throw ApplicationFailure.create({
        type: ErrorCode.CloudTargetUnknown,
        message: `this worker cannot change ${system.cloud} systems`,
        nonRetryable: true,
      });
    return executor;
  }

  async function audit(
    action: AuditAction,
    actor: string,
    key: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await deps.store.appendAudit({ actor, action, detail, key });
  }

  /** Items grouped by owner (each item under each of its owners), and those nobody owns. */
  function byOwner(items: readonly (CleanupItemView & { owners: string[] })[]) {
    const owners = new Map<string, CleanupItemView[]>();
    const unowned: CleanupItemView[] = [];
    for (const { owners: list, ...item } of items) {
      if (list.length === 0) unowned.push(item);
      for (const owner of list) {
        const mine = owners.get(owner);
        if (mine) mine.push(item);
        else owners.set(owner, [item]);
      }
    }
    return { owners: [...owners].map(([owner, mine]) => ({ owner, items: mine })), unowned };
  }

  async function plan(input: PlanRunInput): Promise<CleanupRunState> {
    const policy = deps.policy();
    const system = systemOf(input.systemId);
    const rules = cleanupRulesOf(system);
    const deciders = cleanupDeciders(policy, system);
    const deciderGroups = cleanupDeciderGroups(policy, system);
    const existing = await deps.cleanup.run(input.runId);
    if (!existing) {
      const run = await deps.inventory.currentRun(system.id);
      if (!run)
        throw ApplicationFailure.create({
          type: ErrorCode.InventoryNotConfigured,
          message: `system "${system.id}" has no collected inventory yet: run \`least inventory collect ${system.id}\` first`,
          nonRetryable: true,
        });
      const at = now().toISOString();
      const planned = capPlan(
        await planSystem(deps, system, run, at, {
          ...(input.identityId ? { identityId: input.identityId } : {}),
          onPage: (identities) => Context.current().heartbeat({ identities }),
        }),
        MAX_ITEMS_PER_RUN,
      );
      await deps.cleanup.saveRun(input.runId, planned, {
        trigger: input.trigger,
        ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
        ...(input.identityId ? { identityId: input.identityId } : {}),
      });
      await audit(AuditAction.CleanupPlanned, input.requestedBy ?? 'workflow', `cleanup.planned:${input.runId}`, {
        runId: input.runId,
        systemId: system.id,
        mode: rules.mode,
        collectionRunId: run.runId,
        ...planned.counts,
      });
    }
    const record = (await deps.cleanup.run(input.runId))!;
    const items = await deps.cleanup.items(input.runId);
    return {
      runId: input.runId,
      systemId: system.id,
      mode: record.mode,
      phase: 'planning',
      noticeSeconds: rules.noticeDays * 86_400,
      ...(rules.stagingDays ? { stagingSeconds: rules.stagingDays * 86_400 } : {}),
      deciders,
      deciderGroups,
      items: items.map((item) => ({
        itemId: item.itemId,
        change: item.change,
        object: item.object,
        identities: item.identities.map((i) => i.name),
        owners: item.owners,
        explicitOnly: item.explicitOnly === true,
        actions: item.removeActions?.length ?? 0,
        ...(item.outcome ? { outcome: item.outcome } : {}),
      })),
    };
  }

  /**
   * Takes each item's snapshot before anything is announced: Restore puts back this state, and apply
   * refuses to overwrite an object that changed since (someone edited it between plan and apply). An
   * object already different from what the inventory showed is re-planned at once: nothing is
   * announced that the plan did not see.
   */
  async function snapshotItems(runId: string, itemIds: readonly string[]): Promise<ItemResult[]> {
    const record = await deps.cleanup.run(runId);
    if (!record) throw new Error(`cleanup run ${runId} is not recorded`);
    const system = systemOf(record.systemId);
    const executor = executorOf(system);
    const results: ItemResult[] = [];
    for (const item of await deps.cleanup.items(runId, { itemIds })) {
      const existing = await deps.cleanup.snapshotOf(runId, item.itemId);
      const snapshot =
        existing?.snapshot ??
        (await deps.cleanup.snapshot(runId, item, await executor.snapshot(system, item))).snapshot;
      const drift = driftFromPlan(item, snapshot);
      if (drift) {
        await deps.cleanup.setOutcome(runId, item.itemId, 'replanned', drift);
        results.push({ itemId: item.itemId, outcome: 'replanned', detail: drift });
      }
      Context.current().heartbeat(item.itemId);
    }
    return results;
  }

  async function apply(runId: string, itemIds: readonly string[]): Promise<ItemResult[]> {
    const record = await deps.cleanup.run(runId);
    if (!record) throw new Error(`cleanup run ${runId} is not recorded`);
    const system = systemOf(record.systemId);
    const executor = executorOf(system);
    const results: ItemResult[] = [];
    const decisions = await deps.cleanup.runDecisions(runId);
    for (const item of await deps.cleanup.items(runId, { itemIds })) {
      if (item.outcome && item.outcome !== 'failed' && item.outcome !== 'staged') {
        // already settled by an earlier attempt: the same answer again, nothing applied twice
        results.push({ itemId: item.itemId, outcome: item.outcome, detail: item.outcomeDetail ?? '' });
        continue;
      }
      const decided = decisions.get(item.itemId);
      const actor = decided?.kind === 'remove' ? decided.by : 'workflow';
      const planned = await deps.cleanup.snapshotOf(runId, item.itemId);
      let result: ItemResult;
      if (!planned) {
        result = {
          itemId: item.itemId,
          outcome: 'skipped',
          detail: 'no snapshot was taken before the change; nothing changed',
        };
      } else {
        const applied = await executor.apply(system, item, planned.snapshot);
        if (applied.status !== 'applied' && applied.status !== 'already' && item.outcome === 'staged')
          await executor.unstage?.(system, item);
        if (applied.status === 'conflict') {
          result = { itemId: item.itemId, outcome: 'replanned', detail: `changed since the plan: ${applied.detail}` };
          await audit(AuditAction.CleanupReplanned, actor, `cleanup.replanned:${runId}:${item.itemId}`, {
            runId,
            itemId: item.itemId,
            detail: applied.detail,
          });
        } else if (applied.status === 'gone') {
          result = { itemId: item.itemId, outcome: 'skipped', detail: applied.detail };
        } else {
          const verified = await executor.verify(system, item);
          if (!verified.ok) throw new Error(`cleanup change not visible yet: ${verified.detail}`);
          // a staged deny has done its work once the policy no longer allows the actions
          if (item.outcome === 'staged') await executor.unstage?.(system, item);
          result = { itemId: item.itemId, outcome: 'removed', detail: applied.detail };
          await audit(AuditAction.CleanupApplied, actor, `cleanup.applied:${runId}:${item.itemId}`, {
            runId,
            systemId: system.id,
            itemId: item.itemId,
            change: item.change,
            object: item.object,
            identities: item.identities.map((i) => i.id),
            ...(item.removeActions ? { removeActions: item.removeActions } : {}),
            snapshotTakenAt: planned.takenAt,
            verified: verified.detail,
          });
        }
      }
      await deps.cleanup.setOutcome(runId, item.itemId, result.outcome, result.detail);
      results.push(result);
      Context.current().heartbeat(item.itemId);
    }
    return results;
  }

  /**
   * Staged removal: each item's removal set is denied to its holders for the staging period instead of
   * removed; an item the cloud cannot stage is removed at once (apply), as without staging.
   */
  async function stage(runId: string, itemIds: readonly string[]): Promise<ItemResult[]> {
    const record = await deps.cleanup.run(runId);
    if (!record) throw new Error(`cleanup run ${runId} is not recorded`);
    const system = systemOf(record.systemId);
    const executor = executorOf(system);
    const results: ItemResult[] = [];
    const direct: string[] = [];
    for (const item of await deps.cleanup.items(runId, { itemIds })) {
      if (item.outcome && item.outcome !== 'failed') {
        results.push({ itemId: item.itemId, outcome: item.outcome, detail: item.outcomeDetail ?? '' });
        continue;
      }
      const staged = executor.stage ? await executor.stage(system, item) : undefined;
      if (staged?.status !== 'staged') {
        direct.push(item.itemId);
        continue;
      }
      await deps.cleanup.setOutcome(runId, item.itemId, 'staged', staged.detail);
      await audit(AuditAction.CleanupStaged, 'workflow', `cleanup.staged:${runId}:${item.itemId}`, {
        runId,
        systemId: system.id,
        itemId: item.itemId,
        removeActions: item.removeActions ?? [],
        detail: staged.detail,
      });
      results.push({ itemId: item.itemId, outcome: 'staged', detail: staged.detail });
      Context.current().heartbeat(item.itemId);
    }
    if (direct.length > 0) results.push(...(await apply(runId, direct)));
    return results;
  }

  async function itemsOf(state: CleanupRunState): Promise<(CleanupItemView & { owners: string[] })[]> {
    const briefs = new Map(state.items.map((brief) => [brief.itemId, brief]));
    return (await deps.cleanup.items(state.runId)).map((item) => cleanupItemView(item, briefs.get(item.itemId)));
  }

  return {
    /** Plans a run from the system's current snapshot and records it (once: a retry reads it back). */
    planCleanupRun: plan,

    snapshotCleanupItems: snapshotItems,

    /** Tells owners and the channel; returns a problem only when nobody at all could be told. */
    async announceCleanup(state: CleanupRunState): Promise<{ problem?: string; reached: number }> {
      const system = systemOf(state.systemId);
      const policy = deps.policy();
      const items = (await itemsOf(state)).filter((item) => !item.outcome);
      const grouped = byOwner(items);
      const channel = cleanupChannel(policy, system);
      const record = await deps.cleanup.run(state.runId);
      const result = await deps.notifier.announce({
        run: cleanupRunView(system, state),
        ...grouped,
        ...(channel ? { channel } : {}),
        counts: { ...(record?.counts ?? {}), items: items.length },
      });
      const problem =
        result.reached.length === 0 && !result.channelPosted
          ? `nobody could be told: ${result.unreached.length} owner(s) unreachable and no channel ${channel ? 'reachable' : 'configured'}`
          : undefined;
      await audit(
        problem ? AuditAction.CleanupAnnounceFailed : AuditAction.CleanupAnnounced,
        'workflow',
        `cleanup.announced:${state.runId}`,
        {
          runId: state.runId,
          systemId: state.systemId,
          reached: result.reached,
          unreached: result.unreached,
          channelPosted: result.channelPosted,
          ...(problem ? { problem } : {}),
        },
      );
      return { ...(problem ? { problem } : {}), reached: result.reached.length };
    },

    async recordCleanupAnnounced(runId: string, at: string, noticeUntil: string, problem?: string): Promise<void> {
      await deps.cleanup.announced(runId, at, noticeUntil, problem);
    },

    async remindCleanup(state: CleanupRunState): Promise<void> {
      const system = systemOf(state.systemId);
      const items = (await itemsOf(state)).filter(
        (item) => !item.outcome && !state.items.find((b) => b.itemId === item.itemId)?.decision,
      );
      if (items.length === 0) return;
      const channel = cleanupChannel(deps.policy(), system);
      await deps.notifier.remind({
        run: cleanupRunView(system, state),
        ...byOwner(items),
        ...(channel ? { channel } : {}),
        counts: { items: items.length },
      });
    },

    /** An owner's answer, recorded once per click and audited; `via`: the decider group that authorised it. */
    async recordCleanupDecision(
      runId: string,
      systemId: string,
      decision: CleanupDecision,
      clickId: string,
      via?: string,
    ): Promise<void> {
      await deps.cleanup.decide({ ...decision, systemId, runId, decisionId: clickId });
      const action =
        decision.kind === 'keep'
          ? AuditAction.CleanupKept
          : decision.kind === 'snooze'
            ? AuditAction.CleanupSnoozed
            : AuditAction.CleanupRemoveRequested;
      await audit(action, decision.by, `cleanup.decision:${clickId}`, {
        runId,
        systemId,
        itemId: decision.itemId,
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...(decision.until ? { until: decision.until } : {}),
        ...(via ? { via } : {}),
      });
    },

    /** Applies, verifies and records each item; one already settled is answered from the record. */
    applyCleanupItems: apply,

    stageCleanupItems: stage,

    /** Records what happened to every item not applied, tells owners and the channel, closes the run. */
    async finishCleanupRun(state: CleanupRunState, settled: readonly ItemResult[]): Promise<void> {
      for (const result of settled)
        await deps.cleanup.setOutcome(state.runId, result.itemId, result.outcome, result.detail);
      const system = systemOf(state.systemId);
      const items = await itemsOf(state);
      const counts: Record<string, number> = { items: items.length };
      for (const item of items) if (item.outcome) counts[item.outcome] = (counts[item.outcome] ?? 0) + 1;
      if (items.length > 0) {
        const channel = cleanupChannel(deps.policy(), system);
        try {
          await deps.notifier.report({
            run: cleanupRunView(system, state),
            ...byOwner(items),
            ...(channel ? { channel } : {}),
            counts,
          });
        } catch (error) {
          // retried a few times; then the run closes anyway (its record, `least cleanup show` and the
          // audit log have every outcome) rather than stay open for as long as chat is down
          if (Context.current().info.attempt < REPORT_ATTEMPTS) throw error;
          counts.reportUnsent = 1;
        }
      }
      await deps.cleanup.setStatus(state.runId, 'finished', counts);
      await audit(AuditAction.CleanupFinished, 'workflow', `cleanup.finished:${state.runId}`, {
        runId: state.runId,
        systemId: state.systemId,
        ...counts,
      });
    },

    /** Puts back what a run removed, from its snapshots; a later change in the way is refused, naming it. */
    async restoreCleanupItems(input: CleanupRestoreInput): Promise<CleanupRestoreResult> {
      const record = await deps.cleanup.run(input.runId);
      if (!record)
        throw ApplicationFailure.create({
          type: ErrorCode.CleanupUnknown,
          message: `no cleanup run ${input.runId}`,
          nonRetryable: true,
        });
      const system = systemOf(record.systemId);
      const executor = executorOf(system);
      const items = await deps.cleanup.items(input.runId, {
        ...(input.identityId ? { identityId: input.identityId } : {}),
        ...(input.itemIds ? { itemIds: input.itemIds } : {}),
      });
      const result: CleanupRestoreResult = { runId: input.runId, items: [] };
      const alerts: AlertOccurrence[] = [];
      const restoredAlert = (item: StoredCleanupItem, detail: string, occurrence: string): void => {
        alerts.push({
          rule: 'cleanup-restored',
          subject: system.id,
          systemId: system.id,
          occurrenceId: `${input.runId}:${item.itemId}:${occurrence}`,
          at: now().toISOString(),
          // the reason before the cloud's long detail: an alert line is cut at ALERT_LINE_MAX
          line: `${input.by} restored ${item.object.kind} ${item.object.name} (${item.change}) from run ${input.runId}${input.reason ? ` — ${input.reason}` : ''}: ${detail}`,
        });
      };
      for (const item of items) {
        if (item.outcome === 'staged') {
          // nothing was removed yet: taking the deny away is the whole restore
          const unstaged = await executor.unstage?.(system, item);
          const detail = `the staged deny was taken away before anything was removed${unstaged ? ` (${unstaged.detail})` : ''}`;
          await deps.cleanup.restored(input.runId, item.itemId, input.by, detail);
          await audit(AuditAction.CleanupRestored, input.by, `cleanup.restored:${input.runId}:${item.itemId}:staged`, {
            runId: input.runId,
            systemId: system.id,
            itemId: item.itemId,
            object: item.object,
            detail,
            ...(input.reason ? { reason: input.reason } : {}),
          });
          result.items.push({ itemId: item.itemId, status: 'restored', detail });
          restoredAlert(item, detail, 'staged');
          continue;
        }
        if (item.outcome !== 'removed' && item.outcome !== 'restored') {
          result.items.push({
            itemId: item.itemId,
            status: 'not-removed',
            detail: `nothing to restore: ${item.outcome ?? 'not acted on'}`,
          });
          continue;
        }
        const snapshot = await deps.cleanup.snapshotOf(input.runId, item.itemId);
        if (!snapshot) {
          result.items.push({ itemId: item.itemId, status: 'not-removed', detail: 'no snapshot was kept' });
          continue;
        }
        const restored = await executor.restore(system, item, snapshot.snapshot);
        result.items.push({ itemId: item.itemId, status: restored.status, detail: restored.detail });
        if (restored.status === 'restored' || restored.status === 'already') {
          await deps.cleanup.restored(input.runId, item.itemId, input.by, restored.detail);
          if (restored.status === 'restored') restoredAlert(item, restored.detail, item.restoredAt ?? 'first');
          await audit(
            AuditAction.CleanupRestored,
            input.by,
            `cleanup.restored:${input.runId}:${item.itemId}:${item.restoredAt ?? 'first'}`,
            {
              runId: input.runId,
              systemId: system.id,
              itemId: item.itemId,
              object: item.object,
              detail: restored.detail,
              ...(input.reason ? { reason: input.reason } : {}),
            },
          );
        } else {
          await audit(
            AuditAction.CleanupRestoreRefused,
            input.by,
            `cleanup.restore_refused:${input.runId}:${item.itemId}:${Date.parse(now().toISOString())}`,
            {
              runId: input.runId,
              itemId: item.itemId,
              status: restored.status,
              detail: restored.detail,
            },
          );
        }
        Context.current().heartbeat(item.itemId);
      }
      if (alerts.length > 0 && deps.alerts) {
        try {
          await deps.alerts(alerts);
        } catch (error) {
          // the restore stands; the audit log has it
          console.log(JSON.stringify({ level: 'warn', msg: 'cleanup restore not alerted', error: String(error) }));
        }
      }
      const done = result.items.filter((i) => i.status === 'restored');
      if (done.length > 0) {
        const views = (await deps.cleanup.items(input.runId, { itemIds: done.map((i) => i.itemId) })).map((item) =>
          cleanupItemView(item),
        );
        const channel = cleanupChannel(deps.policy(), system);
        await deps.notifier.restored({
          run: cleanupRunView(system, {
            runId: record.runId,
            mode: record.mode,
            ...(record.noticeUntil ? { noticeUntil: record.noticeUntil } : {}),
          }),
          by: input.by,
          items: views.map(({ owners: _owners, ...view }) => view),
          owners: [...new Set(views.flatMap((v) => v.owners))],
          ...(channel ? { channel } : {}),
        });
      }
      return result;
    },
  };
}

export type CleanupActivities = ReturnType<typeof createCleanupActivities>;

/** A run as the chat messages show it: the system's title, mode, window and notice. */
export function cleanupRunView(
  system: AuthorizationSystem,
  run: Pick<CleanupRunState, 'runId' | 'mode' | 'noticeUntil'>,
): CleanupRunView {
  return {
    runId: run.runId,
    systemId: system.id,
    systemTitle: system.title ?? system.id,
    mode: run.mode,
    windowDays: cleanupRulesOf(system).windowDays,
    ...(run.noticeUntil ? { noticeUntil: run.noticeUntil } : {}),
  };
}

/** A stored item as the chat messages show it (with what the run's state adds: outcome, who decided). */
export function cleanupItemView(
  item: StoredCleanupItem,
  brief?: CleanupItemBrief,
): CleanupItemView & { owners: string[] } {
  const outcome = brief?.outcome ?? item.outcome;
  const detail = brief?.outcomeDetail ?? item.outcomeDetail;
  return {
    itemId: item.itemId,
    change: item.change,
    objectName: item.object.name,
    objectKind: item.object.kind,
    identities: item.identities.map((i) => i.name),
    identityIds: item.identities.map((i) => i.id),
    actions: item.removeActions?.length ?? 0,
    reason: item.reason,
    explicitOnly: item.explicitOnly === true,
    owners: item.owners,
    ...(outcome ? { outcome } : {}),
    ...(detail ? { outcomeDetail: detail } : {}),
    ...(brief?.decision ? { decidedBy: brief.decision.by } : {}),
  };
}

/**
 * The plan of a system's current snapshot, as of `at`: what `planCleanupRun` records and `least cleanup
 * plan` prints (a dry run that changes and records nothing).
 */
export async function planSystem(
  deps: Pick<CleanupActivityDeps, 'policy' | 'cleanup' | 'inventory' | 'reads'>,
  system: AuthorizationSystem,
  run: CollectionRun,
  at: string,
  options: { identityId?: string; onPage?: (identities: number) => void } = {},
): Promise<CleanupPlan> {
  const policy = deps.policy();
  const rules = cleanupRulesOf(system);
  const stream = await deps.inventory.viewStream(run.runId);
  if (!stream) throw new Error(`inventory run ${run.runId} cannot be read`);
  const [documents, firstSeen, decisions, catalogue] = await Promise.all([
    deps.reads.documents(run.runId),
    deps.reads.firstSeen(system.id),
    deps.cleanup.liveDecisions(system.id, at),
    system.cloud === 'aws' ? loadAwsCatalogue() : Promise.resolve(undefined),
  ]);
  const planner = cleanupPlanner({
    rules,
    run,
    documents: (id) => documents.get(id),
    ...(catalogue ? { catalogue } : {}),
    ownersOf: ownersResolver(policy, system),
    decisions,
    grantedAt: firstSeen,
    at,
  });
  // A page at a time: the planner keeps what shared objects need, never every view. Every identity is
  // read even for a one-identity plan: its shared policies' other holders decide what may go.
  let read = 0;
  for (let after: string | undefined; ;) {
    const page = await stream.page(after, PLAN_PAGE);
    for (const view of page) planner.add(view);
    read += page.length;
    options.onPage?.(read);
    if (page.length < PLAN_PAGE) break;
    after = page[page.length - 1]!.identity.id;
  }
  const planned = planner.plan();
  if (!options.identityId) return planned;
  const items = planned.items.filter((item) => item.identities.some((i) => i.id === options.identityId));
  const holds = planned.holds.filter((hold) => hold.identityId === options.identityId);
  return {
    ...planned,
    items,
    holds,
    counts: { ...planned.counts, items: items.length, holds: holds.length, identities: 1 },
  };
}

/**
 * Whether the object already differs from what the plan saw (the inventory is a snapshot; the cloud
 * moves on): for a policy rewrite or an own copy, the live document must still be the one the plan narrowed;
 * an Identity Center assignment to delete must still be there (a snapshot collected before group members'
 * assignments were told apart from their own names assignments that never existed).
 */
export function driftFromPlan(item: CleanupItem, snapshot: unknown): string | undefined {
  const assignment = snapshot as { kind?: unknown; present?: unknown } | null;
  if (item.change === 'delete-assignment' && assignment?.kind === 'aws-sso-assignment' && assignment.present === false)
    return 'the Identity Center assignment no longer exists';
  if ((item.change !== 'narrow-policy' && item.change !== 'own-copy') || item.before === undefined) return undefined;
  const live = (snapshot as { document?: unknown } | null)?.document;
  if (live === undefined || live === null) return 'the policy no longer exists';
  return canonicalJson(live) === canonicalJson(item.before)
    ? undefined
    : 'the policy document changed since the inventory was collected';
}
