import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type {
  CleanupDecision,
  CleanupDecisionKind,
  CleanupHold,
  CleanupItem,
  CleanupMode,
  CleanupOutcome,
  CleanupPlan,
} from '../../../domain/cleanup/model';
import { inTransaction } from '../transaction';

export type CleanupRunStatus = 'planned' | 'announced' | 'applying' | 'finished' | 'failed';

export interface CleanupRunRecord {
  runId: string;
  systemId: string;
  collectionRunId: string;
  mode: CleanupMode;
  trigger: 'schedule' | 'manual';
  requestedBy?: string;
  identityId?: string;
  status: CleanupRunStatus;
  window: { from: string; to: string };
  plannedAt: string;
  announcedAt?: string;
  noticeUntil?: string;
  finishedAt?: string;
  counts: Record<string, number>;
  announceProblem?: string;
}

export interface StoredCleanupItem extends CleanupItem {
  runId: string;
  outcome?: CleanupOutcome;
  outcomeDetail?: string;
  outcomeAt?: string;
  restoredAt?: string;
  restoredBy?: string;
}

export interface StoredSnapshot {
  runId: string;
  itemId: string;
  objectKind: string;
  objectKey: string;
  takenAt: string;
  snapshot: unknown;
}

/** Holds are many (one per identity and reason); a run keeps at most this many for reading. */
const HOLDS_KEPT = 50_000;
const PAGE = 1000;

/**
 * Cleanup runs, their items and holds, owners' decisions, and the snapshots Restore reads. Every write is
 * idempotent by its business key (run, item), so a retried activity writes nothing twice; a snapshot is
 * written once and never replaced: the first one taken is the state before the change.
 */
