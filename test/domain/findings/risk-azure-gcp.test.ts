import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeldAction, RiskMode, RiskRuleOptions } from '../../../domain/findings/model';
import { actionCategories, assessRisk } from '../../../domain/findings/risk';
import { AZURE_ESCALATION_TECHNIQUES } from '../../../domain/findings/risk/azure';
import { GCP_ESCALATION_TECHNIQUES } from '../../../domain/findings/risk/gcp';
import { type AzureActionCatalogue, azureAccessLevels, expandAzureRole } from '../../../domain/inventory/azure-role';
import { expandGcpRole, gcpAccessLevels } from '../../../domain/inventory/gcp-role';
import type { ActionCatalogue } from '../../../domain/inventory/model';

const AZURE_OPERATIONS = [
  ...AZURE_ESCALATION_TECHNIQUES.flatMap((t) => t.actions),
  'Microsoft.Authorization/roleAssignments/read',
  'Microsoft.Authorization/roleAssignments/delete',
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Compute/virtualMachines/delete',
  'Microsoft.KeyVault/vaults/accessPolicies/write',
  'Microsoft.KeyVault/vaults/read',
  'Microsoft.Storage/storageAccounts/read',
  'Microsoft.Storage/storageAccounts/listKeys/action',
  'Microsoft.Storage/storageAccounts/listAccountSas/action',
  'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
  'Microsoft.Web/sites/config/list/action',
  'Microsoft.Web/sites/read',
];
const AZURE_DATA_OPERATIONS = [
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
  'Microsoft.KeyVault/vaults/secrets/getSecret/action',
];

const azureCatalogue: AzureActionCatalogue = {
  cloud: 'azure',
  version: 'test',
  actions: [
    ...[...new Set(AZURE_OPERATIONS)].map((action) => ({
      action,
      accessLevels: azureAccessLevels(action),
      dataAction: false,
    })),
    ...AZURE_DATA_OPERATIONS.map((action) => ({ action, accessLevels: azureAccessLevels(action), dataAction: true })),
  ],
};

function azure(mode: RiskMode = 'least'): RiskRuleOptions {
  return { cloud: 'azure', catalogue: azureCatalogue, mode };
}

function azureHeld(action: string, fields: Partial<HeldAction> = {}): HeldAction {
  return { action, accessLevels: azureAccessLevels(action), resourceReach: 'all', conditional: false, ...fields };
}

function fromAzureRole(definition: unknown): HeldAction[] {
  return expandAzureRole(azureCatalogue, 'sha256:role', definition).actions.map((row) => ({
    action: row.action,
    accessLevels: row.accessLevels,
    resourceReach: row.resourceReach,
    conditional: row.conditional,
  }));
}

