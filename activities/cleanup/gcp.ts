import type { iam_v1 } from '@googleapis/iam';
import type { CleanupItem } from '../../domain/cleanup/model';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { AuthorizationSystem } from '../../domain/policy/schema';
import { readDecideWrite, withBindings } from '../cloud/gcp/bindings';
import { IamV1Clients } from '../cloud/gcp/iam-v1';
import { asGcpSystem, type GcpSystem, googleFailure, withGcpErrors } from '../cloud/gcp/errors';
import {
  createIamPolicyStores,
  DEFAULT_RETRY_TUNING,
  type GcpAuthClient,
  type IamBinding,
  type IamPolicy,
  type IamPolicyStore,
  type RetryTuning,
  withTransientRetry,
} from '../cloud/gcp/resource-manager';
import { type ApplyResult, type CleanupExecutor, type RestoreResult, snapshotKind, type VerifyResult } from './port';

/**
 * The GCP side of the cleanup: one member taken out of one binding of the system's project or folder
 * (`remove-member`, the same etag read-modify-write as grants, so another writer's change survives), or
 * an inactive service account disabled (`disable-service-account`, undone by enabling it). A snapshot
 * holds the binding's role and condition, so Restore puts the member back under exactly that condition.
 *
 * A member missing from its binding at apply time cannot tell whether an earlier attempt of this change
 * or someone else took it out: both end where the change wanted, so it counts as `already`, unless the
 * member now holds the role under a condition the snapshot did not have (the condition was edited): that
 * is a conflict. `gone` is for a member or account the snapshot itself found absent, or an account
 * deleted since.
 */

export interface GcpCleanupOptions {
  /** The SDK's auth boundary; Application Default Credentials when absent (as for grants). */
  authClient?: GcpAuthClient;
  /** The IAM v1 root URL (a local fake); Resource Manager follows `system.endpoint`. */
  endpoints?: { iam?: string };
  /** Re-reads after a concurrent policy change and extra attempts after 429 / 503, as for grants. */
  retry?: Partial<RetryTuning>;
}

export interface GcpCleanup extends CleanupExecutor {
  close(): Promise<void>;
}

/** An IAM condition as GCP prints it, empty fields left out. */
export interface ConditionRecord {
  title: string;
  expression: string;
  description?: string;
}

/** A binding of the member's role, by its condition (none: unconditional). */
export interface BindingRecord {
  condition?: ConditionRecord;
}

export interface BindingMemberSnapshot {
  kind: 'gcp-binding-member';
  resource: string;
  role: string;
  member: string;
  /** The condition title of the key ('' for an unconditional binding). */
  title: string;
  /** True when a binding the key names held the member. */
  exists: boolean;
  /** The policy's etag when the snapshot was read (base64), for the record: writes use a fresh read's. */
  etag: string;
  /** The bindings of `role` with the key's title that held the member: what the change takes it out of. */
  bindings: BindingRecord[];
  /** The member's bindings of the same role under other conditions: left alone, watched for a condition edit. */
  others: BindingRecord[];
}

export interface ServiceAccountSnapshot {
  kind: 'gcp-service-account';
  email: string;
  exists: boolean;
  disabled?: boolean;
  /** Tells the account from another made later under the same e-mail. */
  uniqueId?: string;
}

const result = <S extends string>(status: S, detail: string): { status: S; detail: string } => ({ status, detail });

/* ---------- one binding member ---------- */

interface MemberKey {
  resource: string;
  role: string;
  member: string;
  title: string;
}

/** `<resource>|<role>|<member>|<condition title or ''>`; a title may itself hold `|`. */
function memberKey(system: GcpSystem, store: IamPolicyStore, key: string): MemberKey {
  const [resource = '', role = '', member = '', ...title] = key.split('|');
  if (!resource || !role || !member || title.length === 0) {
    throw new DomainError(
      ErrorCode.InputMalformed,
      `"${key}" is not a binding member key (<resource>|<role>|<member>|<condition title>).`,
    );
  }
  if (resource !== store.target.resource) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `The binding of ${role} to ${member} is on ${resource}, not on ${store.target.label} of system "${system.id}"; cleanup changes only the system's own policy.`,
    );
  }
  return { resource, role, member, title: title.join('|') };
}

function conditionOf(binding: IamBinding): ConditionRecord | undefined {
  const { title, expression, description } = binding.condition ?? {};
  if (!title && !expression) return undefined;
  return { title: title ?? '', expression: expression ?? '', ...(description ? { description } : {}) };
}

