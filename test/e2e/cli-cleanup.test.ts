import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgStore } from '../../activities/store/pg-store';
import type { CleanupPlan } from '../../domain/cleanup/model';
import { loadAwsCatalogue } from '../../activities/inventory/catalogue/aws';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { leastInProcess as least } from '../support/generators/least-cli';
import { awsIdentity, cloudTrailCoverage, grantPath, usedOn } from '../support/checks/findings-snapshot';
import { awsPolicyDocument, writeSnapshotPair } from '../support/checks/cleanup-run';

/**
 * `least cleanup …` on the example policy, with no Temporal: `plan` is a dry run over the current
 * snapshot that changes and records nothing; `runs` and `show` read the store; mistakes are usage errors.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SYSTEM = 'aws-prod';
const ACCOUNT = '123456789012';
const DAY = 86_400_000;
const iso = (daysAgo: number): string => new Date(Date.now() - daysAgo * DAY).toISOString();

let db: TestDatabase;
let store: PgStore;
const saved = { ...process.env };

before(async () => {
  ({ db, store } = await freshStore());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-cleanup-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, readFileSync(path.join(ROOT, 'config', 'policy.example.yaml'), 'utf8'));
  Object.assign(process.env, { DATABASE_URL: db.url, LEAST_POLICY_FILE: policyFile });
  const migrated = await least('migrate');
  assert.equal(migrated.code, 0, migrated.out);
  const catalogue = await loadAwsCatalogue();
  const role = { ...awsIdentity(SYSTEM, ACCOUNT, 'reports-job', 'aws-iam-role', 'workload'), createdAt: iso(400) };
  const doc = awsPolicyDocument(catalogue, 'reports-job/reports', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::reports/*' }],
  });
  await writeSnapshotPair(
    store,
    {
      runId: 'cli-cleanup-now',
      systemId: SYSTEM,
      window: { from: iso(90), to: iso(0) },
      identities: [role],
      documents: [doc],
      paths: [grantPath(role, doc.document.id, { kind: 'inline-policy', via: 'reports' })],
      usage: [usedOn(role, 's3:GetObject', iso(4).slice(0, 10))],
      coverage: [cloudTrailCoverage(SYSTEM, iso(100), iso(0))],
    },
    { runId: 'cli-cleanup-old', window: { from: iso(120), to: iso(30) } },
  );
});

after(async () => {
  process.env = saved;
  await store.close().catch(() => undefined);
  await db?.drop();
});

describe('least cleanup', () => {
  it('plans a dry run: the unused action of an inline policy, and records nothing', async () => {
    const run = await least('cleanup', 'plan', '--system', SYSTEM);
    assert.equal(run.code, 0, run.out);
    assert.match(
      run.out,
      /^aws-prod \(aws\): report mode, .* 1 change\(s\) taking away 1 action\(s\) from 1 identity$/m,
    );
    assert.match(run.out, /^ {2}narrow-policy .*reports.* \(reports-job\) — /m);
    assert.match(run.out, /^ {4}removes 1: s3:DeleteObject$/m);
    const json = JSON.parse((await least('cleanup', 'plan', '--system', SYSTEM, '--json')).out) as {
      plans: { systemId: string; plan: CleanupPlan }[];
    };
    assert.deepEqual(json.plans[0]?.plan.items[0]?.removeActions, ['s3:DeleteObject']);
    assert.equal((await least('cleanup', 'runs')).out.trim(), 'no cleanup runs yet', 'a dry run records nothing');
  });

  it('plans one identity only, and refuses what it cannot read', async () => {
    const other = await least(
      'cleanup',
      'plan',
      '--system',
      SYSTEM,
      '--identity',
      'arn:aws:iam::123456789012:role/nobody',
    );
    assert.equal(other.code, 0, other.out);
    assert.match(other.out, /0 change\(s\)/);
    const unknown = await least('cleanup', 'plan', '--system', 'no-such-system');
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /no authorization system "no-such-system"/);
    const missing = await least('cleanup', 'show', 'cleanup-nothing');
    assert.equal(missing.code, 1);
    assert.match(missing.out, /no cleanup run cleanup-nothing/);
    const noVerb = await least('cleanup');
    assert.equal(noVerb.code, 2);
    const anonymous = await least('cleanup', 'restore', 'cleanup-nothing');
    assert.equal(anonymous.code, 2);
    assert.match(anonymous.out, /needs --as EMAIL/);
    const both = await least(
      'cleanup',
      'restore',
      'cleanup-nothing',
      '--as',
      'a@example.com',
      '--item',
      'x',
      '--identity',
      'y',
    );
    assert.equal(both.code, 2);
    assert.match(both.out, /--item or --identity, not both/);
  });
});
