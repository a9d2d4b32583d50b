import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CleanupDecision, CleanupItem, CleanupPlan, CleanupRules } from '../../../domain/cleanup/model';
import { planCleanup } from '../../../domain/cleanup/plan';
import { cleanupRulesOf } from '../../../domain/cleanup/rules';
import { azureAccessLevels, expandAzureRole, type AzureActionCatalogue } from '../../../domain/inventory/azure-role';
import { effectiveGrants } from '../../../domain/inventory/grants';
import type {
  CollectionRun,
  Coverage,
  DocumentAction,
  Identity,
  PolicyDocument,
} from '../../../domain/inventory/model';
import type { ActionUsage, IdentityView, ViewPath } from '../../../domain/inventory/view';
import { policySchema } from '../../../domain/policy/schema';

/**
 * The planner on Azure custom roles (issue 13, item 2): a custom role is one object across every
 * principal assigned it, narrowed by its `actions` entries only where no holder needs what an entry
 * grants; reads, roles assignable beyond the system, partly used wildcards and built-in roles are held.
 * Roles are expanded as the collector expands them, against a provider-operations catalogue.
 */

const SUB_ID = '11111111-2222-3333-4444-555555555555';
const SUB = `/subscriptions/${SUB_ID}`;
const RG = `${SUB}/resourceGroups/rg-app`;
const AT = '2026-12-01T00:00:00.000Z';
const OLD = '2025-01-01T00:00:00.000Z';
/** A sign-in within the window: the principal is not inactive. */
const SIGNED_IN = '2026-11-25T09:00:00.000Z';
const run: CollectionRun = {
  runId: 'run-1',
  systemId: 'azure-prod',
  status: 'succeeded',
  startedAt: AT,
  windowFrom: '2026-08-01T00:00:00.000Z',
  windowTo: AT,
  catalogues: {},
  counts: {},
  skipped: [],
};

const OPERATIONS: [string, boolean][] = [
  ['Microsoft.Web/sites/read', false],
  ['Microsoft.Web/sites/write', false],
  ['Microsoft.Web/sites/delete', false],
  ['Microsoft.Web/sites/restart/action', false],
  ['Microsoft.Web/sites/start/action', false],
  ['Microsoft.Web/sites/stop/action', false],
  ['Microsoft.KeyVault/vaults/read', false],
  ['Microsoft.KeyVault/vaults/write', false],
  ['Microsoft.KeyVault/vaults/delete', false],
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true],
  ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write', true],
];
const CATALOGUE: AzureActionCatalogue = {
  cloud: 'azure',
  version: 'test operations',
  actions: OPERATIONS.map(([action, dataAction]) => ({
    action,
    accessLevels: azureAccessLevels(action),
    dataAction,
  })),
};

/** The Activity Log: every write, delete and action of the window, for everyone (reads are not in it). */
const activityLog: Coverage = {
  systemId: 'azure-prod',
  identityId: '*',
  source: 'activity-log',
  granularity: 'action-day',
  from: run.windowFrom,
  to: AT,
  actions: 'writes',
  exceptActions: OPERATIONS.filter(([, data]) => data).map(([action]) => action),
};

const roleId = (guid: string): string => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const APP_OPERATOR = roleId('0a0a0a0a-0000-4000-8000-000000000001');

interface Permissions {
  actions: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
}

/** Role definitions stored as the collector stores them, expanded against the catalogue. */
class Subscription {
  readonly documents = new Map<string, PolicyDocument>();
  private readonly actions = new Map<string, DocumentAction[]>();
  private assignments = 0;

  role(
    id: string,
    roleName: string,
    permissions: Permissions,
    options: { builtIn?: boolean; assignableScopes?: string[] } = {},
  ): string {
    const body = {
      id,
      roleName,
      roleType: options.builtIn ? 'BuiltInRole' : 'CustomRole',
      description: roleName,
      permissions: [{ notActions: [], dataActions: [], notDataActions: [], ...permissions }],
      assignableScopes: options.assignableScopes ?? [options.builtIn ? '/' : SUB],
    };
    const documentId = `sha256:${roleName}`;
    this.documents.set(documentId, {
      id: documentId,
      cloud: 'azure',
      kind: 'azure-role-definition',
      name: roleName,
      managedByCloud: options.builtIn === true,
      body,
    });
    this.actions.set(documentId, expandAzureRole(CATALOGUE, documentId, body).actions);
    return documentId;
  }

