import type { protos } from '@google-cloud/recommender';
import type { Coverage, SkippedItem, UsageDay } from '../../../domain/inventory/model';
import { targetOf, type GcpSystem } from '../../cloud/gcp/errors';
import { withTransientRetry } from '../../cloud/gcp/resource-manager';
import type { GcpRoleCatalogue } from '../catalogue/gcp';
import type { CollectContext, PageResult } from '../collector';
import { contentId, gcpRoleBody } from '../documents';
import type { GcpInventoryClients } from './clients';

/**
 * Usage from IAM Recommender's policy insights (`google.iam.policy.Insight`): one insight per binding
 * (member × role) lists the permissions the member exercised over the observation period (90 days).
 * It is a window total, not days: each exercised permission becomes one usage row dated the period's
 * last day, and the coverage row says `window-total` over the period, so readers never take the date
 * for the day of use. An insight vouches only for the permissions of its own role: its coverage names
 * the role's document (the id the IAM policy step stored it under), so the member's other roles stay
 * unknown. An insight whose role IAM no longer has gives its uses and no coverage.
 */

export const INSIGHT_TYPE = 'google.iam.policy.Insight';

export const RecommenderSkipReason = {
  /** An insight without content, member or observation period. */
  InsightInvalid: 'gcp.insight.invalid',
  /** An insight names no role, or one IAM does not have: its uses count, its coverage is unknown. */
  InsightRoleUnknown: 'gcp.insight.role-unknown',
} as const;

type Struct = protos.google.protobuf.IStruct;
type Value = protos.google.protobuf.IValue;

/** A protobuf Struct, as the HTTP/JSON transport hands it over, back to plain JSON. */
export function structToJson(struct: Struct | null | undefined): Record<string, unknown> | undefined {
  if (!struct) return undefined;
  if (!('fields' in struct)) return struct as Record<string, unknown>; // already plain JSON
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([key, value]) => [key, valueToJson(value)]));
}

/** The id the role's document is stored under, as the IAM policy step computes it; none for a role IAM lacks. */
async function roleDocumentId(catalogue: GcpRoleCatalogue, roleName: string): Promise<string | undefined> {
  const role = await catalogue.role(roleName);
  return role ? contentId(gcpRoleBody(roleName, role)) : undefined;
}

function valueToJson(value: Value | null | undefined): unknown {
  if (!value) return null;
  if (value.structValue) return structToJson(value.structValue);
  if (value.listValue) return (value.listValue.values ?? []).map(valueToJson);
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.numberValue !== undefined && value.numberValue !== null) return value.numberValue;
  if (value.boolValue !== undefined && value.boolValue !== null) return value.boolValue;
  return null;
}

const secondsOf = (value: { seconds?: unknown } | null | undefined): number | undefined => {
  const seconds = Number(value?.seconds ?? Number.NaN);
  return Number.isFinite(seconds) ? seconds : undefined;
};

interface InsightContent {
  member?: unknown;
  role?: unknown;
  exercisedPermissions?: unknown;
}

export async function collectRecommenderPage(
  clients: GcpInventoryClients,
  system: GcpSystem,
  cursor: string | undefined,
  context: CollectContext,
  pageSize: number,
  catalogue: GcpRoleCatalogue,
): Promise<PageResult> {
  const parent = `${targetOf(system).resource}/locations/global/insightTypes/${INSIGHT_TYPE}`;
  const client = clients.recommender(system);
  const [insights, nextRequest] = await withTransientRetry(clients.tuning, () =>
    client.listInsights({ parent, pageSize, ...(cursor ? { pageToken: cursor } : {}) }, { autoPaginate: false }),
  );

  const usage = new Map<string, UsageDay>();
  const coverage = new Map<string, Coverage>();
  const skipped: SkippedItem[] = [];
  for (const insight of insights) {
    const content = structToJson(insight.content) as InsightContent | undefined;
    const refreshed = secondsOf(insight.lastRefreshTime);
    const period = secondsOf(insight.observationPeriod);
    const member = typeof content?.member === 'string' ? content.member : undefined;
    if (!content || !member || refreshed === undefined || period === undefined) {
      skipped.push({ reason: RecommenderSkipReason.InsightInvalid, item: insight.name ?? '(no name)' });
      continue;
    }
    const to = new Date(refreshed * 1000).toISOString();
    const from = new Date((refreshed - period) * 1000).toISOString();
    const day = to.slice(0, 10);
    const exercised = Array.isArray(content.exercisedPermissions) ? content.exercisedPermissions : [];
    for (const entry of exercised) {
      const permission = (entry as { permission?: unknown } | null)?.permission;
      if (typeof permission !== 'string') continue;
      const key = `${member}|${permission}`;
      const row = usage.get(key) ?? {
        systemId: system.id,
        identityId: member,
        action: permission,
        day,
        count: 0,
        denied: 0,
      };
      // the insight says whether, not how often: one use stands for "used in the period"
      row.count = 1;
      usage.set(key, row);
    }
    const roleName = typeof content.role === 'string' ? content.role : undefined;
    const documentId = roleName ? await roleDocumentId(catalogue, roleName) : undefined;
    if (!roleName || !documentId) {
      skipped.push({
        reason: RecommenderSkipReason.InsightRoleUnknown,
        item: insight.name ?? member,
        detail: roleName,
      });
      continue;
    }
    coverage.set(`${member}|${documentId}|${from}|${to}`, {
      systemId: system.id,
      identityId: member,
      source: 'recommender',
      granularity: 'window-total',
      from,
      to,
      actions: 'all',
      documentId,
      note: `IAM Recommender: permissions of ${roleName} exercised over the observation period, as one total`,
    });
    context.heartbeat({ step: 'usage:recommender', insight: insight.name });
  }

  const chunk = `usage:recommender|${cursor ?? ''}`;
  if (usage.size > 0) await context.sink.usage([...usage.values()], chunk);
  if (coverage.size > 0) await context.sink.coverage([...coverage.values()]);
  if (skipped.length > 0) await context.sink.skipped(skipped);
  const next = nextRequest?.pageToken || undefined;
  return {
    ...(next ? { next } : {}),
    counts: { insights: insights.length, usageRows: usage.size, skipped: skipped.length },
  };
}
