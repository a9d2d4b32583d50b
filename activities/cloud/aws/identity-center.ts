import {
  type AccountAssignmentOperationStatus,
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DeleteInlinePolicyFromPermissionSetCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  GetInlinePolicyForPermissionSetCommand,
  paginateListAccountAssignments,
  paginateListAccountsForProvisionedPermissionSet,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import { DescribeUserCommand, type IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { CloudPrincipal, GrantReceipt, LeaseSpec, ObservedGrant, Presence } from '../../../domain/lease';
import type { GrantSpec, Policy } from '../../../domain/policy/schema';
import { RECONCILE_PURPOSE } from './broker';
import { type AwsSystem, isResourceNotFound } from './errors';

/**
 * Identity Center account assignments. AWS applies them asynchronously (a request id to poll) and has
 * no expiry for them: the lease's revoke, and reconciliation behind it, are what end the access.
 * Leases assign users only; the cleanup also deletes and restores a group's assignments, so the calls
 * underneath take the principal's type. The cleanup also rewrites a permission set's inline policy,
 * which reaches the accounts only once the set is provisioned again (asynchronous as well).
 */

type IdentityCenterGrant = Extract<GrantSpec, { kind: 'aws-identity-center' }>;
type IdentityCenter = NonNullable<AwsSystem['identityCenter']>;

export interface AssignmentPolling {
  /** Give up (with a retryable error) after this long; the retried activity finds the assignment by listing. */
  timeoutMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_POLLING: AssignmentPolling = {
  timeoutMs: 60_000,
  firstDelayMs: 500,
  maxDelayMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Which assignments a lease made. AWS keeps no name or tag on an assignment, so an administrator's
 * identical one looks the same as Least's: the claim, written before CreateAccountAssignment, is how
 * Least tells them apart and never deletes what it did not create.
 */
export interface AssignmentClaims {
  claim(cloudKey: string, leaseId: string): Promise<void>;
  /** The lease claimed the object and has not removed it since. */
  claimed(cloudKey: string, leaseId: string): Promise<boolean>;
  /** The lease that holds the object now, if Least made it. */
  holder(cloudKey: string): Promise<string | undefined>;
  /** Least removed it: an identical one made later is someone else's. */
  release(cloudKey: string, leaseId: string): Promise<void>;
}

/** Claims held in memory: enough for one process (tests, the bench); the worker keeps them in PostgreSQL. */
export function memoryClaims(): AssignmentClaims {
  const held = new Map<string, string>(); // cloud key → lease id
  return {
    claim: async (cloudKey, leaseId) => {
      if (!held.has(cloudKey)) held.set(cloudKey, leaseId);
      return Promise.resolve();
    },
    claimed: async (cloudKey, leaseId) => Promise.resolve(held.get(cloudKey) === leaseId),
    holder: async (cloudKey) => Promise.resolve(held.get(cloudKey)),
    release: async (cloudKey, leaseId) => {
      if (held.get(cloudKey) === leaseId) held.delete(cloudKey);
      return Promise.resolve();
    },
  };
}

export type AssignmentPrincipalType = 'USER' | 'GROUP';

/** One assignment: this permission set, for this user or group, on the system's account. */
export interface Assignment {
  instanceArn: string;
  accountId: string;
  permissionSetArn: string;
  principalType: AssignmentPrincipalType;
  /** The Identity Store id (not the ARN). */
  principalId: string;
}

export function identityCenterKey(accountId: string, permissionSetArn: string, principalId: string): string {
  return `aws-identity-center:${accountId}:${permissionSetArn}:${principalId}`;
}

export function identityCenterOf(system: AwsSystem): IdentityCenter {
  if (!system.identityCenter) {
    throw new DomainError(
      ErrorCode.CloudTargetUnknown,
      `System "${system.id}" has no identityCenter block (instanceArn, identityStoreId) in the policy file.`,
    );
  }
  return system.identityCenter;
}

function assignmentOf(system: AwsSystem, lease: LeaseSpec): Assignment {
  if (lease.grant.kind !== 'aws-identity-center') throw new Error(`not an Identity Center lease: ${lease.grant.kind}`);
  if (lease.principal.kind !== 'aws-identity-store-user') {
    throw new DomainError(
      ErrorCode.CloudPrincipalUnknown,
      `An Identity Center assignment needs an Identity Store user, not a ${lease.principal.kind}.`,
    );
  }
  return {
    instanceArn: identityCenterOf(system).instanceArn,
    accountId: system.accountId,
    permissionSetArn: lease.grant.permissionSetArn,
    principalType: 'USER',
    principalId: lease.principal.userId,
  };
}

const principalWords = (assignment: Assignment): string =>
  `${assignment.principalType === 'GROUP' ? 'group' : 'user'} ${assignment.principalId}`;

function assignmentRequest(assignment: Assignment) {
  return {
    InstanceArn: assignment.instanceArn,
    TargetType: 'AWS_ACCOUNT',
    TargetId: assignment.accountId,
    PermissionSetArn: assignment.permissionSetArn,
    PrincipalType: assignment.principalType,
    PrincipalId: assignment.principalId,
  } as const;
}

/** The users (or groups) the permission set is assigned to on the account. */
async function listAssigned(sso: SSOAdminClient, assignment: Omit<Assignment, 'principalId'>): Promise<string[]> {
  const principals: string[] = [];
  const pages = paginateListAccountAssignments(
    { client: sso },
    {
      InstanceArn: assignment.instanceArn,
      AccountId: assignment.accountId,
      PermissionSetArn: assignment.permissionSetArn,
    },
  );
  for await (const page of pages) {
    for (const found of page.AccountAssignments ?? []) {
      if (found.PrincipalType === assignment.principalType && found.PrincipalId) principals.push(found.PrincipalId);
    }
  }
  return principals;
}

/** Principals of the assignment's type holding it; none when the permission set itself has gone. */
async function assignedPrincipals(sso: SSOAdminClient, assignment: Assignment): Promise<string[]> {
  try {
    return await listAssigned(sso, assignment);
  } catch (error) {
    if (isResourceNotFound(error)) return [];
    throw error;
  }
}

/** Whether Identity Center lists the assignment (false when its permission set has gone). */
export async function assignmentExists(sso: SSOAdminClient, assignment: Assignment): Promise<boolean> {
  return (await assignedPrincipals(sso, assignment)).includes(assignment.principalId);
}

/** An asynchronous Identity Center request as AWS reports it (assignments, provisioning). */
interface RequestStatus {
  Status?: string | undefined;
  RequestId?: string | undefined;
  FailureReason?: string | undefined;
}

async function waitFor<S extends RequestStatus>(
  polling: AssignmentPolling,
  what: string,
  initial: S | undefined,
  describe: (requestId: string) => Promise<S | undefined>,
): Promise<S> {
  let status = initial;
  let delay = polling.firstDelayMs;
  let waited = 0;
  while (status?.Status === 'IN_PROGRESS') {
    if (waited >= polling.timeoutMs) {
      throw new Error(`${what} (request ${status.RequestId}) still IN_PROGRESS after ${waited} ms`);
    }
    const pause = Math.min(delay, polling.timeoutMs - waited);
    await polling.sleep(pause);
    waited += pause;
    delay = Math.min(delay * 2, polling.maxDelayMs);
    status = await describe(status.RequestId!);
  }
  if (!status?.Status) throw new Error(`${what} returned no status`);
  return status;
}

/** Deletes the assignment and waits until AWS has; one already gone is fine. */
export async function deleteAssignment(
  sso: SSOAdminClient,
  assignment: Assignment,
  polling: AssignmentPolling,
): Promise<void> {
  let started: AccountAssignmentOperationStatus | undefined;
  try {
    started = (await sso.send(new DeleteAccountAssignmentCommand(assignmentRequest(assignment))))
      .AccountAssignmentDeletionStatus;
  } catch (error) {
    if (isResourceNotFound(error)) return;
    throw error;
  }
  const status = await waitFor(polling, 'DeleteAccountAssignment', started, async (requestId) => {
    const response = await sso.send(
      new DescribeAccountAssignmentDeletionStatusCommand({
        InstanceArn: assignment.instanceArn,
        AccountAssignmentDeletionRequestId: requestId,
      }),
    );
    return response.AccountAssignmentDeletionStatus;
  });
  if (status.Status === 'FAILED' && (await assignmentExists(sso, assignment))) {
    // retryable on purpose: neither a lease nor a cleanup may report it gone while AWS still holds it
    throw new Error(`DeleteAccountAssignment failed: ${status.FailureReason ?? 'no reason given'}`);
  }
}

/** A FAILED creation is not going to succeed on retry; say which part of the policy to look at. */
function creationFailure(system: AwsSystem, assignment: Assignment, reason: string): DomainError {
  const code = /principal|user|group/i.test(reason)
    ? ErrorCode.CloudPrincipalUnknown
    : /permission ?set/i.test(reason)
      ? ErrorCode.CloudPermissionSetUnknown
      : /denied|not authori[sz]ed/i.test(reason)
        ? ErrorCode.CloudAccessDenied
        : ErrorCode.CloudTargetUnknown;
  return new DomainError(
    code,
    `AWS Identity Center could not assign permission set ${assignment.permissionSetArn} to ${principalWords(assignment)} ` +
      `on account ${system.accountId} (${system.id}): ${reason}`,
  );
}

async function describePermissionSet(sso: SSOAdminClient, system: AwsSystem, assignment: Assignment): Promise<string> {
  try {
    const response = await sso.send(
      new DescribePermissionSetCommand({
        InstanceArn: assignment.instanceArn,
        PermissionSetArn: assignment.permissionSetArn,
      }),
    );
    return response.PermissionSet?.Name ?? assignment.permissionSetArn;
  } catch (error) {
    if (!isResourceNotFound(error)) throw error;
    throw new DomainError(
      ErrorCode.CloudPermissionSetUnknown,
      `Permission set ${assignment.permissionSetArn} does not exist in Identity Center instance ${assignment.instanceArn} ` +
        `(system ${system.id}). Ask an admin to fix permissionSetArn of this entitlement in the policy file.`,
    );
  }
}

function keyOf(assignment: Assignment): string {
  return identityCenterKey(assignment.accountId, assignment.permissionSetArn, assignment.principalId);
}

/**
 * Creates the assignment and waits for AWS to finish. A FAILED request can still leave a half-made
 * assignment; the contract is to leave nothing behind, so it is deleted before the failure is raised.
 */
async function createAssignment(
  sso: SSOAdminClient,
  system: AwsSystem,
  assignment: Assignment,
  polling: AssignmentPolling,
): Promise<void> {
  const started = (await sso.send(new CreateAccountAssignmentCommand(assignmentRequest(assignment))))
    .AccountAssignmentCreationStatus;
  const status = await waitFor(polling, 'CreateAccountAssignment', started, async (requestId) => {
    const response = await sso.send(
      new DescribeAccountAssignmentCreationStatusCommand({
        InstanceArn: assignment.instanceArn,
        AccountAssignmentCreationRequestId: requestId,
      }),
    );
    return response.AccountAssignmentCreationStatus;
  });
  if (status.Status === 'FAILED') {
    if (await assignmentExists(sso, assignment)) await deleteAssignment(sso, assignment, polling);
    throw creationFailure(system, assignment, status.FailureReason ?? 'no reason given');
  }
}

/**
 * Makes the assignment unless Identity Center already lists it; false when it was there. For callers whose
 * authority is not a lease (the cleanup's restore puts back what its snapshot holds, whoever made it).
 */
export async function ensureAssignment(
  sso: SSOAdminClient,
  system: AwsSystem,
  assignment: Assignment,
  polling: AssignmentPolling,
): Promise<boolean> {
  // a permission set that has gone is named, not a generic not-found
  await describePermissionSet(sso, system, assignment);
  if (await assignmentExists(sso, assignment)) return false;
  await createAssignment(sso, system, assignment, polling);
  return true;
}

export async function grantAssignment(
  sso: SSOAdminClient,
  system: AwsSystem,
  lease: LeaseSpec,
  polling: AssignmentPolling,
  claims: AssignmentClaims,
): Promise<GrantReceipt> {
  const assignment = assignmentOf(system, lease);
  const permissionSetName = await describePermissionSet(sso, system, assignment);
  const key = keyOf(assignment);
  const display = lease.principal.kind === 'aws-identity-store-user' ? lease.principal.display : assignment.principalId;
  const { portalUrl } = identityCenterOf(system);
  const receipt = (created: boolean): GrantReceipt => ({
    created,
    key,
    detail: `Identity Center assigned permission set ${permissionSetName} (${assignment.permissionSetArn}) on account ${assignment.accountId} to ${display} (${assignment.principalId}).`,
    access: {
      summary:
        `Sign in to the AWS access portal${portalUrl ? ` (${portalUrl})` : ''}, choose account ${assignment.accountId}` +
        `${system.title ? ` (${system.title})` : ''} and then ${permissionSetName}.`,
      ...(portalUrl ? { url: portalUrl } : {}),
    },
  });

  if ((await listAssigned(sso, assignment)).includes(assignment.principalId)) {
    // a retried grant finds its own assignment; anyone else's is not Least's to time-limit or delete
    if (await claims.claimed(key, lease.leaseId)) return receipt(false);
    throw new DomainError(
      ErrorCode.CloudAlreadyHeld,
      `${display} already holds permission set ${permissionSetName} on account ${assignment.accountId} (${system.id}) ` +
        `through an Identity Center assignment made outside Least. Least changed nothing and will not remove it; ` +
        `ask an administrator to remove that assignment if access should be time-limited.`,
    );
  }
  await claims.claim(key, lease.leaseId);
  await createAssignment(sso, system, assignment, polling);
  return receipt(true);
}

/** Deletes the assignment only when this lease made it; one made outside Least stays. */
export async function revokeAssignment(
  sso: SSOAdminClient,
  system: AwsSystem,
  lease: LeaseSpec,
  polling: AssignmentPolling,
  claims: AssignmentClaims,
): Promise<void> {
  const assignment = assignmentOf(system, lease);
  if (!(await assignmentExists(sso, assignment))) return;
  if (!(await claims.claimed(keyOf(assignment), lease.leaseId))) return;
  await deleteAssignment(sso, assignment, polling);
  await claims.release(keyOf(assignment), lease.leaseId);
}

/** Whether the lease's own assignment is there; one made outside Least is not the lease's grant. */
export async function checkAssignment(
  sso: SSOAdminClient,
  system: AwsSystem,
  lease: LeaseSpec,
  claims: AssignmentClaims,
): Promise<Presence> {
  const assignment = assignmentOf(system, lease);
  const users = await assignedPrincipals(sso, assignment);
  const asked = `ListAccountAssignments for permission set ${assignment.permissionSetArn} on account ${assignment.accountId}`;
  if (users.includes(assignment.principalId)) {
    if (await claims.claimed(keyOf(assignment), lease.leaseId))
      return { present: true, detail: `${asked} lists USER ${assignment.principalId}.` };
    return {
      present: false,
      detail: `${asked} lists USER ${assignment.principalId} through an assignment made outside Least, left in place.`,
    };
  }
  return {
    present: false,
    detail: `${asked} lists ${users.length} user assignment(s), none for USER ${assignment.principalId}.`,
  };
}

/** Every user assignment of the permission sets this system's entitlements grant, whoever made it. */
export async function observeAssignments(
  sso: SSOAdminClient,
  identityStore: IdentitystoreClient,
  system: AwsSystem,
  policy: Policy,
  now: () => Date,
  claims: AssignmentClaims,
): Promise<ObservedGrant[]> {
  if (!system.identityCenter) return [];
  const { instanceArn, identityStoreId } = system.identityCenter;
  const permissionSetArns = [
    ...new Set(
      policy.entitlements
        .filter((entitlement) => entitlement.system === system.id && entitlement.grant.kind === 'aws-identity-center')
        .map((entitlement) => (entitlement.grant as IdentityCenterGrant).permissionSetArn),
    ),
  ];
  const names = new Map<string, string>();
  const displayOf = async (userId: string): Promise<string> => {
    if (!names.has(userId)) {
      try {
        const user = await identityStore.send(
          new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: userId }),
        );
        names.set(userId, user.UserName ?? user.DisplayName ?? userId);
      } catch (error) {
        if (!isResourceNotFound(error)) throw error;
        names.set(userId, userId);
      }
    }
    return names.get(userId)!;
  };

  const observed: ObservedGrant[] = [];
  for (const permissionSetArn of permissionSetArns) {
    const assignment = { instanceArn, accountId: system.accountId, permissionSetArn, principalType: 'USER' } as const;
    let users: string[];
    try {
      users = await listAssigned(sso, assignment);
    } catch (error) {
      if (isResourceNotFound(error)) continue; // a permission set the policy names but AWS no longer has
      throw error;
    }
    for (const userId of users) {
      const principal: CloudPrincipal = { kind: 'aws-identity-store-user', userId, display: await displayOf(userId) };
      const key = identityCenterKey(system.accountId, permissionSetArn, userId);
      // AWS records no lease on an assignment: Least's claim says whose it is, and nothing else does
      const holder = await claims.holder(key);
      observed.push({
        systemId: system.id,
        ...(holder ? { leaseId: holder } : {}),
        madeByLeast: holder !== undefined,
        key,
        principal,
        description: `Identity Center assignment of ${permissionSetArn} on account ${system.accountId} to ${principal.display}`,
        lease: {
          leaseId: holder ?? RECONCILE_PURPOSE,
          systemId: system.id,
          grant: { kind: 'aws-identity-center', permissionSetArn },
          principal,
          expiresAt: now().toISOString(),
        },
      });
    }
  }
  return observed;
}

/* ---------- a permission set's inline policy (the cleanup) ---------- */

/** A permission set of an Identity Center instance. */
export interface PermissionSetRef {
  instanceArn: string;
  permissionSetArn: string;
}

const setRequest = (ref: PermissionSetRef) => ({
  InstanceArn: ref.instanceArn,
  PermissionSetArn: ref.permissionSetArn,
});

/**
 * The set's inline policy as Identity Center holds it: its text, absent when it has none (AWS answers
 * an empty string); `exists` false when the set itself has gone.
 */
export async function readPermissionSetPolicy(
  sso: SSOAdminClient,
  ref: PermissionSetRef,
): Promise<{ exists: boolean; text?: string }> {
  try {
    const answer = await sso.send(new GetInlinePolicyForPermissionSetCommand(setRequest(ref)));
    return { exists: true, ...(answer.InlinePolicy ? { text: answer.InlinePolicy } : {}) };
  } catch (error) {
    if (isResourceNotFound(error)) return { exists: false };
    throw error;
  }
}

/** Puts the document as the set's inline policy, or deletes it (null). Reaches no account until provisioned. */
export async function writePermissionSetPolicy(
  sso: SSOAdminClient,
  ref: PermissionSetRef,
  document: unknown,
): Promise<void> {
  if (document === null) await sso.send(new DeleteInlinePolicyFromPermissionSetCommand(setRequest(ref)));
  else
    await sso.send(
      new PutInlinePolicyToPermissionSetCommand({ ...setRequest(ref), InlinePolicy: JSON.stringify(document) }),
    );
}

/**
 * The accounts the set is provisioned to, sorted; with `outdated`, only those still holding an older
 * version of it (a change not provisioned yet, or a provisioning that failed there).
 */
export async function provisionedAccounts(
  sso: SSOAdminClient,
  ref: PermissionSetRef,
  options: { outdated?: boolean } = {},
): Promise<string[]> {
  const accounts = new Set<string>();
  const input = {
    ...setRequest(ref),
    ...(options.outdated ? { ProvisioningStatus: 'LATEST_PERMISSION_SET_NOT_PROVISIONED' as const } : {}),
  };
  for await (const page of paginateListAccountsForProvisionedPermissionSet({ client: sso }, input))
    for (const account of page.AccountIds ?? []) accounts.add(account);
  return [...accounts].sort();
}

/**
 * Provisions the set's current policies to every account it is provisioned to, and waits until AWS has.
 * A FAILED or unfinished request is a retryable error: the retried change finds accounts still outdated
 * and provisions again.
 */
export async function provisionPermissionSet(
  sso: SSOAdminClient,
  ref: PermissionSetRef,
  polling: AssignmentPolling,
): Promise<void> {
  const started = (
    await sso.send(new ProvisionPermissionSetCommand({ ...setRequest(ref), TargetType: 'ALL_PROVISIONED_ACCOUNTS' }))
  ).PermissionSetProvisioningStatus;
  const status = await waitFor(polling, 'ProvisionPermissionSet', started, async (requestId) => {
    const response = await sso.send(
      new DescribePermissionSetProvisioningStatusCommand({
        InstanceArn: ref.instanceArn,
        ProvisionPermissionSetRequestId: requestId,
      }),
    );
    return response.PermissionSetProvisioningStatus;
  });
  if (status.Status === 'FAILED')
    throw new Error(
      `ProvisionPermissionSet of ${ref.permissionSetArn} failed: ${status.FailureReason ?? 'no reason given'}`,
    );
}
