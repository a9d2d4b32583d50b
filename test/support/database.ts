import { randomBytes } from 'node:crypto';
import pg from 'pg';

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
