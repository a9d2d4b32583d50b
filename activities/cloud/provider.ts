import type { AuthorizationSystem, GrantSpec, Policy } from '../../domain/policy/schema';
import type { CloudPrincipal, GrantReceipt, LeaseSpec, ObservedGrant, Presence } from '../../domain/lease';

/**
 * The one port every cloud implements. Workflows never see which cloud they talk to.
 *
 * Contract:
 * - `grant` and `revoke` are idempotent by `lease.leaseId`: calling either twice leaves the same state.
 * - Permanent failures (unknown permission set, role or principal; access denied) throw DomainError with
 *   a CLOUD.* code; the activity layer turns those into non-retryable failures. Anything else is thrown
 *   as is and retried.
 * - `grant` leaves no partial grant behind when it fails permanently.
 * - `check` asks the cloud, never a cache: it is what proves a revocation.
 */
export interface CloudProvider {
  resolvePrincipal(
    system: AuthorizationSystem,
    person: string,
    grant: GrantSpec,
    policy: Policy,
  ): Promise<CloudPrincipal>;
  /**
   * `retry` false: no earlier attempt of this grant ran, so a provider may write without reading what is
   * there first; true (or absent): an earlier attempt may have landed.
   */
  grant(system: AuthorizationSystem, lease: LeaseSpec, options?: { retry?: boolean }): Promise<GrantReceipt>;
  /** Moves the cloud-native expiry of an existing grant (extensions). */
  extend(system: AuthorizationSystem, lease: LeaseSpec): Promise<void>;
  revoke(system: AuthorizationSystem, lease: LeaseSpec): Promise<void>;
  check(system: AuthorizationSystem, lease: LeaseSpec): Promise<Presence>;
  /** Grants of the kinds this policy manages, as they exist in the cloud now. */
  listObserved(system: AuthorizationSystem, policy: Policy): Promise<ObservedGrant[]>;
}
