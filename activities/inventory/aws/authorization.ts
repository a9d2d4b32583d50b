import {
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type IAMClient,
  ListGroupsForUserCommand,
} from '@aws-sdk/client-iam';
import type { ActionCatalogue, GrantPath, Identity, SkippedItem } from '../../../domain/inventory/model';
import { isNoSuchEntity } from '../../cloud/aws/errors';
import type { AwsSystem } from '../../cloud/aws/errors';
import { readCredentialReport, type CredentialRow, type ReportPolling } from './credential-report';
import { DocumentBatch, isAwsManagedPolicy } from './documents';
import { type DetailsMemory, mapAuthorizationDetails } from './offline';
import { AwsSkipReason } from './skip-reasons';

/**
 * The `authorization` step: one GetAccountAuthorizationDetails page per activity, mapped by
 * mapAuthorizationDetails (offline.ts, shared with `least inventory import`). Users, roles and groups
 * become identities; every managed policy's default version and every inline body becomes a document
 * (by content); attachments, inline policies, group memberships and permissions boundaries become grant
 * paths. What a page names but does not hold (a policy listed on another page, a user's group ARNs) is
 * asked of IAM.
 */

export interface AuthorizationPage {
  identities: Identity[];
  grantPaths: GrantPath[];
  documents: DocumentBatch;
  next?: string;
}

/** What the step remembers between pages of one run in one process; a new process rebuilds it by asking IAM. */
export interface RunMemory extends DetailsMemory {
  credentialReport?: Promise<Map<string, CredentialRow>>;
}

export function newRunMemory(): RunMemory {
  return { policyDocuments: new Map(), groupArns: new Map() };
}

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

  const { identities, grantPaths } = await mapAuthorizationDetails(details, system.id, documents, memory, {
    managedDocument: (arn) => managedDocument(iam, arn, documents, memory),
    groupArns: (userName, names) => groupsOf(iam, userName, names, memory, documents.skipped),
    credentialRow: (arn) => report.get(arn),
  });
  return { identities, grantPaths, documents, next: details.IsTruncated ? details.Marker : undefined };
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