const conditionKey = (condition: ConditionRecord | undefined): string =>
  condition ? JSON.stringify([condition.title, condition.expression, condition.description ?? '']) : '';

const recordOf = (binding: IamBinding): BindingRecord => {
  const condition = conditionOf(binding);
  return condition ? { condition } : {};
};

/** `roles/x with condition "t" (expression)` or `roles/x without a condition`, joined by "and". */
function words(role: string, records: BindingRecord[]): string {
  return records
    .map(({ condition }) =>
      condition
        ? `${role} with condition "${condition.title}" (${condition.expression})`
        : `${role} without a condition`,
    )
    .join(' and ');
}

/** The binding the key names, in words: `roles/x under condition "t"` or `roles/x without a condition`. */
const keyWords = (key: MemberKey): string =>
  key.title === ANY_CONDITION
    ? `${key.role} under its conditions`
    : key.title
      ? `${key.role} under condition "${key.title}"`
      : `${key.role} without a condition`;

/**
 * The planner's key for a member of conditional bindings: the inventory records only that a binding has
 * a condition, not its title, so the item means every conditional binding of that role with that member
 * (the snapshot records each one's exact condition, and Restore puts each back).
 */
export const ANY_CONDITION = '*';

const titleOf = (binding: IamBinding): string => conditionOf(binding)?.title ?? '';
const titleMatches = (binding: IamBinding, key: MemberKey): boolean =>
  key.title === ANY_CONDITION ? conditionOf(binding) !== undefined : titleOf(binding) === key.title;
const holds = (binding: IamBinding, key: MemberKey): boolean =>
  binding.role === key.role && (binding.members ?? []).includes(key.member);

/** The member's bindings of the key's role: those the key names, and the rest. */
function memberBindings(policy: IamPolicy, key: MemberKey): { named: BindingRecord[]; others: BindingRecord[] } {
  const named: BindingRecord[] = [];
  const others: BindingRecord[] = [];
  for (const binding of policy.bindings ?? []) {
    if (!holds(binding, key)) continue;
    (titleMatches(binding, key) ? named : others).push(recordOf(binding));
  }
  return { named, others };
}

function etagOf(policy: IamPolicy): string {
  const { etag } = policy;
  if (!etag) return '';
  return typeof etag === 'string' ? etag : Buffer.from(etag).toString('base64');
}

function removeMember(policy: IamPolicy, key: MemberKey, from: Set<string>): IamPolicy {
  const kept: IamBinding[] = [];
  for (const binding of policy.bindings ?? []) {
    if (!holds(binding, key) || !titleMatches(binding, key) || !from.has(conditionKey(conditionOf(binding)))) {
      kept.push(binding);
      continue;
    }
    const members = binding.members!.filter((member) => member !== key.member);
    if (members.length > 0) kept.push({ ...binding, members });
  }
  return withBindings(policy, kept);
}

function addMember(policy: IamPolicy, key: MemberKey, records: BindingRecord[]): IamPolicy {
  const bindings = [...(policy.bindings ?? [])];
  for (const record of records) {
    const wanted = conditionKey(record.condition);
    const at = bindings.findIndex(
      (binding) => binding.role === key.role && conditionKey(conditionOf(binding)) === wanted,
    );
    if (at < 0) {
      bindings.push({
        role: key.role,
        members: [key.member],
        ...(record.condition ? { condition: record.condition } : {}),
      });
      continue;
    }
    const binding = bindings[at]!;
    bindings[at] = { ...binding, members: [...(binding.members ?? []), key.member] };
  }
  return withBindings(policy, bindings);
}

