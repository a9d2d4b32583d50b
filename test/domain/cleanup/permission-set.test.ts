import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAwsCatalogue } from '../../../activities/inventory/catalogue/aws';
import type { CleanupItem, CleanupPlan, CleanupRules } from '../../../domain/cleanup/model';
import { planCleanup, type CleanupPlanInput } from '../../../domain/cleanup/plan';
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
 * Issue 13, shared objects: an Identity Center permission set's inline policy is planned once across
 * every user holding the set through any assignment in the system (their own, a group's, or both); only
 * what none of them used goes, and only when the set is provisioned to this system's account alone.
 */

let aws: ActionCatalogue;
before(async () => {
  aws = await loadAwsCatalogue();
});

const ACCOUNT = '111122223333';
const ELSEWHERE = '444455556666';
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

const PS = 'arn:aws:sso:::permissionSet/ssoins-1/ps-readonlyplus';
const GROUP = 'arn:aws:identitystore:::group/g-oncall';
const user = (name: string): Identity => ({
  systemId: 'prod',
  id: `arn:aws:identitystore:::user/u-${name}`,
  kind: 'aws-sso-user',
  name,
  nature: 'human',
  tags: { owner: `${name}@example.com` },
  createdAt: OLD,
});
const [ada, bob, cleo] = [user('ada'), user('bob'), user('cleo')];
const group: Identity = {
  systemId: 'prod',
  id: GROUP,
  kind: 'aws-sso-group',
  name: 'oncall',
  nature: 'group',
  tags: {},
};
const permissionSet = (accounts: string[] | undefined): Identity => ({
  systemId: 'prod',
  id: PS,
  kind: 'aws-permission-set',
  name: 'ReadOnlyPlus',
  nature: 'group',
  tags: {},
  createdAt: OLD,
  ...(accounts ? { provisionedAccounts: accounts } : {}),
});

const read = { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: '*' };
const write = { Sid: 'Write', Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: '*' };
const queue = { Sid: 'Queue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' };

const used = (action: string, day = '2026-11-20'): ActionUsage => ({
  action,
  count: 3,
  denied: 0,
  firstUsed: day,
  lastUsed: day,
});

type PathInput = Partial<ViewPath> & Pick<ViewPath, 'kind'>;

/** A permission set's documents, and its holders' views as the store gives them. */
class Sets {
  readonly documents = new Map<string, PolicyDocument>();
  private readonly actions = new Map<string, DocumentAction[]>();
  /** The set's own paths (its documents), as every holder's view ends. */
  readonly setPaths: PathInput[] = [];

  constructor(statements: unknown[], managedArn?: string) {
    this.setPaths.push({ kind: 'inline-policy', documentId: this.document('inline', statements), via: 'inline' });
    if (managedArn)
      this.setPaths.push({
        kind: 'managed-policy',
        documentId: this.document(managedArn, [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }]),
        via: managedArn,
      });
  }

  private document(name: string, statements: unknown[]): string {
    const id = `sha256:${name}`;
    const body = { Version: '2012-10-17', Statement: statements };
    const managedByCloud = name.includes(':iam::aws:');
    this.documents.set(id, { id, cloud: 'aws', kind: 'aws-policy', name, managedByCloud, body });
    this.actions.set(id, expandAwsPolicy(aws, id, body).actions);
    return id;
  }

  /** A holder through its own assignment, its group's, or both. */
  holder(who: Identity, through: { own?: boolean; group?: boolean }, usage: ActionUsage[] = []): IdentityView {
    const paths: PathInput[] = [];
    if (through.own) paths.push({ kind: 'permission-set', via: PS });
    if (through.group) {
      paths.push({ kind: 'group-membership', via: GROUP, scope: '*' });
      paths.push({ kind: 'permission-set', via: PS, inheritedFrom: GROUP });
    }
    paths.push(...this.setPaths.map((p) => ({ ...p, inheritedFrom: PS })));
    return this.view(who, paths, usage);
  }

  /** The set, provisioned to these accounts (`unknown`: the inventory did not read them). */
  set(accounts: string[] | 'unknown' = [ACCOUNT]): IdentityView {
    return this.view(permissionSet(accounts === 'unknown' ? undefined : accounts), this.setPaths);
  }

  group(): IdentityView {
    return this.view(group, [{ kind: 'permission-set', via: PS }]);
  }

  private view(who: Identity, paths: PathInput[], usage: ActionUsage[] = []): IdentityView {
    const full: ViewPath[] = paths.map((p) => ({
      systemId: 'prod',
      identityId: p.inheritedFrom ?? who.id,
      scope: ACCOUNT,
      conditional: false,
      ...p,
    }));
    return {
      run,
      identity: who,
      paths: full,
      granted: effectiveGrants(full, (id) => this.actions.get(id)),
      usage,
      coverage: [trail],
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

const itemIds = (plan: CleanupPlan): string[] => plan.items.map((i) => i.itemId);
const narrowOf = (plan: CleanupPlan): CleanupItem | undefined =>
  plan.items.find((i) => i.itemId === `narrow-policy:aws-permission-set-policy:${PS}`);
const assignment = (principal: string): string => `delete-assignment:aws-sso-assignment:${principal}|${PS}|${ACCOUNT}`;

describe("planCleanup: a permission set's inline policy is shared by every holder", () => {
  test('only what no holder used goes, across its own and its group assignments', () => {
    const sets = new Sets([read, write, queue]);
    const plan = sets.plan([
      sets.set(),
      sets.group(),
      sets.holder(ada, { own: true }, [used('s3:GetObject')]),
      sets.holder(bob, { group: true }, [used('sqs:SendMessage')]),
      sets.holder(cleo, { group: true }),
    ]);

    const item = narrowOf(plan);
    assert.ok(item, JSON.stringify(itemIds(plan)));
    assert.deepEqual(itemIds(plan), [item.itemId], 'each assignment is used by someone: none goes');
    assert.deepEqual(item.object, { kind: 'aws-permission-set-policy', key: PS, name: 'permission set ReadOnlyPlus' });
    assert.deepEqual(item.removeActions, ['s3:DeleteObject', 's3:ListBucket', 's3:PutObject']);
    assert.deepEqual(item.keptForOthers, ['s3:GetObject', 'sqs:SendMessage']);
    assert.deepEqual(
      item.identities.map((i) => i.name),
      ['ada', 'bob', 'cleo'],
    );
    assert.deepEqual(item.owners, ['ada@example.com', 'bob@example.com', 'cleo@example.com']);
    assert.deepEqual(item.before, { Version: '2012-10-17', Statement: [read, write, queue] });
    assert.deepEqual(item.after, {
      Version: '2012-10-17',
      Statement: [{ ...read, Action: ['s3:GetObject'] }, queue],
    });
    assert.equal(item.reason, '3 actions never used in the 90-day window by any of its 3 holders');
    assert.deepEqual(plan.holds, []);
  });

  test('a holder whose use is unknown, or who was given the set within the grace period, keeps its actions', () => {
    const sets = new Sets([read, write]);
    const views = (cleoCovered: boolean) => {
      const last = sets.holder(cleo, { own: true, group: true });
      if (!cleoCovered) last.coverage = [];
      return [sets.set(), sets.group(), sets.holder(ada, { own: true }, [used('s3:GetObject')]), last];
    };
    // with cleo's use known, what neither used goes
    assert.deepEqual(narrowOf(sets.plan(views(true)))?.removeActions, [
      's3:DeleteObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const unknown = sets.plan(views(false));
    assert.equal(narrowOf(unknown), undefined, JSON.stringify(itemIds(unknown)));
    assert.ok(unknown.holds.some((h) => h.identityId === cleo.id && h.reason === 'not-enough-data'));

    // cleo has held the set herself for long, and her group was given it yesterday: what she has not used
    // yet stays for her (a new grant of it, by any assignment, starts the grace period again)
    const since =
      (day: string) =>
      (identityId: string, path: GrantPath): string =>
        identityId === GROUP && path.kind === 'permission-set' ? day : OLD;
    const old = sets.plan(views(true), { grantedAt: since(OLD) });
    assert.deepEqual(narrowOf(old)?.removeActions, ['s3:DeleteObject', 's3:ListBucket', 's3:PutObject']);
    const graced = sets.plan(views(true), { grantedAt: since('2026-11-30T00:00:00.000Z') });
    assert.equal(narrowOf(graced), undefined, JSON.stringify(itemIds(graced)));
    assert.ok(graced.holds.some((h) => h.identityId === cleo.id && h.reason === 'grace-period'));
  });

  test('statements carrying the Sid marker stay as written', () => {
    const sets = new Sets([read, { ...write, Sid: 'LeastKeepWrites' }]);
    const plan = sets.plan([sets.set(), sets.holder(ada, { own: true }, [used('s3:GetObject')])], {
      rules: rules({ exclude: { ...rules().exclude, sidPrefix: 'LeastKeep' } }),
    });
    assert.deepEqual(narrowOf(plan)?.removeActions, ['s3:ListBucket']);
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.object?.key, h.actions]),
      [['excluded', PS, 2]],
    );
  });

  test('a set provisioned to another account is held: its use there is not seen', () => {
    const sets = new Sets([read, write]);
    const plan = sets.plan([
      sets.set([ACCOUNT, ELSEWHERE]),
      sets.holder(ada, { own: true }, [used('s3:GetObject')]),
      sets.holder(bob, { own: true }, [used('s3:GetObject')]),
    ]);
    assert.deepEqual(itemIds(plan), []);
    assert.deepEqual(
      plan.holds.map((h) => [h.identityName, h.reason, h.object?.kind, h.actions]),
      [
        ['ada', 'cannot-narrow', 'aws-permission-set-policy', 3],
        ['bob', 'cannot-narrow', 'aws-permission-set-policy', 3],
      ],
    );
    assert.match(
      plan.holds[0]!.detail,
      new RegExp(`also provisioned to 1 other account \\(${ELSEWHERE}\\), whose use Least does not see`),
    );

    // not known where it is provisioned (a snapshot from before the collector read it): held the same
    const unknown = sets.plan([sets.set('unknown'), sets.holder(ada, { own: true }, [used('s3:GetObject')])]);
    assert.deepEqual(itemIds(unknown), []);
    assert.match(unknown.holds[0]!.detail, /may be in use in accounts Least does not see/);
  });

  test('what its AWS-managed policy brings is held on the assignment; its inline policy is narrowed', () => {
    const sets = new Sets([read, write], 'arn:aws:iam::aws:policy/AmazonEC2ReadOnly');
    const plan = sets.plan([sets.set(), sets.holder(ada, { own: true }, [used('s3:GetObject')])]);
    assert.deepEqual(narrowOf(plan)?.removeActions, ['s3:DeleteObject', 's3:ListBucket', 's3:PutObject']);
    assert.deepEqual(
      plan.holds.map((h) => [h.reason, h.object?.kind, h.actions]),
      [['cannot-narrow', 'aws-sso-assignment', 1]],
    );
    assert.match(plan.holds[0]!.detail, /AWS-managed or customer-managed policies, which are not narrowed/);
  });

  test("an inline policy left with nothing is deleted beside other policies, never when it is the set's only one", () => {
    const beside = new Sets([write], 'arn:aws:iam::aws:policy/AmazonEC2ReadOnly');
    const deleted = beside.plan([beside.set(), beside.holder(ada, { own: true }, [used('ec2:DescribeInstances')])]);
    assert.equal(narrowOf(deleted)?.after, null);
    assert.match(
      narrowOf(deleted)?.reason ?? '',
      /the permission set's inline policy is deleted \(its other policies stay\)$/,
    );

    // alone, and its assignment kept by an owner: emptying the set would undo the Keep
    const alone = new Sets([write]);
    const kept = alone.plan([alone.set(), alone.holder(ada, { own: true })], {
      decisions: new Map([
        [
          assignment(ada.id),
          {
            itemId: assignment(ada.id),
            kind: 'keep',
            by: 'ada@example.com',
            at: OLD,
            until: '2027-06-01T00:00:00.000Z',
          },
        ],
      ]),
    });
    assert.deepEqual(itemIds(kept), []);
    assert.deepEqual(
      kept.holds.map((h) => [h.reason, h.object?.kind]),
      [
        ['kept', 'aws-sso-assignment'],
        ['cannot-narrow', 'aws-permission-set-policy'],
      ],
    );
    assert.match(kept.holds[1]!.detail, /it is the permission set's only policy/);
  });
});

describe('planCleanup: a user holding a permission set directly and through a group', () => {
  test('its own unused assignment is planned too, beside the group one', () => {
    const sets = new Sets([read, write]);
    const plan = sets.plan([
      sets.set([ELSEWHERE]),
      sets.group(),
      sets.holder(ada, { own: true, group: true }),
      sets.holder(bob, { group: true }, [used('s3:GetObject')]),
    ]);
    // bob uses the group's assignment, so it stays; ada's own one goes (she keeps the set through the group)
    assert.deepEqual(itemIds(plan), [assignment(ada.id)]);
    const own = plan.items[0]!;
    assert.deepEqual(own.identities, [{ id: ada.id, name: 'ada', kind: 'aws-sso-user' }]);
    assert.equal(own.object.name, `ReadOnlyPlus on ${ACCOUNT} for ada`);
  });

  test('both assignments go when nobody uses them, and the set is then not narrowed as well', () => {
    const sets = new Sets([read, write]);
    const plan = sets.plan([
      sets.set(),
      sets.group(),
      sets.holder(ada, { own: true, group: true }),
      sets.holder(bob, { group: true }),
    ]);
    assert.deepEqual(itemIds(plan), [assignment(GROUP), assignment(ada.id)].sort());
    const groupItem = plan.items.find((i) => i.itemId === assignment(GROUP))!;
    assert.deepEqual(
      groupItem.identities.map((i) => i.name),
      ['ada', 'bob'],
    );
    assert.deepEqual(plan.holds, []);
  });
});
