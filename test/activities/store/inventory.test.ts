import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type {
  AccessLevel,
  DocumentAction,
  GrantPath,
  Identity,
  PolicyDocument,
  UsageDay,
} from '../../../domain/inventory/model';
import { SKIPPED_KEPT } from '../../../activities/store/inventory/runs';
import type { InventoryStore } from '../../../activities/store/inventory/store';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import { ErrorCode } from '../../../domain/errors';

/** Inventory snapshots in PostgreSQL: runs written in pages, atomic finish, idempotent pages, retention. */

let db: TestDatabase;
let inventory: InventoryStore;

before(async () => {
  let store;
  ({ db, store } = await freshStore());
  inventory = store.inventory;
});
after(async () => {
  await db?.drop();
});

const WINDOW = { windowFrom: '2026-01-01T00:00:00.000Z', windowTo: '2026-03-31T23:59:59.000Z' };

function role(systemId: string, name: string, extra: Partial<Identity> = {}): Identity {
  return {
    systemId,
    id: `arn:aws:iam::111122223333:role/${name}`,
    kind: 'aws-iam-role',
    name,
    nature: 'workload',
    tags: {},
    ...extra,
  };
}

function policy(
  name: string,
  actions: [string, ('allow' | 'deny')?, AccessLevel[]?][],
): { document: PolicyDocument; actions: DocumentAction[] } {
  const id = `sha256:${createHash('sha256').update(name).digest('hex')}`;
  return {
    document: { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud: false, body: { name } },
    actions: actions.map(([action, effect = 'allow', accessLevels = ['Read']]) => ({
      documentId: id,
      action,
      effect,
      accessLevels,
      resourceReach: 'all',
      conditional: false,
    })),
  };
}

function path(identity: Identity, documentId: string, extra: Partial<GrantPath> = {}): GrantPath {
  return {
    systemId: identity.systemId,
    identityId: identity.id,
    kind: 'managed-policy',
    documentId,
    scope: '*',
    conditional: false,
    ...extra,
  };
}

function use(identity: Identity, action: string, day: string, count: number, denied = 0): UsageDay {
  return { systemId: identity.systemId, identityId: identity.id, action, day, count, denied };
}

async function begin(runId: string, systemId: string) {
  return inventory.beginRun({ runId, systemId, ...WINDOW, catalogues: { aws: 'iam-data test' } });
}

async function count(table: string): Promise<number> {
  const result = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return result.rows[0]?.n ?? -1;
}

