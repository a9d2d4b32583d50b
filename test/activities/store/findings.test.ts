import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../../domain/inventory/model';
import type { IdentityView } from '../../../domain/inventory/view';
import { policySchema, type Policy } from '../../../domain/policy/schema';
import { assessSnapshot } from '../../../activities/findings';
import type { PgStore } from '../../../activities/store/pg-store';
import { FindingsClient } from '../../../bot/findings-client';
import { findingsReader } from '../../../app/findings';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import {
  awsDocument,
  awsIdentity,
  cloudTrailCoverage,
  grantPath,
  usedOn,
  writeSnapshot,
} from '../../support/checks/findings-snapshot';

/**
 * A snapshot in PostgreSQL assessed as the collect workflow's last step does it: every identity streamed
 * a page at a time, findings and indexes written once, the system's index and history kept; then read
 * through the client every front end uses, with who-may-see-what and suppressions.
 */

const SYSTEM = 'aws-prod';
const ACCOUNT = '111122223333';
const RUN = 'findings-1';
const WINDOW = { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
const SECURITY = 'sec@example.com';
const OWNER = 'owner@example.com';
const APPROVER = 'lead@example.com';
const ADA = 'ada@example.com';
const STRANGER = 'mallory@example.com';

let db: TestDatabase;
let store: PgStore;
let policy: Policy;
const audit: { actor: string; action: string; detail: Record<string, unknown> }[] = [];

const identity = (name: string, kind: Identity['kind'], nature: Identity['nature']): Identity =>
  awsIdentity(SYSTEM, ACCOUNT, name, kind, nature);
const document = awsDocument;
const path = grantPath;

const ada = identity(ADA, 'aws-iam-user', 'human');
const deployer = identity('deployer', 'aws-iam-role', 'workload');
const idle = identity('idle-batch', 'aws-iam-role', 'workload');
const admins = identity('Admins', 'aws-iam-group', 'group');
const people = Array.from({ length: 7 }, (_, i) => identity(`user-${i}`, 'aws-iam-user', 'human'));

const s3Read = document('S3Read', [{ action: 's3:GetObject' }, { action: 's3:ListBucket', accessLevels: ['List'] }]);
const iamWrite = document('IamWrite', [
  { action: 'iam:CreatePolicyVersion', accessLevels: ['Permissions management'] },
  { action: 'iam:PutRolePolicy', accessLevels: ['Permissions management'] },
  { action: 'ec2:RunInstances', accessLevels: ['Write'] },
  { action: 'iam:PassRole', accessLevels: ['Write'] },
]);

function policyWith(suppressions: unknown[] = []): Policy {
  return policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: SYSTEM,
        cloud: 'aws',
        accountId: ACCOUNT,
        brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker`,
        owners: { users: [OWNER] },
      },
      { id: 'aws-dev', cloud: 'aws', accountId: '444455556666', brokerRoleArn: 'arn:aws:iam::444455556666:role/b' },
    ],
    admins: { users: [] },
    findings: { securityViewers: { users: [SECURITY] }, suppressions },
    entitlements: [
      {
        id: 'prod-read',
        title: 'Read production',
        system: SYSTEM,
        grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
        requesters: { everyone: true },
        approvers: { users: [APPROVER] },
      },
    ],
  });
}

async function snapshot(runId: string): Promise<void> {
  await writeSnapshot(store, {
    runId,
    systemId: SYSTEM,
    window: WINDOW,
    identities: [ada, deployer, idle, admins, ...people],
    documents: [s3Read, iamWrite],
    paths: [
      path(ada, undefined, { via: admins.id }),
      path(admins, iamWrite.document.id),
      path(ada, s3Read.document.id),
      path(deployer, iamWrite.document.id),
      path(deployer, s3Read.document.id),
      path(idle, s3Read.document.id),
      ...people.map((p) => path(p, s3Read.document.id)),
    ],
    usage: [
      usedOn(ada, 's3:GetObject', '2026-11-20'),
      usedOn(deployer, 'ec2:RunInstances', '2026-11-21'),
      ...people.map((p) => usedOn(p, 's3:GetObject', '2026-11-01')),
    ],
    coverage: [cloudTrailCoverage(SYSTEM, '2026-09-01T00:00:00.000Z', WINDOW.to)],
  });
}

function client(): FindingsClient {
  return new FindingsClient({
    policy: () => policy,
    reader: findingsReader(
      store,
      () => policy,
      () => new Date(WINDOW.to),
    ),
    audit: async (entry) => {
      audit.push(entry);
      await store.appendAudit(entry);
    },
    now: () => new Date(WINDOW.to),
  });
}

before(async () => {
  ({ db, store } = await freshStore());
  policy = policyWith();
  await snapshot(RUN);
});
after(async () => {
  await db?.drop();
});

/** A view with its paths as sorted text, so two readers' orderings compare. */
function comparable(view: IdentityView): unknown {
  const paths = view.paths.map((p) => JSON.stringify(p));
  return {
    identity: view.identity,
    paths: [...paths].sort(),
    granted: view.granted.map((g) => ({ ...g, paths: g.paths.map((i) => paths[i]).sort() })),
    usage: view.usage,
    coverage: view.coverage,
  };
}

describe('findings of a snapshot', () => {
  test('the stream gives every identity exactly as the single view does, a page at a time', async () => {
    const stream = await store.inventory.viewStream(RUN);
    assert.ok(stream);
    const seen: IdentityView[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await stream.page(after, 3);
      if (page.length === 0) break;
      assert.ok(page.length <= 3);
      seen.push(...page);
      after = page[page.length - 1]!.identity.id;
    }
    assert.equal(seen.length, 11);
    for (const view of seen) {
      const single = await store.inventory.identityView(SYSTEM, view.identity.id);
      assert.ok(single);
      assert.deepEqual(comparable(view), comparable(single), view.identity.name);
    }
  });

  test('assessed once: index, counts and top identities; a second assessment changes nothing', async () => {
    const first = await assessSnapshot(
      { inventory: store.inventory, findings: store.findings, policy: () => policy },
      SYSTEM,
      RUN,
      {
        resume: { identities: 0 },
      },
    );
    assert.deepEqual(first, { runId: RUN, status: 'assessed', identities: 11 });
    const again = await assessSnapshot(
      { inventory: store.inventory, findings: store.findings, policy: () => policy },
      SYSTEM,
      RUN,
    );
    assert.equal(again.status, 'already-assessed');
    const summary = await store.findings.summary(SYSTEM);
    assert.ok(summary);
    assert.equal(summary.identities, 11);
    assert.equal(summary.scored, 10, 'the group carries no score');
    assert.equal(summary.counts['inactive-identity'], 1, 'idle-batch');
    assert.equal(summary.counts['over-provisioned'], 2, 'ada (through her group) and deployer');
    const top = await store.findings.top(SYSTEM, 3);
    assert.deepEqual(
      top
        .map((t) => t.identityName)
        .slice(0, 2)
        .sort(),
      [ADA, 'deployer'],
    );
    assert.ok(top[0]!.pci > 0 && top[0]!.topContributor);
    assert.equal(summary.pci, Math.round((await allScores()).reduce((a, b) => a + b, 0) / 10));
  });

  test('the overview shows whole systems to security viewers, owners and approvers only', async () => {
    for (const person of [SECURITY, OWNER, APPROVER]) {
      const outcome = await client().overview(person, SYSTEM);
      assert.ok(outcome.ok, person);
      assert.equal(outcome.systems[0]?.findings?.identities, 11);
    }
    const security = await client().overview(SECURITY);
    assert.ok(security.ok);
    assert.deepEqual(
      security.systems.map((s) => [s.system.id, s.findings !== undefined]),
      [
        [SYSTEM, true],
        ['aws-dev', false],
      ],
    );
    const stranger = await client().overview(STRANGER, SYSTEM);
    assert.equal(stranger.ok, false);
    assert.equal(!stranger.ok && stranger.code, 'FINDINGS.VIEW_REFUSED');
    const everything = await client().overview(STRANGER);
    assert.ok(everything.ok);
    assert.equal(everything.systems.length, 0);
    assert.equal(everything.hidden, 2);
    assert.ok(audit.some((e) => e.action === 'findings.view_refused' && e.actor === STRANGER));
  });

  test('everyone may see their own identity, and no one else’s', async () => {
    const own = await client().identity(ADA, ADA);
    assert.ok(own.ok);
    assert.equal(own.view.identity.id, ada.id);
    assert.ok(own.assessment.findings.some((f) => f.kind === 'over-provisioned'));
    const other = await client().identity(ADA, 'deployer');
    assert.equal(other.ok, false);
    assert.match(!other.ok ? other.message : '', /own identities only; "deployer" is not one of yours/);
    const ghost = await client().identity(ADA, 'no-such-role');
    assert.equal(!ghost.ok && ghost.code, 'FINDINGS.VIEW_REFUSED', 'existence is not revealed to outsiders');
    const owner = await client().identity(OWNER, 'no-such-role');
    assert.equal(!owner.ok && owner.code, 'FINDINGS.IDENTITY_UNKNOWN');
    assert.ok(
      audit.some((e) => e.action === 'findings.view_refused' && e.actor === ADA && e.detail.identity === 'deployer'),
    );
  });

  test('suppression needs authority, is audited, and shows on the card until it expires', async () => {
    const refused = await client().suppress(APPROVER, {
      systemId: SYSTEM,
      identity: 'idle-batch',
      reason: 'batch runs quarterly',
      days: 90,
      source: 'chat',
    });
    assert.equal(!refused.ok && refused.code, 'FINDINGS.SUPPRESS_REFUSED');
    const tooLong = await client().suppress(OWNER, {
      systemId: SYSTEM,
      identity: 'idle-batch',
      reason: 'x',
      days: 365,
      source: 'chat',
    });
    assert.equal(!tooLong.ok && tooLong.code, 'FINDINGS.SUPPRESS_INVALID');
    const card = await client().identity(OWNER, 'idle-batch');
    assert.ok(card.ok && card.maySuppress);
    const inactive = card.assessment.findings.find((f) => f.kind === 'inactive-identity');
    assert.ok(inactive);
    const done = await client().suppress(OWNER, {
      systemId: SYSTEM,
      identity: 'idle-batch',
      findingId: inactive.id,
      reason: 'batch runs quarterly',
      days: 90,
      source: 'chat',
    });
    assert.ok(done.ok);
    assert.equal(done.until, '2027-03-01T00:00:00.000Z');
    const after = await client().identity(OWNER, 'idle-batch');
    assert.ok(after.ok);
    assert.deepEqual(after.assessment.findings.find((f) => f.id === inactive.id)?.suppressed, {
      reason: 'batch runs quarterly',
      by: OWNER,
      until: '2027-03-01T00:00:00.000Z',
      source: 'chat',
    });
    const rows = await store.auditFor(undefined, 50);
    assert.ok(
      rows.some((r) => r.action === 'findings.suppressed' && r.actor === OWNER && r.detail.finding === inactive.id),
    );
    assert.ok(rows.some((r) => r.action === 'findings.suppress_refused' && r.actor === APPROVER));
    assert.equal((await store.findings.liveSuppressions('2027-03-02T00:00:00.000Z', SYSTEM)).length, 0, 'expired');
  });

  test('the policy file suppresses as code, by identity name', async () => {
    policy = policyWith([
      { system: SYSTEM, identity: 'deployer', reason: 'CI role, reviewed', by: SECURITY, until: '2027-01-01' },
    ]);
    try {
      const card = await client().identity(SECURITY, 'deployer');
      assert.ok(card.ok);
      assert.ok(card.assessment.findings.length > 0);
      assert.ok(card.assessment.findings.every((f) => f.suppressed?.source === 'policy'));
    } finally {
      policy = policyWith();
    }
  });

  test('the week: the system index a week ago, and the identities that moved most', async () => {
    const today = (await store.findings.summary(SYSTEM))!;
    const deployerNow = (await store.findings.top(SYSTEM, 10)).find((r) => r.identityName === 'deployer')!;
    const weekAgo = '2026-11-20';
    await db.pool.query(
      `INSERT INTO findings_pci_history (system_id, identity_id, day, pci) VALUES ($1, '*', $2, $3), ($1, $4, $2, $5)`,
      [SYSTEM, weekAgo, today.pci + 9, deployer.id, 3],
    );
    const summary = await store.findings.summary(SYSTEM);
    assert.equal(summary?.weekAgo, today.pci + 9);
    const movers = await store.findings.movers(SYSTEM, 5);
    assert.deepEqual(movers, [{ identityId: deployer.id, identityName: 'deployer', from: 3, to: deployerNow.pci }]);
  });
});

async function allScores(): Promise<number[]> {
  const result = await db.pool.query<{ pci: number }>('SELECT pci FROM findings_identities WHERE scored');
  return result.rows.map((r) => r.pci);
}
