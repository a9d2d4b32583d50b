import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PgStore } from '../../activities/store/pg-store';
import type { IdentityAssessment } from '../../domain/findings/model';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { leastInProcess as least } from '../support/generators/least-cli';

/**
 * `least findings …` on the example policy: an imported account is assessed at once; operators see every
 * system, a named person sees what the policy lets them see, and suppressions need authority.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'account-authorization-details.json');
const SYSTEM = 'aws-prod';
const ADMIN = 'security-oncall@example.com';
const STRANGER = 'mallory@example.com';

let db: TestDatabase;
let store: PgStore;
const saved = { ...process.env };

before(async () => {
  ({ db, store } = await freshStore());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'least-findings-'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, readFileSync(path.join(ROOT, 'config', 'policy.example.yaml'), 'utf8'));
  Object.assign(process.env, { DATABASE_URL: db.url, LEAST_POLICY_FILE: policyFile });
  const imported = await least('inventory', 'import', FIXTURE, '--system', SYSTEM);
  assert.equal(imported.code, 0, imported.out);
  assert.match(imported.out, /^Findings of 4 identities: least findings --system aws-prod$/m);
});

after(async () => {
  process.env = saved;
  await store.close().catch(() => undefined);
  await db?.drop();
});

describe('least findings', () => {
  it('summarises each system: its index, counts and top identities', async () => {
    const run = await least('findings', '--system', SYSTEM);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /^aws-prod \(aws\): PCI 0 low — 3 scored of 4 identities/m);
    assert.match(run.out, /^ {2}findings: .*risky-permissions \d+/m);
    const json = JSON.parse((await least('findings', '--system', SYSTEM, '--json')).out) as {
      systems: { systemId: string; findings?: { identities: number; top: unknown[] } }[];
    };
    assert.equal(json.systems[0]?.findings?.identities, 4);
  });

  it("explains one identity: what it holds, that usage is unknown offline, and the score's ceiling", async () => {
    const run = await least('findings', 'identity', 'payments-app', '--system', SYSTEM, '--json');
    assert.equal(run.code, 0, run.out);
    const { assessment } = JSON.parse(run.out) as { assessment: IdentityAssessment };
    assert.equal(assessment.pci?.score, 0, 'unknown is never unused');
    assert.ok((assessment.pci?.ceiling ?? 0) > 0);
    assert.ok(assessment.pci?.coverage.blindSpots.includes('no usage source covers this identity'));
    const text = await least('findings', 'identity', 'payments-app', '--system', SYSTEM);
    assert.match(text.out, /^PCI 0 \(low\), up to \d+ if every unknown action were unused$/m);
  });

  it('a person sees only what the policy lets them, and the refusal is audited', async () => {
    const refused = await least('findings', '--system', SYSTEM, '--as', STRANGER);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /^refused: You may not see the findings of aws-prod/m);
    const card = await least('findings', 'identity', 'payments-app', '--as', STRANGER);
    assert.equal(card.code, 1);
    assert.match(card.out, /your own identities only/);
    const rows = await store.auditFor(undefined, 20);
    assert.ok(rows.some((r) => r.action === 'findings.view_refused' && r.actor === STRANGER));
  });

  it('suppressing needs authority; an admin may, and the card shows it', async () => {
    const refused = await least(
      'findings',
      'suppress',
      'payments-app',
      '--system',
      SYSTEM,
      '--as',
      STRANGER,
      '--reason',
      'mine',
    );
    assert.equal(refused.code, 1);
    assert.match(refused.out, /^refused: You may not suppress findings on aws-prod/m);
    const done = await least(
      'findings',
      'suppress',
      'payments-app',
      '--system',
      SYSTEM,
      '--as',
      ADMIN,
      '--reason',
      'reviewed in OPS-7',
      '--days',
      '90',
    );
    assert.equal(done.code, 0, done.out);
    assert.match(done.out, /^suppressed until \d{4}-\d\d-\d\dT/m);
    const card = JSON.parse(
      (await least('findings', 'identity', 'payments-app', '--system', SYSTEM, '--json')).out,
    ) as {
      assessment: IdentityAssessment;
    };
    assert.ok(card.assessment.findings.length > 0);
    assert.ok(
      card.assessment.findings.every((f) => f.suppressed?.by === ADMIN && f.suppressed.reason === 'reviewed in OPS-7'),
    );
    const rows = await store.auditFor(undefined, 20);
    assert.ok(rows.some((r) => r.action === 'findings.suppressed' && r.actor === ADMIN));
    assert.ok(rows.some((r) => r.action === 'findings.suppress_refused' && r.actor === STRANGER));
  });
});
