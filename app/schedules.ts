import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type DayOfWeek,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { reconcile } from '../workflows/reconcile';
import { collect, type CollectInput } from '../workflows/collect';
import { cleanup } from '../workflows/cleanup';
import type { CleanupInput } from '../workflows/cleanup-messages';
import { digest, type DigestInput } from '../workflows/digest';
import type { Weekday } from '../domain/digest/period';
import type { Digest, Policy } from '../domain/policy/schema';

export const RECONCILE_SCHEDULE_ID = 'least-reconcile';

/** Creates (or refreshes) the Temporal Schedule that runs the reconciliation sweep. */
export async function ensureReconcileSchedule(
  client: Client,
  taskQueue: string,
  every: Duration = '15m',
): Promise<void> {
  const spec = { intervals: [{ every }] };
  const action = { type: 'startWorkflow' as const, workflowType: reconcile, taskQueue, args: [] as [] };
  try {
    await client.schedule.create({
      scheduleId: RECONCILE_SCHEDULE_ID,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
  }
}

/** Collection schedules are named `least-collect-<systemId>`; the prefix tells ours from any other. */
export const COLLECT_SCHEDULE_PREFIX = 'least-collect-';

/** A collection missed by more than this waits for its next period. */
const COLLECT_CATCH_UP: Duration = '10 minutes';

export function collectScheduleId(systemId: string): string {
  return `${COLLECT_SCHEDULE_PREFIX}${systemId}`;
}

/**
 * One Schedule per authorization system with `inventory` settings, as the policy says (every, offset),
 * created or brought up to date; a system's collection never overlaps itself, and one missed while
 * Temporal was down is not caught up later than CATCH_UP (the next period collects anyway). Schedules of
 * systems no longer collected are deleted. Returns the schedule ids in force.
 */
export async function ensureCollectSchedules(client: Client, taskQueue: string, policy: Policy): Promise<string[]> {
  return ensureSystemSchedules(client, taskQueue, {
    prefix: COLLECT_SCHEDULE_PREFIX,
    workflowType: collect.name as 'collect',
    periods: policy.authorizationSystems.flatMap((system) =>
      system.inventory ? [{ systemId: system.id, ...system.inventory.schedule }] : [],
    ),
    args: (systemId): [CollectInput] => [{ systemId }],
  });
}

/** Cleanup schedules are named `least-cleanup-<systemId>`; a run's id is this plus its scheduled time. */
export const CLEANUP_SCHEDULE_PREFIX = 'least-cleanup-';

export function cleanupScheduleId(systemId: string): string {
  return `${CLEANUP_SCHEDULE_PREFIX}${systemId}`;
}

/**
 * One Schedule per authorization system with a `cleanup` block (every, offset), kept as the collection's
 * are; a system's cleanup never overlaps itself (a run waits out its notice period, which may be longer
 * than the period: the next one is skipped). Returns the schedule ids in force.
 */
export async function ensureCleanupSchedules(client: Client, taskQueue: string, policy: Policy): Promise<string[]> {
  return ensureSystemSchedules(client, taskQueue, {
    prefix: CLEANUP_SCHEDULE_PREFIX,
    workflowType: cleanup.name as 'cleanup',
    periods: policy.authorizationSystems.flatMap((system) =>
      system.cleanup ? [{ systemId: system.id, ...system.cleanup.schedule }] : [],
    ),
    args: (systemId): [CleanupInput] => [{ systemId, trigger: 'schedule' }],
  });
}

/**
 * One Schedule per system (`<prefix><systemId>`) starting `workflow` every period, created or brought up
 * to date; never overlapping itself, a missed start not caught up later than CATCH_UP; schedules of ours
 * (the prefix and workflow type) for systems no longer listed are deleted. Returns the ids in force.
 */
async function ensureSystemSchedules(
  client: Client,
  taskQueue: string,
  kind: {
    prefix: string;
    /** The workflow's name, which the schedule starts and by which ours are told from others. */
    workflowType: 'collect' | 'cleanup';
    periods: { systemId: string; every: number; offset?: number }[];
    args: (systemId: string) => [CollectInput] | [CleanupInput];
  },
): Promise<string[]> {
  const wanted = new Map(
    kind.periods.map(({ systemId, every, offset }) => [
      `${kind.prefix}${systemId}`,
      {
        spec: { intervals: [{ every: every * 1000, ...(offset ? { offset: offset * 1000 } : {}) }] },
        args: kind.args(systemId),
      },
    ]),
  );
  return keepSchedules(client, taskQueue, {
    prefix: kind.prefix,
    workflowType: kind.workflowType,
    wanted,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: COLLECT_CATCH_UP },
  });
}

/** Digest schedules are named `least-digest-<digestId>`; a run's id is this plus its scheduled time. */
export const DIGEST_SCHEDULE_PREFIX = 'least-digest-';

/** A digest missed by more than this (Temporal was down) is skipped: a morning's digest read at night is stale. */
const DIGEST_CATCH_UP: Duration = '6 hours';

const DAY_OF_WEEK: Record<Weekday, DayOfWeek> = {
  monday: 'MONDAY',
  tuesday: 'TUESDAY',
  wednesday: 'WEDNESDAY',
  thursday: 'THURSDAY',
  friday: 'FRIDAY',
  saturday: 'SATURDAY',
  sunday: 'SUNDAY',
};

export function digestScheduleId(digestId: string): string {
  return `${DIGEST_SCHEDULE_PREFIX}${digestId}`;
}

/**
 * The calendar of a digest: its time of day (every day, or on its weekday) on the clocks of its zone,
 * which Temporal's server follows through DST. A time the clocks skip fires not at all that day and a
 * time they repeat fires twice; the second run finds the period posted and posts nothing.
 */
export function digestScheduleSpec(digest: Pick<Digest, 'cadence' | 'weekday' | 'time' | 'timeZone'>): ScheduleSpec {
  const [hour, minute] = digest.time.split(':').map(Number) as [number, number];
  const weekday = digest.cadence === 'weekly' && digest.weekday ? { dayOfWeek: DAY_OF_WEEK[digest.weekday] } : {};
  return { calendars: [{ hour, minute, ...weekday }], timezone: digest.timeZone };
}

/**
 * One Schedule per digest in the policy, created or brought up to date (its time, zone, channel and
 * sections travel in the workflow's argument); a digest never overlaps itself, and one missed while
 * Temporal was down is caught up within DIGEST_CATCH_UP. Schedules of digests no longer in the policy
 * are deleted. Returns the schedule ids in force.
 */
export async function ensureDigestSchedules(client: Client, taskQueue: string, policy: Policy): Promise<string[]> {
  return keepSchedules(client, taskQueue, {
    prefix: DIGEST_SCHEDULE_PREFIX,
    workflowType: digest.name as 'digest',
    wanted: new Map(
      policy.digests.map((entry) => [
        digestScheduleId(entry.id),
        { spec: digestScheduleSpec(entry), args: [{ digest: entry }] as [DigestInput] },
      ]),
    ),
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: DIGEST_CATCH_UP },
  });
}

