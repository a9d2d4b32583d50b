import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contentId } from '../../activities/inventory/aws';
import type { PgStore } from '../../activities/store/pg-store';
import type { IdentityView } from '../../domain/inventory/view';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { spawnLeast } from '../support/generators/least-cli';

/**
 * `npx least inventory …` as an operator types it, on a snapshot written through the store the
 * collectors use. `show` reads PostgreSQL alone.
 */

const SYSTEM = 'aws-prod';
const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;

let db: TestDatabase;
let store: PgStore;
let runId: string;

function least(...args: string[]) {
  return spawnLeast(args, { DATABASE_URL: db.url, LEAST_POLICY_FILE: 'config/policy.example.yaml' });
}

/** A role holding one policy of a read, a list and a write; it used the read; the trail sees writes only. */
async function writeSnapshot(): Promise<string> {
  const inventory = store.inventory;
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const yesterday = new Date(to.getTime() - 86_400_000).toISOString().slice(0, 10);
  const id = `cli-inventory-${Date.now()}`;
  await inventory.beginRun({
    runId: id,
    systemId: SYSTEM,
    windowFrom: from.toISOString(),
    windowTo: to.toISOString(),
    catalogues: { aws: 'test' },
  });
  const sink = inventory.sink(id);
  await sink.identities([
    { systemId: SYSTEM, id: ROLE, kind: 'aws-iam-role', name: 'app', nature: 'workload', tags: {} },
  ]);
  const body = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'], Resource: '*' }],
  };
  const documentId = contentId(body);
  const action = (name: string, level: 'Read' | 'List' | 'Write') => ({
    documentId,
    action: name,
    effect: 'allow' as const,
    accessLevels: [level],
    resourceReach: 'all' as const,
    conditional: false,
  });
  await sink.documents([
    {
      document: { id: documentId, cloud: 'aws', kind: 'aws-policy', name: 'app#data', managedByCloud: false, body },
      actions: [action('s3:GetObject', 'Read'), action('s3:ListBucket', 'List'), action('s3:PutObject', 'Write')],
    },
  ]);
  await sink.grantPaths([
    {
      systemId: SYSTEM,
      identityId: ROLE,
      kind: 'inline-policy',
      documentId,
      via: 'data',
      scope: '*',
      conditional: false,
    },
  ]);
  await sink.usage(
    [{ systemId: SYSTEM, identityId: ROLE, action: 's3:GetObject', day: yesterday, count: 7, denied: 0 }],
    'test',
  );
  await sink.coverage([
    {
      systemId: SYSTEM,
      identityId: '*',
      source: 'cloudtrail',
      granularity: 'action-day',
      from: from.toISOString(),
      to: to.toISOString(),
      actions: 'writes',
      note: 'management events only',
    },
  ]);
  await inventory.finishRun(id);
  return id;
}

before(async () => {
  ({ db, store } = await freshStore());
  runId = await writeSnapshot();
});

after(async () => {
  await db?.drop();
});

describe('least inventory show', () => {
  it('prints granted vs used with each verdict as JSON', async () => {
    const run = await least('inventory', 'show', 'app', '--system', SYSTEM, '--json');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const view = JSON.parse(run.stdout) as IdentityView;
    assert.equal(view.run.runId, runId);
    assert.equal(view.identity.id, ROLE);
    assert.deepEqual(Object.fromEntries(view.granted.map((action) => [action.action, action.verdict])), {
      's3:GetObject': 'used',
      's3:ListBucket': 'unknown',
      's3:PutObject': 'unused',
    });
  });

  it('prints the window and the coverage on top, then actions by access level', async () => {
    const run = await least('inventory', 'show', ROLE, '--system', SYSTEM);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^app \(aws-iam-role, workload\) in aws-prod$/);
    assert.match(run.stdout, /^Usage window: \S+ → \S+ \(30 days\)$/m);
    assert.match(
      run.stdout,
      /^ {2}cloudtrail: .* per action and day, writes only \(whole system\) — management events only$/m,
    );
    assert.match(run.stdout, /^Granted: 3 actions — 1 used, 1 unused, 1 unknown$/m);
    const order = ['Write (1)', 'Read (1)', 'List (1)'].map((heading) => lines.indexOf(heading));
    assert.ok(
      order.every((index, i) => index > 0 && (i === 0 || index > order[i - 1]!)),
      run.stdout,
    );
    assert.match(run.stdout, /^ {2}s3:GetObject\s+used · 7 uses, last \d{4}-\d{2}-\d{2} · all resources$/m);
    assert.match(run.stdout, /^ {2}s3:PutObject\s+unused · all resources$/m);
    assert.match(run.stdout, /^ {2}s3:ListBucket\s+unknown · all resources$/m);
  });

  it('says so when the identity is not in the snapshot, exit 1', async () => {
    const run = await least('inventory', 'show', 'nobody', '--system', SYSTEM);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /no identity "nobody" in the current snapshot of aws-prod/);
  });

  it('asks for --system, exit 2', async () => {
    const run = await least('inventory', 'show', 'app');
    assert.equal(run.code, 2);
    assert.match(run.stdout, /inventory show needs --system/);
  });
});
