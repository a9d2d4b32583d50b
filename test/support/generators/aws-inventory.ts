import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { seeded } from './cloudtrail';

/**
 * An AWS account of any size in moto, with the policies real accounts have: a handful of customer-managed
 * policies shared by many roles (so documents repeat), inline policies with conditions and resource
 * scoping, a wildcard admin now and then, NotAction, groups of users, access keys and a permissions
 * boundary. Seeded: the same options build the same account.
 */

export interface InventoryPlan {
  accountId: string;
  roles: number;
  users: number;
  groups: number;
  seed: number;
  /** Calls in flight against moto. */
  concurrency?: number;
}

export interface GeneratedInventory {
  roleArns: string[];
  userArns: string[];
  groupArns: string[];
  policyArns: string[];
  accessKeys: number;
}

/** Policy bodies as teams write them. */
export function realisticPolicies(accountId: string): Record<string, unknown> {
  const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
  return {
    'app-read-data': doc(
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: ['arn:aws:s3:::app-data-*', 'arn:aws:s3:::app-data-*/*'],
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:us-east-1:${accountId}:key/*`,
        Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      },
    ),
    'ci-deploy': doc(
      {
        Effect: 'Allow',
        Action: ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:GetFunction'],
        Resource: '*',
      },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${accountId}:role/app-*` },
      { Effect: 'Allow', Action: ['cloudformation:*'], Resource: '*' },
    ),
    'ops-readonly': doc({
      Effect: 'Allow',
      Action: ['ec2:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*', 'logs:Describe*', 'logs:FilterLogEvents'],
      Resource: '*',
    }),
    'power-user': doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' }),
    'admin-everything': doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
    'deny-outside-eu': doc({
      Effect: 'Deny',
      NotAction: ['iam:*', 'sts:*'],
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
    }),
    'boundary-no-iam-writes': doc(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: ['iam:Create*', 'iam:Put*', 'iam:Attach*', 'iam:Delete*'], Resource: '*' },
    ),
  };
}

const INLINE_BODIES = [
  (n: number) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
        Resource: `arn:aws:sqs:us-east-1:*:queue-${n % 17}`,
      },
    ],
  }),
  (n: number) => ({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: `arn:aws:dynamodb:us-east-1:*:table/orders-${n % 5}` },
    ],
  }),
  () => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  }),
  (n: number) => ({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: `arn:aws:secretsmanager:us-east-1:*:secret:db-${n % 4}-*`,
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    ],
  }),
];

async function inBatches(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

export async function generateAwsInventory(iam: IAMClient, plan: InventoryPlan): Promise<GeneratedInventory> {
  const random = seeded(plan.seed);
  const concurrency = plan.concurrency ?? 8;
  const policies = realisticPolicies(plan.accountId);
  const policyArns: Record<string, string> = {};
  for (const [name, body] of Object.entries(policies)) {
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(body) }));
    policyArns[name] = created.Policy!.Arn!;
  }
  const shared = ['app-read-data', 'ci-deploy', 'ops-readonly', 'power-user'];
  // choices are drawn up front, so concurrency does not change what is built
  const roleChoices = Array.from({ length: plan.roles }, () => ({
    managed: random.pick(shared),
    inline: random.next(),
    admin: random.next(),
    boundary: random.next(),
    team: random.pick(['payments', 'search', 'platform', 'data']),
  }));
  const userChoices = Array.from({ length: plan.users }, () => ({
    inline: random.next(),
    group: Math.floor(random.next() * Math.max(1, plan.groups)),
    key: random.next(),
    direct: random.next(),
  }));

  const groupArns: string[] = [];
  for (let g = 0; g < plan.groups; g++) {
    const created = await iam.send(new CreateGroupCommand({ GroupName: `team-${g}` }));
    groupArns.push(created.Group!.Arn!);
    await iam.send(
      new AttachGroupPolicyCommand({
        GroupName: `team-${g}`,
        PolicyArn: policyArns[g % 2 ? 'ops-readonly' : 'ci-deploy']!,
      }),
    );
  }

  const roleArns: string[] = new Array<string>(plan.roles);
  await inBatches(plan.roles, concurrency, async (r) => {
    const choice = roleChoices[r]!;
    const name = `app-${r}`;
    const created = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: `/${choice.team}/`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: r % 3 ? 'lambda.amazonaws.com' : 'ecs-tasks.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
        Tags: [
          { Key: 'owner', Value: `${choice.team}@example.com` },
          { Key: 'team', Value: choice.team },
        ],
      }),
    );
    roleArns[r] = created.Role!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArns[choice.managed]! }));
    if (choice.admin < 0.03)
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArns['admin-everything']! }));
    if (choice.inline < 0.6) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: 'inline-access',
          PolicyDocument: JSON.stringify(INLINE_BODIES[r % INLINE_BODIES.length]!(r)),
        }),
      );
    }
    if (choice.boundary < 0.1) {
      await iam.send(
        new PutRolePermissionsBoundaryCommand({
          RoleName: name,
          PermissionsBoundary: policyArns['boundary-no-iam-writes']!,
        }),
      );
    }
  });

  const userArns: string[] = new Array<string>(plan.users);
  let accessKeys = 0;
  await inBatches(plan.users, concurrency, async (u) => {
    const choice = userChoices[u]!;
    const name = `person-${u}`;
    const created = await iam.send(
      new CreateUserCommand({ UserName: name, Tags: [{ Key: 'email', Value: `${name}@example.com` }] }),
    );
    userArns[u] = created.User!.Arn!;
    if (plan.groups > 0)
      await iam.send(new AddUserToGroupCommand({ GroupName: `team-${choice.group}`, UserName: name }));
    if (choice.inline < 0.2) {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: name,
          PolicyName: 'extra',
          PolicyDocument: JSON.stringify(INLINE_BODIES[u % INLINE_BODIES.length]!(u)),
        }),
      );
    }
    if (choice.direct < 0.1)
      await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: policyArns['deny-outside-eu']! }));
    if (choice.key < 0.5) {
      await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      accessKeys++;
    }
  });

  return { roleArns, userArns, groupArns, policyArns: Object.values(policyArns), accessKeys };
}
