import type { AuthorizationManagementClient, RoleAssignment } from '@azure/arm-authorization';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { CloudPrincipal, GrantReceipt, LeaseSpec, Presence } from '../../../domain/lease';
import type { GrantSpec } from '../../../domain/policy/schema';
import { type Consistency, readUntil } from './consistency';
import { type AzureSystem, isArmError, isNotFound } from './errors';
import {
  fullRoleDefinitionId,
  leaseDescription,
  portalUrl,
  roleAssignmentKey,
  roleAssignmentName,
  roleDefinitionGuid,
  armScope,
} from './names';

/**
 * A standard Azure RBAC role assignment per lease, named by UUID v5 of the lease id. Unlike PIM, a
 * plain role assignment has no expiry of its own: the workflow's durable timer is the clock that ends
 * it, so `extend` has nothing to move in Azure. The description carries the lease id and the expiry so
 * reconciliation can read them back.
 */

export type RoleGrant = Extract<GrantSpec, { kind: 'azure-role-assignment' }>;

export function objectIdOf(principal: CloudPrincipal): string {
  if (principal.kind === 'azure-object') return principal.objectId;
  throw new DomainError(
    ErrorCode.CloudPrincipalUnknown,
    `An Azure role can only be assigned to an Entra object, not to a ${principal.kind}.`,
  );
}

function roleGrantOf(lease: LeaseSpec): RoleGrant {
  if (lease.grant.kind !== 'azure-role-assignment')
    throw new Error(`not an azure-role-assignment lease: ${lease.grant.kind}`);
  return lease.grant;
}

/** The assignment, or undefined when it (or its whole scope) is not there. */
export async function readAssignment(
  client: AuthorizationManagementClient,
  scope: string,
  name: string,
): Promise<RoleAssignment | undefined> {
  try {
    return await client.roleAssignments.get(armScope(scope), name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The role's display name, which also proves the role definition exists before anything is written. */
export async function roleName(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  scope: string,
  roleDefinitionId: string,
): Promise<string> {
  const guid = roleDefinitionGuid(fullRoleDefinitionId(system, roleDefinitionId))!;
  try {
    const definition = await client.roleDefinitions.get(armScope(scope), guid);
    return definition.roleName ?? guid;
  } catch (error) {
    // a missing scope answers 404 too, with its own code, and is reported as such by withAzureErrors
    if (!isArmError(error, 'RoleDefinitionDoesNotExist', 'RoleDefinitionNotFound')) throw error;
    throw new DomainError(
      ErrorCode.CloudPermissionSetUnknown,
      `Azure has no role definition ${guid} at ${scope} (${system.id}). Fix roleDefinitionId in the policy file's entitlement.`,
    );
  }
}

export async function grantRoleAssignment(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  lease: LeaseSpec,
  consistency: Consistency,
): Promise<GrantReceipt> {
  const { scope } = roleGrantOf(lease);
  const principalId = objectIdOf(lease.principal);
  const roleDefinitionId = fullRoleDefinitionId(system, roleGrantOf(lease).roleDefinitionId);
  const name = roleAssignmentName(lease.leaseId);
  const role = await roleName(client, system, scope, roleDefinitionId);
  const display = lease.principal.kind === 'azure-object' ? lease.principal.display : principalId;

  let created = false;
  let visible = (await readAssignment(client, scope, name)) !== undefined;
  if (!visible) {
    try {
      await client.roleAssignments.create(armScope(scope), name, {
        roleDefinitionId,
        principalId,
        principalType: 'User',
        description: leaseDescription(lease.leaseId, lease.expiresAt),
      });
      created = true;
    } catch (error) {
      // ours, made by an earlier attempt the GET did not see yet, or someone else's with the same content
      if (!isArmError(error, 'RoleAssignmentExists')) throw error;
    }
    visible =
      (await readUntil(
        consistency,
        () => readAssignment(client, scope, name),
        (found) => found !== undefined,
      )) !== undefined;
    // thrown as is, so the activity retries; the retry finds the assignment by its name
    if (!visible && created)
      throw new Error(`role assignment ${name} at ${scope} is not visible yet after it was created`);
  }
  const heldElsewhere = !visible;
  return {
    created,
    key: roleAssignmentKey(scope, name),
    detail: heldElsewhere
      ? `${display} already holds ${role} at ${scope} through a role assignment Least did not make; Least added none and will not remove that one.`
      : `Role assignment ${name} gives ${display} the ${role} role at ${scope} until ${lease.expiresAt}.`,
    access: {
      summary: `You have the ${role} role at ${scope} until ${lease.expiresAt}; use the Azure portal, CLI or SDK as usual.`,
      url: portalUrl(system, scope),
    },
  };
}

/** Deletes the assignment; one already gone, or whose scope is gone, is fine. */
export async function deleteAssignment(
  client: AuthorizationManagementClient,
  scope: string,
  name: string,
): Promise<void> {
  try {
    // ARM answers 204 for an assignment that is not there; 404 means the scope itself is gone
    await client.roleAssignments.delete(armScope(scope), name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export async function revokeRoleAssignment(client: AuthorizationManagementClient, lease: LeaseSpec): Promise<void> {
  await deleteAssignment(client, roleGrantOf(lease).scope, roleAssignmentName(lease.leaseId));
}

export async function checkRoleAssignment(
  client: AuthorizationManagementClient,
  lease: LeaseSpec,
  consistency: Consistency,
): Promise<Presence> {
  const { scope } = roleGrantOf(lease);
  const name = roleAssignmentName(lease.leaseId);
  // a read right after the DELETE may still see it: only a sighting that outlasts the schedule counts
  const found = await readUntil(
    consistency,
    () => readAssignment(client, scope, name),
    (assignment) => assignment === undefined,
  );
  if (!found)
    return { present: false, detail: `ARM has no role assignment ${name} at ${scope} (RoleAssignmentNotFound).` };
  return {
    present: true,
    detail: `Role assignment ${name} at ${scope} gives ${found.principalId} role ${found.roleDefinitionId} ("${found.description ?? ''}").`,
  };
}