const bindingMember = {
  async snapshot(store: IamPolicyStore, key: MemberKey): Promise<BindingMemberSnapshot> {
    const policy = await store.read();
    const { named, others } = memberBindings(policy, key);
    return {
      kind: 'gcp-binding-member',
      ...key,
      exists: named.length > 0,
      etag: etagOf(policy),
      bindings: named,
      others,
    };
  },

  apply(
    store: IamPolicyStore,
    tuning: RetryTuning,
    key: MemberKey,
    planned: BindingMemberSnapshot,
  ): Promise<ApplyResult> {
    const where = store.target.label;
    if (!planned.exists) {
      return Promise.resolve(
        result(
          'gone',
          `${key.member} did not hold ${keyWords(key)} on ${where} when the snapshot was taken; nothing to remove.`,
        ),
      );
    }
    const plannedKeys = new Set(planned.bindings.map((record) => conditionKey(record.condition)));
    const otherKeys = new Set(planned.others.map((record) => conditionKey(record.condition)));
    return readDecideWrite<ApplyResult>(store, tuning, (policy) => {
      const { named, others } = memberBindings(policy, key);
      const changed = named.filter((record) => !plannedKeys.has(conditionKey(record.condition)));
      if (changed.length > 0) {
        return {
          outcome: result(
            'conflict',
            `On ${where}, ${key.member} now holds ${words(key.role, changed)}, which the snapshot did not have (it had ${words(key.role, planned.bindings)}). Nothing was removed; it needs a new plan.`,
          ),
        };
      }
      if (named.length === 0) {
        const moved = others.filter((record) => !otherKeys.has(conditionKey(record.condition)));
        if (moved.length > 0) {
          return {
            outcome: result(
              'conflict',
              `On ${where}, ${key.member} no longer holds ${words(key.role, planned.bindings)} but now holds ${words(key.role, moved)}: its condition was changed since the snapshot. Nothing was removed; it needs a new plan.`,
            ),
          };
        }
        return {
          outcome: result(
            'already',
            `${key.member} no longer holds ${words(key.role, planned.bindings)} on ${where} (taken out by an earlier attempt of this change, or by someone since the snapshot).`,
          ),
        };
      }
      return {
        write: removeMember(policy, key, plannedKeys),
        outcome: result('applied', `Took ${key.member} out of the binding of ${words(key.role, named)} on ${where}.`),
      };
    });
  },

  async verify(store: IamPolicyStore, key: MemberKey): Promise<VerifyResult> {
    const { named } = memberBindings(await store.read(), key);
    if (named.length > 0) {
      return {
        ok: false,
        detail: `${key.member} still holds ${words(key.role, named)} on ${store.target.label}.`,
      };
    }
    return { ok: true, detail: `${key.member} no longer holds ${keyWords(key)} on ${store.target.label}.` };
  },

  restore(
    store: IamPolicyStore,
    tuning: RetryTuning,
    key: MemberKey,
    snapshot: BindingMemberSnapshot,
  ): Promise<RestoreResult> {
    const where = store.target.label;
    if (!snapshot.exists) {
      return Promise.resolve(
        result(
          'already',
          `The snapshot holds no binding of ${key.role} for ${key.member}: there is nothing to put back.`,
        ),
      );
    }
    const wanted = new Set(snapshot.bindings.map((record) => conditionKey(record.condition)));
    const snapshotTitles = new Set(snapshot.bindings.map((record) => record.condition?.title ?? ''));
    return readDecideWrite<RestoreResult>(store, tuning, (policy) => {
      const { named } = memberBindings(policy, key);
      const held = new Set(named.map((record) => conditionKey(record.condition)));
      // a binding of the role under the snapshot's title whose condition now says something else is in the way
      const inTheWay = new Map<string, BindingRecord>();
      for (const binding of policy.bindings ?? []) {
        if (binding.role !== key.role || !titleMatches(binding, key)) continue;
        // for every conditional binding, only one under a title the snapshot holds can be in the way
        if (key.title === ANY_CONDITION && !snapshotTitles.has(titleOf(binding))) continue;
        const record = recordOf(binding);
        if (!wanted.has(conditionKey(record.condition))) inTheWay.set(conditionKey(record.condition), record);
      }
      if (inTheWay.size > 0) {
        return {
          outcome: result(
            'conflict',
            `On ${where}, the binding the snapshot had (${words(key.role, snapshot.bindings)}) changed after the cleanup: there is now ${words(key.role, [...inTheWay.values()])}. Nothing was put back.`,
          ),
        };
      }
      const missing = snapshot.bindings.filter((record) => !held.has(conditionKey(record.condition)));
      if (missing.length === 0) {
        return {
          outcome: result('already', `${key.member} already holds ${words(key.role, snapshot.bindings)} on ${where}.`),
        };
      }
      return {
        write: addMember(policy, key, missing),
        outcome: result(
          'restored',
          `Put ${key.member} back into the binding of ${words(key.role, missing)} on ${where}.`,
        ),
      };
    });
  },
};

/* ---------- one service account ---------- */

