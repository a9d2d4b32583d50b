import type {
  AuthorizationManagementClient,
  RoleAssignmentScheduleInstance,
  RoleAssignmentScheduleRequest,
} from '@azure/arm-authorization';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { GrantReceipt, LeaseSpec, Presence } from '../../../domain/lease';
import type { GrantSpec } from '../../../domain/policy/schema';
import { type Consistency, readUntil } from './consistency';
import { type AzureSystem, isArmError, isNotFound } from './errors';
import {
  fullRoleDefinitionId,
  pimExtendName,
  pimJustification,
  pimKey,
  pimRequestName,
  portalUrl,
  roleDefinitionGuid,
  sameScope,
  uuidV5,
  armScope,
} from './names';
import { objectIdOf, roleName } from './role-assignments';

/**
 * A PIM active assignment per lease, made by a role assignment schedule request with an end time:
 * Azure itself ends the access at `endDateTime`, even if Least never runs the revoke. Requests are
 * immutable and named by UUID v5 of the lease id and step, so a retried step finds its own request.
 */

export type PimGrant = Extract<GrantSpec, { kind: 'azure-pim-activation' }>;

/** Codes ARM uses for "a request with this name exists already". */
const REQUEST_EXISTS = ['RoleAssignmentRequestExists', 'RoleAssignmentScheduleRequestExists'];

interface Target {
  scope: string;
  roleDefinitionId: string;
  roleGuid: string;
  principalId: string;
}

function targetOf(system: AzureSystem, lease: LeaseSpec): Target {
  if (lease.grant.kind !== 'azure-pim-activation')
    throw new Error(`not an azure-pim-activation lease: ${lease.grant.kind}`);
  const roleDefinitionId = fullRoleDefinitionId(system, lease.grant.roleDefinitionId);
  return {
    scope: lease.grant.scope,
    roleDefinitionId,
    roleGuid: roleDefinitionGuid(roleDefinitionId)!,
    principalId: objectIdOf(lease.principal),
  };
}

