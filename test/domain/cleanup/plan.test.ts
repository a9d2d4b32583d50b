import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import type { CleanupDecision, CleanupItem, CleanupPlan, CleanupRules } from '../../../domain/cleanup/model';
import { planCleanup, type CleanupPlanInput } from '../../../domain/cleanup/plan';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import { effectiveGrants } from '../../../domain/inventory/grants';
import type {
  AccessLevel,
  ActionCatalogue,
  Cloud,
  CollectionRun,
  Coverage,
  DocumentAction,
  GrantPath,
  Identity,
  PolicyDocument,
} from '../../../domain/inventory/model';
import type { ActionUsage, IdentityView, ViewPath } from '../../../domain/inventory/view';

let aws: ActionCatalogue;
before(async () => {
  aws = await loadAwsCatalogue();
});

const ACCOUNT = '111122223333';
const AT = '2026-12-01T00:00:00.000Z';
/** The cleanup window: 90 days back from AT. */
const WINDOW_FROM = '2026-09-02T00:00:00.000Z';
const run: CollectionRun = {
  runId: 'run-1',
  systemId: 'prod',
  status: 'succeeded',
  startedAt: AT,
  windowFrom: '2026-08-01T00:00:00.000Z',
  windowTo: AT,
  catalogues: {},
  counts: {},
  skipped: [],
};
const OLD = '2025-01-01T00:00:00.000Z';

function coverage(fields: Partial<Coverage> = {}): Coverage {
  return {
    systemId: 'prod',
    identityId: '*',
    source: 'cloudtrail',
    granularity: 'action-day',
    from: run.windowFrom,
    to: AT,
    actions: 'all',
    ...fields,
  };
}
const trail = coverage();

function rules(extra: Partial<CleanupRules> = {}, cloud: Cloud = 'aws'): CleanupRules {
  return {
    systemId: 'prod',
    cloud,
    mode: 'report',
    windowDays: 90,
    noticeDays: 7,
    graceDays: 14,
    changes: {
      actions: true,
      attachments: true,
      assignments: true,
      bindings: true,
      accessKeys: true,
      passwords: true,
      inactiveIdentities: true,
    },
    exclude: { identities: [], tags: {}, paths: [], serviceLinked: true, breakGlass: [] },
    ...extra,
  };
}

