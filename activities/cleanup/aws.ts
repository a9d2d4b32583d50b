import { createHash, randomInt } from 'node:crypto';
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateLoginProfileCommand,
  CreatePolicyVersionCommand,
  DeleteLoginProfileCommand,
  DeletePolicyVersionCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetGroupCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetUserCommand,
  type AttachedPolicy,
  type IAMClient,
  paginateListAccessKeys,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListPolicyVersions,
  SetDefaultPolicyVersionCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AWS_GUARD_POLICY_NAME, AWS_STAGED_POLICY_PREFIX, type CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { AuthorizationSystem } from '../../domain/policy/schema';
import { type AwsBroker, type AwsSession, createAwsBroker } from '../cloud/aws/broker';
import { asAwsSystem, type AwsSystem, isAwsError, isNoSuchEntity, orMissing, withAwsErrors } from '../cloud/aws/errors';
import {
  type Assignment,
  assignmentExists,
  DEFAULT_POLLING,
  deleteAssignment,
  ensureAssignment,
  identityCenterOf,
} from '../cloud/aws/identity-center';
import {
  deleteInlinePolicy,
  type InlinePolicyHolder,
  putInlinePolicy,
  readInlinePolicyText,
} from '../cloud/aws/inline-policy';
import { canonicalJson } from '../inventory/documents';
import {
  allowsWords,
  documentDifference,
  normaliseAwsPolicyDocument,
  parsedBody,
  readIamDocument,
  sameAwsPolicyDocument,
} from './aws-policy-document';
import { withOwnCopies } from './aws-copy';
import { withPermissionSets } from './aws-permission-set';
import { type CleanupExecutor, snapshotKind } from './port';

export { normaliseAwsPolicyDocument, sameAwsPolicyDocument } from './aws-policy-document';

/**
 * The AWS side of a cleanup item (issue 13): snapshot the object before anything changes, apply the change,
 * verify it from IAM, and restore the snapshot. Apply and restore both converge the live object on a wanted
 * state, so running either twice changes nothing more; both refuse to overwrite what someone else changed
 * in between, naming the change, so the workflow re-plans (apply) or a person decides (restore).
 */

export type AwsIamPrincipalType = 'user' | 'group' | 'role';

export interface AwsIamPrincipal {
  type: AwsIamPrincipalType;
  name: string;
  arn: string;
}

export interface AwsPolicyVersion {
  versionId: string;
  /** Parsed and URL-decoded, as IAM holds it (compare with sameAwsPolicyDocument). */
  document: unknown;
  isDefault: boolean;
}

export interface AwsInlinePolicySnapshot {
  kind: 'aws-inline-policy';
  principal: AwsIamPrincipal;
  policyName: string;
  principalExists: boolean;
  /** null when the policy does not exist. */
  document: unknown;
}

export interface AwsManagedPolicySnapshot {
  kind: 'aws-managed-policy';
  policyArn: string;
  exists: boolean;
  defaultVersionId: string | null;
  /** The default version's document; null when the policy does not exist. */
  document: unknown;
  /** Every version, oldest first: at the five-version limit apply prunes one, and restore brings it back. */
  versions: AwsPolicyVersion[];
}

export interface AwsPolicyAttachmentSnapshot {
  kind: 'aws-policy-attachment';
  principal: AwsIamPrincipal;
  policyArn: string;
  principalExists: boolean;
  attached: boolean;
}

export interface AwsSsoAssignmentSnapshot {
  kind: 'aws-sso-assignment';
  principalType: 'USER' | 'GROUP';
  /** The Identity Store id (not the ARN). */
  principalId: string;
  permissionSetArn: string;
  accountId: string;
  present: boolean;
}

export interface AwsAccessKeySnapshot {
  kind: 'aws-access-key';
  accessKeyId: string;
  /** null when neither the item nor IAM names the key's user (the key is gone). */
  userName: string | null;
  /** null when the key does not exist. */
  status: 'Active' | 'Inactive' | null;
}

export interface AwsConsolePasswordSnapshot {
  kind: 'aws-console-password';
  principal: AwsIamPrincipal;
  principalExists: boolean;
  loginProfile: boolean;
  /** null without a login profile. */
  passwordResetRequired: boolean | null;
}

export interface AwsPrincipalSnapshot {
  kind: 'aws-principal';
  principal: AwsIamPrincipal;
  principalExists: boolean;
  /** Least's guard policy document when the principal holds one, else null. */
  guard: unknown;
}

/** Everything needed to put one object back exactly; JSON-safe, stored with the run. */
export type AwsObjectSnapshot =
  | AwsInlinePolicySnapshot
  | AwsManagedPolicySnapshot
  | AwsPolicyAttachmentSnapshot
  | AwsSsoAssignmentSnapshot
  | AwsAccessKeySnapshot
  | AwsConsolePasswordSnapshot
  | AwsPrincipalSnapshot;

export interface AwsApplyResult {
  /** false when nothing was changed: already done, a conflict, or the object is gone. */
  applied: boolean;
  detail: string;
  /** What changed since the plan: the workflow re-plans instead of overwriting it. */
  conflict?: string;
  /** The object (or its principal) no longer exists: there is nothing to remove. */
  gone?: boolean;
}

export interface AwsVerifyResult {
  ok: boolean;
  detail: string;
}

export interface AwsRestoreResult {
  /** false when the object already matched the snapshot, or on a conflict. */
  restored: boolean;
  detail: string;
  /** What changed after the cleanup's own change; nothing was restored over it. */
  conflict?: string;
  /** The object, its principal, or what it refers to no longer exists: there is nothing to put it back onto. */
  gone?: boolean;
}

/** The deny-all guard an inactive role or user gets: harmless, and removed again by deleting one inline policy. */
export const AWS_GUARD_POLICY_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'LeastInactiveGuard', Effect: 'Deny', Action: '*', Resource: '*' }],
} as const;

/** IAM keeps at most this many versions of a managed policy. */
export const MAX_POLICY_VERSIONS = 5;

