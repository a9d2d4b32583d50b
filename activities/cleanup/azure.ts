import type { AuthorizationManagementClient, RoleAssignment } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import type { CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import { GUID } from '../../domain/guid';
import type { AuthorizationSystem } from '../../domain/policy/schema';
import { type ArmRetry, AzureConnections, DEFAULT_RETRY } from '../cloud/azure/connections';
import { type Consistency, DEFAULT_CONSISTENCY, readUntil } from '../cloud/azure/consistency';
import { asAzureSystem, type AzureSystem, isArmError, isNotFound, withAzureErrors } from '../cloud/azure/errors';
import { armScope, roleDefinitionGuid, sameScope } from '../cloud/azure/names';
import { deleteAssignment, readAssignment } from '../cloud/azure/role-assignments';
import { roleDefinition, type RoleDefinitionSnapshot } from './azure-role';
import { type ApplyResult, type CleanupExecutor, type RestoreResult, snapshotKind, type VerifyResult } from './port';

/**
 * The Azure side of the cleanup: one unused role assignment deleted (`delete-assignment`), every role
 * assignment of an inactive principal in the system's subscription (`remove-assignments`), or a custom
 * role narrowed (`narrow-policy`, azure-role.ts). A snapshot
 * holds each assignment whole (name, scope, role, principal, condition, description), so Restore makes
 * it again under the same name. Least never touches what sits above the subscription (management
 * groups): that reaches other subscriptions.
 *
 * ARM keeps no trace of a deleted assignment, so an assignment missing at apply time cannot tell
 * whether an earlier attempt of this change or someone else removed it. Both end where the change
 * wanted, so it counts as `already`; `gone` is for an object the snapshot itself found absent. The
 * workflow takes the snapshot just before the first apply, which keeps that window small.
 */

export interface AzureCleanupOptions {
  /** The SDK's auth boundary; DefaultAzureCredential when absent (as for grants). */
  credential?: TokenCredential;
  /** How the SDK's pipeline retries 429 and 5xx. */
  retry?: Partial<ArmRetry>;
  /** How long to read again while ARM's reads lag behind a write just made. */
  consistency?: Partial<Consistency>;
}

export interface AzureCleanup extends CleanupExecutor {
  /** Forgets the cached clients. */
  close(): void;
}

/** One role assignment as a snapshot holds it: everything ARM needs to make it again. */
export interface AssignmentRecord {
  /** The full ARM id: `<scope>/providers/Microsoft.Authorization/roleAssignments/<name>`. */
  id: string;
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  condition?: string;
  conditionVersion?: string;
  description?: string;
}

export type RoleAssignmentSnapshot =
  | { kind: 'azure-role-assignment'; exists: true; assignment: AssignmentRecord }
  | { kind: 'azure-role-assignment'; exists: false; id: string };

export interface PrincipalSnapshot {
  kind: 'azure-principal';
  principalId: string;
  subscriptionId: string;
  /** True when the principal held any role assignment in the subscription. */
  exists: boolean;
  /** Its assignments at the subscription and below, sorted by id: what the change removes. */
  assignments: AssignmentRecord[];
  /** Ids of its assignments above the subscription (management groups), which are never touched. */
  untouched: string[];
}

const ASSIGNMENT_ID = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i;

const lower = (value: string): string => value.toLowerCase();
const result = <S extends string>(status: S, detail: string): { status: S; detail: string } => ({ status, detail });

function inSubscription(system: AzureSystem, scope: string): boolean {
  const subscription = `/subscriptions/${system.subscriptionId}`;
  return sameScope(scope, subscription) || lower(scope).startsWith(`${lower(subscription)}/`);
}

/** Scope and name from a role assignment id; only assignments inside the system's subscription are Least's to change. */
function assignmentAt(system: AzureSystem, id: string): { scope: string; name: string } {
  const match = ASSIGNMENT_ID.exec(id);
  if (!match || !match[1]) {
    throw new DomainError(ErrorCode.InputMalformed, `"${id}" is not the id of an Azure role assignment.`);
  }
  if (!inSubscription(system, match[1])) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `Role assignment ${id} sits outside subscription ${system.subscriptionId} (${system.id}); cleanup changes only what is inside it.`,
    );
  }
  return { scope: match[1], name: match[2]! };
}

