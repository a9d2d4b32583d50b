import type { logging_v2 } from '@googleapis/logging';
import { gcpMemberIdentity } from '../../../domain/inventory/gcp-role';
import type { Coverage, SkippedItem } from '../../../domain/inventory/model';
import { targetOf, type GcpSystem } from '../../cloud/gcp/errors';
import { withTransientRetry } from '../../cloud/gcp/resource-manager';
import type { CollectContext, PageResult } from '../collector';
import type { GcpInventoryClients } from './clients';
import { UsageTally } from '../usage-tally';

/**
 * Usage from the Cloud Audit Logs of the system's project or folder (Logging v2 `entries.list`), one
 * page per call. Admin Activity logs are always written, so they vouch for admin writes over the whole
 * window. Data Access logs are off by default and, when on, kept 30 days in the `_Default` bucket: Least
 * cannot ask whether they are on (that is in the IAM policy's auditConfigs, per service and log type),
 * so it infers it from entries seen: a service with Data Access entries counts as fully logged from its
 * first entry on; every other read or data use stays unknown. The inference rides in the cursor, and the
 * page that ends the step writes it as coverage. A folder's logs hold only calls on the folder itself (its
 * projects log their own): for a folder system they count as use, and the step claims no coverage.
 *
 * Attribution: `authenticationInfo.principalEmail` as a member (`serviceAccount:` for a
 * `*.gserviceaccount.com` address, `user:` otherwise); the permissions Google checked
 * (`authorizationInfo[].permission`, `granted` false or absent is an attempt) or, when it checked none, a
 * `methodName` that is itself a permission (Cloud Storage logs those).
 */

export const AuditLogSkipReason = {
  /** An entry without a time, an audit payload or a permission Least can name. */
  EntryInvalid: 'gcp.audit-log.invalid',
  /** A folder's own logs were read, not its projects': what they show is used, the rest stays unknown. */
  FolderOnly: 'gcp.audit-log.folder-only',
} as const;

const ADMIN_ACTIVITY = 'cloudaudit.googleapis.com%2Factivity';
const DATA_ACCESS = 'cloudaudit.googleapis.com%2Fdata_access';
const PERMISSION = /^[a-z][a-zA-Z0-9-]*(\.[a-zA-Z0-9-]+){2,}$/;

/**
 * Data-plane writes: logged as DATA_WRITE in Data Access logs, never in Admin Activity, though their verbs
 * read as writes. The writes coverage leaves them out. Known families only; see docs/gcp-setup.md.
 */
export const DATA_WRITE_PERMISSIONS = [
  'storage.objects.*',
  'storage.multipartUploads.*',
  'bigquery.tables.updateData',
  'bigquery.tables.getData',
  'pubsub.topics.publish',
  'pubsub.subscriptions.consume',
  'secretmanager.versions.access',
  'cloudkms.cryptoKeyVersions.use*',
  'datastore.entities.*',
  'spanner.databases.write',
  'bigtable.tables.mutateRows',
  'cloudsql.instances.connect',
  'run.routes.invoke',
  'cloudfunctions.functions.call',
  'cloudfunctions.functions.invoke',
];

/** What a step carries from page to page: Google's page token and the Data Access entries seen so far. */
interface AuditLogCursor {
  page?: string;
  /** Permission prefix (`storage`) → time of its first Data Access entry in the window. */
  dataAccess: Record<string, string>;
}

function readCursor(cursor: string | undefined): AuditLogCursor {
  if (!cursor) return { dataAccess: {} };
  try {
    const parsed = JSON.parse(cursor) as Partial<AuditLogCursor>;
    return { ...(parsed.page ? { page: parsed.page } : {}), dataAccess: { ...parsed.dataAccess } };
  } catch {
    return { page: cursor, dataAccess: {} };
  }
}

/** The Logging filter: both audit logs of the project or folder, within the window. */
export function auditLogFilter(resource: string, window: { from: string; to: string }): string {
  const logs = [ADMIN_ACTIVITY, DATA_ACCESS].map((log) => `"${resource}/logs/${log}"`).join(' OR ');
  return `logName=(${logs}) AND timestamp>="${window.from}" AND timestamp<="${window.to}"`;
}

/** The member an audit log's caller is, as IAM policies name it; none for a redacted or federated caller. */
export function auditLogMember(principalEmail: unknown): string | undefined {
  if (typeof principalEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(principalEmail)) return undefined;
  const member = /\.gserviceaccount\.com$/i.test(principalEmail)
    ? `serviceAccount:${principalEmail}`
    : `user:${principalEmail}`;
  return 'skip' in gcpMemberIdentity(member) ? undefined : member;
}

interface AuditPayload {
  methodName?: unknown;
  authenticationInfo?: { principalEmail?: unknown };
  authorizationInfo?: unknown;
  status?: { code?: unknown };
  requestMetadata?: { callerIp?: unknown };
}

