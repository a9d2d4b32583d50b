import type pg from 'pg';
import { ChainWalk, chainHash, normaliseAt, storedDetail } from './audit-chain';
import { inTransaction } from './transaction';
import { AUDIT_COLUMNS, boundedLimit, jsonb, toAuditRow, type AuditLogRow } from './rows';
import type { AuditEntry, AuditRow, AuditVerification } from './types';

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;
const VERIFY_PAGE_SIZE = 1000;

/** One entry waiting for its place in the chain, with the time it was given (if any). */
export interface AuditAppend {
  entry: AuditEntry;
  at?: string;
}

/** Entries chained per transaction at most; a longer queue takes several turns. */
const MAX_BATCH = 500;

/**
 * Appends entries to the chain in one transaction, in the order given. Writers from every process take
 * turns on the head row (`FOR UPDATE`), so seq has no gaps and each prev_hash is the row just before;
 * an entry whose key is already in the log (a retried activity) gets its earlier row back and adds
 * nothing, even when two retries race in one batch. `at` defaults to the database clock, so every
 * worker stamps from the same clock.
 */
export async function appendAuditBatch(pool: pg.Pool, items: readonly AuditAppend[]): Promise<AuditRow[]> {
  const prepared = items.map(({ entry, at }) => ({
    entry,
    chosenAt: at === undefined ? undefined : normaliseAt(at),
    detail: storedDetail(entry.detail),
  }));
  return inTransaction(pool, async (client) => {
    // The head row's lock is the turn: whoever holds it sees every row committed before it.
    const head = await client.query<{ seq: string; hash: string; now: Date }>(
      `SELECT seq, hash, date_trunc('milliseconds', clock_timestamp()) AS now FROM audit_head FOR UPDATE`,
    );
    const current = head.rows[0];
    if (!current) throw new Error('audit_head has no row: the audit log cannot be appended to until it is restored');
    const keys = prepared.flatMap(({ entry }) => (entry.key === undefined ? [] : [entry.key]));
    const byKey = new Map<string, AuditRow>();
    if (keys.length > 0) {
      const existing = await client.query<AuditLogRow>(
        `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE key = ANY($1::text[])`,
        [keys],
      );
      for (const row of existing.rows) byKey.set(row.key!, toAuditRow(row));
    }
    let seq = Number(current.seq);
    let prevHash = current.hash;
    const now = current.now.toISOString();
    const fresh: AuditRow[] = [];
    const rows = prepared.map(({ entry, chosenAt, detail }) => {
      const known = entry.key === undefined ? undefined : byKey.get(entry.key);
      if (known) return known;
      const content = {
        seq: ++seq,
        at: chosenAt ?? now,
        actor: entry.actor,
        action: entry.action,
        ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
        detail,
        ...(entry.key !== undefined ? { key: entry.key } : {}),
        prevHash,
      };
      const row: AuditRow = { ...content, hash: chainHash(content) };
      prevHash = row.hash;
      if (entry.key !== undefined) byKey.set(entry.key, row);
      fresh.push(row);
      return row;
    });
    if (fresh.length === 0) return rows;
    await client.query(
      `INSERT INTO audit_log (seq, at, actor, action, request_id, detail, key, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                            $7::text[], $8::text[], $9::text[])`,
      [
        fresh.map((row) => row.seq),
        fresh.map((row) => row.at),
        fresh.map((row) => row.actor),
        fresh.map((row) => row.action),
        fresh.map((row) => row.requestId ?? null),
        fresh.map((row) => jsonb(row.detail)),
        fresh.map((row) => row.key ?? null),
        fresh.map((row) => row.prevHash),
        fresh.map((row) => row.hash),
      ],
    );
    await client.query('UPDATE audit_head SET seq = $1, hash = $2', [seq, prevHash]);
    return rows;
  });
}

/** Appends one entry to the chain; see `appendAuditBatch`. */
export async function appendAudit(pool: pg.Pool, entry: AuditEntry, at?: string): Promise<AuditRow> {
  const [row] = await appendAuditBatch(pool, [at === undefined ? { entry } : { entry, at }]);
  return row!;
}

interface Waiting {
  items: readonly AuditAppend[];
  resolve: (rows: AuditRow[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one process's appends. A lone append goes straight to PostgreSQL; appends that arrive
 * while a turn is in progress wait and go together in the next one, so ten writers at once cost about
 * two turns on the head row instead of ten. Each caller's entries stay together and in order, and a
 * caller is answered only once its rows are committed. Entries are checked (time, storable text) before
 * they queue, so one bad entry fails its own caller and nobody else's.
 */
export class AuditAppender {
  private waiting: Waiting[] = [];
  private busy = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  append(items: readonly AuditAppend[]): Promise<AuditRow[]> {
    for (const { entry, at } of items) {
      if (at !== undefined) normaliseAt(at);
      storedDetail(entry.detail);
    }
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.turn();
    });
  }

  private turn(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    const batch: Waiting[] = [];
    let size = 0;
    while (this.waiting.length > 0 && (batch.length === 0 || size + this.waiting[0]!.items.length <= this.maxBatch)) {
      const next = this.waiting.shift()!;
      batch.push(next);
      size += next.items.length;
    }
    appendAuditBatch(
      this.pool,
      batch.flatMap((waiting) => waiting.items),
    )
      .then(
        (rows) => {
          let offset = 0;
          for (const waiting of batch) {
            waiting.resolve(rows.slice(offset, offset + waiting.items.length));
            offset += waiting.items.length;
          }
        },
        (error: unknown) => {
          for (const waiting of batch) waiting.reject(error);
        },
      )
      .finally(() => {
        this.busy = false;
        this.turn();
      });
  }
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