  /** A role assignment path of `documentId` at `scope` (a group's when `group` is given). */
  assigned(documentId: string, scope: string, group?: string): Partial<ViewPath> & Pick<ViewPath, 'kind'> {
    this.assignments += 1;
    return {
      kind: 'role-assignment',
      documentId,
      via: `${scope}/providers/Microsoft.Authorization/roleAssignments/ra-${this.assignments}`,
      scope,
      ...(group ? { inheritedFrom: group } : {}),
    };
  }

  view(
    who: Identity,
    paths: (Partial<ViewPath> & Pick<ViewPath, 'kind'>)[],
    usage: ActionUsage[] = [],
    coverage: Coverage[] = [activityLog],
  ): IdentityView {
    const full: ViewPath[] = paths.map((p) => ({
      systemId: 'azure-prod',
      identityId: p.inheritedFrom ?? who.id,
      scope: SUB,
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

  plan(
    views: IdentityView[],
    extra: { rules?: Partial<CleanupRules>; decisions?: Map<string, CleanupDecision> } = {},
  ): CleanupPlan {
    return planCleanup({
      rules: { ...rules(), ...extra.rules },
      run,
      views,
      documents: (id) => this.documents.get(id),
      ownersOf: (i) => (i.tags.owner ? [i.tags.owner] : []),
      decisions: extra.decisions ?? new Map(),
      at: AT,
    });
  }
}

/** The system's cleanup rules as the policy file makes them (its subscription is the system's scope). */
function rules(): CleanupRules {
  const policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: 'azure-prod',
        cloud: 'azure',
        tenantId: '99999999-8888-7777-6666-555555555555',
        subscriptionId: SUB_ID,
        cleanup: {},
      },
    ],
    entitlements: [
      {
        id: 'web-operator',
        title: 'Operate the web apps',
        system: 'azure-prod',
        grant: { kind: 'azure-role-assignment', roleDefinitionId: APP_OPERATOR, scope: RG },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  return cleanupRulesOf(policy.authorizationSystems[0]!);
}

function user(name: string, extra: Partial<Identity> = {}): Identity {
  return {
    systemId: 'azure-prod',
    id: `oid-${name}`,
    kind: 'azure-user',
    name: `${name}@example.com`,
    nature: 'human',
    tags: {},
    createdAt: OLD,
    ...extra,
  };
}

function group(name: string): Identity {
  return { systemId: 'azure-prod', id: `oid-${name}`, kind: 'azure-group', name, nature: 'group', tags: {} };
}

const used = (action: string, day = '2026-11-20'): ActionUsage => ({
  action,
  count: 2,
  denied: 0,
  firstUsed: day,
  lastUsed: day,
});

const roleItems = (plan: CleanupPlan): CleanupItem[] =>
  plan.items.filter((item) => item.object.kind === 'azure-role-definition');
const holdsOn = (plan: CleanupPlan, key: string) => plan.holds.filter((hold) => hold.object?.key === key);
const block = (permissions: Permissions) => ({
  actions: permissions.actions,
  notActions: permissions.notActions ?? [],
  dataActions: permissions.dataActions ?? [],
  notDataActions: permissions.notDataActions ?? [],
});

describe('planCleanup: Azure custom roles are shared objects', () => {
  test('operations unused by every holder are taken out of the role once; what any holder used stays', () => {
    const sub = new Subscription();
    const permissions: Permissions = {
      actions: [
        'Microsoft.Web/sites/read',
        'Microsoft.Web/sites/write',
        'Microsoft.Web/sites/delete',
        'Microsoft.Web/sites/restart/action',
        'Microsoft.KeyVault/vaults/write',
      ],
      notActions: ['Microsoft.KeyVault/vaults/delete'],
      dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
    };
    const operator = sub.role(APP_OPERATOR, 'App Operator', permissions);
    const ops = group('app-ops');
    const alice = user('alice', { tags: { owner: 'lead@example.com' } });
    const bob = user('bob');
    const carol = user('carol');
    const plan = sub.plan([
      sub.view(ops, []),
      // the same role at a resource group, at the subscription, and through a group
      sub.view(alice, [sub.assigned(operator, RG)], [used('Microsoft.Web/sites/restart/action')]),
      sub.view(bob, [sub.assigned(operator, SUB)], [used('Microsoft.KeyVault/vaults/write')]),
      sub.view(carol, [{ kind: 'group-membership', via: ops.id }, sub.assigned(operator, RG, ops.id)]),
    ]);

    const [item, ...more] = roleItems(plan);
    assert.equal(more.length, 0);
    assert.deepEqual(item, {
      itemId: `narrow-policy:azure-role-definition:${APP_OPERATOR}`,
      systemId: 'azure-prod',
      change: 'narrow-policy',
      object: { kind: 'azure-role-definition', key: APP_OPERATOR, name: 'App Operator' },
      identities: [
        { id: alice.id, name: alice.name, kind: 'azure-user' },
        { id: bob.id, name: bob.name, kind: 'azure-user' },
        { id: carol.id, name: carol.name, kind: 'azure-user' },
      ],
      removeActions: ['Microsoft.Web/sites/delete', 'Microsoft.Web/sites/write'],
      keptForOthers: ['Microsoft.KeyVault/vaults/write', 'Microsoft.Web/sites/restart/action'],
      before: [block(permissions)],
      after: [
        block({
          ...permissions,
          actions: [
            'Microsoft.Web/sites/read',
            'Microsoft.Web/sites/restart/action',
            'Microsoft.KeyVault/vaults/write',
          ],
        }),
      ],
      reason: '2 operations never used in the 90-day window by any of its 3 holders',
      actions: 2,
      owners: ['lead@example.com'],
    });
    assert.deepEqual(
      plan.items.map((i) => i.change),
      ['narrow-policy'],
      'no assignment is wholly unused: each holder keeps the role',
    );
    assert.ok(
      !plan.holds.some((hold) => hold.reason === 'cannot-narrow'),
      `nothing is held as cannot-narrow: ${JSON.stringify(plan.holds)}`,
    );
  });

  test('one holder that used an operation keeps it for all: nothing else is judged for it', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', { actions: ['Microsoft.Web/sites/write'] });
    const plan = sub.plan([
      sub.view(user('alice', { lastActivityAt: SIGNED_IN }), [sub.assigned(operator, SUB)], []),
      sub.view(user('bob'), [sub.assigned(operator, SUB)], [used('Microsoft.Web/sites/write')]),
    ]);
    assert.deepEqual(roleItems(plan), []);
    assert.deepEqual(
      plan.items.map((i) => i.change),
      ['delete-assignment'],
      "alice's assignment goes; the role does not change",
    );
  });

  test('reads are never removed, even where data would call them unused; they are held as not enough data', () => {
    const sub = new Subscription();
    const permissions = { actions: ['Microsoft.Web/sites/read', 'Microsoft.Web/sites/write'] };
    const operator = sub.role(APP_OPERATOR, 'App Operator', permissions);
    // no sign-in all window: the sign-in log would vouch for every operation, reads too
    const signIn: Coverage = { ...activityLog, source: 'sign-in', granularity: 'last-activity', actions: 'all' };
    delete signIn.exceptActions;
    const dave = user('dave');
    const plan = sub.plan([sub.view(dave, [sub.assigned(operator, SUB)], [], [activityLog, signIn])], {
      // the assignment stays (it may not be deleted here), and dave is planned path by path
      rules: {
        changes: { ...rules().changes, assignments: false, inactiveIdentities: false },
      },
    });

    const [item] = roleItems(plan);
    assert.deepEqual(item?.removeActions, ['Microsoft.Web/sites/write']);
    assert.deepEqual(item?.after, [block({ actions: ['Microsoft.Web/sites/read'] })]);
    assert.deepEqual(
      holdsOn(plan, APP_OPERATOR).map((hold) => [hold.reason, hold.detail, hold.actions]),
      [
        [
          'not-enough-data',
          'the Activity Log records writes, deletes and actions only: a read is never judged unused',
          1,
        ],
      ],
    );
  });

  test('a custom role assignable beyond the system is held back whole, naming where', () => {
    const sub = new Subscription();
    const beyond = [
      [SUB, '/subscriptions/99999999-0000-4000-8000-000000000000'],
      ['/providers/Microsoft.Management/managementGroups/corp'],
      ['/'],
    ];
    for (const [n, assignableScopes] of beyond.entries()) {
      const id = roleId(`0a0a0a0a-0000-4000-8000-00000000010${n}`);
      const documentId = sub.role(
        id,
        `Shared Operator ${n}`,
        { actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/restart/action'] },
        { assignableScopes },
      );
      const plan = sub.plan([
        sub.view(user('alice'), [sub.assigned(documentId, SUB)], [used('Microsoft.Web/sites/restart/action')]),
      ]);
      assert.deepEqual(roleItems(plan), [], `assignable at ${assignableScopes.join(', ')}`);
      const holds = holdsOn(plan, id);
      assert.deepEqual(
        holds.map((hold) => [hold.reason, hold.actions]),
        [['cannot-narrow', 1]],
      );
      const outside = assignableScopes.filter((scope) => scope !== SUB).join(', ');
      assert.equal(
        holds[0]!.detail,
        `the custom role is assignable beyond this system (at ${outside}), where Least sees no use: it is not narrowed`,
      );
    }
  });

  test("a role assignable only within the system's subscription (a resource group included) is narrowed", () => {
    const sub = new Subscription();
    const documentId = sub.role(
      APP_OPERATOR,
      'App Operator',
      { actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/restart/action'] },
      { assignableScopes: [RG, SUB.toUpperCase()] },
    );
    const plan = sub.plan([
      sub.view(user('alice'), [sub.assigned(documentId, RG)], [used('Microsoft.Web/sites/restart/action')]),
    ]);
    assert.deepEqual(roleItems(plan)[0]?.removeActions, ['Microsoft.Web/sites/write']);
  });

  test('without the system’s scope in the rules, no custom role is narrowed', () => {
    const sub = new Subscription();
    const documentId = sub.role(APP_OPERATOR, 'App Operator', {
      actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/restart/action'],
    });
    const { scope: _scope, ...unscoped } = rules();
    const plan = planCleanup({
      rules: unscoped,
      run,
      views: [sub.view(user('alice'), [sub.assigned(documentId, SUB)], [used('Microsoft.Web/sites/restart/action')])],
      documents: (id) => sub.documents.get(id),
      ownersOf: () => [],
      decisions: new Map(),
      at: AT,
    });
    assert.deepEqual(roleItems(plan), []);
    assert.match(holdsOn(plan, APP_OPERATOR)[0]?.detail ?? '', /scope is not known/);
  });
});

describe('planCleanup: wildcards in a custom role', () => {
  const permissions = { actions: ['Microsoft.Web/sites/*/action', 'Microsoft.KeyVault/vaults/write'] };

  test('a partly used wildcard is kept whole and held with the reason; it is not expanded', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', permissions);
    const plan = sub.plan([
      sub.view(user('alice'), [sub.assigned(operator, SUB)], [used('Microsoft.Web/sites/restart/action')]),
      sub.view(user('bob'), [sub.assigned(operator, RG)]),
    ]);

    const [item] = roleItems(plan);
    assert.deepEqual(item?.removeActions, ['Microsoft.KeyVault/vaults/write']);
    assert.deepEqual(item?.after, [block({ actions: ['Microsoft.Web/sites/*/action'] })]);
    const wildcard = holdsOn(plan, APP_OPERATOR).filter((hold) => hold.reason === 'cannot-narrow');
    assert.deepEqual(
      wildcard.map((hold) => [hold.identityName, hold.actions, hold.detail]),
      ['alice', 'bob'].map((name) => [
        `${name}@example.com`,
        2,
        'the wildcard Microsoft.Web/sites/*/action also grants 1 operation in use, with unknown use or a read: ' +
          'a wildcard goes whole or not at all, it is not expanded',
      ]),
    );
  });

  test('a wildcard nobody needs any operation of goes whole', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', permissions);
    const plan = sub.plan([
      sub.view(user('alice'), [sub.assigned(operator, SUB)], [used('Microsoft.KeyVault/vaults/write')]),
      sub.view(user('bob'), [sub.assigned(operator, RG)]),
    ]);
    const [item] = roleItems(plan);
    assert.deepEqual(item?.removeActions, [
      'Microsoft.Web/sites/restart/action',
      'Microsoft.Web/sites/start/action',
      'Microsoft.Web/sites/stop/action',
    ]);
    assert.deepEqual(item?.after, [block({ actions: ['Microsoft.KeyVault/vaults/write'] })]);
    assert.equal(item?.reason, '3 operations never used in the 90-day window by any of its 2 holders');
  });

  test("what a block's notActions take from a wildcard does not keep it: the wildcard goes when the rest is unused", () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', {
      ...permissions,
      notActions: ['Microsoft.Web/sites/restart/action'],
    });
    const restarter = sub.role(roleId('0a0a0a0a-0000-4000-8000-000000000002'), 'Restarter', {
      actions: ['Microsoft.Web/sites/restart/action'],
    });
    const plan = sub.plan([
      sub.view(
        user('alice'),
        [sub.assigned(operator, SUB), sub.assigned(restarter, SUB)],
        [used('Microsoft.KeyVault/vaults/write'), used('Microsoft.Web/sites/restart/action')],
      ),
    ]);
    const [item] = roleItems(plan).filter((i) => i.object.key === APP_OPERATOR);
    assert.deepEqual(item?.removeActions, ['Microsoft.Web/sites/start/action', 'Microsoft.Web/sites/stop/action']);
  });

  test('a wildcard that reaches a read is never removed', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', {
      actions: ['Microsoft.Web/sites/*', 'Microsoft.KeyVault/vaults/write'],
    });
    const plan = sub.plan([
      sub.view(user('alice'), [sub.assigned(operator, SUB)], [used('Microsoft.KeyVault/vaults/write')]),
    ]);
    assert.deepEqual(roleItems(plan), []);
    assert.ok(
      holdsOn(plan, APP_OPERATOR).some(
        (hold) => hold.reason === 'cannot-narrow' && hold.detail.startsWith('the wildcard Microsoft.Web/sites/*'),
      ),
    );
  });
});

