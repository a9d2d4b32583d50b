import { isDeepStrictEqual } from 'node:util';
import {
  DeleteGroupPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetGroupPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  paginateListRolePolicies,
  paginateListRoles,
  paginateListUserPolicies,
  paginateListUsers,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { DomainError, ErrorCode } from '../../../domain/errors';
import {
  INLINE_POLICY_PREFIX,
  inlinePolicyName,
  type CloudPrincipal,
  type GrantReceipt,
  type LeaseSpec,
  type ObservedGrant,
  type Presence,
} from '../../../domain/lease';
import type { GrantSpec } from '../../../domain/policy/schema';
import { type AwsSystem, isNoSuchEntity } from './errors';

/**
 * An inline policy per lease on an IAM role or user. The policy ends itself: every statement is
 * conditioned on aws:CurrentTime, so access stops at expiry even if the revoke never runs.
 */

type InlineGrant = Extract<GrantSpec, { kind: 'aws-iam-inline-policy' }>;

/** An IAM identity that can hold inline policies. */
export interface InlinePolicyHolder {
  kind: 'role' | 'user' | 'group';
  name: string;
}

/** Leases go on roles and users only: a group's members were not asked about. */
interface Holder extends InlinePolicyHolder {
  kind: 'role' | 'user';
}

interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition: { DateLessThan: { 'aws:CurrentTime': string } };
}

export interface LeasePolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

export function leasePolicyDocument(grant: InlineGrant, expiresAt: string): LeasePolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: grant.statements.map((statement, index) => ({
      // IAM wants Sids unique within a policy
      Sid: index === 0 ? 'LeastLease' : `LeastLease${index + 1}`,
      Effect: 'Allow',
      Action: statement.actions,
      Resource: statement.resources,
      Condition: { DateLessThan: { 'aws:CurrentTime': expiresAt } },
    })),
  };
}

export function inlinePolicyKey(holder: Holder, policyName: string): string {
  return `aws-iam-inline:${holder.kind}:${holder.name}:${policyName}`;
}

function holderOf(principal: CloudPrincipal): Holder {
  if (principal.kind === 'aws-iam-role') return { kind: 'role', name: principal.roleName };
  if (principal.kind === 'aws-iam-user') return { kind: 'user', name: principal.userName };
  throw new DomainError(
    ErrorCode.CloudPrincipalUnknown,
    `An IAM inline policy can only be put on an IAM role or user, not on a ${principal.kind}.`,
  );
}

function principalOf(holder: Holder): CloudPrincipal {
  return holder.kind === 'role'
    ? { kind: 'aws-iam-role', roleName: holder.name }
    : { kind: 'aws-iam-user', userName: holder.name };
}

function inlineGrantOf(lease: LeaseSpec): InlineGrant {
  if (lease.grant.kind !== 'aws-iam-inline-policy') throw new Error(`not an inline-policy lease: ${lease.grant.kind}`);
  return lease.grant;
}

/** The stored document's text as IAM returns it (URL-encoded), or undefined when the holder or the policy does not exist. */
export async function readInlinePolicyText(
  iam: IAMClient,
  holder: InlinePolicyHolder,
  policyName: string,
): Promise<string | undefined> {
  const { name } = holder;
  try {
    const response =
      holder.kind === 'role'
        ? await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))
        : holder.kind === 'user'
          ? await iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }))
          : await iam.send(new GetGroupPolicyCommand({ GroupName: name, PolicyName: policyName }));
    return response.PolicyDocument;
  } catch (error) {
    if (isNoSuchEntity(error)) return undefined;
    throw error;
  }
}

