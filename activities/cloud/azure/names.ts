import { uuidV5 as uuid } from '../../uuid';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { AzureSystem } from './errors';
import { GUID } from '../../../domain/guid';

/**
 * The deterministic names and keys of what Least makes in Azure. ARM names role assignments and PIM
 * requests with GUIDs the caller chooses, so a name derived from the lease id makes a retried PUT land
 * on the same object instead of a second one.
 */

/** Least's own UUID v5 namespace; changing it would orphan every assignment made before. */
export const LEAST_AZURE_NAMESPACE = '32c16aa0-f1ba-44cc-ad42-5d326d4907a5';

/** UUID v5 in Least's Azure namespace (or another, for the RFC's test vectors). */
export function uuidV5(name: string, namespace = LEAST_AZURE_NAMESPACE): string {
  return uuid(name, namespace);
}

export const roleAssignmentName = (leaseId: string): string => uuidV5(leaseId);
export const pimRequestName = (leaseId: string, step: 'assign' | 'remove'): string => uuidV5(`${leaseId}:${step}`);
/** Each extension is its own request; the same extension retried is the same request. */
export const pimExtendName = (leaseId: string, expiresAt: string): string => uuidV5(`${leaseId}:extend:${expiresAt}`);

const ROLE_DEFINITION_ID =
  /^(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;

/** The GUID of a role definition given as a bare GUID or a full id; undefined when it is neither. */
export function roleDefinitionGuid(roleDefinitionId: string): string | undefined {
  const guid = GUID.test(roleDefinitionId) ? roleDefinitionId : ROLE_DEFINITION_ID.exec(roleDefinitionId)?.[1];
  return guid && GUID.test(guid) ? guid.toLowerCase() : undefined;
}

/** The subscription-relative id ARM wants in a role assignment, from either form in the policy. */
export function fullRoleDefinitionId(system: AzureSystem, roleDefinitionId: string): string {
  const guid = roleDefinitionGuid(roleDefinitionId);
  if (!guid) {
    throw new DomainError(
      ErrorCode.CloudPermissionSetUnknown,
      `"${roleDefinitionId}" is not an Azure role definition id. Use the role's GUID (for example ` +
        'acdd72a7-3385-48ef-bd42-f606fba81ae7 for Reader) or its full id /providers/Microsoft.Authorization/roleDefinitions/<GUID>.',
    );
  }
  return `/subscriptions/${system.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

export const sameScope = (a: string | undefined, b: string): boolean =>
  (a ?? '').toLowerCase().replace(/\/+$/, '') === b.toLowerCase().replace(/\/+$/, '');

export const roleAssignmentKey = (scope: string, name: string): string => `azure-role-assignment:${scope}:${name}`;
export const pimKey = (scope: string, roleGuid: string, principalId: string): string =>
  `azure-pim:${scope}:${roleGuid}:${principalId.toLowerCase()}`;

/** What a role assignment's description says, so reconciliation can read the lease back. */
export const leaseDescription = (leaseId: string, expiresAt: string): string =>
  `Least lease ${leaseId} until ${expiresAt}`;
export const pimJustification = (leaseId: string): string => `Least lease ${leaseId}`;

export function leaseFromDescription(
  description: string | undefined,
): { leaseId: string; expiresAt?: string } | undefined {
  const match = /^Least lease (\S+)(?: until (\S+))?$/.exec(description ?? '');
  return match ? { leaseId: match[1]!, ...(match[2] ? { expiresAt: match[2] } : {}) } : undefined;
}

export function portalUrl(system: AzureSystem, scope: string): string {
  return `https://portal.azure.com/#@${system.tenantId}/resource${scope}/users`;
}

/** The SDK puts the scope after a slash of its own; a policy scope starts with one, and `//` would reach ARM. */
export const armScope = (scope: string): string => scope.replace(/^\/+/, '');
