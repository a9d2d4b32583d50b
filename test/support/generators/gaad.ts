import { createHash } from 'node:crypto';

/**
 * An AWS account as `aws iam get-account-authorization-details` writes it (GAAD), small and deterministic,
 * built so that `least findings scan` has something to say about every finding it knows: one user per
 * privilege-escalation technique family, an AdministratorAccess role, roles trusting anyone and another
 * account, a deny and a permissions boundary that take the risk away, a conditional escalation, data
 * exfiltration, credentials exposure, a service wildcard, a group that hands escalation to its member, a
 * harmless read-only user and a service-linked role. test/e2e/fixtures/findings-account.json is its
 * output (`authorizationDetailsText()`), and a test checks the two still agree byte for byte.
 *
 * `copies` makes a bigger account for benchmarks: copy 0 is the account above, copy k the same with
 * `-c<k>` after every user, group, role and customer-managed policy name (ids and ARNs follow, and every
 * reference within the copy is to the copy's own entity). AWS-managed policies are one set per account,
 * as in AWS: every copy attaches the same ones, their AttachmentCount multiplied.
 */

export interface GaadOptions {
  /** Default 111122223333. */
  accountId?: string;
  /** The other account one role trusts; default 999988887777. */
  partnerAccountId?: string;
  /** Copies of the account's identities and customer-managed policies; default 1. */
  copies?: number;
}

export const GAAD_ACCOUNT_ID = '111122223333';
export const GAAD_PARTNER_ACCOUNT_ID = '999988887777';

/** A policy body as the AWS CLI writes it: a JSON object. */
export type PolicyBody = { Version: string; Statement: Statement[] } | Record<string, unknown> | string;
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny' | string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface GaadInlinePolicy {
  PolicyName: string;
  PolicyDocument: PolicyBody;
}
export interface GaadAttached {
  PolicyName: string;
  PolicyArn: string;
}
export interface GaadBoundary {
  PermissionsBoundaryType: 'Policy';
  PermissionsBoundaryArn: string;
}
export interface GaadTag {
  Key: string;
  Value: string;
}

export interface GaadUser {
  Path: string;
  UserName: string;
  UserId: string;
  Arn: string;
  CreateDate: string;
  UserPolicyList?: GaadInlinePolicy[];
  GroupList: string[];
  AttachedManagedPolicies: GaadAttached[];
  PermissionsBoundary?: GaadBoundary;
  Tags: GaadTag[];
}

export interface GaadGroup {
  Path: string;
  GroupName: string;
  GroupId: string;
  Arn: string;
  CreateDate: string;
  GroupPolicyList: GaadInlinePolicy[];
  AttachedManagedPolicies: GaadAttached[];
}

export interface GaadInstanceProfile {
  Path: string;
  InstanceProfileName: string;
  InstanceProfileId: string;
  Arn: string;
  CreateDate: string;
  Roles: {
    Path: string;
    RoleName: string;
    RoleId: string;
    Arn: string;
    CreateDate: string;
    AssumeRolePolicyDocument: PolicyBody;
  }[];
}

export interface GaadRole {
  Path: string;
  RoleName: string;
  RoleId: string;
  Arn: string;
  CreateDate: string;
  AssumeRolePolicyDocument?: PolicyBody;
  Description?: string;
  MaxSessionDuration?: number;
  InstanceProfileList: GaadInstanceProfile[];
  RolePolicyList: GaadInlinePolicy[];
  AttachedManagedPolicies: GaadAttached[];
  PermissionsBoundary?: GaadBoundary;
  Tags: GaadTag[];
  RoleLastUsed: { LastUsedDate?: string; Region?: string };
}

export interface GaadPolicyVersion {
  Document?: PolicyBody;
  VersionId: string;
  IsDefaultVersion: boolean;
  CreateDate: string;
}

export interface GaadPolicy {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Path: string;
  DefaultVersionId: string;
  AttachmentCount: number;
  PermissionsBoundaryUsageCount: number;
  IsAttachable: boolean;
  CreateDate: string;
  UpdateDate: string;
  PolicyVersionList: GaadPolicyVersion[];
}

export interface AuthorizationDetailsFile {
  UserDetailList: GaadUser[];
  GroupDetailList: GaadGroup[];
  RoleDetailList: GaadRole[];
  Policies: GaadPolicy[];
}

/* ---------- building blocks, also for tests that write files of their own ---------- */

/** `{"Version": "2012-10-17", "Statement": [...]}`. */
export function policyDocument(...statements: Statement[]): { Version: string; Statement: Statement[] } {
  return { Version: '2012-10-17', Statement: statements };
}