const arn = (kind: 'role' | 'user' | 'group' | 'policy', name: string): string =>
  `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;

function identity(kind: Identity['kind'], id: string, name: string, extra: Partial<Identity> = {}): Identity {
  const nature: Identity['nature'] =
    kind === 'aws-iam-group' || kind === 'aws-permission-set' || kind === 'azure-group' || kind === 'gcp-group'
      ? 'group'
      : kind === 'aws-access-key' || kind === 'aws-console-password'
        ? 'credential'
        : kind === 'aws-iam-user' || kind === 'azure-user' || kind === 'gcp-user' || kind === 'aws-sso-user'
          ? 'human'
          : 'workload';
  return { systemId: 'prod', id, kind, name, nature, tags: {}, path: '/', createdAt: OLD, ...extra };
}
const role = (name: string, extra: Partial<Identity> = {}): Identity =>
  identity('aws-iam-role', arn('role', name), name, extra);

const used = (action: string, day = '2026-11-20'): ActionUsage => ({
  action,
  count: 3,
  denied: 0,
  firstUsed: day,
  lastUsed: day,
});

/** Documents and their expansions, and views built from them as the store builds them. */
class Inventory {
  readonly documents = new Map<string, PolicyDocument>();
  private readonly actions = new Map<string, DocumentAction[]>();

  aws(name: string, statements: unknown[], managedByCloud = false): string {
    const id = `sha256:${name}`;
    const body = { Version: '2012-10-17', Statement: statements };
    this.documents.set(id, { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud, body });
    this.actions.set(id, expandAwsPolicy(aws, id, body).actions);
    return id;
  }

  /** An Azure role definition or GCP role, given its actions and their access levels. */
  role(cloud: 'azure' | 'gcp', name: string, actions: [string, AccessLevel][], managedByCloud = true): string {
    const id = `sha256:${name}`;
    this.documents.set(id, {
      id,
      cloud,
      kind: cloud === 'azure' ? 'azure-role-definition' : 'gcp-role',
      name,
      managedByCloud,
      body: { actions: actions.map(([a]) => a) },
    });
    this.actions.set(
      id,
      actions.map(([action, level]) => ({
        documentId: id,
        action,
        effect: 'allow',
        accessLevels: [level],
        resourceReach: 'all',
        conditional: false,
      })),
    );
    return id;
  }

  view(
    who: Identity,
    paths: (Partial<ViewPath> & Pick<ViewPath, 'kind'>)[],
    usage: ActionUsage[] = [],
    covered: Coverage[] = [trail],
  ): IdentityView {
    const full: ViewPath[] = paths.map((p) => ({
      systemId: 'prod',
      identityId: p.inheritedFrom ?? who.id,
      scope: '*',
      conditional: false,
      ...p,
    }));
    return {
      run,
      identity: who,
      paths: full,
      granted: effectiveGrants(full, (id) => this.actions.get(id)),
      usage,
      coverage: covered,
    };
  }

  plan(views: IdentityView[], extra: Partial<CleanupPlanInput> = {}): CleanupPlan {
    return planCleanup({
      rules: rules(),
      run,
      views,
      documents: (id) => this.documents.get(id),
      catalogue: aws,
      ownersOf: (i) => (i.tags.owner ? [i.tags.owner] : []),
      decisions: new Map(),
      at: AT,
      ...extra,
    });
  }
}

const s3App = { Sid: 'S3', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' };
const queue = { Sid: 'Queue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };
const inline = (documentId: string, via: string): Partial<ViewPath> & Pick<ViewPath, 'kind'> => ({
  kind: 'inline-policy',
  documentId,
  via,
});
const managed = (documentId: string, via: string): Partial<ViewPath> & Pick<ViewPath, 'kind'> => ({
  kind: 'managed-policy',
  documentId,
  via,
});

function only(plan: CleanupPlan): CleanupItem {
  assert.equal(plan.items.length, 1, JSON.stringify(plan.items.map((i) => i.itemId)));
  return plan.items[0]!;
}

describe('planCleanup: AWS policies', () => {
  test('an inline policy loses the actions unused in the window, with the document before and after', () => {
    const inv = new Inventory();
    const app = role('app', { tags: { owner: 'ann@example.com' } });
    const doc = inv.aws('app-inline', [s3App, queue]);
    const plan = inv.plan([
      inv.view(app, [inline(doc, 'app-inline')], [used('s3:GetObject'), used('s3:PutObject', '2026-08-02')]),
    ]);
    assert.deepEqual(only(plan), {
      itemId: `narrow-policy:aws-inline-policy:${app.id}#app-inline`,
      systemId: 'prod',
      change: 'narrow-policy',
      object: { kind: 'aws-inline-policy', key: `${app.id}#app-inline`, name: 'app-inline (inline in app)' },
      identities: [{ id: app.id, name: 'app', kind: 'aws-iam-role' }],
      removeActions: ['s3:PutObject', 'sqs:SendMessage'],
      before: { Version: '2012-10-17', Statement: [s3App, queue] },
      after: { Version: '2012-10-17', Statement: [{ ...s3App, Action: ['s3:GetObject'] }] },
      reason: '2 actions unused since 2026-08-02',
      lastUsed: '2026-08-02',
      actions: 2,
      owners: ['ann@example.com'],
    });
    assert.deepEqual(plan.window, { from: WINDOW_FROM, to: AT });
    assert.deepEqual(plan.counts, { identities: 1, items: 1, actions: 2, holds: 0 });
    assert.deepEqual(plan.holds, []);
  });

  test('an inline policy none of whose actions is used is deleted: after is null', () => {
    const inv = new Inventory();
    const app = role('app');
    const plan = inv.plan([
      inv.view(
        app,
        [inline(inv.aws('queue', [queue]), 'queue'), inline(inv.aws('s3', [s3App]), 's3')],
        [used('s3:GetObject')],
      ),
    ]);
    const item = plan.items.find((i) => i.object.key === `${app.id}#queue`);
    assert.equal(item?.after, null);
    assert.equal(
      item?.reason,
      '1 action never used in the 90-day window; nothing is left, so the inline policy is deleted',
    );
  });

  test('a shared customer-managed policy keeps the actions another holder used', () => {
    const inv = new Inventory();
    const policyArn = arn('policy', 'shared');
    const doc = inv.aws(`${policyArn}:v3`, [s3App, queue]);
    const reader = role('reader', { tags: { owner: 'rita@example.com' } });
    const writer = role('writer', { tags: { owner: 'will@example.com' } });
    const group = identity('aws-iam-group', arn('group', 'devs'), 'devs');
    const dev = identity('aws-iam-user', arn('user', 'dev'), 'dev');
    const extra = inv.aws('dev-own', [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }]);
    const plan = inv.plan([
      inv.view(reader, [managed(doc, policyArn)], [used('s3:GetObject')]),
      inv.view(writer, [managed(doc, policyArn)], [used('s3:PutObject')]),
      inv.view(group, [managed(doc, policyArn)]),
      inv.view(
        dev,
        [
          inline(extra, 'dev-own'),
          { kind: 'group-membership', via: group.id },
          { ...managed(doc, policyArn), inheritedFrom: group.id },
        ],
        [used('ec2:DescribeInstances')],
      ),
    ]);
    const narrow = plan.items.find((i) => i.change === 'narrow-policy');
    assert.ok(narrow, JSON.stringify(plan.items.map((i) => i.itemId)));
    assert.equal(narrow.itemId, `narrow-policy:aws-managed-policy:${policyArn}`);
    assert.deepEqual(narrow.removeActions, ['sqs:SendMessage']);
    assert.deepEqual(narrow.keptForOthers, ['s3:GetObject', 's3:PutObject']);
    // sorted by id: role/reader, role/writer, user/dev
    assert.deepEqual(
      narrow.identities.map((i) => i.name),
      ['reader', 'writer', 'dev'],
    );
    assert.deepEqual(narrow.after, { Version: '2012-10-17', Statement: [s3App] });
    assert.match(narrow.reason, /^1 action never used in the 90-day window by any of its 3 holders$/);
    assert.deepEqual(narrow.owners.sort(), ['rita@example.com', 'will@example.com']);
    // the group's attachment is used by none of its members: detached from the group
    const detach = plan.items.find((i) => i.change === 'detach-policy');
    assert.equal(detach?.itemId, `detach-policy:aws-policy-attachment:${group.id}|${policyArn}`);
    assert.equal(detach?.object.name, 'shared on devs');
    assert.deepEqual(
      detach?.identities.map((i) => i.id),
      [dev.id],
    );
  });

  test('an attachment none of whose actions its holder used is detached; the policy stays for the others', () => {
    const inv = new Inventory();
    const policyArn = arn('policy', 'shared');
    const doc = inv.aws(`${policyArn}:v1`, [s3App]);
    const other = inv.aws('other', [queue]);
    const busy = role('busy');
    const idle = role('idle');
    const plan = inv.plan([
      inv.view(busy, [managed(doc, policyArn)], [used('s3:GetObject'), used('s3:PutObject')]),
      inv.view(idle, [managed(doc, policyArn), inline(other, 'other')], [used('sqs:SendMessage')]),
    ]);
    const item = only(plan);
    assert.equal(item.itemId, `detach-policy:aws-policy-attachment:${idle.id}|${policyArn}`);
    assert.equal(item.reason, 'all 2 of its actions never used in the 90-day window');
    assert.deepEqual(item.identities, [{ id: idle.id, name: 'idle', kind: 'aws-iam-role' }]);
  });

  test('an AWS-managed policy is detached when wholly unused and never edited otherwise', () => {
    const inv = new Inventory();
    const readOnly = 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess';
    const s3Managed = 'arn:aws:iam::aws:policy/AmazonS3Access';
    const sqsDoc = inv.aws(
      readOnly,
      [{ Effect: 'Allow', Action: ['sqs:ListQueues', 'sqs:GetQueueUrl'], Resource: '*' }],
      true,
    );
    const s3Doc = inv.aws(s3Managed, [s3App], true);
    const app = role('app');
    const plan = inv.plan([
      inv.view(app, [managed(sqsDoc, readOnly), managed(s3Doc, s3Managed)], [used('s3:GetObject')]),
    ]);
    assert.equal(only(plan).itemId, `detach-policy:aws-policy-attachment:${app.id}|${readOnly}`);
    assert.deepEqual(plan.holds, [
      {
        identityId: app.id,
        identityName: 'app',
        object: { kind: 'aws-policy-attachment', key: `${app.id}|${s3Managed}`, name: 'AmazonS3Access on app' },
        reason: 'managed-by-cloud',
        detail: 'AWS-managed policy: never edited, detached only when none of its actions is used',
        actions: 1,
      },
    ]);
  });

  test('the Sid marker keeps its statements, and an identity holding one is not guarded whole', () => {
    const inv = new Inventory();
    const app = role('app');
    const doc = inv.aws('app', [{ ...queue, Sid: 'LeastKeepQueue' }, s3App]);
    const plan = inv.plan([inv.view(app, [inline(doc, 'app')])], {
      rules: rules({ exclude: { ...rules().exclude, sidPrefix: 'LeastKeep' } }),
    });
    const item = only(plan);
    assert.equal(item.change, 'narrow-policy');
    assert.deepEqual(item.removeActions, ['s3:GetObject', 's3:PutObject']);
    assert.deepEqual(item.after, { Version: '2012-10-17', Statement: [{ ...queue, Sid: 'LeastKeepQueue' }] });
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.detail, h.actions]),
      [['excluded', 'statements whose Sid starts with LeastKeep are kept as written', 1]],
    );
  });

  test('the rules may not allow a change: it is held, not planned', () => {
    const inv = new Inventory();
    const app = role('app');
    const plan = inv.plan([inv.view(app, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')])], {
      rules: rules({ changes: { ...rules().changes, actions: false } }),
    });
    assert.deepEqual(plan.items, []);
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.actions]),
      [['change-not-allowed', 2]],
    );
    assert.match(plan.holds[0]!.detail, /cleanup\.changes\.actions is off/);
  });
});