/* ---------- which object an item names ---------- */

type Target =
  | Pick<AwsInlinePolicySnapshot, 'kind' | 'principal' | 'policyName'>
  | Pick<AwsManagedPolicySnapshot, 'kind' | 'policyArn'>
  | Pick<AwsPolicyAttachmentSnapshot, 'kind' | 'principal' | 'policyArn'>
  | Pick<AwsSsoAssignmentSnapshot, 'kind' | 'principalType' | 'principalId' | 'permissionSetArn' | 'accountId'>
  | Pick<AwsAccessKeySnapshot, 'kind' | 'accessKeyId' | 'userName'>
  | Pick<AwsConsolePasswordSnapshot, 'kind' | 'principal'>
  | Pick<AwsPrincipalSnapshot, 'kind' | 'principal'>;

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(user|group|role)\/(?:.*\/)?([^/]+)$/;
const IDENTITY_STORE_ID = /^arn:aws[a-z-]*:identitystore:::(user|group)\/(.+)$/;

function malformed(item: CleanupItem, expected: string): DomainError {
  return new DomainError(
    ErrorCode.InputMalformed,
    `Cleanup item ${item.itemId} names ${item.object.kind} "${item.object.key}"; expected ${expected}.`,
  );
}

/** User, group or role from its ARN; the name is the last path segment (`role/service-role/x` → x). */
export function awsPrincipalOfArn(system: AwsSystem, arn: string): AwsIamPrincipal {
  const match = PRINCIPAL_ARN.exec(arn);
  if (!match) throw new DomainError(ErrorCode.InputMalformed, `"${arn}" is not the ARN of an IAM user, group or role.`);
  const [, accountId, type, name] = match as unknown as [string, string, AwsIamPrincipalType, string];
  if (accountId !== system.accountId) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `${arn} is in account ${accountId}, not in account ${system.accountId} of system ${system.id}.`,
    );
  }
  return { type, name, arn };
}

function splitOnce(key: string, separator: string): [string, string] | undefined {
  const at = key.lastIndexOf(separator);
  return at <= 0 || at === key.length - 1 ? undefined : [key.slice(0, at), key.slice(at + 1)];
}

