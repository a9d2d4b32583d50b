import type { AuthorizationManagementClient, RoleDefinition } from '@azure/arm-authorization';
import {
  azurePermissions,
  permissionChanges,
  samePermissions,
  scopesBeyond,
  withinScope,
  type AzurePermissionBlock,
} from '../../domain/cleanup/azure-role';
import type { CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import { type Consistency, readUntil } from '../cloud/azure/consistency';
import { type AzureSystem, isArmError, isNotFound } from '../cloud/azure/errors';
import { armScope } from '../cloud/azure/names';
import type { ApplyResult, RestoreResult, VerifyResult } from './port';

/**
 * `narrow-policy` on an Azure custom role definition: its `permissions` put again without the `actions`
 * entries the plan takes out (roleDefinitions.createOrUpdate), every other field as ARM holds it. The
 * snapshot holds the definition whole; Restore puts its permissions back. A role changed by someone
 * else since the snapshot is not overwritten (the item is re-planned), and a restore over a later
 * change is refused, naming it. Only custom roles whose id and every assignable scope are inside the
 * system's subscription are written; a built-in role never is. Nor is a role whose permission blocks
 * carry fields the SDK (api-version 2022-04-01) cannot write back, such as a preview permission
 * `condition`: putting it again would drop them.
 */

export type RoleDefinitionSnapshot =
  | {
      kind: 'azure-role-definition';
      exists: true;
      id: string;
      roleName: string;
      roleType: string;
      description?: string;
      assignableScopes: string[];
      /** Its permissions as the plan's `before` holds them: compared for drift, and what Restore puts back. */
      document: AzurePermissionBlock[];
      /**
       * Fields ARM returned in a permission block that the client cannot write back (a permission
       * `condition`, say): putting the role again would drop them, so Least does not write it.
       */
      unwritable?: string[];
    }
  | { kind: 'azure-role-definition'; exists: false; id: string };

type LiveRole = Extract<RoleDefinitionSnapshot, { exists: true }>;

const ROLE_DEFINITION_ID = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i;
const result = <S extends string>(status: S, detail: string): { status: S; detail: string } => ({ status, detail });

const subscriptionOf = (system: AzureSystem): string => `/subscriptions/${system.subscriptionId}`;

/** Where the role definition lives and its name; only one inside the system's subscription is Least's to change. */
function definitionAt(system: AzureSystem, item: CleanupItem): { scope: string; name: string } {
  const match = ROLE_DEFINITION_ID.exec(item.object.key);
  if (!match || !match[1] || !match[2]) {
    throw new DomainError(ErrorCode.InputMalformed, `"${item.object.key}" is not the id of an Azure role definition.`);
  }
  if (!withinScope(match[1], subscriptionOf(system))) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `Role definition ${item.object.key} sits outside subscription ${system.subscriptionId} (${system.id}); cleanup changes only what is inside it.`,
    );
  }
  return { scope: match[1], name: match[2] };
}

function planned(value: unknown, item: CleanupItem, which: 'before' | 'after'): AzurePermissionBlock[] {
  const permissions = azurePermissions(value);
  if (!permissions || permissions.length === 0) {
    throw new DomainError(
      ErrorCode.InputMalformed,
      `Cleanup item ${item.itemId} has no readable role permissions ${which} the change.`,
    );
  }
  return permissions;
}

/** The permission block fields in ARM's own answer beyond the four the client reads and writes. */
function unwritableFields(body: unknown): string[] {
  const blocks = (body as { properties?: { permissions?: unknown } } | null)?.properties?.permissions;
  if (!Array.isArray(blocks)) return [];
  const found = new Set<string>();
  for (const block of blocks)
    for (const [key, value] of Object.entries((block ?? {}) as Record<string, unknown>))
      if (value !== null && !['actions', 'notActions', 'dataActions', 'notDataActions'].includes(key)) found.add(key);
  return [...found].sort();
}

