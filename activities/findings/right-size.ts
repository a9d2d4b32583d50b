import { Context } from '@temporalio/activity';
import type { CloudPrincipal } from '../../domain/lease';
import type { ActionCatalogue, Cloud } from '../../domain/inventory/model';
import { expandAwsPolicy } from '../../domain/inventory/aws-policy';
import { narrowerEntitlement, usedActions, type RightSizeReport } from '../../domain/findings/right-size';
import { isIncluded } from '../../domain/policy/evaluate';
import type { AuthorizationSystem, Entitlement, GrantSpec, Policy } from '../../domain/policy/schema';
import type { InventoryCollector } from '../inventory/collector';
import type { InventoryStore } from '../store/inventory/store';
import { loadAwsCatalogue } from '../inventory/catalogue/aws';

/** CloudTrail delivers a call's record within about 15 minutes; this leaves it a margin. */
export const CLOUDTRAIL_DELIVERY_SECONDS = 20 * 60;

export interface LeaseToRightSize {
  leaseId: string;
  systemId: string;
  entitlementId: string;
  requester: string;
  grant: GrantSpec;
  principal: CloudPrincipal;
  window: { from: string; to: string };
}

export interface RightSizeDeps {
  policy: () => Policy;
  collectors: Partial<Record<Cloud, InventoryCollector>>;
  /** Where an Identity Center permission set's actions are known (the latest snapshot); optional. */
  inventory?: Pick<InventoryStore, 'identityView'>;
}

const CLOUD_NAMES: Record<Cloud, string> = { aws: 'AWS', azure: 'Azure', gcp: 'GCP' };

/**
 * Right-size at revoke: how much of a just-in-time grant its holder used, and the narrowest entitlement
 * they may ask for that would have been enough. Where the cloud's logs cannot tell, it says so plainly.
 */
export function createRightSizeActivities(deps: RightSizeDeps) {
  function readable(lease: LeaseToRightSize): { system: AuthorizationSystem; collector: InventoryCollector } | string {
    const system = deps.policy().authorizationSystems.find((s) => s.id === lease.systemId);
    if (!system) return `${lease.systemId} is no longer in the policy file`;
    const collector = deps.collectors[system.cloud];
    if (!collector?.leaseUsage) return `Least does not read per-grant usage from ${CLOUD_NAMES[system.cloud]} yet`;
    if (system.cloud === 'aws' && !system.inventory?.cloudTrail)
      return `no CloudTrail is configured for ${system.id} (inventory.cloudTrail in the policy)`;
    return { system, collector };
  }

  /** What an entitlement grants, lower-cased; undefined when it cannot be told here. */
  async function entitlementActions(
    system: AuthorizationSystem,
    entitlement: Entitlement,
  ): Promise<Set<string> | undefined> {
    const { grant } = entitlement;
    if (grant.kind === 'aws-iam-inline-policy') {
      const catalogue: ActionCatalogue = await loadAwsCatalogue();
      const body = {
        Version: '2012-10-17',
        Statement: grant.statements.map((s) => ({ Effect: 'Allow', Action: s.actions, Resource: s.resources })),
      };
      const { actions } = expandAwsPolicy(catalogue, `entitlement:${entitlement.id}`, body);
      return new Set(actions.filter((a) => a.effect === 'allow').map((a) => a.action.toLowerCase()));
    }
    if (grant.kind === 'aws-identity-center' && deps.inventory) {
      const view = await deps.inventory.identityView(system.id, grant.permissionSetArn);
      return view ? new Set(view.granted.map((g) => g.action.toLowerCase())) : undefined;
    }
    return undefined;
  }

  return {
    /** How long after the lease ends its records can be read (none when they will not be read). */
    async rightSizeDelay(lease: LeaseToRightSize): Promise<number> {
      return typeof readable(lease) === 'string' ? 0 : CLOUDTRAIL_DELIVERY_SECONDS;
    },

    async rightSizeLease(lease: LeaseToRightSize): Promise<RightSizeReport> {
      const base = {
        leaseId: lease.leaseId,
        systemId: lease.systemId,
        entitlementId: lease.entitlementId,
        window: lease.window,
      };
      const target = readable(lease);
      if (typeof target === 'string') return { ...base, used: [], unavailable: target };
      const { system, collector } = target;
      const context = Context.current();
      const usage = await collector.leaseUsage!(
        system,
        { leaseId: lease.leaseId, grant: lease.grant, principal: lease.principal, window: lease.window },
        () => context.heartbeat(),
      );
      if ('unavailable' in usage) return { ...base, used: [], unavailable: usage.unavailable };

      const policy = deps.policy();
      const entitlement = policy.entitlements.find((e) => e.id === lease.entitlementId);
      const granted = entitlement ? await entitlementActions(system, entitlement) : undefined;
      // a role or user grant adds to what the principal already held: only the lease's own actions count
      const counts = new Map([...usage.counts].filter(([action]) => !granted || granted.has(action.toLowerCase())));
      const used = usedActions(counts);
      const candidates = [];
      for (const other of policy.entitlements) {
        if (other.id === lease.entitlementId || other.system !== lease.systemId) continue;
        if (!isIncluded(policy, other.requesters, lease.requester)) continue;
        const actions = await entitlementActions(system, other);
        if (actions) candidates.push({ entitlementId: other.id, title: other.title, actions });
      }
      const suggestion = narrowerEntitlement(
        used.map((u) => u.action),
        granted?.size,
        candidates,
      );
      return {
        ...base,
        used,
        ...(granted ? { granted: granted.size } : {}),
        ...(suggestion ? { suggestion } : {}),
      };
    },
  };
}
