import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { PgStore } from '../../activities/store/pg-store';
import type { CollectionRun } from '../../domain/inventory/model';
import type { IdentityView } from '../../domain/inventory/view';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { leastInProcess } from '../support/generators/least-cli';

/**
 * `least inventory import FILE --system S`: an `aws iam get-account-authorization-details` file becomes
 * the system's current snapshot, with no usage (so nothing reads as unused), through the same mapping the
 * collector uses; bad files are refused with a reason and leave the current snapshot where it was.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'account-authorization-details.json');
/** Salesforce Cloudsplaining's example account (BSD-3-Clause), kept beside the clone in CI, never copied in. */
const SYSTEM = 'aws-prod';

let db: TestDatabase;
let store: PgStore;
let dir: string;
const saved = { ...process.env };

const least = leastInProcess;

function file(name: string, content: string): string {
  const written = path.join(dir, name);
  writeFileSync(written, content);
  return written;
}

before(async () => {
  ({ db, store } = await freshStore());
  dir = mkdtempSync(path.join(os.tmpdir(), 'least-import-'));
  const policy = YAML.parse(
    await import('node:fs/promises').then((fs) =>
      fs.readFile(path.join(ROOT, 'config', 'policy.example.yaml'), 'utf8'),
    ),
  ) as { authorizationSystems: Record<string, unknown>[] };
  // the example policy, plus the account of Cloudsplaining's example
  policy.authorizationSystems.push({
    id: 'aws-example',
    cloud: 'aws',
    accountId: '200611803367',
    brokerRoleArn: 'arn:aws:iam::200611803367:role/least-broker',
  });
  Object.assign(process.env, { DATABASE_URL: db.url, LEAST_POLICY_FILE: file('policy.yaml', YAML.stringify(policy)) });
});

after(async () => {
  process.env = saved;
  await store.close().catch(() => undefined);
  await db?.drop();
});

describe('least inventory import', () => {
  let imported: CollectionRun;

  it('makes the file the current snapshot and reports what it skipped', async () => {
    const run = await least('inventory', 'import', FIXTURE, '--system', SYSTEM);
    assert.equal(run.code, 0, run.out);
    assert.match(
      run.out,
      /^aws-prod: imported .*account-authorization-details\.json as run import-aws-prod-\S+, now the current snapshot — 4 documents, 6 grantPaths, 4 identities, 5 skippedItems$/m,
    );
    assert.match(run.out, /^ {2}policy\.json\.invalid {2}arn:aws:iam::123456789012:user\/alice#scratch-notes — /m);
    assert.match(run.out, /^ {2}aws\.gaad\.group\.missing {2}contractors — group of alice$/m);
    assert.match(
      run.out,
      /^ {2}policy\.document\.missing {2}arn:aws:iam::aws:policy\/ReadOnlyAccess — attached, but not/m,
    );
    assert.match(run.out, /^ {2}action\.unknown {2}.*nosuchservice:Deploy/m);
    assert.match(run.out, /^ {2}aws\.gaad\.item\.invalid {2}RoleDetailList\[1\] — Arn: /m);
    assert.match(run.out, /coverage is none, so every granted action shows as unknown \(never unused\)/);
    imported = (await store.inventory.currentRun(SYSTEM))!;
    assert.equal(imported.status, 'succeeded');
    assert.match(imported.runId, /^import-aws-prod-/);
  });

  it('shows a role granted through inline, customer and AWS-managed policies, every action unknown', async () => {
    const run = await least('inventory', 'show', 'payments-app', '--system', SYSTEM, '--json');
    assert.equal(run.code, 0, run.out);
    const view = JSON.parse(run.out) as IdentityView;
    assert.equal(view.identity.owner, 'payments@example.com');
    assert.equal(view.identity.lastActivityAt, '2024-05-30T17:02:11.000Z');
    assert.deepEqual(view.coverage, []);
    const granted = new Map(view.granted.map((action) => [action.action, action]));
    for (const action of ['s3:PutObject', 'dynamodb:Query', 'logs:FilterLogEvents', 's3:ListAllMyBuckets'])
      assert.equal(granted.get(action)?.verdict ?? 'missing', 'unknown', action);
    // the default version of logs-read, not the older logs:*
    assert.equal(granted.has('logs:DeleteLogGroup'), false);
    assert.ok(view.granted.every((action) => (action.verdict ?? 'unknown') === 'unknown'));
    assert.deepEqual(view.paths.map((p) => p.kind).sort(), ['inline-policy', 'managed-policy', 'managed-policy']);

    const text = await least('inventory', 'show', 'arn:aws:iam::123456789012:user/alice', '--system', SYSTEM);
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /^Coverage: none — .* every action is unknown \(never unused\)$/m);
    assert.match(text.out, /^ {2}logs:GetLogEvents\s+unknown · all resources$/m);
    assert.match(text.out, /^ {2}group-membership arn:aws:iam::123456789012:group\/developers/m);
  });

  it('refuses files it cannot use with a reason, exit 1, and the snapshot stays', async () => {
    const cases: [string, RegExp][] = [
      [file('truncated.json', '{"UserDetailList": [{"Arn": '), /is not JSON/],
      [
        file('list.json', '[{"Arn": "arn:aws:iam::123456789012:role/x"}]'),
        /is not the JSON that `aws iam get-account-authorization-details` writes/,
      ],
      [file('shape.json', '{"RoleDetailList": {"Arn": "x"}}'), /RoleDetailList must be a list/],
      [file('empty.json', '{"UserDetailList": [], "Policies": []}'), /holds no user, group or role that can be read/],
      [
        file('other.json', JSON.stringify({ RoleDetailList: [{ Arn: 'arn:aws:iam::999988887777:role/x' }] })),
        /is of account 999988887777, but system aws-prod is account 123456789012/,
      ],
      [path.join(dir, 'absent.json'), /cannot read .*absent\.json/],
    ];
    for (const [input, message] of cases) {
      const run = await least('inventory', 'import', input, '--system', SYSTEM);
      assert.equal(run.code, 1, `${input}: ${run.out}`);
      assert.match(run.out, message);
    }
    assert.equal((await store.inventory.currentRun(SYSTEM))?.runId, imported.runId);
    assert.equal((await store.inventory.runs(SYSTEM)).length, 1, 'a refused file opens no run');
  });

  it('asks for a file and a known AWS system', async () => {
    assert.equal((await least('inventory', 'import', FIXTURE)).code, 2);
    assert.equal((await least('inventory', 'import', '--system', SYSTEM)).code, 2);
    const unknown = await least('inventory', 'import', FIXTURE, '--system', 'aws-nowhere');
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /no authorization system "aws-nowhere" in the policy file/);
  });
});