export class CleanupStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Records a planned run with its items and holds; recording the same run again changes nothing. */
  async saveRun(
    runId: string,
    plan: CleanupPlan,
    meta: { trigger: 'schedule' | 'manual'; requestedBy?: string; identityId?: string },
  ): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const added = await client.query(
        `INSERT INTO cleanup_runs (run_id, system_id, collection_run_id, mode, trigger, requested_by, identity_id,
                                   status, window_from, window_to, planned_at, counts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned', $8, $9, $10, $11)
         ON CONFLICT (run_id) DO NOTHING`,
        [
          runId,
          plan.systemId,
          plan.collectionRunId,
          plan.mode,
          meta.trigger,
          meta.requestedBy ?? null,
          meta.identityId ?? null,
          plan.window.from,
          plan.window.to,
          plan.plannedAt,
          JSON.stringify(plan.counts),
        ],
      );
      if (added.rowCount === 0) return;
      for (let at = 0; at < plan.items.length; at += PAGE)
        await insertItems(client, runId, plan.items.slice(at, at + PAGE));
      const holds = plan.holds.slice(0, HOLDS_KEPT);
      for (let at = 0; at < holds.length; at += PAGE) await insertHolds(client, runId, holds.slice(at, at + PAGE), at);
    });
  }

  async run(runId: string): Promise<CleanupRunRecord | undefined> {
    const result = await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM cleanup_runs WHERE run_id = $1`, [runId]);
    return result.rows[0] && runRecord(result.rows[0]);
  }

  /** The latest runs, newest first, of one system or of all. */
  async runs(options: { systemId?: string; limit?: number } = {}): Promise<CleanupRunRecord[]> {
    const result = await this.pool.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM cleanup_runs WHERE ($1::text IS NULL OR system_id = $1)
       ORDER BY planned_at DESC, run_id DESC LIMIT $2`,
      [options.systemId ?? null, options.limit ?? 20],
    );
    return result.rows.map(runRecord);
  }

  /** A run's items in item order; only those reducing one identity's access when `identityId` is given. */
  async items(
    runId: string,
    options: { identityId?: string; itemIds?: readonly string[] } = {},
  ): Promise<StoredCleanupItem[]> {
    const result = await this.pool.query<ItemRow>(
      `SELECT i.*, r.system_id FROM cleanup_items i JOIN cleanup_runs r USING (run_id) WHERE i.run_id = $1
         AND ($2::text IS NULL OR i.identities @> jsonb_build_array(jsonb_build_object('id', $2::text)))
         AND ($3::text[] IS NULL OR i.item_id = ANY($3::text[]))
       ORDER BY i.item_id`,
      [runId, options.identityId ?? null, options.itemIds ? [...options.itemIds] : null],
    );
    return result.rows.map(itemRecord);
  }

  async holds(runId: string, options: { identityId?: string; limit?: number } = {}): Promise<CleanupHold[]> {
    const result = await this.pool.query<HoldRow>(
      `SELECT * FROM cleanup_holds WHERE run_id = $1 AND ($2::text IS NULL OR identity_id = $2)
       ORDER BY ordinal LIMIT $3`,
      [runId, options.identityId ?? null, options.limit ?? 1000],
    );
    return result.rows.map((row) => ({
      identityId: row.identity_id,
      identityName: row.identity_name,
      ...(row.object_kind && row.object_key
        ? { object: { kind: row.object_kind as never, key: row.object_key, name: row.object_key } }
        : {}),
      reason: row.reason as CleanupHold['reason'],
      detail: row.detail,
      ...(row.actions !== null ? { actions: row.actions } : {}),
    }));
  }

  async announced(runId: string, at: string, noticeUntil: string, problem?: string): Promise<void> {
    await this.pool.query(
      `UPDATE cleanup_runs SET status = CASE WHEN status = 'planned' THEN 'announced' ELSE status END,
              announced_at = COALESCE(announced_at, $2), notice_until = COALESCE(notice_until, $3),
              announce_problem = COALESCE(announce_problem, $4)
       WHERE run_id = $1`,
      [runId, at, noticeUntil, problem ?? null],
    );
  }

  async setStatus(runId: string, status: CleanupRunStatus, counts?: Record<string, number>): Promise<void> {
    await this.pool.query(
      `UPDATE cleanup_runs SET status = $2, counts = COALESCE($3::jsonb, counts),
              finished_at = CASE WHEN $2 IN ('finished', 'failed') THEN COALESCE(finished_at, now()) ELSE finished_at END
       WHERE run_id = $1`,
      [runId, status, counts ? JSON.stringify(counts) : null],
    );
  }

  /** Records an owner's answer; the same click delivered twice (same id) is recorded once. */
  async decide(decision: CleanupDecision & { systemId: string; runId: string; decisionId?: string }): Promise<string> {
    const id = decision.decisionId ?? randomUUID();
    await this.pool.query(
      `INSERT INTO cleanup_decisions (decision_id, system_id, run_id, item_id, kind, decided_by, decided_at, reason, until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (decision_id) DO NOTHING`,
      [
        id,
        decision.systemId,
        decision.runId,
        decision.itemId,
        decision.kind,
        decision.by,
        decision.at,
        decision.reason ?? null,
        decision.until ?? null,
      ],
    );
    return id;
  }

  /** Keeps and snoozes still in force at `at`, the latest per item: what the next plan leaves out. */
  async liveDecisions(systemId: string, at: string): Promise<Map<string, CleanupDecision>> {
    const result = await this.pool.query<DecisionRow>(
      `SELECT DISTINCT ON (item_id) item_id, kind, decided_by, decided_at, reason, until
       FROM cleanup_decisions
       WHERE system_id = $1 AND kind IN ('keep', 'snooze') AND until > $2
       ORDER BY item_id, decided_at DESC`,
      [systemId, at],
    );
    return new Map(result.rows.map((row) => [row.item_id, decisionRecord(row)]));
  }

  /** The latest answer per item of one run (a later click replaces an earlier one). */
  async runDecisions(runId: string): Promise<Map<string, CleanupDecision>> {
    const result = await this.pool.query<DecisionRow>(
      `SELECT DISTINCT ON (item_id) item_id, kind, decided_by, decided_at, reason, until
       FROM cleanup_decisions WHERE run_id = $1 ORDER BY item_id, decided_at DESC, decision_id`,
      [runId],
    );
    return new Map(result.rows.map((row) => [row.item_id, decisionRecord(row)]));
  }

  /** Keeps the object's state before the change; the first snapshot of a run's item stays. Returns the kept one. */
  async snapshot(
    runId: string,
    item: Pick<CleanupItem, 'itemId' | 'object'>,
    snapshot: unknown,
  ): Promise<StoredSnapshot> {
    const result = await this.pool.query<SnapshotRow>(
      `WITH added AS (
         INSERT INTO cleanup_snapshots (run_id, item_id, object_kind, object_key, snapshot)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, item_id) DO NOTHING RETURNING *
       )
       SELECT * FROM added UNION ALL SELECT * FROM cleanup_snapshots WHERE run_id = $1 AND item_id = $2`,
      [runId, item.itemId, item.object.kind, item.object.key, JSON.stringify(snapshot)],
    );
    return snapshotRecord(result.rows[0]!);
  }

  async snapshotOf(runId: string, itemId: string): Promise<StoredSnapshot | undefined> {
    const result = await this.pool.query<SnapshotRow>(
      'SELECT * FROM cleanup_snapshots WHERE run_id = $1 AND item_id = $2',
      [runId, itemId],
    );
    return result.rows[0] && snapshotRecord(result.rows[0]);
  }

  async setOutcome(runId: string, itemId: string, outcome: CleanupOutcome, detail: string): Promise<void> {
    await this.pool.query(
      `UPDATE cleanup_items SET outcome = $3, outcome_detail = $4, outcome_at = now()
       WHERE run_id = $1 AND item_id = $2`,
      [runId, itemId, outcome, detail],
    );
  }

  async restored(runId: string, itemId: string, by: string, detail: string): Promise<void> {
    await this.pool.query(
      `UPDATE cleanup_items SET outcome = 'restored', outcome_detail = $4, outcome_at = now(),
              restored_at = COALESCE(restored_at, now()), restored_by = COALESCE(restored_by, $3)
       WHERE run_id = $1 AND item_id = $2`,
      [runId, itemId, by, detail],
    );
  }
}

