import type pg from 'pg';
import type {
  AccessLevel,
  ActionCatalogue,
  Cloud,
  CollectionRun,
  InventorySink,
} from '../../../domain/inventory/model';
import type { IdentityView } from '../../../domain/inventory/view';
import { inTransaction } from '../transaction';
import { InventoryStoreError } from './errors';
import { RUN_COLUMNS, toCollectionRun, type RunRow } from './runs';
import { RunSink } from './sink';
import { IdentityViewStream } from './views';
import { identityView, unusedHolders, type UnusedHolder } from './view';
import { ErrorCode } from '../../../domain/errors';

const DEFAULT_RUNS_LIMIT = 20;
const MAX_RUNS_LIMIT = 500;

export interface FinishOptions {
  /** Successful snapshots kept per system, the new one included; older ones are deleted. Absent: keep all. */
  snapshotsKept?: number;
  /** Usage detail (hours, regions, addresses) of days before this ISO date is deleted, in every run of the system. */
  usageDetailBefore?: string;
  /** Catalogue versions as the run ends, replacing those recorded when it began. */
  catalogues?: Partial<Record<Cloud, string>>;
}

/**
 * Inventory snapshots in PostgreSQL. A collection run is written in pages through `sink(runId)` and becomes
 * the system's current snapshot only when `finishRun` commits; until then, and if it fails, readers see
 * the previous one. Every write is idempotent, because the activities that make them are retried.
 */
