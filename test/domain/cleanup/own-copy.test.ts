import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import type { CleanupItem, CleanupPlan, CleanupRules } from '../../../domain/cleanup/model';
import { capPlan, planCleanup, type CleanupPlanInput } from '../../../domain/cleanup/plan';
import { expandAwsPolicy } from '../../../domain/inventory/aws-policy';
import { effectiveGrants } from '../../../domain/inventory/grants';
import type {
  ActionCatalogue,
  CollectionRun,
  Coverage,
  DocumentAction,
  GrantPath,
  Identity,
  PolicyDocument,
} from '../../../domain/inventory/model';
import type { ActionUsage, IdentityView, ViewPath } from '../../../domain/inventory/view';

/**
 * Issue 13, shared objects: besides removing what no holder of a shared customer-managed policy used, the
 * planner offers a role or user whose own use is narrower its own copy of the policy, narrowed to what it
 * used — applied only on an owner's explicit Remove, and only where the gating lets that identity lose it.
 */

let aws: ActionCatalogue;
before(async () => {
  aws = await loadAwsCatalogue();
});

const ACCOUNT = '111122223333';
const AT = '2026-12-01T00:00:00.000Z';
const OLD = '2025-01-01T00:00:00.000Z';
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
const trail: Coverage = {
  systemId: 'prod',
  identityId: '*',
  source: 'cloudtrail',
  granularity: 'action-day',
  from: run.windowFrom,
  to: AT,
  actions: 'all',
};