describe('Azure risk rules', () => {
  test('every technique is found from its own operations, and not with one missing', () => {
    for (const technique of AZURE_ESCALATION_TECHNIQUES) {
      const all = technique.actions.map((action) => azureHeld(action.toLowerCase()));
      const found = assessRisk(all, azure()).escalations.map((path) => path.technique);
      assert.ok(found.includes(technique.technique), technique.technique);
      for (const left of technique.actions) {
        const fewer = all.filter((entry) => entry.action !== left.toLowerCase());
        const still = assessRisk(fewer, azure()).escalations.map((path) => path.technique);
        assert.ok(!still.includes(technique.technique), `${technique.technique} without ${left}`);
      }
    }
  });

  test('User Access Administrator: role assignments escalate and expose; reads do not', () => {
    const held = fromAzureRole({
      permissions: [
        { actions: ['*/read', 'Microsoft.Authorization/*'], notActions: [], dataActions: [], notDataActions: [] },
      ],
    });
    const profile = assessRisk(held, azure('cloudsplaining'));
    assert.deepEqual(
      profile.escalations.map((path) => path.technique),
      [
        'CreateRoleAssignment',
        'UpdateRoleDefinition',
        'ElevateAccessToRootScope',
        'RequestRoleAssignmentSchedule',
        'RequestRoleEligibilitySchedule',
      ],
    );
    assert.deepEqual(profile.categories.ResourceExposure, [
      'Microsoft.Authorization/roleAssignmentScheduleRequests/write',
      'Microsoft.Authorization/roleAssignments/delete',
      'Microsoft.Authorization/roleAssignments/write',
      'Microsoft.Authorization/roleDefinitions/write',
      'Microsoft.Authorization/roleEligibilityScheduleRequests/write',
    ]);
    // `Microsoft.Authorization/*` is every operation of the provider
    assert.deepEqual(profile.categories.ServiceWildcard, ['Microsoft.Authorization']);
    assert.ok(!profile.categories.InfrastructureModification!.includes('Microsoft.Authorization/roleAssignments/read'));
  });

  test('credentials, exfiltration and exposure by operation', () => {
    const profile = assessRisk(
      [
        azureHeld('Microsoft.Storage/storageAccounts/listKeys/action'),
        azureHeld('Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'),
        azureHeld('Microsoft.Web/sites/config/list/action'),
        azureHeld('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'),
        azureHeld('Microsoft.KeyVault/vaults/secrets/getSecret/action'),
        azureHeld('Microsoft.KeyVault/vaults/accessPolicies/write'),
        azureHeld('Microsoft.Storage/storageAccounts/read'),
      ],
      azure(),
    );
    assert.deepEqual(profile.categories.CredentialsExposure, [
      'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action',
      'Microsoft.Storage/storageAccounts/listKeys/action',
      'Microsoft.Web/sites/config/list/action',
    ]);
    assert.deepEqual(profile.categories.DataExfiltration, [
      'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    ]);
    assert.deepEqual(profile.categories.ResourceExposure, ['Microsoft.KeyVault/vaults/accessPolicies/write']);
    assert.ok(!profile.categories.InfrastructureModification!.includes('Microsoft.Storage/storageAccounts/read'));
  });

  test('ServiceWildcard names a provider of which every operation is held', () => {
    const keyVault = azureCatalogue.actions.filter((entry) => entry.action.startsWith('Microsoft.KeyVault/'));
    const held = keyVault.map((entry) => azureHeld(entry.action));
    assert.deepEqual(assessRisk(held, azure()).categories.ServiceWildcard, ['Microsoft.KeyVault']);
    assert.equal(assessRisk(held.slice(1), azure()).categories.ServiceWildcard, undefined);
  });
});

const GCP_PERMISSIONS = [
  ...GCP_ESCALATION_TECHNIQUES.flatMap((t) => t.actions),
  'storage.buckets.setIamPolicy',
  'storage.buckets.get',
  'storage.objects.get',
  'storage.objects.list',
  'secretmanager.versions.access',
  'container.clusters.getCredentials',
  'compute.instances.list',
];

const gcpCatalogue: ActionCatalogue = {
  cloud: 'gcp',
  version: 'test',
  actions: [...new Set(GCP_PERMISSIONS)].map((action) => ({ action, accessLevels: gcpAccessLevels(action) })),
};

function gcp(mode: RiskMode = 'least'): RiskRuleOptions {
  return { cloud: 'gcp', catalogue: gcpCatalogue, mode };
}

function gcpHeld(action: string, fields: Partial<HeldAction> = {}): HeldAction {
  return { action, accessLevels: gcpAccessLevels(action), resourceReach: 'all', conditional: false, ...fields };
}

describe('GCP risk rules', () => {
  test('every technique is found from its own permissions, and not with one missing', () => {
    for (const technique of GCP_ESCALATION_TECHNIQUES) {
      const all = technique.actions.map((action) => gcpHeld(action));
      const found = assessRisk(all, gcp()).escalations.map((path) => path.technique);
      assert.ok(found.includes(technique.technique), technique.technique);
      for (const left of technique.actions) {
        const still = assessRisk(
          all.filter((entry) => entry.action !== left),
          gcp(),
        ).escalations.map((path) => path.technique);
        assert.ok(!still.includes(technique.technique), `${technique.technique} without ${left}`);
      }
    }
  });

  test('a service-account user role with compute admin rights: actAs with a new instance', () => {
    const { actions } = expandGcpRole('sha256:role', {
      name: 'projects/p/roles/deployer',
      includedPermissions: [
        'iam.serviceAccounts.actAs',
        'compute.instances.create',
        'compute.disks.create',
        'compute.subnetworks.use',
        'compute.instances.setMetadata',
        'compute.instances.setServiceAccount',
        'compute.instances.list',
      ],
    });
    const profile = assessRisk(actions, gcp());
    assert.deepEqual(
      profile.escalations.map((path) => path.technique),
      ['ActAsWithNewComputeInstance', 'SetInstanceMetadataSshKey'],
    );
    assert.equal(profile.categories.PrivilegeEscalation?.length, 6);
    assert.ok(!profile.categories.PrivilegeEscalation!.includes('compute.instances.list'));
  });

  test('setIamPolicy on any resource exposes it; on projects and service accounts it escalates too', () => {
    assert.deepEqual(actionCategories(gcpHeld('storage.buckets.setIamPolicy'), gcp()), [
      'ResourceExposure',
      'InfrastructureModification',
    ]);
    assert.deepEqual(actionCategories(gcpHeld('resourcemanager.projects.setIamPolicy'), gcp()), [
      'PrivilegeEscalation',
      'ResourceExposure',
      'InfrastructureModification',
    ]);
    assert.deepEqual(actionCategories(gcpHeld('iam.serviceAccounts.getAccessToken'), gcp()), [
      'PrivilegeEscalation',
      'CredentialsExposure',
      'InfrastructureModification',
    ]);
    assert.deepEqual(actionCategories(gcpHeld('storage.objects.get'), gcp()), [
      'DataExfiltration',
      'InfrastructureModification',
    ]);
    assert.deepEqual(actionCategories(gcpHeld('storage.objects.list'), gcp()), []);
  });

  test('a conditional binding: counted in least (path marked conditional), not in cloudsplaining', () => {
    const held = [gcpHeld('iam.serviceAccountKeys.create', { conditional: true })];
    assert.deepEqual(assessRisk(held, gcp('least')).escalations, [
      { technique: 'CreateServiceAccountKey', actions: ['iam.serviceAccountKeys.create'], conditional: true },
    ]);
    assert.deepEqual(assessRisk(held, gcp('cloudsplaining')), { categories: {}, escalations: [] });
  });
});
