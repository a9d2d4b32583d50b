import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureCollector, type AzureCollector } from '../../../activities/inventory/azure';
import { policySchema, type AuthorizationSystem, type Policy } from '../../../domain/policy/schema';
import { staticCredential } from '../../support/fakes/fake-arm';
import {
  AZ,
  FakeAzureInventory,
  INVENTORY_TENANT,
  READER_ROLE,
  seedAzureInventory,
  VM_READER_ROLE,
} from '../../support/fakes/fake-azure-inventory';
import { RecordingSink } from '../../support/checks/inventory-sink';
import { collectAll, collectContext } from '../../support/checks/collector-run';

let fake: FakeAzureInventory;
let policy: Policy;
let system: AuthorizationSystem;
let collector: AzureCollector;
let sink: RecordingSink;

before(async () => {
  fake = await FakeAzureInventory.start();
});
after(async () => {
  await fake.stop();
});

/** A fresh tenant per test: each test may bend the fake (faults, forbidden sign-in). */
beforeEach(async () => {
  await fake.stop().catch(() => {});
  fake = await FakeAzureInventory.start();
  seedAzureInventory(fake);
  policy = policySchema.parse({
    version: 1,
    authorizationSystems: [
      {
        id: 'azure-inv',
        cloud: 'azure',
        tenantId: INVENTORY_TENANT,
        subscriptionId: fake.subscriptionId,
        endpoint: fake.url,
        graphEndpoint: fake.url,
        inventory: {},
      },
    ],
    entitlements: [
      {
        id: 'rg-reader',
        title: 'Read rg-app',
        system: 'azure-inv',
        grant: {
          kind: 'azure-role-assignment',
          roleDefinitionId: READER_ROLE,
          scope: `/subscriptions/${fake.subscriptionId}/resourceGroups/rg-app`,
        },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  system = policy.authorizationSystems[0]!;
  collector = createAzureCollector({
    credential: staticCredential(),
    retry: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    graphPageSize: 2,
  });
  sink = new RecordingSink();
});

const actionsOf = (name: string): string[] => sink.documentNamed(name)?.actions.map((a) => a.action) ?? [];

describe('Azure role assignments', () => {
  test('lists assignments at every scope, page after page, and links each principal to its role', async () => {
    const { pages, counts } = await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
    assert.equal(pages['role-assignments'], 4, 'eight assignments, two a page');
    assert.equal(counts.roleAssignments, 8);
    const scopes = new Set(sink.pathRows.map((path) => path.scope));
    assert.ok(scopes.has(`/subscriptions/${fake.subscriptionId}`));
    assert.ok(
      scopes.has('/providers/Microsoft.Management/managementGroups/mg-root'),
      'inherited from a management group',
    );
    assert.ok(
      [...scopes].some((scope) => scope.endsWith('/virtualMachines/vm1')),
      'a resource scope',
    );
    const ada = sink.pathRows.find((path) => path.identityId === AZ.ada)!;
    assert.equal(ada.kind, 'role-assignment');
    assert.equal(sink.documentRows.find((row) => row.document.id === ada.documentId)?.document.name, 'Owner');
    assert.equal(
      sink.pathRows.find((path) => path.identityId === AZ.grace && path.conditional)?.kind,
      'role-assignment',
    );
    // the provider-operations list was paged to the end, with resource types expanded
    const operations = fake.callsTo('/providers/Microsoft.Authorization/providerOperations');
    assert.equal(operations.length, 3);
    assert.equal(operations[0]!.query.$expand, 'resourceTypes');
  });

  test('Owner is every control-plane operation; Contributor is that minus Microsoft.Authorization writes', async () => {
    await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
    const owner = actionsOf('Owner');
    assert.ok(owner.includes('Microsoft.Authorization/roleAssignments/write'));
    assert.ok(
      !owner.includes('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'),
      '`*` is not a data action',
    );
    const contributor = actionsOf('Contributor');
    assert.ok(contributor.includes('Microsoft.Compute/virtualMachines/write'));
    assert.ok(contributor.includes('Microsoft.Authorization/roleAssignments/read'));
    for (const gone of [
      'Microsoft.Authorization/roleAssignments/write',
      'Microsoft.Authorization/roleDefinitions/delete',
      'Microsoft.Authorization/elevateAccess/action',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Subscription/cancel/action',
    ]) {
      assert.ok(!contributor.includes(gone), gone);
    }
    assert.equal(
      owner.length - contributor.length,
      8,
      'five Authorization writes and deletes, elevateAccess, share, cancel',
    );
    const levels = new Map(sink.documentNamed('Owner')!.actions.map((a) => [a.action, a.accessLevels]));
    assert.deepEqual(levels.get('Microsoft.Authorization/roleAssignments/write'), ['Permissions management']);
    assert.deepEqual(levels.get('Microsoft.Compute/virtualMachines/read'), ['Read']);
    assert.deepEqual(levels.get('Microsoft.Storage/storageAccounts/listKeys/action'), ['Write']);
    assert.deepEqual(levels.get('Microsoft.Resources/tags/write'), ['Tagging']);
    assert.deepEqual(actionsOf('Storage Blob Data Reader'), [
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/read',
      'Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action',
    ]);
    assert.deepEqual(actionsOf('VM Reader (custom)'), [
      'Microsoft.Compute/galleries/read',
      'Microsoft.Compute/virtualMachines/read',
    ]);
    assert.ok(sink.documentNamed('Owner')!.document.managedByCloud);
    assert.ok(!sink.documentNamed('VM Reader (custom)')!.document.managedByCloud);
  });

  test('a role definition is stored with its id, type and assignable scopes: what cleanup narrows a custom role by', async () => {
    await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
    const sub = `/subscriptions/${fake.subscriptionId}`;
    const custom = sink.documentNamed('VM Reader (custom)')!.document.body as Record<string, unknown>;
    assert.deepEqual(
      { id: custom.id, roleType: custom.roleType, assignableScopes: custom.assignableScopes },
      {
        id: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${VM_READER_ROLE}`,
        roleType: 'CustomRole',
        assignableScopes: [sub, `${sub}/resourceGroups/rg-app`],
      },
    );
    const owner = sink.documentNamed('Owner')!.document.body as Record<string, unknown>;
    assert.deepEqual([owner.roleType, owner.assignableScopes], ['BuiltInRole', ['/']]);
  });

  test('each role definition is read once per collection, and its document id is its content', async () => {
    await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
    const readerReads = fake.callsTo('/roleDefinitions/acdd72a7');
    assert.equal(readerReads.length, 1, 'Reader is used twice, read once');
    assert.equal(new Set(sink.documentRows.map((row) => row.document.id)).size, sink.documentRows.length);
    assert.ok(sink.documentRows.every((row) => /^sha256:[0-9a-f]{64}$/.test(row.document.id)));
  });

  test('a malformed definition and a deleted one are counted and skipped, and the run goes on', async () => {
    const { counts } = await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
    const reasons = sink.skippedRows.map((item) => item.reason);
    assert.ok(reasons.includes('azure.role-definition.invalid'), JSON.stringify(sink.skippedRows));
    assert.ok(reasons.includes('azure.role-definition.missing'));
    assert.equal(actionsOf('Broken (custom)').length, 0);
    assert.ok(!sink.pathRows.some((path) => path.identityId === AZ.linus), 'no path to a deleted definition');
    assert.ok((counts.skipped ?? 0) >= 2);
  });

  test('a 5xx on a page is retried by the SDK and the page then succeeds', async () => {
    fake.failNext('/roleAssignments', 503);
    const { counts } = await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
    assert.equal(counts.roleAssignments, 8);
    assert.ok(fake.callsTo('/roleAssignments').some((call) => call.status === 503));
  });
});

describe('Azure principals', () => {
  test('users, groups and service principals, every Graph page, with sign-in and transitive groups', async () => {
    const { pages } = await collectAll(collector, system, collectContext(sink, policy), ['principals']);
    assert.ok((pages.principals ?? 0) >= 5, 'three users, three groups, two principals at two a page');
    const byId = new Map(sink.identityRows.map((identity) => [identity.id, identity]));
    assert.equal(byId.get(AZ.ada)?.kind, 'azure-user');
    assert.equal(byId.get(AZ.platform)?.kind, 'azure-group');
    assert.equal(byId.get(AZ.vmIdentity)?.kind, 'azure-managed-identity');
    assert.equal(byId.get(AZ.ciApp)?.kind, 'azure-service-principal');
    assert.equal(byId.get(AZ.linus)?.disabled, true);
    // the later of interactive and non-interactive sign-in
    const ada = fake.users.find((user) => user.id === AZ.ada)!;
    assert.equal(byId.get(AZ.ada)?.lastActivityAt, new Date(ada.lastNonInteractiveSignInDateTime!).toISOString());
    assert.equal(byId.get(AZ.grace)?.lastActivityAt, undefined);
    const signIn = sink.coverageRows.filter((row) => row.source === 'sign-in');
    assert.equal(signIn.length, 3);
    assert.ok(signIn.every((row) => row.granularity === 'last-activity'));
    // linus is in platform-oncall, which is in platform: both are his groups
    const linusGroups = sink.pathRows.filter((p) => p.identityId === AZ.linus && p.kind === 'group-membership');
    assert.deepEqual(linusGroups.map((p) => p.via).sort(), [AZ.platform, AZ.oncall].sort());
    assert.ok(sink.pathRows.some((p) => p.identityId === AZ.ciApp && p.via === AZ.platform));
  });

  test('without the licence for signInActivity the users are still listed, with no sign-in coverage', async () => {
    fake.signInActivityForbidden = true;
    await collectAll(collector, system, collectContext(sink, policy), ['principals']);
    assert.equal(sink.identityRows.filter((identity) => identity.kind === 'azure-user').length, 3);
    assert.equal(sink.coverageRows.filter((row) => row.source === 'sign-in').length, 0);
    assert.deepEqual(
      sink.skippedRows.map((item) => item.reason),
      ['azure.sign-in.unavailable'],
    );
  });
});

describe('Azure Activity Log', () => {
  test('writes per caller, action and day, through a 429, with coverage that says writes only', async () => {
    fake.failNext('/eventtypes/management/values', 429, { 'retry-after': '0' });
    const { pages, counts } = await collectAll(collector, system, collectContext(sink, policy), ['usage:activity-log']);
    assert.equal(pages['usage:activity-log'], 3, 'seven events, three a page');
    assert.equal(counts.events, 7);
    const calls = fake.callsTo('/eventtypes/management/values');
    assert.equal(calls[0]!.status, 429);
    assert.match(calls[1]!.query.$filter ?? '', /eventTimestamp ge '[^']+' and eventTimestamp le '[^']+'/);

    const write = sink.usageRows.filter(
      (row) => row.identityId === AZ.ada && row.action === 'Microsoft.Compute/virtualMachines/write',
    );
    assert.equal(
      write.reduce((sum, row) => sum + row.count, 0),
      2,
      'Started is not a use; two Succeeded are',
    );
    const denied = sink.usageRows.find((row) => row.action === 'Microsoft.Authorization/roleAssignments/write');
    assert.deepEqual([denied?.count, denied?.denied], [0, 1]);
    assert.ok(sink.usageRows.some((row) => row.identityId === AZ.ciApp));
    assert.equal(counts.eventsUnattributed, 1);
    assert.deepEqual(
      sink.skippedRows.map((item) => item.reason),
      ['azure.activity.invalid'],
    );

    const [coverage] = sink.coverageRows;
    assert.equal(sink.coverageRows.length, 1);
    assert.equal(coverage!.source, 'activity-log');
    assert.equal(coverage!.actions, 'writes');
    assert.equal(coverage!.identityId, '*');
    assert.ok(
      coverage!.exceptActions?.includes('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'),
    );
    assert.ok(sink.detailRows.some((detail) => detail.addresses.includes('203.0.113.7')));
  });

  test('a window longer than the log keeps is cut to 90 days, which ARM accepts', async () => {
    const now = new Date();
    const context = collectContext(sink, policy, now);
    context.window = { from: new Date(now.getTime() - 400 * 86_400_000).toISOString(), to: now.toISOString() };
    await collectAll(collector, system, context, ['usage:activity-log']);
    assert.ok(Date.parse(sink.coverageRows[0]!.from) >= now.getTime() - 90 * 86_400_000);
    assert.ok(fake.callsTo('/eventtypes').every((call) => call.status === 200));
  });
});

test('the collector names its steps and its catalogue source', async () => {
  assert.deepEqual(collector.steps(system), ['role-assignments', 'principals', 'usage:activity-log']);
});

test("a run's catalogue version names the api-version sent, the operations read and their hash", async () => {
  const version = await collector.catalogueVersion(system, 'run-1');
  const operations = fake.providers.flatMap((provider) => [
    ...provider.operations,
    ...provider.resourceTypes.flatMap((resourceType) => resourceType.operations),
  ]);
  assert.match(
    version,
    new RegExp(`^providerOperationsMetadata 2022-04-01: ${operations.length} operations, sha256:[0-9a-f]{16}$`),
  );
  const sent = fake.callsTo('providerOperations').map((call) => call.query['api-version']);
  assert.ok(sent.length > 1 && sent.every((apiVersion) => apiVersion === '2022-04-01'), sent.join(', '));
  // the run keeps its catalogue: its pages and its version read the list once
  await collectAll(collector, system, collectContext(sink, policy), ['role-assignments']);
  assert.equal(fake.callsTo('providerOperations').length, sent.length);
  assert.equal(await collector.catalogueVersion(system, 'run-2'), version, 'the same list, the same version');
  fake.providers[0]!.operations.push({ name: 'Microsoft.Authorization/policies/audit/action', isDataAction: false });
  const changed = await collector.catalogueVersion(system, 'run-3');
  assert.match(changed, new RegExp(`: ${operations.length + 1} operations, `));
  assert.notEqual(changed.split('sha256:')[1], version.split('sha256:')[1]);
});
