import pg from 'pg';

/**
 * Creates the configured database when the server is there but the database is not: the embedded
 * default needs no manual `createdb`. Other connection errors are left to surface as they are.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => undefined);
  }
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`refusing to create a database named "${name}"`);
  parsed.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: parsed.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`); // identifiers cannot be parameters; checked above
  } finally {
    await admin.end();
  }
}