describe('inventory runs', () => {
  test('a run written in pages is current only once it finishes; beginning it again returns the same run', async () => {
    const system = 'runs-current';
    const first = await begin('run-a1', system);
    assert.equal(first.status, 'running');
    assert.deepEqual(await begin('run-a1', system), first, 'a retried beginRun gets the same run back');

    const reader = role(system, 'Reader');
    const readOnly = policy('ReadOnly', [['s3:GetObject'], ['s3:ListBucket', 'allow', ['List']]]);
    const sink = inventory.sink('run-a1');
    await sink.identities([reader]);
    await sink.documents([readOnly]);
    await sink.grantPaths([path(reader, readOnly.document.id)]);
    await sink.usage([use(reader, 's3:GetObject', '2026-02-01', 3)], 'file-1');
    await inventory.addCounts('run-a1', { identities: 1, files: 1 });
    await inventory.addCounts('run-a1', { files: 2 });

    assert.equal(await inventory.currentRun(system), undefined, 'nothing is current before the run finishes');
    assert.equal(await inventory.identityView(system, 'Reader'), undefined);

    const finished = await inventory.finishRun('run-a1');
    assert.equal(finished.status, 'succeeded');
    assert.deepEqual(finished.counts, { identities: 1, files: 3 });
    assert.equal((await inventory.currentRun(system))?.runId, 'run-a1');
    assert.deepEqual(await inventory.finishRun('run-a1'), finished, 'finishing twice changes nothing');

    const view = await inventory.identityView(system, 'Reader');
    assert.deepEqual(
      view?.granted.map((g) => [g.action, g.accessLevels, g.usage?.count ?? 0]),
      [
        ['s3:GetObject', ['Read'], 3],
        ['s3:ListBucket', ['List'], 0],
      ],
    );
    await assert.rejects(sink.identities([role(system, 'Late')]), { code: ErrorCode.InventoryRunClosed });
  });

  test('a failed run leaves the previous snapshot current and keeps only its skipped items', async () => {
    const system = 'runs-failed';
    const admin = role(system, 'Admin');
    const all = policy('AdminAll', [['iam:CreateUser', 'allow', ['Write']]]);
    await begin('run-b1', system);
    await inventory.sink('run-b1').identities([admin]);
    await inventory.sink('run-b1').documents([all]);
    await inventory.sink('run-b1').grantPaths([path(admin, all.document.id)]);
    await inventory.finishRun('run-b1');

    await begin('run-b2', system);
    const sink = inventory.sink('run-b2');
    await sink.identities([admin, role(system, 'Newcomer')]);
    await sink.skipped([{ reason: 'cloudtrail.file.malformed', item: 'AWSLogs/1/x.json.gz', detail: 'truncated' }]);
    await inventory.failRun('run-b2', 'throttled for too long');

    assert.equal((await inventory.currentRun(system))?.runId, 'run-b1');
    assert.equal(await inventory.identityView(system, 'Newcomer'), undefined);
    assert.equal(await inventory.identityView(system, 'Newcomer', { runId: 'run-b2' }), undefined, 'rows deleted');
    const [failed, previous] = await inventory.runs(system);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error, 'throttled for too long');
    assert.deepEqual(failed?.skipped, [
      { reason: 'cloudtrail.file.malformed', item: 'AWSLogs/1/x.json.gz', detail: 'truncated' },
    ]);
    assert.equal(failed?.counts.skippedItems, 1);
    assert.equal(previous?.runId, 'run-b1');
    await assert.rejects(inventory.finishRun('run-b2'), { code: ErrorCode.InventoryRunClosed });
    await assert.rejects(sink.usage([use(admin, 'iam:CreateUser', '2026-02-01', 1)]), {
      code: ErrorCode.InventoryRunClosed,
    });
  });
});

