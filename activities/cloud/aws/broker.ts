import http from 'node:http';
import https from 'node:https';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { awsErrorCode, type AwsSystem, withAwsErrors } from './errors';

/**
 * Least never acts with its own credentials: every call runs in a session of the system's broker role,
 * named after the lease it serves, so CloudTrail shows which request did what.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AwsSession {
  name: string;
  credentials: AwsCredentials;
  iam: IAMClient;
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
}

export interface AwsBroker {
  /** A broker-role session for `purpose` (a lease id, or a word such as `reconcile`). */
  session(system: AwsSystem, purpose: string): Promise<AwsSession>;
  /** Closes pooled connections; sessions handed out before stop working. */
  close(): void;
}

export interface AwsBrokerOptions {
  now?: () => number;
  /** How long an assumed session lasts; the broker role's MaxSessionDuration caps it. */
  durationSeconds?: number;
  /** Sessions kept at once; one per active lease is plenty. */
  cacheSize?: number;
}

/** Session purposes for work that no single lease asked for. */
export const RECONCILE_PURPOSE = 'reconcile';
export const RESOLVE_PURPOSE = 'resolve';

/** Reused sessions must have this much life left, so a long call never outlives its credentials. */
export const SESSION_REFRESH_MARGIN_MS = 5 * 60_000;

const SESSION_NAME_MAX = 64;

/** STS allows [\w+=,.@-] and at most 64 characters in a session name. */
export function sessionName(purpose: string): string {
  return `least-${purpose}`.replace(/[^\w+=,.@-]/g, '-').slice(0, SESSION_NAME_MAX);
}

/** Throttling and 5xx are normal at AWS scale; adaptive mode also slows down on its own when throttled. */
export function clientConfig(system: AwsSystem, agents: { httpAgent: http.Agent; httpsAgent: https.Agent }) {
  return {
    region: system.region,
    maxAttempts: 5,
    retryMode: 'adaptive',
    // a hung connection would otherwise hold an activity until its start-to-close timeout
    requestHandler: { ...agents, connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
    ...(system.endpoint ? { endpoint: system.endpoint } : {}),
  } as const;
}

interface CachedSession {
  session: Promise<AwsSession>;
  /** epoch ms after which the session is not handed out again; Infinity until it has resolved */
  usableUntil: number;
}

export function createAwsBroker(options: AwsBrokerOptions = {}): AwsBroker {
  const now = options.now ?? Date.now;
  const durationSeconds = options.durationSeconds ?? 3600;
  const cacheSize = options.cacheSize ?? 100;
  // one connection pool for every session: clients come and go with credentials, sockets need not
  const agents = { httpAgent: new http.Agent({ keepAlive: true }), httpsAgent: new https.Agent({ keepAlive: true }) };
  const stsClients = new Map<string, STSClient>();
  const cache = new Map<string, CachedSession>();

  const stsFor = (system: AwsSystem): STSClient => {
    const key = `${system.region}|${system.endpoint ?? ''}`;
    let sts = stsClients.get(key);
    if (!sts) {
      // base credentials come from the default chain: env, profile, instance or pod role
      sts = new STSClient(clientConfig(system, agents));
      stsClients.set(key, sts);
    }
    return sts;
  };

  const assume = async (system: AwsSystem, name: string): Promise<AwsSession> => {
    const response = await withAwsErrors(system, `assume ${system.brokerRoleArn}`, () =>
      withCredentialErrors(system, () =>
        stsFor(system).send(
          new AssumeRoleCommand({
            RoleArn: system.brokerRoleArn,
            RoleSessionName: name,
            DurationSeconds: durationSeconds,
            ...(system.externalId ? { ExternalId: system.externalId } : {}),
          }),
        ),
      ),
    );
    const issued = response.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
      throw new Error(`STS AssumeRole on ${system.brokerRoleArn} returned no credentials`);
    }
    const credentials: AwsCredentials = {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      expiration: issued.Expiration ?? new Date(now() + durationSeconds * 1000),
    };
    const config = { ...clientConfig(system, agents), credentials };
    // A lease uses one of the three clients (an inline policy IAM, an assignment SSO Admin): each is
    // built on first use, not all three per session.
    let iam: IAMClient | undefined;
    let ssoAdmin: SSOAdminClient | undefined;
    let identityStore: IdentitystoreClient | undefined;
    return {
      name,
      credentials,
      get iam() {
        return (iam ??= new IAMClient(config));
      },
      get ssoAdmin() {
        return (ssoAdmin ??= new SSOAdminClient(config));
      },
      get identityStore() {
        return (identityStore ??= new IdentitystoreClient(config));
      },
    };
  };

  return {
    session(system, purpose) {
      const name = sessionName(purpose);
      const key = [
        system.id,
        system.accountId,
        system.brokerRoleArn,
        system.externalId ?? '',
        system.endpoint ?? '',
        name,
      ].join('|');
      const cached = cache.get(key);
      if (cached && cached.usableUntil > now()) return cached.session;
      cache.delete(key);
      // the promise is cached, so concurrent calls for one lease share a single AssumeRole
      const entry: CachedSession = { session: assume(system, name), usableUntil: Infinity };
      entry.session.then(
        (session) => {
          entry.usableUntil = session.credentials.expiration.getTime() - SESSION_REFRESH_MARGIN_MS;
        },
        () => {
          if (cache.get(key) === entry) cache.delete(key);
        },
      );
      cache.set(key, entry);
      while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
      return entry.session;
    },
    close() {
      cache.clear();
      stsClients.clear();
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}

/** STS's answers to base credentials that exist but do not work (unknown, revoked, expired, mistyped). */
const UNUSABLE_CREDENTIALS = [
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
];

/**
 * No base credentials, or ones AWS refuses, will not fix themselves on retry: an operator must give
 * the worker an identity. Fail the grant at once with a message that says so, instead of retrying for
 * minutes on the SDK's "Could not load credentials from any providers".
 */
async function withCredentialErrors<T>(system: AwsSystem, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = awsErrorCode(error);
    const missing = code === 'CredentialsProviderError';
    if (!missing && !(code && UNUSABLE_CREDENTIALS.includes(code))) throw error;
    throw new DomainError(
      ErrorCode.CloudCredentialsUnavailable,
      `${missing ? 'The worker has no AWS credentials' : "AWS refused the worker's credentials"} to assume ${system.brokerRoleArn} ` +
        `for system ${system.id} ("${(error as Error).message}"). Give the worker an AWS identity (AWS_ACCESS_KEY_ID and ` +
        'AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance, task or pod role) that the broker role trusts.',
    );
  }
}
