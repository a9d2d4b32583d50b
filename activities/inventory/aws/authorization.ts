import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
  type IAMClient,
  ListGroupsForUserCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import type {
  ActionCatalogue,
  GrantPath,
  Identity,
  IdentityNature,
  SkippedItem,
} from '../../../domain/inventory/model';
import { isNoSuchEntity } from '../../cloud/aws/errors';
import type { AwsSystem } from '../../cloud/aws/errors';
import { readCredentialReport, type CredentialRow, type ReportPolling } from './credential-report';
import { DocumentBatch, isAwsManagedPolicy, parsePolicyText } from './documents';
import { AwsSkipReason } from './skip-reasons';

/**
 * The `authorization` step: one GetAccountAuthorizationDetails page per activity. Users, roles and
 * groups become identities; every managed policy's default version and every inline body becomes a
 * document (by content); attachments, inline policies, group memberships and permissions boundaries
 * become grant paths.
 */

export interface AuthorizationPage {
  identities: Identity[];
  grantPaths: GrantPath[];
  documents: DocumentBatch;
  next?: string;
}

/** What the step remembers between pages of one run in one process; a new process rebuilds it by asking IAM. */
export interface RunMemory {
  /** Managed policy ARN → content id of its default version. */
  policyDocuments: Map<string, string>;
  /** Group name → ARN. */
  groupArns: Map<string, string>;
  credentialReport?: Promise<Map<string, CredentialRow>>;
}

export function newRunMemory(): RunMemory {
  return { policyDocuments: new Map(), groupArns: new Map() };
}

const IAM_SCOPE = '*';

export async function authorizationPage(
  iam: IAMClient,
  system: AwsSystem,
  catalogue: ActionCatalogue,
  marker: string | undefined,
  memory: RunMemory,
  options: { pageSize: number; reportPolling: ReportPolling; heartbeat: () => void },
): Promise<AuthorizationPage> {
  const documents = new DocumentBatch(catalogue);
  memory.credentialReport ??= readCredentialReport(iam, options.reportPolling).then(({ rows, malformed }) => {
    documents.skipped.push(...malformed.map((item) => ({ reason: AwsSkipReason.CredentialReportMalformed, item })));
    return rows;
  });
  memory.credentialReport.catch(() => (memory.credentialReport = undefined));
  const [details, report] = await Promise.all([
    iam.send(
      new GetAccountAuthorizationDetailsCommand({
        Filter: ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'],
        MaxItems: options.pageSize,
        Marker: marker,
      }),
    ),
    memory.credentialReport,
  ]);
  options.heartbeat();

  managedPolicies(details, documents, memory);
  for (const group of details.GroupDetailList ?? []) {
    if (group.GroupName && group.Arn) memory.groupArns.set(group.GroupName, group.Arn);
  }

  const identities: Identity[] = [];
  const grantPaths: GrantPath[] = [];
  const path = (identityId: string, kind: GrantPath['kind'], documentId?: string, via?: string): void => {
    grantPaths.push({ systemId: system.id, identityId, kind, documentId, via, scope: IAM_SCOPE, conditional: false });
  };
  const inline = (identityId: string, list: { PolicyName?: string; PolicyDocument?: string }[] | undefined): void => {
    for (const policy of list ?? []) {
      const id = documents.addText(policy.PolicyDocument, `${identityId}#${policy.PolicyName ?? '?'}`, false);
      if (id) path(identityId, 'inline-policy', id, policy.PolicyName);
    }
  };
  const attached = async (identityId: string, list: { PolicyArn?: string }[] | undefined): Promise<void> => {
    for (const { PolicyArn } of list ?? []) {
      if (!PolicyArn) continue;
      const id = await managedDocument(iam, PolicyArn, documents, memory);
      if (id) path(identityId, 'managed-policy', id, PolicyArn);
    }
  };
  const boundary = async (identityId: string, arn: string | undefined): Promise<void> => {
    if (!arn) return;
    const id = await managedDocument(iam, arn, documents, memory);
    if (id) path(identityId, 'permissions-boundary', id, arn);
  };

  for (const group of details.GroupDetailList ?? []) {
    if (!group.Arn) continue;
    identities.push({
      ...base(system, group.Arn, 'aws-iam-group', group.GroupName, 'group', group.Path),
      createdAt: iso(group.CreateDate),
    });
    inline(group.Arn, group.GroupPolicyList);
    await attached(group.Arn, group.AttachedManagedPolicies);
  }

  for (const user of details.UserDetailList ?? []) {
    if (!user.Arn) continue;
    const row = report.get(user.Arn);
    identities.push({
      ...base(
        system,
        user.Arn,
        'aws-iam-user',
        user.UserName,
        row && !row.passwordEnabled ? 'workload' : 'human',
        user.Path,
      ),
      ...tagged(user.Tags),
      createdAt: iso(user.CreateDate),
      lastActivityAt: latest([row?.passwordLastUsed, ...(row?.keysLastUsed ?? [])]),
    });
    inline(user.Arn, user.UserPolicyList);
    await attached(user.Arn, user.AttachedManagedPolicies);
    await boundary(user.Arn, user.PermissionsBoundary?.PermissionsBoundaryArn);
    const groupArns = await groupsOf(iam, user.UserName ?? '', user.GroupList ?? [], memory, documents.skipped);
    for (const groupArn of groupArns) path(user.Arn, 'group-membership', undefined, groupArn);
  }

  for (const role of details.RoleDetailList ?? []) {
    if (!role.Arn) continue;
    const trust = role.AssumeRolePolicyDocument ? parsePolicyText(role.AssumeRolePolicyDocument) : undefined;
    identities.push({
      ...base(system, role.Arn, 'aws-iam-role', role.RoleName, roleNature(role.Path, trust), role.Path),
      ...tagged(role.Tags),
      createdAt: iso(role.CreateDate),
      lastActivityAt: iso(role.RoleLastUsed?.LastUsedDate),
      ...(trust && 'body' in trust ? { trustPolicy: trust.body } : {}),
    });
    inline(role.Arn, role.RolePolicyList);
    await attached(role.Arn, role.AttachedManagedPolicies);
    await boundary(role.Arn, role.PermissionsBoundary?.PermissionsBoundaryArn);
  }

  return { identities, grantPaths, documents, next: details.IsTruncated ? details.Marker : undefined };
}