describe('idempotent pages', () => {
  test('a retried page changes nothing; two files of one day add up', async () => {
    const system = 'pages-retry';
    const dev = role(system, 'Dev');
    const logs = policy('Logs', [['logs:GetLogEvents'], ['logs:PutLogEvents', 'allow', ['Write']]]);
    await begin('run-c1', system);
    const sink = inventory.sink('run-c1');
    const page = async (): Promise<void> => {
      await sink.identities([dev]);
      await sink.documents([logs]);
      await sink.grantPaths([path(dev, logs.document.id), path(dev, logs.document.id, { kind: 'inline-policy' })]);
      await sink.usage([use(dev, 'logs:GetLogEvents', '2026-02-01', 5, 1)], 'AWSLogs/a.json.gz');
      await sink.usage([use(dev, 'logs:GetLogEvents', '2026-02-01', 2)], 'AWSLogs/b.json.gz');
      // without a chunk name the batch's content names it
      await sink.usage([use(dev, 'logs:PutLogEvents', '2026-02-02', 7)]);
      await sink.usageDetail(
        [
          {
            systemId: system,
            identityId: dev.id,
            day: '2026-02-01',
            hours: Array.from({ length: 24 }, (_, h) => (h === 9 ? 4 : 0)),
            regions: ['eu-west-1'],
            addresses: ['192.0.2.1'],
            newResources: ['arn:aws:logs:eu-west-1:111122223333:log-group:app'],
          },
        ],
        'AWSLogs/a.json.gz',
      );
      await sink.coverage([
        {
          systemId: system,
          identityId: '*',
          source: 'cloudtrail',
          granularity: 'action-day',
          from: WINDOW.windowFrom,
          to: WINDOW.windowTo,
          actions: 'all',
        },
      ]);
      await sink.skipped([{ reason: 'cloudtrail.record.unknown-action', item: 'foo:Bar' }]);
    };
    await page();
    await page();
    await inventory.finishRun('run-c1');

    const view = await inventory.identityView(system, dev.id);
    assert.deepEqual(view?.usage, [
      { action: 'logs:GetLogEvents', count: 7, denied: 1, firstUsed: '2026-02-01', lastUsed: '2026-02-01' },
      { action: 'logs:PutLogEvents', count: 7, denied: 0, firstUsed: '2026-02-02', lastUsed: '2026-02-02' },
    ]);
    assert.equal(view?.paths.length, 2, 'each path once');
    assert.equal(view?.coverage.length, 1);
    assert.deepEqual(view?.run.skipped, [{ reason: 'cloudtrail.record.unknown-action', item: 'foo:Bar' }]);
    const detail = await db.pool.query<{ hours: number[]; addresses: string[] }>(
      `SELECT hours, addresses FROM inventory_usage_detail d JOIN inventory_runs r USING (run_key)
       WHERE r.run_id = 'run-c1'`,
    );
    assert.equal(detail.rows.length, 1);
    assert.equal(detail.rows[0]?.hours[9], 4, 'the retried detail page added nothing');
    assert.deepEqual(detail.rows[0]?.addresses, ['192.0.2.1']);
  });

  test('documents are stored and expanded once across runs and systems', async () => {
    const shared = policy('SharedReadOnly', [['ec2:DescribeInstances', 'allow', ['List']], ['s3:GetObject']]);
    const before = await count('inventory_document_actions');
    for (const [runId, system] of [
      ['run-d1', 'docs-one'],
      ['run-d2', 'docs-one'],
      ['run-d3', 'docs-two'],
    ] as const) {
      await begin(runId, system);
      const ops = role(system, 'Ops');
      await inventory.sink(runId).identities([ops]);
      await inventory.sink(runId).documents([shared, shared]);
      await inventory.sink(runId).grantPaths([path(ops, shared.document.id)]);
      await inventory.finishRun(runId);
      assert.deepEqual(
        (await inventory.identityView(system, 'ops'))?.granted.map((g) => g.action),
        ['ec2:DescribeInstances', 's3:GetObject'],
      );
    }
    const stored = await db.pool.query(`SELECT 1 FROM inventory_documents WHERE document_id = $1`, [
      shared.document.id,
    ]);
    assert.equal(stored.rowCount, 1);
    assert.equal((await count('inventory_document_actions')) - before, 2, 'two actions, once');
  });
});