function emailOf(item: CleanupItem): string {
  const email = /^serviceAccount:([^@\s]+@[^@\s]+)$/.exec(item.object.key)?.[1];
  if (!email) {
    throw new DomainError(
      ErrorCode.InputMalformed,
      `"${item.object.key}" is not a service account member (serviceAccount:<email>).`,
    );
  }
  return email;
}

/**
 * `projects/<project>/serviceAccounts/<email>`. An account of another project is not this system's to
 * disable; the `-` wildcard (any project) only for a folder system, where the e-mail does not say.
 */
function accountName(system: GcpSystem, email: string): string {
  const home = /@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/.exec(email)?.[1];
  if (system.projectId && home && home !== system.projectId) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `Service account ${email} belongs to project ${home}, not to project ${system.projectId} of system "${system.id}"; cleanup changes only the system's own accounts.`,
    );
  }
  return `projects/${system.projectId ?? home ?? '-'}/serviceAccounts/${email}`;
}

async function withServiceAccountErrors<T>(
  system: GcpSystem,
  email: string,
  step: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const failure = googleFailure(error);
    if (failure?.httpStatus !== 403 && failure?.status !== 'PERMISSION_DENIED') throw error;
    throw new DomainError(
      ErrorCode.CloudAccessDenied,
      `GCP denied Least while trying to ${step} service account ${email} (system "${system.id}"): "${failure.message}". ` +
        "Grant the worker's service account roles/iam.serviceAccountAdmin (iam.serviceAccounts.get, disable and enable) on the account's project.",
    );
  }
}

async function readAccount(
  client: iam_v1.Iam,
  tuning: RetryTuning,
  name: string,
): Promise<iam_v1.Schema$ServiceAccount | undefined> {
  try {
    const { data } = await withTransientRetry(tuning, () => client.projects.serviceAccounts.get({ name }));
    return data;
  } catch (error) {
    if (googleFailure(error)?.httpStatus === 404) return undefined;
    throw error;
  }
}

const serviceAccount = {
  async snapshot(
    client: iam_v1.Iam,
    tuning: RetryTuning,
    name: string,
    email: string,
  ): Promise<ServiceAccountSnapshot> {
    const account = await readAccount(client, tuning, name);
    if (!account) return { kind: 'gcp-service-account', email, exists: false };
    return {
      kind: 'gcp-service-account',
      email,
      exists: true,
      disabled: account.disabled === true,
      ...(account.uniqueId ? { uniqueId: account.uniqueId } : {}),
    };
  },

  async apply(
    client: iam_v1.Iam,
    tuning: RetryTuning,
    name: string,
    planned: ServiceAccountSnapshot,
  ): Promise<ApplyResult> {
    const { email } = planned;
    if (!planned.exists)
      return result('gone', `Service account ${email} did not exist when the snapshot was taken; nothing to disable.`);
    const live = await readAccount(client, tuning, name);
    if (!live) return result('gone', `Service account ${email} was deleted since the snapshot; nothing to disable.`);
    if (planned.uniqueId && live.uniqueId && live.uniqueId !== planned.uniqueId) {
      return result(
        'conflict',
        `Service account ${email} was deleted and made again since the snapshot (unique id ${live.uniqueId}, not ${planned.uniqueId}). Nothing was disabled; it needs a new plan.`,
      );
    }
    if (live.disabled) return result('already', `Service account ${email} is already disabled.`);
    await withTransientRetry(tuning, () => client.projects.serviceAccounts.disable({ name, requestBody: {} }));
    return result(
      'applied',
      `Disabled service account ${email}; its keys and tokens stop working until it is enabled.`,
    );
  },

  async verify(client: iam_v1.Iam, tuning: RetryTuning, name: string, email: string): Promise<VerifyResult> {
    const live = await readAccount(client, tuning, name);
    if (!live) return { ok: true, detail: `Service account ${email} no longer exists.` };
    if (live.disabled) return { ok: true, detail: `Service account ${email} is disabled.` };
    return { ok: false, detail: `Service account ${email} is enabled.` };
  },

  async restore(
    client: iam_v1.Iam,
    tuning: RetryTuning,
    name: string,
    snapshot: ServiceAccountSnapshot,
  ): Promise<RestoreResult> {
    const { email } = snapshot;
    if (!snapshot.exists || snapshot.disabled) {
      return result(
        'already',
        `The snapshot holds service account ${email} ${snapshot.exists ? 'disabled' : 'absent'}: Least changed nothing to undo.`,
      );
    }
    const live = await readAccount(client, tuning, name);
    if (!live)
      return result('gone', `Service account ${email} was deleted after the cleanup; there is nothing to enable.`);
    if (snapshot.uniqueId && live.uniqueId && live.uniqueId !== snapshot.uniqueId) {
      return result(
        'conflict',
        `Service account ${email} is another account now (unique id ${live.uniqueId}, not ${snapshot.uniqueId}): it was deleted and made again after the cleanup. Nothing was enabled.`,
      );
    }
    if (!live.disabled) return result('already', `Service account ${email} is already enabled.`);
    await withTransientRetry(tuning, () => client.projects.serviceAccounts.enable({ name, requestBody: {} }));
    return result('restored', `Enabled service account ${email} again.`);
  },
};

