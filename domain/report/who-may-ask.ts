import { isIncluded, type ExternalGroups } from '../policy/evaluate';
import type { Policy } from '../policy/schema';

/**
 * Who may have a forensic identity report delivered in chat: anyone their own, and only security
 * viewers and admins another person's (system owners and approvers see findings, not reports).
 */
export function mayReportOnOthers(policy: Policy, person: string, external: ExternalGroups = {}): boolean {
  return (
    isIncluded(policy, policy.admins, person, external) ||
    isIncluded(policy, policy.findings.securityViewers, person, external)
  );
}
