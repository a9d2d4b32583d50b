/**
 * Temporal work read from closed workflows' histories: events by type, the workflow tasks, activities,
 * local activities (markers), timers, messages, and the encoded history size. What the server stores
 * and what Temporal Cloud bills (actions) follow from these counts, so scale arithmetic starts here.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { runPool } from './pool';

const EventType = temporal.api.enums.v1.EventType;

export interface HistoryCounts {
  workflows: number;
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  /** Workflow tasks that recorded at least one local-activity marker: Temporal Cloud bills each as one action. */
  localActivityTasks: number;
  /** Local-activity attempts after the first (from the workflow tasks' metering metadata). */
  localActivityRetries: number;
  timers: number;
  signals: number;
  updates: number;
  searchAttributeUpserts: number;
  activityRetries: number;
  bytes: number;
  /** Approximate Temporal Cloud actions (see `actions`). */
  actions: number;
}

const zero = (): HistoryCounts => ({
  workflows: 0,
  events: 0,
  workflowTasks: 0,
  activities: 0,
  localActivities: 0,
  localActivityTasks: 0,
  localActivityRetries: 0,
  timers: 0,
  signals: 0,
  updates: 0,
  searchAttributeUpserts: 0,
  activityRetries: 0,
  bytes: 0,
  actions: 0,
});

/**
 * Temporal Cloud's billable actions, approximated from one history: the start, each activity scheduled
 * (plus each retry attempt), each local-activity marker, timers, signals, accepted updates and search
 * attribute upserts. Heartbeats and queries are not in a history and not counted here.
 */
function actions(c: HistoryCounts): number {
  return (
    1 +
    c.activities +
    c.activityRetries +
    c.localActivities +
    c.timers +
    c.signals +
    c.updates +
    c.searchAttributeUpserts
  );
}

export async function countHistory(client: Client, workflowId: string): Promise<HistoryCounts> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const c = zero();
  c.workflows = 1;
  const events = history.events ?? [];
  c.events = events.length;
  // markers follow the WorkflowTaskCompleted of the task that recorded them
  let markedTask: unknown;
  let currentTask: unknown;
  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        c.workflowTasks++;
        currentTask = event.eventId;
        c.localActivityRetries +=
          event.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        c.activities++;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        c.activityRetries += Math.max(0, (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        c.localActivities++;
        if (markedTask !== currentTask) {
          markedTask = currentTask;
          c.localActivityTasks++;
        }
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        c.timers++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        c.signals++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        c.updates++;
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        c.searchAttributeUpserts++;
        break;
      default:
        break;
    }
  }
  c.bytes = temporal.api.history.v1.History.encode(history).finish().length;
  c.actions = actions(c);
  return c;
}

/** Sums over many workflows (read 10 at a time); divide by `workflows` for per-workflow figures. */
export async function countHistories(client: Client, ids: string[], signal: AbortSignal): Promise<HistoryCounts> {
  const total = zero();
  const outcome = await runPool(ids.length, 10, signal, async (i) => {
    const c = await countHistory(client, ids[i]!);
    for (const key of Object.keys(total) as (keyof HistoryCounts)[]) total[key] += c[key];
  });
  if (outcome.errors.length) throw new Error(`could not read ${outcome.errors.length} histories`);
  return total;
}

/** "91 events · 14 WFT · 13 act · 0 LA · 1 timer …" per workflow. */
export function describeCounts(c: HistoryCounts): Record<string, number> {
  const n = Math.max(1, c.workflows);
  const per = (x: number): number => Math.round((x / n) * 10) / 10;
  return {
    events: per(c.events),
    workflowTasks: per(c.workflowTasks),
    activities: per(c.activities),
    localActivities: per(c.localActivities),
    localActivityTasks: per(c.localActivityTasks),
    localActivityRetries: per(c.localActivityRetries),
    timers: per(c.timers),
    signals: per(c.signals),
    updates: per(c.updates),
    searchAttributeUpserts: per(c.searchAttributeUpserts),
    activityRetries: per(c.activityRetries),
    actions: per(c.actions),
    historyKiB: per(c.bytes / 1024),
  };
}
