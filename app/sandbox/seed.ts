import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { CreatePermissionSetCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { CreateUserCommand as CreateDirectoryUserCommand, IdentitystoreClient } from '@aws-sdk/client-identitystore';
import type { AuthorizationSystem, Policy } from '../../domain/policy/schema';

type AwsSystem = Extract<AuthorizationSystem, { cloud: 'aws' }>;

/** Credentials the emulator accepts; they open nothing anywhere else. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } as const;

/**
 * The customer-managed policy every mapped IAM role and user holds in the sandbox, so `least inventory
 * show` has standing grants to set against usage (a wildcard among them, expanded from the catalogue).
 */
export const SANDBOX_STANDING_POLICY = {
  name: 'sandbox-analyst-standing',
  document: {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['athena:StartQueryExecution', 'athena:GetQueryResults', 'logs:FilterLogEvents', 'cloudwatch:Get*'],
        Resource: '*',
      },
    ],
  },
} as const;

const EMAIL = /^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/;

/**
 * Builds in the emulator what a real account would hold for this policy: for each AWS system the
 * broker role (trusting the account, with the external id), Identity Center permission sets the
 * entitlements name, a directory user for every person the policy mentions, and the IAM roles and
 * users that inline-policy grants attach to, each holding a small standing policy (SANDBOX_STANDING_POLICY)
 * so the inventory has grants to show before any lease. Returns the emulator's ids keyed by the policy's ids.
 */
export async function seedEmulator(endpoint: string, policy: Policy): Promise<Map<string, string>> {
  const aliases = new Map<string, string>();
  const people = peopleOf(policy);
  for (const system of policy.authorizationSystems) {
    if (system.cloud !== 'aws') continue;
    const config = { endpoint, region: system.region, credentials: SANDBOX_CREDENTIALS };
    const iam = new IAMClient(config);
    const ssoAdmin = new SSOAdminClient(config);
    const directory = new IdentitystoreClient(config);
    try {
      await seedIam(iam, system, policy);
      if (system.identityCenter) {
        await seedPermissionSets(ssoAdmin, system, policy, aliases);
        await seedDirectory(directory, system, policy, people, aliases);
      }
    } finally {
      iam.destroy();
      ssoAdmin.destroy();
      directory.destroy();
    }
  }
  return aliases;
}

async function seedIam(iam: IAMClient, system: AwsSystem, policy: Policy): Promise<void> {
  const root = `arn:aws:iam::${system.accountId}:root`;
  const trust = (condition?: object) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: root },
          Action: 'sts:AssumeRole',
          ...(condition ? { Condition: condition } : {}),
        },
      ],
    });
  const brokerRole = system.brokerRoleArn.split(':role/')[1]!.split('/').pop()!;
  const externalId = system.externalId ? { StringEquals: { 'sts:ExternalId': system.externalId } } : undefined;
  await iam.send(new CreateRoleCommand({ RoleName: brokerRole, AssumeRolePolicyDocument: trust(externalId) }));
  const roles = new Set<string>();
  const users = new Set<string>();
  for (const mapping of Object.values(policy.principals)) {
    const forSystem = mapping[system.id];
    if (forSystem?.awsIamRole) roles.add(forSystem.awsIamRole);
    if (forSystem?.awsIamUser) users.add(forSystem.awsIamUser);
  }
  if (roles.size === 0 && users.size === 0) return;
  const standing = await iam.send(
    new CreatePolicyCommand({
      PolicyName: SANDBOX_STANDING_POLICY.name,
      Description: 'Sandbox only: what an analyst holds without a lease',
      PolicyDocument: JSON.stringify(SANDBOX_STANDING_POLICY.document),
    }),
  );
  const PolicyArn = standing.Policy!.Arn!;
  for (const role of roles) {
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust() }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn }));
  }
  for (const user of users) {
    await iam.send(new CreateUserCommand({ UserName: user }));
    await iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn }));
  }
}

async function seedPermissionSets(
  ssoAdmin: SSOAdminClient,
  system: AwsSystem,
  policy: Policy,
  aliases: Map<string, string>,
): Promise<void> {
  for (const entitlement of policy.entitlements) {
    if (entitlement.system !== system.id || entitlement.grant.kind !== 'aws-identity-center') continue;
    const arn = entitlement.grant.permissionSetArn;
    if (aliases.has(arn)) continue;
    const created = await ssoAdmin.send(
      new CreatePermissionSetCommand({
        InstanceArn: system.identityCenter!.instanceArn,
        // permission set names allow 32 characters of [\w+=,.@-]
        Name: entitlement.id.replace(/[^\w+=,.@-]/g, '-').slice(0, 32),
        Description: entitlement.title,
        SessionDuration: 'PT1H',
      }),
    );
    aliases.set(arn, created.PermissionSet!.PermissionSetArn!);
  }
}

async function seedDirectory(
  directory: IdentitystoreClient,
  system: AwsSystem,
  policy: Policy,
  people: string[],
  aliases: Map<string, string>,
): Promise<void> {
  const identityStoreId = system.identityCenter!.identityStoreId;
  for (const email of people) {
    const [given = email, family = 'Sandbox'] = email.split('@')[0]!.split('.');
    const created = await directory.send(
      new CreateDirectoryUserCommand({
        IdentityStoreId: identityStoreId,
        UserName: email,
        DisplayName: `${given} ${family}`,
        Name: { GivenName: given, FamilyName: family },
        Emails: [{ Value: email, Type: 'work', Primary: true }],
      }),
    );
    const mapped = policy.principals[email]?.[system.id]?.awsIdentityStoreUserId;
    if (mapped) aliases.set(mapped, created.UserId!);
  }
}

/** Every e-mail address the policy names: groups, requesters, approvers, admins, principal mappings. */
export function peopleOf(policy: Policy): string[] {
  const found = new Set<string>(Object.keys(policy.principals).filter((key) => EMAIL.test(key)));
  JSON.stringify(policy, (_key, value: unknown) => {
    if (typeof value === 'string' && EMAIL.test(value)) found.add(value.toLowerCase());
    return value;
  });
  return [...found].sort();
}
