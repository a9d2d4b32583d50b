import type pg from 'pg';

/** One identity's calls to one removed action, denied on one UTC day, that nobody was told about yet. */
export interface CleanupDenial {
  /** The cleanup run and item that removed the action. */
  runId: string;
  itemId: string;
  /** When Least removed it (the item's outcome time). */
  removedAt: string;
  identityId: string;
  /** As the inventory spells it (CloudTrail's IAM action). */
  action: string;
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  denied: number;
}

interface DenialRow {
  run_id: string;
  item_id: string;
  outcome_at: Date;
  identity_id: string;
  action: string;
  day: string;
  denied: number;
}

/**
 * The denied-call watch's reads and writes (`cleanup_denials_told`, migration 010): which calls the
 * cloud denied to an action a cleanup removed, as one collection counted them, and which were told.
 */
export class CleanupDenials {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Calls denied in one inventory run to actions that a cleanup of `systemId` removed since `since`
   * and nobody restored: the item's identity, an action of its removal set (case aside), on the day
   * of the removal or later. Those already told are left out. Ordered by run, item, day, identity, action.
   */
  async untold(systemId: string, inventoryRunId: string, since: string): Promise<CleanupDenial[]> {
    const result = await this.pool.query<DenialRow>(
      `WITH removed AS (
         SELECT i.run_id, i.item_id, i.outcome_at, i.identities, i.remove_actions
         FROM cleanup_items i JOIN cleanup_runs r ON r.run_id = i.run_id
         WHERE r.system_id = $1 AND i.outcome IN ('removed', 'staged') AND i.restored_at IS NULL
           AND i.outcome_at >= $3 AND cardinality(i.remove_actions) > 0
       ),
       watched AS (
         SELECT DISTINCT d.run_id, d.item_id, d.outcome_at, ident.id AS identity_id, lower(a.action) AS action
         FROM removed d
         CROSS JOIN LATERAL jsonb_to_recordset(d.identities) AS ident (id text)
         CROSS JOIN LATERAL unnest(d.remove_actions) AS a (action)
       )
       SELECT w.run_id, w.item_id, w.outcome_at, w.identity_id, u.action, to_char(u.day, 'YYYY-MM-DD') AS day,
              u.denied
       FROM watched w
       JOIN inventory_runs ir ON ir.run_id = $2 AND ir.system_id = $1
       JOIN inventory_usage u ON u.run_key = ir.run_key AND u.identity_id = w.identity_id
         AND lower(u.action) = w.action
       WHERE u.denied > 0 AND u.day >= (w.outcome_at AT TIME ZONE 'UTC')::date
         AND NOT EXISTS (
           SELECT 1 FROM cleanup_denials_told t
           WHERE t.run_id = w.run_id AND t.item_id = w.item_id AND t.identity_id = w.identity_id
             AND t.action = w.action AND t.day = u.day
         )
       ORDER BY w.run_id, w.item_id, u.day, w.identity_id, u.action`,
      [systemId, inventoryRunId, since],
    );
    return result.rows.map((row) => ({
      runId: row.run_id,
      itemId: row.item_id,
      removedAt: row.outcome_at.toISOString(),
      identityId: row.identity_id,
      action: row.action,
      day: row.day,
      denied: row.denied,
    }));
  }

  /** Records these as told; telling them again records nothing. */
  async markTold(denials: readonly CleanupDenial[], inventoryRunId: string): Promise<void> {
    if (denials.length === 0) return;
    await this.pool.query(
      `INSERT INTO cleanup_denials_told (run_id, item_id, identity_id, action, day, denied, collection_run_id)
       SELECT d.run_id, d.item_id, d.identity_id, lower(d.action), d.day, d.denied, $2
       FROM jsonb_to_recordset($1::jsonb) AS d (run_id text, item_id text, identity_id text, action text, day date,
              denied int)
       ON CONFLICT DO NOTHING`,
      [
        JSON.stringify(
          denials.map((d) => ({
            run_id: d.runId,
            item_id: d.itemId,
            identity_id: d.identityId,
            action: d.action,
            day: d.day,
            denied: d.denied,
          })),
        ),
        inventoryRunId,
      ],
    );
  }
}