function principalOf(item: CleanupItem): string {
  if (!GUID.test(item.object.key)) {
    throw new DomainError(ErrorCode.InputMalformed, `"${item.object.key}" is not an Entra object id.`);
  }
  return lower(item.object.key);
}

function recordOf(assignment: RoleAssignment): AssignmentRecord {
  const { id, name, scope, roleDefinitionId, principalId } = assignment;
  if (!id || !name || !scope || !roleDefinitionId || !principalId) {
    throw new Error(`ARM returned a role assignment without id, name, scope, role or principal (${id ?? name})`);
  }
  return {
    id,
    name,
    scope,
    roleDefinitionId,
    principalId: lower(principalId),
    ...(assignment.principalType ? { principalType: assignment.principalType } : {}),
    ...(assignment.condition ? { condition: assignment.condition } : {}),
    ...(assignment.condition && assignment.conditionVersion ? { conditionVersion: assignment.conditionVersion } : {}),
    ...(assignment.description ? { description: assignment.description } : {}),
  };
}

const roleOf = (assignment: AssignmentRecord): string =>
  roleDefinitionGuid(assignment.roleDefinitionId) ?? assignment.roleDefinitionId;

function describe(assignment: AssignmentRecord): string {
  const condition = assignment.condition ? ', with a condition' : '';
  return `role assignment ${assignment.name} (role ${roleOf(assignment)} for ${assignment.principalId} at ${assignment.scope}${condition})`;
}

/** What makes `now` a different grant from `before`; a new description alone does not. */
function differences(before: AssignmentRecord, now: AssignmentRecord): string[] {
  const found: string[] = [];
  if (roleOf(before) !== roleOf(now)) found.push(`its role is now ${roleOf(now)}, not ${roleOf(before)}`);
  if (before.principalId !== now.principalId) found.push(`it is now for ${now.principalId}, not ${before.principalId}`);
  if (!sameScope(before.scope, now.scope)) found.push(`its scope is now ${now.scope}, not ${before.scope}`);
  const was = before.condition?.trim() ?? '';
  const is = now.condition?.trim() ?? '';
  if (was !== is) {
    found.push(
      !was ? `a condition was added ("${is}")` : !is ? 'its condition was removed' : `its condition is now "${is}"`,
    );
  }
  return found;
}

async function readRecord(
  client: AuthorizationManagementClient,
  scope: string,
  name: string,
): Promise<AssignmentRecord | undefined> {
  const found = await readAssignment(client, scope, name);
  return found && recordOf(found);
}

/** The principal's assignments in the subscription (ARM lists those below it and those inherited from above). */
async function assignmentsOf(
  client: AuthorizationManagementClient,
  system: AzureSystem,
  principalId: string,
): Promise<{ within: AssignmentRecord[]; above: AssignmentRecord[] }> {
  const within: AssignmentRecord[] = [];
  const above: AssignmentRecord[] = [];
  for await (const listed of client.roleAssignments.listForSubscription({
    filter: `principalId eq '${principalId}'`,
  })) {
    const assignment = recordOf(listed);
    if (assignment.principalId !== principalId) continue;
    (inSubscription(system, assignment.scope) ? within : above).push(assignment);
  }
  const byId = (a: AssignmentRecord, b: AssignmentRecord): number => lower(a.id).localeCompare(lower(b.id));
  return { within: within.sort(byId), above: above.sort(byId) };
}

/**
 * Makes a snapshot's assignment again under its own name. What ARM refuses for good (the principal,
 * role or scope no longer exists; the same role given to the principal again under another name)
 * comes back as a result, not an error.
 */
