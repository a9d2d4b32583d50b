import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgStore } from '../../../activities/store/pg-store';

/**
 * A fresh PostgreSQL database per test file, made on the server that LEAST_TEST_DATABASE_ADMIN_URL
 * (set by the test launcher) points at, and dropped afterwards.
 */
export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function freshDatabase(prefix = 'least_test'): Promise<TestDatabase> {
  const adminUrl = process.env.LEAST_TEST_DATABASE_ADMIN_URL;
  if (!adminUrl) throw new Error('LEAST_TEST_DATABASE_ADMIN_URL is not set: run the tests with `npm test`.');
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  return {
    url,
    pool,
    drop: async () => {
      // pool.end() resolves before sockets close; DROP … WITH (FORCE) may then kill one, which
      // the pool re-emits as an 'error' with no listener and fails the whole file.
      pool.on('error', () => undefined);
      await pool.end();
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A fresh database with Least's schema applied, and the store on it. */
export async function freshStore(): Promise<{ db: TestDatabase; store: PgStore }> {
  const db = await freshDatabase();
  const store = new PgStore(db.pool);
  await store.migrate();
  return { db, store };
}

/** Fails with how to start PostgreSQL when nothing answers at `url`; the password is never printed. */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${url.replace(/:[^:@/]*@/, ':***@')} (${(error as Error).message}). ` +
        'Start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set LEAST_TEST_DATABASE_ADMIN_URL.',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