function ownAnswer(text: string | null | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

function recordOf(definition: RoleDefinition, id: string, raw: unknown): LiveRole {
  const document = azurePermissions(definition.permissions ?? []);
  if (!document) throw new Error(`ARM returned role definition ${id} with permissions that cannot be read`);
  const unwritable = unwritableFields(raw);
  return {
    kind: 'azure-role-definition',
    exists: true,
    id: definition.id ?? id,
    roleName: definition.roleName ?? id,
    roleType: definition.roleType ?? '',
    ...(definition.description ? { description: definition.description } : {}),
    assignableScopes: [...(definition.assignableScopes ?? [])],
    document,
    ...(unwritable.length > 0 ? { unwritable } : {}),
  };
}

async function readRole(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  item: CleanupItem,
): Promise<LiveRole | undefined> {
  const { scope, name } = definitionAt(system, item);
  let raw: unknown;
  try {
    const definition = await client.roleDefinitions.get(armScope(scope), name, {
      // the client's own answer is already cut down to the fields it knows: read ARM's text
      onResponse: (response) => {
        raw = ownAnswer(response.bodyAsText);
      },
    });
    return recordOf(definition, item.object.key, raw);
  } catch (error) {
    if (isArmError(error, 'RoleDefinitionDoesNotExist', 'RoleDefinitionNotFound') || isNotFound(error))
      return undefined;
    throw error;
  }
}

/** Puts the role again with `permissions`, every other field as `live` has it. */
async function putPermissions(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  item: CleanupItem,
  live: LiveRole,
  permissions: AzurePermissionBlock[],
): Promise<void> {
  const { scope, name } = definitionAt(system, item);
  await client.roleDefinitions.createOrUpdate(armScope(scope), name, {
    roleName: live.roleName,
    roleType: live.roleType,
    ...(live.description !== undefined ? { description: live.description } : {}),
    assignableScopes: live.assignableScopes,
    permissions,
  });
}

const sameScopes = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length &&
  a.every((scope, i) => scope.toLowerCase().replace(/\/+$/, '') === b[i]!.toLowerCase().replace(/\/+$/, ''));

function roleWords(item: CleanupItem, live?: LiveRole): string {
  return `custom role ${live?.roleName ?? item.object.name} (${item.object.key})`;
}

/** The same, to start a sentence. */
function roleAtStart(item: CleanupItem, live?: LiveRole): string {
  return `C${roleWords(item, live).slice(1)}`;
}

/** What about `now` makes it another role than `was`, for narrowing: its permissions, type or assignable scopes. */
function differences(was: LiveRole, now: LiveRole): string[] {
  const found = permissionChanges(was.document, now.document);
  if (now.roleType !== was.roleType) found.push(`it is now a ${now.roleType || 'role of no type'}`);
  if (!sameScopes(was.assignableScopes, now.assignableScopes))
    found.push(`its assignable scopes are now ${now.assignableScopes.join(', ') || 'none'}`);
  return found;
}

export const roleDefinition = {
  async snapshot(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
  ): Promise<RoleDefinitionSnapshot> {
    const live = await readRole(client, system, item);
    return live ?? { kind: 'azure-role-definition', exists: false, id: item.object.key };
  },

  async apply(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    snapshot: RoleDefinitionSnapshot,
  ): Promise<ApplyResult> {
    if (!snapshot.exists)
      return result('gone', `${roleAtStart(item)} was not there when the snapshot was taken; nothing to narrow.`);
    const after = planned(item.after, item, 'after');
    const live = await readRole(client, system, item);
    if (!live) return result('gone', `${roleAtStart(item)} was deleted since the snapshot; nothing to narrow.`);
    if (live.roleType !== 'CustomRole' || snapshot.roleType !== 'CustomRole')
      return result('conflict', `${roleAtStart(item, live)} is not a custom role: Least never edits a built-in role.`);
    if (live.unwritable)
      return result(
        'conflict',
        `${roleAtStart(item, live)} has ${live.unwritable.join(', ')} in its permissions, which Least cannot write back: it is not narrowed.`,
      );
    const beyond = scopesBeyond(live.assignableScopes, subscriptionOf(system));
    if (beyond.length > 0)
      return result(
        'conflict',
        `${roleAtStart(item, live)} is assignable beyond subscription ${system.subscriptionId} (at ${beyond.join(', ')}), where Least sees no use. Nothing was changed; it needs a new plan.`,
      );
    // a retry after the write: the role already is what the change makes it
    if (samePermissions(live.document, after) && sameScopes(live.assignableScopes, snapshot.assignableScopes))
      return result('already', `${roleAtStart(item, live)} already has the narrowed permissions.`);
    const changed = differences(snapshot, live);
    if (changed.length > 0)
      return result(
        'conflict',
        `${roleAtStart(item, live)} changed since the snapshot: ${changed.join('; ')}. Nothing was changed; it needs a new plan.`,
      );
    await putPermissions(client, system, item, live, after);
    const taken = permissionChanges(snapshot.document, after);
    return result(
      'applied',
      `Narrowed ${roleWords(item, live)}: ${taken.join('; ')} (${item.removeActions?.length ?? 0} operations no longer granted).`,
    );
  },

  async verify(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    consistency: Consistency,
  ): Promise<VerifyResult> {
    const after = planned(item.after, item, 'after');
    // a read right after the PUT may still see the old permissions
    const live = await readUntil(
      consistency,
      () => readRole(client, system, item),
      (found) => found !== undefined && samePermissions(found.document, after),
    );
    if (!live) return { ok: false, detail: `Azure has no ${roleWords(item)}.` };
    if (!samePermissions(live.document, after)) {
      const off = permissionChanges(after, live.document);
      return { ok: false, detail: `${roleAtStart(item, live)} is not as narrowed: ${off.join('; ')}.` };
    }
    return { ok: true, detail: `${roleAtStart(item, live)} grants exactly the narrowed permissions.` };
  },

  async restore(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    snapshot: RoleDefinitionSnapshot,
    consistency: Consistency,
  ): Promise<RestoreResult> {
    if (!snapshot.exists)
      return result('already', `The snapshot holds no ${roleWords(item)}: there is nothing to put back.`);
    const live = await readRole(client, system, item);
    if (!live)
      return result(
        'gone',
        `${roleAtStart(item)} no longer exists; Least does not make a deleted role again (the snapshot keeps its permissions).`,
      );
    if (samePermissions(live.document, snapshot.document))
      return result('already', `${roleAtStart(item, live)} already has the permissions of the snapshot.`);
    const after = planned(item.after, item, 'after');
    if (live.unwritable)
      return result(
        'conflict',
        `${roleAtStart(item, live)} now has ${live.unwritable.join(', ')} in its permissions, which Least cannot write back. Nothing was put back.`,
      );
    if (!samePermissions(live.document, after) || live.roleType !== 'CustomRole') {
      const changed = permissionChanges(after, live.document);
      if (live.roleType !== 'CustomRole') changed.push(`it is now a ${live.roleType || 'role of no type'}`);
      return result(
        'conflict',
        `${roleAtStart(item, live)} changed after the cleanup: ${changed.join('; ')}. Nothing was put back.`,
      );
    }
    await putPermissions(client, system, item, live, snapshot.document);
    const seen = await readUntil(
      consistency,
      () => readRole(client, system, item),
      (found) => found !== undefined && samePermissions(found.document, snapshot.document),
    );
    // thrown as is, so the activity retries; the retry finds the permissions put back
    if (!seen || !samePermissions(seen.document, snapshot.document))
      throw new Error(`${roleAtStart(item, live)} does not show the restored permissions yet`);
    return result(
      'restored',
      `Put back the permissions of ${roleWords(item, live)}: ${permissionChanges(after, snapshot.document).join('; ')}.`,
    );
  },
};