async function recreate(
  client: AuthorizationManagementClient,
  assignment: AssignmentRecord,
  consistency: Consistency,
): Promise<RestoreResult> {
  try {
    await client.roleAssignments.create(armScope(assignment.scope), assignment.name, {
      roleDefinitionId: assignment.roleDefinitionId,
      principalId: assignment.principalId,
      ...(assignment.principalType ? { principalType: assignment.principalType } : {}),
      ...(assignment.description ? { description: assignment.description } : {}),
      ...(assignment.condition
        ? { condition: assignment.condition, conditionVersion: assignment.conditionVersion ?? '2.0' }
        : {}),
    });
  } catch (error) {
    if (isArmError(error, 'RoleAssignmentExists')) {
      return result(
        'conflict',
        `${assignment.principalId} was given role ${roleOf(assignment)} at ${assignment.scope} again since, under another role assignment; Least did not add a second one.`,
      );
    }
    if (isArmError(error, 'PrincipalNotFound')) {
      return result(
        'gone',
        `Principal ${assignment.principalId} no longer exists in Entra ID, so ${describe(assignment)} cannot be made again.`,
      );
    }
    if (isArmError(error, 'RoleDefinitionDoesNotExist', 'RoleDefinitionNotFound')) {
      return result(
        'gone',
        `Role ${roleOf(assignment)} no longer exists, so ${describe(assignment)} cannot be made again.`,
      );
    }
    if (isArmError(error, 'ResourceGroupNotFound', 'ResourceNotFound', 'SubscriptionNotFound') || isNotFound(error)) {
      return result(
        'gone',
        `Scope ${assignment.scope} no longer exists, so ${describe(assignment)} cannot be made again.`,
      );
    }
    throw error;
  }
  const seen = await readUntil(
    consistency,
    () => readRecord(client, assignment.scope, assignment.name),
    (found) => found !== undefined,
  );
  // thrown as is, so the activity retries; the retry finds it by its name
  if (!seen) throw new Error(`${describe(assignment)} is not visible yet after it was made again`);
  return result('restored', `Made ${describe(assignment)} again.`);
}

/** `delete-assignment`: one role assignment, keyed by its id. */
const singleAssignment = {
  async snapshot(client: AuthorizationManagementClient, system: AzureSystem, item: CleanupItem) {
    const { scope, name } = assignmentAt(system, item.object.key);
    const found = await readRecord(client, scope, name);
    const snapshot: RoleAssignmentSnapshot = found
      ? { kind: 'azure-role-assignment', exists: true, assignment: found }
      : { kind: 'azure-role-assignment', exists: false, id: item.object.key };
    return snapshot;
  },

  async apply(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    planned: RoleAssignmentSnapshot,
  ): Promise<ApplyResult> {
    const { scope, name } = assignmentAt(system, item.object.key);
    if (!planned.exists) {
      return result(
        'gone',
        `Role assignment ${name} at ${scope} was not there when the snapshot was taken; nothing to remove.`,
      );
    }
    const live = await readRecord(client, scope, name);
    if (!live) {
      return result(
        'already',
        `Role assignment ${name} at ${scope} is no longer in Azure (removed by an earlier attempt of this change, or by someone since the snapshot).`,
      );
    }
    const changed = differences(planned.assignment, live);
    if (changed.length > 0) {
      return result(
        'conflict',
        `Role assignment ${name} at ${scope} changed since the snapshot: ${changed.join('; ')}. Nothing was removed; it needs a new plan.`,
      );
    }
    await deleteAssignment(client, live.scope, live.name);
    return result('applied', `Deleted ${describe(live)}.`);
  },

  async verify(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    consistency: Consistency,
  ): Promise<VerifyResult> {
    const { scope, name } = assignmentAt(system, item.object.key);
    // a read right after the DELETE may still see it: only a sighting that outlasts the schedule counts
    const found = await readUntil(
      consistency,
      () => readRecord(client, scope, name),
      (assignment) => assignment === undefined,
    );
    if (found) return { ok: false, detail: `Azure still has ${describe(found)}.` };
    return { ok: true, detail: `Azure has no role assignment ${name} at ${scope}.` };
  },

  async restore(
    client: AuthorizationManagementClient,
    item: CleanupItem,
    snapshot: RoleAssignmentSnapshot,
    consistency: Consistency,
  ): Promise<RestoreResult> {
    if (!snapshot.exists) {
      return result(
        'already',
        `The snapshot holds no role assignment ${item.object.key}: there is nothing to put back.`,
      );
    }
    const wanted = snapshot.assignment;
    const live = await readRecord(client, wanted.scope, wanted.name);
    if (!live) return recreate(client, wanted, consistency);
    const changed = differences(wanted, live);
    if (changed.length > 0) {
      return result(
        'conflict',
        `Role assignment ${wanted.name} at ${wanted.scope} exists again but differs from the snapshot: ${changed.join('; ')}. Least left it as it is.`,
      );
    }
    return result('already', `Azure already has ${describe(wanted)}.`);
  },
};

