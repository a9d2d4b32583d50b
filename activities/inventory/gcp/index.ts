import { asGcpSystem, type GcpSystem } from '../../cloud/gcp/errors';
import { DEFAULT_RETRY_TUNING, type GcpAuthClient, type RetryTuning } from '../../cloud/gcp/resource-manager';
import { GcpRoleCatalogue } from '../catalogue/gcp';
import type { InventoryCollector } from '../collector';
import { collectAuditLogPage } from './audit-logs';
import { type GcpEndpoints, GcpInventoryClients } from './clients';
import { collectIamPolicyPage } from './iam-policies';
import { collectRecommenderPage } from './recommender';
import { collectServiceAccountPage } from './service-accounts';

export { AuditLogSkipReason, DATA_WRITE_PERMISSIONS } from './audit-logs';
export type { GcpEndpoints } from './clients';
export { GcpPolicySkipReason } from './iam-policies';
export { INSIGHT_TYPE, RecommenderSkipReason, structToJson } from './recommender';

/**
 * Steps of a GCP collection. Service accounts live in projects, so a folder system has none until its
 * projects are discovered; Cloud Audit Logs are read only when the system's inventory asks for them
 * (`auditLogs`): Logging's read quota is small and Data Access logs are off by default.
 */
export const GCP_STEPS = ['iam-policies', 'service-accounts', 'usage:recommender', 'usage:audit-log'] as const;
export type GcpStep = (typeof GCP_STEPS)[number];

export interface GcpCollectorOptions {
  /** The SDK's auth boundary; Application Default Credentials when absent (as for grants). */
  authClient?: GcpAuthClient;
  /** IAM and Recommender endpoints (local fakes); Resource Manager follows `system.endpoint`. */
  endpoints?: GcpEndpoints;
  /** Extra attempts after 429 / 5xx and their backoff, as for grants. */
  retry?: Partial<RetryTuning>;
  /** Page size for service accounts and insights. */
  pageSize?: number;
  /** Page size for audit log entries (Logging allows 1,000; its read quota counts requests, not entries). */
  auditLogPageSize?: number;
}

export interface GcpCollector extends InventoryCollector {
  close(): Promise<void>;
}

const RUNS_KEPT = 8;

export function createGcpCollector(options: GcpCollectorOptions = {}): GcpCollector {
  const tuning: RetryTuning = { ...DEFAULT_RETRY_TUNING, ...options.retry };
  const clients = new GcpInventoryClients(options.authClient, options.endpoints ?? {}, tuning);
  const pageSize = Math.max(1, options.pageSize ?? 100);
  const auditLogPageSize = Math.min(1000, Math.max(1, options.auditLogPageSize ?? 1000));
  const catalogues = new Map<string, GcpRoleCatalogue>();

  const catalogueFor = (system: GcpSystem, runId: string): GcpRoleCatalogue => {
    const key = `${runId}|${system.id}`;
    let catalogue = catalogues.get(key);
    if (!catalogue) {
      catalogue = new GcpRoleCatalogue(clients.iam(system), tuning);
      catalogues.set(key, catalogue);
      while (catalogues.size > RUNS_KEPT) catalogues.delete(catalogues.keys().next().value!);
    }
    return catalogue;
  };

  return {
    steps(anySystem) {
      const system = asGcpSystem(anySystem);
      return GCP_STEPS.filter((step) => {
        if (step === 'service-accounts') return Boolean(system.projectId);
        if (step === 'usage:audit-log') return system.inventory?.auditLogs === true;
        return true;
      });
    },

    async collectPage(anySystem, step, cursor, context) {
      const system = asGcpSystem(anySystem);
      switch (step as GcpStep) {
        case 'iam-policies':
          return collectIamPolicyPage(clients, system, cursor, context, catalogueFor(system, context.runId));
        case 'service-accounts':
          return collectServiceAccountPage(clients, system, cursor, context, pageSize);
        case 'usage:recommender':
          return collectRecommenderPage(
            clients,
            system,
            cursor,
            context,
            pageSize,
            catalogueFor(system, context.runId),
          );
        case 'usage:audit-log':
          return collectAuditLogPage(clients, system, cursor, context, auditLogPageSize);
        default:
          throw new Error(`The GCP collector has no step "${step}" (it has ${GCP_STEPS.join(', ')})`);
      }
    },

    catalogueVersion(anySystem, runId) {
      return catalogueFor(asGcpSystem(anySystem), runId).version();
    },

    async close() {
      catalogues.clear();
      await clients.close();
    },
  };
}
