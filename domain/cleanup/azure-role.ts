import { azureAccessLevels } from '../inventory/azure-role';
import { hasWildcard, wildcardRegex } from '../inventory/wildcard';
import type { CleanupHoldReason } from './model';
import { byText, plural } from './words';

/**
 * Narrowing an Azure custom role definition (issue 13): which `actions` entries of a role go when the
 * planner has worked out, across every principal assigned the role, which operations no holder needs.
 * Pure; the planner (plan.ts) and the executor (activities/cleanup/azure-role.ts) share these readings.
 *
 * - Only `actions` entries are taken out. `notActions`, `dataActions` and `notDataActions` are never
 *   changed, nor the role's name, description or assignable scopes.
 * - An entry goes only when every operation it grants is removable: unused by some holder, used or
 *   unknown for none, and not a read (the Activity Log records writes, deletes and actions only, so a
 *   read is never judged unused). What an entry grants is what it matches of the operations the role
 *   grants as the inventory expanded it against its catalogue (ARM's provider operations, read at
 *   collection), less its block's `notActions`. A wildcard entry matching anything not removable is
 *   kept whole (held, with the reason), never expanded into the operations it still needs. The planes
 *   are told apart by name only, so a data operation a control-plane wildcard happens to match counts
 *   against it too: the role then keeps the wildcard, the safe side.
 * - A role is never narrowed to no `actions` at all: where no holder uses it, its assignments go.
 * - A role whose assignable scopes reach beyond the system's scope may be assigned where Least sees no
 *   use: it is held back whole.
 */

/** One permission block of a role definition, every list present (empty when ARM leaves it out). */
export interface AzurePermissionBlock {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

const FIELDS = ['actions', 'notActions', 'dataActions', 'notDataActions'] as const;

/** A role definition as the cleanup reads it, from the stored body or ARM's answer (flattened by the SDK). */
export interface AzureRoleDefinition {
  /** The full id: `/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
  id: string;
  roleName: string;
  /** `CustomRole` or `BuiltInRole`. */
  roleType?: string;
  assignableScopes: string[];
  permissions: AzurePermissionBlock[];
}

/** The permission blocks in the form plans and snapshots compare; undefined when they are not readable. */
export function azurePermissions(value: unknown): AzurePermissionBlock[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const blocks: AzurePermissionBlock[] = [];
  for (const block of value) {
    if (block === null || typeof block !== 'object') return undefined;
    const read = (key: (typeof FIELDS)[number]): string[] | undefined => {
      const list = (block as Record<string, unknown>)[key] ?? [];
      return Array.isArray(list) && list.every((entry) => typeof entry === 'string') ? [...list] : undefined;
    };
    const [actions, notActions, dataActions, notDataActions] = FIELDS.map(read);
    if (!actions || !notActions || !dataActions || !notDataActions) return undefined;
    blocks.push({ actions, notActions, dataActions, notDataActions });
  }
  return blocks;
}

/** The role definition a body describes, or why it cannot be read. */
export function azureRoleDefinition(body: unknown): AzureRoleDefinition | string {
  if (body === null || typeof body !== 'object') return 'the role definition is not an object';
  const shaped = body as Record<string, unknown> & { properties?: Record<string, unknown> };
  const field = (key: string): unknown => shaped[key] ?? shaped.properties?.[key];
  const id = field('id');
  if (typeof id !== 'string' || id === '') return 'the role definition has no id';
  const permissions = azurePermissions(field('permissions'));
  if (!permissions) return '`permissions` is not a list of blocks of string lists';
  const scopes = field('assignableScopes');
  if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== 'string'))
    return '`assignableScopes` is not a list of scopes';
  const roleName = field('roleName');
  const roleType = field('roleType') ?? field('type');
  return {
    id,
    roleName: typeof roleName === 'string' && roleName !== '' ? roleName : id.slice(id.lastIndexOf('/') + 1),
    ...(typeof roleType === 'string' ? { roleType } : {}),
    assignableScopes: scopes as string[],
    permissions,
  };
}

const trimmed = (scope: string): string => scope.toLowerCase().replace(/\/+$/, '');

/** Whether an ARM scope is the system's scope or under it (case aside, as ARM reads scopes). */
export function withinScope(scope: string, systemScope: string): boolean {
  const inner = trimmed(scope);
  const outer = trimmed(systemScope);
  return outer !== '' && (inner === outer || inner.startsWith(`${outer}/`));
}

