import { indexCatalogue } from './catalogue-index';
import type { AccessLevel, ActionCatalogue, CatalogueAction, DocumentAction, SkippedItem } from './model';
import { wildcardRegex } from './wildcard';

/**
 * Azure role definitions expanded to single operations against the provider-operations catalogue.
 * A permission block grants its `actions` minus its `notActions` (control plane) and its `dataActions`
 * minus its `notDataActions` (data plane); blocks add up. `notActions` is a subtraction, not a deny:
 * another role assignment may still grant what one role leaves out, so nothing here has effect `deny`.
 * Wildcards (`*`, `Microsoft.Compute/*`, `Microsoft.Compute/*\/read`, `*\/read`) match operations
 * case-insensitively, as ARM matches them, and a control-plane pattern never matches a data action.
 */

export interface AzureCatalogueAction extends CatalogueAction {
  /** A data-plane operation (blob contents, key vault secrets), granted only through `dataActions`. */
  dataAction: boolean;
}

export interface AzureActionCatalogue extends ActionCatalogue {
  cloud: 'azure';
  actions: AzureCatalogueAction[];
}

/** Why an Azure item was skipped; reported on the run, grouped by these strings. */
export const AzureSkipReason = {
  /** The role definition has no `permissions` array of objects with string arrays. */
  RoleDefinitionInvalid: 'azure.role-definition.invalid',
  /** An operation named outright is not in the catalogue: kept, with the access level its name implies. */
  OperationUnknown: 'azure.operation.unknown',
  /** A wildcard pattern matches no operation in the catalogue. */
  PatternUnmatched: 'azure.pattern.unmatched',
} as const;

/**
 * How an operation maps onto the model's access levels (documented in docs/azure-setup.md too):
 * - `Microsoft.Authorization/…/write` and `…/delete` (role assignments and definitions, deny
 *   assignments, policy, locks) → Permissions management;
 * - `Microsoft.Resources/tags/…/write|delete` → Tagging;
 * - an operation ending in `/read` → Read;
 * - `/write`, `/delete` and `/action` (which includes `listKeys/action` and other secret reads) → Write,
 *   the conservative reading; anything else also → Write.
 */
export function azureAccessLevels(operation: string): AccessLevel[] {
  const lower = operation.toLowerCase();
  const verb = lower.slice(lower.lastIndexOf('/') + 1);
  if (lower.startsWith('microsoft.authorization/') && (verb === 'write' || verb === 'delete')) {
    return ['Permissions management'];
  }
  if (lower.startsWith('microsoft.resources/tags/') && (verb === 'write' || verb === 'delete')) return ['Tagging'];
  if (verb === 'read') return ['Read'];
  return ['Write'];
}

interface PermissionBlock {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

/** The role definition's permission blocks, or why they cannot be read. */
function permissionBlocks(roleDefinition: unknown): PermissionBlock[] | string {
  if (roleDefinition === null || typeof roleDefinition !== 'object') return 'the role definition is not an object';
  const shaped = roleDefinition as { permissions?: unknown; properties?: { permissions?: unknown } };
  const permissions = shaped.permissions ?? shaped.properties?.permissions;
  if (!Array.isArray(permissions)) return '`permissions` is not an array';
  const blocks: PermissionBlock[] = [];
  for (const [index, block] of permissions.entries()) {
    if (block === null || typeof block !== 'object') return `permissions[${index}] is not an object`;
    const read = (key: keyof PermissionBlock): string[] | string => {
      const value = (block as Record<string, unknown>)[key] ?? [];
      if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
        return `permissions[${index}].${key} is not an array of strings`;
      }
      return value as string[];
    };
    const fields = (['actions', 'notActions', 'dataActions', 'notDataActions'] as const).map(read);
    const problem = fields.find((field): field is string => typeof field === 'string');
    if (problem) return problem;
    const [actions, notActions, dataActions, notDataActions] = fields as string[][];
    blocks.push({
      actions: actions!,
      notActions: notActions!,
      dataActions: dataActions!,
      notDataActions: notDataActions!,
    });
  }
  return blocks;
}

