import { GetRoleCommand, GetUserCommand, type IAMClient } from '@aws-sdk/client-iam';
import { DescribeUserCommand, GetUserIdCommand, type IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { CloudPrincipal } from '../../../domain/lease';
import type { GrantSpec, Policy, PrincipalMapping } from '../../../domain/policy/schema';
import { type AwsSystem, isNoSuchEntity, isResourceNotFound } from './errors';
import { identityCenterOf } from './identity-center';

/**
 * Who a person is in an AWS account. An explicit `principals:` mapping wins; Identity Center users
 * can also be found by e-mail; IAM roles and users are never guessed, since a wrong guess grants a
 * stranger access.
 */

/** The policy file lower-cases e-mails; chat platforms do not. */
function personKey(person: string): string {
  return person.trim().toLowerCase();
}

function unknownPrincipal(system: AwsSystem, person: string, what: string, example: string): DomainError {
  return new DomainError(
    ErrorCode.CloudPrincipalUnknown,
    `${what} Ask an admin to add a mapping for ${person} under \`principals:\` in the policy file, ` +
      `for example principals: { ${person}: { ${system.id}: { ${example} } } }.`,
  );
}

async function identityStoreUserId(
  identityStore: IdentitystoreClient,
  identityStoreId: string,
  path: string,
  value: string,
): Promise<string | undefined> {
  try {
    const response = await identityStore.send(
      new GetUserIdCommand({
        IdentityStoreId: identityStoreId,
        AlternateIdentifier: { UniqueAttribute: { AttributePath: path, AttributeValue: value } },
      }),
    );
    return response.UserId;
  } catch (error) {
    if (isResourceNotFound(error)) return undefined;
    throw error;
  }
}

async function identityStoreUser(
  identityStore: IdentitystoreClient,
  system: AwsSystem,
  person: string,
  mapping: PrincipalMapping | undefined,
): Promise<CloudPrincipal> {
  const { identityStoreId } = identityCenterOf(system);
  if (mapping?.awsIdentityStoreUserId) {
    try {
      await identityStore.send(
        new DescribeUserCommand({ IdentityStoreId: identityStoreId, UserId: mapping.awsIdentityStoreUserId }),
      );
    } catch (error) {
      if (!isResourceNotFound(error)) throw error;
      throw unknownPrincipal(
        system,
        person,
        `The policy maps ${person} to Identity Store user ${mapping.awsIdentityStoreUserId}, which does not exist in ${identityStoreId}.`,
        'awsIdentityStoreUserId: <user id>',
      );
    }
    return { kind: 'aws-identity-store-user', userId: mapping.awsIdentityStoreUserId, display: person };
  }
  // many directories use the e-mail as the user name too, so try that when no e-mail matches
  const userId =
    (await identityStoreUserId(identityStore, identityStoreId, 'emails.value', person)) ??
    (await identityStoreUserId(identityStore, identityStoreId, 'userName', person));
  if (!userId) {
    throw unknownPrincipal(
      system,
      person,
      `No user with e-mail or user name ${person} exists in Identity Store ${identityStoreId} (${system.id}).`,
      'awsIdentityStoreUserId: <user id>',
    );
  }
  return { kind: 'aws-identity-store-user', userId, display: person };
}

async function iamPrincipal(
  iam: IAMClient,
  system: AwsSystem,
  person: string,
  mapping: PrincipalMapping | undefined,
): Promise<CloudPrincipal> {
  // a role wins over a user when both are mapped: sessions of a role expire, a user's keys do not
  const target = mapping?.awsIamRole
    ? ({ kind: 'role', name: mapping.awsIamRole } as const)
    : mapping?.awsIamUser
      ? ({ kind: 'user', name: mapping.awsIamUser } as const)
      : undefined;
  if (!target) {
    throw unknownPrincipal(
      system,
      person,
      `No IAM role or user is mapped for ${person} on ${system.id}.`,
      'awsIamRole: <role name>',
    );
  }
  try {
    if (target.kind === 'role') await iam.send(new GetRoleCommand({ RoleName: target.name }));
    else await iam.send(new GetUserCommand({ UserName: target.name }));
  } catch (error) {
    if (!isNoSuchEntity(error)) throw error;
    throw unknownPrincipal(
      system,
      person,
      `The policy maps ${person} to IAM ${target.kind} "${target.name}", which does not exist in AWS account ${system.accountId}.`,
      target.kind === 'role' ? 'awsIamRole: <role name>' : 'awsIamUser: <user name>',
    );
  }
  return target.kind === 'role'
    ? { kind: 'aws-iam-role', roleName: target.name }
    : { kind: 'aws-iam-user', userName: target.name };
}

export async function resolveAwsPrincipal(
  clients: { iam: IAMClient; identityStore: IdentitystoreClient },
  system: AwsSystem,
  person: string,
  grant: GrantSpec,
  policy: Policy,
): Promise<CloudPrincipal> {
  const email = personKey(person);
  const mapping = policy.principals[email]?.[system.id];
  switch (grant.kind) {
    case 'aws-identity-center':
      return identityStoreUser(clients.identityStore, system, email, mapping);
    case 'aws-iam-inline-policy':
      return iamPrincipal(clients.iam, system, email, mapping);
    default:
      throw new DomainError(
        ErrorCode.CloudTargetUnknown,
        `AWS system "${system.id}" cannot take a ${grant.kind} grant.`,
      );
  }
}