/**
 * Schedules of one kind (`<prefix><id>` starting `workflowType`) made to match `wanted`: each created,
 * or updated in place (spec, action, policies); ours (the prefix and the workflow type) not wanted any
 * more are deleted. Returns the ids in force.
 */
async function keepSchedules(
  client: Client,
  taskQueue: string,
  kind: {
    prefix: string;
    workflowType: 'collect' | 'cleanup' | 'digest';
    wanted: Map<string, { spec: ScheduleSpec; args: [CollectInput] | [CleanupInput] | [DigestInput] }>;
    policies: { overlap: ScheduleOverlapPolicy; catchupWindow: Duration };
  },
): Promise<string[]> {
  const { policies } = kind;
  for (const [scheduleId, { spec, args }] of kind.wanted) {
    const action = {
      type: 'startWorkflow' as const,
      workflowType: kind.workflowType,
      workflowId: scheduleId, // Temporal appends each run's scheduled time
      taskQueue,
      args,
    } satisfies ScheduleOptionsAction;
    try {
      await client.schedule.create({ scheduleId, spec, action, policies });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule
        .getHandle(scheduleId)
        .update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
    }
  }
  for await (const schedule of client.schedule.list()) {
    const ours = schedule.scheduleId.startsWith(kind.prefix) && schedule.action?.workflowType === kind.workflowType;
    if (ours && !kind.wanted.has(schedule.scheduleId)) await client.schedule.getHandle(schedule.scheduleId).delete();
  }
  return [...kind.wanted.keys()];
}
