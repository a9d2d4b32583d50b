import type { CloudProvider } from '../provider';
import type { LeaseSpec } from '../../../domain/lease';
import { type AwsBroker, createAwsBroker, RECONCILE_PURPOSE, RESOLVE_PURPOSE } from './broker';
import { asAwsSystem, type AwsSystem, withAwsErrors } from './errors';
import {
  type AssignmentClaims,
  type AssignmentPolling,
  checkAssignment,
  DEFAULT_POLLING,
  grantAssignment,
  memoryClaims,
  observeAssignments,
  revokeAssignment,
} from './identity-center';
import {
  checkInlinePolicy,
  extendInlinePolicy,
  grantInlinePolicy,
  observeInlinePolicies,
  revokeInlinePolicy,
} from './inline-policy';
import { resolveAwsPrincipal } from './principals';

export { createAwsBroker, sessionName, RECONCILE_PURPOSE, RESOLVE_PURPOSE } from './broker';
export type { AwsSystem } from './errors';
export type { AwsBroker, AwsBrokerOptions, AwsCredentials, AwsSession } from './broker';
export { identityCenterKey, DEFAULT_POLLING, memoryClaims } from './identity-center';
export type { AssignmentClaims, AssignmentPolling } from './identity-center';
export { inlinePolicyKey, leasePolicyDocument } from './inline-policy';
export type { LeasePolicyDocument } from './inline-policy';

export interface AwsProviderOptions {
  /** Shared with other providers or given a test clock; one is made when absent. */
  broker?: AwsBroker;
  /** How Identity Center assignment requests are awaited. */
  polling?: Partial<AssignmentPolling>;
  /** Which Identity Center assignments Least made; the worker keeps them in PostgreSQL, one process may use memory. */
  claims?: AssignmentClaims;
  now?: () => Date;
}

export interface AwsProvider extends CloudProvider {
  /** Closes the broker's connections (only when this provider made the broker). */
  close(): void;
}

function unsupported(system: AwsSystem, lease: LeaseSpec): never {
  throw new Error(`AWS system "${system.id}" cannot hold a ${lease.grant.kind} lease (${lease.leaseId})`);
}

export function createAwsProvider(options: AwsProviderOptions = {}): AwsProvider {
  const broker = options.broker ?? createAwsBroker();
  const polling: AssignmentPolling = { ...DEFAULT_POLLING, ...options.polling };
  const now = options.now ?? (() => new Date());
  const claims = options.claims ?? memoryClaims();

  // every call a lease makes runs in a session named after it
  const forLease = (system: AwsSystem, lease: LeaseSpec) => broker.session(system, lease.leaseId);

  return {
    async resolvePrincipal(anySystem, person, grant, policy) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, `look up ${person}`, async () =>
        resolveAwsPrincipal(await broker.session(system, RESOLVE_PURPOSE), system, person, grant, policy),
      );
    },

    async grant(anySystem, lease, options = {}) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, `grant lease ${lease.leaseId}`, async () => {
        const session = await forLease(system, lease);
        if (lease.grant.kind === 'aws-identity-center')
          return grantAssignment(session.ssoAdmin, system, lease, polling, claims);
        if (lease.grant.kind === 'aws-iam-inline-policy')
          return grantInlinePolicy(session.iam, system, lease, { retry: options.retry ?? true });
        return unsupported(system, lease);
      });
    },

    async extend(anySystem, lease) {
      const system = asAwsSystem(anySystem);
      // Identity Center assignments have no expiry to move: the durable timer is the only clock there
      if (lease.grant.kind === 'aws-identity-center') return;
      return withAwsErrors(system, `extend lease ${lease.leaseId}`, async () => {
        const session = await forLease(system, lease);
        if (lease.grant.kind === 'aws-iam-inline-policy') return extendInlinePolicy(session.iam, system, lease);
        return unsupported(system, lease);
      });
    },

    async revoke(anySystem, lease) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, `revoke lease ${lease.leaseId}`, async () => {
        const session = await forLease(system, lease);
        if (lease.grant.kind === 'aws-identity-center')
          return revokeAssignment(session.ssoAdmin, system, lease, polling, claims);
        if (lease.grant.kind === 'aws-iam-inline-policy') return revokeInlinePolicy(session.iam, lease);
        return unsupported(system, lease);
      });
    },

    async check(anySystem, lease) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, `check lease ${lease.leaseId}`, async () => {
        const session = await forLease(system, lease);
        if (lease.grant.kind === 'aws-identity-center') return checkAssignment(session.ssoAdmin, system, lease, claims);
        if (lease.grant.kind === 'aws-iam-inline-policy') return checkInlinePolicy(session.iam, lease);
        return unsupported(system, lease);
      });
    },

    async listObserved(anySystem, policy) {
      const system = asAwsSystem(anySystem);
      return withAwsErrors(system, 'list grants', async () => {
        const session = await broker.session(system, RECONCILE_PURPOSE);
        const inline = await observeInlinePolicies(session.iam, system);
        const assignments = await observeAssignments(
          session.ssoAdmin,
          session.identityStore,
          system,
          policy,
          now,
          claims,
        );
        return [...inline, ...assignments];
      });
    },

    close() {
      if (!options.broker) broker.close();
    },
  };
}