function base(
  system: AwsSystem,
  arn: string,
  kind: Identity['kind'],
  name: string | undefined,
  nature: IdentityNature,
  path: string | undefined,
): Identity {
  return { systemId: system.id, id: arn, kind, name: name ?? arn, nature, tags: {}, path };
}

/** Tags as a map; an `owner` tag (any case) names who answers for the identity. */
function tagged(tags: Tag[] | undefined): Pick<Identity, 'tags' | 'owner'> {
  const map: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.Key) map[tag.Key] = tag.Value ?? '';
  const ownerKey = Object.keys(map).find((key) => key.toLowerCase() === 'owner');
  return ownerKey ? { tags: map, owner: map[ownerKey] } : { tags: map };
}

/** People reach roles through Identity Center or SAML federation; every other role is a workload's. */
function roleNature(
  path: string | undefined,
  trust: { body: unknown } | { error: string } | undefined,
): IdentityNature {
  if (path?.startsWith('/aws-reserved/sso.amazonaws.com/')) return 'human';
  const text = trust && 'body' in trust ? JSON.stringify(trust.body) : '';
  return /saml-provider\/|sts:AssumeRoleWithSAML/.test(text) ? 'human' : 'workload';
}

function iso(date: Date | undefined): string | undefined {
  return date ? date.toISOString() : undefined;
}

function latest(dates: (string | undefined)[]): string | undefined {
  const known = dates.filter((date): date is string => Boolean(date)).sort();
  return known[known.length - 1];
}

/** Managed policies on this page: their default versions become documents and are remembered by ARN. */
function managedPolicies(
  details: GetAccountAuthorizationDetailsCommandOutput,
  documents: DocumentBatch,
  memory: RunMemory,
): void {
  for (const policy of details.Policies ?? []) {
    if (!policy.Arn) continue;
    const awsManaged = isAwsManagedPolicy(policy.Arn);
    // AWS keeps ~1,500 policies of its own; only those something holds matter here
    if (awsManaged && !policy.AttachmentCount && !policy.PermissionsBoundaryUsageCount) continue;
    const version = policy.PolicyVersionList?.find((v) => v.IsDefaultVersion);
    const id = documents.addText(version?.Document, `${policy.Arn}:${version?.VersionId ?? '?'}`, awsManaged);
    if (id) memory.policyDocuments.set(policy.Arn, id);
  }
}

/** A policy held on this page but listed on another (or not at all): IAM is asked for its default version. */
export async function managedDocument(
  iam: IAMClient,
  arn: string,
  documents: DocumentBatch,
  memory: RunMemory,
): Promise<string | undefined> {
  const known = memory.policyDocuments.get(arn);
  if (known && documents.has(known)) return known;
  try {
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const versionId = policy.Policy?.DefaultVersionId;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
    const id = documents.addText(
      version.PolicyVersion?.Document,
      `${arn}:${versionId ?? '?'}`,
      isAwsManagedPolicy(arn),
    );
    if (id) memory.policyDocuments.set(arn, id);
    return id;
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
    documents.skipped.push({ reason: AwsSkipReason.EntityGone, item: arn, detail: 'policy deleted while listing' });
    return undefined;
  }
}

/** Group ARNs of a user's groups (GAAD names them only); unknown names are asked of IAM once per user. */
async function groupsOf(
  iam: IAMClient,
  userName: string,
  names: string[],
  memory: RunMemory,
  skipped: SkippedItem[],
): Promise<string[]> {
  if (names.every((name) => memory.groupArns.has(name))) return names.map((name) => memory.groupArns.get(name)!);
  try {
    let marker: string | undefined;
    do {
      const page = await iam.send(new ListGroupsForUserCommand({ UserName: userName, Marker: marker }));
      for (const group of page.Groups ?? [])
        if (group.GroupName && group.Arn) memory.groupArns.set(group.GroupName, group.Arn);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
    skipped.push({ reason: AwsSkipReason.EntityGone, item: userName, detail: 'user deleted while listing' });
    return [];
  }
  return names.flatMap((name) => memory.groupArns.get(name) ?? []);
}