/** Creates or replaces the inline policy; a missing holder fails with IAM's NoSuchEntity. */
export async function putInlinePolicy(
  iam: IAMClient,
  holder: InlinePolicyHolder,
  policyName: string,
  document: unknown,
): Promise<void> {
  const { name } = holder;
  const input = { PolicyName: policyName, PolicyDocument: JSON.stringify(document) };
  if (holder.kind === 'role') await iam.send(new PutRolePolicyCommand({ ...input, RoleName: name }));
  else if (holder.kind === 'user') await iam.send(new PutUserPolicyCommand({ ...input, UserName: name }));
  else await iam.send(new PutGroupPolicyCommand({ ...input, GroupName: name }));
}

/** Deletes the inline policy; gone already, or its holder gone, is fine: nothing grants through it any more. */
export async function deleteInlinePolicy(
  iam: IAMClient,
  holder: InlinePolicyHolder,
  policyName: string,
): Promise<void> {
  const { name } = holder;
  try {
    if (holder.kind === 'role') await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
    else if (holder.kind === 'user')
      await iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policyName }));
    else await iam.send(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: policyName }));
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
  }
}

/** The stored document, or undefined when the holder or the policy does not exist. */
async function readDocument(iam: IAMClient, holder: Holder, policyName: string): Promise<unknown> {
  const text = await readInlinePolicyText(iam, holder, policyName);
  // IAM returns policy documents URL-encoded
  return text === undefined ? undefined : JSON.parse(decodeURIComponent(text));
}

async function putDocument(
  iam: IAMClient,
  system: AwsSystem,
  holder: Holder,
  policyName: string,
  document: LeasePolicyDocument,
): Promise<void> {
  try {
    await putInlinePolicy(iam, holder, policyName, document);
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
    throw new DomainError(
      ErrorCode.CloudPrincipalUnknown,
      `IAM ${holder.kind} "${holder.name}" does not exist in AWS account ${system.accountId} (${system.id}). ` +
        'Ask an admin to fix the mapping under `principals:` in the policy file.',
    );
  }
}

function until(document: unknown): string | undefined {
  const statements = (document as Partial<LeasePolicyDocument> | undefined)?.Statement;
  const first = Array.isArray(statements) ? statements[0] : undefined;
  return first?.Condition?.DateLessThan?.['aws:CurrentTime'];
}

/**
 * Puts the lease's inline policy. The policy is named after the lease, so on a first attempt nothing of
 * that name can exist and the write goes without a read; a retry reads first, and says whether it wrote.
 */
export async function grantInlinePolicy(
  iam: IAMClient,
  system: AwsSystem,
  lease: LeaseSpec,
  options: { retry: boolean } = { retry: true },
): Promise<GrantReceipt> {
  const holder = holderOf(lease.principal);
  const policyName = inlinePolicyName(lease.leaseId);
  const wanted = leasePolicyDocument(inlineGrantOf(lease), lease.expiresAt);
  const existing = options.retry ? await readDocument(iam, holder, policyName) : undefined;
  const created = !isDeepStrictEqual(existing, wanted);
  if (created) await putDocument(iam, system, holder, policyName, wanted);
  const actions = [...new Set(wanted.Statement.flatMap((statement) => statement.Action))].join(', ');
  return {
    created,
    key: inlinePolicyKey(holder, policyName),
    detail: `Inline policy ${policyName} on IAM ${holder.kind} ${holder.name} in account ${system.accountId} allows ${actions} until ${lease.expiresAt}.`,
    access: {
      summary:
        `IAM ${holder.kind} ${holder.name} in AWS account ${system.accountId} now has ${actions} until ${lease.expiresAt}; ` +
        (holder.kind === 'role' ? 'assume the role as you usually do.' : 'use its credentials as you usually do.'),
    },
  };
}

export async function extendInlinePolicy(iam: IAMClient, system: AwsSystem, lease: LeaseSpec): Promise<void> {
  const holder = holderOf(lease.principal);
  await putDocument(
    iam,
    system,
    holder,
    inlinePolicyName(lease.leaseId),
    leasePolicyDocument(inlineGrantOf(lease), lease.expiresAt),
  );
}