describe('skipped items', () => {
  test('a noisy source is bounded: the first items of a reason are kept, the rest counted; a retry adds nothing', async () => {
    const system = 'skipped-noisy';
    await begin('run-s1', system);
    const sink = inventory.sink('run-s1');
    const malformed = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        reason: 'cloudtrail.file.malformed',
        item: `AWSLogs/f${String(from + i).padStart(6, '0')}.json.gz`,
        detail: 'json: Unexpected end of JSON input',
      }));
    const first = malformed(0, SKIPPED_KEPT - 10);
    const second = [...malformed(SKIPPED_KEPT - 10, 5000), { reason: 'role.unreadable', item: 'ops' }];
    await sink.skipped(first);
    await sink.skipped(second);
    await sink.skipped(second); // a retried page
    await sink.skipped(malformed(0, 3)); // items already kept, in another batch
    await sink.skipped([{ reason: 'role.unreadable', item: '' }]);

    const rows = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inventory_skipped JOIN inventory_runs USING (run_key) WHERE run_id = 'run-s1'`,
    );
    assert.equal(rows.rows[0]?.n, SKIPPED_KEPT + 1 + 2, 'the kept items, a count, and the other reason');

    await inventory.finishRun('run-s1');
    const [run] = await inventory.runs(system);
    assert.equal(run?.counts.skippedItems, SKIPPED_KEPT - 10 + 5000 + 2);
    const listed = run?.skipped.filter((s) => s.reason === 'cloudtrail.file.malformed') ?? [];
    assert.equal(listed.length, SKIPPED_KEPT + 1);
    assert.deepEqual(listed[0], first[0], 'the first met is kept whole');
    assert.deepEqual(listed.at(-1), {
      reason: 'cloudtrail.file.malformed',
      item: `${5000 - 10} more`,
      detail: `not listed: a run keeps the first ${SKIPPED_KEPT} of a reason`,
    });
    assert.deepEqual(
      run?.skipped.filter((s) => s.reason === 'role.unreadable'),
      [
        { reason: 'role.unreadable', item: '(none)' },
        { reason: 'role.unreadable', item: 'ops' },
      ],
    );
  });
});

describe('bad batches', () => {
  test('a path to a document never stored refuses the whole batch; the run goes on', async () => {
    const system = 'bad-paths';
    const app = role(system, 'App');
    const known = policy('Known', [['sqs:SendMessage', 'allow', ['Write']]]);
    await begin('run-e1', system);
    const sink = inventory.sink('run-e1');
    await sink.identities([app]);
    await sink.documents([known]);
    await assert.rejects(
      sink.grantPaths([path(app, known.document.id), path(app, 'sha256:never-stored')]),
      (error: Error & { code?: string }) =>
        error.code === ErrorCode.InventoryBatchRefused && error.message.includes('sha256:never-stored'),
    );
    await assert.rejects(sink.identities([role('another-system', 'Stranger')]), {
      code: ErrorCode.InventoryBatchRefused,
    });
    await assert.rejects(sink.usage([use(app, 'sqs:SendMessage', '1 Feb 2026', 1)]), {
      code: ErrorCode.InventoryBatchRefused,
    });
    await assert.rejects(sink.grantPaths([path(app, known.document.id, { kind: 'group-membership' })]), {
      code: ErrorCode.InventoryBatchRefused,
    });
    await assert.rejects(inventory.sink('never-begun').identities([app]), { code: ErrorCode.InventoryRunUnknown });
    await inventory.finishRun('run-e1');

    const view = await inventory.identityView(system, 'App');
    assert.deepEqual(view?.paths, [], 'the good path of the refused batch was not written either');
    assert.deepEqual(view?.usage, []);
  });
});

describe('retention', () => {
  test('old snapshots, their documents and old usage detail are deleted when a run finishes', async () => {
    const system = 'retention';
    const svc = role(system, 'Svc');
    const detailOn = (day: string) => ({
      systemId: system,
      identityId: svc.id,
      day,
      hours: Array.from({ length: 24 }, () => 1),
      regions: ['us-east-1'],
      addresses: ['198.51.100.7'],
      newResources: [],
    });
    for (const n of [1, 2, 3]) {
      const runId = `run-f${n}`;
      const only = policy(`OnlyInRun${n}`, [[`svc:Action${n}`]]);
      await begin(runId, system);
      await inventory.sink(runId).identities([svc]);
      await inventory.sink(runId).documents([only]);
      await inventory.sink(runId).grantPaths([path(svc, only.document.id)]);
      await inventory.sink(runId).usageDetail([detailOn('2026-01-05'), detailOn('2026-03-05')]);
      await inventory.finishRun(runId, { snapshotsKept: 2, usageDetailBefore: '2026-02-01' });
    }
    assert.deepEqual(
      (await inventory.runs(system)).map((r) => r.runId),
      ['run-f3', 'run-f2'],
    );
    assert.equal(await inventory.identityView(system, 'Svc', { runId: 'run-f1' }), undefined);
    const documents = await db.pool.query<{ name: string }>(
      `SELECT name FROM inventory_documents WHERE name LIKE 'OnlyInRun%' ORDER BY name`,
    );
    assert.deepEqual(
      documents.rows.map((r) => r.name),
      ['OnlyInRun2', 'OnlyInRun3'],
    );
    const days = await db.pool.query<{ day: string }>(
      `SELECT d.day::text AS day FROM inventory_usage_detail d JOIN inventory_runs r USING (run_key)
       WHERE r.system_id = $1 ORDER BY r.run_key, d.day`,
      [system],
    );
    assert.deepEqual(
      days.rows.map((r) => r.day),
      ['2026-03-05', '2026-03-05'],
    );
  });
});
