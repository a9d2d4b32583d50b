import type { ActionCatalogue, Cloud } from '../../domain/inventory/model';
import type { IdentityView } from '../../domain/inventory/view';
import type { SharedIdentityView } from '../../domain/inventory/verdicts';
import type { BulkAssessor } from '../../domain/findings/bulk';
import { AssessMemo, type AssessmentContext, type Suppression } from '../../domain/findings/assess';
import type { IdentityAssessment } from '../../domain/findings/model';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';
import { loadAwsCatalogue } from '../inventory/catalogue/aws';

/** Identities read, assessed and written per page: bounds memory whatever the account's size. */
export const ASSESS_PAGE = 500;

/**
 * The catalogue findings judge a cloud's actions by: AWS's published one; for Azure and GCP, the actions
 * the snapshot's own documents name (their catalogues are read live from the cloud at collection).
 */
export async function findingsCatalogue(
  cloud: Cloud,
  snapshotActions: () => Promise<ActionCatalogue>,
): Promise<ActionCatalogue> {
  return cloud === 'aws' ? loadAwsCatalogue() : snapshotActions();
}

/** A suppression kept as code: it names its identity by id or name. */
export type PolicySuppression = Omit<Suppression, 'identityId'> & { identity: string };

/** The suppressions kept as code in the policy file, for one system. */
export function policySuppressions(policy: Policy, systemId: string): PolicySuppression[] {
  return policy.findings.suppressions
    .filter((s) => s.system === systemId)
    .map((s) => ({
      systemId,
      identity: s.identity,
      ...(s.finding !== undefined ? { findingId: s.finding } : {}),
      reason: s.reason,
      by: s.by,
      until: `${s.until}T00:00:00.000Z`,
      source: 'policy' as const,
    }));
}

/**
 * What assessIdentity needs of a system, from the policy; suppressions by name resolve per identity. The
 * contexts of one call share a memo: identities holding the same get the same risk profile, worked out once.
 */
export function assessmentContext(
  policy: Policy,
  system: AuthorizationSystem,
  catalogue: ActionCatalogue,
  stored: readonly Suppression[],
  at: string,
): (view: Pick<IdentityView, 'identity'>) => AssessmentContext {
  const fromPolicy = policySuppressions(policy, system.id);
  const base = {
    cloud: system.cloud,
    catalogue,
    ...(system.cloud === 'aws' ? { accountId: system.accountId } : {}),
    trustedAccounts: system.findings?.trustedAccounts ?? [],
    ...(system.findings?.inactiveDays !== undefined ? { inactiveDays: system.findings.inactiveDays } : {}),
    at,
    memo: new AssessMemo(),
  };
  return (view) => {
    const named = fromPolicy
      .filter((s) => s.identity === view.identity.id || s.identity.toLowerCase() === view.identity.name.toLowerCase())
      .map(({ identity: _identity, ...rest }) => ({ ...rest, identityId: view.identity.id }));
    const own = stored.filter((s) => s.identityId === view.identity.id);
    return { ...base, suppressions: [...named, ...own] };
  };
}

/** A page of a stream's shared views assessed: the same assessments, through the bulk assessor of the run. */
export function assessSharedPage(
  views: readonly SharedIdentityView[],
  contextOf: (view: Pick<IdentityView, 'identity'>) => AssessmentContext,
  bulk: BulkAssessor,
): IdentityAssessment[] {
  return views.map((view) => bulk.assess(view, contextOf(view)));
}
