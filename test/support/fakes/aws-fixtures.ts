import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreatePermissionSetCommand, ListInstancesCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import {
  CreateUserCommand as CreateIdentityStoreUserCommand,
  IdentitystoreClient,
} from '@aws-sdk/client-identitystore';
import { STSClient } from '@aws-sdk/client-sts';
import { policySchema, type AuthorizationSystem, type Policy, type PolicyInput } from '../../../domain/policy/schema';
import { createAwsProvider, type AwsProvider } from '../../../activities/cloud/aws';
import { resetMoto } from './moto';

/**
 * An AWS account as Least finds it in production, built in moto through the real SDK: the broker role
 * Least assumes (with the trust and permissions it needs), an application role and a CI user people
 * borrow through inline policies, and Identity Center with permission sets and directory users.
 */

/** moto's default account: credentials that are not an assumed role land here. */
export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
export const BROKER_ROLE = 'least-broker';
export const BROKER_ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${BROKER_ROLE}`;
export const EXTERNAL_ID = 'least-test-external-id';
export const APP_ROLE = 'payments-operator';
export const CI_USER = 'ci-deployer';
export const PORTAL_URL = 'https://d-example.awsapps.com/start';

/** Dummy base credentials for the SDK's default provider chain; moto accepts anything. */
export function useDummyAwsCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = REGION;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

/** Clients with the base credentials: what an operator would use to look at the account. */
export interface OperatorClients {
  iam: IAMClient;
  sts: STSClient;
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
}

export function operatorClients(endpoint: string): OperatorClients {
  const config = { endpoint, region: REGION };
  return {
    iam: new IAMClient(config),
    sts: new STSClient(config),
    ssoAdmin: new SSOAdminClient(config),
    identityStore: new IdentitystoreClient(config),
  };
}

/** What Least needs on the broker role; moto does not enforce it, but this is the documented minimum. */
export const BROKER_PERMISSIONS = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'InlineLeases',
      Effect: 'Allow',
      Action: [
        'iam:GetRole',
        'iam:GetUser',
        'iam:ListRoles',
        'iam:ListUsers',
        'iam:ListRolePolicies',
        'iam:ListUserPolicies',
        'iam:GetRolePolicy',
        'iam:GetUserPolicy',
        'iam:PutRolePolicy',
        'iam:PutUserPolicy',
        'iam:DeleteRolePolicy',
        'iam:DeleteUserPolicy',
      ],
      Resource: '*',
    },
    {
      Sid: 'IdentityCenterLeases',
      Effect: 'Allow',
      Action: [
        'sso:DescribePermissionSet',
        'sso:ListAccountAssignments',
        'sso:CreateAccountAssignment',
        'sso:DeleteAccountAssignment',
        'sso:DescribeAccountAssignmentCreationStatus',
        'sso:DescribeAccountAssignmentDeletionStatus',
        'identitystore:GetUserId',
        'identitystore:DescribeUser',
      ],
      Resource: '*',
    },
  ],
};

export interface IdentityStoreUser {
  email: string;
  userId: string;
}

export interface AwsAccount {
  instanceArn: string;
  identityStoreId: string;
  readOnlyPermissionSetArn: string;
  /** A permission set no entitlement names, for out-of-band assignments. */
  adminPermissionSetArn: string;
  ada: IdentityStoreUser;
  /** Found by user name only: her directory entry has a different e-mail. */
  grace: IdentityStoreUser;
}

export async function createDirectoryUser(
  identityStore: IdentitystoreClient,
  identityStoreId: string,
  userName: string,
  email: string,
): Promise<string> {
  const [given, family] = userName.split('@')[0]!.split('.');
  const created = await identityStore.send(
    new CreateIdentityStoreUserCommand({
      IdentityStoreId: identityStoreId,
      UserName: userName,
      DisplayName: `${given} ${family ?? ''}`.trim(),
      Name: { GivenName: given, FamilyName: family ?? 'Test' },
      Emails: [{ Value: email, Type: 'work', Primary: true }],
    }),
  );
  return created.UserId!;
}

export async function createAwsAccount(endpoint: string): Promise<AwsAccount> {
  const { iam, ssoAdmin, identityStore } = operatorClients(endpoint);
  await iam.send(
    new CreateRoleCommand({
      RoleName: BROKER_ROLE,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
          },
        ],
      }),
    }),
  );
  const brokerPolicy = await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'least-broker-permissions',
      PolicyDocument: JSON.stringify(BROKER_PERMISSIONS),
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: BROKER_ROLE, PolicyArn: brokerPolicy.Policy!.Arn! }));

  await iam.send(
    new CreateRoleCommand({
      RoleName: APP_ROLE,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  // a policy Least did not write: listObserved must leave it alone
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: APP_ROLE,
      PolicyName: 'baseline-logs',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
      }),
    }),
  );
  await iam.send(new CreateUserCommand({ UserName: CI_USER }));

  // moto starts every account with one Identity Center instance, as an organization's management account has
  const instance = (await ssoAdmin.send(new ListInstancesCommand({}))).Instances?.[0];
  if (!instance?.InstanceArn || !instance.IdentityStoreId) throw new Error('moto listed no Identity Center instance');
  const permissionSet = async (name: string): Promise<string> =>
    (
      await ssoAdmin.send(
        new CreatePermissionSetCommand({ InstanceArn: instance.InstanceArn, Name: name, SessionDuration: 'PT1H' }),
      )
    ).PermissionSet!.PermissionSetArn!;
  return {
    instanceArn: instance.InstanceArn,
    identityStoreId: instance.IdentityStoreId,
    readOnlyPermissionSetArn: await permissionSet('ReadOnly'),
    adminPermissionSetArn: await permissionSet('Admin'),
    ada: {
      email: 'ada@example.com',
      userId: await createDirectoryUser(identityStore, instance.IdentityStoreId, 'ada.lovelace', 'ada@example.com'),
    },
    grace: {
      email: 'grace@example.com',
      userId: await createDirectoryUser(
        identityStore,
        instance.IdentityStoreId,
        'grace@example.com',
        'g.hopper@corp.example.com',
      ),
    },
  };
}

export const SYSTEM_ID = 'aws-prod';

/** A clean moto with the account built again: every test starts from the same AWS. */
export async function freshAwsAccount(motoUrl: string): Promise<AwsAccount> {
  await resetMoto(motoUrl);
  return createAwsAccount(motoUrl);
}

export interface AwsProviderContext {
  account: AwsAccount;
  policy: Policy;
  system: AuthorizationSystem;
  provider: AwsProvider;
}

/** A fresh account, its policy (with these principal mappings) and a provider talking to it. */
export async function freshAwsProviderContext(
  motoUrl: string,
  principals: PolicyInput['principals'] = {},
): Promise<AwsProviderContext> {
  const account = await freshAwsAccount(motoUrl);
  const policy = policyFor(account, motoUrl, principals);
  return { account, policy, system: policy.authorizationSystems[0]!, provider: createAwsProvider() };
}

/** The policy-file entry for this moto account, as an operator would write it. */
export function awsSystemInput(
  account: AwsAccount,
  endpoint: string,
  id = SYSTEM_ID,
): PolicyInput['authorizationSystems'][number] {
  return {
    id,
    cloud: 'aws',
    title: 'Production',
    accountId: ACCOUNT_ID,
    region: REGION,
    brokerRoleArn: BROKER_ROLE_ARN,
    externalId: EXTERNAL_ID,
    identityCenter: {
      instanceArn: account.instanceArn,
      identityStoreId: account.identityStoreId,
      portalUrl: PORTAL_URL,
    },
    endpoint,
  };
}

export function awsSystem(account: AwsAccount, endpoint: string): AuthorizationSystem {
  return policyFor(account, endpoint).authorizationSystems[0]!;
}

/** A policy file for this account: one Identity Center and one inline-policy entitlement, some mappings. */
export function policyFor(account: AwsAccount, endpoint: string, principals: PolicyInput['principals'] = {}): Policy {
  const approvers = { users: ['lead@example.com'] };
  return policySchema.parse({
    version: 1,
    authorizationSystems: [awsSystemInput(account, endpoint)],
    principals,
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: SYSTEM_ID,
        grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
        requesters: { everyone: true },
        approvers,
      },
      {
        id: 'payments-logs',
        title: 'Read payment logs',
        system: SYSTEM_ID,
        grant: {
          kind: 'aws-iam-inline-policy',
          statements: [
            {
              actions: ['s3:GetObject', 's3:ListBucket'],
              resources: ['arn:aws:s3:::payments-logs', 'arn:aws:s3:::payments-logs/*'],
            },
            { actions: ['logs:FilterLogEvents'] },
          ],
        },
        requesters: { everyone: true },
        approvers,
      },
    ],
  } satisfies PolicyInput);
}

export function entitlementGrant(policy: Policy, entitlementId: string): Policy['entitlements'][number]['grant'] {
  const found = policy.entitlements.find((entitlement) => entitlement.id === entitlementId);
  if (!found) throw new Error(`no entitlement ${entitlementId}`);
  return found.grant;
}

/* ---------- a front for moto that answers like AWS under stress ---------- */

export interface FrontResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface FrontCall {
  operation: string;
  /** Decoded request parameters (query protocol) or the JSON body (JSON protocol). */
  params: Record<string, unknown>;
  /** Whose credentials signed the request (the SigV4 credential scope). */
  accessKeyId?: string;
}

export type FrontHandler = (
  call: FrontCall & { count: number; forward: () => Promise<FrontResponse> },
) => Promise<FrontResponse>;

/**
 * An HTTP front that forwards every request to moto and lets a test replace the answer to one
 * operation: throttling, access denied, an Identity Center request that stays IN_PROGRESS or FAILS.
 * moto answers every assignment request SUCCEEDED at once, so the asynchronous paths need this.
 */
export interface MotoFront {
  url: string;
  calls: FrontCall[];
  intercept(operation: string, handler: FrontHandler): void;
  /** Back to plain forwarding for every operation. */
  stopIntercepting(): void;
  close(): Promise<void>;
}

function operationOf(headers: http.IncomingHttpHeaders, body: string): FrontCall {
  const accessKeyId = /Credential=([^/]+)\//.exec(headers.authorization ?? '')?.[1];
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    return {
      operation: target.split('.').pop()!,
      params: body ? (JSON.parse(body) as Record<string, unknown>) : {},
      accessKeyId,
    };
  }
  const params = Object.fromEntries(new URLSearchParams(body));
  return { operation: String(params.Action ?? 'unknown'), params, accessKeyId };
}

export async function startMotoFront(motoUrl: string): Promise<MotoFront> {
  const calls: FrontCall[] = [];
  const handlers = new Map<string, FrontHandler>();
  const counts = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const call = operationOf(request.headers, body);
      calls.push(call);
      const count = (counts.get(call.operation) ?? 0) + 1;
      counts.set(call.operation, count);
      const forward = async (): Promise<FrontResponse> => {
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(
            ([name, value]) => typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name),
          ),
        ) as Record<string, string>;
        const upstream = await fetch(`${motoUrl}${request.url}`, {
          method: request.method,
          headers,
          body: body || undefined,
        });
        return {
          status: upstream.status,
          headers: { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' },
          body: await upstream.text(),
        };
      };
      const handler = handlers.get(call.operation);
      (handler ? handler({ ...call, count, forward }) : forward()).then(
        (answer) => {
          response.writeHead(answer.status, answer.headers);
          response.end(answer.body);
        },
        (error: Error) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(error.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    intercept: (operation, handler) => void handlers.set(operation, handler),
    stopIntercepting: () => handlers.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An error as the JSON-protocol services (SSO Admin, Identity Store) send it. */
export function jsonError(type: string, message: string, status = 400): FrontResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** An error as the query-protocol services (IAM, STS) send it. */
export function queryError(code: string, message: string, status = 400): FrontResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>front-${code}</RequestId></ErrorResponse>`,
  };
}