/** Each permission the entry used (`true`) or was refused (`false`); empty when it names none. */
function permissionsOf(payload: AuditPayload): Map<string, boolean> {
  const found = new Map<string, boolean>();
  const checks = Array.isArray(payload.authorizationInfo) ? (payload.authorizationInfo as unknown[]) : [];
  for (const check of checks) {
    const { permission, granted } = (check ?? {}) as { permission?: unknown; granted?: unknown };
    if (typeof permission !== 'string' || !PERMISSION.test(permission)) continue;
    // proto3 JSON leaves out a false `granted`: absent is a refusal
    found.set(permission, (found.get(permission) ?? false) || granted === true);
  }
  if (found.size === 0 && typeof payload.methodName === 'string' && PERMISSION.test(payload.methodName)) {
    // google.rpc.Code 7 is PERMISSION_DENIED
    found.set(payload.methodName, Number(payload.status?.code ?? 0) !== 7);
  }
  return found;
}

const serviceOf = (permission: string): string => permission.slice(0, permission.indexOf('.'));

function coverageOf(system: GcpSystem, window: { from: string; to: string }, state: AuditLogCursor): Coverage[] {
  const writes: Coverage = {
    systemId: system.id,
    identityId: '*',
    source: 'audit-log',
    granularity: 'action-day',
    from: window.from,
    to: window.to,
    actions: 'writes',
    exceptActions: DATA_WRITE_PERMISSIONS,
    note:
      'Cloud Audit Logs, Admin Activity: admin writes only. No Data Access entries were seen for other services, ' +
      'so their reads and data use are unknown (Data Access logs are off by default).',
  };
  // one row per first-seen time, so a service logged only lately claims only that span
  const byStart = new Map<string, string[]>();
  for (const [service, first] of Object.entries(state.dataAccess)) {
    byStart.set(first, [...(byStart.get(first) ?? []), service].sort());
  }
  const all = [...byStart.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, services]): Coverage => ({
      systemId: system.id,
      identityId: '*',
      source: 'audit-log',
      granularity: 'action-day',
      from,
      to: window.to,
      actions: 'all',
      services,
      note:
        `Cloud Audit Logs, Data Access: inferred from entries seen for ${services.join(', ')} since ${from}; ` +
        'Least cannot see which Data Access log types (ADMIN_READ, DATA_READ, DATA_WRITE) are on.',
    }));
  return [writes, ...all];
}

export async function collectAuditLogPage(
  clients: GcpInventoryClients,
  system: GcpSystem,
  cursor: string | undefined,
  context: CollectContext,
  pageSize: number,
): Promise<PageResult> {
  const target = targetOf(system);
  const { resource } = target;
  const state = readCursor(cursor);
  const client = clients.logging(system);
  const { data } = await withTransientRetry(clients.tuning, () =>
    client.entries.list({
      requestBody: {
        resourceNames: [resource],
        filter: auditLogFilter(resource, context.window),
        orderBy: 'timestamp asc',
        pageSize,
        ...(state.page ? { pageToken: state.page } : {}),
      },
    }),
  );
  const entries: logging_v2.Schema$LogEntry[] = data.entries ?? [];

  const tally = new UsageTally(system.id);
  const skipped: SkippedItem[] = [];
  let unattributed = 0;
  for (const entry of entries) {
    const payload = entry.protoPayload as AuditPayload | undefined;
    const at = new Date(Date.parse(entry.timestamp ?? ''));
    const permissions = payload ? permissionsOf(payload) : new Map<string, boolean>();
    if (!payload || Number.isNaN(at.getTime()) || permissions.size === 0) {
      skipped.push({
        reason: AuditLogSkipReason.EntryInvalid,
        item: entry.insertId ?? '(no insertId)',
        ...(typeof payload?.methodName === 'string' ? { detail: payload.methodName } : {}),
      });
      continue;
    }
    if (entry.logName?.endsWith(`/logs/${DATA_ACCESS}`)) {
      for (const permission of permissions.keys()) {
        const service = serviceOf(permission);
        const first = state.dataAccess[service];
        if (!first || at.toISOString() < first) state.dataAccess[service] = at.toISOString();
      }
    }
    const identityId = auditLogMember(payload.authenticationInfo?.principalEmail);
    if (!identityId) {
      unattributed += 1; // a redacted caller, a workforce or workload identity federation principal
      continue;
    }
    for (const [action, granted] of permissions) tally.add(identityId, action, at, granted);
    const address = payload.requestMetadata?.callerIp;
    tally.seen(identityId, at, typeof address === 'string' ? address : undefined);
  }
  context.heartbeat({ step: 'usage:audit-log', entries: entries.length });

  const chunk = `usage:audit-log|${cursor ?? ''}`;
  await tally.writeTo(context.sink, chunk);
  if (skipped.length > 0) await context.sink.skipped(skipped);
  const next = data.nextPageToken || undefined;
  if (!next && target.kind === 'folder') {
    // calls on resources in the folder's projects are logged in each project, not in the folder: its logs
    // cannot vouch that a folder-wide grant went unused
    await context.sink.skipped([
      {
        reason: AuditLogSkipReason.FolderOnly,
        item: resource,
        detail: "the folder's own audit logs only, not its projects': no coverage is claimed, unused stays unknown",
      },
    ]);
  } else if (!next) {
    await context.sink.coverage(coverageOf(system, context.window, state));
  }
  return {
    ...(next ? { next: JSON.stringify({ page: next, dataAccess: state.dataAccess }) } : {}),
    counts: {
      auditLogEntries: entries.length,
      usageRows: tally.rows,
      auditLogEntriesUnattributed: unattributed,
      skipped: skipped.length,
    },
  };
}