/** The assignable scopes that reach beyond the system's scope (all of them when it is not known). */
export function scopesBeyond(assignableScopes: readonly string[], systemScope: string | undefined): string[] {
  return assignableScopes.filter((scope) => systemScope === undefined || !withinScope(scope, systemScope));
}

/** An operation the Activity Log cannot vouch for: a read. */
export function isAzureRead(operation: string): boolean {
  return azureAccessLevels(operation).includes('Read');
}

/** Whether two permission lists say the same, entry for entry (order kept, case aside). */
export function samePermissions(a: readonly AzurePermissionBlock[], b: readonly AzurePermissionBlock[]): boolean {
  return (
    a.length === b.length &&
    a.every((block, i) =>
      FIELDS.every(
        (key) =>
          block[key].length === b[i]![key].length &&
          block[key].every((entry, j) => entry.toLowerCase() === b[i]![key][j]!.toLowerCase()),
      ),
    )
  );
}

/** What differs from `was` in `now`, in words (entries added or taken out, per list). */
export function permissionChanges(
  was: readonly AzurePermissionBlock[],
  now: readonly AzurePermissionBlock[],
): string[] {
  const found: string[] = [];
  if (was.length !== now.length)
    found.push(`it has ${now.length} ${plural(now.length, 'permission block')} now, not ${was.length}`);
  for (let i = 0; i < Math.min(was.length, now.length); i += 1) {
    const where = was.length > 1 ? ` of block ${i + 1}` : '';
    for (const key of FIELDS) {
      const before = new Set(was[i]![key].map((e) => e.toLowerCase()));
      const after = new Set(now[i]![key].map((e) => e.toLowerCase()));
      const added = now[i]![key].filter((e) => !before.has(e.toLowerCase()));
      const taken = was[i]![key].filter((e) => !after.has(e.toLowerCase()));
      if (added.length > 0) found.push(`${added.join(', ')} added to ${key}${where}`);
      if (taken.length > 0) found.push(`${taken.join(', ')} taken out of ${key}${where}`);
    }
  }
  return found;
}

export interface AzureRoleNarrowing {
  /** The permissions without the entries that go. */
  after: AzurePermissionBlock[];
  /** The `actions` entries taken out, in order. */
  entries: string[];
  /** The operations the role no longer grants, sorted. */
  removed: string[];
  /** Wildcard entries kept whole: some of what they match is removable, some is not. */
  partlyUsed: { entry: string; removable: string[]; needed: number }[];
  /** No `actions` entry would be left in any block. */
  empty: boolean;
}

/**
 * Takes out of `actions` every entry all of whose operations are in `removable`. `granted`: every
 * operation the role grants (the inventory's expansion); both are compared case-insensitively.
 */
export function narrowAzureRole(
  permissions: readonly AzurePermissionBlock[],
  granted: Iterable<string>,
  removable: Iterable<string>,
): AzureRoleNarrowing {
  const operations = new Map<string, string>();
  for (const operation of granted) operations.set(operation.toLowerCase(), operation);
  const wanted = new Set([...removable].map((operation) => operation.toLowerCase()));
  const reach = (entry: string, excluded: readonly string[]): string[] => {
    const pattern = wildcardRegex(entry);
    const not = excluded.map((x) => wildcardRegex(x));
    return [...operations.keys()].filter((op) => pattern.test(op) && !not.some((x) => x.test(op)));
  };

  const dropped = new Set<string>();
  const kept = new Set<string>();
  const entries: string[] = [];
  const partlyUsed: AzureRoleNarrowing['partlyUsed'] = [];
  const after = permissions.map((block) => {
    const actions = block.actions.filter((entry) => {
      const grants = reach(entry, block.notActions);
      // an entry matching nothing the inventory knows of is not Least's to judge
      if (grants.length > 0 && grants.every((op) => wanted.has(op))) {
        grants.forEach((op) => dropped.add(op));
        entries.push(entry);
        return false;
      }
      grants.forEach((op) => kept.add(op));
      const inPart = grants.filter((op) => wanted.has(op));
      if (hasWildcard(entry) && inPart.length > 0)
        partlyUsed.push({
          entry,
          removable: inPart.map((op) => operations.get(op)!).sort(byText),
          needed: grants.length - inPart.length,
        });
      return true;
    });
    return {
      actions,
      notActions: [...block.notActions],
      dataActions: [...block.dataActions],
      notDataActions: [...block.notDataActions],
    };
  });
  // the data plane is never changed: what `dataActions` grant stays granted
  for (const block of permissions)
    for (const entry of block.dataActions) reach(entry, block.notDataActions).forEach((op) => kept.add(op));
  const removed = [...dropped]
    .filter((op) => !kept.has(op))
    .map((op) => operations.get(op)!)
    .sort(byText);
  return {
    after,
    entries,
    removed,
    partlyUsed,
    empty: after.every((block) => block.actions.length === 0),
  };
}

