import type pg from 'pg';
import type {
  AccessLevel,
  Coverage,
  DocumentAction,
  GrantPathKind,
  Identity,
  IdentityKind,
  IdentityNature,
} from '../../../domain/inventory/model';
import { effectiveGrants } from '../../../domain/inventory/grants';
import { attachUsage } from '../../../domain/inventory/verdicts';
import type { ActionUsage, GrantedAction, IdentityView, ViewPath } from '../../../domain/inventory/view';
import { RUN_COLUMNS, toCollectionRun, type RunRow } from './runs';

/** Nested groups are followed this deep; deeper (or circular) nesting stops there. */
export const GROUP_DEPTH = 8;
const DEFAULT_UNUSED_LIMIT = 1000;
const MAX_UNUSED_LIMIT = 100_000;

/** The run asked for, or the system's current snapshot. */
async function snapshot(pool: pg.Pool, systemId: string, runId?: string): Promise<RunRow | undefined> {
  const result = await pool.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM inventory_runs
     WHERE system_id = $1 AND run_id = coalesce($2, (SELECT run_id FROM inventory_current WHERE system_id = $1))`,
    [systemId, runId ?? null],
  );
  return result.rows[0];
}

export interface IdentityRow {
  identity_id: string;
  kind: IdentityKind;
  name: string;
  nature: IdentityNature;
  owner: string | null;
  tags: Record<string, string>;
  created_at: Date | null;
  last_activity_at: Date | null;
  parent_id: string | null;
  path: string | null;
  disabled: boolean;
  trust_policy: unknown;
  unreadable: string[] | null;
  provisioned_accounts: string[] | null;
}

export function toIdentity(systemId: string, row: IdentityRow): Identity {
  return {
    systemId,
    id: row.identity_id,
    kind: row.kind,
    name: row.name,
    nature: row.nature,
    ...(row.owner !== null ? { owner: row.owner } : {}),
    tags: row.tags,
    ...(row.created_at ? { createdAt: row.created_at.toISOString() } : {}),
    ...(row.last_activity_at ? { lastActivityAt: row.last_activity_at.toISOString() } : {}),
    ...(row.parent_id !== null ? { parentId: row.parent_id } : {}),
    ...(row.path !== null ? { path: row.path } : {}),
    ...(row.disabled ? { disabled: true } : {}),
    ...(row.trust_policy !== null ? { trustPolicy: row.trust_policy } : {}),
    ...(row.unreadable?.length ? { unreadable: row.unreadable } : {}),
    ...(row.provisioned_accounts !== null ? { provisionedAccounts: row.provisioned_accounts } : {}),
  };
}

export const IDENTITY_COLUMNS = `identity_id, kind, name, nature, owner, tags, created_at, last_activity_at,
  parent_id, path, disabled, trust_policy, unreadable, provisioned_accounts`;

/** A grant path as stored. */
export interface StoredPathRow {
  identity_id: string;
  kind: GrantPathKind;
  document_id: string | null;
  via: string | null;
  scope: string;
  conditional: boolean;
}

interface PathRow extends StoredPathRow {
  inherited_from: string | null;
  document_name: string | null;
}

function toViewPath(systemId: string, row: PathRow): ViewPath {
  return {
    systemId,
    identityId: row.identity_id,
    kind: row.kind,
    ...(row.document_id !== null ? { documentId: row.document_id } : {}),
    ...(row.via !== null ? { via: row.via } : {}),
    scope: row.scope,
    conditional: row.conditional,
    ...(row.inherited_from !== null ? { inheritedFrom: row.inherited_from } : {}),
    ...(row.document_name !== null ? { documentName: row.document_name } : {}),
  };
}

/** The groups an identity belongs to, directly or through nested groups, as a CTE over $1 run and $2 identity. */
const GROUPS_OF = `groups_of(group_id, depth) AS (
    SELECT via, 1 FROM inventory_grant_paths
    WHERE run_key = $1 AND identity_id = $2 AND kind IN ('group-membership', 'permission-set')
    UNION
    SELECT p.via, g.depth + 1 FROM groups_of g
    JOIN inventory_grant_paths p ON p.run_key = $1 AND p.identity_id = g.group_id
      AND p.kind IN ('group-membership', 'permission-set')
    WHERE g.depth < ${GROUP_DEPTH}
  )`;

export async function identityView(
  pool: pg.Pool,
  systemId: string,
  name: string,
  options: { runId?: string },
): Promise<IdentityView | undefined> {
  const run = await snapshot(pool, systemId, options.runId);
  if (!run) return undefined;
  const found = await pool.query<IdentityRow>(
    `SELECT ${IDENTITY_COLUMNS}
     FROM inventory_identities WHERE run_key = $1 AND (identity_id = $2 OR lower(name) = lower($2))
     ORDER BY identity_id = $2 DESC, identity_id LIMIT 1`,
    [run.run_key, name],
  );
  const row = found.rows[0];
  if (!row) return undefined;
  const identity = toIdentity(systemId, row);

  const pathRows = await pool.query<PathRow>(
    `WITH RECURSIVE ${GROUPS_OF},
     held AS (
       SELECT p.*, NULL::text AS inherited_from FROM inventory_grant_paths p WHERE p.run_key = $1 AND p.identity_id = $2
       UNION ALL
       SELECT p.*, p.identity_id FROM inventory_grant_paths p
       WHERE p.run_key = $1 AND p.identity_id IN (SELECT group_id FROM groups_of) AND p.identity_id <> $2
     )
     SELECT h.identity_id, h.kind, h.document_id, h.via, h.scope, h.conditional, h.inherited_from,
            d.name AS document_name
     FROM held h LEFT JOIN inventory_documents d ON d.document_id = h.document_id
     ORDER BY h.inherited_from NULLS FIRST, h.kind, h.document_id, h.via, h.scope`,
    [run.run_key, identity.id],
  );
  const paths = pathRows.rows.map((p) => toViewPath(systemId, p));

  const [granted, usage, coverage] = await Promise.all([
    grantedActions(pool, paths),
    usageInWindow(pool, run, identity.id),
    coverageOf(pool, run, identity.id),
  ]);
  attachUsage(granted, usage, coverage, identity, {
    from: run.window_from.toISOString(),
    to: run.window_to.toISOString(),
  });
  return { run: toCollectionRun(run), identity, paths, granted, usage, coverage };
}

/** The stored expansions of some documents, by document id. */
export async function documentActions(
  pool: pg.Pool,
  documentIds: readonly string[],
): Promise<Map<string, DocumentAction[]>> {
  const byDocument = new Map<string, DocumentAction[]>();
  if (documentIds.length === 0) return byDocument;
  const result = await pool.query<{
    document_id: string;
    action: string;
    effect: 'allow' | 'deny';
    access_levels: AccessLevel[];
    resource_reach: 'all' | 'some';
    conditional: boolean;
  }>(
    `SELECT document_id, action, effect, access_levels, resource_reach, conditional
     FROM inventory_document_actions WHERE document_id = ANY($1::text[])`,
    [[...new Set(documentIds)]],
  );
  for (const r of result.rows) {
    const row: DocumentAction = {
      documentId: r.document_id,
      action: r.action,
      effect: r.effect,
      accessLevels: r.access_levels,
      resourceReach: r.resource_reach,
      conditional: r.conditional,
    };
    const list = byDocument.get(r.document_id);
    if (list) list.push(row);
    else byDocument.set(r.document_id, [row]);
  }
  return byDocument;
}

/** Allow minus deny over the documents the paths hold (domain/inventory/grants.ts). */
async function grantedActions(pool: pg.Pool, paths: ViewPath[]): Promise<GrantedAction[]> {
  const held = paths.flatMap((p) => (p.documentId ? [p.documentId] : []));
  if (held.length === 0) return [];
  const byDocument = await documentActions(pool, held);
  return effectiveGrants(paths, (id) => byDocument.get(id));
}

/** The run's window as UTC days, inclusive. */
const WINDOW_DAYS = `(r.window_from AT TIME ZONE 'UTC')::date AND (r.window_to AT TIME ZONE 'UTC')::date`;

async function usageInWindow(pool: pg.Pool, run: RunRow, identityId: string): Promise<ActionUsage[]> {
  const result = await pool.query<{
    action: string;
    count: number;
    denied: number;
    first_used: string | null;
    last_used: string | null;
  }>(
    `SELECT u.action, sum(u.count)::int AS count, sum(u.denied)::int AS denied,
            min(u.day) FILTER (WHERE u.count > 0)::text AS first_used,
            max(u.day) FILTER (WHERE u.count > 0)::text AS last_used
     FROM inventory_usage u JOIN inventory_runs r ON r.run_key = u.run_key
     WHERE u.run_key = $1 AND u.identity_id = $2 AND u.day BETWEEN ${WINDOW_DAYS}
     GROUP BY u.action ORDER BY u.action`,
    [run.run_key, identityId],
  );
  return result.rows.map((r) => ({
    action: r.action,
    count: r.count,
    denied: r.denied,
    ...(r.first_used ? { firstUsed: r.first_used } : {}),
    ...(r.last_used ? { lastUsed: r.last_used } : {}),
  }));
}

function coverageOf(pool: pg.Pool, run: RunRow, identityId: string): Promise<Coverage[]> {
  return coverageRows(pool, run, [identityId, '*']);
}

/** The coverage rows of these identities (`*`: the whole system), each identity's apart, the system's last. */
export async function coverageRows(pool: pg.Pool, run: RunRow, identityIds: readonly string[]): Promise<Coverage[]> {
  const result = await pool.query<{
    identity_id: string;
    source: Coverage['source'];
    granularity: Coverage['granularity'];
    from_at: Date;
    to_at: Date;
    actions: Coverage['actions'];
    services: string[] | null;
    except_actions: string[] | null;
    document_id: string | null;
    note: string | null;
  }>(
    `SELECT identity_id, source, granularity, from_at, to_at, actions, services, except_actions, document_id, note
     FROM inventory_coverage
     WHERE run_key = $1 AND identity_id = ANY($2::text[])
     ORDER BY identity_id = '*', identity_id, source, granularity, from_at`,
    [run.run_key, identityIds],
  );
  return result.rows.map((c) => ({
    systemId: run.system_id,
    identityId: c.identity_id,
    source: c.source,
    granularity: c.granularity,
    from: c.from_at.toISOString(),
    to: c.to_at.toISOString(),
    actions: c.actions,
    ...(c.services !== null ? { services: c.services } : {}),
    ...(c.except_actions !== null ? { exceptActions: c.except_actions } : {}),
    ...(c.document_id !== null ? { documentId: c.document_id } : {}),
    ...(c.note !== null ? { note: c.note } : {}),
  }));
}

export interface UnusedHolder {
  identityId: string;
  name: string;
  /** Denied attempts at the action in the window (tried, not used). */
  denied: number;
}

export async function unusedHolders(
  pool: pg.Pool,
  systemId: string,
  action: string,
  options: { runId?: string; limit?: number },
): Promise<UnusedHolder[]> {
  const run = await snapshot(pool, systemId, options.runId);
  if (!run) return [];
  const limit = Math.max(1, Math.min(MAX_UNUSED_LIMIT, Math.floor(options.limit ?? DEFAULT_UNUSED_LIMIT)));
  const result = await pool.query<{ identity_id: string; name: string; denied: number }>(
    `WITH RECURSIVE
     granting AS (
       SELECT document_id FROM inventory_document_actions WHERE action = $2 AND effect = 'allow'
     ),
     holders(identity_id, depth) AS (
       SELECT DISTINCT p.identity_id, 0 FROM inventory_grant_paths p
       WHERE p.run_key = $1 AND p.document_id IN (SELECT document_id FROM granting)
         AND p.kind <> 'permissions-boundary'
       UNION
       SELECT m.identity_id, h.depth + 1 FROM holders h
       JOIN inventory_grant_paths m ON m.run_key = $1 AND m.kind IN ('group-membership', 'permission-set')
         AND m.via = h.identity_id
       WHERE h.depth < ${GROUP_DEPTH}
     ),
     used AS (
       SELECT u.identity_id, sum(u.count) AS count, sum(u.denied)::int AS denied
       FROM inventory_usage u JOIN inventory_runs r ON r.run_key = u.run_key
       WHERE u.run_key = $1 AND u.action = $2 AND u.day BETWEEN ${WINDOW_DAYS}
       GROUP BY u.identity_id
     )
     SELECT i.identity_id, i.name, coalesce(used.denied, 0) AS denied
     FROM (SELECT DISTINCT identity_id FROM holders) h
     JOIN inventory_identities i ON i.run_key = $1 AND i.identity_id = h.identity_id
     LEFT JOIN used ON used.identity_id = h.identity_id
     WHERE i.nature <> 'group' AND coalesce(used.count, 0) = 0
     ORDER BY i.identity_id LIMIT $3`,
    [run.run_key, action, limit],
  );
  return result.rows.map((r) => ({ identityId: r.identity_id, name: r.name, denied: r.denied }));
}
