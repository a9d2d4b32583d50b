import type { TokenCredential } from '@azure/core-auth';
import type { CloudProvider } from '../provider';
import type { LeaseSpec } from '../../../domain/lease';
import { type ArmRetry, AzureConnections, DEFAULT_RETRY } from './connections';
import { type Consistency, DEFAULT_CONSISTENCY } from './consistency';
import { asAzureSystem, type AzureSystem, withAzureErrors } from './errors';
import { observeAzure } from './observe';
import { checkPim, extendPim, grantPim, revokePim } from './pim';
import { resolveAzurePrincipal } from './principals';
import { checkRoleAssignment, grantRoleAssignment, revokeRoleAssignment } from './role-assignments';

export type { AzureSystem } from './errors';
export type { ArmRetry } from './connections';
export type { Consistency } from './consistency';
export { DEFAULT_RETRY } from './connections';
export { isLoopback } from '../loopback';
export { DEFAULT_CONSISTENCY } from './consistency';
export {
  LEAST_AZURE_NAMESPACE,
  leaseDescription,
  pimKey,
  pimRequestName,
  roleAssignmentKey,
  roleAssignmentName,
  uuidV5,
} from './names';

export interface AzureProviderOptions {
  /** The SDK's auth boundary; DefaultAzureCredential (environment, workload identity, managed identity) when absent. */
  credential?: TokenCredential;
  now?: () => Date;
  /** How the SDK's pipeline retries 429 and 5xx before giving up to the activity's retry policy. */
  retry?: Partial<ArmRetry>;
  /** How long to read again when ARM's eventually consistent reads disagree with a write just made. */
  consistency?: Partial<Consistency>;
}

export interface AzureProvider extends CloudProvider {
  /** Forgets the cached clients. */
  close(): void;
}

function unsupported(system: AzureSystem, lease: LeaseSpec): never {
  throw new Error(`Azure system "${system.id}" cannot hold a ${lease.grant.kind} lease (${lease.leaseId})`);
}

const scopeOf = (lease: LeaseSpec): string | undefined => ('scope' in lease.grant ? lease.grant.scope : undefined);

export function createAzureProvider(options: AzureProviderOptions = {}): AzureProvider {
  const connections = new AzureConnections(options.credential, { ...DEFAULT_RETRY, ...options.retry });
  const consistency: Consistency = { ...DEFAULT_CONSISTENCY, ...options.consistency };
  const now = options.now ?? (() => new Date());

  return {
    async resolvePrincipal(anySystem, person, grant, policy) {
      const system = asAzureSystem(anySystem);
      return withAzureErrors(system, `look up ${person}`, undefined, () =>
        resolveAzurePrincipal(connections, system, person, grant, policy),
      );
    },

    async grant(anySystem, lease) {
      const system = asAzureSystem(anySystem);
      return withAzureErrors(system, `grant lease ${lease.leaseId}`, scopeOf(lease), async () => {
        const client = connections.arm(system);
        if (lease.grant.kind === 'azure-role-assignment')
          return grantRoleAssignment(client, system, lease, consistency);
        if (lease.grant.kind === 'azure-pim-activation') return grantPim(client, system, lease, consistency, now);
        return unsupported(system, lease);
      });
    },

    async extend(anySystem, lease) {
      const system = asAzureSystem(anySystem);
      // a standard role assignment has no expiry in Azure: the workflow's durable timer is its only clock
      if (lease.grant.kind === 'azure-role-assignment') return;
      return withAzureErrors(system, `extend lease ${lease.leaseId}`, scopeOf(lease), async () => {
        if (lease.grant.kind === 'azure-pim-activation') return extendPim(connections.arm(system), system, lease, now);
        return unsupported(system, lease);
      });
    },

    async revoke(anySystem, lease) {
      const system = asAzureSystem(anySystem);
      return withAzureErrors(system, `revoke lease ${lease.leaseId}`, scopeOf(lease), async () => {
        const client = connections.arm(system);
        if (lease.grant.kind === 'azure-role-assignment') return revokeRoleAssignment(client, lease);
        if (lease.grant.kind === 'azure-pim-activation') return revokePim(client, system, lease, now);
        return unsupported(system, lease);
      });
    },

    async check(anySystem, lease) {
      const system = asAzureSystem(anySystem);
      return withAzureErrors(system, `check lease ${lease.leaseId}`, scopeOf(lease), async () => {
        const client = connections.arm(system);
        if (lease.grant.kind === 'azure-role-assignment') return checkRoleAssignment(client, lease, consistency);
        if (lease.grant.kind === 'azure-pim-activation') return checkPim(client, system, lease, consistency, now);
        return unsupported(system, lease);
      });
    },

    async listObserved(anySystem, policy) {
      const system = asAzureSystem(anySystem);
      return withAzureErrors(system, 'list role assignments', undefined, () =>
        observeAzure(connections.arm(system), system, policy, now),
      );
    },

    close() {
      connections.close();
    },
  };
}