export function allow(action: string | string[], resource: string | string[] = '*', extra: Partial<Statement> = {}) {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra } satisfies Statement;
}

export function deny(action: string | string[], resource: string | string[] = '*', extra: Partial<Statement> = {}) {
  return { Effect: 'Deny', Action: action, Resource: resource, ...extra } satisfies Statement;
}

/** A trust policy letting these principals assume the role. */
export function trustPolicy(principal: unknown, condition?: Statement['Condition']) {
  return policyDocument({
    Effect: 'Allow',
    Principal: principal,
    Action: 'sts:AssumeRole',
    ...(condition ? { Condition: condition } : {}),
  });
}

/** An IAM unique id: its kind's prefix and 17 characters of the name's hash, the same every run. */
export function iamId(prefix: 'AIDA' | 'AGPA' | 'AROA' | 'ANPA' | 'AIPA', seed: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(`${prefix}:${seed}`).digest();
  let id = prefix;
  for (let i = 0; i < 17; i++) id += alphabet[digest[i]! % 32];
  return id;
}

/** The AWS CLI's date format: `2023-03-09T10:41:34+00:00`. Day n after 2022-01-03, at a time of its own. */
export function cliDate(day: number): string {
  const ms = Date.UTC(2022, 0, 3) + day * 86_400_000 + ((day * 7_919) % 86_400) * 1000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function userEntry(
  accountId: string,
  name: string,
  fields: Partial<Omit<GaadUser, 'UserName' | 'UserId' | 'Arn'>> = {},
): GaadUser {
  const path = fields.Path ?? '/';
  return {
    Path: path,
    UserName: name,
    UserId: iamId('AIDA', `${accountId}:${name}`),
    Arn: `arn:aws:iam::${accountId}:user${path}${name}`,
    CreateDate: fields.CreateDate ?? cliDate(1),
    ...(fields.UserPolicyList ? { UserPolicyList: fields.UserPolicyList } : {}),
    GroupList: fields.GroupList ?? [],
    AttachedManagedPolicies: fields.AttachedManagedPolicies ?? [],
    ...(fields.PermissionsBoundary ? { PermissionsBoundary: fields.PermissionsBoundary } : {}),
    Tags: fields.Tags ?? [],
  };
}

export function roleEntry(
  accountId: string,
  name: string,
  fields: Partial<Omit<GaadRole, 'RoleName' | 'RoleId' | 'Arn'>> = {},
): GaadRole {
  const path = fields.Path ?? '/';
  return {
    Path: path,
    RoleName: name,
    RoleId: iamId('AROA', `${accountId}:${name}`),
    Arn: `arn:aws:iam::${accountId}:role${path}${name}`,
    CreateDate: fields.CreateDate ?? cliDate(1),
    ...(fields.AssumeRolePolicyDocument !== undefined
      ? { AssumeRolePolicyDocument: fields.AssumeRolePolicyDocument }
      : {}),
    ...(fields.Description ? { Description: fields.Description } : {}),
    MaxSessionDuration: fields.MaxSessionDuration ?? 3600,
    InstanceProfileList: fields.InstanceProfileList ?? [],
    RolePolicyList: fields.RolePolicyList ?? [],
    AttachedManagedPolicies: fields.AttachedManagedPolicies ?? [],
    ...(fields.PermissionsBoundary ? { PermissionsBoundary: fields.PermissionsBoundary } : {}),
    Tags: fields.Tags ?? [],
    RoleLastUsed: fields.RoleLastUsed ?? {},
  };
}

export function groupEntry(
  accountId: string,
  name: string,
  fields: Partial<Omit<GaadGroup, 'GroupName' | 'GroupId' | 'Arn'>> = {},
): GaadGroup {
  const path = fields.Path ?? '/';
  return {
    Path: path,
    GroupName: name,
    GroupId: iamId('AGPA', `${accountId}:${name}`),
    Arn: `arn:aws:iam::${accountId}:group${path}${name}`,
    CreateDate: fields.CreateDate ?? cliDate(1),
    GroupPolicyList: fields.GroupPolicyList ?? [],
    AttachedManagedPolicies: fields.AttachedManagedPolicies ?? [],
  };
}

/**
 * A managed policy entry; the last of `versions` is the default unless `defaultVersion` (1-based) says
 * otherwise. The list is written newest first, as IAM lists versions.
 */
export function policyEntry(
  arn: string,
  versions: (PolicyBody | undefined)[],
  fields: { attachments?: number; boundaryUses?: number; defaultVersion?: number; day?: number } = {},
): GaadPolicy {
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  const path = arn.slice(arn.indexOf(':policy') + ':policy'.length, arn.lastIndexOf('/') + 1);
  const defaultVersion = fields.defaultVersion ?? versions.length;
  const day = fields.day ?? 0;
  return {
    PolicyName: name,
    PolicyId: iamId('ANPA', arn),
    Arn: arn,
    Path: path,
    DefaultVersionId: `v${defaultVersion}`,
    AttachmentCount: fields.attachments ?? 0,
    PermissionsBoundaryUsageCount: fields.boundaryUses ?? 0,
    IsAttachable: true,
    CreateDate: cliDate(day),
    UpdateDate: cliDate(day + versions.length - 1),
    PolicyVersionList: versions
      .map((document, at) => ({
        ...(document !== undefined ? { Document: document } : {}),
        VersionId: `v${at + 1}`,
        IsDefaultVersion: at + 1 === defaultVersion,
        CreateDate: cliDate(day + at),
      }))
      .reverse(),
  };
}

export function attached(arn: string): GaadAttached {
  return { PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn };
}

export function boundary(arn: string): GaadBoundary {
  return { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: arn };
}

/* ---------- the account ---------- */

export const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
export const AUTOSCALING_SERVICE_ROLE_POLICY = 'arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy';
/** Listed, but attached to nothing: an import leaves it out. */
export const IAM_FULL_ACCESS = 'arn:aws:iam::aws:policy/IAMFullAccess';

/** The users that each hold one escalation technique family, and the permissions that make it. */
const ESCALATION_USERS: { user: string; inline?: Statement[]; managed?: string }[] = [
  { user: 'esc-create-policy-version', managed: 'policy-version-editor' },
  { user: 'esc-set-default-version', inline: [allow(['iam:SetDefaultPolicyVersion', 'iam:ListPolicyVersions'])] },
  { user: 'esc-passrole-ec2', managed: 'ec2-launcher' },
  { user: 'esc-attach-user-policy', inline: [allow(['iam:AttachUserPolicy', 'iam:ListAttachedUserPolicies'])] },
  { user: 'esc-attach-role-policy', inline: [allow('iam:AttachRolePolicy')] },
  { user: 'esc-put-role-policy', inline: [allow(['iam:PutRolePolicy', 'iam:GetRolePolicy'])] },
  { user: 'esc-create-access-key', inline: [allow(['iam:CreateAccessKey', 'iam:ListAccessKeys'])] },
  { user: 'esc-login-profile', inline: [allow(['iam:CreateLoginProfile', 'iam:UpdateLoginProfile'])] },
  { user: 'esc-add-user-to-group', inline: [allow('iam:AddUserToGroup')] },
  { user: 'esc-update-trust', inline: [allow(['iam:UpdateAssumeRolePolicy', 'sts:AssumeRole'])] },
  { user: 'esc-lambda', managed: 'lambda-deployer' },
  { user: 'esc-lambda-edit', inline: [allow('lambda:UpdateFunctionCode')] },
  { user: 'esc-glue-endpoint', inline: [allow('glue:UpdateDevEndpoint')] },
  { user: 'esc-cloudformation', inline: [allow(['iam:PassRole', 'cloudformation:CreateStack'])] },
];

export function generateAuthorizationDetails(options: GaadOptions = {}): AuthorizationDetailsFile {
  const account = options.accountId ?? GAAD_ACCOUNT_ID;
  const partner = options.partnerAccountId ?? GAAD_PARTNER_ACCOUNT_ID;
  const copies = options.copies ?? 1;
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`copies must be a whole number ≥ 1, not ${copies}`);
  const file: AuthorizationDetailsFile = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
  for (let copy = 0; copy < copies; copy++) {
    const part = accountCopy(account, partner, copy);
    file.UserDetailList.push(...part.users);
    file.GroupDetailList.push(...part.groups);
    file.RoleDetailList.push(...part.roles);
    file.Policies.push(...part.policies);
  }
  file.Policies.push(...awsManagedPolicies(copies));
  return file;
}

