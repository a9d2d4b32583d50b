import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'parse5';
import { assessSnapshot } from '../../activities/findings';
import type { PgStore } from '../../activities/store/pg-store';
import type { Identity } from '../../domain/inventory/model';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { leastInProcess as least } from '../support/generators/least-cli';
import { recordGrant } from '../support/generators/report-records';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  usedOn,
  writeSnapshot,
} from '../support/checks/findings-snapshot';
import { PROD_DB_READONLY } from '../activities/store/fixtures';
import { loadPolicyFile } from '../../app/policy-file';

/**
 * `least report …` end to end on the example policy: the HTML report written to a file (never over one
 * without --force), refusals printed and audited, and the auditors' CSV exports read back with an RFC 4180
 * parser, formula cells neutralised.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SYSTEM = 'aws-prod';
const ACCOUNT = '111122223333';
const FRANK = 'frank@example.com';
const FORMULA_REQUESTER = '=hyperlink("http://evil.example")@example.com';
const DAY_MS = 86_400_000;

let db: TestDatabase;
let store: PgStore;
let dir: string;
const saved = { ...process.env };
const today = new Date().toISOString().slice(0, 10);
const daysAgo = (n: number, time = '09:00:00.000Z'): string =>
  `${new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10)}T${time}`;

/** RFC 4180: fields quoted or not, "" a quote inside quotes, CRLF (or LF) between records. */
function parseCsv(textIn: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < textIn.length; i++) {
    const c = textIn[i]!;
    if (quoted) {
      if (c === '"' && textIn[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && textIn[i + 1] === '\n') {
      /* the LF ends it */
    } else if (c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

before(async () => {
  ({ db, store } = await freshStore());
  dir = mkdtempSync(path.join(os.tmpdir(), 'least-report-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, readFileSync(path.join(ROOT, 'config', 'policy.example.yaml'), 'utf8'));
  Object.assign(process.env, { DATABASE_URL: db.url, LEAST_POLICY_FILE: policyFile });
  const policy = loadPolicyFile(policyFile);

  const frank = awsIdentity(SYSTEM, ACCOUNT, 'analyst-frank', 'aws-iam-role', 'human');
  const keyOwner = awsIdentity(SYSTEM, ACCOUNT, '@SUM(1+1)*cmd', 'aws-iam-user', 'human');
  const key: Identity = {
    systemId: SYSTEM,
    id: 'AKIAREPORTTEST00001',
    kind: 'aws-access-key',
    name: `@SUM(1+1)*cmd/AKIAREPORTTEST00001`,
    nature: 'credential',
    tags: {},
    parentId: keyOwner.id,
    createdAt: '2025-01-02T03:04:05.000Z',
    lastActivityAt: daysAgo(3),
    disabled: true,
  };
  const logs = awsDocument('LogsRead', [
    { action: 'logs:GetLogEvents' },
    { action: 'logs:DescribeLogGroups', accessLevels: ['List'] },
  ]);
  const window = { from: daysAgo(90, '00:00:00.000Z'), to: daysAgo(0, '00:00:00.000Z') };
  await writeSnapshot(store, {
    runId: 'cli-report-1',
    systemId: SYSTEM,
    window,
    identities: [frank, keyOwner, key],
    documents: [logs],
    paths: [grantPath(frank, logs.document.id)],
    usage: [usedOn(frank, 'logs:GetLogEvents', daysAgo(4).slice(0, 10))],
    coverage: [cloudTrailCoverage(SYSTEM, window.from, window.to)],
  });
  await assessSnapshot(
    { inventory: store.inventory, findings: store.findings, policy: () => policy },
    SYSTEM,
    'cli-report-1',
  );

  await recordGrant(store, {
    requestId: 'r-frank00001',
    requester: FRANK,
    rules: PROD_DB_READONLY,
    principal: { kind: 'aws-iam-role', roleName: 'analyst-frank' },
    submittedAt: daysAgo(5),
    grantedAt: daysAgo(5, '09:01:00.000Z'),
    endedAt: daysAgo(5, '10:01:00.000Z'),
  });
  await recordGrant(store, {
    requestId: 'r-formula001',
    requester: FORMULA_REQUESTER,
    rules: PROD_DB_READONLY,
    principal: { kind: 'aws-iam-role', roleName: 'analyst-frank' },
    submittedAt: daysAgo(2),
    grantedAt: daysAgo(2, '09:03:00.000Z'),
  });
});

after(async () => {
  process.env = saved;
  await store.close().catch(() => undefined);
  await db?.drop();
});

describe('least report', () => {
  it('writes the HTML report to --out, says where and how big, and never overwrites without --force', async () => {
    const out = path.join(dir, 'frank.html');
    const run = await least('report', FRANK, '--out', out, '--days', '30', '--as', 'Sec@Example.com');
    assert.equal(run.code, 0, run.out);
    const size = readFileSync(out).length;
    assert.equal(run.out.split('\n')[0], `wrote ${out} (${size.toLocaleString('en-US')} bytes)`);
    assert.match(run.out, /^Identity report: frank@example\.com: analyst-frank in aws-prod$/m);
    const body = readFileSync(out, 'utf8');
    const document = parse(body);
    assert.equal(
      document.childNodes.some((n) => n.nodeName === 'html'),
      true,
    );
    assert.match(body, /r-frank00001/);
    assert.doesNotMatch(body, /r-formula001/, "someone else's request is not frank's");

    const again = await least('report', FRANK, '--out', out);
    assert.equal(again.code, 1);
    assert.equal(again.out, `error: ${out} exists; add --force to overwrite it`);
    assert.equal(readFileSync(out).length, size, 'the file is untouched');
    const forced = await least('report', FRANK, '--out', out, '--force', '--days', '7', '--json');
    assert.equal(forced.code, 0, forced.out);
    const json = JSON.parse(forced.out) as { ok: boolean; path: string; person: string; subjects: { name: string }[] };
    assert.deepEqual([json.ok, json.path, json.person, json.subjects[0]?.name], [true, out, FRANK, 'analyst-frank']);

    const rows = await store.auditFor(undefined, 20);
    assert.ok(rows.some((r) => r.action === 'report.generated' && r.actor === 'sec@example.com'));
  });

  it('refuses an unknown identity with what it tried, audited; usage mistakes are usage errors', async () => {
    const out = path.join(dir, 'nobody.html');
    const run = await least('report', 'no-such-role', '--out', out);
    assert.equal(run.code, 1);
    assert.equal(
      run.out,
      'refused: No identity "no-such-role" in the current inventory of aws-prod: looked for an id (ARN, object id, member, key id) and a name, case aside. For a person, give their e-mail address.',
    );
    assert.equal(existsSync(out), false);
    const rows = await store.auditFor(undefined, 20);
    assert.ok(rows.some((r) => r.action === 'report.refused' && r.detail.identity === 'no-such-role'));
    assert.equal((await least('report', FRANK)).code, 2, 'no --out');
    assert.equal((await least('report', FRANK, '--out', out, '--days', '0')).code, 2);
    assert.equal((await least('report', 'grants', '--out', out)).code, 2, 'an export needs --csv');
    assert.equal((await least('report', 'grants', '--csv', '--from', '2026-02-30')).code, 2);
  });

  it('exports grants as RFC 4180 CSV: one row per grant with its audit hash, formulas neutralised', async () => {
    const out = path.join(dir, 'grants.csv');
    const run = await least(
      'report',
      'grants',
      '--csv',
      '--from',
      daysAgo(10).slice(0, 10),
      '--to',
      today,
      '--out',
      out,
    );
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /\(\d[\d,]* bytes, 2 rows\)$/);
    const body = readFileSync(out, 'utf8');
    assert.ok(body.endsWith('\r\n') && !/[^\r]\n/.test(body), 'CRLF between records');
    const [header, ...records] = parseCsv(body);
    assert.deepEqual(header, [
      'lease_id',
      'request_id',
      'requester',
      'entitlement',
      'system',
      'approvers',
      'granted_at',
      'ended_at',
      'status',
      'ended_by',
      'audit_seq',
      'audit_hash',
    ]);
    const byId = new Map(records.map((r) => [r[1], r]));
    const frank = byId.get('r-frank00001')!;
    const applied = (await store.auditFor('r-frank00001')).find((a) => a.action === 'grant.applied')!;
    assert.deepEqual(
      [frank[2], frank[3], frank[4], frank[5], frank[8], frank[9], frank[10], frank[11]],
      [
        FRANK,
        'prod-db-readonly',
        SYSTEM,
        'priya.nair@example.com',
        'revoked',
        'expiry',
        String(applied.seq),
        applied.hash,
      ],
    );
    const formula = byId.get('r-formula001')!;
    assert.equal(formula[2], `'${FORMULA_REQUESTER}`, 'a leading = becomes text');
    assert.equal(formula[7], '', 'still active: no end');
    assert.equal(formula[8], 'active');
  });

  it('exports PCI history to stdout and access keys from the inventory', async () => {
    const history = await least('report', 'pci-history', '--csv', '--from', daysAgo(1).slice(0, 10), '--to', today);
    assert.equal(history.code, 0, history.out);
    const [header, ...points] = parseCsv(`${history.out}\n`);
    assert.deepEqual(header, ['system', 'day', 'pci']);
    assert.deepEqual(
      points.map((p) => [p[0], p[1]]),
      [[SYSTEM, today]],
    );
    assert.match(points[0]![2]!, /^\d+$/);

    const out = path.join(dir, 'keys.csv');
    const keys = await least('report', 'access-keys', '--csv', '--out', out);
    assert.equal(keys.code, 0, keys.out);
    const [keyHeader, ...rows] = parseCsv(readFileSync(out, 'utf8'));
    assert.deepEqual(keyHeader, ['system', 'user', 'access_key_id', 'status', 'created_at', 'last_used_at']);
    assert.deepEqual(rows, [
      [SYSTEM, "'@SUM(1+1)*cmd", 'AKIAREPORTTEST00001', 'Inactive', '2025-01-02T03:04:05.000Z', daysAgo(3)],
    ]);
    assert.equal((await least('report', 'access-keys', '--csv', '--from', today)).code, 2);
  });
});