/* ---------- the executor ---------- */

export function createGcpCleanup(options: GcpCleanupOptions = {}): GcpCleanup {
  const tuning: RetryTuning = { ...DEFAULT_RETRY_TUNING, ...options.retry };
  const stores = createIamPolicyStores(options.authClient, tuning);
  const iamClients = new IamV1Clients(options.authClient, options.endpoints?.iam);

  function kindOf(item: CleanupItem): 'member' | 'account' {
    if (item.change === 'remove-member' && item.object.kind === 'gcp-binding-member') return 'member';
    if (item.change === 'disable-service-account' && item.object.kind === 'gcp-service-account') return 'account';
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `GCP cleanup cannot ${item.change} on a ${item.object.kind} (${item.itemId}).`,
    );
  }

  /** The member's binding work, with Resource Manager's refusals made into DomainErrors that say what to fix. */
  function onMember<T>(
    anySystem: AuthorizationSystem,
    item: CleanupItem,
    step: string,
    work: (store: IamPolicyStore, key: MemberKey) => Promise<T>,
  ): Promise<T> {
    const system = asGcpSystem(anySystem);
    const store = stores.storeFor(system);
    const key = memberKey(system, store, item.object.key);
    return withGcpErrors(
      system,
      { what: `${step} ${key.member} in ${key.role}`, role: key.role, member: key.member },
      () => work(store, key),
    );
  }

  function onAccount<T>(
    anySystem: AuthorizationSystem,
    item: CleanupItem,
    step: string,
    work: (client: iam_v1.Iam, name: string, email: string) => Promise<T>,
  ): Promise<T> {
    const system = asGcpSystem(anySystem);
    const email = emailOf(item);
    const name = accountName(system, email);
    return withServiceAccountErrors(system, email, step, () => work(iamClients.for(system), name, email));
  }

  return {
    async snapshot(system, item) {
      if (kindOf(item) === 'member')
        return onMember(system, item, 'read', (store, key) => bindingMember.snapshot(store, key));
      return onAccount(system, item, 'read', (client, name, email) =>
        serviceAccount.snapshot(client, tuning, name, email),
      );
    },

    async apply(system, item, planned) {
      if (kindOf(item) === 'member') {
        const snapshot = snapshotKind<BindingMemberSnapshot>(planned, 'gcp-binding-member', item);
        return onMember(system, item, 'remove', (store, key) => bindingMember.apply(store, tuning, key, snapshot));
      }
      const snapshot = snapshotKind<ServiceAccountSnapshot>(planned, 'gcp-service-account', item);
      return onAccount(system, item, 'disable', (client, name) => serviceAccount.apply(client, tuning, name, snapshot));
    },

    async verify(system, item) {
      if (kindOf(item) === 'member')
        return onMember(system, item, 'verify', (store, key) => bindingMember.verify(store, key));
      return onAccount(system, item, 'read', (client, name, email) =>
        serviceAccount.verify(client, tuning, name, email),
      );
    },

    async restore(system, item, snapshot) {
      if (kindOf(item) === 'member') {
        const planned = snapshotKind<BindingMemberSnapshot>(snapshot, 'gcp-binding-member', item);
        return onMember(system, item, 'put back', (store, key) => bindingMember.restore(store, tuning, key, planned));
      }
      const planned = snapshotKind<ServiceAccountSnapshot>(snapshot, 'gcp-service-account', item);
      return onAccount(system, item, 'enable', (client, name) => serviceAccount.restore(client, tuning, name, planned));
    },

    async close() {
      iamClients.clear();
      await stores.close();
    },
  };
}
