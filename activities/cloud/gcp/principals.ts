import { DomainError, ErrorCode } from '../../../domain/errors';
import type { CloudPrincipal } from '../../../domain/lease';
import type { GrantSpec, Policy } from '../../../domain/policy/schema';
import type { GcpSystem } from './errors';

/**
 * Who a person is in GCP IAM: the `gcpMember` the policy maps them to (a service account or group
 * works too), else their Google account by e-mail. GCP itself checks the member when the binding is
 * written, so a person without a Google account fails the grant with CLOUD.PRINCIPAL_UNKNOWN.
 */
export function resolveGcpPrincipal(
  system: GcpSystem,
  person: string,
  grant: GrantSpec,
  policy: Policy,
): CloudPrincipal {
  if (grant.kind !== 'gcp-iam-binding') {
    throw new DomainError(ErrorCode.CloudTargetUnknown, `GCP system "${system.id}" cannot take a ${grant.kind} grant.`);
  }
  // the policy file lower-cases e-mails; chat platforms do not
  const email = person.trim().toLowerCase();
  const mapped = policy.principals[email]?.[system.id]?.gcpMember;
  return { kind: 'gcp-member', member: mapped ?? `user:${email}` };
}
