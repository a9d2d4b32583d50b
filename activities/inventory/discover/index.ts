import type { AuthorizationSystem } from '../../../domain/policy/schema';
import { createAwsBroker } from '../../cloud/aws/broker';
import { discoverAwsAccounts } from './aws';
import type { Discovery } from './entries';

export type { Discovery, DiscoveredEntry, DiscoveredTarget } from './entries';

/**
 * Discovery for `least inventory discover`: each system lists what sits beside it (its organization's
 * accounts, its tenant's subscriptions, its folder's projects). One system failing does not stop the rest.
 */
export async function discoverTargets(
  systems: AuthorizationSystem[],
): Promise<(Discovery | { systemId: string; cloud: AuthorizationSystem['cloud']; error: string })[]> {
  const broker = createAwsBroker();
  try {
    const outcomes = [];
    for (const system of systems) {
      try {
        if (system.cloud === 'aws') outcomes.push(await discoverAwsAccounts(broker, system));
        else throw new Error(`discovery of ${system.cloud} systems is not built yet`);
      } catch (error) {
        outcomes.push({ systemId: system.id, cloud: system.cloud, error: (error as Error).message });
      }
    }
    return outcomes;
  } finally {
    broker.close();
  }
}
