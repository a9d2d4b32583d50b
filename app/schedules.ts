import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { reconcile } from '../workflows/reconcile';

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