/** Why part of a role's removable operations stays, and which operations that holds back. */
export interface AzureRoleHold {
  reason: CleanupHoldReason;
  detail: string;
  actions: ReadonlySet<string>;
}

export interface AzureRoleChange {
  holds: AzureRoleHold[];
  /** The narrowing to propose, when anything can go. */
  change?: { removed: string[]; entries: string[]; before: AzurePermissionBlock[]; after: AzurePermissionBlock[] };
}

/**
 * What may be done with a custom role given the operations unused by every holder (`removable`) and
 * every operation it grants: the holds (outside the system's scope, reads, partly used wildcards, a
 * role that would be left empty) and the narrowing, if any.
 */
export function azureRoleChange(
  body: unknown,
  removable: readonly string[],
  granted: Iterable<string>,
  systemScope: string | undefined,
): AzureRoleChange {
  const all = new Set(removable);
  const role = azureRoleDefinition(body);
  if (typeof role === 'string')
    return {
      holds: [{ reason: 'cannot-narrow', detail: `the role definition cannot be read: ${role}`, actions: all }],
    };
  if (role.roleType !== 'CustomRole')
    return {
      holds: [
        {
          reason: 'managed-by-cloud',
          detail:
            'built-in role: never edited; an assignment of it is deleted only when none of its operations is used',
          actions: all,
        },
      ],
    };
  const beyond = scopesBeyond(role.assignableScopes, systemScope);
  if (beyond.length > 0 || role.assignableScopes.length === 0)
    return {
      holds: [
        {
          reason: 'cannot-narrow',
          detail:
            systemScope === undefined
              ? "the system's scope is not known, so where the custom role may be assigned cannot be checked"
              : `the custom role is assignable beyond this system (at ${beyond.join(', ') || 'no scope'}), where Least sees no use: it is not narrowed`,
          actions: all,
        },
      ],
    };

  const holds: AzureRoleHold[] = [];
  const reads = removable.filter(isAzureRead);
  if (reads.length > 0)
    holds.push({
      reason: 'not-enough-data',
      detail: 'the Activity Log records writes, deletes and actions only: a read is never judged unused',
      actions: new Set(reads),
    });
  const wanted = removable.filter((op) => !isAzureRead(op));
  if (wanted.length === 0) return { holds };

  const narrowed = narrowAzureRole(role.permissions, granted, wanted);
  const removed = new Set(narrowed.removed.map((op) => op.toLowerCase()));
  const explained = new Set<string>();
  for (const part of narrowed.partlyUsed) {
    const stays = part.removable.filter((op) => !removed.has(op.toLowerCase()));
    if (stays.length === 0) continue;
    stays.forEach((op) => explained.add(op.toLowerCase()));
    holds.push({
      reason: 'cannot-narrow',
      detail:
        `the wildcard ${part.entry} also grants ${part.needed} ${plural(part.needed, 'operation')} in use, with unknown use or a read: ` +
        'a wildcard goes whole or not at all, it is not expanded',
      actions: new Set(stays),
    });
  }
  const unexplained = wanted.filter((op) => !removed.has(op.toLowerCase()) && !explained.has(op.toLowerCase()));
  if (unexplained.length > 0)
    holds.push({
      reason: 'cannot-narrow',
      detail: 'still granted by another entry of the role (or its data actions), which is needed',
      actions: new Set(unexplained),
    });
  if (narrowed.removed.length === 0) return { holds };
  if (narrowed.empty) {
    holds.push({
      reason: 'cannot-narrow',
      detail:
        'every action of the custom role would go and a role is not emptied: its assignments are deleted where no holder uses them',
      actions: new Set(narrowed.removed),
    });
    return { holds };
  }
  return {
    holds,
    change: {
      removed: narrowed.removed,
      entries: narrowed.entries,
      before: role.permissions,
      after: narrowed.after,
    },
  };
}
