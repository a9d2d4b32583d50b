/**
 * Right-size at revoke: when a just-in-time grant ends, how much of it was used, and which narrower
 * entitlement would have been enough. Pure: the activity reads the lease's own usage from the cloud and
 * the entitlements' action sets; this decides what to say.
 */

export interface RightSizeReport {
  leaseId: string;
  systemId: string;
  entitlementId: string;
  window: { from: string; to: string };
  /** Actions used through the lease, most used first (denied attempts are not uses). */
  used: { action: string; count: number }[];
  /** How many actions the entitlement grants, when that is known. */
  granted?: number;
  /** The narrowest other entitlement the requester may ask for that grants every used action. */
  suggestion?: { entitlementId: string; title: string; actions: number };
  /** Set when the cloud cannot tell, in words a person reads: `no CloudTrail is configured for aws-prod`. */
  unavailable?: string;
}

/** An entitlement as right-sizing compares them: what it grants, lower-cased. */
export interface EntitlementActions {
  entitlementId: string;
  title: string;
  actions: ReadonlySet<string>;
}

/**
 * The narrowest candidate that grants every used action and fewer actions than the lease did; none when
 * nothing was used (no evidence of what was needed), when nothing narrower covers it, or when the lease's
 * own size is unknown. Ties go to the entitlement id, so the answer is stable.
 */
export function narrowerEntitlement(
  used: readonly string[],
  grantedCount: number | undefined,
  candidates: readonly EntitlementActions[],
): RightSizeReport['suggestion'] {
  if (used.length === 0 || grantedCount === undefined) return undefined;
  const needed = used.map((action) => action.toLowerCase());
  const fitting = candidates
    .filter((c) => c.actions.size < grantedCount && needed.every((action) => c.actions.has(action)))
    .sort((a, b) => a.actions.size - b.actions.size || (a.entitlementId < b.entitlementId ? -1 : 1));
  const best = fitting[0];
  return best && { entitlementId: best.entitlementId, title: best.title, actions: best.actions.size };
}

/** Counts per action, most used first, then by name. */
export function usedActions(counts: ReadonlyMap<string, number>): RightSizeReport['used'] {
  return [...counts.entries()]
    .filter(([, count]) => count > 0)
    .map(([action, count]) => ({ action, count }))
    .sort((a, b) => b.count - a.count || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}
