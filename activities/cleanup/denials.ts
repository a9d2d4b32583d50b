import { ApplicationFailure } from '@temporalio/common';
import { AuditAction } from '../../domain/audit';
import { ErrorCode } from '../../domain/errors';
import { cleanupChannel } from '../../domain/cleanup/rules';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';
import type { CleanupDeniedNotice, CleanupItemView, CleanupNotifier } from '../chat/cleanup-notifier';
import type { CleanupDenial, CleanupDenials } from '../store/cleanup/denials';
import type { CleanupRunRecord, CleanupStore, StoredCleanupItem } from '../store/cleanup/store';
import type { ActivityStore } from '../store/port';
import { cleanupItemView, cleanupRunView } from './index';

/** A removal is watched for denied calls this long after it happened. */
export const DENIAL_WATCH_DAYS = 90;
/** Denied calls an audit entry lists; the rest are counted. */
const AUDITED_DENIALS = 50;
const DAY_MS = 86_400_000;

export interface CleanupWatchDeps {
  policy: () => Policy;
  store: Pick<ActivityStore, 'appendAudit'>;
  denials: Pick<CleanupDenials, 'untold' | 'markTold'>;
  cleanup: Pick<CleanupStore, 'run' | 'items'>;
  /** The same cleanup notifier the cleanup workflow tells owners through. */
  notifier: CleanupNotifier;
  now?: () => Date;
}

export interface CleanupWatchOutcome {
  status: 'watched' | 'not-watched';
  /** Removed items whose denied calls were told. */
  items: number;
  /** Denied calls told (summed over identities, actions and days). */
  calls: number;
}

/**
 * The denied-call watch (issue 13): after each collection, calls the cloud denied to actions a cleanup
 * removed are shown to the item's owners (the channel when none can be told) with the item's Restore
 * button. It only tells. Restoring here on a denied call would let whoever holds stolen credentials
 * win the rights back by being refused; only a person's click restores.
 */
export function createCleanupWatchActivities(deps: CleanupWatchDeps | undefined) {
  return {
    /** Tells, once each, the calls denied in this collection to what cleanups of the system removed. */
    async watchCleanupDenials(systemId: string, inventoryRunId: string): Promise<CleanupWatchOutcome> {
      // a worker without PostgreSQL (the demo) keeps no cleanups to watch
      if (!deps) return { status: 'not-watched', items: 0, calls: 0 };
      const system = deps.policy().authorizationSystems.find((s) => s.id === systemId);
      if (!system)
        throw ApplicationFailure.create({
          type: ErrorCode.InventoryNotConfigured,
          message: `authorization system "${systemId}" is not in the policy file`,
          nonRetryable: true,
        });
      const at = (deps.now ?? (() => new Date()))();
      const since = new Date(at.getTime() - DENIAL_WATCH_DAYS * DAY_MS).toISOString();
      const denials = await deps.denials.untold(systemId, inventoryRunId, since);
      let items = 0;
      let calls = 0;
      for (const [runId, ofRun] of groupBy(denials, (d) => d.runId)) {
        const record = await deps.cleanup.run(runId);
        if (!record) continue;
        const byItem = groupBy(ofRun, (d) => d.itemId);
        const stored = await deps.cleanup.items(runId, { itemIds: [...byItem.keys()] });
        for (const item of stored) {
          const found = byItem.get(item.itemId) ?? [];
          // restored since the query read it: nothing left to tell
          if (found.length === 0 || (item.outcome !== 'removed' && item.outcome !== 'staged')) continue;
          await tell(deps, system, record, item, found, inventoryRunId);
          items += 1;
          calls += found.reduce((sum, d) => sum + d.denied, 0);
        }
      }
      return { status: 'watched', items, calls };
    },
  };
}

export type CleanupWatchActivities = ReturnType<typeof createCleanupWatchActivities>;

/** Tells one item's owners (or the channel), audits, then records the denials as told: a retry repeats nothing. */
async function tell(
  deps: CleanupWatchDeps,
  system: AuthorizationSystem,
  record: CleanupRunRecord,
  item: StoredCleanupItem,
  denials: readonly CleanupDenial[],
  inventoryRunId: string,
): Promise<void> {
  const names = new Map(item.identities.map((i) => [i.id, i.name]));
  const channel = cleanupChannel(deps.policy(), system);
  const removedAt = denials[0]!.removedAt;
  const notice: CleanupDeniedNotice = {
    run: cleanupRunView(system, record),
    item: withoutOwners(cleanupItemView(item)),
    removedAt,
    collectionRunId: inventoryRunId,
    denials: denials.map((d) => ({
      identity: names.get(d.identityId) ?? d.identityId,
      action: d.action,
      day: d.day,
      count: d.denied,
    })),
    owners: item.owners,
    ...(channel ? { channel } : {}),
  };
  const told = await deps.notifier.deniedCalls(notice);
  await deps.store.appendAudit({
    actor: 'workflow',
    action: AuditAction.CleanupDeniedCallsSeen,
    key: `${AuditAction.CleanupDeniedCallsSeen}:${inventoryRunId}:${record.runId}:${item.itemId}`,
    detail: {
      runId: record.runId,
      systemId: system.id,
      itemId: item.itemId,
      object: item.object,
      collectionRunId: inventoryRunId,
      removedAt,
      calls: denials.reduce((sum, d) => sum + d.denied, 0),
      denials: denials.slice(0, AUDITED_DENIALS).map((d) => ({
        identityId: d.identityId,
        action: d.action,
        day: d.day,
        denied: d.denied,
      })),
      ...(denials.length > AUDITED_DENIALS ? { moreDenials: denials.length - AUDITED_DENIALS } : {}),
      owners: item.owners,
      reached: told.reached,
      channelPosted: told.channelPosted,
      restored: false,
    },
  });
  await deps.denials.markTold(denials, inventoryRunId);
}

function groupBy<T>(values: readonly T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) {
    const group = groups.get(key(value));
    if (group) group.push(value);
    else groups.set(key(value), [value]);
  }
  return groups;
}

function withoutOwners({ owners: _owners, ...view }: CleanupItemView & { owners: string[] }): CleanupItemView {
  return view;
}
