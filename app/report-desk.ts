import { buildIdentityReport } from '../activities/report/identity-report';
import type { PgStore } from '../activities/store/pg-store';
import type { ReportDesk } from '../bot/report-flow';
import type { ExternalGroups } from '../domain/policy/evaluate';
import type { Policy } from '../domain/policy/schema';
import { DEFAULT_LINK_SECONDS } from '../domain/shared-file';
import type { LinksConfig } from './config';
import { fileLinkSigner } from './file-links';

/**
 * What `report …` in chat needs, over PostgreSQL: the report builder (activities/report), the shared
 * files the bot serves, and the link signer when links are configured. The chat flow audits refusals and
 * deliveries itself (with the platform and where), so the builder is given no audit of its own.
 */
export function reportDesk(parts: {
  store: PgStore;
  policy: () => Policy;
  links?: LinksConfig;
  externalGroups?: () => Promise<ExternalGroups>;
}): ReportDesk {
  const { store, policy, links } = parts;
  return {
    build: (request) => buildIdentityReport({ store, policy, anomalies: store.anomalies }, request),
    files: store.sharedFiles,
    ...(links ? { signer: fileLinkSigner(links) } : {}),
    reportSeconds: links?.reportSeconds ?? DEFAULT_LINK_SECONDS.report,
    policy,
    ...(parts.externalGroups ? { externalGroups: parts.externalGroups } : {}),
    audit: (entry) => store.appendAudit(entry),
  };
}
