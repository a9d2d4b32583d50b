/**
 * PostgreSQL work of one database between two moments, from `pg_stat_database` (the bench database is
 * fresh and private, so its counters are ours alone; pg_stat_statements is not loaded on the shared
 * server and is never enabled from here). Backends report their counters when a transaction ends at
 * most once a second and, once idle, within 10 s (PostgreSQL ≥ 15): each reading first waits that out.
 */
import pg from 'pg';
import { sleep } from './clock';

export interface PgCounters {
  commits: number;
  rollbacks: number;
  inserted: number;
  updated: number;
  deleted: number;
  returned: number;
  fetched: number;
}

/** Reads the counters after the backends' idle flush interval has passed (`settleMs`, default 11 s). */
export async function readPgCounters(
  adminUrl: string,
  database: string,
  signal: AbortSignal,
  settleMs = 11_000,
): Promise<PgCounters> {
  await sleep(settleMs, signal);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const row = (
      await client.query<Record<string, string>>(
        `SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched
           FROM pg_stat_database WHERE datname = $1`,
        [database],
      )
    ).rows[0];
    if (!row) throw new Error(`no pg_stat_database row for ${database}`);
    return {
      commits: Number(row.xact_commit),
      rollbacks: Number(row.xact_rollback),
      inserted: Number(row.tup_inserted),
      updated: Number(row.tup_updated),
      deleted: Number(row.tup_deleted),
      returned: Number(row.tup_returned),
      fetched: Number(row.tup_fetched),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function perItem(from: PgCounters, to: PgCounters, items: number): PgCounters {
  const n = Math.max(1, items);
  const d = (k: keyof PgCounters): number => Math.round(((to[k] - from[k]) / n) * 10) / 10;
  return {
    commits: d('commits'),
    rollbacks: d('rollbacks'),
    inserted: d('inserted'),
    updated: d('updated'),
    deleted: d('deleted'),
    returned: d('returned'),
    fetched: d('fetched'),
  };
}
