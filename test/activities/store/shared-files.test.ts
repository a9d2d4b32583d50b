import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PgStore } from '../../../activities/store/pg-store';
import { MAX_SHARED_FILE_BYTES, SHARED_FILE_ID, type SharedFileInput } from '../../../domain/shared-file';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/** Shared files in PostgreSQL: kept until they expire, gone after, and the expired ones deleted on write. */

let db: TestDatabase;
let store: PgStore;

before(async () => {
  ({ db, store } = await freshStore());
});

after(async () => {
  await db?.drop();
});

const file = (overrides: Partial<SharedFileInput> = {}): SharedFileInput => ({
  contentType: 'image/png',
  filename: 'chart.png',
  body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]),
  createdBy: 'Workflow',
  purpose: 'chart',
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  ...overrides,
});

describe('SharedFileStore', () => {
  it('keeps the bytes exactly and answers them until the file expires', async () => {
    const put = await store.sharedFiles.put(file());
    assert.match(put.id, SHARED_FILE_ID);
    const got = await store.sharedFiles.get(put.id);
    assert.deepEqual(Buffer.from(got!.body), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]));
    assert.deepEqual(
      [got?.contentType, got?.filename, got?.createdBy, got?.purpose, got?.expiresAt],
      ['image/png', 'chart.png', 'workflow', 'chart', put.expiresAt],
    );
    assert.equal(await store.sharedFiles.get('not-an-id'), undefined);
    assert.equal(await store.sharedFiles.get('A'.repeat(22)), undefined);
  });

  it('never answers an expired file, and deletes expired files on the next write', async () => {
    const old = await store.sharedFiles.put(file({ expiresAt: new Date(Date.now() - 1000).toISOString() }));
    assert.equal(await store.sharedFiles.get(old.id), undefined);
    const count = async (id: string) =>
      Number((await db.pool.query('SELECT count(*) AS n FROM shared_files WHERE id = $1', [id])).rows[0].n);
    assert.equal(await count(old.id), 1, 'still stored until a write');
    await store.sharedFiles.put(file());
    assert.equal(await count(old.id), 0, 'deleted by the next write');
  });

  it('refuses an empty file and one over the size limit', async () => {
    await assert.rejects(store.sharedFiles.put(file({ body: Buffer.alloc(0) })), /cannot be empty/);
    await assert.rejects(
      store.sharedFiles.put(file({ body: Buffer.alloc(MAX_SHARED_FILE_BYTES + 1) })),
      /at most 20971520 bytes/,
    );
  });
});
