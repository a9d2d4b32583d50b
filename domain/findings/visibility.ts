import type { Identity } from '../inventory/model';
import { isIncluded, type ExternalGroups } from '../policy/evaluate';
import type { Policy } from '../policy/schema';

/**
 * Who may see and suppress which findings. Admins and security viewers see every system; a system's
 * owners see it and may suppress on it; approvers see the systems they approve for; everyone else sees
 * their own identities only. Anything not granted here is refused (and the refusal audited by the caller).
 */
export interface FindingsAccess {
  person: string;
  /** Admin or security viewer: every system, suppress anywhere. */
  everySystem: boolean;
  /** Systems seen whole (every identity). */
  systems: string[];
  /** Systems on which the person may suppress findings. */
  suppress: string[];
}

export function findingsAccess(policy: Policy, person: string, external: ExternalGroups = {}): FindingsAccess {
  const all = policy.authorizationSystems.map((s) => s.id);
  const everySystem =
    isIncluded(policy, policy.admins, person, external) ||
    isIncluded(policy, policy.findings.securityViewers, person, external);
  if (everySystem) return { person, everySystem, systems: all, suppress: all };
  const owned = policy.authorizationSystems
    .filter((s) => s.owners !== undefined && isIncluded(policy, s.owners, person, external))
    .map((s) => s.id);
  const approving = policy.entitlements
    .filter((e) => isIncluded(policy, e.approvers, person, external))
    .map((e) => e.system);
  const systems = all.filter((id) => owned.includes(id) || approving.includes(id));
  return { person, everySystem, systems, suppress: owned };
}

export function maySeeSystem(access: FindingsAccess, systemId: string): boolean {
  return access.systems.includes(systemId);
}

export function maySuppress(access: FindingsAccess, systemId: string): boolean {
  return access.suppress.includes(systemId);
}

/**
 * Whether an identity is the person's own: the cloud principal the policy maps them to on that system,
 * or an identity named by their e-mail address (Entra UPN, `user:` member, Identity Center user name).
 */
export function isOwnIdentity(
  policy: Policy,
  person: string,
  systemId: string,
  identity: Pick<Identity, 'id' | 'name' | 'kind'>,
): boolean {
  const email = person.toLowerCase();
  const mapping = policy.principals[email]?.[systemId];
  const names = [identity.id, identity.name].map((n) => n.toLowerCase());
  if (mapping) {
    const mapped = [
      mapping.awsIdentityStoreUserId,
      mapping.awsIamUser,
      mapping.awsIamRole,
      mapping.azureObjectId,
      mapping.gcpMember,
    ].filter((v): v is string => v !== undefined);
    if (mapped.some((m) => names.includes(m.toLowerCase()) || names.some((n) => n.endsWith(`/${m.toLowerCase()}`))))
      return true;
  }
  if (identity.kind === 'gcp-user') return names.includes(`user:${email}`) || names.includes(email);
  if (identity.kind === 'azure-user' || identity.kind === 'aws-sso-user' || identity.kind === 'aws-iam-user')
    return names.includes(email);
  return false;
}

/** Whether the person may see this identity's findings: the whole system, or their own identity. */
export function maySeeIdentity(
  policy: Policy,
  access: FindingsAccess,
  systemId: string,
  identity: Pick<Identity, 'id' | 'name' | 'kind'>,
): boolean {
  return maySeeSystem(access, systemId) || isOwnIdentity(policy, access.person, systemId, identity);
}
