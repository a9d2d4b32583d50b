import type pg from 'pg';
import type { Cloud, CollectionRun, CollectionStatus, SkippedItem } from '../../../domain/inventory/model';
import { InventoryStoreError } from './errors';
import { ErrorCode } from '../../../domain/errors';

/** How many skipped items a run carries when read; every one is counted (`skippedItems`). */
export const SKIPPED_SHOWN = 200;

/**
 * Skipped items a run keeps per reason (sink.ts); past them a reason's items are only counted, in its row
 * whose item is SKIPPED_MORE (never a real item: the sink names an empty one) and whose detail is the number.
 */
export const SKIPPED_KEPT = 50;
export const SKIPPED_MORE = '';

export const RUN_COLUMNS = `run_id, run_key, system_id, status, started_at, finished_at, window_from, window_to,
  catalogues, counts, error,
  (SELECT coalesce(sum(CASE WHEN item = '${SKIPPED_MORE}' THEN detail::bigint ELSE 1 END), 0)
   FROM inventory_skipped s WHERE s.run_key = inventory_runs.run_key)::int AS skipped_total,
  (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object('reason', reason, 'item', item, 'detail', detail))
     ORDER BY reason, more, item), '[]')
   FROM (SELECT reason, more,
                CASE WHEN more THEN detail || ' more' ELSE item END AS item,
                CASE WHEN more THEN 'not listed: a run keeps the first ${SKIPPED_KEPT} of a reason' ELSE detail END
                  AS detail
         FROM (SELECT *, item = '${SKIPPED_MORE}' AS more FROM inventory_skipped) s
         WHERE s.run_key = inventory_runs.run_key
         ORDER BY reason, more, s.item LIMIT ${SKIPPED_SHOWN}) shown) AS skipped`;

export interface RunRow {
  run_id: string;
  run_key: string;
  system_id: string;
  status: CollectionStatus;
  started_at: Date;
  finished_at: Date | null;
  window_from: Date;
  window_to: Date;
  catalogues: Partial<Record<Cloud, string>>;
  counts: Record<string, number>;
  error: string | null;
  skipped_total: number;
  skipped: SkippedItem[];
}

export function toCollectionRun(row: RunRow): CollectionRun {
  return {
    runId: row.run_id,
    systemId: row.system_id,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
    windowFrom: row.window_from.toISOString(),
    windowTo: row.window_to.toISOString(),
    catalogues: row.catalogues,
    counts: row.skipped_total > 0 ? { ...row.counts, skippedItems: row.skipped_total } : row.counts,
    skipped: row.skipped,
    ...(row.error !== null ? { error: row.error } : {}),
  };
}

/** What a write under a run needs to know about it. */
export interface OpenRun {
  key: string;
  systemId: string;
}

/**
 * Locks the run against finishing or failing while a batch is written under it (FOR KEY SHARE: batches of one
 * run still write side by side), and refuses a run that is unknown or already over.
 */
export async function lockOpenRun(client: pg.PoolClient, runId: string): Promise<OpenRun> {
  const result = await client.query<{ run_key: string; system_id: string; status: CollectionStatus }>(
    'SELECT run_key, system_id, status FROM inventory_runs WHERE run_id = $1 FOR KEY SHARE',
    [runId],
  );
  const row = result.rows[0];
  if (!row) throw new InventoryStoreError(ErrorCode.InventoryRunUnknown, `inventory run ${runId} was never begun`);
  if (row.status !== 'running') {
    throw new InventoryStoreError(
      ErrorCode.InventoryRunClosed,
      `inventory run ${runId} has ${row.status}; nothing more can be written under it`,
    );
  }
  return { key: row.run_key, systemId: row.system_id };
}