function targetOf(system: AwsSystem, item: CleanupItem): Target {
  const { kind, key } = item.object;
  switch (kind) {
    case 'aws-inline-policy': {
      const parts = splitOnce(key, '#') ?? [];
      if (parts.length !== 2) throw malformed(item, '<principal ARN>#<policy name>');
      return { kind, principal: awsPrincipalOfArn(system, parts[0]!), policyName: parts[1]! };
    }
    case 'aws-managed-policy':
      return { kind, policyArn: key };
    case 'aws-policy-attachment': {
      const parts = key.split('|');
      if (parts.length !== 2) throw malformed(item, '<principal ARN>|<policy ARN>');
      return { kind, principal: awsPrincipalOfArn(system, parts[0]!), policyArn: parts[1]! };
    }
    case 'aws-sso-assignment': {
      const parts = key.split('|');
      if (parts.length !== 3) throw malformed(item, '<principal id>|<permission set ARN>|<account>');
      const [principal, permissionSetArn, accountId] = parts as [string, string, string];
      const fromArn = IDENTITY_STORE_ID.exec(principal);
      const group = fromArn ? fromArn[1] === 'group' : item.identities.some((i) => i.kind === 'aws-sso-group');
      return {
        kind,
        principalType: group ? 'GROUP' : 'USER',
        principalId: fromArn ? fromArn[2]! : principal,
        permissionSetArn,
        accountId,
      };
    }
    case 'aws-access-key': {
      // `<user ARN>#<key id>` or `<user ARN>|<key id>`, or the key id alone (its user is looked up)
      const parts = splitOnce(key, '#') ?? splitOnce(key, '|');
      if (!parts) return { kind, accessKeyId: key, userName: null };
      return { kind, accessKeyId: parts[1], userName: userOf(system, item, parts[0]).name };
    }
    case 'aws-console-password':
      return { kind, principal: userOf(system, item, key.replace(/#console-password$/, '')) };
    case 'aws-principal': {
      const principal = awsPrincipalOfArn(system, key);
      if (principal.type === 'group') {
        throw new DomainError(
          ErrorCode.CloudTargetUnknown,
          `Least's deny-all guard is for an inactive IAM role or user, not group ${principal.name}: ` +
            "its members may be active. Clean up the group's policies instead.",
        );
      }
      return { kind, principal };
    }
    default:
      throw malformed(item, 'an AWS object (aws-inline-policy, aws-managed-policy, …)');
  }
}

function userOf(system: AwsSystem, item: CleanupItem, arn: string): AwsIamPrincipal {
  const principal = awsPrincipalOfArn(system, arn);
  if (principal.type !== 'user') throw malformed(item, 'the ARN of an IAM user');
  return principal;
}

function sameTarget(a: Target, b: Target): boolean {
  const identity = (target: Target): string => {
    const { kind } = target;
    switch (target.kind) {
      case 'aws-inline-policy':
        return `${kind}|${target.principal.arn}|${target.policyName}`;
      case 'aws-managed-policy':
        return `${kind}|${target.policyArn}`;
      case 'aws-policy-attachment':
        return `${kind}|${target.principal.arn}|${target.policyArn}`;
      case 'aws-sso-assignment':
        return `${kind}|${target.principalType}|${target.principalId}|${target.permissionSetArn}|${target.accountId}`;
      case 'aws-access-key':
        return `${kind}|${target.accessKeyId}`;
      default:
        return `${kind}|${target.principal.arn}`;
    }
  };
  return identity(a) === identity(b);
}

/* ---------- words ---------- */

const principalWords = (principal: AwsIamPrincipal): string => `IAM ${principal.type} ${principal.name}`;

function objectWords(target: Target): string {
  switch (target.kind) {
    case 'aws-inline-policy':
      return `inline policy ${target.policyName} of ${principalWords(target.principal)}`;
    case 'aws-managed-policy':
      return `customer-managed policy ${target.policyArn}`;
    case 'aws-policy-attachment':
      return `the attachment of ${target.policyArn} to ${principalWords(target.principal)}`;
    case 'aws-sso-assignment':
      return (
        `the Identity Center assignment of permission set ${target.permissionSetArn} on account ${target.accountId} ` +
        `to ${target.principalType} ${target.principalId}`
      );
    case 'aws-access-key':
      return `access key ${target.accessKeyId}${target.userName ? ` of IAM user ${target.userName}` : ''}`;
    case 'aws-console-password':
      return `the console password of ${principalWords(target.principal)}`;
    case 'aws-principal':
      return principalWords(target.principal);
  }
}

/** What the live object is, in the words of a receipt. */
function stateWords(snapshot: AwsObjectSnapshot): string {
  switch (snapshot.kind) {
    case 'aws-inline-policy':
      return snapshot.document === null
        ? `IAM holds no ${objectWords(snapshot)}`
        : `${objectWords(snapshot)} holds ${allowsWords(snapshot.document)}`;
    case 'aws-managed-policy':
      return `default version ${snapshot.defaultVersionId} of ${snapshot.policyArn} holds ${allowsWords(snapshot.document)}`;
    case 'aws-policy-attachment':
      return `${snapshot.policyArn} is ${snapshot.attached ? '' : 'not '}attached to ${principalWords(snapshot.principal)}`;
    case 'aws-sso-assignment':
      return `Identity Center ${snapshot.present ? 'lists' : 'has no longer'} ${objectWords(snapshot)}`;
    case 'aws-access-key':
      return `${objectWords(snapshot)} is ${snapshot.status}`;
    case 'aws-console-password':
      return `${principalWords(snapshot.principal)} has ${snapshot.loginProfile ? 'a' : 'no'} console password`;
    case 'aws-principal':
      return snapshot.guard === null
        ? `${principalWords(snapshot.principal)} has no ${AWS_GUARD_POLICY_NAME} guard policy`
        : `${principalWords(snapshot.principal)} holds the deny-all guard policy ${AWS_GUARD_POLICY_NAME}`;
  }
}

/** Why there is nothing to change: the object or its principal no longer exists. */
function goneWords(snapshot: AwsObjectSnapshot): string | undefined {
  switch (snapshot.kind) {
    case 'aws-managed-policy':
      return snapshot.exists ? undefined : `${snapshot.policyArn} no longer exists`;
    case 'aws-access-key':
      return snapshot.status === null ? `access key ${snapshot.accessKeyId} no longer exists` : undefined;
    case 'aws-sso-assignment':
      return undefined;
    default:
      return snapshot.principalExists ? undefined : `${principalWords(snapshot.principal)} no longer exists`;
  }
}

/** How the live object differs from what was expected, naming the change. */
function difference(expected: AwsObjectSnapshot, live: AwsObjectSnapshot): string {
  const gone = goneWords(live);
  if (gone) return gone;
  const what = objectWords(live);
  switch (live.kind) {
    case 'aws-inline-policy': {
      const wanted = (expected as AwsInlinePolicySnapshot).document;
      if (live.document === null) return `${what} was deleted`;
      if (wanted === null) return `${what} exists again (${allowsWords(live.document)})`;
      return `${what} was edited: ${documentDifference(wanted, live.document)}`;
    }
    case 'aws-managed-policy':
      return (
        `${what} has another default version (${live.defaultVersionId}): ` +
        documentDifference((expected as AwsManagedPolicySnapshot).document, live.document)
      );
    case 'aws-policy-attachment':
      return live.attached ? `${what} was made again` : `${what} was removed`;
    case 'aws-sso-assignment':
      return live.present ? `${what} was made again` : `${what} was deleted`;
    case 'aws-access-key':
      return `${what} was set ${live.status}`;
    case 'aws-console-password':
      return live.loginProfile ? `${what} was created again` : `${what} was deleted`;
    case 'aws-principal':
      if (live.guard === null) return `the guard policy ${AWS_GUARD_POLICY_NAME} was removed from ${what}`;
      return (expected as AwsPrincipalSnapshot).guard === null
        ? `${what} holds a policy named ${AWS_GUARD_POLICY_NAME} that Least did not put`
        : `the guard policy ${AWS_GUARD_POLICY_NAME} of ${what} was edited`;
  }
}

/* ---------- comparing states ---------- */

/** What a snapshot says about access, without cloud-assigned ids: equal essences grant the same. */
function essence(snapshot: AwsObjectSnapshot): unknown {
  switch (snapshot.kind) {
    case 'aws-inline-policy':
      return { principal: snapshot.principalExists, document: normaliseAwsPolicyDocument(snapshot.document) };
    case 'aws-managed-policy':
      return { exists: snapshot.exists, document: normaliseAwsPolicyDocument(snapshot.document) };
    case 'aws-policy-attachment':
      return { principal: snapshot.principalExists, attached: snapshot.attached };
    case 'aws-sso-assignment':
      return { present: snapshot.present };
    case 'aws-access-key':
      return { status: snapshot.status };
    case 'aws-console-password':
      // a restored profile always requires a reset, so the flag is not part of what must match
      return { principal: snapshot.principalExists, loginProfile: snapshot.loginProfile };
    case 'aws-principal':
      return { principal: snapshot.principalExists, guard: normaliseAwsPolicyDocument(snapshot.guard) };
  }
}

function sameState(a: AwsObjectSnapshot, b: AwsObjectSnapshot): boolean {
  return canonicalJson(essence(a)) === canonicalJson(essence(b));
}

/** The object as the item's change leaves it, built on `base` (any snapshot of the same object). */
function afterChange(item: CleanupItem, base: AwsObjectSnapshot): AwsObjectSnapshot {
  const change = item.change;
  const wrong = (): DomainError =>
    new DomainError(
      ErrorCode.InputMalformed,
      `Cleanup item ${item.itemId}: a ${change} change cannot apply to ${base.kind} ${item.object.key}.`,
    );
  switch (base.kind) {
    case 'aws-inline-policy':
      if (change !== 'narrow-policy' || item.after === undefined) throw wrong();
      return { ...base, document: parsedBody(item.after, item.object.name) };
    case 'aws-managed-policy':
      // a managed policy keeps at least one version: narrowing to nothing is a detach, not a new version
      if (change !== 'narrow-policy' || item.after === undefined || item.after === null) throw wrong();
      return { ...base, document: parsedBody(item.after, item.object.name) };
    case 'aws-policy-attachment':
      if (change !== 'detach-policy') throw wrong();
      return { ...base, attached: false };
    case 'aws-sso-assignment':
      if (change !== 'delete-assignment') throw wrong();
      return { ...base, present: false };
    case 'aws-access-key':
      if (change !== 'deactivate-key') throw wrong();
      return { ...base, status: 'Inactive' };
    case 'aws-console-password':
      if (change !== 'remove-password') throw wrong();
      return { ...base, loginProfile: false, passwordResetRequired: null };
    case 'aws-principal':
      if (change !== 'guard-principal') throw wrong();
      return { ...base, guard: AWS_GUARD_POLICY_DOCUMENT };
  }
}

/* ---------- reading IAM ---------- */

async function principalExists(iam: IAMClient, principal: AwsIamPrincipal): Promise<boolean> {
  return orMissing(async () => {
    if (principal.type === 'role') await iam.send(new GetRoleCommand({ RoleName: principal.name }));
    else if (principal.type === 'user') await iam.send(new GetUserCommand({ UserName: principal.name }));
    else await iam.send(new GetGroupCommand({ GroupName: principal.name, MaxItems: 1 }));
    return true;
  }, false);
}

/** The principal as the shared inline-policy calls (cloud/aws/inline-policy) take it. */
const policyHolder = (principal: AwsIamPrincipal): InlinePolicyHolder => ({
  kind: principal.type,
  name: principal.name,
});

async function readInline(iam: IAMClient, principal: AwsIamPrincipal, policyName: string): Promise<unknown> {
  const text = await readInlinePolicyText(iam, policyHolder(principal), policyName);
  return readIamDocument(text, `inline policy ${policyName} of ${principalWords(principal)}`);
}

async function attachedPolicies(iam: IAMClient, principal: AwsIamPrincipal): Promise<AttachedPolicy[]> {
  const found: AttachedPolicy[] = [];
  const { name } = principal;
  if (principal.type === 'role') {
    for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: name }))
      found.push(...(page.AttachedPolicies ?? []));
  } else if (principal.type === 'user') {
    for await (const page of paginateListAttachedUserPolicies({ client: iam }, { UserName: name }))
      found.push(...(page.AttachedPolicies ?? []));
  } else {
    for await (const page of paginateListAttachedGroupPolicies({ client: iam }, { GroupName: name }))
      found.push(...(page.AttachedPolicies ?? []));
  }
  return found;
}

