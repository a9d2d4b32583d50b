import type { PgStore } from '../activities/store/pg-store';
import { assessmentContext, findingsCatalogue } from '../activities/findings/assess-run';
import { assessIdentity } from '../domain/findings/assess';
import type { Policy } from '../domain/policy/schema';
import { isOwnIdentity } from '../domain/findings/visibility';
import type { IdentityAssessment } from '../domain/findings/model';
import { FindingsClient, type FindingsClientDeps, type FindingsReader } from '../bot/findings-client';
import { requesterFindingsView, type RequesterFindingsView } from '../bot/render/findings';

/**
 * The findings front ends' reader over PostgreSQL: stored assessments for the overview, and an identity
 * assessed on demand from its current snapshot (the card shows suppressions as they are now).
 */
export function findingsReader(
  store: PgStore,
  policy: () => Policy,
  now: () => Date = () => new Date(),
): FindingsReader {
  return {
    async system(systemId, top) {
      const summary = await store.findings.summary(systemId);
      if (!summary) return undefined;
      const [ranked, movers] = await Promise.all([
        store.findings.top(systemId, top),
        store.findings.movers(systemId, top),
      ]);
      return { ...summary, top: ranked, movers };
    },

    async identity(systemId, identity) {
      const current = policy();
      const system = current.authorizationSystems.find((s) => s.id === systemId);
      if (!system) return undefined;
      const view = await store.inventory.identityView(systemId, identity);
      if (!view) return undefined;
      const at = now().toISOString();
      const catalogue = await findingsCatalogue(system.cloud, () =>
        store.inventory.runCatalogue(view.run.runId, system.cloud),
      );
      const stored = await store.findings.liveSuppressions(at, systemId);
      const assessment = assessIdentity(view, assessmentContext(current, system, catalogue, stored, at)(view));
      return { view, assessment };
    },

    async suppress(input) {
      const stored = await store.findings.suppress(input);
      return { suppressionId: stored.suppressionId };
    },
  };
}

/** The findings client every front end uses, over the store: reads, suppressions, and where it audits. */
export function findingsClient(
  deps: { store: PgStore; policy: () => Policy } & Pick<FindingsClientDeps, 'externalGroups' | 'now'>,
): FindingsClient {
  const { store, policy, ...rest } = deps;
  return new FindingsClient({
    policy,
    reader: findingsReader(store, policy, rest.now),
    audit: async (entry) => {
      await store.appendAudit(entry);
    },
    ...rest,
  });
}

/**
 * The requester's standing on a system for the approver's card: their own identities there (the
 * principal the policy maps them to, or one named by their e-mail: domain/findings/visibility.ts),
 * assessed from the current snapshot as the identity card is. Approvers see this for the person
 * asking them, whatever they may see otherwise.
 */
export function requesterFindings(
  store: PgStore,
  policy: () => Policy,
  now: () => Date = () => new Date(),
): (systemId: string, requester: string) => Promise<RequesterFindingsView | undefined> {
  const reader = findingsReader(store, policy, now);
  return async (systemId, requester) => {
    const current = policy();
    if (!current.authorizationSystems.some((s) => s.id === systemId)) return undefined;
    const person = requester.toLowerCase();
    if (!(await store.inventory.currentRun(systemId)))
      return { systemId, openFindings: [], unavailable: `no inventory collected for ${systemId} yet` };
    const mapping = current.principals[person]?.[systemId];
    const candidates = [
      ...new Set(
        [
          mapping?.awsIdentityStoreUserId,
          mapping?.awsIamUser,
          mapping?.awsIamRole,
          mapping?.azureObjectId,
          mapping?.gcpMember,
          person,
          `user:${person}`,
        ].filter((c): c is string => c !== undefined),
      ),
    ];
    const own = new Map<string, IdentityAssessment>();
    for (const candidate of candidates) {
      const hit = await reader.identity(systemId, candidate);
      if (hit && isOwnIdentity(current, person, systemId, hit.view.identity))
        own.set(hit.view.identity.id, hit.assessment);
    }
    if (own.size === 0)
      return {
        systemId,
        openFindings: [],
        unavailable: 'the requester holds no identity there in the current inventory',
      };
    return requesterFindingsView(systemId, [...own.values()]);
  };
}