/** Plain words for the principal: its name when the plan has one, and its object id. */
function principalWords(item: CleanupItem, principalId: string): string {
  return item.object.name && lower(item.object.name) !== principalId
    ? `${item.object.name} (${principalId})`
    : `principal ${principalId}`;
}

const list = (assignments: AssignmentRecord[]): string => assignments.map(describe).join('; ');

/** What differs between the snapshot's assignments and the live ones, in words; empty when nothing but removals. */
function laterChanges(planned: AssignmentRecord[], live: AssignmentRecord[], newWord: string): string[] {
  const byId = new Map(planned.map((assignment) => [lower(assignment.id), assignment]));
  const found: string[] = [];
  for (const now of live) {
    const was = byId.get(lower(now.id));
    if (!was) {
      found.push(`${describe(now)} ${newWord}`);
      continue;
    }
    const changed = differences(was, now);
    if (changed.length > 0) found.push(`${describe(was)}: ${changed.join(', ')}`);
  }
  return found;
}

/** `remove-assignments`: every role assignment of an inactive principal in the subscription, keyed by its object id. */
const principalAssignments = {
  async snapshot(client: AuthorizationManagementClient, system: AzureSystem, item: CleanupItem) {
    const principalId = principalOf(item);
    const { within, above } = await assignmentsOf(client, system, principalId);
    const snapshot: PrincipalSnapshot = {
      kind: 'azure-principal',
      principalId,
      subscriptionId: system.subscriptionId,
      exists: within.length > 0,
      assignments: within,
      untouched: above.map((assignment) => assignment.id),
    };
    return snapshot;
  },

  async apply(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    planned: PrincipalSnapshot,
  ): Promise<ApplyResult> {
    const principalId = principalOf(item);
    const who = principalWords(item, principalId);
    const { within, above } = await assignmentsOf(client, system, principalId);
    const changes = laterChanges(planned.assignments, within, 'appeared');
    if (changes.length > 0) {
      return result(
        'conflict',
        `The role assignments of ${who} changed since the snapshot: ${changes.join('; ')}. Nothing was removed; it needs a new plan.`,
      );
    }
    if (planned.assignments.length === 0) {
      return result(
        'gone',
        `${who} had no role assignments in subscription ${system.subscriptionId} when the snapshot was taken; nothing to remove.`,
      );
    }
    const kept = above.length > 0 ? ` ${above.length} assignment(s) from above the subscription were left alone.` : '';
    if (within.length === 0) {
      return result(
        'already',
        `None of the ${planned.assignments.length} role assignment(s) of ${who} in the snapshot is left in subscription ${system.subscriptionId}.${kept}`,
      );
    }
    for (const assignment of within) await deleteAssignment(client, assignment.scope, assignment.name);
    const before = planned.assignments.length - within.length;
    return result(
      'applied',
      `Deleted ${within.length} role assignment(s) of ${who}: ${list(within)}.${before > 0 ? ` ${before} were gone already.` : ''}${kept}`,
    );
  },

  async verify(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    consistency: Consistency,
  ): Promise<VerifyResult> {
    const principalId = principalOf(item);
    const who = principalWords(item, principalId);
    const { within } = await readUntil(
      consistency,
      () => assignmentsOf(client, system, principalId),
      (found) => found.within.length === 0,
    );
    if (within.length > 0) return { ok: false, detail: `${who} still holds ${list(within)}.` };
    return { ok: true, detail: `${who} holds no role assignment in subscription ${system.subscriptionId}.` };
  },

  async restore(
    client: AuthorizationManagementClient,
    system: AzureSystem,
    item: CleanupItem,
    snapshot: PrincipalSnapshot,
    consistency: Consistency,
  ): Promise<RestoreResult> {
    const principalId = principalOf(item);
    const who = principalWords(item, principalId);
    if (snapshot.assignments.length === 0) {
      return result('already', `The snapshot holds no role assignment of ${who}: there is nothing to put back.`);
    }
    const { within } = await assignmentsOf(client, system, principalId);
    const changes = laterChanges(snapshot.assignments, within, 'was made since');
    if (changes.length > 0) {
      return result(
        'conflict',
        `The role assignments of ${who} changed after the cleanup: ${changes.join('; ')}. Nothing was put back.`,
      );
    }
    const present = new Set(within.map((assignment) => lower(assignment.id)));
    const missing = snapshot.assignments.filter((assignment) => !present.has(lower(assignment.id)));
    if (missing.length === 0) return result('already', `${who} already holds every role assignment of the snapshot.`);
    for (const [index, assignment] of missing.entries()) {
      const outcome = await recreate(client, assignment, consistency);
      if (outcome.status === 'restored') continue;
      const done = index > 0 ? ` ${index} of ${missing.length} were put back before this.` : '';
      return { status: outcome.status, detail: `${outcome.detail}${done}` };
    }
    return result('restored', `Made ${missing.length} role assignment(s) of ${who} again: ${list(missing)}.`);
  },
};