async function setAttached(iam: IAMClient, principal: AwsIamPrincipal, policyArn: string, attached: boolean) {
  const { name } = principal;
  if (attached) {
    if (principal.type === 'role')
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
    else if (principal.type === 'user')
      await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
    else await iam.send(new AttachGroupPolicyCommand({ GroupName: name, PolicyArn: policyArn }));
    return;
  }
  // detached already (or the policy deleted) between the read and now: the attachment is gone either way
  await orMissing(async () => {
    if (principal.type === 'role')
      await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
    else if (principal.type === 'user')
      await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: policyArn }));
    else await iam.send(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: policyArn }));
  }, undefined);
}

const versionNumber = (versionId: string): number => Number(/^v(\d+)/.exec(versionId)?.[1] ?? Number.MAX_SAFE_INTEGER);

async function readManaged(iam: IAMClient, policyArn: string): Promise<AwsManagedPolicySnapshot> {
  const missing: AwsManagedPolicySnapshot = {
    kind: 'aws-managed-policy',
    policyArn,
    exists: false,
    defaultVersionId: null,
    document: null,
    versions: [],
  };
  return orMissing(async () => {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy;
    const versions: AwsPolicyVersion[] = [];
    for await (const page of paginateListPolicyVersions({ client: iam }, { PolicyArn: policyArn })) {
      for (const version of page.Versions ?? []) {
        const versionId = version.VersionId!;
        const read = await orMissing(
          async () =>
            (await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }))).PolicyVersion,
          undefined, // deleted between the list and the read
        );
        if (!read) continue;
        versions.push({
          versionId,
          document: readIamDocument(read.Document, `${policyArn} ${versionId}`),
          isDefault: read.IsDefaultVersion ?? version.IsDefaultVersion ?? false,
        });
      }
    }
    versions.sort((a, b) => versionNumber(a.versionId) - versionNumber(b.versionId));
    const byDefault = versions.find((version) => version.isDefault);
    const defaultVersionId = policy?.DefaultVersionId ?? byDefault?.versionId ?? null;
    const current = versions.find((version) => version.versionId === defaultVersionId);
    return { ...missing, exists: true, defaultVersionId, document: current?.document ?? null, versions };
  }, missing);
}

async function readAccessKey(
  iam: IAMClient,
  target: Pick<AwsAccessKeySnapshot, 'accessKeyId' | 'userName'>,
): Promise<AwsAccessKeySnapshot> {
  const { accessKeyId } = target;
  const userName =
    target.userName ??
    (await orMissing(
      async () => (await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }))).UserName ?? null,
      null,
    ));
  const base = { kind: 'aws-access-key', accessKeyId, userName, status: null } as const;
  if (!userName) return base;
  return orMissing(async () => {
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      const key = page.AccessKeyMetadata?.find((metadata) => metadata.AccessKeyId === accessKeyId);
      if (key) return { ...base, status: key.Status === 'Inactive' ? 'Inactive' : 'Active' } as const;
    }
    return base;
  }, base);
}