describe('planCleanup: confidence gating', () => {
  test('unknown is never unused: without coverage nothing is planned, and the hold says why', () => {
    const inv = new Inventory();
    const app = role('app');
    const plan = inv.plan([inv.view(app, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')], [])]);
    assert.deepEqual(plan.items, []);
    assert.deepEqual(plan.holds, [
      {
        identityId: app.id,
        identityName: 'app',
        reason: 'not-enough-data',
        detail: 'no usage source covers this identity',
        actions: 2,
      },
    ]);
  });

  test('coverage that starts inside the window leaves the actions unknown', () => {
    const inv = new Inventory();
    const app = role('app');
    const late = coverage({ from: '2026-10-21T00:00:00.000Z' });
    const plan = inv.plan([
      inv.view(app, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')], [late]),
    ]);
    assert.deepEqual(plan.items, []);
    assert.equal(plan.holds[0]?.detail, '2 actions: usage data covers 41 of 90 days');
  });

  test('service-level data cannot vouch for an action of a service that was used', () => {
    const inv = new Inventory();
    const app = role('app');
    const advisor = coverage({ source: 'access-advisor', granularity: 'service' });
    const plan = inv.plan([
      inv.view(app, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')], [advisor]),
    ]);
    // sqs shows no use at all: the service-level source vouches for it; s3:PutObject stays unknown
    assert.deepEqual(only(plan).removeActions, ['sqs:SendMessage']);
    assert.deepEqual(plan.holds, [
      {
        identityId: app.id,
        identityName: 'app',
        reason: 'not-enough-data',
        detail: '1 action: access-advisor sees services only, and s3 was used in the window',
        actions: 1,
      },
    ]);
  });

  test('an identity younger than the window is held whole', () => {
    const inv = new Inventory();
    const young = role('young', { createdAt: '2026-10-01T00:00:00.000Z' });
    const plan = inv.plan([inv.view(young, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')])]);
    assert.deepEqual(plan.items, []);
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.detail, h.actions]),
      [['identity-too-new', 'created 2026-10-01, after the window opened on 2026-09-02', 2]],
    );
  });

  test('a path granted within the grace period is held; one granted earlier is planned', () => {
    const inv = new Inventory();
    const app = role('app');
    const fresh = inv.aws('fresh', [queue]);
    const old = inv.aws('old', [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }]);
    const grantedAt = (_: string, path: GrantPath): string | undefined =>
      path.documentId === fresh ? '2026-11-25T00:00:00.000Z' : '2026-01-01T00:00:00.000Z';
    const plan = inv.plan(
      [
        inv.view(
          app,
          [inline(fresh, 'fresh'), inline(old, 'old'), inline(inv.aws('s3', [s3App]), 's3')],
          [used('s3:GetObject'), used('s3:PutObject')],
        ),
      ],
      { grantedAt },
    );
    assert.equal(only(plan).object.key, `${app.id}#old`);
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.object?.key, h.detail]),
      [['grace-period', `${app.id}#fresh`, 'granted 2026-11-25, within the 14-day grace period']],
    );
  });

  test('a group policy counts from when the member joined the group', () => {
    const inv = new Inventory();
    const group = identity('aws-iam-group', arn('group', 'ops'), 'ops');
    const user = identity('aws-iam-user', arn('user', 'u'), 'u');
    const doc = inv.aws('ops', [queue]);
    const own = inv.aws('own', [s3App]);
    const grantedAt = (_: string, path: GrantPath): string =>
      path.kind === 'group-membership' ? '2026-11-28T00:00:00.000Z' : '2026-01-01T00:00:00.000Z';
    const plan = inv.plan(
      [
        inv.view(
          user,
          [
            inline(own, 'own'),
            { kind: 'group-membership', via: group.id },
            { ...inline(doc, 'ops'), inheritedFrom: group.id },
          ],
          [used('s3:GetObject'), used('s3:PutObject')],
        ),
      ],
      { grantedAt },
    );
    assert.deepEqual(plan.items, []);
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.object?.key]),
      [['grace-period', `${group.id}#ops`]],
    );
  });
});