async function readRequest(
  client: AuthorizationManagementClient,
  scope: string,
  name: string,
): Promise<RoleAssignmentScheduleRequest | undefined> {
  try {
    return await client.roleAssignmentScheduleRequests.get(armScope(scope), name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The principal's time-bound PIM assignment of the role at exactly this scope, if one is active now. */
export async function activeInstance(
  client: AuthorizationManagementClient,
  target: Target,
  now: () => Date,
): Promise<RoleAssignmentScheduleInstance | undefined> {
  const listed = client.roleAssignmentScheduleInstances.listForScope(armScope(target.scope), {
    filter: `principalId eq '${target.principalId}'`,
  });
  for await (const instance of listed) {
    if (!sameScope(instance.scope, target.scope)) continue;
    if (roleDefinitionGuid(instance.roleDefinitionId ?? '') !== target.roleGuid) continue;
    if (instance.principalId?.toLowerCase() !== target.principalId.toLowerCase()) continue;
    // permanent assignments have no end and are not Least's; they are reported as role assignments
    if (instance.endDateTime && instance.endDateTime.getTime() > now().getTime()) return instance;
  }
  return undefined;
}

/** A request that makes the person active in the role from now until the lease ends; Azure ends it then. */
function scheduleRequest(
  target: { principalId: string; roleDefinitionId: string },
  requestType: 'AdminAssign' | 'AdminUpdate',
  lease: LeaseSpec,
  now: () => Date,
) {
  return {
    principalId: target.principalId,
    roleDefinitionId: target.roleDefinitionId,
    requestType,
    justification: pimJustification(lease.leaseId),
    scheduleInfo: {
      startDateTime: now(),
      expiration: { type: 'AfterDateTime' as const, endDateTime: new Date(lease.expiresAt) },
    },
  };
}

export async function grantPim(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  lease: LeaseSpec,
  consistency: Consistency,
  now: () => Date,
): Promise<GrantReceipt> {
  const target = targetOf(system, lease);
  const role = await roleName(client, system, target.scope, target.roleDefinitionId);
  const name = pimRequestName(lease.leaseId, 'assign');
  let created = false;
  if (!(await readRequest(client, target.scope, name))) {
    try {
      await client.roleAssignmentScheduleRequests.create(
        armScope(target.scope),
        name,
        scheduleRequest(target, 'AdminAssign', lease, now),
      );
      created = true;
    } catch (error) {
      // RoleAssignmentExists: the person already holds it actively (an earlier attempt, or someone else)
      if (!isArmError(error, 'RoleAssignmentExists', ...REQUEST_EXISTS)) throw error;
    }
  }
  const instance = await readUntil(
    consistency,
    () => activeInstance(client, target, now),
    (found) => found !== undefined,
  );
  if (!instance)
    throw new Error(
      `PIM assignment of ${target.roleGuid} at ${target.scope} for ${target.principalId} is not active yet (request ${name})`,
    );
  const display = lease.principal.kind === 'azure-object' ? lease.principal.display : target.principalId;
  const until = instance.endDateTime?.toISOString() ?? lease.expiresAt;
  return {
    created,
    key: pimKey(target.scope, target.roleGuid, target.principalId),
    detail: `PIM active assignment (request ${name}) gives ${display} the ${role} role at ${target.scope}; Azure ends it at ${until}.`,
    access: {
      summary: `You have the ${role} role at ${target.scope} until ${until}; Azure removes it then by itself.`,
      url: portalUrl(system, target.scope),
    },
  };
}

/** Moves the end of the active assignment with an AdminUpdate request (AdminExtend is only for assignments close to expiry). */
export async function extendPim(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  lease: LeaseSpec,
  now: () => Date,
): Promise<void> {
  const target = targetOf(system, lease);
  const name = pimExtendName(lease.leaseId, lease.expiresAt);
  if (await readRequest(client, target.scope, name)) return;
  try {
    await client.roleAssignmentScheduleRequests.create(
      armScope(target.scope),
      name,
      scheduleRequest(target, 'AdminUpdate', lease, now),
    );
  } catch (error) {
    if (isArmError(error, ...REQUEST_EXISTS)) return;
    if (!isArmError(error, 'RoleAssignmentDoesNotExist')) throw error;
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `The PIM assignment of lease ${lease.leaseId} at ${target.scope} no longer exists in Azure, so it cannot be extended.`,
    );
  }
}

async function requestRemoval(
  client: AuthorizationManagementClient,
  target: Target,
  leaseId: string,
  name: string,
): Promise<'sent' | 'exists' | 'gone'> {
  try {
    await client.roleAssignmentScheduleRequests.create(armScope(target.scope), name, {
      principalId: target.principalId,
      roleDefinitionId: target.roleDefinitionId,
      requestType: 'AdminRemove',
      justification: pimJustification(leaseId),
    });
    return 'sent';
  } catch (error) {
    if (isArmError(error, ...REQUEST_EXISTS)) return 'exists';
    // nothing to remove: expired, removed by someone, or the scope itself is gone
    if (isArmError(error, 'RoleAssignmentDoesNotExist', 'ResourceGroupNotFound') || isNotFound(error)) return 'gone';
    throw error;
  }
}

export async function revokePim(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  lease: LeaseSpec,
  now: () => Date,
): Promise<void> {
  const target = targetOf(system, lease);
  const outcome = await requestRemoval(client, target, lease.leaseId, pimRequestName(lease.leaseId, 'remove'));
  if (outcome !== 'exists') return;
  // The removal was asked for before. If the assignment is still active (that request failed, or the
  // person was assigned again since), ask once more under a name tied to the instance now active.
  const instance = await activeInstance(client, target, now);
  if (instance?.name)
    await requestRemoval(client, target, lease.leaseId, uuidV5(`${lease.leaseId}:remove:${instance.name}`));
}

export async function checkPim(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  lease: LeaseSpec,
  consistency: Consistency,
  now: () => Date,
): Promise<Presence> {
  const target = targetOf(system, lease);
  const found = await readUntil(
    consistency,
    () => activeInstance(client, target, now),
    (instance) => instance === undefined,
  );
  if (!found) {
    return {
      present: false,
      detail: `ARM lists no active PIM assignment of ${target.roleGuid} at ${target.scope} for ${target.principalId}.`,
    };
  }
  return {
    present: true,
    detail: `PIM assignment instance ${found.name} at ${target.scope} gives ${target.principalId} role ${target.roleGuid} until ${found.endDateTime?.toISOString()}.`,
  };
}