/* ---------- Identity Center, through the grant side's assignment calls ---------- */

/**
 * The assignment a target names, a user's or a group's. Cleanup acts on assignments whoever made them:
 * the announced plan, not a lease's claim, is its authority, so it calls beneath the lease code.
 */
function ssoAssignment(
  system: AwsSystem,
  target: Pick<AwsSsoAssignmentSnapshot, 'principalType' | 'principalId' | 'permissionSetArn' | 'accountId'>,
): Assignment {
  if (target.accountId !== system.accountId) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `The assignment is on account ${target.accountId}, not on account ${system.accountId} of system ${system.id}.`,
    );
  }
  return {
    instanceArn: identityCenterOf(system).instanceArn,
    accountId: target.accountId,
    permissionSetArn: target.permissionSetArn,
    principalType: target.principalType,
    principalId: target.principalId,
  };
}

/* ---------- the live object ---------- */

async function readLive(session: AwsSession, system: AwsSystem, target: Target): Promise<AwsObjectSnapshot> {
  const { iam } = session;
  switch (target.kind) {
    case 'aws-inline-policy': {
      const { principal, policyName } = target;
      // one call when the policy is there (its principal must be); the principal is asked about only when not
      const document = await readInline(iam, principal, policyName);
      const exists = document !== null || (await principalExists(iam, principal));
      return { kind: target.kind, principal, policyName, principalExists: exists, document };
    }
    case 'aws-managed-policy':
      return readManaged(iam, target.policyArn);
    case 'aws-policy-attachment': {
      const { principal, policyArn } = target;
      const attached = await orMissing(
        async () => (await attachedPolicies(iam, principal)).some((policy) => policy.PolicyArn === policyArn),
        false,
      );
      const exists = attached || (await principalExists(iam, principal));
      return { kind: target.kind, principal, policyArn, principalExists: exists, attached };
    }
    case 'aws-sso-assignment': {
      const present = await assignmentExists(session.ssoAdmin, ssoAssignment(system, target));
      const { principalType, principalId, permissionSetArn, accountId } = target;
      return { kind: target.kind, principalType, principalId, permissionSetArn, accountId, present };
    }
    case 'aws-access-key':
      return readAccessKey(iam, target);
    case 'aws-console-password': {
      const { principal } = target;
      const exists = await principalExists(iam, principal);
      const profile = exists
        ? await orMissing(
            async () => (await iam.send(new GetLoginProfileCommand({ UserName: principal.name }))).LoginProfile,
            undefined,
          )
        : undefined;
      return {
        kind: target.kind,
        principal,
        principalExists: exists,
        loginProfile: profile !== undefined,
        passwordResetRequired: profile ? (profile.PasswordResetRequired ?? false) : null,
      };
    }
    case 'aws-principal': {
      const { principal } = target;
      const guard = await readInline(iam, principal, AWS_GUARD_POLICY_NAME);
      const exists = guard !== null || (await principalExists(iam, principal));
      return { kind: target.kind, principal, principalExists: exists, guard };
    }
  }
}

/* ---------- changing the live object ---------- */

/** Oldest first: IAM version ids only grow. */
function oldestNonDefault(policy: AwsManagedPolicySnapshot, prefer?: (v: AwsPolicyVersion) => boolean) {
  const candidates = policy.versions.filter((version) => !version.isDefault);
  return (prefer ? candidates.find(prefer) : undefined) ?? candidates[0];
}

async function newDefaultVersion(iam: IAMClient, policyArn: string, document: unknown): Promise<string> {
  const created = await iam.send(
    new CreatePolicyVersionCommand({
      PolicyArn: policyArn,
      PolicyDocument: JSON.stringify(document),
      SetAsDefault: true,
    }),
  );
  return created.PolicyVersion?.VersionId ?? 'a new version';
}

async function deleteVersion(iam: IAMClient, policyArn: string, versionId: string): Promise<void> {
  await orMissing(
    () => iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })),
    undefined,
  );
}

/** A password nobody knows, meeting any IAM password policy: 32 characters from all four classes. */
function unknowablePassword(): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!@#$%^&*()_+-=[]{}|'];
  const all = classes.join('');
  const chars = classes.map((set) => set[randomInt(set.length)]!);
  while (chars.length < 32) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/**
 * Makes the live object what `wanted` says, for every kind but a managed policy (whose versions apply and
 * restore handle apart). Returns a receipt line; never a secret.
 */
