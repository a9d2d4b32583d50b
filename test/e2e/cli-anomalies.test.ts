import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgStore } from '../../activities/store/pg-store';
import { AuditAction } from '../../domain/audit';
import type { Anomaly } from '../../domain/anomaly/model';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { leastInProcess as least } from '../support/generators/least-cli';

/**
 * `least anomalies …` on the example policy: recent anomalies listed most severe first (text and JSON,
 * hostile text kept on one line); a suppression stored and audited for those who may, refused and
 * audited for others or for a date that makes no sense.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SYSTEM = 'aws-prod';
const ADMIN = 'security-oncall@example.com';
const STRANGER = 'mallory@example.com';
const DAY = 86_400_000;
const yesterday = new Date(Date.now() - DAY).toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

let db: TestDatabase;
let store: PgStore;
const saved = { ...process.env };

function anomaly(overrides: Partial<Anomaly>): Anomaly {
  return {
    systemId: SYSTEM,
    identityId: 'arn:aws:iam::123456789012:role/payments-app',
    identityName: 'payments-app',
    day: yesterday,
    kind: 'volume',
    subject: 's3:GetObject',
    observed: 4120,
    baseline: 35,
    score: 300,
    severity: 'high',
    explanation: `s3:GetObject ×4,120 on ${yesterday}; its median is 35 (MAD 6)`,
    ...overrides,
  };
}

before(async () => {
  ({ db, store } = await freshStore());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-anomalies-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, readFileSync(path.join(ROOT, 'config', 'policy.example.yaml'), 'utf8'));
  Object.assign(process.env, { DATABASE_URL: db.url, LEAST_POLICY_FILE: policyFile });
  await store.anomalies.write('collect-1', [
    anomaly({}),
    anomaly({
      identityId: 'arn:aws:iam::123456789012:role/evil',
      identityName: 'evil\u001b[2J\nrole',
      kind: 'new-region',
      subject: 'ap-east-1',
      observed: 1,
      severity: 'medium',
      explanation: `new source region ap-east-1 on ${yesterday}; before: us-east-1`,
    }),
    anomaly({ day: new Date(Date.now() - 30 * DAY).toISOString().slice(0, 10), subject: 'kms:Decrypt' }),
  ]);
});

after(async () => {
  process.env = saved;
  await store.close().catch(() => undefined);
  await db?.drop();
});

async function audits(action: string): Promise<{ actor: string; detail: Record<string, unknown> }[]> {
  const result = await db.pool.query<{ actor: string; detail: Record<string, unknown> }>(
    'SELECT actor, detail FROM audit_log WHERE action = $1 ORDER BY seq',
    [action],
  );
  return result.rows;
}

describe('least anomalies', () => {
  it('lists the last days’ anomalies, most severe first, each on one line', async () => {
    const run = await least('anomalies', '--system', SYSTEM);
    assert.equal(run.code, 0, run.out);
    const lines = run.out.split('\n');
    assert.equal(lines[0], `2 anomalies on aws-prod from ${inDays(-6)} to ${inDays(0)}:`);
    assert.equal(lines[1], '  aws-prod: 2 (1 high)');
    assert.equal(
      lines[2],
      `HIGH   ${yesterday} aws-prod payments-app volume: s3:GetObject ×4,120 on ${yesterday}; its median is 35 (MAD 6)`,
    );
    assert.match(lines[3] ?? '', /^MEDIUM .* evil\?\[2J\?role new-region: new source region ap-east-1/);
    assert.equal(lines.length, 4);
  });

  it('reaches further back with --days, and speaks JSON', async () => {
    const run = await least('anomalies', '--days', '40', '--json');
    assert.equal(run.code, 0, run.out);
    const parsed = JSON.parse(run.out) as { total: number; top: Anomaly[] };
    assert.equal(parsed.total, 3);
    assert.deepEqual(
      parsed.top.map((a) => a.subject),
      ['kms:Decrypt', 's3:GetObject', 'ap-east-1'],
    );
    assert.equal((await least('anomalies', '--days', 'lots')).code, 2);
  });

  it('stores a suppression, audited, that hides the anomaly kind from the next scans until its day', async () => {
    const until = inDays(14);
    const run = await least(
      'anomalies',
      'suppress',
      '--system',
      SYSTEM,
      '--identity',
      'payments-app',
      '--kind',
      'volume',
      '--reason',
      'month-end export',
      '--until',
      until,
      '--as',
      ADMIN,
    );
    assert.equal(run.code, 0, run.out);
    assert.equal(run.out, `suppressed until ${until}: volume of payments-app on aws-prod`);
    const live = await store.anomalies.liveSuppressions(new Date().toISOString(), SYSTEM);
    assert.deepEqual(
      live.map((s) => [s.identity, s.kind, s.reason, s.by, s.until, s.source]),
      [['payments-app', 'volume', 'month-end export', ADMIN, until, 'cli']],
    );
    const [entry] = await audits(AuditAction.AnomalySuppressed);
    assert.equal(entry?.actor, ADMIN);
    assert.equal(entry?.detail.reason, 'month-end export');
    assert.equal(entry?.detail.until, until);
    // expired at the start of its day
    assert.deepEqual(await store.anomalies.liveSuppressions(`${until}T00:00:00.000Z`, SYSTEM), []);
  });

  it('refuses, and audits, a stranger, a kind that does not exist, and a day past or too far', async () => {
    const attempt = (as: string, until: string, kind = 'volume') =>
      least(
        'anomalies',
        'suppress',
        '--system',
        SYSTEM,
        '--identity',
        'payments-app',
        '--kind',
        kind,
        '--reason',
        'trust me',
        '--until',
        until,
        '--as',
        as,
      );
    const stranger = await attempt(STRANGER, inDays(5));
    assert.equal(stranger.code, 1);
    assert.match(stranger.out, /^refused: You may not suppress anomalies on aws-prod/);
    assert.match((await attempt(ADMIN, inDays(-1))).out, /^refused: The suppression would already be over/);
    assert.match((await attempt(ADMIN, inDays(400))).out, /^refused: A suppression lasts at most 366 days/);
    assert.match((await attempt(ADMIN, '2026-02-30')).out, /^refused: "2026-02-30" is not a date/);
    assert.match((await attempt(ADMIN, inDays(5), 'everything')).out, /^refused: "everything" is not an anomaly kind/);
    const refused = await audits(AuditAction.AnomalySuppressRefused);
    assert.deepEqual(
      refused.map((r) => [r.actor, r.detail.code]),
      [
        [STRANGER, 'ANOMALY.SUPPRESS_REFUSED'],
        [ADMIN, 'ANOMALY.SUPPRESS_INVALID'],
        [ADMIN, 'ANOMALY.SUPPRESS_INVALID'],
        [ADMIN, 'ANOMALY.SUPPRESS_INVALID'],
        [ADMIN, 'ANOMALY.SUPPRESS_INVALID'],
      ],
    );
    assert.equal((await store.anomalies.liveSuppressions(new Date().toISOString(), SYSTEM)).length, 1);
    const missing = await least('anomalies', 'suppress', '--system', SYSTEM, '--as', ADMIN);
    assert.equal(missing.code, 2);
  });
});
