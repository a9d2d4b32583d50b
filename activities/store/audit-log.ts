import type pg from 'pg';
import { ChainWalk, chainHash, normaliseAt, storedDetail } from './audit-chain';
import { inTransaction } from './transaction';
import { AUDIT_APPEND_LOCK } from './locks';
import { AUDIT_COLUMNS, boundedLimit, jsonb, toAuditRow, type AuditLogRow } from './rows';
import type { AuditEntry, AuditRow, AuditVerification } from './types';

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;
const VERIFY_PAGE_SIZE = 1000;

/**
 * Appends one entry to the chain. Appends from every worker take turns on a transaction-level advisory lock,
 * so seq has no gaps and each prev_hash is the row just before. `at` defaults to the database clock so every
 * worker stamps from the same clock.
 */
export async function appendAudit(pool: pg.Pool, entry: AuditEntry, at?: string): Promise<AuditRow> {
  const chosenAt = at === undefined ? undefined : normaliseAt(at);
  const detail = storedDetail(entry.detail);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_APPEND_LOCK]);
    if (entry.key !== undefined) {
      // Checked under the lock: two retries of one activity racing each other still add a single row.
      const existing = await client.query<AuditLogRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE key = $1`, [
        entry.key,
      ]);
      if (existing.rows[0]) return toAuditRow(existing.rows[0]);
    }
    const head = await client.query<{ seq: string; hash: string; now: Date }>(
      `SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS now FROM audit_head FOR UPDATE`,
    );
    const current = head.rows[0];
    if (!current) throw new Error('audit_head has no row: the audit log cannot be appended to until it is restored');
    const content = {
      seq: Number(current.seq) + 1,
      at: chosenAt ?? current.now.toISOString(),
      actor: entry.actor,
      action: entry.action,
      ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
      detail,
      ...(entry.key !== undefined ? { key: entry.key } : {}),
      prevHash: current.hash,
    };
    const hash = chainHash(content);
    const inserted = await client.query<AuditLogRow>(
      `INSERT INTO audit_log (seq, at, actor, action, request_id, detail, key, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING ${AUDIT_COLUMNS}`,
      [
        content.seq,
        content.at,
        content.actor,
        content.action,
        entry.requestId ?? null,
        jsonb(detail),
        entry.key ?? null,
        content.prevHash,
        hash,
      ],
    );
    await client.query('UPDATE audit_head SET seq = $1, hash = $2', [content.seq, hash]);
    return toAuditRow(inserted.rows[0] as AuditLogRow);
  });
}

/** The newest `limit` rows (of one request, or of the whole log), oldest first. */
export async function auditFor(pool: pg.Pool, requestId?: string, limit?: number): Promise<AuditRow[]> {
  const bounded = boundedLimit(limit, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
  const result =
    requestId === undefined
      ? await pool.query<AuditLogRow>(
          `SELECT ${AUDIT_COLUMNS} FROM (SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT $1) newest ORDER BY seq`,
          [bounded],
        )
      : await pool.query<AuditLogRow>(
          `SELECT ${AUDIT_COLUMNS} FROM (
             SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE request_id = $1 ORDER BY seq DESC LIMIT $2
           ) newest ORDER BY seq`,
          [requestId, bounded],
        );
  return result.rows.map(toAuditRow);
}

/**
 * Recomputes the whole chain. One REPEATABLE READ snapshot makes the rows and the head agree even while
 * workers keep appending; keyset pages keep memory flat however long the log is.
 */
export async function verifyAudit(pool: pg.Pool, pageSize = VERIFY_PAGE_SIZE): Promise<AuditVerification> {
  return inTransaction(
    pool,
    async (client) => {
      const walk = new ChainWalk();
      let after = 0;
      for (;;) {
        const page = await client.query<AuditLogRow>(
          `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
          [after, pageSize],
        );
        for (const row of page.rows) walk.visit(toAuditRow(row));
        const last = page.rows[page.rows.length - 1];
        if (!last || page.rows.length < pageSize) break;
        after = Number(last.seq);
      }
      const head = await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head');
      const current = head.rows[0];
      return walk.finish(current ? { seq: Number(current.seq), hash: current.hash } : undefined);
    },
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
}
