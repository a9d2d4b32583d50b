import type { AuthorizationManagementClient, RoleAssignmentScheduleInstance } from '@azure/arm-authorization';
import type { CloudPrincipal, ObservedGrant } from '../../../domain/lease';
import type { Policy } from '../../../domain/policy/schema';
import type { AzureSystem } from './errors';
import {
  leaseFromDescription,
  pimKey,
  pimRequestName,
  roleAssignmentKey,
  roleAssignmentName,
  roleDefinitionGuid,
  sameScope,
  uuidV5,
  armScope,
} from './names';

/**
 * What reconciliation sees in Azure: at every scope this system's entitlements use, the role
 * assignments of the roles they grant and the time-bound PIM assignments. Least's own carry the lease
 * id (in a role assignment's description, in a PIM request's justification) and are trusted only when
 * their name is the one Least derives from that id; the rest are someone else's.
 */

interface ManagedScope {
  scope: string;
  roles: Set<string>;
  pimRoles: Set<string>;
}

function managedScopes(system: AzureSystem, policy: Policy): ManagedScope[] {
  const scopes = new Map<string, ManagedScope>();
  for (const entitlement of policy.entitlements) {
    const { grant } = entitlement;
    if (entitlement.system !== system.id) continue;
    if (grant.kind !== 'azure-role-assignment' && grant.kind !== 'azure-pim-activation') continue;
    const guid = roleDefinitionGuid(grant.roleDefinitionId);
    if (!guid) continue;
    const key = grant.scope.toLowerCase();
    const managed = scopes.get(key) ?? { scope: grant.scope, roles: new Set<string>(), pimRoles: new Set<string>() };
    managed.roles.add(guid);
    if (grant.kind === 'azure-pim-activation') managed.pimRoles.add(guid);
    scopes.set(key, managed);
  }
  return [...scopes.values()];
}

const principalOf = (objectId: string): Extract<CloudPrincipal, { kind: 'azure-object' }> => ({
  kind: 'azure-object',
  objectId,
  display: objectId,
});
const lastSegment = (id: string | undefined): string => (id ?? '').split('/').pop()!.toLowerCase();

/** principal|role → lease id, from Least's AdminAssign requests at the scope. */
async function pimLeases(client: AuthorizationManagementClient, scope: string): Promise<Map<string, string>> {
  const leases = new Map<string, { leaseId: string; at: number }>();
  for await (const request of client.roleAssignmentScheduleRequests.listForScope(armScope(scope))) {
    if (request.requestType !== 'AdminAssign') continue;
    const leaseId = /^Least lease (\S+)$/.exec(request.justification ?? '')?.[1];
    if (!leaseId || request.name?.toLowerCase() !== pimRequestName(leaseId, 'assign')) continue;
    const key = `${request.principalId?.toLowerCase()}|${roleDefinitionGuid(request.roleDefinitionId ?? '')}`;
    const at = request.createdOn?.getTime() ?? 0;
    if ((leases.get(key)?.at ?? -1) <= at) leases.set(key, { leaseId, at });
  }
  return new Map([...leases].map(([key, { leaseId }]) => [key, leaseId]));
}

async function observePim(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  managed: ManagedScope,
): Promise<{ observed: ObservedGrant[]; originIds: Set<string> }> {
  const observed: ObservedGrant[] = [];
  const originIds = new Set<string>();
  if (managed.pimRoles.size === 0) return { observed, originIds };
  const instances: RoleAssignmentScheduleInstance[] = [];
  for await (const instance of client.roleAssignmentScheduleInstances.listForScope(armScope(managed.scope), {
    filter: 'atScope()',
  })) {
    const guid = roleDefinitionGuid(instance.roleDefinitionId ?? '');
    if (!instance.endDateTime || !instance.principalId || !guid || !sameScope(instance.scope, managed.scope)) continue;
    if (managed.pimRoles.has(guid)) instances.push(instance);
  }
  if (instances.length === 0) return { observed, originIds };
  const leases = await pimLeases(client, managed.scope);
  for (const instance of instances) {
    const principalId = instance.principalId!.toLowerCase();
    const guid = roleDefinitionGuid(instance.roleDefinitionId!)!;
    originIds.add(lastSegment(instance.originRoleAssignmentId));
    const key = pimKey(managed.scope, guid, principalId);
    const leaseId = leases.get(`${principalId}|${guid}`);
    const principal = principalOf(principalId);
    observed.push({
      systemId: system.id,
      ...(leaseId ? { leaseId } : {}),
      key,
      principal,
      description: `PIM assignment of role ${guid} at ${managed.scope} to ${principalId} until ${instance.endDateTime!.toISOString()}`,
      // PIM removes by principal and role, so even someone else's assignment can be removed through a spec
      lease: {
        leaseId: leaseId ?? `reconcile-${uuidV5(key)}`,
        systemId: system.id,
        grant: { kind: 'azure-pim-activation', roleDefinitionId: instance.roleDefinitionId!, scope: managed.scope },
        principal,
        expiresAt: instance.endDateTime!.toISOString(),
      },
    });
  }
  return { observed, originIds };
}

async function observeRoleAssignments(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  managed: ManagedScope,
  fromPim: Set<string>,
  now: () => Date,
): Promise<ObservedGrant[]> {
  const observed: ObservedGrant[] = [];
  // atScope() also lists what is inherited from above; only what sits at the scope itself is ours to see
  for await (const assignment of client.roleAssignments.listForScope(armScope(managed.scope), {
    filter: 'atScope()',
  })) {
    const name = assignment.name?.toLowerCase();
    if (!name || !assignment.principalId || !sameScope(assignment.scope, managed.scope) || fromPim.has(name)) continue;
    const guid = roleDefinitionGuid(assignment.roleDefinitionId ?? '');
    const lease = leaseFromDescription(assignment.description);
    const byLeast = lease !== undefined && roleAssignmentName(lease.leaseId) === name;
    if (!byLeast && !(guid && managed.roles.has(guid))) continue;
    const principal = principalOf(assignment.principalId.toLowerCase());
    const description = `Role assignment ${name} of role ${guid ?? assignment.roleDefinitionId} at ${managed.scope} to ${principal.objectId}`;
    observed.push({
      systemId: system.id,
      key: roleAssignmentKey(managed.scope, name),
      principal,
      description: byLeast ? `${description} (${assignment.description})` : description,
      // an assignment Least did not name cannot be removed through a lease spec (revoke deletes by the lease's name)
      ...(byLeast
        ? {
            leaseId: lease.leaseId,
            lease: {
              leaseId: lease.leaseId,
              systemId: system.id,
              grant: {
                kind: 'azure-role-assignment',
                roleDefinitionId: assignment.roleDefinitionId!,
                scope: managed.scope,
              },
              principal,
              expiresAt: lease.expiresAt ?? now().toISOString(),
            },
          }
        : {}),
    });
  }
  return observed;
}

export async function observeAzure(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  policy: Policy,
  now: () => Date,
): Promise<ObservedGrant[]> {
  const observed: ObservedGrant[] = [];
  for (const managed of managedScopes(system, policy)) {
    const pim = await observePim(client, system, managed);
    // an active PIM assignment also shows up as a plain role assignment; it is reported once, as PIM
    observed.push(...pim.observed, ...(await observeRoleAssignments(client, system, managed, pim.originIds, now)));
  }
  return observed;
}
