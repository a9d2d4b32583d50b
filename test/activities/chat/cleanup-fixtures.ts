import type pg from 'pg';
import { CleanupStore } from '../../../activities/store/cleanup/store';
import type { CleanupAnnouncement, CleanupItemView } from '../../../bot/render/cleanup';
import type { NotifyTarget } from '../../../domain/policy/schema';

/** What the cleanup notifier tests share: a run recorded in PostgreSQL (messages hang off it) and its announcement. */

let sequence = 0;

/** A planned run with no items: the notifiers only need it to exist. */
export async function recordedRun(pool: pg.Pool, prefix: string): Promise<string> {
  const runId = `${prefix}-${Date.now().toString(36)}-${++sequence}`;
  const now = new Date().toISOString();
  await new CleanupStore(pool).saveRun(
    runId,
    {
      systemId: 'aws-prod',
      cloud: 'aws',
      mode: 'enforce',
      collectionRunId: 'collect-1',
      window: { from: new Date(Date.now() - 90 * 86_400_000).toISOString(), to: now },
      plannedAt: now,
      items: [],
      holds: [],
      counts: { identities: 0, items: 0, actions: 0, holds: 0 },
    },
    { trigger: 'schedule' },
  );
  return runId;
}

export function change(name: string, overrides: Partial<CleanupItemView> = {}): CleanupItemView {
  return {
    itemId: `narrow-policy:aws-inline-policy:arn:aws:iam::123456789012:role/${name}#Inline`,
    change: 'narrow-policy',
    objectName: `${name}-inline`,
    identities: [name],
    identityIds: [`arn:aws:iam::123456789012:role/${name}`],
    actions: 4,
    reason: 'no use of 4 of its 9 actions in 90 days',
    explicitOnly: false,
    ...overrides,
  };
}

export function announcement(
  runId: string,
  owners: Record<string, CleanupItemView[]>,
  options: { channel?: NotifyTarget; unowned?: CleanupItemView[] } = {},
): CleanupAnnouncement {
  return {
    run: {
      runId,
      systemId: 'aws-prod',
      systemTitle: 'AWS production',
      mode: 'enforce',
      windowDays: 90,
      noticeUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    },
    owners: Object.entries(owners).map(([owner, items]) => ({ owner, items })),
    ...(options.channel ? { channel: options.channel } : {}),
    unowned: options.unowned ?? [],
    counts: { items: 3, identities: 3, actions: 12 },
  };
}
