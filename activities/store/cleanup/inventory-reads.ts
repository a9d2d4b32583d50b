import type pg from 'pg';
import type { GrantPath, PolicyDocument } from '../../../domain/inventory/model';

/**
 * What the cleanup planner reads of the inventory besides identity views: the documents it may rewrite,
 * and when each grant path was first seen (the grace period).
 */

/**
 * The documents of a snapshot. Bodies only of those a plan may rewrite (not managed by the cloud): an
 * AWS-managed policy is never edited, so only its name and flag are read, which keeps the read small.
 */
export async function planDocuments(pool: pg.Pool, runId: string): Promise<Map<string, PolicyDocument>> {
  const result = await pool.query<{
    document_id: string;
    cloud: PolicyDocument['cloud'];
    kind: PolicyDocument['kind'];
    name: string;
    managed_by_cloud: boolean;
    body: unknown;
  }>(
    `SELECT d.document_id, d.cloud, d.kind, d.name, d.managed_by_cloud,
            CASE WHEN d.managed_by_cloud THEN NULL ELSE d.body END AS body
     FROM inventory_run_documents rd
     JOIN inventory_runs r ON r.run_key = rd.run_key
     JOIN inventory_documents d ON d.document_id = rd.document_id
     WHERE r.run_id = $1`,
    [runId],
  );
  return new Map(
    result.rows.map((row) => [
      row.document_id,
      {
        id: row.document_id,
        cloud: row.cloud,
        kind: row.kind,
        name: row.name,
        managedByCloud: row.managed_by_cloud,
        body: row.body,
      },
    ]),
  );
}

export type FirstSeen = (
  identityId: string,
  path: Pick<GrantPath, 'kind' | 'via' | 'documentId'>,
) => string | undefined;

/**
 * When each grant path of a system was first seen in a kept snapshot: an upper bound on when it was
 * granted (a path in the oldest kept snapshot may be older than that snapshot, never younger). So right
 * after Least is installed every path counts as just granted, and the grace period holds it back.
 */
export async function firstSeenPaths(pool: pg.Pool, systemId: string): Promise<FirstSeen> {
  const result = await pool.query<{ key: string; first_seen: Date }>(
    `SELECT p.identity_id || E'\\u0001' || p.kind || E'\\u0001' || coalesce(p.via, '') || E'\\u0001' ||
              coalesce(p.document_id, '') AS key,
            min(r.window_to) AS first_seen
     FROM inventory_grant_paths p
     JOIN inventory_runs r ON r.run_key = p.run_key AND r.system_id = $1 AND r.status = 'succeeded'
     GROUP BY 1`,
    [systemId],
  );
  const seen = new Map<string, string>();
  for (const row of result.rows) seen.set(row.key, row.first_seen.toISOString());
  return (identityId, path) =>
    seen.get(`${identityId}\u0001${path.kind}\u0001${path.via ?? ''}\u0001${path.documentId ?? ''}`);
}