async function converge(
  session: AwsSession,
  system: AwsSystem,
  live: AwsObjectSnapshot,
  wanted: AwsObjectSnapshot,
): Promise<string> {
  const { iam } = session;
  switch (wanted.kind) {
    case 'aws-inline-policy':
      if (wanted.document === null) {
        await deleteInlinePolicy(iam, policyHolder(wanted.principal), wanted.policyName);
        return `Deleted ${objectWords(wanted)}.`;
      }
      await putInlinePolicy(iam, policyHolder(wanted.principal), wanted.policyName, wanted.document);
      return `Put ${objectWords(wanted)}: it now allows ${allowsWords(wanted.document)}.`;
    case 'aws-policy-attachment':
      await setAttached(iam, wanted.principal, wanted.policyArn, wanted.attached);
      return `${wanted.attached ? 'Attached' : 'Detached'} ${wanted.policyArn} ${wanted.attached ? 'to' : 'from'} ${principalWords(wanted.principal)}.`;
    case 'aws-sso-assignment': {
      const assignment = ssoAssignment(system, wanted);
      // both wait for Identity Center's asynchronous request to finish before answering
      if (wanted.present) await ensureAssignment(session.ssoAdmin, system, assignment, DEFAULT_POLLING);
      else await deleteAssignment(session.ssoAdmin, assignment, DEFAULT_POLLING);
      return `${wanted.present ? 'Assigned' : 'Deleted'} ${objectWords(wanted)}.`;
    }
    case 'aws-access-key':
      await iam.send(
        new UpdateAccessKeyCommand({
          UserName: (wanted.userName ?? (live as AwsAccessKeySnapshot).userName)!,
          AccessKeyId: wanted.accessKeyId,
          Status: wanted.status!,
        }),
      );
      return `Set ${objectWords(wanted)} ${wanted.status}.`;
    case 'aws-console-password':
      if (!wanted.loginProfile) {
        await orMissing(() => iam.send(new DeleteLoginProfileCommand({ UserName: wanted.principal.name })), undefined);
        return `Deleted ${objectWords(wanted)} (its login profile).`;
      }
      await iam.send(
        new CreateLoginProfileCommand({
          UserName: wanted.principal.name,
          Password: unknowablePassword(),
          PasswordResetRequired: true,
        }),
      );
      return (
        `Created a new login profile for ${principalWords(wanted.principal)}: the old password cannot be restored, so it ` +
        'has a random password nobody was told and must be reset at sign-in. An administrator has to set a temporary ' +
        'password (aws iam update-login-profile) before the user can sign in again.'
      );
    case 'aws-principal':
      if (wanted.guard === null) {
        await deleteInlinePolicy(iam, policyHolder(wanted.principal), AWS_GUARD_POLICY_NAME);
        return `Removed the deny-all guard policy ${AWS_GUARD_POLICY_NAME} from ${principalWords(wanted.principal)}.`;
      }
      await putInlinePolicy(iam, policyHolder(wanted.principal), AWS_GUARD_POLICY_NAME, wanted.guard);
      return `Put the deny-all guard policy ${AWS_GUARD_POLICY_NAME} on ${principalWords(wanted.principal)}.`;
    case 'aws-managed-policy':
      throw new Error('managed policies are changed by applyManaged and restoreManaged');
  }
}

/** A narrower default version; at the limit the oldest non-default goes first, and only if the plan saw it. */
async function applyManaged(
  iam: IAMClient,
  live: AwsManagedPolicySnapshot,
  planned: AwsManagedPolicySnapshot,
  document: unknown,
): Promise<AwsApplyResult> {
  let pruned = '';
  if (live.versions.length >= MAX_POLICY_VERSIONS) {
    const oldest = oldestNonDefault(live);
    if (!oldest) throw new Error(`${live.policyArn} has ${live.versions.length} versions and none is non-default`);
    if (!planned.versions.some((version) => version.versionId === oldest.versionId)) {
      const conflict = `version ${oldest.versionId} of ${live.policyArn} was created after the plan`;
      return {
        applied: false,
        conflict,
        detail: `${conflict}; it is not in the snapshot, so nothing was pruned or changed`,
      };
    }
    await deleteVersion(iam, live.policyArn, oldest.versionId);
    pruned = ` Pruned version ${oldest.versionId} first (the five-version limit); the snapshot keeps its document.`;
  }
  const versionId = await newDefaultVersion(iam, live.policyArn, document);
  return {
    applied: true,
    detail: `Made version ${versionId} the default of ${live.policyArn}: it allows ${allowsWords(document)}.${pruned}`,
  };
}

/**
 * The snapshot's default document back as the default (its own version when it still exists, else a new one),
 * then the cleanup's own narrowed version deleted and pruned versions created again, while there is room.
 */
async function restoreManaged(
  iam: IAMClient,
  live: AwsManagedPolicySnapshot,
  snapshot: AwsManagedPolicySnapshot,
  applied: CleanupItem | undefined,
): Promise<string[]> {
  const done: string[] = [];
  const { policyArn } = snapshot;
  const narrowed = (version: AwsPolicyVersion): boolean =>
    applied?.after !== undefined &&
    !snapshot.versions.some((kept) => kept.versionId === version.versionId) &&
    sameAwsPolicyDocument(version.document, applied.after);
  let current = live;
  if (!sameAwsPolicyDocument(current.document, snapshot.document)) {
    const original = current.versions.find(
      (version) =>
        version.versionId === snapshot.defaultVersionId && sameAwsPolicyDocument(version.document, snapshot.document),
    );
    if (original) {
      await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: policyArn, VersionId: original.versionId }));
      done.push(`Made version ${original.versionId} the default of ${policyArn} again.`);
    } else {
      if (current.versions.length >= MAX_POLICY_VERSIONS) {
        const prune = oldestNonDefault(current, narrowed);
        if (prune) {
          await deleteVersion(iam, policyArn, prune.versionId);
          done.push(`Pruned version ${prune.versionId} (the five-version limit).`);
        }
      }
      const versionId = await newDefaultVersion(iam, policyArn, snapshot.document);
      done.push(`Made new version ${versionId}, holding the snapshot's default document, the default of ${policyArn}.`);
    }
    current = await readManaged(iam, policyArn);
  }
  for (const version of current.versions.filter((v) => !v.isDefault && narrowed(v))) {
    await deleteVersion(iam, policyArn, version.versionId);
    done.push(`Deleted the cleanup's version ${version.versionId}.`);
  }
  if (done.length) current = await readManaged(iam, policyArn);
  const missing = snapshot.versions.filter(
    (version) =>
      !current.versions.some(
        (v) => v.versionId === version.versionId || sameAwsPolicyDocument(v.document, version.document),
      ),
  );
  let count = current.versions.length;
  for (const version of missing) {
    if (count >= MAX_POLICY_VERSIONS) break;
    const created = await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: policyArn,
        PolicyDocument: JSON.stringify(version.document),
        SetAsDefault: false,
      }),
    );
    count += 1;
    done.push(`Put back the document of pruned version ${version.versionId} as ${created.PolicyVersion?.VersionId}.`);
  }
  return done;
}

/* ---------- the four steps ---------- */

/** Everything needed to put the item's object back exactly, read from IAM (and Identity Center). */
export async function snapshotAws(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
): Promise<AwsObjectSnapshot> {
  return withAwsErrors(system, `snapshot ${item.object.kind} ${item.object.key}`, () =>
    readLive(session, system, targetOf(system, item)),
  );
}

