import type { ActionCatalogue, CatalogueAction, Cloud } from './model';

/**
 * Lookups over a catalogue, built once per catalogue object and kept beside it: by lower-case name
 * (actions are matched case-insensitively in every cloud) and by lower-case service.
 */
export interface CatalogueIndex {
  all: readonly CatalogueAction[];
  byName: ReadonlyMap<string, CatalogueAction>;
  byService: ReadonlyMap<string, readonly CatalogueAction[]>;
}

const indexes = new WeakMap<ActionCatalogue, CatalogueIndex>();

export function indexCatalogue(catalogue: ActionCatalogue): CatalogueIndex {
  const cached = indexes.get(catalogue);
  if (cached) return cached;
  const byName = new Map<string, CatalogueAction>();
  const byService = new Map<string, CatalogueAction[]>();
  for (const entry of catalogue.actions) {
    byName.set(entry.action.toLowerCase(), entry);
    const service = serviceOf(catalogue.cloud, entry.action).toLowerCase();
    const list = byService.get(service);
    if (list) list.push(entry);
    else byService.set(service, [entry]);
  }
  const index = { all: catalogue.actions, byName, byService };
  indexes.set(catalogue, index);
  return index;
}

/** The catalogue's own entry for an action however it is cased, e.g. `S3:getobject` → `s3:GetObject`. */
export function catalogueAction(catalogue: ActionCatalogue, action: string): CatalogueAction | undefined {
  return indexCatalogue(catalogue).byName.get(action.toLowerCase());
}

/** `s3:GetObject` → `s3`; `Microsoft.Compute/virtualMachines/read` → `Microsoft.Compute`; `storage.buckets.get` → `storage`. */
export function serviceOf(cloud: Cloud, action: string): string {
  const separator = cloud === 'aws' ? ':' : cloud === 'azure' ? '/' : '.';
  const at = action.indexOf(separator);
  return at < 0 ? action : action.slice(0, at);
}
