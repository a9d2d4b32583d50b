import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, canonicalJson, chainHash, type ChainedContent } from '../../../activities/store/audit-chain';
import { verifyAudit } from '../../../activities/store/audit-log';
import { PgStore } from '../../../activities/store/pg-store';
import type { AuditEntry, AuditRow } from '../../../activities/store/types';
import { AuditAction } from '../../../domain/audit';
import { freshDatabase, freshStore, type TestDatabase } from '../../support/launch/database';

/** The audit trail of one request as the workflow writes it. */
function requestStory(requestId: string): AuditEntry[] {
  return [
    {
      actor: 'maya.chen@example.com',
      action: 'request.submitted',
      requestId,
      detail: {
        entitlementId: 'prod-db-readonly',
        durationSeconds: 3600,
        reason: 'INC-4821 slow checkout queries',
        ticket: 'INC-4821',
      },
      key: `request.submitted:${requestId}`,
    },
    {
      actor: 'priya.nair@example.com',
      action: 'approval.approved',
      requestId,
      detail: { stage: 'request', approvals: 1, required: 1 },
      key: `approval.approved:${requestId}:priya.nair@example.com:request`,
    },
    {
      actor: 'workflow',
      action: 'grant.applied',
      requestId,
      detail: {
        systemId: 'aws-prod',
        cloudKey: 'identity-center:111122223333:ps-0a1b2c3d4e5f6789:906735c2f1',
        expiresAt: '2025-07-01T10:04:00.000Z',
        created: true,
      },
      key: `grant.applied:${requestId}`,
    },
    {
      actor: 'workflow',
      action: 'grant.revoked',
      requestId,
      detail: { reason: 'expired', verified: { present: false, detail: 'no assignment listed' } },
      key: `grant.revoked:${requestId}`,
    },
  ];
}

async function appendAll(store: PgStore, entries: AuditEntry[]): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (const entry of entries) rows.push(await store.appendAudit(entry));
  return rows;
}

async function count(db: TestDatabase): Promise<number> {
  const result = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log');
  return result.rows[0]!.n;
}

/** What someone with owner rights on the database can do: switch off the append-only trigger, then edit. */
async function tamper(db: TestDatabase, sql: string, values: unknown[] = []): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    const result = await client.query(sql, values);
    assert.equal(result.rowCount, 1, 'the tampering touched one row');
    await client.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

