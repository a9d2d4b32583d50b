import type { EventData } from '@azure/arm-monitor';
import type { Coverage, SkippedItem } from '../../../domain/inventory/model';
import type { AzureSystem } from '../../cloud/azure/errors';
import type { CollectContext, PageResult } from '../collector';
import type { AzureInventoryClients } from './clients';
import { UsageTally } from '../usage-tally';

/**
 * Usage from the subscription's Activity Log, one page per call. The log holds control-plane writes
 * (PUT, PATCH, POST, DELETE through ARM) and keeps 90 days; reads and data-plane use never appear, so
 * the coverage row says `writes`: a read that is absent here is unknown, not unused. Each operation
 * logs a start and an end; only the end counts, and a Forbidden end counts as an attempt (denied).
 */

export const ActivityLogSkipReason = {
  /** An event without a time or an operation. */
  EventInvalid: 'azure.activity.invalid',
} as const;

/** ARM refuses an Activity Log filter that starts more than 90 days back. */
const RETENTION_MS = 90 * 86_400_000;
const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The window the log can answer for: the run's, cut to the log's retention. */
export function activityLogWindow(window: { from: string; to: string }): { from: string; to: string } {
  const to = Date.parse(window.to);
  const from = Math.max(Date.parse(window.from), to - RETENTION_MS + 60_000);
  return { from: new Date(from).toISOString(), to: window.to };
}

/** Who did it: the Entra object id from the token's claims, or a caller that already is one. */
function callerOf(event: EventData): string | undefined {
  const claim = event.claims?.[OBJECT_ID_CLAIM] ?? event.claims?.oid;
  if (claim && GUID.test(claim)) return claim.toLowerCase();
  if (event.caller && GUID.test(event.caller)) return event.caller.toLowerCase();
  return undefined;
}

type Outcome = 'used' | 'denied' | 'ignore';

function outcomeOf(event: EventData): Outcome {
  const status = event.status?.value?.toLowerCase();
  if (status === 'succeeded') return 'used';
  if (status === 'failed') {
    const sub = `${event.subStatus?.value ?? ''} ${event.properties?.statusCode ?? ''}`.toLowerCase();
    return /forbidden|unauthorized|authorizationfailed|403/.test(sub) ? 'denied' : 'used';
  }
  return 'ignore'; // Started, Accepted, In progress: the end event counts the operation
}

export async function collectActivityLogPage(
  clients: AzureInventoryClients,
  system: AzureSystem,
  cursor: string | undefined,
  context: CollectContext,
  /** Data-plane operations: never in the Activity Log, even when they write. */
  dataActions: () => Promise<string[]>,
): Promise<PageResult> {
  const window = activityLogWindow(context.window);
  const filter = `eventTimestamp ge '${window.from}' and eventTimestamp le '${window.to}'`;
  const pages = clients
    .monitor(system)
    .activityLogs.list(filter)
    .byPage(cursor ? { continuationToken: cursor } : {});
  const first = await pages.next();
  const events: EventData[] = first.done ? [] : first.value;
  const next = first.done ? undefined : (first.value as { continuationToken?: string }).continuationToken;

  const tally = new UsageTally(system.id);
  const skipped: SkippedItem[] = [];
  let unattributed = 0;
  for (const event of events) {
    const action = event.authorization?.action ?? event.operationName?.value;
    const at = event.eventTimestamp instanceof Date ? event.eventTimestamp : undefined;
    if (!action || !at || Number.isNaN(at.getTime())) {
      skipped.push({ reason: ActivityLogSkipReason.EventInvalid, item: event.eventDataId ?? event.id ?? '(no id)' });
      continue;
    }
    const outcome = outcomeOf(event);
    if (outcome === 'ignore') continue;
    const identityId = callerOf(event);
    if (!identityId) {
      unattributed += 1; // Azure itself (policy, autoscale) or a caller known only by name
      continue;
    }
    tally.add(identityId, action, at, outcome === 'used');
    tally.seen(identityId, at, event.httpRequest?.clientIpAddress);
  }

  const chunk = `usage:activity-log|${cursor ?? ''}`;
  if (!cursor) {
    const coverage: Coverage = {
      systemId: system.id,
      identityId: '*',
      source: 'activity-log',
      granularity: 'action-day',
      from: window.from,
      to: window.to,
      actions: 'writes',
      exceptActions: await dataActions(),
      note: 'The Activity Log records control-plane writes only: reads and data-plane use are unknown',
    };
    await context.sink.coverage([coverage]);
  }
  await tally.writeTo(context.sink, chunk);
  if (skipped.length > 0) await context.sink.skipped(skipped);
  return {
    ...(next ? { next } : {}),
    counts: { events: events.length, usageRows: tally.rows, eventsUnattributed: unattributed, skipped: skipped.length },
  };
}
