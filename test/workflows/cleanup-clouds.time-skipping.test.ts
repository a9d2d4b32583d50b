import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureCleanup, type AzureCleanup, type PrincipalSnapshot } from '../../activities/cleanup/azure';
import type { RoleAssignmentSnapshot } from '../../activities/cleanup/azure';
import type { RoleDefinitionSnapshot } from '../../activities/cleanup/azure-role';
import { createGcpCleanup, type BindingMemberSnapshot, type GcpCleanup } from '../../activities/cleanup/gcp';
import { contentId, gcpRoleBody } from '../../activities/inventory/documents';
import { azureAccessLevels, expandAzureRole, type AzureActionCatalogue } from '../../domain/inventory/azure-role';
import { expandGcpRole } from '../../domain/inventory/gcp-role';
import type { Coverage, GrantPath, Identity, UsageDay } from '../../domain/inventory/model';
import type { AuthorizationSystem, PolicyInput } from '../../domain/policy/schema';
import type { CleanupItemBrief, CleanupRunState } from '../../domain/cleanup/run';
import { cleanupRestore } from '../../workflows/cleanup';
import { startCleanupRun, waitForCleanupPhase, writeSnapshotPair } from '../support/checks/cleanup-run';
import type { SnapshotDocument, SnapshotInput } from '../support/checks/findings-snapshot';
import {
  ADA,
  FAKE_SUBSCRIPTION_ID,
  FAKE_TENANT_ID,
  FakeArm,
  GRACE,
  PAYMENTS_SCOPE,
  READER_ROLE,
  seedSubscription,
  staticCredential,
} from '../support/fakes/fake-arm';
import { AZURE_SYSTEM, GCP_PROJECT, GCP_RESOURCE, GCP_SYSTEM } from '../support/fakes/cloud-fakes';
import { FakeGcpInventory } from '../support/fakes/fake-gcp-inventory';
import { type FakeBinding, FakeResourceManager } from '../support/fakes/fake-resource-manager';
import { ADMIN, LEAD, startStack, type Stack } from '../support/stacks/stack';

/**
 * The 90-day cleanup of Azure role assignments and GCP binding members on the time-skipping server,
 * through the real SDK clients against the local ARM, Resource Manager and IAM fakes. The inventory is
 * written as the Azure and GCP collectors write it (an older snapshot first, so nothing is in its grace
 * period and GCP identities, which carry no creation time, are known older than the window). In report
 * mode an unanswered run changes nothing in either cloud; in enforce mode the notice period passes and
 * an unused role assignment is deleted, an inactive principal loses its assignments, an unused member
 * leaves its binding by etag read-modify-write (another writer's change survives) and an inactive
 * service account is disabled, each verified in the fakes; Restore then puts back what the snapshots hold.
 * A custom role shared by two principals loses the operation neither used (the role put again in ARM,
 * then restored), and one edited in the portal after the inventory is re-planned, not overwritten.
 */

const DAY = 86_400_000;
const NOW = Date.now();
const iso = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();
const day = (daysAgo: number): string => iso(daysAgo).slice(0, 10);