export class InventoryStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Starts a run, or returns the run already begun under this id (a retried activity). */
  async beginRun(input: {
    runId: string;
    systemId: string;
    windowFrom: string;
    windowTo: string;
    catalogues: Partial<Record<Cloud, string>>;
  }): Promise<CollectionRun> {
    await this.pool.query(
      `INSERT INTO inventory_runs (run_id, system_id, status, window_from, window_to, catalogues)
       VALUES ($1, $2, 'running', $3, $4, $5) ON CONFLICT (run_id) DO NOTHING`,
      [input.runId, input.systemId, input.windowFrom, input.windowTo, JSON.stringify(input.catalogues)],
    );
    const run = await this.run(input.runId);
    if (!run || run.systemId !== input.systemId) {
      throw new InventoryStoreError(
        ErrorCode.InventoryRunUnknown,
        `inventory run ${input.runId} belongs to system ${run?.systemId ?? '?'}, not ${input.systemId}`,
      );
    }
    return run;
  }

  sink(runId: string): InventorySink {
    return new RunSink(this.pool, runId);
  }

  /** Adds to the run's named counts (a missing name starts at 0). */
  async addCounts(runId: string, counts: Record<string, number>): Promise<void> {
    const result = await this.pool.query(
      `UPDATE inventory_runs SET counts = (
         SELECT coalesce(jsonb_object_agg(key, total), '{}') FROM (
           SELECT key, sum(value) AS total FROM (
             SELECT key, value::numeric FROM jsonb_each_text(counts)
             UNION ALL
             SELECT key, value::numeric FROM jsonb_each_text($2::jsonb)
           ) added GROUP BY key
         ) summed)
       WHERE run_id = $1`,
      [runId, JSON.stringify(counts)],
    );
    if (result.rowCount === 0) throw unknownRun(runId);
  }

  /**
   * In one transaction: marks the run succeeded, makes it the system's current snapshot (unless a run
   * started later is current already), deletes successful snapshots beyond `snapshotsKept`, usage detail
   * before `usageDetailBefore`, and documents no remaining run holds. Finishing twice returns the same run.
   */
  async finishRun(runId: string, options: FinishOptions = {}): Promise<CollectionRun> {
    if (options.snapshotsKept !== undefined && !(Number.isInteger(options.snapshotsKept) && options.snapshotsKept >= 1))
      throw new RangeError(`snapshotsKept must be a whole number ≥ 1, not ${options.snapshotsKept}`);
    await inTransaction(this.pool, async (client) => {
      const locked = await client.query<{ system_id: string; status: string; started_at: Date }>(
        'SELECT system_id, status, started_at FROM inventory_runs WHERE run_id = $1 FOR UPDATE',
        [runId],
      );
      const run = locked.rows[0];
      if (!run) throw unknownRun(runId);
      if (run.status === 'succeeded') return;
      if (run.status === 'failed') {
        throw new InventoryStoreError(ErrorCode.InventoryRunClosed, `inventory run ${runId} failed; it cannot succeed`);
      }
      await client.query(
        `UPDATE inventory_runs SET status = 'succeeded', finished_at = now(),
           catalogues = catalogues || $2::jsonb WHERE run_id = $1`,
        [runId, JSON.stringify(options.catalogues ?? {})],
      );
      // Serialises finishes of one system; the current row may not exist yet.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inventory:${run.system_id}`]);
      await client.query(
        `INSERT INTO inventory_current (system_id, run_id) VALUES ($1, $2)
         ON CONFLICT (system_id) DO UPDATE SET run_id = EXCLUDED.run_id
         WHERE (SELECT started_at FROM inventory_runs WHERE run_id = inventory_current.run_id) <= $3`,
        [run.system_id, runId, run.started_at],
      );
      if (options.snapshotsKept !== undefined) await pruneSnapshots(client, run.system_id, options.snapshotsKept);
      if (options.usageDetailBefore !== undefined) {
        await client.query(
          `DELETE FROM inventory_usage_detail d USING inventory_runs r
           WHERE d.run_key = r.run_key AND r.system_id = $1 AND d.day < $2::date`,
          [run.system_id, options.usageDetailBefore],
        );
      }
    });
    // A snapshot is read right after it is written (the findings stream it at once): without fresh
    // statistics the planner scans whole tables for every page. ANALYZE samples, so this stays cheap.
    await this.pool.query(
      'ANALYZE inventory_identities, inventory_grant_paths, inventory_usage, inventory_coverage, inventory_document_actions',
    );
    return (await this.run(runId)) as CollectionRun;
  }

  /**
   * Marks the run failed and deletes what it wrote (its skipped items stay: they say why). The current
   * snapshot does not move. Failing a run twice keeps the first error; a succeeded run cannot fail.
   */
  async failRun(runId: string, error: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const locked = await client.query<{ run_key: string; status: string }>(
        'SELECT run_key, status FROM inventory_runs WHERE run_id = $1 FOR UPDATE',
        [runId],
      );
      const run = locked.rows[0];
      if (!run) throw unknownRun(runId);
      if (run.status === 'failed') return;
      if (run.status === 'succeeded') {
        throw new InventoryStoreError(ErrorCode.InventoryRunClosed, `inventory run ${runId} already succeeded`);
      }
      await client.query(
        `UPDATE inventory_runs SET status = 'failed', finished_at = now(), error = $2 WHERE run_id = $1`,
        [runId, error],
      );
      await deleteRunRows(client, run.run_key, { keepSkipped: true });
    });
  }

  async currentRun(systemId: string): Promise<CollectionRun | undefined> {
    const result = await this.pool.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM inventory_runs
       WHERE run_id = (SELECT run_id FROM inventory_current WHERE system_id = $1)`,
      [systemId],
    );
    return result.rows[0] && toCollectionRun(result.rows[0]);
  }

  /** Newest first. */
  async runs(systemId: string, limit = DEFAULT_RUNS_LIMIT): Promise<CollectionRun[]> {
    const bounded = Math.max(1, Math.min(MAX_RUNS_LIMIT, Math.floor(limit)));
    const result = await this.pool.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM inventory_runs WHERE system_id = $1 ORDER BY started_at DESC, run_key DESC LIMIT $2`,
      [systemId, bounded],
    );
    return result.rows.map(toCollectionRun);
  }

  async run(runId: string): Promise<CollectionRun | undefined> {
    const result = await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM inventory_runs WHERE run_id = $1`, [
      runId,
    ]);
    return result.rows[0] && toCollectionRun(result.rows[0]);
  }

  /** Every identity of a succeeded run as views, a page at a time (findings); undefined for an unknown run. */
  async viewStream(runId: string): Promise<IdentityViewStream | undefined> {
    const result = await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM inventory_runs WHERE run_id = $1`, [
      runId,
    ]);
    const row = result.rows[0];
    return row && new IdentityViewStream(this.pool, row);
  }

  /** Every action the run's documents name, with its access levels: a catalogue as the snapshot knows it. */
  async runCatalogue(runId: string, cloud: Cloud): Promise<ActionCatalogue> {
    const result = await this.pool.query<{ action: string; access_levels: AccessLevel[] }>(
      `SELECT DISTINCT ON (a.action) a.action, a.access_levels
       FROM inventory_runs r
       JOIN inventory_run_documents d ON d.run_key = r.run_key
       JOIN inventory_document_actions a ON a.document_id = d.document_id
       WHERE r.run_id = $1 ORDER BY a.action, a.effect`,
      [runId],
    );
    return {
      cloud,
      version: `snapshot ${runId}`,
      actions: result.rows.map((r) => ({ action: r.action, accessLevels: r.access_levels })),
    };
  }

  /** An identity by id or name (case aside) in the current snapshot, or in `runId`'s. */
  identityView(
    systemId: string,
    identity: string,
    options: { runId?: string } = {},
  ): Promise<IdentityView | undefined> {
    return identityView(this.pool, systemId, identity, options);
  }

  /**
   * Identities that are allowed `action` (by their own paths or a group's) and did not use it in the
   * snapshot's window: the candidates of "unused in the window". Coverage decides which are truly unused.
   */
  unusedHolders(
    systemId: string,
    action: string,
    options: { runId?: string; limit?: number } = {},
  ): Promise<UnusedHolder[]> {
    return unusedHolders(this.pool, systemId, action, options);
  }
}

