import { createHash } from 'node:crypto';
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

/**
 * The api-version `@azure/arm-authorization` sends for the list (a constant of the SDK). A loaded
 * catalogue names the version the request actually carried, so an SDK upgrade cannot go unrecorded.
 */
export const PROVIDER_OPERATIONS_API_VERSION = '2022-04-01';

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
  let apiVersion: string | undefined;
  const pages = client.providerOperationsMetadataOperations.list({
    expand: 'resourceTypes',
    onResponse: (response) => {
      apiVersion ??= new URL(response.request.url).searchParams.get('api-version') ?? undefined;
    },
  });
  for await (const provider of pages) {
    for (const operation of provider.operations ?? []) add(operation);
    for (const resourceType of provider.resourceTypes ?? []) {
      for (const operation of resourceType.operations ?? []) add(operation);
    }
    heartbeat();
  }
  const actions = [...byName.values()];
  return {
    cloud: 'azure',
    version: azureCatalogueVersion(apiVersion ?? PROVIDER_OPERATIONS_API_VERSION, actions),
    actions,
  };
}

/**
 * `providerOperationsMetadata <api-version>: <n> operations, sha256:<16 hex>`: the hash is of the
 * operations and their data-action flags in name order, so two runs that read the same list say the same.
 */
export function azureCatalogueVersion(apiVersion: string, actions: readonly AzureCatalogueAction[]): string {
  const lines = actions.map((entry) => `${entry.action.toLowerCase()}${entry.dataAction ? ' data' : ''}`).sort();
  const hash = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  return `providerOperationsMetadata ${apiVersion}: ${actions.length} operations, sha256:${hash}`;
}
