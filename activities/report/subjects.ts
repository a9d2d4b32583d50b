import { DomainError, ErrorCode } from '../../domain/errors';
import { isOwnIdentity } from '../../domain/findings/visibility';
import type { Policy } from '../../domain/policy/schema';
import { namesPerson, type ReportSubject } from '../../domain/report/content';
import type { FoundIdentity, ReportStore } from '../store/report/store';

/** Longer than any e-mail, ARN or member; a longer "identity" is refused before any query. */
const MAX_IDENTITY_CHARS = 512;
/** A person's cloud identities reported on at most; an identity named in more places than this is ambiguous anyway. */
const MAX_SUBJECTS = 50;
const SHOWN_IN_MESSAGE = 5;

export interface ResolvedSubjects {
  /** The person (lower-case e-mail) when the report is about one. */
  person?: string;
  subjects: ReportSubject[];
}

/**
 * Who a report is about. An e-mail address is a person: their requests and decisions, and the cloud
 * identities the policy maps them to or that carry their address (domain/findings/visibility.ts).
 * Anything else is one cloud identity of the current inventory, by id or name (case aside); none or
 * several is refused with what was tried, so the asker knows what to type instead.
 */
export async function resolveSubjects(
  reports: Pick<ReportStore, 'findIdentities' | 'personKnown'>,
  policy: Policy,
  asked: string,
  systemId: string | undefined,
): Promise<ResolvedSubjects> {
  const identity = asked.trim();
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (identity === '' || identity.length > MAX_IDENTITY_CHARS || /[\u0000-\u001f\u007f]/.test(identity))
    throw new DomainError(
      ErrorCode.ReportInvalid,
      `Name one person by e-mail or one cloud identity by its id or name (at most ${MAX_IDENTITY_CHARS} characters, no control characters).`,
    );
  const known = policy.authorizationSystems.map((s) => s.id);
  if (systemId !== undefined && !known.includes(systemId))
    throw new DomainError(
      ErrorCode.ReportSubjectUnknown,
      `System "${systemId.slice(0, 80)}" is not in the policy; the systems are: ${known.join(', ') || 'none'}.`,
    );
  const systems = systemId !== undefined ? [systemId] : known;
  return namesPerson(identity)
    ? person(reports, policy, identity.toLowerCase(), systems)
    : cloudIdentity(reports, identity, systems, systemId !== undefined);
}

async function person(
  reports: Pick<ReportStore, 'findIdentities' | 'personKnown'>,
  policy: Policy,
  email: string,
  systems: readonly string[],
): Promise<ResolvedSubjects> {
  const mappings = policy.principals[email] ?? {};
  const candidates = new Set([email, `user:${email}`]);
  for (const systemId of systems) {
    const m = mappings[systemId];
    for (const value of [m?.awsIdentityStoreUserId, m?.awsIamUser, m?.awsIamRole, m?.azureObjectId, m?.gcpMember])
      if (value !== undefined) candidates.add(value);
  }
  const found = await reports.findIdentities([...candidates], systems, MAX_SUBJECTS * 4);
  const own = found.filter((f) =>
    isOwnIdentity(policy, email, f.systemId, { id: f.identityId, name: f.name, kind: f.kind }),
  );
  const subjects = own.slice(0, MAX_SUBJECTS).map(subjectOf);
  if (subjects.length > 0 || Object.keys(mappings).length > 0 || (await reports.personKnown(email)))
    return { person: email, subjects };
  throw new DomainError(
    ErrorCode.ReportSubjectUnknown,
    `Least knows no person ${email}: no request or decision of theirs, no principal mapping in the policy, and no identity named by that address in the current inventory of ${systemsWords(systems)}.`,
  );
}

async function cloudIdentity(
  reports: Pick<ReportStore, 'findIdentities'>,
  identity: string,
  systems: readonly string[],
  systemGiven: boolean,
): Promise<ResolvedSubjects> {
  const found = await reports.findIdentities([identity], systems, MAX_SUBJECTS);
  const exact = found.filter((f) => f.identityId === identity);
  const picked = exact.length === 1 ? exact : found;
  if (picked.length === 1) return { subjects: [subjectOf(picked[0]!)] };
  if (picked.length === 0)
    throw new DomainError(
      ErrorCode.ReportSubjectUnknown,
      `No identity "${identity.slice(0, 120)}" in the current inventory of ${systemsWords(systems)}: looked for an id (ARN, object id, member, key id) and a name, case aside. For a person, give their e-mail address.`,
    );
  const listed = picked
    .slice(0, SHOWN_IN_MESSAGE)
    .map((f) => `${f.name} (${f.kind}) in ${f.systemId}: ${f.identityId}`)
    .join('; ');
  const more = picked.length > SHOWN_IN_MESSAGE ? `; and ${picked.length - SHOWN_IN_MESSAGE} more` : '';
  throw new DomainError(
    ErrorCode.ReportSubjectAmbiguous,
    `"${identity.slice(0, 120)}" names ${picked.length} identities: ${listed}${more}. Give the identity's id${systemGiven ? '' : ' or name the system (--system)'}.`,
  );
}

function subjectOf(found: FoundIdentity): ReportSubject {
  return {
    systemId: found.systemId,
    identityId: found.identityId,
    name: found.name,
    kind: found.kind,
    nature: found.nature,
  };
}

function systemsWords(systems: readonly string[]): string {
  return systems.length === 0 ? 'any system (the policy names none)' : systems.join(', ');
}

/**
 * The key of the principal a lease went to, as activities/store/report/store.ts computes it from the
 * lease's principal: `system|kind|id-or-name`, lower case. A subject's keys are the principals that
 * would be it.
 */
export function principalKeys(subject: ReportSubject): string[] {
  const id = subject.identityId.toLowerCase();
  const name = subject.name.toLowerCase();
  const key = (kind: string, value: string): string => `${subject.systemId}|${kind}|${value}`;
  switch (subject.kind) {
    case 'aws-iam-role':
      return [key('aws-iam-role', name)];
    case 'aws-iam-user':
      return [key('aws-iam-user', name)];
    case 'aws-sso-user':
      return [key('aws-identity-store-user', id.slice(id.lastIndexOf('/') + 1)), key('aws-identity-store-user', id)];
    case 'azure-user':
    case 'azure-service-principal':
    case 'azure-managed-identity':
    case 'azure-group':
      return [key('azure-object', id)];
    case 'gcp-user':
    case 'gcp-service-account':
    case 'gcp-group':
      return [key('gcp-member', id)];
    default:
      return [];
  }
}
