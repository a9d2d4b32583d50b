import type { PgStore } from '../activities/store/pg-store';
import { assessmentContext, findingsCatalogue } from '../activities/findings/assess-run';
import { assessIdentity } from '../domain/findings/assess';
import type { Policy } from '../domain/policy/schema';
import { FindingsClient, type FindingsClientDeps, type FindingsReader } from '../bot/findings-client';

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