describe('planCleanup: exclusions and owners', () => {
  const cases: [string, Partial<CleanupRules['exclude']>, Partial<Identity>, RegExp][] = [
    ['identity pattern', { identities: ['APP-*'] }, {}, /^excluded identity \(APP-\*\)$/],
    ['tag', { tags: { keep: '*' } }, { tags: { Keep: 'yes' } }, /^tag Keep=yes$/],
    ['IAM path', { paths: ['/platform/'] }, { path: '/platform/core/' }, /^under the excluded path \/platform\/$/],
    ['break-glass', { breakGlass: ['*app-prod'] }, {}, /^break-glass identity/],
    [
      'service-linked role',
      {},
      { path: '/aws-service-role/ecs.amazonaws.com/', name: 'AWSServiceRoleForECS' },
      /^service-linked role$/,
    ],
  ];
  for (const [kind, exclude, extra, detail] of cases) {
    test(`excluded by ${kind}: held whole, nothing planned`, () => {
      const inv = new Inventory();
      const app = role('app-prod', extra);
      const plan = inv.plan([inv.view(app, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')])], {
        rules: rules({ exclude: { ...rules().exclude, ...exclude } }),
      });
      assert.deepEqual(plan.items, []);
      assert.equal(plan.holds.length, 1);
      assert.equal(plan.holds[0]!.reason, 'excluded');
      assert.match(plan.holds[0]!.detail, detail);
    });
  }

  test('an excluded holder keeps everything it holds of a shared policy', () => {
    const inv = new Inventory();
    const policyArn = arn('policy', 'shared');
    const doc = inv.aws(`${policyArn}:v1`, [s3App, queue]);
    const plan = inv.plan(
      [
        inv.view(role('glass'), [managed(doc, policyArn)], [used('s3:GetObject')]),
        inv.view(role('app'), [managed(doc, policyArn)], [used('s3:GetObject')]),
      ],
      { rules: rules({ exclude: { ...rules().exclude, breakGlass: ['glass'] } }) },
    );
    // the shared policy stays whole; only app is offered its own copy (own-copy.test.ts)
    assert.deepEqual(
      plan.items.map((i) => i.change),
      ['own-copy'],
    );
    assert.deepEqual(
      plan.holds.map((h) => [h.identityName, h.reason]),
      [['glass', 'excluded']],
    );
  });

  test('Keep and Snooze hold an item while they run; an expired one does not', () => {
    const inv = new Inventory();
    const app = role('app');
    const views = (): IdentityView[] => [
      inv.view(app, [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject'), used('s3:PutObject')]),
    ];
    const itemId = only(inv.plan(views())).itemId;
    const decision = (kind: CleanupDecision['kind'], until: string): ReadonlyMap<string, CleanupDecision> =>
      new Map([
        [itemId, { itemId, kind, by: 'ann@example.com', at: '2026-11-01T00:00:00.000Z', until, reason: 'batch job' }],
      ]);
    const kept = inv.plan(views(), { decisions: decision('keep', '2027-04-30T00:00:00.000Z') });
    assert.deepEqual(kept.items, []);
    assert.deepEqual(
      kept.holds.map((h) => [h.reason, h.detail, h.actions]),
      [['kept', 'kept by ann@example.com until 2027-04-30: batch job', 1]],
    );
    const snoozed = inv.plan(views(), { decisions: decision('snooze', '2026-12-08T00:00:00.000Z') });
    assert.deepEqual(
      snoozed.holds.map((h) => h.reason),
      ['snoozed'],
    );
    const expired = inv.plan(views(), { decisions: decision('keep', '2026-11-30T00:00:00.000Z') });
    assert.equal(only(expired).itemId, itemId);
  });

  test('report mode is still a whole plan: the mode is only recorded', () => {
    const inv = new Inventory();
    const views = (): IdentityView[] => [
      inv.view(role('app'), [inline(inv.aws('app', [s3App, queue]), 'app')], [used('s3:GetObject')]),
    ];
    const report = inv.plan(views());
    const enforce = inv.plan(views(), { rules: rules({ mode: 'enforce' }) });
    assert.equal(report.mode, 'report');
    assert.equal(enforce.mode, 'enforce');
    assert.deepEqual({ ...report, mode: 'enforce' }, enforce);
    assert.equal(report.items.length, 1);
  });

  test('ids are deterministic: the same snapshot read in another order plans the same', () => {
    const inv = new Inventory();
    const policyArn = arn('policy', 'shared');
    const doc = inv.aws(`${policyArn}:v1`, [s3App, queue]);
    const views = (): IdentityView[] => [
      inv.view(role('a'), [managed(doc, policyArn), inline(inv.aws('a', [queue]), 'a')], [used('s3:GetObject')]),
      inv.view(role('b'), [managed(doc, policyArn)], [used('s3:PutObject')]),
      inv.view(role('c'), [managed(doc, policyArn)]),
    ];
    const forward = inv.plan(views());
    const backward = inv.plan(views().reverse());
    assert.deepEqual(forward, backward);
    // c used nothing at all: guarded whole, and its non-use still counts for the shared policy
    assert.deepEqual(
      forward.items.map((i) => i.itemId),
      [
        `guard-principal:aws-principal:${arn('role', 'c')}`,
        `narrow-policy:aws-inline-policy:${arn('role', 'a')}#a`,
        `narrow-policy:aws-managed-policy:${policyArn}`,
        // a and b each used one action the other keeps in the shared policy: each is offered its own copy
        `own-copy:aws-policy-attachment:${arn('role', 'a')}|${policyArn}`,
        `own-copy:aws-policy-attachment:${arn('role', 'b')}|${policyArn}`,
      ],
    );
  });
});

describe('planCleanup: identities and credentials', () => {
  test('an inactive role gets the deny-all guard and nothing else', () => {
    const inv = new Inventory();
    const old = role('old', { tags: { owner: 'olga@example.com' } });
    const plan = inv.plan([
      inv.view(old, [
        inline(inv.aws('old', [s3App, queue]), 'old'),
        managed(inv.aws('ro', [queue], true), 'arn:aws:iam::aws:policy/X'),
      ]),
    ]);
    assert.deepEqual(only(plan), {
      itemId: `guard-principal:aws-principal:${old.id}`,
      systemId: 'prod',
      change: 'guard-principal',
      object: { kind: 'aws-principal', key: old.id, name: 'old' },
      identities: [{ id: old.id, name: 'old', kind: 'aws-iam-role' }],
      reason: 'inactive: all 3 granted actions never used in the 90-day window',
      actions: 3,
      owners: ['olga@example.com'],
    });
    assert.deepEqual(plan.holds, []);
  });

  test("Least's own lease policy is never planned, and a role with a lease running is not inactive", () => {
    const inv = new Inventory();
    const app = role('app');
    const plan = inv.plan([
      inv.view(app, [inline(inv.aws('lease', [queue]), 'least-lease-42'), inline(inv.aws('s3', [s3App]), 's3')]),
    ]);
    assert.equal(only(plan).itemId, `narrow-policy:aws-inline-policy:${app.id}#s3`);
  });

  test('with inactive identities not to be changed, an inactive role is planned path by path', () => {
    const inv = new Inventory();
    const plan = inv.plan([inv.view(role('old'), [inline(inv.aws('old', [s3App, queue]), 'old')])], {
      rules: rules({ changes: { ...rules().changes, inactiveIdentities: false } }),
    });
    assert.equal(only(plan).change, 'narrow-policy');
    assert.equal(only(plan).after, null);
  });

  test('an access key unused for the window is deactivated; a used or new one is not', () => {
    const inv = new Inventory();
    const alice = arn('user', 'alice');
    const key = (id: string, extra: Partial<Identity>): Identity =>
      identity('aws-access-key', id, `alice/${id}`, { parentId: alice, path: undefined, ...extra });
    const plan = inv.plan([
      inv.view(key('AKIASTALE', { lastActivityAt: '2026-01-05T10:00:00.000Z' }), []),
      inv.view(key('AKIANEVER', {}), []),
      inv.view(key('AKIABUSY', { lastActivityAt: '2026-11-30T10:00:00.000Z' }), []),
      inv.view(key('AKIANEW', { createdAt: '2026-11-01T00:00:00.000Z' }), []),
      inv.view(key('AKIAOFF', { disabled: true }), []),
    ]);
    assert.deepEqual(
      plan.items.map((i) => [i.itemId, i.reason, i.explicitOnly]),
      [
        [`deactivate-key:aws-access-key:${alice}#AKIANEVER`, 'never used (created 2025-01-01)', undefined],
        [`deactivate-key:aws-access-key:${alice}#AKIASTALE`, 'unused since 2026-01-05', undefined],
      ],
    );
    assert.deepEqual(
      plan.holds.map((h) => [h.identityId, h.reason]),
      [['AKIANEW', 'identity-too-new']],
    );
  });

  test('an unused console password is reported for an explicit Remove only', () => {
    const inv = new Inventory();
    const bob = arn('user', 'bob');
    const password = identity('aws-console-password', `${bob}#console-password`, 'bob console password', {
      parentId: bob,
      lastActivityAt: '2026-03-01T00:00:00.000Z',
    });
    const item = only(inv.plan([inv.view(password, [])]));
    assert.equal(item.itemId, `remove-password:aws-console-password:${bob}#console-password`);
    assert.equal(item.explicitOnly, true);
    assert.equal(item.reason, 'unused since 2026-03-01');
  });

  test("an Identity Center assignment goes when wholly unused; a partly used set's policy is held while where it is provisioned is unknown", () => {
    const inv = new Inventory();
    const ps = 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin';
    const ps2 = 'arn:aws:sso:::permissionSet/ssoins-1/ps-read';
    const user = identity('aws-sso-user', 'arn:aws:identitystore:::user/u-1', 'kim');
    const psIdentity = identity('aws-permission-set', ps, 'AdminAccess');
    const assigned = (set: string, doc: string): (Partial<ViewPath> & Pick<ViewPath, 'kind'>)[] => [
      { kind: 'permission-set', via: set, scope: ACCOUNT },
      { ...inline(doc, `${set} inline policy`), inheritedFrom: set, scope: ACCOUNT },
    ];
    const plan = inv.plan([
      inv.view(psIdentity, []),
      inv.view(
        user,
        [...assigned(ps, inv.aws('admin', [queue])), ...assigned(ps2, inv.aws('read', [s3App]))],
        [used('s3:GetObject')],
      ),
    ]);
    const item = only(plan);
    assert.equal(item.itemId, `delete-assignment:aws-sso-assignment:${user.id}|${ps}|${ACCOUNT}`);
    assert.equal(item.object.name, `AdminAccess on ${ACCOUNT} for kim`);
    // the inventory has no permission set ps-read: it may be provisioned to accounts Least does not see
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.object?.kind, h.object?.key, h.actions]),
      [['cannot-narrow', 'aws-permission-set-policy', ps2, 1]],
    );
    assert.match(plan.holds[0]!.detail, /provisioned to is not in this inventory/);
  });

  test("a group's unused Identity Center assignment is one item of the group, naming every member", () => {
    const inv = new Inventory();
    const ps = 'arn:aws:sso:::permissionSet/ssoins-1/ps-admin';
    const group = identity('aws-sso-group', 'arn:aws:identitystore:::group/g-1', 'payments-oncall', {
      nature: 'group',
    });
    const psIdentity = identity('aws-permission-set', ps, 'AdminAccess');
    const member = (id: string, name: string) =>
      identity('aws-sso-user', `arn:aws:identitystore:::user/${id}`, name, { tags: { owner: `${name}@example.com` } });
    const [ada, grace, bob] = [member('u-ada', 'ada'), member('u-grace', 'grace'), member('u-bob', 'bob')];
    const admin = inv.aws('admin', [queue]);
    const documentPath = { ...inline(admin, `${ps} inline policy`), inheritedFrom: ps, scope: ACCOUNT };
    // as the collector and the store give a member: its membership, then the group's assignment of the
    // set and the set's own paths
    const asMember = (who: Identity) =>
      inv.view(who, [
        { kind: 'group-membership', via: group.id },
        { kind: 'permission-set', via: ps, scope: ACCOUNT, inheritedFrom: group.id },
        documentPath,
      ]);

    const plan = inv.plan([
      inv.view(group, [{ kind: 'permission-set', via: ps, scope: ACCOUNT }]),
      inv.view(psIdentity, [{ ...documentPath, inheritedFrom: undefined }]),
      asMember(grace),
      asMember(ada),
      // bob's own assignment of the same set is another object: his use of it keeps only that one
      inv.view(bob, [{ kind: 'permission-set', via: ps, scope: ACCOUNT }, documentPath], [used('sqs:SendMessage')]),
    ]);

    const item = only(plan);
    assert.equal(item.itemId, `delete-assignment:aws-sso-assignment:${group.id}|${ps}|${ACCOUNT}`);
    assert.equal(item.object.name, `AdminAccess on ${ACCOUNT} for payments-oncall`);
    assert.deepEqual(
      item.identities,
      [ada, grace].map((m) => ({ id: m.id, name: m.name, kind: 'aws-sso-user' })),
    );
    assert.deepEqual(item.owners, ['ada@example.com', 'grace@example.com']);
    assert.match(item.reason, /by any of its 2 holders/);
    assert.deepEqual(plan.holds, []);
  });
});

