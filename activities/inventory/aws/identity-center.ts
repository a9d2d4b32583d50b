import type { IAMClient } from '@aws-sdk/client-iam';
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  paginateListAccountsForProvisionedPermissionSet,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import {
  type IdentitystoreClient,
  ListGroupMembershipsCommand,
  ListGroupsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-identitystore';
import type { ActionCatalogue, GrantPath, Identity } from '../../../domain/inventory/model';
import type { AwsSystem } from '../../cloud/aws/errors';
import { isAwsError, isResourceNotFound } from '../../cloud/aws/errors';
import { managedDocument, type RunMemory } from './authorization';
import { DocumentBatch } from './documents';
import { partitionOf } from './sessions';
import { AwsSkipReason } from './skip-reasons';

/**
 * The `identity-center` step, in three phases each paged by its own token: permission sets (their
 * policies as documents, the accounts each is provisioned to, their assignments on this account as grant
 * paths), directory users, and directory groups with their members.
 *
 * An assignment is written as Identity Center holds it: a user's own assignment on the user, a group's
 * on the group. A member reaches its group's permission sets through its membership, as every reader of
 * the inventory follows it; so a user's own `permission-set` path always means its own assignment, and
 * the cleanup can tell it from its group's.
 */

type Phase = 'permission-sets' | 'users' | 'groups';
const PHASES: Phase[] = ['permission-sets', 'users', 'groups'];

export interface IdentityCenterPage {
  identities: Identity[];
  grantPaths: GrantPath[];
  documents: DocumentBatch;
  next?: string;
}

export interface IdentityCenterClients {
  iam: IAMClient;
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
}

/** Identity Center users and groups have ARNs without region or account: `arn:aws:identitystore:::user/<id>`. */
export function ssoUserId(partition: string, userId: string): string {
  return `arn:${partition}:identitystore:::user/${userId}`;
}

export function ssoGroupId(partition: string, groupId: string): string {
  return `arn:${partition}:identitystore:::group/${groupId}`;
}

export async function identityCenterPage(
  clients: IdentityCenterClients,
  system: AwsSystem,
  catalogue: ActionCatalogue,
  cursor: string | undefined,
  memory: RunMemory,
  options: { pageSize: number; heartbeat: () => void },
): Promise<IdentityCenterPage> {
  const center = system.identityCenter;
  const documents = new DocumentBatch(catalogue);
  if (!center) return { identities: [], grantPaths: [], documents };
  const { phase, token } = readCursor(cursor);
  const partition = partitionOf(system);
  const page: IdentityCenterPage = { identities: [], grantPaths: [], documents };
  const store = { IdentityStoreId: center.identityStoreId };
  let nextToken: string | undefined;

  if (phase === 'permission-sets') {
    const listed = await clients.ssoAdmin.send(
      new ListPermissionSetsCommand({
        InstanceArn: center.instanceArn,
        NextToken: token,
        MaxResults: options.pageSize,
      }),
    );
    for (const arn of listed.PermissionSets ?? []) {
      await permissionSet(clients, system, partition, arn, memory, page);
      options.heartbeat();
    }
    nextToken = listed.NextToken;
  } else if (phase === 'users') {
    const listed = await clients.identityStore.send(
      new ListUsersCommand({ ...store, NextToken: token, MaxResults: options.pageSize }),
    );
    for (const user of listed.Users ?? []) {
      const email = user.Emails?.find((e) => e.Primary)?.Value ?? user.Emails?.[0]?.Value;
      page.identities.push({
        systemId: system.id,
        id: ssoUserId(partition, user.UserId!),
        kind: 'aws-sso-user',
        name: user.UserName ?? user.UserId!,
        nature: 'human',
        tags: email ? { email } : {},
        ...(email ? { owner: email } : {}),
      });
    }
    nextToken = listed.NextToken;
  } else {
    const listed = await clients.identityStore.send(
      new ListGroupsCommand({ ...store, NextToken: token, MaxResults: options.pageSize }),
    );
    for (const group of listed.Groups ?? []) {
      const groupId = ssoGroupId(partition, group.GroupId!);
      page.identities.push({
        systemId: system.id,
        id: groupId,
        kind: 'aws-sso-group',
        name: group.DisplayName ?? group.GroupId!,
        nature: 'group',
        tags: {},
      });
      for (const member of await groupMembers(clients.identityStore, center.identityStoreId, group.GroupId!)) {
        page.grantPaths.push({
          systemId: system.id,
          identityId: ssoUserId(partition, member),
          kind: 'group-membership',
          via: groupId,
          scope: '*',
          conditional: false,
        });
      }
      options.heartbeat();
    }
    nextToken = listed.NextToken;
  }
  page.next = nextCursor(phase, nextToken);
  return page;
}

/** A permission set: an identity of its own, holding its documents; assignments on this account link people to it. */
async function permissionSet(
  clients: IdentityCenterClients,
  system: AwsSystem,
  partition: string,
  permissionSetArn: string,
  memory: RunMemory,
  page: IdentityCenterPage,
): Promise<void> {
  const center = system.identityCenter!;
  const ref = { InstanceArn: center.instanceArn, PermissionSetArn: permissionSetArn };
  let described;
  try {
    described = await clients.ssoAdmin.send(new DescribePermissionSetCommand(ref));
  } catch (error) {
    if (!isResourceNotFound(error)) throw error;
    page.documents.skipped.push({ reason: AwsSkipReason.EntityGone, item: permissionSetArn });
    return;
  }
  const name = described.PermissionSet?.Name ?? permissionSetArn;
  const provisionedAccounts = await accountsOf(clients.ssoAdmin, ref, page);
  page.identities.push({
    systemId: system.id,
    id: permissionSetArn,
    kind: 'aws-permission-set',
    name,
    nature: 'group',
    tags: {},
    createdAt: described.PermissionSet?.CreatedDate?.toISOString(),
    ...(provisionedAccounts ? { provisionedAccounts } : {}),
  });
  const path = (kind: GrantPath['kind'], documentId: string, via: string): void => {
    page.grantPaths.push({
      systemId: system.id,
      identityId: permissionSetArn,
      kind,
      documentId,
      via,
      scope: system.accountId,
      conditional: false,
    });
  };

  const inline = (await clients.ssoAdmin.send(new GetInlinePolicyForPermissionSetCommand(ref))).InlinePolicy;
  if (inline) {
    const id = page.documents.addText(inline, `${permissionSetArn}#inline`, false);
    if (id) path('inline-policy', id, `${name} inline policy`);
  }
  for (const policy of (await clients.ssoAdmin.send(new ListManagedPoliciesInPermissionSetCommand(ref)))
    .AttachedManagedPolicies ?? []) {
    if (!policy.Arn) continue;
    const id = await managedDocument(clients.iam, policy.Arn, page.documents, memory);
    if (id) path('managed-policy', id, policy.Arn);
  }
  // a customer-managed reference names a policy that must exist, by name and path, in each assigned account
  for (const reference of (
    await clients.ssoAdmin.send(new ListCustomerManagedPolicyReferencesInPermissionSetCommand(ref))
  ).CustomerManagedPolicyReferences ?? []) {
    const arn = `arn:${partition}:iam::${system.accountId}:policy${reference.Path ?? '/'}${reference.Name}`;
    const id = await managedDocument(clients.iam, arn, page.documents, memory);
    if (id) path('managed-policy', id, arn);
  }

  let token: string | undefined;
  do {
    const assignments = await clients.ssoAdmin.send(
      new ListAccountAssignmentsCommand({ ...ref, AccountId: system.accountId, NextToken: token }),
    );
    for (const assignment of assignments.AccountAssignments ?? []) {
      if (!assignment.PrincipalId) continue;
      const assigned = (identityId: string): void => {
        page.grantPaths.push({
          systemId: system.id,
          identityId,
          kind: 'permission-set',
          via: permissionSetArn,
          scope: system.accountId,
          conditional: false,
        });
      };
      // a group's members hold it through their membership (the groups phase), not as their own
      if (assignment.PrincipalType === 'GROUP') assigned(ssoGroupId(partition, assignment.PrincipalId));
      else assigned(ssoUserId(partition, assignment.PrincipalId));
    }
    token = assignments.NextToken;
  } while (token);
}

/**
 * Every account the permission set is provisioned to, this system's and others: a set may be assigned in
 * accounts whose use this system does not see. Undefined (and counted skipped) when the reader may not ask.
 */
async function accountsOf(
  sso: SSOAdminClient,
  ref: { InstanceArn: string; PermissionSetArn: string },
  page: IdentityCenterPage,
): Promise<string[] | undefined> {
  const accounts = new Set<string>();
  try {
    // a copy: the paginator writes its NextToken into the input it is given
    for await (const listed of paginateListAccountsForProvisionedPermissionSet({ client: sso }, { ...ref }))
      for (const account of listed.AccountIds ?? []) accounts.add(account);
  } catch (error) {
    if (!isAwsError(error, 'AccessDeniedException', 'AccessDenied')) throw error;
    page.documents.skipped.push({
      reason: AwsSkipReason.PermissionSetAccountsUnread,
      item: ref.PermissionSetArn,
      detail: (error as Error).message,
    });
    return undefined;
  }
  return [...accounts].sort();
}

async function groupMembers(
  identityStore: IdentitystoreClient,
  identityStoreId: string,
  groupId: string,
): Promise<string[]> {
  const members: string[] = [];
  let token: string | undefined;
  do {
    const page = await identityStore.send(
      new ListGroupMembershipsCommand({ IdentityStoreId: identityStoreId, GroupId: groupId, NextToken: token }),
    );
    for (const membership of page.GroupMemberships ?? []) {
      const userId = membership.MemberId && 'UserId' in membership.MemberId ? membership.MemberId.UserId : undefined;
      if (userId) members.push(userId);
    }
    token = page.NextToken;
  } while (token);
  return members;
}

function readCursor(cursor: string | undefined): { phase: Phase; token?: string } {
  if (!cursor) return { phase: 'permission-sets' };
  const at = cursor.indexOf(':');
  const phase = (at < 0 ? cursor : cursor.slice(0, at)) as Phase;
  if (!PHASES.includes(phase)) throw new Error(`identity-center cursor "${cursor}" names no phase`);
  return { phase, token: at < 0 ? undefined : cursor.slice(at + 1) };
}

/** `phase:token` within a phase; the next phase (no token) when this one is done; none after the last. */
function nextCursor(phase: Phase, token: string | undefined): string | undefined {
  if (token) return `${phase}:${token}`;
  return PHASES[PHASES.indexOf(phase) + 1];
}
