import type { EventData } from '@azure/arm-monitor';
import type { Coverage, SkippedItem, UsageDay, UsageDetail } from '../../../domain/inventory/model';
import type { AzureSystem } from '../../cloud/azure/errors';
import type { CollectContext, PageResult } from '../collector';
import type { AzureInventoryClients } from './clients';

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

  const usage = new Map<string, UsageDay>();
  const details = new Map<string, UsageDetail>();
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
    const day = at.toISOString().slice(0, 10);
    const key = `${identityId}|${action.toLowerCase()}|${day}`;
    const row = usage.get(key) ?? { systemId: system.id, identityId, action, day, count: 0, denied: 0 };
    if (outcome === 'used') row.count += 1;
    else row.denied += 1;
    usage.set(key, row);

    const detailKey = `${identityId}|${day}`;
    const detail = details.get(detailKey) ?? {
      systemId: system.id,
      identityId,
      day,
      hours: Array.from({ length: 24 }, () => 0),
      regions: [],
      addresses: [],
      newResources: [],
    };
    detail.hours[at.getUTCHours()]! += 1;
    const address = event.httpRequest?.clientIpAddress;
    if (address && !detail.addresses.includes(address)) detail.addresses.push(address);
    details.set(detailKey, detail);
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
  if (usage.size > 0) await context.sink.usage([...usage.values()], chunk);
  if (details.size > 0) await context.sink.usageDetail([...details.values()], chunk);
  if (skipped.length > 0) await context.sink.skipped(skipped);
  return {
    ...(next ? { next } : {}),
    counts: { events: events.length, usageRows: usage.size, eventsUnattributed: unattributed, skipped: skipped.length },
  };
}
