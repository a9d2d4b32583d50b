import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { GrantReceipt, LeaseSpec, ObservedGrant, Presence } from '../../../domain/lease';
import type { GrantSpec, Policy } from '../../../domain/policy/schema';
import { type GcpSystem, type GcpTarget, googleFailure, isConflict } from './errors';
import { backoffMs, type IamBinding, type IamPolicy, type IamPolicyStore, type RetryTuning } from './resource-manager';

/**
 * One conditional role binding per lease in the project's (or folder's) IAM policy. The condition's
 * title carries the lease id and its expression the expiry, so GCP stops honouring the binding at
 * expiry even if Least's revocation never runs. Every change is a read-modify-write guarded by the
 * etag, and touches nothing but the lease's own binding.
 */

export const LEASE_CONDITION_PREFIX = 'least-';

type BindingGrant = Extract<GrantSpec, { kind: 'gcp-iam-binding' }>;

/** GCP refuses IAM Conditions on the legacy basic roles, and Least never grants without one. */
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);

export function conditionTitle(leaseId: string): string {
  return `${LEASE_CONDITION_PREFIX}${leaseId}`;
}

/** RFC 3339 in UTC to the second; a fraction is cut off, so the cloud never honours a grant longer than the lease. */
export function conditionTimestamp(expiresAt: string): string {
  const at = new Date(expiresAt);
  if (Number.isNaN(at.getTime())) throw new Error(`lease expiry "${expiresAt}" is not a time`);
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function leaseCondition(
  leaseId: string,
  expiresAt: string,
): { title: string; description: string; expression: string } {
  return {
    title: conditionTitle(leaseId),
    description: `Least lease ${leaseId}`,
    expression: `request.time < timestamp("${conditionTimestamp(expiresAt)}")`,
  };
}

/** The expiry a Least condition expression names, if it still has the shape Least wrote. */
export function expiryOf(expression: string | null | undefined): string | undefined {
  const found = /request\.time\s*<\s*timestamp\(\s*["']([^"']+)["']\s*\)/.exec(expression ?? '');
  if (!found) return undefined;
  const at = new Date(found[1]!);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function bindingKey(resource: string, role: string, member: string, title?: string): string {
  return `gcp-binding:${resource}:${role}:${member}${title ? `:${title}` : ''}`;
}

function bindingGrantOf(lease: LeaseSpec): BindingGrant {
  if (lease.grant.kind !== 'gcp-iam-binding') throw new Error(`not a GCP binding lease: ${lease.grant.kind}`);
  return lease.grant;
}

function memberOf(lease: LeaseSpec): string {
  if (lease.principal.kind !== 'gcp-member') {
    throw new DomainError(
      ErrorCode.CloudPrincipalUnknown,
      `A GCP role binding needs a GCP member (user:…, group:…), not a ${lease.principal.kind}.`,
    );
  }
  return lease.principal.member;
}

const isLeaseBinding = (binding: IamBinding, role: string, title: string): boolean =>
  binding.role === role && binding.condition?.title === title;

function holds(policy: IamPolicy, role: string, title: string, member: string): IamBinding | undefined {
  return (policy.bindings ?? []).find(
    (binding) => isLeaseBinding(binding, role, title) && (binding.members ?? []).includes(member),
  );
}

/** The policy to write, or undefined when it already says what the lease needs. */
type PolicyEdit = (policy: IamPolicy) => IamPolicy | undefined;

/** Other bindings keep their objects, so what another writer put there goes back exactly as read. */
export function withBindings(policy: IamPolicy, bindings: IamBinding[]): IamPolicy {
  // conditions exist only from version 3 on, and a lower version would make GCP drop them
  return { ...policy, version: 3, bindings };
}

/** Adds the member to the lease's binding (creating it), with this expiry; `force` rewrites an existing expiry. */
function upsertLeaseBinding(
  role: string,
  member: string,
  leaseId: string,
  expiresAt: string,
  force: boolean,
): PolicyEdit {
  const condition = leaseCondition(leaseId, expiresAt);
  return (policy) => {
    const bindings = policy.bindings ?? [];
    const existing = bindings.find((binding) => isLeaseBinding(binding, role, condition.title));
    const present = (existing?.members ?? []).includes(member);
    if (present && (!force || existing!.condition?.expression === condition.expression)) return undefined;
    if (!existing) return withBindings(policy, [...bindings, { role, members: [member], condition }]);
    const members = present ? existing.members! : [...(existing.members ?? []), member];
    const changed: IamBinding = { ...existing, members, condition: { ...existing.condition, ...condition } };
    return withBindings(
      policy,
      bindings.map((binding) => (binding === existing ? changed : binding)),
    );
  };
}

function removeFromLeaseBinding(role: string, member: string, leaseId: string): PolicyEdit {
  const title = conditionTitle(leaseId);
  return (policy) => {
    const bindings = policy.bindings ?? [];
    if (!holds(policy, role, title, member)) return undefined;
    const kept: IamBinding[] = [];
    for (const binding of bindings) {
      if (!isLeaseBinding(binding, role, title) || !(binding.members ?? []).includes(member)) {
        kept.push(binding);
        continue;
      }
      const members = binding.members!.filter((candidate) => candidate !== member);
      if (members.length > 0) kept.push({ ...binding, members });
    }
    return withBindings(policy, kept);
  };
}

/** What to do with one read of the policy: the policy to write (none: leave it), and the answer to give. */
export interface PolicyDecision<T> {
  write?: IamPolicy;
  outcome: T;
}

/**
 * Read, decide, write with the etag read; when another writer got in between (409 ABORTED or 412),
 * read and decide again, so their change is seen, and survives next to ours.
 */
export async function readDecideWrite<T>(
  store: IamPolicyStore,
  tuning: RetryTuning,
  decide: (policy: IamPolicy) => PolicyDecision<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const { write, outcome } = decide(await store.read());
    if (!write) return outcome;
    try {
      await store.write(write);
      return outcome;
    } catch (error) {
      if (!isConflict(googleFailure(error)) || attempt >= tuning.conflictRetries) throw error;
      await sleep(backoffMs(tuning, attempt));
    }
  }
}

/** True when the edit wrote, false when the policy already said what the lease needs. */
function readModifyWrite(store: IamPolicyStore, tuning: RetryTuning, edit: PolicyEdit): Promise<boolean> {
  return readDecideWrite(store, tuning, (policy) => {
    const write = edit(policy);
    return { write, outcome: write !== undefined };
  });
}

function describeTarget(target: GcpTarget): string {
  return `${target.label} (${target.resource})`;
}

export async function grantBinding(
  store: IamPolicyStore,
  tuning: RetryTuning,
  lease: LeaseSpec,
): Promise<GrantReceipt> {
  const { role } = bindingGrantOf(lease);
  const member = memberOf(lease);
  const { target } = store;
  if (BASIC_ROLES.has(role)) {
    throw new DomainError(
      ErrorCode.CloudPermissionSetUnknown,
      `GCP does not allow IAM Conditions on the basic role ${role}, and Least grants only with an expiry condition. ` +
        'Point the entitlement at a predefined or custom role instead (for example roles/browser or roles/iam.securityReviewer).',
    );
  }
  const until = conditionTimestamp(lease.expiresAt);
  const created = await readModifyWrite(
    store,
    tuning,
    upsertLeaseBinding(role, member, lease.leaseId, lease.expiresAt, false),
  );
  return {
    created,
    key: bindingKey(target.resource, role, member, conditionTitle(lease.leaseId)),
    detail: `Binding of ${role} to ${member} on ${describeTarget(target)} with condition ${conditionTitle(lease.leaseId)} (request.time < ${until}).`,
    access: {
      summary: `${member} has ${role} on GCP ${target.label} until ${until}; GCP itself stops honouring it then. Open ${target.consoleUrl}`,
      url: target.consoleUrl,
    },
  };
}

export async function extendBinding(store: IamPolicyStore, tuning: RetryTuning, lease: LeaseSpec): Promise<void> {
  const { role } = bindingGrantOf(lease);
  await readModifyWrite(store, tuning, upsertLeaseBinding(role, memberOf(lease), lease.leaseId, lease.expiresAt, true));
}

export async function revokeBinding(store: IamPolicyStore, tuning: RetryTuning, lease: LeaseSpec): Promise<void> {
  const { role } = bindingGrantOf(lease);
  await readModifyWrite(store, tuning, removeFromLeaseBinding(role, memberOf(lease), lease.leaseId));
}

export async function checkBinding(store: IamPolicyStore, lease: LeaseSpec, now: () => Date): Promise<Presence> {
  const { role } = bindingGrantOf(lease);
  const member = memberOf(lease);
  const title = conditionTitle(lease.leaseId);
  const policy = await store.read();
  const etag = policy.etag ? Buffer.from(policy.etag as Uint8Array | string).toString('base64') : '(none)';
  const seen = `IAM policy of ${describeTarget(store.target)}, etag ${etag}, version ${policy.version ?? 1}, ${(policy.bindings ?? []).length} bindings`;
  const binding = holds(policy, role, title, member);
  if (!binding)
    return { present: false, detail: `${seen}: no binding of ${role} with condition ${title} holds ${member}.` };
  const expiry = expiryOf(binding.condition?.expression);
  const lapsed =
    expiry !== undefined && Date.parse(expiry) <= now().getTime() ? ' (expired: GCP no longer honours it)' : '';
  return {
    present: true,
    detail: `${seen}: ${member} holds ${role} with condition ${title}: ${binding.condition?.expression ?? ''}${lapsed}.`,
  };
}

/** The roles this system's entitlements grant: bindings of these made outside Least are worth reporting. */
function managedRoles(system: GcpSystem, policy: Policy): Set<string> {
  const roles = new Set<string>();
  for (const entitlement of policy.entitlements) {
    if (entitlement.system === system.id && entitlement.grant.kind === 'gcp-iam-binding')
      roles.add(entitlement.grant.role);
  }
  return roles;
}

export async function observeBindings(
  store: IamPolicyStore,
  system: GcpSystem,
  policy: Policy,
): Promise<ObservedGrant[]> {
  const { target } = store;
  const roles = managedRoles(system, policy);
  const observed: ObservedGrant[] = [];
  for (const binding of (await store.read()).bindings ?? []) {
    const role = binding.role ?? '';
    const title = binding.condition?.title ?? '';
    const byLeast = title.startsWith(LEASE_CONDITION_PREFIX);
    if (!byLeast && !roles.has(role)) continue;
    for (const member of binding.members ?? []) {
      const principal = { kind: 'gcp-member', member } as const;
      if (byLeast) {
        const leaseId = title.slice(LEASE_CONDITION_PREFIX.length);
        const expiry = expiryOf(binding.condition?.expression);
        observed.push({
          systemId: system.id,
          leaseId,
          key: bindingKey(target.resource, role, member, title),
          principal,
          description: `Binding of ${role} to ${member} on ${target.label} with condition ${title}${expiry ? ` until ${expiry}` : ''}`,
          // a condition edited by hand loses its expiry; removal needs only role, member and title
          lease: {
            leaseId,
            systemId: system.id,
            grant: { kind: 'gcp-iam-binding', role },
            principal,
            expiresAt: expiry ?? new Date(0).toISOString(),
          },
        });
      } else {
        // not Least's to remove: reconciliation reports it, and revoke would not touch it anyway
        observed.push({
          systemId: system.id,
          key: bindingKey(target.resource, role, member, title || undefined),
          principal,
          description: `Binding of ${role} to ${member} on ${target.label} made outside Least${title ? ` (condition ${title})` : ' (no condition: it never expires)'}`,
        });
      }
    }
  }
  return observed;
}