/** The catalogue entries a pattern names (one plane only), keyed by lower-case name. */
function matching(
  catalogue: AzureActionCatalogue,
  pattern: string,
  dataPlane: boolean,
  skipped: SkippedItem[],
  documentId: string,
): Map<string, AzureCatalogueAction> {
  const found = new Map<string, AzureCatalogueAction>();
  const index = indexCatalogue(catalogue);
  if (!pattern.includes('*')) {
    const entry = index.byName.get(pattern.toLowerCase()) as AzureCatalogueAction | undefined;
    if (entry) {
      found.set(entry.action.toLowerCase(), entry);
    } else {
      // newer than the catalogue, or a typo ARM also accepts: kept, as the role does grant it
      skipped.push({ reason: AzureSkipReason.OperationUnknown, item: pattern, detail: documentId });
      found.set(pattern.toLowerCase(), {
        action: pattern,
        accessLevels: azureAccessLevels(pattern),
        dataAction: dataPlane,
      });
    }
    return found;
  }
  const provider = pattern.split('/')[0]!;
  const candidates = (
    provider.includes('*') ? index.all : (index.byService.get(provider.toLowerCase()) ?? [])
  ) as readonly AzureCatalogueAction[];
  const regex = wildcardRegex(pattern);
  for (const entry of candidates) {
    if (entry.dataAction === dataPlane && regex.test(entry.action)) found.set(entry.action.toLowerCase(), entry);
  }
  if (found.size === 0) skipped.push({ reason: AzureSkipReason.PatternUnmatched, item: pattern, detail: documentId });
  return found;
}

function grantedBy(
  catalogue: AzureActionCatalogue,
  include: string[],
  exclude: string[],
  dataPlane: boolean,
  skipped: SkippedItem[],
  documentId: string,
): Map<string, AzureCatalogueAction> {
  const granted = new Map<string, AzureCatalogueAction>();
  for (const pattern of include) {
    for (const [key, entry] of matching(catalogue, pattern, dataPlane, skipped, documentId)) granted.set(key, entry);
  }
  for (const pattern of exclude) {
    if (pattern.includes('*')) {
      const regex = wildcardRegex(pattern);
      for (const key of [...granted.keys()]) if (regex.test(key)) granted.delete(key);
    } else {
      granted.delete(pattern.toLowerCase());
    }
  }
  return granted;
}

/**
 * Every operation a role definition grants. `roleDefinition` is the definition as ARM returns it
 * (`permissions` at the top, as the SDK flattens it, or under `properties`); a shape that cannot be read
 * grants nothing and is reported.
 */
export function expandAzureRole(
  catalogue: AzureActionCatalogue,
  documentId: string,
  roleDefinition: unknown,
): { actions: DocumentAction[]; skipped: SkippedItem[] } {
  const blocks = permissionBlocks(roleDefinition);
  if (typeof blocks === 'string') {
    return {
      actions: [],
      skipped: [{ reason: AzureSkipReason.RoleDefinitionInvalid, item: documentId, detail: blocks }],
    };
  }
  const skipped: SkippedItem[] = [];
  const all = new Map<string, AzureCatalogueAction>();
  for (const block of blocks) {
    for (const [key, entry] of grantedBy(catalogue, block.actions, block.notActions, false, skipped, documentId)) {
      all.set(key, entry);
    }
    for (const [key, entry] of grantedBy(
      catalogue,
      block.dataActions,
      block.notDataActions,
      true,
      skipped,
      documentId,
    )) {
      all.set(key, entry);
    }
  }
  const actions = [...all.values()]
    .sort((a, b) => (a.action < b.action ? -1 : a.action > b.action ? 1 : 0))
    .map((entry): DocumentAction => ({
      documentId,
      action: entry.action,
      effect: 'allow',
      accessLevels: entry.accessLevels,
      // the role applies wherever it is assigned; the assignment's scope is on the grant path
      resourceReach: 'all',
      conditional: false,
    }));
  return { actions, skipped };
}