/**
 * Applies the item's change unless the object changed since `planned` (the snapshot the plan was made from):
 * then nothing is written and `conflict` names the change, so the workflow re-plans. Already applied (a
 * retried activity after a worker was killed) → applied false, "already done".
 */
export async function applyAws(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
  planned: AwsObjectSnapshot,
): Promise<AwsApplyResult> {
  return withAwsErrors(system, `apply ${item.change} to ${item.object.key}`, async () => {
    const target = targetOf(system, item);
    if (!sameTarget(target, planned)) {
      throw new DomainError(
        ErrorCode.InputMalformed,
        `The snapshot given for cleanup item ${item.itemId} is of ${objectWords(planned)}, not of ${objectWords(target)}.`,
      );
    }
    const live = await readLive(session, system, target);
    const gone = goneWords(live);
    if (gone) {
      const conflict = `${gone} (changed after the plan)`;
      return {
        applied: false,
        gone: true,
        conflict,
        detail: `${gone}: there is nothing to change; the item is re-planned.`,
      };
    }
    const wanted = afterChange(item, live);
    if (sameState(live, wanted)) return { applied: false, detail: `Already done: ${stateWords(live)}.` };
    if (!sameState(live, planned)) {
      const conflict = difference(planned, live);
      return {
        applied: false,
        conflict,
        detail: `Nothing changed: ${conflict} since the plan, so the item is re-planned rather than overwritten.`,
      };
    }
    if (live.kind === 'aws-managed-policy') {
      return applyManaged(
        session.iam,
        live,
        planned as AwsManagedPolicySnapshot,
        (wanted as AwsManagedPolicySnapshot).document,
      );
    }
    return { applied: true, detail: await converge(session, system, live, wanted) };
  });
}

/** Reads back from IAM that the item's change holds. An object that no longer exists grants nothing: ok. */
export async function verifyAws(session: AwsSession, system: AwsSystem, item: CleanupItem): Promise<AwsVerifyResult> {
  return withAwsErrors(system, `verify ${item.change} of ${item.object.key}`, async () => {
    const live = await readLive(session, system, targetOf(system, item));
    const gone = goneWords(live);
    if (gone) return { ok: true, detail: `${gone}, so it grants nothing.` };
    const wanted = afterChange(item, live);
    if (sameState(live, wanted)) return { ok: true, detail: `IAM shows ${stateWords(live)}.` };
    return { ok: false, detail: `The change does not hold: ${difference(wanted, live)} (${stateWords(live)}).` };
  });
}

/**
 * Puts back what the snapshot holds: the same normalised documents (version ids may differ), attachment,
 * assignment, key status, guard; a console password comes back as a new login profile that must be reset.
 * With `applied` (the item whose change was applied), a live object that is no longer what that change left
 * is not overwritten: `conflict` names what changed. Read back from IAM before it answers restored.
 */
export async function restoreAws(
  session: AwsSession,
  system: AwsSystem,
  snapshot: AwsObjectSnapshot,
  applied?: CleanupItem,
): Promise<AwsRestoreResult> {
  return withAwsErrors(system, `restore ${objectWords(snapshot)}`, async () => {
    if (applied && !sameTarget(targetOf(system, applied), snapshot)) {
      throw new DomainError(
        ErrorCode.InputMalformed,
        `Cleanup item ${applied.itemId} is not about ${objectWords(snapshot)}, the object of this snapshot.`,
      );
    }
    const live = await readLive(session, system, snapshot);
    const asBefore = sameState(live, snapshot);
    if (!asBefore) {
      const gone = goneWords(live);
      if (gone) return { restored: false, gone: true, conflict: gone, detail: `Nothing restored: ${gone}.` };
      if (applied) {
        const expected = afterChange(applied, live);
        if (!sameState(live, expected)) {
          const conflict = difference(expected, live);
          return {
            restored: false,
            conflict,
            detail: `Nothing restored: ${conflict} after the cleanup changed it; a person must decide which to keep.`,
          };
        }
      }
    }
    let done: string[];
    try {
      done =
        live.kind === 'aws-managed-policy'
          ? await restoreManaged(session.iam, live, snapshot as AwsManagedPolicySnapshot, applied)
          : asBefore
            ? []
            : [await converge(session, system, live, snapshot)];
    } catch (error) {
      // what it refers to went away (a deleted managed policy, permission set or user): nothing to put it back onto
      const missing =
        isNoSuchEntity(error) ||
        (error instanceof DomainError &&
          (error.code === ErrorCode.CloudPermissionSetUnknown || error.code === ErrorCode.CloudPrincipalUnknown));
      if (!missing) throw error;
      const conflict = `${objectWords(snapshot)} cannot be put back: ${(error as Error).message}`;
      return { restored: false, gone: true, conflict, detail: `Nothing restored: ${conflict}` };
    }
    if (done.length === 0) return { restored: false, detail: `Already as the snapshot holds: ${stateWords(live)}.` };
    const after = await readLive(session, system, snapshot);
    if (!sameState(after, snapshot)) {
      // retryable: IAM is eventually consistent, and a retried restore converges without doing anything twice
      throw new Error(`Restore of ${objectWords(snapshot)} did not hold: ${difference(snapshot, after)}`);
    }
    return { restored: true, detail: `${done.join(' ')} IAM shows ${stateWords(after)}.` };
  });
}

/* ---------- the cleanup port ---------- */

/** The broker session every cleanup call runs in: CloudTrail shows `least-cleanup` as who changed what. */
export const CLEANUP_PURPOSE = 'cleanup';

export interface AwsCleanupOptions {
  /** Shared with the grant provider, or one is made. */
  broker?: AwsBroker;
}

export interface AwsCleanup extends CleanupExecutor {
  /** Closes the broker's connections (only when this executor made the broker). */
  close(): void;
}

