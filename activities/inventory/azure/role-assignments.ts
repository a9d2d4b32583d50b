import type { RoleAssignment, RoleDefinition } from '@azure/arm-authorization';
import { expandAzureRole, type AzureActionCatalogue } from '../../../domain/inventory/azure-role';
import type { DocumentAction, GrantPath, PolicyDocument, SkippedItem } from '../../../domain/inventory/model';
import { authorizationSdk } from '../../cloud/azure/connections';
import type { AzureSystem } from '../../cloud/azure/errors';
import { armStatus } from '../../cloud/azure/errors';
import { contentId } from '../documents';
import type { CollectContext, PageResult } from '../collector';
import type { AzureInventoryClients } from './clients';

/**
 * One page of the subscription's role assignments (ARM lists those at the subscription, at every
 * resource group and resource under it, and those inherited from management groups above), the role
 * definitions they use, each expanded once, and a grant path per assignment.
 */

export const AzureRoleSkipReason = {
  /** The assignment names a role definition ARM no longer has (deleted between list and get). */
  RoleDefinitionMissing: 'azure.role-definition.missing',
  /** An assignment without a principal, scope or role definition. */
  AssignmentInvalid: 'azure.role-assignment.invalid',
} as const;

/** The stored body of a role definition: what decides its actions, not when it was last touched. */
function definitionBody(definition: RoleDefinition): Record<string, unknown> {
  return {
    id: definition.id,
    roleName: definition.roleName,
    roleType: definition.roleType,
    description: definition.description,
    permissions: definition.permissions,
    assignableScopes: definition.assignableScopes,
  };
}

export async function collectRoleAssignmentPage(
  clients: AzureInventoryClients,
  system: AzureSystem,
  cursor: string | undefined,
  context: CollectContext,
  catalogue: AzureActionCatalogue,
  /** Role definition id (lower case) → document id, for the run: each definition is read once. */
  known: Map<string, string | null>,
): Promise<PageResult> {
  const client = clients.arm(system);
  const pages = client.roleAssignments.listForSubscription().byPage(cursor ? { continuationToken: cursor } : {});
  const first = await pages.next();
  const assignments: RoleAssignment[] = first.done ? [] : first.value;
  const next = first.done ? undefined : authorizationSdk().getContinuationToken(first.value);

  const skipped: SkippedItem[] = [];
  // remembered for the run only once the sink holds them, so a failed page is repeated in full
  const learned = new Map<string, string | null>();
  const documentOf = (roleDefinitionId: string): string | null | undefined =>
    learned.has(roleDefinitionId) ? learned.get(roleDefinitionId) : known.get(roleDefinitionId);
  const documents: { document: PolicyDocument; actions: DocumentAction[] }[] = [];
  for (const roleDefinitionId of new Set(assignments.map((a) => a.roleDefinitionId?.toLowerCase() ?? ''))) {
    if (!roleDefinitionId || known.has(roleDefinitionId)) continue;
    let definition: RoleDefinition;
    try {
      definition = await client.roleDefinitions.getById(roleDefinitionId);
    } catch (error) {
      if (armStatus(error) !== 404) throw error;
      learned.set(roleDefinitionId, null);
      skipped.push({ reason: AzureRoleSkipReason.RoleDefinitionMissing, item: roleDefinitionId });
      continue;
    }
    const body = definitionBody(definition);
    const id = contentId(body);
    const expanded = expandAzureRole(catalogue, id, body);
    skipped.push(
      ...expanded.skipped.map((item) => ({
        ...item,
        item: `${definition.roleName ?? roleDefinitionId}: ${item.item}`,
      })),
    );
    documents.push({
      document: {
        id,
        cloud: 'azure',
        kind: 'azure-role-definition',
        name: definition.roleName ?? roleDefinitionId,
        managedByCloud: definition.roleType === 'BuiltInRole',
        body,
      },
      actions: expanded.actions,
    });
    learned.set(roleDefinitionId, id);
    context.heartbeat({ roleDefinitionId });
  }

  const paths: GrantPath[] = [];
  for (const assignment of assignments) {
    const documentId = documentOf(assignment.roleDefinitionId?.toLowerCase() ?? '');
    if (!assignment.principalId || !assignment.scope || documentId === undefined) {
      skipped.push({ reason: AzureRoleSkipReason.AssignmentInvalid, item: assignment.id ?? '(no id)' });
      continue;
    }
    if (documentId === null) continue; // its definition is gone: already reported
    paths.push({
      systemId: system.id,
      identityId: assignment.principalId.toLowerCase(),
      kind: 'role-assignment',
      documentId,
      via: assignment.id ?? `${assignment.scope}/${assignment.name ?? ''}`,
      scope: assignment.scope,
      conditional: Boolean(assignment.condition),
    });
  }

  if (documents.length > 0) await context.sink.documents(documents);
  if (paths.length > 0) await context.sink.grantPaths(paths);
  if (skipped.length > 0) await context.sink.skipped(skipped);
  for (const [roleDefinitionId, documentId] of learned) known.set(roleDefinitionId, documentId);
  return {
    ...(next ? { next } : {}),
    counts: {
      roleAssignments: assignments.length,
      documents: documents.length,
      grantPaths: paths.length,
      skipped: skipped.length,
    },
  };
}
