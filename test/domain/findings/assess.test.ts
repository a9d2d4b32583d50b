import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import { assessIdentity, isScored, type AssessmentContext } from '../../../domain/findings/assess';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import { effectiveGrants } from '../../../domain/inventory/grants';
import type { ActionCatalogue, Coverage, Identity } from '../../../domain/inventory/model';
import { attachUsage } from '../../../domain/inventory/verdicts';
import type { ActionUsage, IdentityView, ViewPath } from '../../../domain/inventory/view';

let aws: ActionCatalogue;
before(async () => {
  aws = await loadAwsCatalogue();
});

const ACCOUNT = '111122223333';
const window = { from: '2026-09-02T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };
const trail: Coverage = {
  systemId: 'aws-prod',
  identityId: '*',
  source: 'cloudtrail',
  granularity: 'action-day',
  from: '2026-09-01T00:00:00.000Z',
  to: '2026-12-01T00:00:00.000Z',
  actions: 'all',
};

function role(name: string, extra: Partial<Identity> = {}): Identity {
  return {
    systemId: 'aws-prod',
    id: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    kind: 'aws-iam-role',
    name,
    nature: 'workload',
    tags: {},
    path: '/',
    createdAt: '2025-01-01T00:00:00.000Z',
    ...extra,
  };
}

/** A view as the store builds it: the policies expanded on the real catalogue, usage and verdicts attached. */
function view(
  identity: Identity,
  policies: { name: string; statement: unknown }[],
  usage: ActionUsage[] = [],
  coverage: Coverage[] = [trail],
): IdentityView {
  const expanded = new Map(
    policies.map((p, i) => [
      `sha256:${i}`,
      expandAwsPolicy(aws, `sha256:${i}`, { Version: '2012-10-17', Statement: p.statement }).actions,
    ]),
  );
  const paths: ViewPath[] = policies.map((p, i) => ({
    systemId: identity.systemId,
    identityId: identity.id,
    kind: 'managed-policy',
    documentId: `sha256:${i}`,
    via: p.name,
    scope: '*',
    conditional: false,
    documentName: p.name,
  }));
  const granted = effectiveGrants(paths, (id) => expanded.get(id));
  attachUsage(granted, usage, coverage, identity, window);
  return {
    run: {
      runId: 'r1',
      systemId: identity.systemId,
      status: 'succeeded',
      startedAt: window.to,
      windowFrom: window.from,
      windowTo: window.to,
      catalogues: {},
      counts: {},
      skipped: [],
    },
    identity,
    paths,
    granted,
    usage,
    coverage,
  };
}

function context(extra: Partial<AssessmentContext> = {}): AssessmentContext {
  return { cloud: 'aws', catalogue: aws, accountId: ACCOUNT, at: window.to, ...extra };
}

const used = (action: string, day = '2026-11-20'): ActionUsage => ({ action, count: 3, denied: 0, lastUsed: day });
const s3Reader = {
  name: 's3-read',
  statement: { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' },
};
const iamWriter = {
  name: 'iam-admin-ish',
  statement: {
    Effect: 'Allow',
    Action: ['iam:CreatePolicyVersion', 'iam:PutRolePolicy', 'iam:PassRole', 'ec2:RunInstances'],
    Resource: '*',
  },
};

describe('assessIdentity', () => {
  test('over-provisioned: active, but holds high-risk permissions unused in the window', () => {
    const assessment = assessIdentity(view(role('app'), [s3Reader, iamWriter], [used('s3:GetObject')]), context());
    const over = assessment.findings.find((f) => f.kind === 'over-provisioned');
    assert.ok(over, JSON.stringify(assessment.findings.map((f) => f.kind)));
    assert.match(over.title, /^4 high-risk permissions granted and unused/);
    assert.ok(over.categories?.includes('PrivilegeEscalation'));
    assert.ok(assessment.pci && assessment.pci.score > 0);
    assert.equal(assessment.used, 1);
    assert.equal(
      assessment.findings.some((f) => f.kind === 'inactive-identity'),
      false,
    );
    const risky = assessment.findings.find((f) => f.kind === 'risky-permissions');
    assert.ok(risky?.evidence.some((line) => line.startsWith('Privilege escalation: CreateNewPolicyVersion')));
  });

  test('inactive: nothing used, and the trail could have seen it', () => {
    const assessment = assessIdentity(view(role('old'), [iamWriter]), context());
    const inactive = assessment.findings.find((f) => f.kind === 'inactive-identity');
    assert.ok(inactive);
    assert.equal(inactive.severity, 'high');
    assert.match(inactive.title, /^Inactive workload identity: no use in 90 days/);
    assert.equal(
      assessment.findings.some((f) => f.kind === 'over-provisioned'),
      false,
    );
  });

  test('no usage data is not inactivity: unknown is never unused', () => {
    const assessment = assessIdentity(view(role('unseen'), [iamWriter], [], []), context());
    assert.equal(
      assessment.findings.some((f) => f.kind === 'inactive-identity'),
      false,
    );
    assert.equal(assessment.pci?.score, 0);
    assert.ok((assessment.pci?.ceiling ?? 0) > 0, 'the blind spot shows in the ceiling');
    assert.ok(assessment.pci?.coverage.blindSpots.some((b) => b.includes('no usage source')));
    assert.ok(
      assessment.findings.some((f) => f.kind === 'risky-permissions'),
      'what is held is still judged',
    );
  });

  test('a shorter inactivity setting judges only its own days', () => {
    const recent = [used('s3:GetObject', '2026-10-01')];
    assert.equal(
      assessIdentity(view(role('a'), [s3Reader], recent), context()).findings.some(
        (f) => f.kind === 'inactive-identity',
      ),
      false,
    );
    const short = assessIdentity(view(role('a'), [s3Reader], recent), context({ inactiveDays: 45 }));
    assert.ok(short.findings.some((f) => f.kind === 'inactive-identity' && f.title.includes('45 days')));
  });

  test('super identity: every action on every resource', () => {
    const admin = {
      name: 'arn:aws:iam::aws:policy/AdministratorAccess:v1',
      statement: { Effect: 'Allow', Action: '*', Resource: '*' },
    };
    const assessment = assessIdentity(view(role('admin'), [admin], [used('s3:GetObject')]), context());
    const found = assessment.findings.find((f) => f.kind === 'super-identity');
    assert.ok(found);
    assert.equal(found.severity, 'critical');
    assert.equal(assessment.pci?.score, 100);
  });

  test('risky trust: a role anyone may assume', () => {
    const open = role('open', {
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
      },
    });
    const assessment = assessIdentity(view(open, [s3Reader]), context());
    const trust = assessment.findings.find((f) => f.kind === 'risky-trust');
    assert.ok(trust);
    assert.equal(trust.severity, 'critical');
  });

  test('an unused access key, and a used one', () => {
    const key = (lastActivityAt?: string): Identity => ({
      systemId: 'aws-prod',
      id: 'AKIAEXAMPLE',
      kind: 'aws-access-key',
      name: 'AKIAEXAMPLE',
      nature: 'credential',
      tags: {},
      parentId: `arn:aws:iam::${ACCOUNT}:user/alice`,
      createdAt: '2025-03-01T00:00:00.000Z',
      ...(lastActivityAt ? { lastActivityAt } : {}),
    });
    const stale = assessIdentity(view(key('2026-01-05T00:00:00.000Z'), []), context());
    assert.deepEqual(
      stale.findings.map((f) => f.kind),
      ['unused-access-key'],
    );
    assert.match(stale.findings[0]!.title, /unused since 2026-01-05/);
    assert.equal(stale.scored, false);
    const fresh = assessIdentity(view(key('2026-11-30T00:00:00.000Z'), []), context());
    assert.deepEqual(fresh.findings, []);
  });

  test('suppressions mark findings, and expire by themselves', () => {
    const identity = role('old');
    const suppression = {
      systemId: 'aws-prod',
      identityId: identity.id,
      reason: 'break-glass role, kept on purpose',
      by: 'sec@example.com',
      until: '2027-01-01T00:00:00.000Z',
      source: 'chat' as const,
    };
    const live = assessIdentity(view(identity, [iamWriter]), context({ suppressions: [suppression] }));
    assert.ok(live.findings.length > 0);
    assert.ok(live.findings.every((f) => f.suppressed?.reason === 'break-glass role, kept on purpose'));
    const expired = assessIdentity(
      view(identity, [iamWriter]),
      context({ suppressions: [{ ...suppression, until: '2026-11-30T00:00:00.000Z' }] }),
    );
    assert.ok(expired.findings.every((f) => f.suppressed === undefined));
  });

  test('service-linked roles and cloud service agents carry no score', () => {
    assert.equal(isScored(role('AWSServiceRoleForECS', { path: '/aws-service-role/ecs.amazonaws.com/' })), false);
    assert.equal(
      isScored({
        ...role('x'),
        kind: 'gcp-service-account',
        id: 'serviceAccount:service-123@gcp-sa-pubsub.iam.gserviceaccount.com',
      }),
      false,
    );
    assert.equal(
      isScored({ ...role('x'), kind: 'gcp-service-account', id: 'serviceAccount:app@p.iam.gserviceaccount.com' }),
      true,
    );
    assert.equal(isScored(role('app')), true);
    const agent = assessIdentity(
      view(role('AWSServiceRoleForECS', { path: '/aws-service-role/ecs.amazonaws.com/' }), [iamWriter]),
      context(),
    );
    assert.equal(agent.pci, undefined);
  });

  test('a deny in the same account removes the action from what is judged', () => {
    const denied = {
      name: 'deny-iam',
      statement: { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
    };
    const assessment = assessIdentity(view(role('fenced'), [iamWriter, denied], [used('ec2:RunInstances')]), context());
    const risky = assessment.findings.find((f) => f.kind === 'risky-permissions');
    assert.equal(risky?.evidence.some((line) => line.includes('CreateNewPolicyVersion')) ?? false, false);
  });
});