function unknownRun(runId: string): InventoryStoreError {
  return new InventoryStoreError(ErrorCode.InventoryRunUnknown, `inventory run ${runId} was never begun`);
}

/** Deletes the successful snapshots of the system beyond the newest `kept`, never the current one. */
async function pruneSnapshots(client: pg.PoolClient, systemId: string, kept: number): Promise<void> {
  const old = await client.query<{ run_key: string }>(
    `SELECT run_key FROM inventory_runs
     WHERE system_id = $1 AND status = 'succeeded'
       AND run_id <> (SELECT run_id FROM inventory_current WHERE system_id = $1)
     ORDER BY started_at DESC, run_key DESC OFFSET $2`,
    [systemId, kept - 1],
  );
  if (old.rows.length === 0) return;
  const keys = old.rows.map((row) => row.run_key);
  for (const key of keys) await deleteRunRows(client, key, { keepSkipped: false });
  await client.query('DELETE FROM inventory_runs WHERE run_key = ANY($1::bigint[])', [keys]);
  await client.query(
    `DELETE FROM inventory_documents d
     WHERE NOT EXISTS (SELECT 1 FROM inventory_run_documents r WHERE r.document_id = d.document_id)`,
  );
}

async function deleteRunRows(client: pg.PoolClient, runKey: string, options: { keepSkipped: boolean }) {
  const tables = [
    'inventory_usage',
    'inventory_usage_detail',
    'inventory_usage_chunks',
    'inventory_grant_paths',
    'inventory_identities',
    'inventory_coverage',
    'inventory_run_documents',
  ];
  if (!options.keepSkipped) tables.push('inventory_skipped');
  for (const table of tables) await client.query(`DELETE FROM ${table} WHERE run_key = $1`, [runKey]);
}
