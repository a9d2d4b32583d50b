import { createAzureProvider, type AzureProvider } from '../../../activities/cloud/azure';
import { createGcpProvider, type GcpProvider } from '../../../activities/cloud/gcp';
import type { PolicyInput } from '../../../domain/policy/schema';
import {
  CONTRIBUTOR_ROLE,
  FAKE_TENANT_ID,
  FakeArm,
  PAYMENTS_SCOPE,
  READER_ROLE,
  seedSubscription,
  staticCredential,
} from './fake-arm';
import { FakeResourceManager } from './fake-resource-manager';

/**
 * Azure and GCP for a whole-product stack: the local ARM/Graph and Resource Manager fakes, the real
 * providers (real SDK clients) pointed at them, and the policy entries that use them.
 */

export const AZURE_SYSTEM = 'azure-prod';
export const GCP_SYSTEM = 'gcp-prod';
export const GCP_PROJECT = 'least-payments-prod';
export const GCP_ROLE = 'roles/logging.viewer';
export const GCP_RESOURCE = `projects/${GCP_PROJECT}`;

/** One entitlement per grant kind outside AWS, requested by anyone and approved by the stack's lead. */
export const CLOUD_ENTITLEMENTS = {
  azureRole: 'azure-payments-reader',
  azurePim: 'azure-payments-contributor',
  gcpBinding: 'gcp-payments-logs',
} as const;

export interface CloudFakes {
  arm: FakeArm;
  resourceManager: FakeResourceManager;
  azure: AzureProvider;
  gcp: GcpProvider;
  editPolicy(input: PolicyInput): void;
  stop(): Promise<void>;
}

export async function startCloudFakes(): Promise<CloudFakes> {
  const arm = await FakeArm.start();
  seedSubscription(arm);
  const resourceManager = await FakeResourceManager.start();
  resourceManager.knownProjects.add(GCP_PROJECT);
  const azure = createAzureProvider({
    credential: staticCredential(),
    consistency: { delaysMs: [20, 50, 100, 200, 400] },
  });
  const gcp = createGcpProvider({ authClient: resourceManager.authClient(), retryDelayMs: 5 });
  return {
    arm,
    resourceManager,
    azure,
    gcp,
    editPolicy(input) {
      input.authorizationSystems.push(
        {
          id: AZURE_SYSTEM,
          cloud: 'azure',
          title: 'Azure payments',
          tenantId: FAKE_TENANT_ID,
          subscriptionId: arm.subscriptionId,
          endpoint: arm.url,
          graphEndpoint: arm.url,
        },
        { id: GCP_SYSTEM, cloud: 'gcp', title: 'GCP payments', projectId: GCP_PROJECT, endpoint: resourceManager.url },
      );
      const approvers = { users: ['lead@example.com'] };
      input.entitlements.push(
        {
          id: CLOUD_ENTITLEMENTS.azureRole,
          title: 'Read the payments resource group',
          system: AZURE_SYSTEM,
          grant: { kind: 'azure-role-assignment', roleDefinitionId: READER_ROLE, scope: PAYMENTS_SCOPE },
          requesters: { everyone: true },
          approvers,
        },
        {
          id: CLOUD_ENTITLEMENTS.azurePim,
          title: 'Contribute to the payments resource group (PIM)',
          system: AZURE_SYSTEM,
          grant: { kind: 'azure-pim-activation', roleDefinitionId: CONTRIBUTOR_ROLE, scope: PAYMENTS_SCOPE },
          requesters: { everyone: true },
          approvers,
        },
        {
          id: CLOUD_ENTITLEMENTS.gcpBinding,
          title: 'Read the payments logs in GCP',
          system: GCP_SYSTEM,
          grant: { kind: 'gcp-iam-binding', role: GCP_ROLE },
          requesters: { everyone: true },
          approvers,
        },
      );
    },
    async stop() {
      azure.close();
      await gcp.close();
      await arm.stop();
      await resourceManager.stop();
    },
  };
}
