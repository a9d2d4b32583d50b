import type { CloudProvider } from '../provider';
import type { LeaseSpec } from '../../../domain/lease';
import { checkBinding, extendBinding, grantBinding, observeBindings, revokeBinding } from './bindings';
import { asGcpSystem, type GcpAction, type GcpSystem, withGcpErrors } from './errors';
import { resolveGcpPrincipal } from './principals';
import { createIamPolicyStores, DEFAULT_RETRY_TUNING, type GcpAuthClient, type RetryTuning } from './resource-manager';

export type { GcpSystem, GcpTarget } from './errors';
export { targetOf } from './errors';
export type { GcpAuthClient, RetryTuning } from './resource-manager';
export { DEFAULT_RETRY_TUNING } from './resource-manager';
export { bindingKey, conditionTitle, leaseCondition, LEASE_CONDITION_PREFIX } from './bindings';

export interface GcpProviderOptions {
  /** The SDK's auth boundary; absent in production, where Application Default Credentials apply. */
  authClient?: GcpAuthClient;
  now?: () => Date;
  /** Re-reads after a concurrent policy change (default 5). */
  conflictRetries?: number;
  /** Extra attempts of one call after 429 / 503 (default 3). */
  transientRetries?: number;
  /** Base of the jittered backoff between attempts (default 250 ms). */
  retryDelayMs?: number;
  /** Longest wait inside one call, including a Retry-After (default 20 s); longer waits go back to Temporal. */
  maxRetryDelayMs?: number;
}

export interface GcpProvider extends CloudProvider {
  /** Closes the Resource Manager clients. */
  close(): Promise<void>;
}

export function createGcpProvider(options: GcpProviderOptions = {}): GcpProvider {
  const now = options.now ?? (() => new Date());
  const tuning: RetryTuning = {
    conflictRetries: options.conflictRetries ?? DEFAULT_RETRY_TUNING.conflictRetries,
    transientRetries: options.transientRetries ?? DEFAULT_RETRY_TUNING.transientRetries,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_TUNING.retryDelayMs,
    maxRetryDelayMs: options.maxRetryDelayMs ?? DEFAULT_RETRY_TUNING.maxRetryDelayMs,
  };
  const stores = createIamPolicyStores(options.authClient, tuning);

  const forLease = (what: string, lease: LeaseSpec): GcpAction => ({
    what: `${what} lease ${lease.leaseId}`,
    ...(lease.grant.kind === 'gcp-iam-binding' ? { role: lease.grant.role } : {}),
    ...(lease.principal.kind === 'gcp-member' ? { member: lease.principal.member } : {}),
  });
  const leaseWork = <T>(
    system: GcpSystem,
    action: GcpAction,
    work: (store: ReturnType<typeof stores.storeFor>) => Promise<T>,
  ): Promise<T> => withGcpErrors(system, action, async () => work(stores.storeFor(system)));

  return {
    async resolvePrincipal(anySystem, person, grant, policy) {
      return resolveGcpPrincipal(asGcpSystem(anySystem), person, grant, policy);
    },

    async grant(anySystem, lease) {
      const system = asGcpSystem(anySystem);
      return leaseWork(system, forLease('grant', lease), (store) => grantBinding(store, tuning, lease));
    },

    async extend(anySystem, lease) {
      const system = asGcpSystem(anySystem);
      return leaseWork(system, forLease('extend', lease), (store) => extendBinding(store, tuning, lease));
    },

    async revoke(anySystem, lease) {
      const system = asGcpSystem(anySystem);
      return leaseWork(system, forLease('revoke', lease), (store) => revokeBinding(store, tuning, lease));
    },

    async check(anySystem, lease) {
      const system = asGcpSystem(anySystem);
      return leaseWork(system, forLease('check', lease), (store) => checkBinding(store, lease, now));
    },

    async listObserved(anySystem, policy) {
      const system = asGcpSystem(anySystem);
      return leaseWork(system, { what: 'list bindings' }, (store) => observeBindings(store, system, policy));
    },

    close() {
      return stores.close();
    },
  };
}
