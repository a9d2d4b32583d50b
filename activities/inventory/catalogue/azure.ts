import type { AuthorizationManagementClient, ProviderOperation } from '@azure/arm-authorization';
import {
  azureAccessLevels,
  type AzureActionCatalogue,
  type AzureCatalogueAction,
} from '../../../domain/inventory/azure-role';

/**
 * The Azure operations catalogue: every operation of every resource provider, read live from ARM's
 * provider-operations list (`GET /providers/Microsoft.Authorization/providerOperations?$expand=resourceTypes`)
 * through the real AuthorizationManagementClient (`providerOperationsMetadataOperations.list`). Operations sit on the provider and on each of its
 * resource types; both are taken. Access levels follow the operation's suffix (see `azureAccessLevels`):
 * read → Read; write, delete, action → Write; Microsoft.Authorization writes and deletes → Permissions
 * management; tag writes → Tagging.
 */

/** What the run records as the catalogue's version: the list is read live, once per collection. */
export const AZURE_CATALOGUE_SOURCE = 'Microsoft.Authorization/providerOperations (read live per collection)';

export async function loadAzureCatalogue(
  client: AuthorizationManagementClient,
  heartbeat: () => void = () => {},
): Promise<AzureActionCatalogue> {
  const byName = new Map<string, AzureCatalogueAction>();
  const add = (operation: ProviderOperation): void => {
    const name = operation.name?.trim();
    if (!name || byName.has(name.toLowerCase())) return;
    byName.set(name.toLowerCase(), {
      action: name,
      accessLevels: azureAccessLevels(name),
      dataAction: operation.isDataAction === true,
    });
  };
  for await (const provider of client.providerOperationsMetadataOperations.list({ expand: 'resourceTypes' })) {
    for (const operation of provider.operations ?? []) add(operation);
    for (const resourceType of provider.resourceTypes ?? []) {
      for (const operation of resourceType.operations ?? []) add(operation);
    }
    heartbeat();
  }
  return {
    cloud: 'azure',
    version: `${AZURE_CATALOGUE_SOURCE}: ${byName.size} operations`,
    actions: [...byName.values()],
  };
}