describe('audit log', () => {
  let db: TestDatabase;
  let store: PgStore;
  before(async () => {
    ({ db, store } = await freshStore());
  });
  after(async () => {
    await db.drop();
  });

  test('an empty log verifies', async () => {
    assert.deepEqual(await store.verifyAudit(), { ok: true, rows: 0, problems: [] });
  });

  test('appends form a chain that verifies, and read back exactly as appended', async () => {
    const rows = await appendAll(store, requestStory('req-50'));
    assert.deepEqual(
      rows.map((row) => row.seq),
      [1, 2, 3, 4],
    );
    assert.equal(rows[0]!.prevHash, GENESIS_HASH);
    rows.slice(1).forEach((row, index) => assert.equal(row.prevHash, rows[index]!.hash));
    for (const row of rows) assert.equal(chainHash(row), row.hash);
    assert.deepEqual(await store.auditFor('req-50'), rows);
    assert.deepEqual(await store.verifyAudit(), { ok: true, rows: 4, problems: [] });
    const head = await db.pool.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head');
    assert.deepEqual(head.rows, [{ seq: '4', hash: rows[3]!.hash }]);
  });

  test('a caller-given time with microseconds, an offset and undefined detail fields still verifies', async () => {
    const row = await store.appendAudit(
      {
        actor: 'secops@example.com',
        action: 'breakglass.reviewed',
        requestId: 'req-50',
        detail: {
          note: 'reviewed in the weekly access review',
          skipped: undefined,
          when: new Date('2025-07-01T12:00:00Z'),
        },
      },
      '2025-07-01T14:30:00.123456+02:00',
    );
    assert.equal(row.at, '2025-07-01T12:30:00.123Z');
    assert.deepEqual(row.detail, { note: 'reviewed in the weekly access review', when: '2025-07-01T12:00:00.000Z' });
    assert.equal(row.key, undefined);
    assert.equal((await store.verifyAudit()).ok, true);
  });

  test('a retried append with the same key returns the first row and adds none', async () => {
    const entry = requestStory('req-51')[2]!;
    const firstTry = await store.appendAudit(entry);
    const rowsBefore = await count(db);
    const retry = await store.appendAudit({ ...entry, detail: { ...entry.detail, created: false } });
    assert.deepEqual(retry, firstTry);
    assert.equal(await count(db), rowsBefore);
  });

  test('concurrent retries of one keyed append add exactly one row', async () => {
    const entry = requestStory('req-52')[0]!;
    const rowsBefore = await count(db);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.appendAudit(entry)));
    assert.equal(new Set(results.map((row) => row.seq)).size, 1);
    assert.equal(await count(db), rowsBefore + 1);
  });

  test('50 concurrent appends give a gap-free chain that verifies, also when read in small pages', async () => {
    const rowsBefore = await count(db);
    const rows = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        store.appendAudit({
          actor: 'system',
          action: 'reconcile.out_of_band',
          detail: { systemId: 'aws-prod', assignment: index },
        }),
      ),
    );
    assert.deepEqual(
      rows.map((row) => row.seq).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, index) => rowsBefore + index + 1),
    );
    const verification = await store.verifyAudit();
    assert.deepEqual(verification, { ok: true, rows: rowsBefore + 50, problems: [] });
    assert.deepEqual(await verifyAudit(db.pool, 7), verification);
  });

  test('two processes appending at once (two stores, two pools) still make one chain, rows as read back', async () => {
    const other = PgStore.connect(db.url);
    try {
      const rowsBefore = await count(db);
      const entry = (writer: string, index: number): AuditEntry => ({
        actor: writer,
        action: 'reconcile.out_of_band',
        requestId: `req-two-${writer}`,
        detail: { index },
      });
      const [mine, theirs] = await Promise.all([
        Promise.all(Array.from({ length: 30 }, (_, i) => store.appendAudit(entry('a', i)))),
        Promise.all(Array.from({ length: 30 }, (_, i) => other.appendAudit(entry('b', i)))),
      ]);
      assert.equal(await count(db), rowsBefore + 60);
      assert.deepEqual(await store.verifyAudit(), { ok: true, rows: rowsBefore + 60, problems: [] });
      // what each caller was handed is exactly what the log holds
      assert.deepEqual(
        await store.auditFor('req-two-a'),
        [...mine].sort((x, y) => x.seq - y.seq),
      );
      assert.deepEqual(
        await store.auditFor('req-two-b'),
        [...theirs].sort((x, y) => x.seq - y.seq),
      );
    } finally {
      await other.close();
    }
  });

  test('several entries of one call are consecutive and in order, amid other appends', async () => {
    const story = requestStory('req-53');
    const [together] = await Promise.all([
      store.appendAudits(story),
      ...Array.from({ length: 10 }, (_, i) =>
        store.appendAudit({ actor: 'system', action: 'reconcile.out_of_band', detail: { i } }),
      ),
    ]);
    assert.deepEqual(
      together.map((row) => row.action),
      story.map((entry) => entry.action),
    );
    together.slice(1).forEach((row, i) => {
      assert.equal(row.seq, together[i]!.seq + 1);
      assert.equal(row.prevHash, together[i]!.hash);
    });
    assert.equal((await store.verifyAudit()).ok, true);
  });

  test('an entry with a bad time fails its own caller only; the others queued with it land', async () => {
    const rowsBefore = await count(db);
    const results = await Promise.allSettled([
      store.appendAudit({ actor: 'system', action: 'reconcile.out_of_band', detail: { n: 1 } }),
      store.appendAudit({ actor: 'system', action: 'reconcile.out_of_band', detail: { n: 2 } }, 'not a time'),
      store.appendAudit({ actor: 'system', action: 'reconcile.out_of_band', detail: { n: 3 } }),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await count(db), rowsBefore + 2);
    assert.equal((await store.verifyAudit()).ok, true);
  });

  test('auditFor without a request gives the newest rows of the whole log, oldest first', async () => {
    const total = await count(db);
    const newest = await store.auditFor(undefined, 3);
    assert.deepEqual(
      newest.map((row) => row.seq),
      [total - 2, total - 1, total],
    );
    assert.deepEqual(await store.auditFor('req-nobody'), []);
  });

  test('the table refuses ordinary updates, deletes and truncation', async () => {
    await assert.rejects(
      db.pool.query(`UPDATE audit_log SET actor = 'someone-else@example.com' WHERE seq = 1`),
      /append-only: UPDATE/,
    );
    await assert.rejects(db.pool.query('DELETE FROM audit_log WHERE seq = 1'), /append-only: DELETE/);
    await assert.rejects(db.pool.query('TRUNCATE audit_log'), /append-only: TRUNCATE/);
    assert.equal((await store.verifyAudit()).ok, true);
  });
});

describe('audit log and hostile text', () => {
  let db: TestDatabase;
  let store: PgStore;
  before(async () => {
    ({ db, store } = await freshStore());
  });
  after(async () => {
    await db.drop();
  });

  test('hostile text that jsonb refuses (NUL, unpaired surrogates) is still audited, and verifies', async () => {
    const row = await store.appendAudit({
      actor: 'mallory@example.com',
      action: 'request.refused',
      detail: { entitlement: 'prod\u0000admin', reason: 'half an emoji \uD83D here, and a stray \uDE00' },
    });
    assert.deepEqual(row.detail, {
      entitlement: 'prod\uFFFDadmin',
      reason: 'half an emoji \uFFFD here, and a stray \uFFFD',
    });
    assert.equal((await store.verifyAudit()).ok, true);
  });
});