/** The file as committed: the CLI's JSON, laid out by the repository's prettier (so `prettier --check` passes). */
export async function authorizationDetailsText(options: GaadOptions = {}, filepath = 'findings-account.json') {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(JSON.stringify(generateAuthorizationDetails(options), null, 2), {
    ...config,
    filepath,
    parser: 'json',
  });
}

function awsManagedPolicies(copies: number): GaadPolicy[] {
  return [
    policyEntry(ADMINISTRATOR_ACCESS, [policyDocument(allow('*'))], { attachments: copies }),
    policyEntry(
      AUTOSCALING_SERVICE_ROLE_POLICY,
      [
        // abridged: what Amazon EC2 Auto Scaling needs to launch and end instances
        policyDocument(
          allow(['ec2:RunInstances', 'ec2:TerminateInstances', 'ec2:CreateTags', 'ec2:DescribeInstances'], '*', {
            Sid: 'EC2InstanceManagement',
          }),
          allow('iam:PassRole', '*', {
            Sid: 'EC2InstanceProfileManagement',
            Condition: { StringLike: { 'iam:PassedToService': 'ec2.amazonaws.com*' } },
          }),
          allow(['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm'], '*', { Sid: 'CloudWatchManagement' }),
        ),
      ],
      { attachments: copies, day: 30 },
    ),
    policyEntry(
      IAM_FULL_ACCESS,
      [policyDocument(allow(['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization']))],
      { attachments: 0, day: 60 },
    ),
  ];
}

