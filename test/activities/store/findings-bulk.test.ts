import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkAssessor } from '../../../domain/findings/bulk';
import { assessIdentity } from '../../../domain/findings/assess';
import type { Coverage, DocumentAction, GrantPath, Identity, UsageDay } from '../../../domain/inventory/model';
import { materializeView, type SharedIdentityView } from '../../../domain/inventory/verdicts';
import type { IdentityView } from '../../../domain/inventory/view';
import { policySchema, type Policy } from '../../../domain/policy/schema';
import { assessmentContext, findingsCatalogue } from '../../../activities/findings/assess-run';
import { assessSnapshot } from '../../../activities/findings';
import type { PgStore } from '../../../activities/store/pg-store';
import { freshStore, type TestDatabase } from '../../support/launch/database';
import {
  awsDocument,
  awsIdentity,
  grantPath,
  writeSnapshot,
  type SnapshotDocument,
} from '../../support/checks/findings-snapshot';

/**
 * The bulk assessment (domain/findings/bulk.ts: a base per held actions and coverage, adjusted per
 * identity by what it used) against the reference, assessIdentity over the full view, for every identity
 * of varied snapshots: the IdentityAssessments must be the same, field for field.
 */

const ACCOUNT = '111122223333';
const WINDOW = { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
const AT = '2026-12-01T00:00:00.000Z';
/** One system's CloudTrail covers the whole window; the other's only its last month. */
const FULL = 'aws-full';
const PARTIAL = 'aws-partial';

let db: TestDatabase;
let store: PgStore;

const policy: Policy = policySchema.parse({
  version: 1,
  authorizationSystems: [FULL, PARTIAL].map((id) => ({
    id,
    cloud: 'aws',
    accountId: ACCOUNT,
    brokerRoleArn: `arn:aws:iam::${ACCOUNT}:role/least-broker`,
    ...(id === PARTIAL ? { findings: { inactiveDays: 30 } } : {}),
  })),
  admins: { users: [] },
  findings: {
    suppressions: [
      { system: FULL, identity: 'role-t1-c3', reason: 'known', by: 'sec@example.com', until: '2027-01-01' },
    ],
  },
  entitlements: [
    {
      id: 'read',
      title: 'Read',
      system: FULL,
      grant: { kind: 'aws-iam-inline-policy', statements: [{ actions: ['s3:GetObject'], resources: ['*'] }] },
      requesters: { everyone: true },
      approvers: { users: ['lead@example.com'] },
    },
  ],
});

/** Deterministic: the same snapshot every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const row = (action: string, extra: Partial<DocumentAction> = {}): Partial<DocumentAction> => ({ action, ...extra });
const PM: Partial<DocumentAction> = { accessLevels: ['Permissions management'] };
const WRITE: Partial<DocumentAction> = { accessLevels: ['Write'] };
const LIST: Partial<DocumentAction> = { accessLevels: ['List'] };
const TAG: Partial<DocumentAction> = { accessLevels: ['Tagging'] };

const DOCUMENTS: Record<string, SnapshotDocument> = {
  storage: awsDocument('Storage', [
    row('s3:GetObject'),
    row('s3:PutObject', WRITE),
    row('s3:DeleteObject', { ...WRITE, resourceReach: 'some' }),
    row('s3:ListBucket', LIST),
    row('s3:PutBucketPolicy', PM),
    row('s3:PutObjectTagging', TAG),
    row('s3:GetBucketAcl', { conditional: true }),
    row('dynamodb:GetItem'),
    row('dynamodb:Scan'),
    row('dynamodb:PutItem', WRITE),
  ]),
  escalation: awsDocument('Escalation', [
    row('iam:PassRole', WRITE),
    row('ec2:RunInstances', WRITE),
    row('lambda:CreateFunction', WRITE),
    row('lambda:InvokeFunction', WRITE),
    row('iam:CreatePolicyVersion', PM),
    row('iam:CreateAccessKey', PM),
    row('iam:PutRolePolicy', { ...PM, conditional: true }),
    row('sts:AssumeRole', WRITE),
    row('ec2:DescribeInstances', LIST),
    row('ec2:CreateTags', TAG),
  ]),
  secrets: awsDocument('Secrets', [
    row('secretsmanager:GetSecretValue'),
    row('secretsmanager:ListSecrets', LIST),
    row('kms:Decrypt', { resourceReach: 'some' }),
    row('ssm:GetParameter'),
    row('custom:DoThing', { accessLevels: [] }),
  ]),
  compute: awsDocument('Compute', [
    row('ec2:StartInstances', WRITE),
    row('ec2:StopInstances', WRITE),
    row('ec2:TerminateInstances', { ...WRITE, conditional: true }),
    row('ec2:DescribeInstances', LIST),
    row('ec2:RunInstances', { ...WRITE, resourceReach: 'some' }),
    row('logs:GetLogEvents'),
    row('logs:PutLogEvents', WRITE),
  ]),
  denies: awsDocument('Denies', [
    row('s3:DeleteObject', { effect: 'deny' }),
    row('s3:PutBucketPolicy', { effect: 'deny', resourceReach: 'some' }),
    row('iam:CreateAccessKey', { effect: 'deny', conditional: true }),
  ]),
  boundary: awsDocument('Boundary', [
    row('s3:GetObject'),
    row('s3:PutObject', WRITE),
    row('s3:ListBucket', LIST),
    row('dynamodb:GetItem'),
    row('iam:PassRole', WRITE),
    row('ec2:RunInstances', WRITE),
    row('logs:GetLogEvents', { accessLevels: ['List', 'Read'] }),
  ]),
  admin: awsDocument('arn:aws:iam::aws:policy/AdministratorAccess', [
    row('s3:GetObject'),
    row('iam:PassRole', WRITE),
    row('iam:CreatePolicyVersion', PM),
    row('ec2:RunInstances', WRITE),
  ]),
};

/** What each template holds: its paths, by document (and how), and whether it is in the group. */
interface Template {
  kind: Identity['kind'];
  nature: Identity['nature'];
  documents: { name: keyof typeof DOCUMENTS; kind?: GrantPath['kind']; conditional?: boolean }[];
  group?: boolean;
  name?: (copy: number) => string;
  path?: string;
}

const TEMPLATES: Template[] = [
  { kind: 'aws-iam-role', nature: 'workload', documents: [{ name: 'storage' }, { name: 'escalation' }] },
  { kind: 'aws-iam-role', nature: 'workload', documents: [{ name: 'storage' }, { name: 'secrets' }] },
  { kind: 'aws-iam-user', nature: 'human', documents: [{ name: 'compute' }], group: true },
  {
    kind: 'aws-iam-role',
    nature: 'workload',
    documents: [{ name: 'storage' }, { name: 'escalation' }, { name: 'denies' }],
  },
  {
    kind: 'aws-iam-role',
    nature: 'workload',
    documents: [
      { name: 'storage' },
      { name: 'escalation' },
      { name: 'compute' },
      { name: 'boundary', kind: 'permissions-boundary' },
    ],
  },
  { kind: 'aws-iam-role', nature: 'workload', documents: [{ name: 'escalation', conditional: true }] },
  {
    kind: 'aws-iam-role',
    nature: 'workload',
    documents: [{ name: 'storage' }, { name: 'secrets' }],
    name: (copy) => `AWSServiceRoleForThing${copy}`,
    path: '/aws-service-role/thing/',
  },
  { kind: 'aws-iam-user', nature: 'human', documents: [{ name: 'admin' }, { name: 'secrets' }] },
  { kind: 'aws-iam-user', nature: 'human', documents: [{ name: 'escalation' }, { name: 'compute' }], group: true },
  { kind: 'aws-access-key', nature: 'credential', documents: [{ name: 'storage' }] },
  { kind: 'aws-iam-role', nature: 'workload', documents: [] },
];
const COPIES = 9;

/** Coverage a copy may have of its own, beside the system-wide CloudTrail; chosen by copy, so bases repeat. */
function ownCoverage(system: string, who: Identity, variant: number): Coverage[] {
  const base = { systemId: system, identityId: who.id, from: '2026-08-01T00:00:00.000Z', to: WINDOW.to };
  switch (variant) {
    case 1:
      return [{ ...base, source: 'access-advisor', granularity: 'service', actions: 'all' }];
    case 2:
      return [{ ...base, source: 'last-used', granularity: 'last-activity', actions: 'all' }];
    case 3:
      return [{ ...base, source: 'activity-log', granularity: 'action-day', actions: 'writes' }];
    case 4:
      return [
        { ...base, source: 'access-advisor', granularity: 'service', actions: 'all', services: ['s3', 'iam'] },
        { ...base, source: 'last-used', granularity: 'last-activity', actions: 'all', note: 'role last used' },
      ];
    case 5:
      return [
        {
          ...base,
          source: 'recommender',
          granularity: 'window-total',
          actions: 'all',
          documentId: DOCUMENTS.storage!.document.id,
        },
      ];
    default:
      return [];
  }
}

interface Built {
  identities: Identity[];
  paths: GrantPath[];
  usage: UsageDay[];
  coverage: Coverage[];
}

function build(system: string, seed: number): Built {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const out: Built = { identities: [], paths: [], usage: [], coverage: [] };
  const group = awsIdentity(system, ACCOUNT, 'Operators', 'aws-iam-group', 'group');
  const nested = awsIdentity(system, ACCOUNT, 'Everyone', 'aws-iam-group', 'group');
  out.identities.push(group, nested);
  out.paths.push(
    grantPath(group, DOCUMENTS.secrets!.document.id),
    grantPath(group, DOCUMENTS.compute!.document.id, { conditional: true }),
    grantPath(group, undefined, { via: nested.id }),
    grantPath(nested, DOCUMENTS.storage!.document.id, { conditional: true }),
    // the boundary document held as a plain policy: the same actions through other documents
    grantPath(nested, DOCUMENTS.boundary!.document.id),
  );
  const days = ['2026-08-15', '2026-09-01', '2026-09-02', '2026-10-10', '2026-11-05', '2026-11-30'];
  TEMPLATES.forEach((template, t) => {
    const held = [...new Set(template.documents.flatMap((d) => DOCUMENTS[d.name]!.actions.map((a) => a.action)))];
    for (let copy = 0; copy < COPIES; copy++) {
      const name = template.name?.(copy) ?? `${template.nature === 'human' ? 'user' : 'role'}-t${t}-c${copy}`;
      const who: Identity = {
        ...awsIdentity(system, ACCOUNT, name, template.kind, template.nature),
        ...(template.path ? { path: template.path } : {}),
        ...(copy % 4 === 1 ? { lastActivityAt: '2026-11-20T10:00:00.000Z' } : {}),
        ...(copy % 4 === 2 ? { lastActivityAt: '2026-06-01T10:00:00.000Z' } : {}),
        ...(copy % 3 === 0 ? { createdAt: '2025-01-01T00:00:00.000Z' } : {}),
        ...(copy === 7 ? { disabled: true } : {}),
        ...(template.kind === 'aws-iam-role' && copy === 5
          ? { trustPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] } }
          : {}),
      };
      out.identities.push(who);
      for (const d of template.documents)
        out.paths.push(
          grantPath(who, DOCUMENTS[d.name]!.document.id, {
            ...(d.kind ? { kind: d.kind } : {}),
            conditional: d.conditional ?? false,
          }),
        );
      if (template.group) out.paths.push(grantPath(who, undefined, { via: group.id }));
      out.coverage.push(...ownCoverage(system, who, copy % 6));
      // usage: none for some copies; else a few granted actions, maybe one outside, maybe a denied attempt
      const uses = copy % 5 === 0 ? 0 : 1 + Math.floor(next() * 4);
      const used = new Set<string>();
      for (let u = 0; u < uses && held.length > 0; u++) used.add(pick(held));
      if (copy % 3 === 1)
        used.add(pick(['s3:GetBucketLocation', 'dynamodb:Query', 'iam:ListRoles', 'sqs:SendMessage']));
      for (const action of used)
        out.usage.push({ systemId: system, identityId: who.id, action, day: pick(days), count: 3, denied: 0 });
      if (copy % 4 === 3 && held.length > 0)
        out.usage.push({
          systemId: system,
          identityId: who.id,
          action: pick(held.filter((a) => !used.has(a)).concat(['kms:Encrypt'])),
          day: pick(days),
          count: 0,
          denied: 2,
        });
    }
  });
  out.coverage.push({
    systemId: system,
    identityId: '*',
    source: 'cloudtrail',
    granularity: 'action-day',
    from: system === FULL ? '2026-09-01T00:00:00.000Z' : '2026-11-01T00:00:00.000Z',
    to: WINDOW.to,
    actions: 'all',
    exceptActions: ['s3:GetObject', 'lambda:Invoke*'],
  });
  return out;
}

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