export function createAzureCleanup(options: AzureCleanupOptions = {}): AzureCleanup {
  const connections = new AzureConnections(options.credential, { ...DEFAULT_RETRY, ...options.retry });
  const consistency: Consistency = { ...DEFAULT_CONSISTENCY, ...options.consistency };

  /** Runs `work` with the system's ARM client; ARM's refusals become DomainErrors that name what to fix. */
  function withClient<T>(
    anySystem: AuthorizationSystem,
    item: CleanupItem,
    step: string,
    work: (client: AuthorizationManagementClient, system: AzureSystem) => Promise<T>,
  ): Promise<T> {
    const system = asAzureSystem(anySystem);
    return withAzureErrors(system, `${step} ${item.object.name}`, undefined, () =>
      work(connections.arm(system), system),
    );
  }

  function kindOf(item: CleanupItem): 'assignment' | 'principal' | 'role' {
    if (item.change === 'delete-assignment' && item.object.kind === 'azure-role-assignment') return 'assignment';
    if (item.change === 'remove-assignments' && item.object.kind === 'azure-principal') return 'principal';
    if (item.change === 'narrow-policy' && item.object.kind === 'azure-role-definition') return 'role';
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `Azure cleanup cannot ${item.change} on a ${item.object.kind} (${item.itemId}).`,
    );
  }

  return {
    async snapshot(system, item) {
      const kind = kindOf(item);
      return withClient<unknown>(system, item, 'read', (client, azure) =>
        kind === 'role'
          ? roleDefinition.snapshot(client, azure, item)
          : kind === 'assignment'
            ? singleAssignment.snapshot(client, azure, item)
            : principalAssignments.snapshot(client, azure, item),
      );
    },

    async apply(system, item, planned) {
      const kind = kindOf(item);
      return withClient(system, item, 'clean up', (client, azure) =>
        kind === 'role'
          ? roleDefinition.apply(
              client,
              azure,
              item,
              snapshotKind<RoleDefinitionSnapshot>(planned, 'azure-role-definition', item),
            )
          : kind === 'assignment'
            ? singleAssignment.apply(client, azure, item, snapshotKind(planned, 'azure-role-assignment', item))
            : principalAssignments.apply(client, azure, item, snapshotKind(planned, 'azure-principal', item)),
      );
    },

    async verify(system, item) {
      const kind = kindOf(item);
      return withClient(system, item, 'verify', (client, azure) =>
        kind === 'role'
          ? roleDefinition.verify(client, azure, item, consistency)
          : kind === 'assignment'
            ? singleAssignment.verify(client, azure, item, consistency)
            : principalAssignments.verify(client, azure, item, consistency),
      );
    },

    async restore(system, item, snapshot) {
      const kind = kindOf(item);
      return withClient(system, item, 'restore', (client, azure) =>
        kind === 'role'
          ? roleDefinition.restore(
              client,
              azure,
              item,
              snapshotKind<RoleDefinitionSnapshot>(snapshot, 'azure-role-definition', item),
              consistency,
            )
          : kind === 'assignment'
            ? singleAssignment.restore(client, item, snapshotKind(snapshot, 'azure-role-assignment', item), consistency)
            : principalAssignments.restore(
                client,
                azure,
                item,
                snapshotKind(snapshot, 'azure-principal', item),
                consistency,
              ),
      );
    },

    close() {
      connections.close();
    },
  };
}