/** An AWS JSON answer as tests rewrite it: shapes vary per operation, so fields are loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AwsJsonBody = Record<string, any>;

/** Rewrites one field of a JSON answer, e.g. an assignment status. */
export async function rewriteJson(
  response: Promise<FrontResponse>,
  change: (body: AwsJsonBody) => void,
): Promise<FrontResponse> {
  const answer = await response;
  const body = JSON.parse(answer.body) as AwsJsonBody;
  change(body);
  return { ...answer, body: JSON.stringify(body) };
}

/** A policy whose one AWS system (on this account) has the given inventory settings. */
export function inventorySystem(
  account: AwsAccount,
  endpoint: string,
  inventory: Record<string, unknown>,
): { policy: Policy; system: AuthorizationSystem } {
  const policy = policySchema.parse({
    version: 1,
    authorizationSystems: [{ ...awsSystemInput(account, endpoint), inventory }],
    entitlements: [
      {
        id: 'prod-read-only',
        title: 'Read-only in production',
        system: SYSTEM_ID,
        grant: { kind: 'aws-identity-center', permissionSetArn: account.readOnlyPermissionSetArn },
        requesters: { everyone: true },
        approvers: { users: ['lead@example.com'] },
      },
    ],
  });
  return { policy, system: policy.authorizationSystems[0]! };
}
