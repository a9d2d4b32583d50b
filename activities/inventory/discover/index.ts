import type { TokenCredential } from '@azure/core-auth';
import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { createAwsBroker } from '../../cloud/aws/broker';
import { AzureConnections, DEFAULT_RETRY } from '../../cloud/azure/connections';
import type { GcpAuthClient } from '../../cloud/gcp/resource-manager';
import { discoverAwsAccounts } from './aws';
import { discoverAzureSubscriptions } from './azure';
import type { Discovery } from './entries';
import { discoverGcpProjects } from './gcp';

export type { Discovery, DiscoveredEntry, DiscoveredTarget } from './entries';

/** Credentials for Azure and GCP; without them each cloud finds its own (environment, workload identity). */
export interface DiscoveryCredentials {
  azure?: TokenCredential;
  gcp?: GcpAuthClient;
}

export type DiscoveryOutcome = Discovery | { systemId: string; cloud: AuthorizationSystem['cloud']; error: string };

/**
 * Discovery for `least inventory discover`: each system lists what sits beside it (its organization's
 * accounts, its tenant's subscriptions, its folder's projects). One system failing does not stop the rest.
 */
export async function discoverTargets(
  systems: AuthorizationSystem[],
  credentials: DiscoveryCredentials = {},
): Promise<DiscoveryOutcome[]> {
  const broker = createAwsBroker();
  const azure = new AzureConnections(credentials.azure, DEFAULT_RETRY);
  try {
    const outcomes: DiscoveryOutcome[] = [];
    for (const system of systems) {
      try {
        switch (system.cloud) {
          case 'aws':
            outcomes.push(await discoverAwsAccounts(broker, system));
            break;
          case 'azure':
            outcomes.push(await discoverAzureSubscriptions(azure, system));
            break;
          case 'gcp':
            outcomes.push(await discoverGcpProjects(credentials.gcp, system));
            break;
        }
      } catch (error) {
        outcomes.push({ systemId: system.id, cloud: system.cloud, error: (error as Error).message });
      }
    }
    return outcomes;
  } finally {
    broker.close();
    azure.close();
  }
}