const AZURE_REPORT = 'azure-prod-report';
/** The same subscription, where two custom roles are shared (enforce mode). */
const AZURE_ROLES = 'azure-prod-roles';
const GCP_REPORT = 'gcp-prod-report';
const SUBSCRIPTION = `/subscriptions/${FAKE_SUBSCRIPTION_ID}`;
const DEPLOYER_ROLE = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const ROTATOR_ROLE = '7a2d3b4c-5e6f-4a70-9b8c-0d1e2f3a4b5c';
const OPERATOR_ROLE = '8b3e4c5d-6f70-4b81-8c9d-1e2f3a4b5c6d';
const RESTARTER_ROLE = '9c4f5d6e-7081-4c92-9dae-2f3a4b5c6d7e';
const KEN = { upn: 'ken@example.com', objectId: 'a0a0a0a0-1111-4111-8111-000000000003' };
/** App Operator as made in the portal: Ada restarts the sites, Ken deploys them, nobody deletes key vaults. */
const OPERATOR_PERMISSIONS = [
  {
    actions: [
      'Microsoft.Web/sites/read',
      'Microsoft.Web/sites/write',
      'Microsoft.Web/sites/restart/action',
      'Microsoft.KeyVault/vaults/delete',
    ],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
];
const RESTARTER_PERMISSIONS = [
  {
    actions: ['Microsoft.Web/sites/restart/action', 'Microsoft.Web/sites/delete'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  },
];
const roleDefinitionId = (guid: string): string =>
  `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const assignmentId = (scope: string, name: string): string =>
  `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;

const GCP_ADA = 'user:ada@example.com';
const GCP_GRACE = 'user:grace@example.com';
const BATCH_EMAIL = `batch@${GCP_PROJECT}.iam.gserviceaccount.com`;
const GCP_BATCH = `serviceAccount:${BATCH_EMAIL}`;
const LOGS_ROLE = 'roles/logging.viewer';
const OBJECTS_ROLE = 'roles/storage.objectViewer';
const BIGQUERY_ROLE = 'roles/bigquery.dataViewer';
const GCP_BINDINGS: FakeBinding[] = [
  { role: LOGS_ROLE, members: [GCP_ADA] },
  { role: OBJECTS_ROLE, members: [GCP_ADA, GCP_GRACE] },
  { role: BIGQUERY_ROLE, members: [GCP_BATCH] },
];
/** What an insight covers: the 90 days before its last refresh, yesterday morning. */
const INSIGHT_REFRESHED = new Date(NOW - DAY).toISOString();
const INSIGHT_FROM = new Date(NOW - 91 * DAY).toISOString();

let arm: FakeArm;
let resourceManager: FakeResourceManager;
let iamFake: FakeGcpInventory;
let azureCleanup: AzureCleanup;
let gcpCleanup: GcpCleanup;
let stack: Stack;
let stopWorker: () => Promise<void>;
/** Role assignment ids, as ARM names them. */
const assigned = { deployer: '', rotator: '', graceReader: '', adaOperator: '', kenOperator: '', adaRestarter: '' };

before(async () => {
  arm = await FakeArm.start();
  resourceManager = await FakeResourceManager.start();
  iamFake = await FakeGcpInventory.start(resourceManager);
  seedClouds();
  azureCleanup = createAzureCleanup({
    credential: staticCredential(),
    retry: { maxRetries: 1, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    consistency: { delaysMs: [5, 5, 5] },
  });
  gcpCleanup = createGcpCleanup({
    authClient: resourceManager.authClient(),
    endpoints: { iam: `${iamFake.url}/` },
    retry: { retryDelayMs: 5, maxRetryDelayMs: 50 },
  });
  stack = await startStack('time-skipping', {
    policy: addCloudSystems,
    cleanupExecutors: () => ({ azure: azureCleanup, gcp: gcpCleanup }),
  });
  for (const systemId of [AZURE_SYSTEM, AZURE_REPORT]) await writeSnapshots(azureInventory(systemId));
  await writeSnapshots(azureRolesInventory(AZURE_ROLES));
  for (const systemId of [GCP_SYSTEM, GCP_REPORT]) await writeSnapshots(gcpInventory(systemId));
  ({ stop: stopWorker } = await stack.startWorker());
});

after(async () => {
  await stopWorker?.();
  await stack?.close();
  azureCleanup?.close();
  await gcpCleanup?.close();
  await iamFake?.stop();
  await resourceManager?.stop();
  await arm?.stop();
});

/** Ada deploys with one custom role and never used the other; Grace has not signed in for 200 days. */
function seedClouds(): void {
  seedSubscription(arm);
  arm.knownRoleDefinitions.set(DEPLOYER_ROLE, 'Payments Deployer');
  arm.knownRoleDefinitions.set(ROTATOR_ROLE, 'Payments Key Rotator');
  const deployer = arm.addRoleAssignment({
    scope: PAYMENTS_SCOPE,
    roleDefinitionId: roleDefinitionId(DEPLOYER_ROLE),
    principalId: ADA.objectId,
  });
  const rotator = arm.addRoleAssignment({
    scope: PAYMENTS_SCOPE,
    roleDefinitionId: roleDefinitionId(ROTATOR_ROLE),
    principalId: ADA.objectId,
    description: 'Quarterly key rotation',
  });
  const reader = arm.addRoleAssignment({
    scope: SUBSCRIPTION,
    roleDefinitionId: roleDefinitionId(READER_ROLE),
    principalId: GRACE.objectId,
    description: 'Auditor access',
  });
  arm.addPrincipal(KEN.objectId);
  for (const [name, roleName, permissions] of [
    [OPERATOR_ROLE, 'App Operator', OPERATOR_PERMISSIONS],
    [RESTARTER_ROLE, 'Web Restarter', RESTARTER_PERMISSIONS],
  ] as const)
    arm.addCustomRole({
      name,
      roleName,
      description: `${roleName} for the payments apps`,
      permissions: structuredClone(permissions),
      assignableScopes: [SUBSCRIPTION],
    });
  const adaOperator = arm.addRoleAssignment({
    scope: PAYMENTS_SCOPE,
    roleDefinitionId: roleDefinitionId(OPERATOR_ROLE),
    principalId: ADA.objectId,
  });
  const kenOperator = arm.addRoleAssignment({
    scope: SUBSCRIPTION,
    roleDefinitionId: roleDefinitionId(OPERATOR_ROLE),
    principalId: KEN.objectId,
  });
  const adaRestarter = arm.addRoleAssignment({
    scope: PAYMENTS_SCOPE,
    roleDefinitionId: roleDefinitionId(RESTARTER_ROLE),
    principalId: ADA.objectId,
  });
  assigned.adaOperator = assignmentId(adaOperator.scope, adaOperator.name);
  assigned.kenOperator = assignmentId(kenOperator.scope, kenOperator.name);
  assigned.adaRestarter = assignmentId(adaRestarter.scope, adaRestarter.name);
  assigned.deployer = assignmentId(deployer.scope, deployer.name);
  assigned.rotator = assignmentId(rotator.scope, rotator.name);
  assigned.graceReader = assignmentId(reader.scope, reader.name);

  resourceManager.knownProjects.add(GCP_PROJECT);
  resourceManager.setPolicy(GCP_RESOURCE, { version: 3, bindings: GCP_BINDINGS });
  iamFake.serviceAccounts.set(GCP_PROJECT, [{ email: BATCH_EMAIL, uniqueId: '104242', keys: [] }]);
}

function addCloudSystems(input: PolicyInput): void {
  const cleanupOf = (mode: 'report' | 'enforce', channel: string) => ({
    mode,
    notice: '7d',
    owners: { channel: { platform: 'log' as const, channel } },
  });
  const azure = (id: string, mode: 'report' | 'enforce') => ({
    id,
    cloud: 'azure' as const,
    title: `Azure payments (${mode})`,
    tenantId: FAKE_TENANT_ID,
    subscriptionId: arm.subscriptionId,
    endpoint: arm.url,
    graphEndpoint: arm.url,
    owners: { users: [LEAD] },
    cleanup: cleanupOf(mode, `cleanup-${id}`),
  });
  const gcp = (id: string, mode: 'report' | 'enforce') => ({
    id,
    cloud: 'gcp' as const,
    title: `GCP payments (${mode})`,
    projectId: GCP_PROJECT,
    endpoint: resourceManager.url,
    owners: { users: [LEAD] },
    cleanup: cleanupOf(mode, `cleanup-${id}`),
  });
  // the same subscription and project watched twice: once by a report-mode system, once by an enforcing one
  input.authorizationSystems.push(
    azure(AZURE_SYSTEM, 'enforce'),
    azure(AZURE_REPORT, 'report'),
    azure(AZURE_ROLES, 'enforce'),
    gcp(GCP_SYSTEM, 'enforce'),
    gcp(GCP_REPORT, 'report'),
  );
}

/** The current snapshot, and an older one with the same grants (seen 100 days ago: past the grace period and the window). */
async function writeSnapshots(current: SnapshotInput): Promise<void> {
  await writeSnapshotPair(stack.store, current, {
    runId: `${current.runId}-old`,
    window: { from: iso(190), to: iso(100) },
    usage: [],
    coverage: [],
  });
}

/* ---------- Azure, as activities/inventory/azure writes it ---------- */

/** The operations the roles below reach, as ARM's provider-operations list names them. */
const AZURE_CATALOGUE: AzureActionCatalogue = {
  cloud: 'azure',
  version: 'test operations',
  actions: [
    'Microsoft.KeyVault/vaults/delete',
    'Microsoft.KeyVault/vaults/read',
    'Microsoft.KeyVault/vaults/write',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.Web/sites/delete',
    'Microsoft.Web/sites/read',
    'Microsoft.Web/sites/restart/action',
    'Microsoft.Web/sites/write',
  ].map((action) => ({ action, accessLevels: azureAccessLevels(action), dataAction: false })),
};

/** A role definition stored as the role-assignments step stores it: the definition's body, content-addressed. */
function azureRole(
  guid: string,
  roleName: string,
  actions: string[],
  builtIn = false,
  description = roleName,
): SnapshotDocument {
  const body = {
    id: roleDefinitionId(guid),
    roleName,
    roleType: builtIn ? 'BuiltInRole' : 'CustomRole',
    description,
    permissions: [{ actions, notActions: [], dataActions: [], notDataActions: [] }],
    assignableScopes: [builtIn ? '/' : SUBSCRIPTION],
  };
  const id = contentId(body);
  return {
    document: { id, cloud: 'azure', kind: 'azure-role-definition', name: roleName, managedByCloud: builtIn, body },
    actions: expandAzureRole(AZURE_CATALOGUE, id, body).actions,
  };
}

function azureInventory(systemId: string): SnapshotInput {
  const user = (who: { upn: string; objectId: string }, lastSignIn: string): Identity => ({
    systemId,
    id: who.objectId.toLowerCase(),
    kind: 'azure-user',
    name: who.upn,
    nature: 'human',
    tags: { userType: 'Member' },
    createdAt: iso(400),
    lastActivityAt: lastSignIn,
  });
  const ada = user(ADA, iso(1));
  const grace = user(GRACE, iso(200));
  const roles = {
    // writes only: the Activity Log vouches for them
    deployer: azureRole(DEPLOYER_ROLE, 'Payments Deployer', [
      'Microsoft.Web/sites/write',
      'Microsoft.Web/sites/restart/action',
    ]),
    rotator: azureRole(ROTATOR_ROLE, 'Payments Key Rotator', [
      'Microsoft.KeyVault/vaults/write',
      'Microsoft.KeyVault/vaults/delete',
    ]),
    // reads only: unknown for an active user; for one who has not signed in all window, the sign-in log vouches
    reader: azureRole(READER_ROLE, 'Reader', ['*/read'], true),
  };
  const path = (who: Identity, role: SnapshotDocument, id: string): GrantPath => ({
    systemId,
    identityId: who.id,
    kind: 'role-assignment',
    documentId: role.document.id,
    via: id,
    scope: id.slice(0, id.indexOf('/providers/Microsoft.Authorization/')),
    conditional: false,
  });
  const signIn = (who: Identity): Coverage => ({
    systemId,
    identityId: who.id,
    source: 'sign-in',
    granularity: 'last-activity',
    from: iso(90),
    to: iso(0),
    actions: 'all',
  });
  // Ada deploys with both operations of her deployer role: it has nothing to lose
  const used = (action: string): UsageDay => ({
    systemId,
    identityId: ada.id,
    action,
    day: day(5),
    count: 4,
    denied: 0,
  });
  return {
    runId: `inventory-${systemId}`,
    systemId,
    window: { from: iso(90), to: iso(0) },
    identities: [ada, grace],
    documents: Object.values(roles),
    paths: [
      path(ada, roles.deployer, assigned.deployer),
      path(ada, roles.rotator, assigned.rotator),
      path(grace, roles.reader, assigned.graceReader),
    ],
    usage: [used('Microsoft.Web/sites/restart/action'), used('Microsoft.Web/sites/write')],
    coverage: [
      {
        systemId,
        identityId: '*',
        source: 'activity-log',
        granularity: 'action-day',
        from: iso(90),
        to: iso(0),
        actions: 'writes',
        exceptActions: [],
      },
      signIn(ada),
      signIn(grace),
    ],
  };
}

/** Two custom roles shared in the subscription: App Operator (Ada and Ken) and Web Restarter (Ada). */
function azureRolesInventory(systemId: string): SnapshotInput {
  const user = (who: { upn: string; objectId: string }): Identity => ({
    systemId,
    id: who.objectId.toLowerCase(),
    kind: 'azure-user',
    name: who.upn,
    nature: 'human',
    tags: { userType: 'Member' },
    createdAt: iso(400),
    lastActivityAt: iso(1),
  });
  const ada = user(ADA);
  const ken = user(KEN);
  const operator = azureRole(
    OPERATOR_ROLE,
    'App Operator',
    OPERATOR_PERMISSIONS[0]!.actions,
    false,
    'App Operator for the payments apps',
  );
  const restarter = azureRole(
    RESTARTER_ROLE,
    'Web Restarter',
    RESTARTER_PERMISSIONS[0]!.actions,
    false,
    'Web Restarter for the payments apps',
  );
  const path = (who: Identity, role: SnapshotDocument, id: string): GrantPath => ({
    systemId,
    identityId: who.id,
    kind: 'role-assignment',
    documentId: role.document.id,
    via: id,
    scope: id.slice(0, id.indexOf('/providers/Microsoft.Authorization/')),
    conditional: false,
  });
  const used = (who: Identity, action: string): UsageDay => ({
    systemId,
    identityId: who.id,
    action,
    day: day(3),
    count: 2,
    denied: 0,
  });
  return {
    runId: `inventory-${systemId}`,
    systemId,
    window: { from: iso(90), to: iso(0) },
    identities: [ada, ken],
    documents: [operator, restarter],
    paths: [
      path(ada, operator, assigned.adaOperator),
      path(ken, operator, assigned.kenOperator),
      path(ada, restarter, assigned.adaRestarter),
    ],
    usage: [used(ada, 'Microsoft.Web/sites/restart/action'), used(ken, 'Microsoft.Web/sites/write')],
    coverage: [
      {
        systemId,
        identityId: '*',
        source: 'activity-log',
        granularity: 'action-day',
        from: iso(90),
        to: iso(0),
        actions: 'writes',
        exceptActions: [],
      },
    ],
  };
}

/* ---------- GCP, as activities/inventory/gcp writes it ---------- */

const GCP_ROLES: Record<string, string[]> = {
  [LOGS_ROLE]: ['logging.logEntries.list', 'logging.logs.list'],
  [OBJECTS_ROLE]: ['storage.objects.get', 'storage.objects.list'],
  [BIGQUERY_ROLE]: ['bigquery.tables.getData', 'bigquery.tables.list'],
};

function gcpRole(roleName: string): SnapshotDocument {
  const body = gcpRoleBody(roleName, {
    name: roleName,
    title: roleName,
    includedPermissions: GCP_ROLES[roleName]!,
    stage: 'GA',
  });
  const id = contentId(body);
  return {
    document: { id, cloud: 'gcp', kind: 'gcp-role', name: roleName, managedByCloud: true, body },
    actions: expandGcpRole(id, body).actions,
  };
}

function gcpInventory(systemId: string): SnapshotInput {
  const member = (id: string, extra: Partial<Identity> = {}): Identity => ({
    systemId,
    id,
    kind: id.startsWith('serviceAccount:') ? 'gcp-service-account' : 'gcp-user',
    name: id.slice(id.indexOf(':') + 1),
    nature: id.startsWith('serviceAccount:') ? 'workload' : 'human',
    tags: {},
    ...extra,
  });
  // no creation times: IAM policies and the service account list carry none
  const identities = [
    member(GCP_ADA),
    member(GCP_GRACE),
    member(GCP_BATCH, { tags: { uniqueId: '104242' }, path: GCP_RESOURCE }),
  ];
  const roles = Object.fromEntries(Object.keys(GCP_ROLES).map((role) => [role, gcpRole(role)]));
  const paths: GrantPath[] = GCP_BINDINGS.flatMap((binding) =>
    binding.members.map((identityId) => ({
      systemId,
      identityId,
      kind: 'binding' as const,
      documentId: roles[binding.role]!.document.id,
      scope: GCP_RESOURCE,
      conditional: false,
    })),
  );
  // one insight per binding: the permissions exercised over the 90 days before its refresh, as one total
  const exercised: Record<string, string[]> = {
    [`${GCP_ADA}|${LOGS_ROLE}`]: ['logging.logEntries.list'],
    [`${GCP_ADA}|${OBJECTS_ROLE}`]: [],
    [`${GCP_GRACE}|${OBJECTS_ROLE}`]: ['storage.objects.get'],
    [`${GCP_BATCH}|${BIGQUERY_ROLE}`]: [],
  };
  const usage: UsageDay[] = [];
  const coverage: Coverage[] = [];
  for (const [key, permissions] of Object.entries(exercised)) {
    const [identityId, role] = key.split('|') as [string, string];
    for (const action of permissions)
      usage.push({ systemId, identityId, action, day: INSIGHT_REFRESHED.slice(0, 10), count: 1, denied: 0 });
    coverage.push({
      systemId,
      identityId,
      source: 'recommender',
      granularity: 'window-total',
      from: INSIGHT_FROM,
      to: INSIGHT_REFRESHED,
      actions: 'all',
      documentId: roles[role]!.document.id,
    });
  }
  return {
    runId: `inventory-${systemId}`,
    systemId,
    window: { from: iso(90), to: iso(0) },
    identities,
    documents: Object.values(roles),
    paths,
    usage,
    coverage,
  };
}

/* ---------- running and looking ---------- */

const startRun = (systemId: string): Promise<string> => startCleanupRun(stack, { systemId, requestedBy: ADMIN });

/** The notice period passes (time skips) and the run reports. */
async function finished(runId: string): Promise<CleanupRunState> {
  return (await stack.env.client.workflow.getHandle(runId).result()) as CleanupRunState;
}

function itemOf(state: CleanupRunState, change: CleanupItemBrief['change'], key: string): CleanupItemBrief {
  const found = state.items.find((i) => i.change === change && i.object.key === key);
  assert.ok(found, `no ${change} of ${key} in ${JSON.stringify(state.items.map((i) => i.itemId))}`);
  return found;
}

const systemOf = (id: string): AuthorizationSystem => stack.policy.authorizationSystems.find((s) => s.id === id)!;

/** Every role assignment of the subscription, by value, in a stable order. */
function azureAssignments() {
  return [SUBSCRIPTION, PAYMENTS_SCOPE]
    .flatMap((scope) => arm.roleAssignmentsAt(scope))
    .map(({ name, scope, roleDefinitionId: role, principalId, description, condition }) => ({
      name,
      scope,
      role,
      principalId,
      description,
      condition,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The project's bindings by value: members sorted, bindings in a stable order. */
function gcpBindings(): FakeBinding[] {
  return resourceManager
    .policyOf(GCP_RESOURCE)
    .bindings.map((binding) => ({ ...binding, members: [...binding.members].sort() }))
    .sort((a, b) => a.role.localeCompare(b.role));
}

const batchDisabled = (): boolean =>
  iamFake.serviceAccounts.get(GCP_PROJECT)!.find((a) => a.email === BATCH_EMAIL)!.disabled === true;

async function auditActions(runId: string, action: string) {
  return (await stack.store.auditFor(undefined, 500)).filter(
    (row) => row.action === action && (row.detail as { runId?: string }).runId === runId,
  );
}

/* ---------- the tests ---------- */

describe('cleanup of Azure role assignments and GCP binding members', () => {
  it('in report mode, nobody answering: announced, reported, and nothing changes in either cloud', async () => {
    const azureBefore = azureAssignments();
    const gcpBefore = gcpBindings();
    const azureRun = await startRun(AZURE_REPORT);
    const gcpRun = await startRun(GCP_REPORT);
    const azurePlanned = await waitForCleanupPhase(stack, azureRun, 'noticing');
    const gcpPlanned = await waitForCleanupPhase(stack, gcpRun, 'noticing');
    assert.equal(azurePlanned.mode, 'report');
    itemOf(azurePlanned, 'delete-assignment', assigned.rotator);
    itemOf(azurePlanned, 'remove-assignments', GRACE.objectId);
    itemOf(gcpPlanned, 'remove-member', `${GCP_RESOURCE}|${OBJECTS_ROLE}|${GCP_ADA}|`);
    itemOf(gcpPlanned, 'disable-service-account', GCP_BATCH);
    assert.ok(
      stack.cleanupMessages.some((m) => m.runId === azureRun && m.to === LEAD && m.kind === 'cleanup.announce'),
      "the system's owner is told",
    );

    const [azureFinal, gcpFinal] = [await finished(azureRun), await finished(gcpRun)];
    for (const item of [...azureFinal.items, ...gcpFinal.items])
      assert.equal(item.outcome, 'reported', `${item.itemId}: ${item.outcomeDetail ?? ''}`);
    assert.deepEqual(azureAssignments(), azureBefore);
    assert.deepEqual(gcpBindings(), gcpBefore);
    assert.equal(batchDisabled(), false);
    assert.deepEqual(arm.callsTo('DELETE', /roleAssignments/i), [], 'no DELETE reached ARM');
    assert.deepEqual(arm.callsTo('PUT', /roleDefinitions/i), [], 'no role definition was written');
    assert.deepEqual(resourceManager.writes(), [], 'no setIamPolicy reached Resource Manager');
    assert.deepEqual(iamFake.callsTo(':disable'), []);
    assert.deepEqual(
      [...(await auditActions(azureRun, 'cleanup.applied')), ...(await auditActions(gcpRun, 'cleanup.applied'))],
      [],
    );
  });

  it('Azure: after the notice period the unused assignment and the inactive principal’s go; Restore brings them back as they were', async () => {
    const before = azureAssignments();
    const runId = await startRun(AZURE_SYSTEM);
    const planned = await waitForCleanupPhase(stack, runId, 'noticing');
    const rotator = itemOf(planned, 'delete-assignment', assigned.rotator);
    const grace = itemOf(planned, 'remove-assignments', GRACE.objectId);
    assert.ok(
      !planned.items.some((i) => i.object.key === assigned.deployer),
      'the assignment Ada deploys with is not planned',
    );
    assert.equal(planned.items.length, 2, JSON.stringify(planned.items.map((i) => i.itemId)));
    assert.deepEqual(azureAssignments(), before, 'nothing changes during the notice period');

    const final = await finished(runId);
    const outcome = (id: string) => final.items.find((i) => i.itemId === id);
    assert.equal(outcome(rotator.itemId)?.outcome, 'removed', outcome(rotator.itemId)?.outcomeDetail);
    assert.equal(outcome(grace.itemId)?.outcome, 'removed', outcome(grace.itemId)?.outcomeDetail);
    const rolesCase = [assigned.adaOperator, assigned.kenOperator, assigned.adaRestarter];
    assert.deepEqual(
      azureAssignments()
        .map((a) => assignmentId(a.scope, a.name))
        .filter((id) => !rolesCase.includes(id)),
      [assigned.deployer],
      'only the used assignment is left in ARM (besides the custom roles case’s)',
    );
    assert.equal((await auditActions(runId, 'cleanup.applied')).length, 2);

    const restored = await stack.env.client.workflow.execute(cleanupRestore, {
      workflowId: `cleanup-restore-${runId}`,
      taskQueue: stack.taskQueue,
      args: [{ runId, by: LEAD, reason: 'test restore' }],
    });
    assert.deepEqual(
      restored.items.map((i) => i.status),
      ['restored', 'restored'],
      JSON.stringify(restored.items),
    );
    assert.deepEqual(azureAssignments(), before, 'the same assignments under the same names');
    const rotatorSnapshot = (await stack.store.cleanup.snapshotOf(runId, rotator.itemId))!
      .snapshot as RoleAssignmentSnapshot;
    assert.ok(rotatorSnapshot.exists);
    assert.equal(rotatorSnapshot.assignment.description, 'Quarterly key rotation');
    assert.deepEqual(
      await azureCleanup.snapshot(
        systemOf(AZURE_SYSTEM),
        (await stack.store.cleanup.items(runId, { itemIds: [rotator.itemId] }))[0]!,
      ),
      rotatorSnapshot,
      'ARM holds exactly what the snapshot holds',
    );
    const graceSnapshot = (await stack.store.cleanup.snapshotOf(runId, grace.itemId))!.snapshot as PrincipalSnapshot;
    assert.deepEqual(
      graceSnapshot.assignments.map((a) => a.id),
      [assigned.graceReader],
    );
    assert.equal((await auditActions(runId, 'cleanup.restored')).length, 2);
  });

  it('Azure: a shared custom role loses the operation no holder used; one edited since the inventory is re-planned; Restore puts the role back', async () => {
    const operatorBefore = arm.customRole(OPERATOR_ROLE)!;
    // someone adds an operation to Web Restarter in the portal after the inventory was collected
    arm.editCustomRole(RESTARTER_ROLE, (role) => role.permissions[0]!.actions.push('Microsoft.Web/sites/stop/action'));
    const restarterEdited = arm.customRole(RESTARTER_ROLE)!;
    const runId = await startRun(AZURE_ROLES);
    const planned = await waitForCleanupPhase(stack, runId, 'noticing');
    const operator = itemOf(planned, 'narrow-policy', roleDefinitionId(OPERATOR_ROLE));
    const restarter = itemOf(planned, 'narrow-policy', roleDefinitionId(RESTARTER_ROLE));
    assert.equal(planned.items.length, 2, JSON.stringify(planned.items.map((i) => i.itemId)));
    assert.deepEqual(operator.identities.sort(), [ADA.upn, KEN.upn]);
    const [stored] = await stack.store.cleanup.items(runId, { itemIds: [operator.itemId] });
    assert.deepEqual(stored!.removeActions, ['Microsoft.KeyVault/vaults/delete']);
    assert.equal(restarter.outcome, 'replanned', 'its snapshot already differs from the plan');

    const final = await finished(runId);
    const outcome = (id: string) => final.items.find((i) => i.itemId === id);
    assert.equal(outcome(operator.itemId)?.outcome, 'removed', outcome(operator.itemId)?.outcomeDetail);
    assert.equal(outcome(restarter.itemId)?.outcome, 'replanned', outcome(restarter.itemId)?.outcomeDetail);
    assert.deepEqual(arm.customRole(OPERATOR_ROLE)!.permissions, [
      {
        ...OPERATOR_PERMISSIONS[0]!,
        actions: ['Microsoft.Web/sites/read', 'Microsoft.Web/sites/write', 'Microsoft.Web/sites/restart/action'],
      },
    ]);
    const { updatedOn: _operatorWritten, ...operatorKept } = arm.customRole(OPERATOR_ROLE)!;
    const { updatedOn: _operatorMade, ...operatorWas } = operatorBefore;
    assert.deepEqual(
      { ...operatorKept, permissions: [] },
      { ...operatorWas, permissions: [] },
      'nothing but the permissions changed',
    );
    assert.deepEqual(arm.customRole(RESTARTER_ROLE), restarterEdited, 'the edited role is not overwritten');
    assert.equal(arm.callsTo('PUT', /roleDefinitions/i).length, 1, 'one role definition written, once');
    assert.equal((await auditActions(runId, 'cleanup.applied')).length, 1);

    const restored = await stack.env.client.workflow.execute(cleanupRestore, {
      workflowId: `cleanup-restore-${runId}`,
      taskQueue: stack.taskQueue,
      args: [{ runId, by: LEAD, reason: 'test restore' }],
    });
    assert.deepEqual(
      restored.items.map((i) => [i.itemId, i.status]).sort(),
      [
        [operator.itemId, 'restored'],
        [restarter.itemId, 'not-removed'],
      ].sort(),
      JSON.stringify(restored.items),
    );
    const { updatedOn: _restoredAt, ...operatorRestored } = arm.customRole(OPERATOR_ROLE)!;
    assert.deepEqual(operatorRestored, operatorWas, 'App Operator is as it was');
    const snapshot = (await stack.store.cleanup.snapshotOf(runId, operator.itemId))!.snapshot as RoleDefinitionSnapshot;
    assert.deepEqual(
      await azureCleanup.snapshot(systemOf(AZURE_ROLES), stored!),
      snapshot,
      'ARM holds exactly what the snapshot holds',
    );
    assert.equal((await auditActions(runId, 'cleanup.restored')).length, 1);
  });

  it('GCP: the unused member leaves its binding by etag read-modify-write and the inactive account is disabled; Restore undoes both', async () => {
    const runId = await startRun(GCP_SYSTEM);
    const planned = await waitForCleanupPhase(stack, runId, 'noticing');
    const member = itemOf(planned, 'remove-member', `${GCP_RESOURCE}|${OBJECTS_ROLE}|${GCP_ADA}|`);
    const batch = itemOf(planned, 'disable-service-account', GCP_BATCH);
    assert.equal(planned.items.length, 2, JSON.stringify(planned.items.map((i) => i.itemId)));
    // another writer changes the policy between Least's read and its write: the stale etag is refused
    resourceManager.onNextRead((fake) => {
      fake.editPolicy(GCP_RESOURCE, (bindings) => [
        ...bindings,
        { role: 'roles/iam.securityReviewer', members: [GCP_GRACE] },
      ]);
    });

    const final = await finished(runId);
    const outcome = (id: string) => final.items.find((i) => i.itemId === id);
    assert.equal(outcome(member.itemId)?.outcome, 'removed', outcome(member.itemId)?.outcomeDetail);
    assert.equal(outcome(batch.itemId)?.outcome, 'removed', outcome(batch.itemId)?.outcomeDetail);
    const expectedAfter: FakeBinding[] = [
      { role: BIGQUERY_ROLE, members: [GCP_BATCH] },
      { role: 'roles/iam.securityReviewer', members: [GCP_GRACE] },
      { role: LOGS_ROLE, members: [GCP_ADA] },
      { role: OBJECTS_ROLE, members: [GCP_GRACE] },
    ];
    assert.deepEqual(gcpBindings(), expectedAfter, "Ada is out; Grace stays; the other writer's binding survived");
    const sets = resourceManager.calls.filter((call) => call.method === 'setIamPolicy').map((call) => call.status);
    assert.deepEqual(sets, [409, 200], 'the stale write was refused, then written over a fresh read');
    assert.equal(batchDisabled(), true);
    assert.equal((await auditActions(runId, 'cleanup.applied')).length, 2);

    const restored = await stack.env.client.workflow.execute(cleanupRestore, {
      workflowId: `cleanup-restore-${runId}`,
      taskQueue: stack.taskQueue,
      args: [{ runId, by: LEAD, reason: 'test restore' }],
    });
    assert.deepEqual(
      restored.items.map((i) => i.status),
      ['restored', 'restored'],
      JSON.stringify(restored.items),
    );
    assert.deepEqual(gcpBindings(), [
      { role: BIGQUERY_ROLE, members: [GCP_BATCH] },
      { role: 'roles/iam.securityReviewer', members: [GCP_GRACE] },
      { role: LOGS_ROLE, members: [GCP_ADA] },
      { role: OBJECTS_ROLE, members: [GCP_ADA, GCP_GRACE] },
    ]);
    assert.equal(batchDisabled(), false, 'the service account is enabled again');
    const snapshot = (await stack.store.cleanup.snapshotOf(runId, member.itemId))!.snapshot as BindingMemberSnapshot;
    const [stored] = await stack.store.cleanup.items(runId, { itemIds: [member.itemId] });
    const live = (await gcpCleanup.snapshot(systemOf(GCP_SYSTEM), stored!)) as BindingMemberSnapshot;
    assert.deepEqual({ ...live, etag: '' }, { ...snapshot, etag: '' }, 'the binding holds Ada as the snapshot does');
    assert.equal((await auditActions(runId, 'cleanup.restored')).length, 2);
  });
});