before(async () => {
  ({ db, store } = await freshStore());
  for (const [system, seed] of [
    [FULL, 7],
    [PARTIAL, 11],
  ] as const) {
    const built = build(system, seed);
    await writeSnapshot(store, {
      runId: `run-${system}`,
      systemId: system,
      window: WINDOW,
      documents: Object.values(DOCUMENTS),
      ...built,
    });
  }
});
after(async () => {
  await db?.drop();
});

describe('bulk assessment of a snapshot', () => {
  for (const system of [FULL, PARTIAL])
    test(`${system}: every identity assessed in bulk is the one assessIdentity gives over its full view`, async () => {
      const stream = await store.inventory.viewStream(`run-${system}`);
      assert.ok(stream);
      const config = policy.authorizationSystems.find((s) => s.id === system)!;
      const catalogue = await findingsCatalogue('aws', () => store.inventory.runCatalogue(`run-${system}`, 'aws'));
      // separate contexts (and memos) for the two paths, so neither helps the other
      const bulkContext = assessmentContext(policy, config, catalogue, [], AT);
      const referenceContext = assessmentContext(policy, config, catalogue, [], AT);
      const bulk = new BulkAssessor();
      const views: SharedIdentityView[] = [];
      let after: string | undefined;
      // pages of 4, the identities of a template straddling pages
      for (;;) {
        const page = await stream.sharedPage(after, 4);
        if (page.length === 0) break;
        views.push(...page);
        after = page[page.length - 1]!.identity.id;
      }
      assert.equal(views.length, TEMPLATES.length * COPIES + 2);
      let compared = 0;
      for (const view of views) {
        const expected = assessIdentity(materializeView(view), referenceContext(view));
        const single = await store.inventory.identityView(system, view.identity.id);
        assert.ok(single);
        assert.deepEqual(comparable(materializeView(view)), comparable(single), `${view.identity.name}: view`);
        assert.deepEqual(
          assessIdentity(single, referenceContext(view)),
          expected,
          `${view.identity.name}: single view`,
        );
        assert.deepEqual(bulk.assess(view, bulkContext(view)), expected, view.identity.name);
        compared += 1;
      }
      assert.equal(compared, views.length);
      // most identities went through a shared base, not the reference path
      assert.ok(bulk.paths.bulk > views.length / 2, JSON.stringify(bulk.paths));
    });

  test('the activity writes what the reference assessment gives', async () => {
    const outcome = await assessSnapshot(
      { inventory: store.inventory, findings: store.findings, policy: () => policy, now: () => new Date(AT) },
      FULL,
      `run-${FULL}`,
    );
    assert.equal(outcome.status, 'assessed');
    assert.equal(outcome.identities, TEMPLATES.length * COPIES + 2);
    const stream = await store.inventory.viewStream(`run-${FULL}`);
    assert.ok(stream);
    const config = policy.authorizationSystems.find((s) => s.id === FULL)!;
    const catalogue = await findingsCatalogue('aws', () => store.inventory.runCatalogue(`run-${FULL}`, 'aws'));
    const contextOf = assessmentContext(policy, config, catalogue, [], AT);
    const views = await stream.page(undefined, 1000);
    const expected = views.map((view) => assessIdentity(view, contextOf(view)));
    const identities = await db.pool.query(
      `SELECT identity_id, identity_name, nature, scored, pci, granted, used, unknown, findings, top_contributor,
              last_used::text AS last_used
       FROM findings_identities ORDER BY identity_id`,
    );
    assert.deepEqual(
      identities.rows,
      expected.map((a) => ({
        identity_id: a.identityId,
        identity_name: a.identityName,
        nature: a.nature,
        scored: a.scored,
        pci: a.pci?.score ?? null,
        granted: a.granted,
        used: a.used,
        unknown: a.unknown,
        findings: a.findings.length,
        top_contributor: a.pci?.contributors[0]?.label ?? null,
        last_used: a.pci?.lastUsed ?? null,
      })),
    );
    const findings = await db.pool.query(
      `SELECT finding_id, identity_id, kind, severity, categories, title, suppressed FROM findings ORDER BY finding_id`,
    );
    assert.deepEqual(
      [...findings.rows].sort((a: { finding_id: string }, b: { finding_id: string }) =>
        a.finding_id < b.finding_id ? -1 : 1,
      ),
      expected
        .flatMap((a) => a.findings)
        .map((f) => ({
          finding_id: f.id,
          identity_id: f.identityId,
          kind: f.kind,
          severity: f.severity,
          categories: f.categories ?? [],
          title: f.title,
          suppressed: f.suppressed !== undefined,
        }))
        .sort((a, b) => (a.finding_id < b.finding_id ? -1 : 1)),
    );
    assert.ok(findings.rows.some((f: { suppressed: boolean }) => f.suppressed));
  });
});