function accountCopy(account: string, partner: string, copy: number) {
  const n = (name: string): string => (copy === 0 ? name : `${name}-c${copy}`);
  const customer = (name: string): string => `arn:aws:iam::${account}:policy/${n(name)}`;
  const day = (d: number): string => cliDate(d + copy);
  const owner = (team: string): GaadTag[] => [{ Key: 'owner', Value: `${team}@example.com` }];
  const inlineOf = (name: string, statements: Statement[]): GaadInlinePolicy[] => [
    { PolicyName: name, PolicyDocument: policyDocument(...statements) },
  ];

  const policies: GaadPolicy[] = [
    // v1 (not the default any more) held all of IAM; the default v2 only edits policy versions
    policyEntry(
      customer('policy-version-editor'),
      [
        policyDocument(allow('iam:*')),
        policyDocument(allow(['iam:CreatePolicyVersion', 'iam:GetPolicy', 'iam:GetPolicyVersion'])),
      ],
      { attachments: 1, day: 10 },
    ),
    policyEntry(
      customer('ec2-launcher'),
      [policyDocument(allow(['iam:PassRole', 'ec2:RunInstances', 'ec2:DescribeInstances']))],
      { attachments: 1, day: 11 },
    ),
    policyEntry(
      customer('lambda-deployer'),
      [policyDocument(allow(['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction']))],
      { attachments: 1, day: 12 },
    ),
    policyEntry(
      customer('key-rotator'),
      [policyDocument(allow(['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys']))],
      { attachments: 1, day: 13 },
    ),
    policyEntry(
      customer('list-only-boundary'),
      [policyDocument(allow(['iam:ListAccessKeys', 's3:ListAllMyBuckets']))],
      {
        boundaryUses: 1,
        day: 14,
      },
    ),
    policyEntry(
      customer('observability-read'),
      [
        policyDocument(
          allow([
            'cloudwatch:GetMetricData',
            'cloudwatch:ListMetrics',
            'logs:DescribeLogGroups',
            'ec2:DescribeInstances',
          ]),
        ),
      ],
      { attachments: 2, day: 15 },
    ),
  ];

  const groups: GaadGroup[] = [
    groupEntry(account, n('iam-operators'), {
      CreateDate: day(20),
      GroupPolicyList: inlineOf('user-policy-editor', [allow(['iam:PutUserPolicy', 'iam:ListUsers'])]),
    }),
    groupEntry(account, n('analysts'), {
      CreateDate: day(21),
      AttachedManagedPolicies: [attached(customer('observability-read'))],
    }),
  ];

  const users: GaadUser[] = ESCALATION_USERS.map((entry, at) =>
    userEntry(account, n(entry.user), {
      CreateDate: day(40 + at),
      ...(entry.inline ? { UserPolicyList: inlineOf('escalation', entry.inline) } : {}),
      AttachedManagedPolicies: entry.managed ? [attached(customer(entry.managed))] : [],
      Tags: owner('platform'),
    }),
  );
  users.push(
    userEntry(account, n('group-member'), { CreateDate: day(60), GroupList: [n('iam-operators')] }),
    // the deny in the same policy takes the escalation back: Least sees nothing, Cloudsplaining an escalation
    userEntry(account, n('deny-guarded'), {
      CreateDate: day(61),
      UserPolicyList: inlineOf('deploy-with-guardrail', [
        allow(['iam:AttachUserPolicy', 'iam:ListUsers']),
        deny('iam:AttachUserPolicy', '*', { Sid: 'NoPolicyAttachment' }),
      ]),
    }),
    // the boundary allows only listing: the attached key rotation is not effective
    userEntry(account, n('boundary-limited'), {
      CreateDate: day(62),
      AttachedManagedPolicies: [attached(customer('key-rotator'))],
      PermissionsBoundary: boundary(customer('list-only-boundary')),
    }),
    userEntry(account, n('conditional-escalator'), {
      CreateDate: day(63),
      UserPolicyList: inlineOf('mfa-policy-attach', [
        allow('iam:AttachUserPolicy', '*', { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }),
      ]),
    }),
    userEntry(account, n('data-reader'), {
      CreateDate: day(64),
      UserPolicyList: inlineOf('read-every-object', [allow(['s3:GetObject', 's3:ListBucket'])]),
    }),
    userEntry(account, n('registry-puller'), {
      CreateDate: day(65),
      UserPolicyList: inlineOf('pull-images', [
        allow(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']),
      ]),
    }),
    userEntry(account, n('s3-admin'), {
      CreateDate: day(66),
      UserPolicyList: inlineOf('all-of-s3', [allow('s3:*')]),
    }),
    userEntry(account, n('read-only-analyst'), {
      Path: '/people/',
      CreateDate: day(67),
      GroupList: [n('analysts')],
      Tags: owner('analytics'),
    }),
  );

  const appRoleName = n('app-instance');
  const appRole = roleEntry(account, appRoleName, {
    CreateDate: day(83),
    AssumeRolePolicyDocument: trustPolicy({ Service: 'ec2.amazonaws.com' }),
    RolePolicyList: inlineOf('read-app-bucket', [
      allow('s3:GetObject', `arn:aws:s3:::app-bucket-${account}${copy === 0 ? '' : `-c${copy}`}/*`),
    ]),
    RoleLastUsed: { LastUsedDate: day(400), Region: 'us-east-1' },
  });
  appRole.InstanceProfileList = [
    {
      Path: '/',
      InstanceProfileName: appRoleName,
      InstanceProfileId: iamId('AIPA', `${account}:${appRoleName}`),
      Arn: `arn:aws:iam::${account}:instance-profile/${appRoleName}`,
      CreateDate: appRole.CreateDate,
      Roles: [
        {
          Path: appRole.Path,
          RoleName: appRole.RoleName,
          RoleId: appRole.RoleId,
          Arn: appRole.Arn,
          CreateDate: appRole.CreateDate,
          AssumeRolePolicyDocument: appRole.AssumeRolePolicyDocument!,
        },
      ],
    },
  ];

  const roles: GaadRole[] = [
    roleEntry(account, n('admin-break-glass'), {
      CreateDate: day(80),
      Description: 'Break-glass administration, MFA required',
      AssumeRolePolicyDocument: trustPolicy(
        { AWS: `arn:aws:iam::${account}:root` },
        { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      ),
      AttachedManagedPolicies: [attached(ADMINISTRATOR_ACCESS)],
      Tags: owner('security'),
    }),
    roleEntry(account, n('public-assumable'), {
      CreateDate: day(81),
      AssumeRolePolicyDocument: trustPolicy({ AWS: '*' }),
      RolePolicyList: inlineOf('status-page', [allow('s3:ListBucket', 'arn:aws:s3:::status-page')]),
    }),
    roleEntry(account, n('partner-auditor'), {
      CreateDate: day(82),
      AssumeRolePolicyDocument: trustPolicy(
        { AWS: `arn:aws:iam::${partner}:root` },
        { StringEquals: { 'sts:ExternalId': 'partner-audit-7f3c' } },
      ),
      AttachedManagedPolicies: [attached(customer('observability-read'))],
    }),
    appRole,
    roleEntry(account, 'AWSServiceRoleForAutoScaling'.concat(copy === 0 ? '' : `_c${copy}`), {
      Path: '/aws-service-role/autoscaling.amazonaws.com/',
      CreateDate: day(84),
      Description:
        'Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling',
      AssumeRolePolicyDocument: trustPolicy({ Service: 'autoscaling.amazonaws.com' }),
      AttachedManagedPolicies: [attached(AUTOSCALING_SERVICE_ROLE_POLICY)],
      RoleLastUsed: { LastUsedDate: day(410), Region: 'us-east-1' },
    }),
  ];

  return { users, groups, roles, policies };
}
