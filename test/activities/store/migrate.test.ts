import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS_DIR, migrate } from '../../../activities/store/migrate';
import { freshDatabase, type TestDatabase } from '../../support/launch/database';

const migrationsOnDisk = readdirSync(path.resolve(__dirname, '../../../activities/store/migrations'))
  .filter((name) => name.endsWith('.sql'))
  .sort();

async function tables(db: TestDatabase): Promise<string[]> {
  const result = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return result.rows.map((row) => row.table_name);
}

async function recorded(db: TestDatabase): Promise<string[]> {
  const result = await db.pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  return result.rows.map((row) => row.name);
}

describe('migrate on an empty database', () => {
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db.drop();
  });

  test('applies every migration file in name order and creates the tables', async () => {
    assert.ok(migrationsOnDisk.includes('001_initial.sql'));
    assert.equal(MIGRATIONS_DIR, path.resolve(__dirname, '../../../activities/store/migrations'));
    const applied = await migrate(db.pool);
    assert.deepEqual(applied, migrationsOnDisk);
    assert.deepEqual(await recorded(db), migrationsOnDisk);
    const names = await tables(db);
    for (const table of [
      'requests',
      'decisions',
      'leases',
      'message_refs',
      'audit_log',
      'audit_head',
      'schema_migrations',
    ]) {
      assert.ok(names.includes(table), `table ${table} exists`);
    }
    const head = await db.pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head');
    assert.deepEqual(head.rows, [{ seq: '0', hash: '0'.repeat(64) }]);
  });

  test('a second run applies nothing and changes nothing', async () => {
    assert.deepEqual(await migrate(db.pool), []);
    assert.deepEqual(await recorded(db), migrationsOnDisk);
    const head = await db.pool.query('SELECT count(*)::int AS rows FROM audit_head');
    assert.deepEqual(head.rows, [{ rows: 1 }]);
  });
});

describe('migrate from two processes at once', () => {
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase();
  });
  after(async () => {
    await db.drop();
  });

  test('one applies everything, the other waits and applies nothing', async () => {
    const results = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
    const sorted = [...results].sort((a, b) => b.length - a.length);
    assert.deepEqual(sorted, [migrationsOnDisk, [], []]);
    assert.deepEqual(await recorded(db), migrationsOnDisk);
  });
});

describe('migrate with a failing migration', () => {
  let db: TestDatabase;
  let directory: string;
  before(async () => {
    db = await freshDatabase();
    directory = await mkdtemp(path.join(os.tmpdir(), 'least-migrations-'));
    await writeFile(path.join(directory, '001_people.sql'), 'CREATE TABLE people (email text PRIMARY KEY);');
    await writeFile(
      path.join(directory, '002_broken.sql'),
      'CREATE TABLE half_done (id int); ALTER TABLE no_such_table ADD COLUMN x int;',
    );
    await writeFile(path.join(directory, '003_after.sql'), 'CREATE TABLE after_broken (id int);');
  });
  after(async () => {
    await db.drop();
    await rm(directory, { recursive: true, force: true });
  });

  test('keeps what succeeded, rolls back the failed file entirely and stops there', async () => {
    await assert.rejects(
      migrate(db.pool, directory),
      /migration 002_broken\.sql failed and was rolled back: .*no_such_table/,
    );
    assert.deepEqual(await recorded(db), ['001_people.sql']);
    const names = await tables(db);
    assert.ok(names.includes('people'));
    assert.ok(!names.includes('half_done'), 'the failed file left no table behind');
    assert.ok(!names.includes('after_broken'), 'later files did not run');
  });

  test('a misnamed file stops the run before anything applies', async () => {
    await writeFile(path.join(directory, '4_unpadded.sql'), 'CREATE TABLE unpadded (id int);');
    await assert.rejects(migrate(db.pool, directory), /4_unpadded\.sql .* must be named like 002_add_findings\.sql/);
    assert.ok(!(await tables(db)).includes('unpadded'));
  });
});