const plannedSnapshot = (value: unknown, item: CleanupItem): AwsObjectSnapshot =>
  snapshotKind<AwsObjectSnapshot>(value, item.object.kind as AwsObjectSnapshot['kind'], item);

/** Inline policies over this many characters are refused by IAM for users (2,048 in all); roles and groups allow more. */
const STAGED_MAX_CHARS: Record<AwsIamPrincipal['type'], number> = { user: 2_048, group: 5_120, role: 10_240 };

/** The staged-removal deny of one item: one inline policy per holder, named after the item. */
export function stagedPolicyName(item: Pick<CleanupItem, 'itemId'>): string {
  return `${AWS_STAGED_POLICY_PREFIX}${createHash('sha256').update(item.itemId).digest('hex').slice(0, 16)}`;
}

export function stagedDenyDocument(item: Pick<CleanupItem, 'removeActions'>): unknown {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'LeastStagedRemoval', Effect: 'Deny', Action: [...(item.removeActions ?? [])], Resource: '*' }],
  };
}

/** The holders a staged deny goes on: the item's IAM users, roles and groups. */
function stagedHolders(system: AwsSystem, item: CleanupItem): AwsIamPrincipal[] {
  return item.identities.flatMap((identity) => {
    try {
      return [awsPrincipalOfArn(system, identity.id)];
    } catch {
      return [];
    }
  });
}

/**
 * Staged removal: denies the item's removal set to each holder with an inline policy, leaving the
 * object itself as it is. Only policy rewrites with a removal set are staged; one that IAM would refuse
 * (too long for a user's inline policies, a holder that is not an IAM principal) is `unsupported`, and
 * any deny already put on is taken away again.
 */
export async function stageAws(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
): Promise<{ status: 'staged' | 'unsupported'; detail: string }> {
  if (item.change !== 'narrow-policy' || !item.removeActions?.length)
    return { status: 'unsupported', detail: 'only removals of actions from a policy are staged' };
  const holders = stagedHolders(system, item);
  if (holders.length === 0 || holders.length !== item.identities.length)
    return { status: 'unsupported', detail: 'some holders are not IAM users, roles or groups' };
  const document = stagedDenyDocument(item);
  const chars = JSON.stringify(document).length;
  const tooLong = holders.find((holder) => chars > STAGED_MAX_CHARS[holder.type]);
  if (tooLong)
    return {
      status: 'unsupported',
      detail: `a deny of ${item.removeActions.length} actions is too long for an inline policy of ${principalWords(tooLong)}`,
    };
  const name = stagedPolicyName(item);
  try {
    for (const holder of holders)
      await withAwsErrors(system, 'put the staged deny', () =>
        putInlinePolicy(session.iam, policyHolder(holder), name, document),
      );
  } catch (error) {
    if (!isAwsLimit(error)) throw error;
    for (const holder of holders) await deleteInlinePolicy(session.iam, policyHolder(holder), name);
    return { status: 'unsupported', detail: `IAM refused the staged deny: ${(error as Error).message}` };
  }
  return {
    status: 'staged',
    detail: `${item.removeActions.length} action(s) denied to ${holders.map(principalWords).join(', ')} by ${name}`,
  };
}

/**
 * IAM refusing the deny itself (its size limits): the item cannot be staged. Throttling is not such a
 * refusal: it fails the call, and the activity's retry stages again rather than remove at once.
 */
function isAwsLimit(error: unknown): boolean {
  return isAwsError(
    error,
    'LimitExceeded',
    'LimitExceededException',
    'MalformedPolicyDocument',
    'MalformedPolicyDocumentException',
  );
}

/** Takes the staged deny off every holder; a holder or policy already gone is fine. */
export async function unstageAws(
  session: AwsSession,
  system: AwsSystem,
  item: CleanupItem,
): Promise<{ detail: string }> {
  const name = stagedPolicyName(item);
  const holders = stagedHolders(system, item);
  for (const holder of holders) await deleteInlinePolicy(session.iam, policyHolder(holder), name);
  return { detail: `staged deny ${name} taken off ${holders.length} holder(s)` };
}

/** snapshotAws, applyAws, verifyAws and restoreAws behind the cleanup workflow's port. */
export function createAwsCleanup(options: AwsCleanupOptions = {}): AwsCleanup {
  const broker = options.broker ?? createAwsBroker();
  const sessionFor = (system: AwsSystem) => broker.session(system, CLEANUP_PURPOSE);
  const executor: AwsCleanup = {
    async snapshot(anySystem: AuthorizationSystem, item) {
      const system = asAwsSystem(anySystem);
      return snapshotAws(await sessionFor(system), system, item);
    },
    async apply(anySystem, item, planned) {
      const system = asAwsSystem(anySystem);
      const result = await applyAws(await sessionFor(system), system, item, plannedSnapshot(planned, item));
      const status = result.gone ? 'gone' : result.conflict ? 'conflict' : result.applied ? 'applied' : 'already';
      return { status, detail: result.detail };
    },
    async verify(anySystem, item) {
      const system = asAwsSystem(anySystem);
      return verifyAws(await sessionFor(system), system, item);
    },
    async restore(anySystem, item, snapshot) {
      const system = asAwsSystem(anySystem);
      const result = await restoreAws(await sessionFor(system), system, plannedSnapshot(snapshot, item), item);
      const status = result.gone ? 'gone' : result.conflict ? 'conflict' : result.restored ? 'restored' : 'already';
      return { status, detail: result.detail };
    },
    async stage(anySystem, item) {
      const system = asAwsSystem(anySystem);
      return stageAws(await sessionFor(system), system, item);
    },
    async unstage(anySystem, item) {
      const system = asAwsSystem(anySystem);
      return unstageAws(await sessionFor(system), system, item);
    },
    close() {
      if (!options.broker) broker.close();
    },
  };
  // own-copy items (a holder's narrowed copy of a shared policy) are aws-copy.ts's, a permission set's
  // inline policy aws-permission-set.ts's
  return withPermissionSets(withOwnCopies(executor, sessionFor), sessionFor);
}