describe('audit log tampering', () => {
  // Each case damages its log, so each gets a database of its own; `after` drops them all.
  const databases: TestDatabase[] = [];
  const seeded = async (entries: number): Promise<{ db: TestDatabase; store: PgStore }> => {
    const db = await freshDatabase();
    databases.push(db);
    const store = new PgStore(db.pool);
    await store.migrate();
    await appendAll(store, [...requestStory('req-40'), ...requestStory('req-41')].slice(0, entries));
    return { db, store };
  };
  after(async () => {
    for (const db of databases) await db.drop();
  });

  test('an edited detail is named by its seq', async () => {
    const { db, store } = await seeded(8);
    await tamper(db, `UPDATE audit_log SET detail = jsonb_set(detail, '{durationSeconds}', '86400') WHERE seq = 5`);
    assert.deepEqual(await store.verifyAudit(), {
      ok: false,
      rows: 8,
      problems: [{ seq: 5, problem: 'row 5 was modified: its hash does not match its contents' }],
    });
  });

  test('an edited row whose hash was recomputed breaks the link to the next row', async () => {
    const { db, store } = await seeded(8);
    const row = (await store.auditFor('req-40')).find((candidate) => candidate.seq === 3);
    assert.ok(row);
    const forged = { ...row, actor: 'mallory@example.com' };
    await tamper(db, 'UPDATE audit_log SET actor = $1, hash = $2 WHERE seq = 3', [forged.actor, chainHash(forged)]);
    assert.deepEqual(await store.verifyAudit(), {
      ok: false,
      rows: 8,
      problems: [
        {
          seq: 4,
          problem:
            'row 4 does not follow row 3: it records a different hash for row 3, so row 3 was rewritten (contents and hash) or row 4 was',
        },
      ],
    });
  });

  test('a deleted middle row is reported missing', async () => {
    const { db, store } = await seeded(8);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 4');
    assert.deepEqual(await store.verifyAudit(), {
      ok: false,
      rows: 7,
      problems: [{ seq: 4, problem: 'row 4 is missing (deleted)' }],
    });
  });

  test('a deleted newest row is caught by the head', async () => {
    const { db, store } = await seeded(8);
    await tamper(db, 'DELETE FROM audit_log WHERE seq = 8');
    assert.deepEqual(await store.verifyAudit(), {
      ok: false,
      rows: 7,
      problems: [{ seq: 8, problem: 'the newest row(s) after 7 were deleted: head says 8' }],
    });
  });

  test('a rewritten newest row (hash recomputed) does not match the head', async () => {
    const { db, store } = await seeded(6);
    const [newest] = await store.auditFor(undefined, 1);
    assert.ok(newest && newest.seq === 6);
    const forged = { ...newest, detail: { ...newest.detail, approvals: 2 } };
    await tamper(db, 'UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = 6', [
      JSON.stringify(forged.detail),
      chainHash(forged),
    ]);
    assert.deepEqual(await store.verifyAudit(), {
      ok: false,
      rows: 6,
      problems: [
        { seq: 6, problem: 'row 6 does not match the head: the newest row was rewritten (contents and hash)' },
      ],
    });
  });
});

describe('canonical serialisation', () => {
  test('sorts keys at every depth, keeps array order and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined }),
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  test('the hash covers every field and ignores how the time was written', () => {
    const row: ChainedContent = {
      seq: 7,
      at: '2025-07-01T12:00:00.000Z',
      actor: 'workflow',
      action: 'grant.applied',
      requestId: 'req-60',
      detail: { systemId: 'aws-prod' },
      key: 'grant.applied:req-60',
      prevHash: 'a'.repeat(64),
    };
    const hash = chainHash(row);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(chainHash({ ...row, at: '2025-07-01T14:00:00+02:00' }), hash);
    assert.equal(chainHash({ ...row, detail: { systemId: 'aws-prod' } }), hash);
    for (const changed of [
      { seq: 8 },
      { at: '2025-07-01T12:00:00.001Z' },
      { actor: 'system' },
      { action: AuditAction.GrantRevoked },
      { requestId: 'req-61' },
      { requestId: undefined },
      { detail: { systemId: 'aws-dev' } },
      { key: undefined },
      { prevHash: 'b'.repeat(64) },
    ]) {
      assert.notEqual(chainHash({ ...row, ...changed }), hash, `changing ${JSON.stringify(changed)} changes the hash`);
    }
  });
});