export async function revokeInlinePolicy(iam: IAMClient, lease: LeaseSpec): Promise<void> {
  await deleteInlinePolicy(iam, holderOf(lease.principal), inlinePolicyName(lease.leaseId));
}

export async function checkInlinePolicy(iam: IAMClient, lease: LeaseSpec): Promise<Presence> {
  const holder = holderOf(lease.principal);
  const policyName = inlinePolicyName(lease.leaseId);
  const document = await readDocument(iam, holder, policyName);
  if (document === undefined) {
    return {
      present: false,
      detail: `IAM has no inline policy ${policyName} on ${holder.kind} ${holder.name} (NoSuchEntity).`,
    };
  }
  return {
    present: true,
    detail: `IAM ${holder.kind} ${holder.name} has inline policy ${policyName}: ${JSON.stringify(document)}`,
  };
}

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/** Reads a Least document back into the grant it came from, so reconciliation can revoke it. */
function leaseFromDocument(
  system: AwsSystem,
  holder: Holder,
  policyName: string,
  document: unknown,
): LeaseSpec | undefined {
  const statements = (document as { Statement?: unknown } | undefined)?.Statement;
  // A least-* policy that lost its expiry condition (edited by hand) must still be removable: removal
  // needs only the holder and the name, so the spec is rebuilt from whatever the document holds.
  const expiresAt = until(document) ?? new Date(0).toISOString();
  const listed = Array.isArray(statements) ? statements : [];
  const grant: InlineGrant = {
    kind: 'aws-iam-inline-policy',
    statements: listed.map((statement: { Action?: unknown; Resource?: unknown }) => ({
      actions: asList(statement.Action),
      resources: asList(statement.Resource),
    })),
  };
  return {
    leaseId: policyName.slice(INLINE_POLICY_PREFIX.length),
    systemId: system.id,
    grant,
    principal: principalOf(holder),
    expiresAt,
  };
}

async function holdersWithLeasePolicies(iam: IAMClient): Promise<Array<{ holder: Holder; policyName: string }>> {
  const found: Array<{ holder: Holder; policyName: string }> = [];
  const keep = (holder: Holder, names: string[] | undefined): void => {
    for (const policyName of names ?? [])
      if (policyName.startsWith(INLINE_POLICY_PREFIX)) found.push({ holder, policyName });
  };
  for await (const page of paginateListRoles({ client: iam }, {})) {
    for (const role of page.Roles ?? []) {
      const holder: Holder = { kind: 'role', name: role.RoleName! };
      for await (const policies of paginateListRolePolicies({ client: iam }, { RoleName: holder.name }))
        keep(holder, policies.PolicyNames);
    }
  }
  for await (const page of paginateListUsers({ client: iam }, {})) {
    for (const user of page.Users ?? []) {
      const holder: Holder = { kind: 'user', name: user.UserName! };
      for await (const policies of paginateListUserPolicies({ client: iam }, { UserName: holder.name }))
        keep(holder, policies.PolicyNames);
    }
  }
  return found;
}

export async function observeInlinePolicies(iam: IAMClient, system: AwsSystem): Promise<ObservedGrant[]> {
  const observed: ObservedGrant[] = [];
  for (const { holder, policyName } of await holdersWithLeasePolicies(iam)) {
    // read one at a time: IAM's per-account request rate is low and shared with everything else
    const document = await readDocument(iam, holder, policyName);
    if (document === undefined) continue; // deleted between list and read
    const lease = leaseFromDocument(system, holder, policyName, document);
    const expiry = until(document);
    observed.push({
      systemId: system.id,
      leaseId: policyName.slice(INLINE_POLICY_PREFIX.length),
      key: inlinePolicyKey(holder, policyName),
      principal: principalOf(holder),
      description: `Inline policy ${policyName} on IAM ${holder.kind} ${holder.name}${expiry ? ` until ${expiry}` : ''}`,
      ...(lease ? { lease } : {}),
    });
  }
  return observed;
}
