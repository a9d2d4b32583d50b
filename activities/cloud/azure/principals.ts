import { DomainError, ErrorCode } from '../../../domain/errors';
import type { CloudPrincipal } from '../../../domain/lease';
import type { GrantSpec, Policy } from '../../../domain/policy/schema';
import type { AzureConnections } from './connections';
import type { AzureSystem } from './errors';
import { GUID } from '../../../domain/guid';

/**
 * Who a person is in Entra ID. An explicit `principals:` mapping wins (ARM rejects an object id it
 * does not know when the grant is made); otherwise the person's e-mail is looked up as a user
 * principal name in Microsoft Graph, which needs the User.Read.All application permission.
 */

function unknownPrincipal(system: AzureSystem, person: string, what: string): DomainError {
  return new DomainError(
    ErrorCode.CloudPrincipalUnknown,
    `${what} Ask an admin to add a mapping for ${person} under \`principals:\` in the policy file, ` +
      `for example principals: { ${person}: { ${system.id}: { azureObjectId: <the user's object id in tenant ${system.tenantId}> } } }.`,
  );
}

interface GraphUser {
  id?: string;
  userPrincipalName?: string;
  accountEnabled?: boolean;
}

async function graphUser(
  connections: AzureConnections,
  system: AzureSystem,
  upn: string,
): Promise<GraphUser | undefined> {
  const url = `${connections.graphBase(system)}/v1.0/users/${encodeURIComponent(upn)}?$select=id,userPrincipalName,accountEnabled`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${await connections.graphToken()}`, accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status === 404 || response.status === 400) return undefined;
  if (response.status === 403) {
    throw new DomainError(
      ErrorCode.CloudAccessDenied,
      `Microsoft Graph denied Least looking up ${upn} in tenant ${system.tenantId} (${system.id}). ` +
        "Grant Least's identity the User.Read.All application permission (with admin consent), or map people with azureObjectId under `principals:`.",
    );
  }
  // throttling and outages are thrown as they are, so the activity retries them
  if (!response.ok)
    throw new Error(
      `Microsoft Graph answered ${response.status} looking up ${upn}: ${(await response.text()).slice(0, 300)}`,
    );
  return (await response.json()) as GraphUser;
}

export async function resolveAzurePrincipal(
  connections: AzureConnections,
  system: AzureSystem,
  person: string,
  grant: GrantSpec,
  policy: Policy,
): Promise<CloudPrincipal> {
  if (grant.kind !== 'azure-role-assignment' && grant.kind !== 'azure-pim-activation') {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `Azure system "${system.id}" cannot take a ${grant.kind} grant.`,
    );
  }
  const email = person.trim().toLowerCase();
  const mapped = policy.principals[email]?.[system.id]?.azureObjectId;
  if (mapped) {
    if (!GUID.test(mapped))
      throw unknownPrincipal(
        system,
        email,
        `The policy maps ${email} to "${mapped}", which is not an Entra object id (a GUID).`,
      );
    return { kind: 'azure-object', objectId: mapped.toLowerCase(), display: email };
  }
  const user = await graphUser(connections, system, email);
  if (!user?.id)
    throw unknownPrincipal(
      system,
      email,
      `No user with user principal name ${email} exists in tenant ${system.tenantId} (${system.id}).`,
    );
  if (user.accountEnabled === false) {
    throw unknownPrincipal(
      system,
      email,
      `The Entra account ${user.userPrincipalName ?? email} is disabled in tenant ${system.tenantId}.`,
    );
  }
  return { kind: 'azure-object', objectId: user.id, display: user.userPrincipalName ?? email };
}