describe('planCleanup: what is never edited', () => {
  test('a built-in role is never edited: partly used, its unused operations are held as managed by the cloud', () => {
    const sub = new Subscription();
    const contributor = sub.role(
      roleId('b24988ac-6180-42a0-ab88-20f7382dd24c'),
      'Website Contributor',
      { actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/restart/action'] },
      { builtIn: true },
    );
    const alice = user('alice');
    const assignment = sub.assigned(contributor, SUB);
    const plan = sub.plan([sub.view(alice, [assignment], [used('Microsoft.Web/sites/restart/action')])]);
    assert.deepEqual(plan.items, []);
    assert.deepEqual(
      plan.holds.map((hold) => [hold.object?.kind, hold.object?.key, hold.reason, hold.actions]),
      [['azure-role-assignment', assignment.via, 'managed-by-cloud', 1]],
    );
  });

  test('a custom role is not emptied: with every operation unused and its assignment kept, it is held', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', {
      actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/delete'],
    });
    // both signed in lately: not inactive, so each assignment is judged alone
    const alice = user('alice', { lastActivityAt: SIGNED_IN });
    const bob = user('bob', { lastActivityAt: SIGNED_IN });
    const assignment = sub.assigned(operator, SUB);
    const deleteId = `delete-assignment:azure-role-assignment:${assignment.via}`;
    const plan = sub.plan([sub.view(alice, [assignment]), sub.view(bob, [sub.assigned(operator, RG)])], {
      decisions: new Map([
        [deleteId, { itemId: deleteId, kind: 'keep', by: 'lead@example.com', at: AT, reason: 'on call' }],
      ]),
    });
    assert.deepEqual(roleItems(plan), []);
    assert.deepEqual(
      plan.items.map((i) => i.change),
      ['delete-assignment'],
      "bob's unused assignment goes; alice's is kept by its owner",
    );
    assert.ok(
      holdsOn(plan, APP_OPERATOR).some(
        (hold) => hold.reason === 'cannot-narrow' && /a role is not emptied/.test(hold.detail),
      ),
      JSON.stringify(plan.holds),
    );
  });

  test('an inactive principal’s assignments go with it, and its custom role is neither narrowed nor held', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', {
      actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/delete'],
    });
    const plan = sub.plan([sub.view(user('alice'), [sub.assigned(operator, SUB)])]);
    assert.deepEqual(
      plan.items.map((i) => i.itemId),
      ['remove-assignments:azure-principal:oid-alice'],
    );
    assert.deepEqual(holdsOn(plan, APP_OPERATOR), []);
  });

  test('a role every assignment of which is deleted is neither narrowed nor held', () => {
    const sub = new Subscription();
    const operator = sub.role(APP_OPERATOR, 'App Operator', {
      actions: ['Microsoft.Web/sites/write', 'Microsoft.Web/sites/delete'],
    });
    const plan = sub.plan(
      [sub.view(user('alice'), [sub.assigned(operator, SUB)]), sub.view(user('bob'), [sub.assigned(operator, RG)])],
      // planned assignment by assignment, not as inactive principals
      { rules: { changes: { ...rules().changes, inactiveIdentities: false } } },
    );
    assert.deepEqual(
      plan.items.map((i) => i.change),
      ['delete-assignment', 'delete-assignment'],
    );
    assert.deepEqual(holdsOn(plan, APP_OPERATOR), []);
  });
});