describe('planCleanup: Azure and GCP', () => {
  const activityLog = coverage({ source: 'activity-log', actions: 'writes' });

  test('an unused Azure role assignment is deleted; read permissions are never judged from writes-only data', () => {
    const inv = new Inventory();
    const vm = inv.role('azure', 'Virtual Machine Contributor', [
      ['Microsoft.Compute/virtualMachines/write', 'Write'],
      ['Microsoft.Compute/virtualMachines/delete', 'Write'],
    ]);
    const storage = inv.role('azure', 'Storage Writer', [['Microsoft.Storage/storageAccounts/write', 'Write']]);
    const reader = inv.role('azure', 'Reader', [['Microsoft.Compute/virtualMachines/read', 'Read']]);
    const alice = identity('azure-user', 'oid-alice', 'alice@example.com');
    const sub = '/subscriptions/s1';
    const assignment = (id: string, documentId: string) => ({
      kind: 'role-assignment' as const,
      documentId,
      via: `${sub}/providers/Microsoft.Authorization/roleAssignments/${id}`,
      scope: sub,
    });
    const plan = inv.plan(
      [
        inv.view(
          alice,
          [assignment('a1', vm), assignment('a2', storage), assignment('a3', reader)],
          [used('Microsoft.Storage/storageAccounts/write')],
          [activityLog],
        ),
      ],
      { rules: rules({}, 'azure'), catalogue: undefined },
    );
    const item = only(plan);
    assert.equal(
      item.itemId,
      `delete-assignment:azure-role-assignment:${sub}/providers/Microsoft.Authorization/roleAssignments/a1`,
    );
    assert.equal(item.object.name, `Virtual Machine Contributor on ${sub}`);
    assert.deepEqual(plan.holds, [
      {
        identityId: 'oid-alice',
        identityName: 'alice@example.com',
        reason: 'not-enough-data',
        detail: '1 action: activity-log records writes only',
        actions: 1,
      },
    ]);
  });

  test('an inactive Azure principal loses its role assignments as one item', () => {
    const inv = new Inventory();
    const vm = inv.role('azure', 'VM Writer', [['Microsoft.Compute/virtualMachines/write', 'Write']]);
    const sp = identity('azure-service-principal', 'oid-sp', 'old-automation');
    const plan = inv.plan(
      [
        inv.view(
          sp,
          [{ kind: 'role-assignment', documentId: vm, via: '/subscriptions/s1/ra/1', scope: '/subscriptions/s1' }],
          [],
          [activityLog],
        ),
      ],
      { rules: rules({}, 'azure') },
    );
    assert.equal(only(plan).itemId, 'remove-assignments:azure-principal:oid-sp');
  });

  test('an unused GCP binding member is removed; a service account wholly unused is disabled', () => {
    const inv = new Inventory();
    const admin = inv.role('gcp', 'roles/storage.admin', [
      ['storage.buckets.create', 'Write'],
      ['storage.buckets.delete', 'Write'],
    ]);
    const viewer = inv.role('gcp', 'roles/viewer', [['compute.instances.get', 'Read']]);
    const audit = coverage({ source: 'audit-log' });
    const bob = identity('gcp-user', 'user:bob@example.com', 'bob@example.com');
    const sa = identity('gcp-service-account', 'serviceAccount:etl@p1.iam.gserviceaccount.com', 'etl');
    const binding = (documentId: string, conditional = false) => ({
      kind: 'binding' as const,
      documentId,
      scope: 'projects/p1',
      conditional,
    });
    const plan = inv.plan(
      [
        inv.view(bob, [binding(admin, true), binding(viewer)], [used('compute.instances.get')], [audit]),
        inv.view(sa, [binding(admin)], [], [audit]),
      ],
      { rules: rules({}, 'gcp') },
    );
    assert.deepEqual(
      plan.items.map((i) => [i.itemId, i.object.name]),
      [
        ['disable-service-account:gcp-service-account:serviceAccount:etl@p1.iam.gserviceaccount.com', 'etl'],
        [
          'remove-member:gcp-binding-member:projects/p1|roles/storage.admin|user:bob@example.com|*',
          'roles/storage.admin on projects/p1',
        ],
      ],
    );
  });

  test('a GCP user with nothing used loses each binding rather than being disabled', () => {
    const inv = new Inventory();
    const admin = inv.role('gcp', 'roles/storage.admin', [['storage.buckets.delete', 'Write']]);
    const bob = identity('gcp-user', 'user:bob@example.com', 'bob@example.com');
    const plan = inv.plan(
      [
        inv.view(
          bob,
          [{ kind: 'binding', documentId: admin, scope: 'projects/p1' }],
          [],
          [coverage({ source: 'audit-log' })],
        ),
      ],
      { rules: rules({}, 'gcp') },
    );
    assert.equal(only(plan).change, 'remove-member');
  });
});