const RUN_COLUMNS = `run_id, system_id, collection_run_id, mode, trigger, requested_by, identity_id, status, window_from,
  window_to, planned_at, announced_at, notice_until, finished_at, counts, announce_problem`;

interface RunRow {
  run_id: string;
  system_id: string;
  collection_run_id: string;
  mode: CleanupMode;
  trigger: 'schedule' | 'manual';
  requested_by: string | null;
  identity_id: string | null;
  status: CleanupRunStatus;
  window_from: Date;
  window_to: Date;
  planned_at: Date;
  announced_at: Date | null;
  notice_until: Date | null;
  finished_at: Date | null;
  counts: Record<string, number>;
  announce_problem: string | null;
}

function runRecord(row: RunRow): CleanupRunRecord {
  return {
    runId: row.run_id,
    systemId: row.system_id,
    collectionRunId: row.collection_run_id,
    mode: row.mode,
    trigger: row.trigger,
    ...(row.requested_by ? { requestedBy: row.requested_by } : {}),
    ...(row.identity_id ? { identityId: row.identity_id } : {}),
    status: row.status,
    window: { from: row.window_from.toISOString(), to: row.window_to.toISOString() },
    plannedAt: row.planned_at.toISOString(),
    ...(row.announced_at ? { announcedAt: row.announced_at.toISOString() } : {}),
    ...(row.notice_until ? { noticeUntil: row.notice_until.toISOString() } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
    counts: row.counts,
    ...(row.announce_problem ? { announceProblem: row.announce_problem } : {}),
  };
}

interface ItemRow {
  run_id: string;
  system_id: string;
  item_id: string;
  change: CleanupItem['change'];
  object_kind: CleanupItem['object']['kind'];
  object_key: string;
  object_name: string;
  identities: CleanupItem['identities'];
  remove_actions: string[];
  kept_for_others: string[];
  before_doc: unknown;
  after_doc: unknown;
  reason: string;
  last_used: string | null;
  explicit_only: boolean;
  owners: string[];
  outcome: CleanupOutcome | null;
  outcome_detail: string | null;
  outcome_at: Date | null;
  restored_at: Date | null;
  restored_by: string | null;
}

async function insertItems(client: pg.PoolClient, runId: string, items: readonly CleanupItem[]): Promise<void> {
  if (items.length === 0) return;
  await client.query(
    `INSERT INTO cleanup_items (run_id, item_id, change, object_kind, object_key, object_name, identities,
                                remove_actions, kept_for_others, before_doc, after_doc, reason, last_used,
                                explicit_only, owners)
     SELECT $1, i.item_id, i.change, i.object_kind, i.object_key, i.object_name, i.identities, i.remove_actions,
            i.kept_for_others, i.before_doc, i.after_doc, i.reason, i.last_used, i.explicit_only, i.owners
     FROM jsonb_to_recordset($2::jsonb) AS i (item_id text, change text, object_kind text, object_key text,
            object_name text, identities jsonb, remove_actions text[], kept_for_others text[], before_doc jsonb,
            after_doc jsonb, reason text, last_used text, explicit_only boolean, owners text[])
     ON CONFLICT DO NOTHING`,
    [
      runId,
      JSON.stringify(
        items.map((item) => ({
          item_id: item.itemId,
          change: item.change,
          object_kind: item.object.kind,
          object_key: item.object.key,
          object_name: item.object.name,
          identities: item.identities,
          remove_actions: item.removeActions ?? [],
          kept_for_others: item.keptForOthers ?? [],
          // `after` null means "no document left" (the object goes); absent means no document at all
          before_doc: item.before === undefined ? null : item.before,
          after_doc: item.after === undefined ? null : { document: item.after },
          reason: item.reason,
          last_used: item.lastUsed ?? null,
          explicit_only: item.explicitOnly === true,
          owners: item.owners,
        })),
      ),
    ],
  );
}

function itemRecord(row: ItemRow): StoredCleanupItem {
  return {
    runId: row.run_id,
    itemId: row.item_id,
    systemId: row.system_id,
    change: row.change,
    object: { kind: row.object_kind, key: row.object_key, name: row.object_name },
    identities: row.identities,
    ...(row.remove_actions.length > 0 ? { removeActions: row.remove_actions } : {}),
    ...(row.kept_for_others.length > 0 ? { keptForOthers: row.kept_for_others } : {}),
    ...(row.before_doc !== null ? { before: row.before_doc } : {}),
    ...(row.after_doc !== null ? { after: (row.after_doc as { document: unknown }).document } : {}),
    reason: row.reason,
    ...(row.last_used ? { lastUsed: row.last_used } : {}),
    ...(row.explicit_only ? { explicitOnly: true } : {}),
    owners: row.owners,
    ...(row.outcome ? { outcome: row.outcome } : {}),
    ...(row.outcome_detail ? { outcomeDetail: row.outcome_detail } : {}),
    ...(row.outcome_at ? { outcomeAt: row.outcome_at.toISOString() } : {}),
    ...(row.restored_at ? { restoredAt: row.restored_at.toISOString() } : {}),
    ...(row.restored_by ? { restoredBy: row.restored_by } : {}),
  };
}

interface HoldRow {
  identity_id: string;
  identity_name: string;
  object_kind: string | null;
  object_key: string | null;
  reason: string;
  detail: string;
  actions: number | null;
}

async function insertHolds(
  client: pg.PoolClient,
  runId: string,
  holds: readonly CleanupHold[],
  offset: number,
): Promise<void> {
  if (holds.length === 0) return;
  await client.query(
    `INSERT INTO cleanup_holds (run_id, ordinal, identity_id, identity_name, object_kind, object_key, reason, detail, actions)
     SELECT $1, h.ordinal, h.identity_id, h.identity_name, h.object_kind, h.object_key, h.reason, h.detail, h.actions
     FROM jsonb_to_recordset($2::jsonb) AS h (ordinal int, identity_id text, identity_name text, object_kind text,
            object_key text, reason text, detail text, actions int)
     ON CONFLICT DO NOTHING`,
    [
      runId,
      JSON.stringify(
        holds.map((hold, k) => ({
          ordinal: offset + k,
          identity_id: hold.identityId,
          identity_name: hold.identityName,
          object_kind: hold.object?.kind ?? null,
          object_key: hold.object?.key ?? null,
          reason: hold.reason,
          detail: hold.detail,
          actions: hold.actions ?? null,
        })),
      ),
    ],
  );
}

interface DecisionRow {
  item_id: string;
  kind: CleanupDecisionKind;
  decided_by: string;
  decided_at: Date;
  reason: string | null;
  until: Date | null;
}

function decisionRecord(row: DecisionRow): CleanupDecision {
  return {
    itemId: row.item_id,
    kind: row.kind,
    by: row.decided_by,
    at: row.decided_at.toISOString(),
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.until ? { until: row.until.toISOString() } : {}),
  };
}

interface SnapshotRow {
  run_id: string;
  item_id: string;
  object_kind: string;
  object_key: string;
  taken_at: Date;
  snapshot: unknown;
}

function snapshotRecord(row: SnapshotRow): StoredSnapshot {
  return {
    runId: row.run_id,
    itemId: row.item_id,
    objectKind: row.object_kind,
    objectKey: row.object_key,
    takenAt: row.taken_at.toISOString(),
    snapshot: row.snapshot,
  };
}
