import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { MIGRATION_LOCK } from './locks';
import { checkOut } from './transaction';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

// A fixed-width number keeps name order and apply order the same (010 after 009, not after 001).
const MIGRATION_NAME = /^\d{3}_[a-z0-9_]+\.sql$/;

/**
 * Applies, in name order, every migration in `directory` that `schema_migrations` does not list yet, each in
 * its own transaction, and returns the names applied by this call.
 *
 * A session-level advisory lock makes processes that start together take turns: the second one waits, then
 * finds everything applied and returns []. It is held on one dedicated connection for the whole run.
 */
export async function migrate(pool: pg.Pool, directory: string = MIGRATIONS_DIR): Promise<string[]> {
  const files = await migrationFiles(directory);
  const { client, release } = await checkOut(pool);
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    try {
      return await applyPending(client, directory, files);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]).catch((error: Error) => {
        // Destroying the connection is what frees a session lock we could not release.
        broken = error;
      });
    }
  } finally {
    release(broken);
  }
}

async function applyPending(client: pg.PoolClient, directory: string, files: string[]): Promise<string[]> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       name       text PRIMARY KEY,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const done = await client.query<{ name: string }>('SELECT name FROM schema_migrations');
  const applied = new Set(done.rows.map((row) => row.name));
  const appliedNow: string[] = [];
  for (const name of files) {
    if (applied.has(name)) continue;
    const sql = await readFile(path.join(directory, name), 'utf8');
    await client.query('BEGIN');
    try {
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      await client.query('COMMIT');
    } catch (error) {
      // A failed ROLLBACK means a dead connection; the unlock then fails too and the connection is destroyed.
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`migration ${name} failed and was rolled back: ${(error as Error).message}`, { cause: error });
    }
    appliedNow.push(name);
  }
  return appliedNow;
}

/** Migration file names in the order they apply. A misnamed .sql file stops the run rather than being skipped. */
export async function migrationFiles(directory: string = MIGRATIONS_DIR): Promise<string[]> {
  const sqlFiles = (await readdir(directory)).filter((name) => name.endsWith('.sql'));
  const misnamed = sqlFiles.filter((name) => !MIGRATION_NAME.test(name));
  if (misnamed.length > 0) {
    throw new Error(
      `migration file(s) ${misnamed.join(', ')} in ${directory} must be named like 002_add_findings.sql ` +
        '(digits, underscore, lowercase name), so that name order is apply order',
    );
  }
  return sqlFiles.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