function rules(extra: Partial<CleanupRules> = {}): CleanupRules {
  return {
    systemId: 'prod',
    cloud: 'aws',
    mode: 'enforce',
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
const POLICY = arn('policy', 'shared');

function identity(kind: 'aws-iam-role' | 'aws-iam-user' | 'aws-iam-group', name: string): Identity {
  const type = kind === 'aws-iam-role' ? 'role' : kind === 'aws-iam-user' ? 'user' : 'group';
  return {
    systemId: 'prod',
    id: arn(type, name),
    kind,
    name,
    nature: kind === 'aws-iam-group' ? 'group' : kind === 'aws-iam-user' ? 'human' : 'workload',
    tags: { owner: `${name}@example.com` },
    path: '/',
    createdAt: OLD,
  };
}
const role = (name: string): Identity => identity('aws-iam-role', name);

const used = (action: string): ActionUsage => ({
  action,
  count: 3,
  denied: 0,
  firstUsed: '2026-11-20',
  lastUsed: '2026-11-20',
});

const s3 = { Sid: 'S3', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' };
const queue = { Sid: 'Queue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };
const SHARED = { Version: '2012-10-17', Statement: [s3, queue] };

/** The shared policy's document and the views of its holders, as the store builds them. */
class Inventory {
  readonly documents = new Map<string, PolicyDocument>();
  private readonly actions = new Map<string, DocumentAction[]>();
  readonly shared: string;

  constructor(body: unknown = SHARED) {
    this.shared = this.aws(`${POLICY}:v1`, body);
  }

  aws(id: string, body: unknown): string {
    this.documents.set(id, { id, cloud: 'aws', kind: 'aws-policy', name: id, managedByCloud: false, body });
    this.actions.set(id, expandAwsPolicy(aws, id, body).actions);
    return id;
  }

  view(
    who: Identity,
    paths: (Partial<ViewPath> & Pick<ViewPath, 'kind'>)[],
    usage: ActionUsage[] = [],
    coverage: Coverage[] = [trail],
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
      coverage,
    };
  }

  /** A holder with the shared policy attached to itself. */
  holder(who: Identity, usage: ActionUsage[], coverage?: Coverage[]): IdentityView {
    return this.view(who, [{ kind: 'managed-policy', documentId: this.shared, via: POLICY }], usage, coverage);
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

const ownCopyId = (who: Identity): string => `own-copy:aws-policy-attachment:${who.id}|${POLICY}`;
const ownCopies = (plan: CleanupPlan): CleanupItem[] => plan.items.filter((i) => i.change === 'own-copy');
const copiesFor = (plan: CleanupPlan, name: string): CleanupItem[] =>
  ownCopies(plan).filter((i) => i.identities.some((who) => who.name === name));

describe('planCleanup: an own copy of a shared customer-managed policy', () => {
  test('offered to the holder whose use is strictly narrower, narrowed to what it used, explicit Remove only', () => {
    const inv = new Inventory();
    const reader = role('reader');
    const writer = role('writer');
    const plan = inv.plan([
      inv.holder(reader, [used('s3:GetObject')]),
      inv.holder(writer, [used('s3:GetObject'), used('s3:PutObject')]),
    ]);

    // what nobody used still goes from the shared policy itself
    const narrow = plan.items.find((i) => i.change === 'narrow-policy');
    assert.deepEqual(narrow?.removeActions, ['sqs:SendMessage']);
    assert.deepEqual(narrow?.keptForOthers, ['s3:PutObject']);
    // writer's unused actions are all removed from the shared policy anyway: no copy for it
    const [copy, ...others] = ownCopies(plan);
    assert.deepEqual(others, []);
    assert.deepEqual(copy, {
      itemId: ownCopyId(reader),
      systemId: 'prod',
      change: 'own-copy',
      object: { kind: 'aws-policy-attachment', key: `${reader.id}|${POLICY}`, name: 'shared on reader' },
      identities: [{ id: reader.id, name: 'reader', kind: 'aws-iam-role' }],
      removeActions: ['s3:PutObject', 'sqs:SendMessage'],
      before: SHARED,
      after: { Version: '2012-10-17', Statement: [{ ...s3, Action: ['s3:GetObject'] }] },
      reason:
        'its own copy of shared keeps 1 of its 3 actions and leaves out 2 never used in the 90-day window; ' +
        '1 of them stays in shared for its other holders',
      actions: 2,
      explicitOnly: true,
      owners: ['reader@example.com'],
    });
  });

  test('not offered when the holders used the same actions: the shared narrowing is all there is', () => {
    const inv = new Inventory();
    const plan = inv.plan([
      inv.holder(role('a'), [used('s3:GetObject')]),
      inv.holder(role('b'), [used('s3:GetObject')]),
    ]);
    assert.deepEqual(
      plan.items.map((i) => i.change),
      ['narrow-policy'],
    );
  });

  test('the item id is stable: the same snapshot read in another order offers the same copies', () => {
    const inv = new Inventory();
    const views = (): IdentityView[] => [
      inv.holder(role('a'), [used('s3:GetObject')]),
      inv.holder(role('b'), [used('s3:PutObject')]),
      inv.holder(role('c'), [used('sqs:SendMessage')]),
    ];
    const forward = inv.plan(views());
    assert.deepEqual(forward, inv.plan(views().reverse()));
    assert.deepEqual(
      ownCopies(forward).map((i) => [i.itemId, i.removeActions]),
      [
        [ownCopyId(role('a')), ['s3:PutObject', 'sqs:SendMessage']],
        [ownCopyId(role('b')), ['s3:GetObject', 'sqs:SendMessage']],
        [ownCopyId(role('c')), ['s3:GetObject', 's3:PutObject']],
      ],
    );
  });

  test("not offered to a group's members: the attachment is the group's, and a copy would not replace it", () => {
    const inv = new Inventory();
    const group = identity('aws-iam-group', 'devs');
    const member = identity('aws-iam-user', 'dev');
    const both = identity('aws-iam-user', 'lead');
    const grouped = { kind: 'managed-policy' as const, documentId: inv.shared, via: POLICY, inheritedFrom: group.id };
    const membership = { kind: 'group-membership' as const, via: group.id };
    const plan = inv.plan([
      inv.view(group, [{ kind: 'managed-policy', documentId: inv.shared, via: POLICY }]),
      inv.view(member, [membership, grouped], [used('s3:GetObject')]),
      // its own attachment too: detaching that one would leave the group's in place
      inv.view(
        both,
        [membership, grouped, { kind: 'managed-policy', documentId: inv.shared, via: POLICY }],
        [used('s3:GetObject')],
      ),
      inv.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
    ]);
    assert.deepEqual(ownCopies(plan), []);
    assert.ok(plan.items.some((i) => i.change === 'narrow-policy'));
  });

  test('not offered to an excluded identity; the others still may get theirs', () => {
    const inv = new Inventory();
    const plan = inv.plan(
      [
        inv.holder(role('reader'), [used('s3:GetObject')]),
        inv.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
      ],
      { rules: rules({ exclude: { ...rules().exclude, identities: ['reader'] } }) },
    );
    // the excluded reader holds back everything it holds: the writer's unused queue stays for it
    assert.deepEqual(
      plan.items.map((i) => i.itemId),
      [ownCopyId(role('writer'))],
    );
    assert.deepEqual(plan.holds.map((h) => [h.identityName, h.reason]).sort(), [['reader', 'excluded']]);
  });

  test('not offered on thin data: unknown is never unused', () => {
    const inv = new Inventory();
    const late: Coverage = { ...trail, identityId: arn('role', 'reader'), from: '2026-10-01T00:00:00.000Z' };
    const plan = inv.plan([
      inv.holder(role('reader'), [used('s3:GetObject')], [late]),
      inv.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
    ]);
    assert.deepEqual(copiesFor(plan, 'reader'), []);
    // the reader's unknown use keeps the queue in the shared policy: the writer may have it out of its own copy
    assert.deepEqual(
      copiesFor(plan, 'writer').map((i) => i.removeActions),
      [['sqs:SendMessage']],
    );
    assert.ok(plan.holds.some((h) => h.identityName === 'reader' && h.reason === 'not-enough-data'));
  });

  test('not offered within the grace period, nor for what the Sid marker keeps', () => {
    const inv = new Inventory();
    const reader = role('reader');
    const views = (): IdentityView[] => [
      inv.holder(reader, [used('s3:GetObject')]),
      inv.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
    ];
    const recent = inv.plan(views(), {
      grantedAt: (identityId: string, _path: GrantPath) =>
        identityId === reader.id ? '2026-11-25T00:00:00.000Z' : OLD,
    });
    assert.deepEqual(copiesFor(recent, 'reader'), []);
    assert.ok(recent.holds.some((h) => h.identityName === 'reader' && h.reason === 'grace-period'));

    // the only action the copy would take beyond the shared narrowing is in a marked statement
    const marked = new Inventory({ Version: '2012-10-17', Statement: [{ ...s3, Sid: 'KeepS3' }, queue] });
    const plan = marked.plan(
      [
        marked.holder(reader, [used('s3:GetObject')]),
        marked.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
      ],
      { rules: rules({ exclude: { ...rules().exclude, sidPrefix: 'Keep' } }) },
    );
    assert.deepEqual(ownCopies(plan), []);
  });

  test('a holder that used nothing of it has the attachment detached instead', () => {
    const inv = new Inventory();
    const idle = role('idle');
    const other = inv.aws('idle-own', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }],
    });
    const plan = inv.plan([
      inv.view(
        idle,
        [
          { kind: 'managed-policy', documentId: inv.shared, via: POLICY },
          { kind: 'inline-policy', documentId: other, via: 'idle-own' },
        ],
        [used('ec2:DescribeInstances')],
      ),
      inv.holder(role('busy'), [used('s3:GetObject'), used('s3:PutObject'), used('sqs:SendMessage')]),
    ]);
    assert.deepEqual(
      plan.items.map((i) => i.itemId),
      [`detach-policy:aws-policy-attachment:${idle.id}|${POLICY}`],
    );
  });

  test('Keep holds the offer; the rules may not allow it', () => {
    const inv = new Inventory();
    const reader = role('reader');
    const views = (): IdentityView[] => [
      inv.holder(reader, [used('s3:GetObject')]),
      inv.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
    ];
    const itemId = ownCopyId(reader);
    const kept = inv.plan(views(), {
      decisions: new Map([
        [
          itemId,
          {
            itemId,
            kind: 'keep',
            by: 'reader@example.com',
            at: '2026-11-01T00:00:00.000Z',
            until: '2027-04-30T00:00:00.000Z',
            reason: 'the shared policy is the contract',
          },
        ],
      ]),
    });
    assert.deepEqual(ownCopies(kept), []);
    assert.ok(kept.holds.some((h) => h.reason === 'kept' && h.object?.key === `${reader.id}|${POLICY}`));

    const off = inv.plan(views(), { rules: rules({ changes: { ...rules().changes, actions: false } }) });
    assert.deepEqual(off.items, []);
    assert.ok(off.holds.some((h) => h.reason === 'change-not-allowed' && /own-copy/.test(h.detail)));
  });

  test('a capped run takes on changes enforce mode may make before offers that wait for a Remove', () => {
    const inv = new Inventory();
    const plan = inv.plan([
      inv.holder(role('reader'), [used('s3:GetObject')]),
      inv.holder(role('writer'), [used('s3:GetObject'), used('s3:PutObject')]),
    ]);
    // the offer takes away more actions, but it only waits for a click
    assert.deepEqual(
      capPlan(plan, 1).items.map((i) => i.change),
      ['narrow-policy'],
    );
  });
});
